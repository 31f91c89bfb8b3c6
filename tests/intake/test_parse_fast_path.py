"""arXiv's documents are read without feedparser (bot/intake/parse/_etree.py): the papers must be the very ones
feedparser's reading gives, on every real arXiv document we hold, and anything unexpected goes to feedparser."""

from __future__ import annotations

import gc
import tracemalloc
from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.poll_throughput import big_atom
from bot.intake.parse import _feedparser_document, parse_feed, read_document
from bot.intake.parse._defuse import defuse
from bot.intake.parse._etree import read_arxiv_document

FEEDS = Path(__file__).resolve().parents[1] / "data" / "feeds"
REAL_ARXIV = [(path.name, "arxiv_api") for path in sorted(FEEDS.glob("arxiv-api-*.xml"))] + [
    (path.name, "arxiv_rss") for path in sorted(FEEDS.glob("arxiv-listing-*.xml"))]


def by_feedparser(data: bytes, kind: str):
    safe, refusal = defuse(data)
    assert not refusal
    return read_document(_feedparser_document(safe), kind, feed="f")


@pytest.mark.parametrize(("name", "kind"), REAL_ARXIV)
def test_every_real_arxiv_document_gives_the_papers_feedparser_gives(name: str, kind: str) -> None:
    """The same papers, in the same order, with the same counts and errors; except that an abstract whose maths
    feedparser's HTML sanitiser took for a tag ("1/3<s<1" read as a <s> element) keeps its text now."""
    data = (FEEDS / name).read_bytes()
    fast, slow = parse_feed(data, kind, feed="f"), by_feedparser(data, kind)
    assert replace(fast, papers=()) == replace(slow, papers=())
    assert len(fast.papers) == len(slow.papers)
    for ours, theirs in zip(fast.papers, slow.papers, strict=True):
        if ours.abstract != theirs.abstract:
            assert "<" in ours.abstract and len(ours.abstract) > len(theirs.abstract), ours.arxiv_id
            ours = replace(ours, abstract=theirs.abstract)
        assert ours == theirs


def test_maths_that_looks_like_a_tag_is_kept() -> None:
    day = parse_feed((FEEDS / "arxiv-listing-2024-11-28-all.xml").read_bytes(), "arxiv_rss", feed="f")
    abstracts = [p.abstract for p in day.papers]
    assert any("where 1/3<s<1 and V(x)" in a for a in abstracts)  # feedparser's reading: "where 1/3<1 and V(x)"


def test_the_fast_path_reads_the_real_api_and_listing_documents_itself() -> None:
    """Not a fallback in disguise: the 2024+ listing and the API's Atom are read by ElementTree."""
    for name, kind in (("arxiv-listing-2024-11-28-all.xml", "arxiv_rss"), ("arxiv-api-testing-100.xml", "arxiv_api")):
        document = read_arxiv_document(defuse((FEEDS / name).read_bytes())[0], kind)
        assert document is not None and document.entries, name
    whole_day = parse_feed((FEEDS / "arxiv-listing-2024-11-28-all.xml").read_bytes(), "arxiv_rss", feed="f")
    assert (whole_day.total_items, len(whole_day.papers), whole_day.errors) == (1504, 933, ())


ITEM = """<item><title>{title}</title><link>https://arxiv.org/abs/2411.00001</link>
<description>arXiv:2411.00001v1 Announce Type: new
Abstract: {abstract}</description><guid isPermaLink="false">oai:arXiv.org:2411.00001v1</guid>
<category>cs.CL</category><pubDate>Thu, 28 Nov 2024 00:00:00 -0500</pubDate>
<arxiv:announce_type>new</arxiv:announce_type></item>"""


def listing(*items: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:arxiv="http://arxiv.org/schemas/atom" '
            f'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>cs.CL updates on arXiv.org</title>'
            f'{"".join(items)}</channel></rss>').encode()


@pytest.mark.parametrize(("title", "abstract"), [
    ("Plain &amp; simple: p &lt; 0.05", "We show x &lt; y &amp;&amp; z &gt; w."),
    ("Markup &lt;b&gt;bold&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt; title",
     "An &lt;i&gt;italic&lt;/i&gt; claim."),
    ("TeX $\\alpha$-probing of \\textit{LLMs}", "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u2014 \u201cquoted\u201d."),
    ("  Spaced\n   out  title ", "\n  Lines\n\n and   spaces  "),
])
def test_odd_but_well_formed_text_reads_the_same_both_ways(title: str, abstract: str) -> None:
    data = listing(ITEM.format(title=title, abstract=abstract))
    assert read_arxiv_document(defuse(data)[0], "arxiv_rss") is not None
    assert parse_feed(data, "arxiv_rss", feed="f") == by_feedparser(data, "arxiv_rss")


@pytest.mark.parametrize("data", [
    listing(ITEM.format(title="Broken <b>unclosed", abstract="x")),  # not well-formed: feedparser salvages
    listing(ITEM.format(title="<![CDATA[In CDATA]]> <i>markup</i> inside", abstract="x")),  # an element in a title
    b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',  # another format
])
def test_anything_unexpected_is_read_by_feedparser_as_before(data: bytes) -> None:
    assert read_arxiv_document(defuse(data)[0], "arxiv_rss") is None
    assert parse_feed(data, "arxiv_rss", feed="f") == by_feedparser(data, "arxiv_rss")


def test_an_item_found_wrong_part_way_through_sends_the_whole_document_to_feedparser() -> None:
    """Entries are read as the papers are made: a bad second item is found after the first paper, which is dropped
    with the rest, and feedparser reads the document as it would have from the start."""
    data = listing(ITEM.format(title="A fine first title", abstract="x"),
                   ITEM.format(title="<![CDATA[In CDATA]]> <i>markup</i> inside", abstract="y"))
    assert read_arxiv_document(defuse(data)[0], "arxiv_rss") is not None  # the first item reads well
    assert parse_feed(data, "arxiv_rss", feed="f") == by_feedparser(data, "arxiv_rss")


def test_a_channel_date_after_the_items_still_dates_them() -> None:
    """An item without a date takes the channel's; a channel that gives it only after its items (here well after
    the first, past what the parser reads at once) is read whole."""
    date = "<pubDate>Thu, 28 Nov 2024 00:00:00 -0500</pubDate>"
    undated = ITEM.replace(date, "").replace("2411.00001", "2411.{n:05d}")
    items = [undated.format(n=n, title=f"Probing undated paper {n}", abstract="x" * 500) for n in range(1, 80)]
    data = listing(*items).replace(b"</channel>", f"{date}</channel>".encode())
    parsed = parse_feed(data, "arxiv_rss", feed="f")
    assert parsed == by_feedparser(data, "arxiv_rss")
    assert {paper.published.isoformat() for paper in parsed.papers if paper.published} == {"2024-11-28T05:00:00+00:00"}
    assert len(parsed.papers) == 79


def test_a_big_document_is_never_held_as_entries_and_papers_at_once() -> None:
    """Each entry is read when its paper is made and dropped after: a 1,000-entry API document (2.3 MB) adds its
    papers and little more. Read whole first, its entries took 5.7 kB each on top of the body."""
    data = big_atom(1000)[0]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        parsed = parse_feed(data, "arxiv_api", feed="f")
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert len(parsed.papers) == 1000
    assert peak / 1000 < 4300
