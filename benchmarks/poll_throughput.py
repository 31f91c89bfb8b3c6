"""Poll throughput: an arXiv API Atom document through the whole poll, `Intake.process` (parse → normalise → dedupe
against the list → score → store in SQLite), beside `feedparser.parse` alone and `ElementTree.fromstring` alone on
the same bytes. Target: one poll of 2,000 entries ≤ 1.5× feedparser alone, on the real list and on 10,000 entries.

    python -m benchmarks.poll_throughput [--rounds 5] [--big-rounds 3] [--entries 500,2000,8000] [--sizes 93,10000]

Built not to flatter:
* every measurement of every feed size runs once a round, all of them in a fresh random order each round (each list
  in a process of its own), so a busy moment of the shared machine hurts every column alike; the ratio is taken
  round by round, in wall time and in the thread's CPU time (on two cores shared with other jobs, wall time also
  counts their slices);
* `gc.collect()` before every timed run, and the per-text caches (titles, TeX, relevance words) emptied: the feed
  repeats the fixture's 100 abstracts, and a real day's papers would not find them from the last round;
* "poll" is a first sight of every paper, into a fresh SQLite database each time; "second poll" processes the same
  body again against a database that has stored it (every item already seen);
* 5 % of each feed's entries are papers of the list (their arXiv ids, or their titles varied: plural, typo, word
  order), so the dedupe path finds some; the table says how many the poll marked listed;
* the relevance model and the list index are built before timing, as a running bot builds them once per catalogue
  version (`_ingest` would otherwise build them on the first poll's clock).
"""

from __future__ import annotations

import argparse
import gc
import io
import itertools
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import feedparser

from benchmarks.generated import REPO, size_list, write_generated
from bot.catalogue.model import Catalogue
from bot.catalogue.service import CatalogueService
from bot.intake import identity, tex
from bot.intake.fetch import Fetcher
from bot.intake.poll import FeedReport, Intake
from bot.intake.relevance import text as relevance_text
from bot.intake.sources import FeedSpec
from bot.settings import Settings, load_settings
from bot.store.db import Database
from bot.store.feeds import FeedState

FIXTURE = REPO / "tests" / "data" / "feeds" / "arxiv-api-testing-100.xml"
LISTED_SHARE = 0.05  # of a feed's entries that are papers of the list
TARGET_RATIO = 1.5
TARGET_ENTRIES = 2000
MEASUREMENTS = ("feedparser", "ElementTree", "poll", "second poll")
_NEW_STYLE_ID = re.compile(r"(abs|pdf)/\d{4}\.\d{4,5}")
_OLD_STYLE_ID = re.compile(r"(abs|pdf)/([a-z-]+(?:\.[A-Z]{2})?)/\d{7}")


def listed_papers(catalogue: Catalogue) -> list[tuple[str | None, str]]:
    """(arXiv id or None, title) of every list entry, in the list's order."""
    papers = []
    for entry in catalogue.entries:
        if entry.arxiv:  # an entry that links its venue page records its arXiv id beside the link
            papers.append((entry.arxiv, entry.title))
            continue
        ids = (identity.arxiv_id(link.url) for link in entry.links if "arxiv" in link.url.lower())
        found = next((ident for ident in ids if ident is not None), None)
        papers.append((found[0] if found else None, entry.title))
    return papers


def varied_title(title: str, variation: int) -> str:
    """The title as it is, or as another source spells it: a plural/singular, a typo, two words swapped."""
    words = title.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if variation == 1:
        words[longest] = word[:-1] if word.endswith("s") else word + "s"
    elif variation == 2 and len(word) > 3:
        words[longest] = word[:1] + word[2] + word[1] + word[3:]  # two letters transposed
    elif variation == 3 and len(words) > 1:
        words[0], words[1] = words[1], words[0]
    return " ".join(words)


def big_atom(entries: int, listed: Sequence[tuple[str | None, str]] = (), *, seed: int = 16) -> tuple[bytes, int]:
    """The real 100-entry arXiv response, its entries repeated with fresh ids up to `entries`, and how many of them
    are papers of the list (`listed`): one in twenty, each a distinct list entry, with the entry's arXiv id when it
    has one (a new version of a listed paper), else a fresh id and its title, exact or varied."""
    text = FIXTURE.read_text(encoding="utf-8")
    head, rest = text.split("<entry>", 1)
    body, tail = ("<entry>" + rest).rsplit("</entry>", 1)
    originals = re.findall(r"<entry>.*?</entry>", body + "</entry>", flags=re.S)
    rng = random.Random(seed)
    wanted = min(int(entries * LISTED_SHARE), len(listed))
    planted = dict(zip(rng.sample(range(entries), wanted), rng.sample(list(listed), wanted), strict=True))
    out = []
    for n in range(entries):
        entry = originals[n % len(originals)]
        # abs and pdf links renumbered alike: each entry is one new paper, sharing no key with another (2021 ids:
        # neither the real list, 2022-2023, nor the generated one, 2024, has any)
        fresh = f"21{n // 100000 % 12 + 1:02d}.{n % 100000:05d}"
        entry = _NEW_STYLE_ID.sub(rf"\1/{fresh}", entry)
        # old-style ids (hep-th/0601001) too, with a valid YYMM
        old_style = f"{92 + n // 12000:02d}{n % 12 + 1:02d}{n // 12 % 1000:03d}"
        entry = _OLD_STYLE_ID.sub(rf"\1/\2/{old_style}", entry)
        title = f"Batch {n // len(originals)} "
        if n in planted:
            listed_id, listed_title = planted[n]
            if listed_id is not None:
                entry = re.sub(r"(abs|pdf)/[^\s\"<]+?(?=v\d|\"|<)", rf"\1/{listed_id}", entry)
            entry = re.sub(r"<title>.*?</title>", "<title></title>", entry, count=1, flags=re.S)
            title = escape(varied_title(listed_title, n % 4))
        out.append(entry.replace("<title>", f"<title>{title}", 1))
    return (head + "".join(out) + tail).encode("utf-8"), wanted


@dataclass
class ListUnderTest:
    """One list, loaded through the normal loader, with what a running bot builds once per catalogue version."""

    size: int
    settings: Settings
    catalogue: CatalogueService
    builder: Intake  # on a database of its own: its relevance model and list index serve every first poll
    papers: list[tuple[str | None, str]]

    @classmethod
    def load(cls, directory: Path, scratch: Path) -> ListUnderTest:
        settings = load_settings(catalogue_dir=directory, database_url=f"sqlite:///{scratch}/builder.db")
        catalogue = CatalogueService(directory)
        builder = Intake(Database.open(settings.database_url), catalogue, Fetcher(client=None), settings)  # type: ignore[arg-type]
        builder.relevance.model()
        builder.listed.index(catalogue.index.catalogue, {})  # a fresh database has learned no arXiv ids
        return cls(len(catalogue.index.catalogue.entries), settings, catalogue, builder,
                   listed_papers(catalogue.index.catalogue))

    def intake(self, url: str) -> Intake:
        """An Intake on `url` that shares the prebuilt model and list index (no lessons, no learned ids yet)."""
        intake = Intake(Database.open(url), self.catalogue, Fetcher(client=None), self.settings)  # type: ignore[arg-type]
        intake.relevance, intake.listed = self.builder.relevance, self.builder.listed
        return intake


@dataclass
class Cell:
    """One (list, feed size) pair: its document, and the database its second polls run against."""

    listed: ListUnderTest
    entries: int
    data: bytes
    planted: int
    scratch: Path
    rounds: int
    seen: Intake | None = None
    samples: dict[str, list[Seconds]] = field(default_factory=lambda: {m: [] for m in MEASUREMENTS})
    ratios: list[Seconds] = field(default_factory=list)  # poll / feedparser, round by round
    marked_listed: set[int] = field(default_factory=set)
    runs: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def feed(self) -> FeedSpec:
        return FeedSpec(name="bench", url="https://export.arxiv.org/api/query", kind="arxiv_api",
                        max_entries=self.entries)

    def process(self, intake: Intake) -> FeedReport:
        report, _ = intake.process(self.feed, FeedState(name="bench", initialised=True), self.data, intake.db.now())
        return report

    def prepare_second_poll(self) -> None:
        """A database that has stored this body once (untimed), and its list index with the arXiv ids it learned."""
        self.seen = Intake(Database.open(f"sqlite:///{self.scratch}/seen-{self.listed.size}-{self.entries}.db"),
                           self.listed.catalogue, Fetcher(client=None), self.listed.settings)  # type: ignore[arg-type]
        self.seen.relevance = self.listed.builder.relevance
        self.process(self.seen)
        self.seen.listed.index(self.listed.catalogue.index.catalogue, self.seen.store.listed_arxiv_ids())

    def first_poll(self) -> Seconds:
        path = self.scratch / f"poll-{self.listed.size}-{self.entries}-{next(self.runs)}.db"
        intake = self.listed.intake(f"sqlite:///{path}")
        seconds, report = timed(lambda: self.process(intake))
        intake.db.close()
        path.unlink()
        assert report.status == "ok" and report.new == self.entries, report
        self.marked_listed.add(report.listed)
        return seconds

    def second_poll(self) -> Seconds:
        assert self.seen is not None
        intake = self.seen
        seconds, report = timed(lambda: self.process(intake))
        assert report.status == "ok" and report.new == 0, report
        return seconds

    def feedparser(self) -> Seconds:
        # The call the bot makes (bot/intake/parse): without relative-URI resolution, which the default would add.
        seconds, parsed = timed(lambda: feedparser.parse(io.BytesIO(self.data), resolve_relative_uris=False,
                                                         sanitize_html=True))
        assert len(parsed.entries) == self.entries
        return seconds

    def element_tree(self) -> Seconds:
        seconds, root = timed(lambda: ElementTree.fromstring(self.data))
        assert len(root) > self.entries
        return seconds


T = TypeVar("T")
Seconds = tuple[float, float]  # (wall, this thread's CPU)


def timed(work: Callable[[], T]) -> tuple[Seconds, T]:
    """Wall and CPU seconds of `work()` from a clean start: the last run's garbage collected, the per-text caches
    empty. The poll runs in this one thread (SQLite included), so the thread's CPU time is all of its work."""
    identity.normalise_title.cache_clear()
    tex._convert.cache_clear()
    relevance_text.clear_caches()
    gc.collect()
    wall, cpu = time.perf_counter(), time.thread_time()
    result = work()
    return (time.perf_counter() - wall, time.thread_time() - cpu), result


def measure(cells: list[Cell], seed: int) -> None:
    rng = random.Random(seed)
    runners: dict[str, Callable[[Cell], Seconds]] = {
        "feedparser": Cell.feedparser, "ElementTree": Cell.element_tree,
        "poll": Cell.first_poll, "second poll": Cell.second_poll,
    }
    rounds = max(cell.rounds for cell in cells)
    for number in range(rounds):
        in_round = [cell for cell in cells if number < cell.rounds]
        work = [(cell, name) for cell in in_round for name in MEASUREMENTS]
        rng.shuffle(work)
        for cell, name in work:
            cell.samples[name].append(runners[name](cell))
        for cell in in_round:
            (poll_wall, poll_cpu), (parse_wall, parse_cpu) = cell.samples["poll"][-1], cell.samples["feedparser"][-1]
            cell.ratios.append((poll_wall / parse_wall, poll_cpu / parse_cpu))
        print(f"round {number + 1}/{rounds} done ({len(in_round)} cells)", flush=True)


def report(cells: list[Cell]) -> None:
    for clock, which in (("wall", 0), ("CPU", 1)):
        print(f"\n{clock} time, seconds (min / median / max):")
        columns = "".join(f"  {name:>20}" for name in MEASUREMENTS)
        print(f"{'list':>6} {'entries':>7} {'rounds':>6}{columns}  {'poll / feedparser':>26}  listed")
        for cell in cells:
            ratios = [ratio[which] for ratio in cell.ratios]
            median = statistics.median(ratios)
            ratio = f"{median:.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"
            if cell.entries == TARGET_ENTRIES:
                ratio += " met" if median <= TARGET_RATIO else " NOT met"
            spreads = ""
            for name in MEASUREMENTS:
                values = [sample[which] for sample in cell.samples[name]]
                spreads += f"  {min(values):6.2f} {statistics.median(values):6.2f} {max(values):6.2f}"
            found = "/".join(str(n) for n in sorted(cell.marked_listed))
            print(f"{cell.listed.size:>6} {cell.entries:>7} {cell.rounds:>6}{spreads}  {ratio:>26}  "
                  f"{found} of {cell.planted}")
    print(f"\nratio: median (min-max) of the rounds' poll / feedparser; target at {TARGET_ENTRIES:,} entries "
          f"<= {TARGET_RATIO}x. listed: papers the poll marked listed, of those planted from the list")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="rounds over every cell (default 5)")
    # An 8,000-entry cell takes about four times a 2,000-entry one: fewer rounds keep the default run near
    # 8 minutes on this shared 2-core machine.
    parser.add_argument("--big-rounds", type=int, default=3,
                        help="rounds for feeds over 2,000 entries (default 3; at most --rounds)")
    parser.add_argument("--entries", type=size_list, default="500,2000,8000", help="feed sizes")
    parser.add_argument("--sizes", type=size_list, default="93,10000", help="list sizes (93 is the real list)")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    sizes = args.sizes
    if len(sizes) > 1:
        # One process per list: a poll's own garbage collections walk the whole heap, and a bot keeping the real
        # list holds no 10,000-entry catalogue beside it.
        for size in sizes:
            print(f"\n== list of {size:,} entries", flush=True)
            options = [f"--{name.replace('_', '-')}={','.join(map(str, value)) if isinstance(value, list) else value}"
                       for name, value in vars(args).items() if name != "sizes"]
            subprocess.run([sys.executable, "-m", "benchmarks.poll_throughput", f"--sizes={size}", *options],
                           cwd=REPO, check=True)
        return
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        size = sizes[0]
        directory = REPO / "catalogue" if size <= 93 else write_generated(scratch / "catalogue", size)
        listed = ListUnderTest.load(directory, scratch)
        cells = []
        for entries in args.entries:
            data, planted = big_atom(entries, listed.papers, seed=args.seed)
            rounds = args.rounds if entries <= TARGET_ENTRIES else min(args.rounds, args.big_rounds)
            cell = Cell(listed, entries, data, planted, scratch, rounds)
            cell.prepare_second_poll()
            cells.append(cell)
        measure(cells, args.seed)
        report(cells)

if __name__ == "__main__":
    main()
