"""What readers' lookups build stays in a bot for as long as it runs (the full-text index, the link index, the paper
finder), under every poll's peak: at 10,000 entries it is part of the 150 MB that benchmarks/footprint.py measures.
Measured here on a generated list (benchmarks/generated.py), in bytes an entry, with tracemalloc."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable

from benchmarks.generated import generated_catalogue
from bot.catalogue.search import CatalogueIndex

ENTRIES = 3000


def kept_bytes(build: Callable[[], object]) -> tuple[int, object]:
    """Bytes still allocated once `build` has run (its result held), and the result."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        built = build()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before, built
    finally:
        tracemalloc.stop()


def test_what_lookups_build_costs_about_a_kilobyte_an_entry() -> None:
    catalogue = generated_catalogue(ENTRIES)
    entry = catalogue.entries[-1]

    def look_up() -> CatalogueIndex:
        index = CatalogueIndex(catalogue)
        assert index.finder.find(entry.links[0].url).entry == entry  # the link index and the finder
        assert index.finder.find(entry.title).entry == entry
        assert index.search.search(entry.title, limit=1)[0].entry == entry
        index.neighbours.for_match(index.topics.resolve("probing"), "probing")
        return index

    kept, _ = kept_bytes(look_up)
    # A word's entries as a set of ints, a link key as a tuple and a one-entry list, and a second copy of every
    # folded title took twice this (2,000 bytes an entry here, 1,600 at 10,000 entries).
    assert kept / ENTRIES < 1300
