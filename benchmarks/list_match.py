"""List matching: "is this paper already on the list?" by title, through the list's index, beside a scan that scores
every listed title (what the index did before it picked candidates by shared rare words). Issue 16: a poll against
10,000 entries must cost no more than against 93, and the matches must stay exactly as good.

    python -m benchmarks.list_match [--rounds 5] [--sizes 93,10000] [--shared ../shared]

The papers, none of them chosen here by hand:

* every listed title changed the ways a title changes between a list and a feed (seeded): a plural, a typo, a
  word dropped or added ("Towards", "LLMs"), two words run together, the words in another order, one to four
  changes at once. Some stay within fuzz.ratio 92 of the listed title (matches), others do not;
* the real titles of the relevance corpus' stream (7,385 cs.CL / cs.LG / cs.AI papers of 37 listing days) and of
  the real listings in ../shared/fixtures/arxiv-listing (a whole day of 1,504 items among them): papers a poll
  really sees, almost none of them on the list.

Each paper goes through `ListIndex.match` (title only: no links, so the title path decides). The counts say how
many the index and the full scan match, to the same entry or not. Times are per paper, both methods interleaved
round by round in a fresh random order; min / median / max over the rounds.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from benchmarks.generated import REPO, size_list, write_generated
from bot.catalogue.model import Catalogue
from bot.catalogue.yaml_io import load_catalogue
from bot.intake.identity import paper_keys
from bot.intake.list_index import ListIndex
from bot.intake.parse import Paper, parse_feed

INSERTED_WORDS = ("towards", "a", "the", "on", "new", "llms", "via", "revisited", "language")


class ScanListIndex(ListIndex):
    """The reference: the same index, scoring every listed title in the fuzzy step."""

    def _candidates(self, normalised: str) -> range:  # type: ignore[override]
        return range(len(self._sorted_titles))


def changed_title(title: str, rng: random.Random) -> str:
    words = title.split()
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(words))
        change = rng.random()
        if change < 0.2 and len(words) > 3:
            del words[i]
        elif change < 0.35:
            words.insert(i, rng.choice(INSERTED_WORDS))
        elif change < 0.55:
            words[i] = words[i][:-1] if words[i].endswith("s") else words[i] + "s"
        elif change < 0.75 and len(words[i]) > 2:
            j = rng.randrange(len(words[i]))
            words[i] = words[i][:j] + rng.choice("abcdefghijklmnopqrstuvwxyz") + words[i][j + 1:]
        elif change < 0.85 and len(words[i]) > 3:
            j = rng.randrange(len(words[i]))
            words[i] = words[i][:j] + words[i][j + 1:]
        elif change < 0.93 and i + 1 < len(words):
            words[i:i + 2] = [words[i] + words[i + 1]]
        else:
            rng.shuffle(words)
    return " ".join(words)


def real_titles(shared: Path) -> list[str]:
    titles = []
    stream = shared / "relevance-corpus" / "stream.jsonl"
    if stream.is_file():
        titles += [json.loads(line)["title"] for line in stream.read_text(encoding="utf-8").splitlines() if line]
    for listing in (shared / "fixtures" / "arxiv-listing").glob("*rss*"):
        parsed = parse_feed(listing.read_bytes(), "arxiv_rss", feed="listing")
        # The day's new papers, and the replacements and cross-lists the poll passes over (matched all the same).
        titles += [p.title for p in parsed.papers] + [title for _, title in parsed.skipped_identities]
    if not titles:
        print(f"(no real titles found under {shared}: only the changed listed titles are matched)")
    return titles


def as_papers(titles: Iterable[str]) -> list[tuple[Paper, frozenset[str]]]:
    papers = []
    for n, title in enumerate(titles):
        paper = Paper(canonical_id=f"url:https://bench.invalid/{n}", title=title, authors=(), abstract="",
                      abs_url="", pdf_url="", published=None, updated=None, categories=(), feed="bench",
                      item_id=str(n))
        papers.append((paper, paper_keys(paper)))
    return papers


def run(catalogue: Catalogue, real: list[str], rounds: int, rng: random.Random) -> None:
    listed = [entry.title for entry in catalogue.entries]
    sample = listed if len(listed) <= 3000 else rng.sample(listed, 3000)
    changed = [changed_title(title, rng) for title in sample for _ in range(max(1, 300 // len(sample)))]
    papers = as_papers(changed + real)
    indexed = ListIndex.from_catalogue(catalogue)
    scan = ScanListIndex.from_catalogue(catalogue)

    found = {name: [index.match(paper, keys=keys) for paper, keys in papers]
             for name, index in (("index", indexed), ("scan", scan))}
    both = sum(1 for a, b in zip(found["index"], found["scan"], strict=True) if a is not None and a == b)
    only_scan = sum(1 for a, b in zip(found["index"], found["scan"], strict=True) if b is not None and a is None)
    only_index = sum(1 for a, b in zip(found["index"], found["scan"], strict=True) if a is not None and b is None)
    differ = sum(1 for a, b in zip(found["index"], found["scan"], strict=True) if None not in (a, b) and a != b)
    print(f"{len(catalogue.entries):,} entries, {len(papers):,} papers ({len(changed):,} changed listed titles, "
          f"{len(real):,} real titles): matched by both {both:,}, only by the scan {only_scan}, only by the index "
          f"{only_index}, to different entries {differ}")

    timings: dict[str, list[float]] = {"index": [], "scan": []}
    for _ in range(rounds):
        order = [("index", indexed), ("scan", scan)]
        rng.shuffle(order)
        for name, index in order:
            gc.collect()
            start = time.perf_counter()
            for paper, keys in papers:
                index.match(paper, keys=keys)
            timings[name].append((time.perf_counter() - start) / len(papers) * 1e6)
    for name, values in timings.items():
        print(f"  {name:5} µs per paper: min {min(values):7.1f}  median {statistics.median(values):7.1f}  "
              f"max {max(values):7.1f}")
    print(f"  scan ÷ index (median): {statistics.median(timings['scan']) / statistics.median(timings['index']):.1f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", type=size_list, default="93,10000", help="list sizes; 93 is the real list")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = parser.parse_args()
    real = real_titles(args.shared)
    for size in args.sizes:
        rng = random.Random(size)
        if size <= 93:
            run(load_catalogue(REPO / "catalogue"), real, args.rounds, rng)
            continue
        with tempfile.TemporaryDirectory() as scratch:
            run(load_catalogue(write_generated(Path(scratch), size)), real, args.rounds, rng)


if __name__ == "__main__":
    main()
