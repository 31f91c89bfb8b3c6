"""Lookup latency: `topic` and `search` p50/p99 on the real list and a generated 10,000-entry list,
side by side with a naive baseline (a linear fuzzy scan over every title). Target: p99 ≤ 5 ms at 10,000.

    python -m benchmarks.latency [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from rapidfuzz import fuzz

from benchmarks.generated import REPO, write_generated
from bot.catalogue.service import CatalogueService
from bot.commands import Commands

TOPIC_QUERIES = ("probing", "probign", "sae", "logit lens", "general", "ROME", "induction heads", "grokking",
                 "visualization", "component general", "halucination", "quantum chromodynamics")
SEARCH_QUERIES = ("induction heads", "sparse autoencoder", "ROME", "activaton patching", "logit lens",
                  "grokking modular arithmetic", "factual recall in transformers", "steering vectors", "TMLR",
                  "a query that matches nothing at all zzz")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


def measure(fn: Callable[[str], object], queries: tuple[str, ...], runs: int) -> tuple[float, float]:
    for query in queries:  # warm caches the way a running bot has them warm
        fn(query)
    samples = []
    for _ in range(runs):
        for query in queries:
            start = time.perf_counter()
            fn(query)
            samples.append(time.perf_counter() - start)
    return percentiles(samples)


def naive_scan(titles: list[str]) -> Callable[[str], object]:
    def scan(query: str) -> object:
        return max(titles, key=lambda title: fuzz.WRatio(query, title))
    return scan


def run(runs: int = 50) -> list[tuple[str, int, str, float, float]]:
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        catalogues = {"real": REPO / "catalogue", "10k": write_generated(Path(scratch) / "10k", 10_000)}
        for label, directory in catalogues.items():
            service = CatalogueService(directory)
            commands = Commands(service)
            size = len(service.index.catalogue.entries)
            titles = [e.title for e in service.index.catalogue.entries]
            naive_runs = max(1, runs // 10) if size > 1000 else runs
            for name, fn, queries, n in (
                ("topic (command)", partial(commands.run, "topic"), TOPIC_QUERIES, runs),
                ("search (command)", partial(commands.run, "search"), SEARCH_QUERIES, runs),
                ("naive fuzzy scan", naive_scan(titles), SEARCH_QUERIES, naive_runs),
            ):
                p50, p99 = measure(fn, queries, n)
                rows.append((label, size, name, p50, p99))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50, help="rounds over the query set (default 50)")
    args = parser.parse_args()
    print(f"{'catalogue':<10} {'entries':>7}  {'operation':<18} {'p50 ms':>8} {'p99 ms':>8}")
    for label, size, name, p50, p99 in run(args.runs):
        print(f"{label:<10} {size:>7}  {name:<18} {p50:>8.3f} {p99:>8.3f}")


if __name__ == "__main__":
    main()
