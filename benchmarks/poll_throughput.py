"""Poll throughput: a 2,000-entry arXiv Atom document through the whole poll (parse → normalise → dedupe →
score → store in SQLite), side by side with `feedparser.parse` alone on the same bytes. Target ≤ 1.5×.

    python -m benchmarks.poll_throughput [--entries N]
"""

from __future__ import annotations

import argparse
import gc
import re
import tempfile
import time

import feedparser

from benchmarks.generated import REPO
from bot.catalogue.service import CatalogueService
from bot.intake.fetch import Fetcher
from bot.intake.poll import Intake
from bot.intake.sources import FeedSpec
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.papers import FeedState

FIXTURE = REPO / "tests" / "data" / "feeds" / "arxiv-api-testing-100.xml"


def big_atom(entries: int) -> bytes:
    """The real 100-entry arXiv response, its entries repeated with fresh ids up to `entries`."""
    text = FIXTURE.read_text(encoding="utf-8")
    head, rest = text.split("<entry>", 1)
    body, tail = ("<entry>" + rest).rsplit("</entry>", 1)
    originals = re.findall(r"<entry>.*?</entry>", body + "</entry>", flags=re.S)
    out = []
    for n in range(entries):
        entry = originals[n % len(originals)]
        entry = re.sub(r"abs/(\d{4})\.(\d{4,5})", lambda m, n=n: f"abs/{m.group(1)}.{n:05d}", entry)
        # old-style ids (hep-th/0601001) too, so every entry is a new paper as in a real first poll
        old_style = f"{92 + n // 12000:02d}{n % 12 + 1:02d}{n // 12 % 1000:03d}"  # YYMMNNN, a valid month
        entry = re.sub(r"abs/([a-z-]+(?:\.[A-Z]{2})?)/(\d{7})", lambda m, s=old_style: f"abs/{m.group(1)}/{s}", entry)
        out.append(entry.replace("<title>", f"<title>Batch {n // len(originals)} ", 1))
    return (head + "".join(out) + tail).encode("utf-8")


def run(entries: int = 2000) -> dict[str, float]:
    data = big_atom(entries)
    start = time.perf_counter()
    parsed = feedparser.parse(data)
    feedparser_seconds = time.perf_counter() - start
    assert len(parsed.entries) == entries
    del parsed  # its garbage would otherwise be collected on the poll's clock
    gc.collect()

    with tempfile.TemporaryDirectory() as scratch:
        settings = load_settings(catalogue_dir=REPO / "catalogue", database_url=f"sqlite:///{scratch}/bench.db")
        database = Database.open(settings.database_url)
        catalogue = CatalogueService(settings.catalogue_dir)
        intake = Intake(database, catalogue, Fetcher(client=None), settings)  # type: ignore[arg-type]
        intake.relevance.model()  # built once per catalogue version in a running bot, not per poll
        feed = FeedSpec(name="bench", url="https://export.arxiv.org/api/query", kind="arxiv_api",
                        max_entries=entries)
        start = time.perf_counter()
        report, _ = intake.process(feed, FeedState(name="bench", initialised=True), data, database.now())
        poll_seconds = time.perf_counter() - start
        assert report.new == entries, report
        database.close()
    return {"entries": entries, "feedparser": feedparser_seconds, "poll": poll_seconds,
            "ratio": poll_seconds / feedparser_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=2000)
    args = parser.parse_args()
    result = run(args.entries)
    print(f"{result['entries']} entries: feedparser.parse alone {result['feedparser']:.2f} s, whole poll "
          f"{result['poll']:.2f} s ({result['ratio']:.2f}x; target <= 1.5x)")


if __name__ == "__main__":
    main()
