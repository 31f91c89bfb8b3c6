"""What readers' lookups build stays in a bot for as long as it runs (the full-text index, the link index, the paper
finder), under every poll's peak: at 10,000 entries it is part of the 150 MB that benchmarks/footprint.py measures.
Measured here on a generated list (benchmarks/generated.py), in bytes an entry, with tracemalloc."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable

from benchmarks.generated import generated_catalogue
from bot.catalogue.identifiers import entry_keys, query_keys
from bot.catalogue.search import CatalogueIndex
from bot.catalogue.yaml_io import load_catalogue
from tests.conftest import CATALOGUE

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


def spellings(url: str) -> list[str]:
    """Ways readers write a link: as listed, bare, with www., as http, shouted, slashes doubled, a version, the PDF."""
    bare = url.split("://", 1)[-1]
    return [url, bare, f"www.{bare}", url.replace("https://", "http://"), url.upper(), bare.replace("/", "//", 1),
            f"{url}v3", url.replace("/abs/", "/pdf/"), f"{url}/", f"<{url}>"]


def test_the_link_index_finds_what_every_entrys_keys_find() -> None:
    """The index leaves out keys that say no more than others (an arXiv page's address, beside its id): every
    spelling of every link of the list, and of the generated list, finds exactly the entries whose keys it shares."""
    for catalogue in (load_catalogue(CATALOGUE), generated_catalogue(300)):
        index = CatalogueIndex(catalogue)
        entries = list(catalogue.entries)
        keys = [entry_keys(entry) for entry in entries]
        for url in {link.url for entry in entries for link in entry.links}:
            for query in spellings(url):
                asked = query_keys(query)
                expected = [entry for entry, held in zip(entries, keys, strict=True) if held & asked]
                assert index.search.by_link(query) == expected, query


def test_the_link_index_holds_one_key_an_arxiv_entry() -> None:
    """An entry that links its arXiv page is found by the id (any spelling of the page's address carries it): the
    address's own key beside it took 250 bytes an entry here, where the index now takes 150."""
    catalogue = generated_catalogue(ENTRIES)
    index = CatalogueIndex(catalogue)
    index.search.search("warm up")
    kept, found = kept_bytes(lambda: index.search.by_link(catalogue.entries[-1].links[0].url))
    assert found == [catalogue.entries[-1]]
    assert kept / ENTRIES < 190
