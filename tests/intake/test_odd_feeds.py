"""Odd and hostile feeds met on the real web (issue 12), each served on loopback and polled whole: a bad field costs
that field or item, never the feed; what parses in part is degraded; arXiv's own quirks, from real captures."""

from __future__ import annotations

import gzip
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.intake.health import feed_health
from bot.intake.poll import Intake
from bot.intake.sources import FeedSpec
from tests.fakes.feed_server import FeedServer
from tests.intake.conftest import FEEDS_DIR, feed, forget_arxiv_field


def served(server: FeedServer, name: str, body: bytes, kind: str = "rss", headers: dict[str, str] | None = None,
           **options: Any) -> FeedSpec:
    return FeedSpec(name=name, url=server.serve(name, body, headers), kind=kind, **options)  # type: ignore[arg-type]


def rss(*items: str, encoding: str = "utf-8") -> str:
    return (f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>odd</title>'
            f'<link>https://example.org/</link>{"".join(items)}</channel></rss>')


def item(title: str, link: str, description: str = "", extra: str = "") -> str:
    return (f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
            f"<description>{description}</description>{extra}</item>")


def by_title(intake: Intake) -> dict[str, Any]:
    return {p.title: p for p in intake.store.papers()}


def api_entry_for(ident: str, title: str, summary: str) -> bytes:
    """The real arXiv API answer for one id (2104.12255v1), with another paper's id, title and summary in it."""
    real = (FEEDS_DIR / "arxiv-api-versioned.xml").read_text(encoding="utf-8")
    real = real.replace("2104.12255", ident).replace("<title>0</title>", f"<title>{title}</title>")
    start, end = real.index("<summary>") + 9, real.index("</summary>")
    return (real[:start] + summary + real[end:]).encode("utf-8")


# --------------------------------------------------------------------------- 2. one bad date


async def test_impossible_dates_cost_the_date_not_the_feed(parts, feed_server) -> None:
    intake: Intake = parts["intake"]
    dates = ["0000-00-00T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
             "2024-05-24T10:00:00Z"]
    entries = "".join(
        f"<entry><id>urn:odd:{n}</id><title>Probing study number {n} of linear representations</title>"
        f'<link href="https://example.org/p/{n}"/><published>{when}</published><updated>{when}</updated></entry>'
        for n, when in enumerate(dates))
    atom = (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>dates</title>'
            f"<id>urn:odd</id><updated>{dates[0]}</updated>{entries}</feed>").encode()
    report = await intake.poll_feed(served(feed_server, "bad-dates", atom))
    assert report.status == "ok", report.error
    stored = by_title(intake)
    assert len(stored) == 4  # every entry kept
    assert stored["Probing study number 3 of linear representations"].published == datetime(2024, 5, 24, 10,
                                                                                             tzinfo=UTC)
    assert stored["Probing study number 2 of linear representations"].published is None  # that field lost


# --------------------------------------------------------------------------- 3. entity refusal, both directions


LAUGHS = """<?xml version="1.0" encoding="{encoding}"?>
<!DOCTYPE rss [ <!ENTITY lol "lol"> <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"> ]>
<rss version="2.0"><channel><title>&lol2;</title>
<item><title>Laughing &lol2;</title><link>https://example.org/a</link><guid>a</guid></item></channel></rss>"""


async def test_entities_in_a_document_declared_as_ebcdic_or_utf7_are_refused(parts, feed_server) -> None:
    intake: Intake = parts["intake"]
    ebcdic = LAUGHS.format(encoding="cp037").encode("cp037")
    utf7_head, utf7_rest = LAUGHS.format(encoding="utf-7").split("\n", 1)
    # UTF-7 may spell "<!" as "+ADwAIQ-" (Python's encoder leaves it direct: spelled by hand here).
    utf7 = (utf7_head + "\n" + utf7_rest.replace("<!", "+ADwAIQ-")).encode("ascii")
    assert b"<!DOCTYPE" not in ebcdic and b"<!DOCTYPE" not in utf7  # what the old byte-level check looked for
    for name, body in (("ebcdic", ebcdic), ("utf7", utf7)):
        report = await intake.poll_feed(served(feed_server, name, body))
        assert report.status == "failed", name
        assert report.error.startswith("refused: the document declares XML entities"), (name, report.error)
    assert intake.store.papers() == []


async def test_an_item_that_only_mentions_a_doctype_is_an_ordinary_item(parts, feed_server) -> None:
    intake: Intake = parts["intake"]
    description = ("<![CDATA[<p>Why do HTML files start with <code><!DOCTYPE html></code>, and what does "
                   "<code><!ENTITY></code> declare? A probing study of what language models know about markup.</p>]]>")
    body = rss(item("What Language Models Know About Markup Declarations", "https://example.org/markup",
                    description)).encode()
    report = await intake.poll_feed(served(feed_server, "mentions-doctype", body))
    assert report.status == "ok", report.error
    paper = by_title(intake)["What Language Models Know About Markup Declarations"]
    assert "A probing study of what language models know about markup." in paper.abstract


# --------------------------------------------------------------------------- 7. partial parses are degraded


async def test_a_partial_parse_is_stored_and_shown_degraded_until_a_whole_one(parts, feed_server) -> None:
    intake: Intake = parts["intake"]
    whole = (FEEDS_DIR / "arxiv-api-testing-100.xml").read_bytes()
    packed = gzip.compress(whole)
    cut = served(feed_server, "cut-gzip", packed[: len(packed) // 2], "arxiv_api",
                 headers={"Content-Encoding": "gzip"})
    report = await intake.poll_feed(cut)
    assert report.status == "ok"
    assert 0 < report.new < 100
    assert report.degraded.startswith("the gzip body ends early (truncated)")
    state = intake.store.feed_state("cut-gzip")
    health = feed_health(cut, state, parts["clock"].now)
    assert (health.state, health.since) == ("degraded", parts["clock"].now)
    assert health.reason.startswith("the gzip body ends early (truncated) (and 1 more problem(s))")

    malformed = served(feed_server, "malformed", whole[: len(whole) // 3], "arxiv_api")
    report = await intake.poll_feed(malformed)
    assert report.degraded.startswith("malformed feed")
    assert "DEGRADED: malformed feed" in report.summary()

    parts["clock"].now += timedelta(hours=2)
    feed_server.serve("malformed", whole)  # the next poll brings the whole document
    await intake.poll_feed(malformed, force=True)
    assert feed_health(malformed, intake.store.feed_state("malformed"), parts["clock"].now).state != "degraded"


async def test_a_reference_to_no_character_costs_that_character_not_the_feed(parts, feed_server) -> None:
    """`&#x110000;`, a surrogate or an absurdly long reference in one summary of a real arXiv API answer made
    feedparser raise, which failed the whole feed on every poll until the item left it."""
    intake: Intake = parts["intake"]
    refs = ("&#x110000;", "&#1114112;", "&#99999999999999999999;", "&#xD800;", "&#1;")
    for n, bad in enumerate(refs):
        body = api_entry_for(f"2411.0000{n}", f"Probing flaw {n}", f"Flawed {bad} text.")
        report = await intake.poll_feed(served(feed_server, f"charref-{n}", body, "arxiv_api"))
        assert (report.status, report.new, report.degraded) == ("ok", 1, ""), (bad, report.error)
    abstracts = {title: paper.abstract for title, paper in by_title(intake).items()}
    assert abstracts == {"Probing flaw 0": "Flawed \ufffd text.", "Probing flaw 1": "Flawed \ufffd text.",
                         "Probing flaw 2": "Flawed \ufffd text.", "Probing flaw 3": "Flawed \ufffd text.",
                         "Probing flaw 4": "Flawed text."}


async def test_a_nul_character_in_an_items_id_or_link_costs_that_character_not_the_feed(parts, feed_server) -> None:
    """A raw NUL (no XML character) in a guid or a link was kept by the loose parser and became part of a key:
    PostgreSQL, whose text cannot hold NUL, failed the whole feed on every poll (SQLite stored it)."""
    intake: Intake = parts["intake"]
    body = rss(
        item("Probing attention heads in small transformers", "https://example.org/po\x00st-1", "Sparse features."),
        "<item><title>Circuits in GPT-2 found with sparse autoencoders</title><link>https://example.org/post-2</link>"
        "<guid>post\x00-2</guid><description>Mechanistic\x00 interpretability.</description></item>",
    ).encode("utf-8")
    for kind in ("rss", "forum_rss"):
        report = await intake.poll_feed(served(feed_server, f"nul-{kind.replace('_', '-')}", body, kind))
        assert (report.status, report.items) == ("ok", 2), report.error
    papers = by_title(intake)
    assert sorted(papers) == ["Circuits in GPT-2 found with sparse autoencoders",
                              "Probing attention heads in small transformers"]
    assert papers["Probing attention heads in small transformers"].abs_url == "https://example.org/post-1"
    assert papers["Circuits in GPT-2 found with sparse autoencoders"].abstract == "Mechanistic interpretability."


async def test_unicode_whitespace_in_a_namespace_costs_nothing(parts, feed_server) -> None:
    """`xmlns:x="urn:a\u00a0b"` (or a raw 0xA0 byte in a feed read as cp1252) made feedparser raise: xml.sax
    splits the namespace from the name at any whitespace."""
    intake: Intake = parts["intake"]
    for n, space in enumerate(("\u00a0", "\u2003", "\u3000")):
        body = rss(item(f"Probing paper {n}", f"https://example.org/ns-{n}", "An abstract.", "<x:y>1</x:y>"))
        body = body.replace('<rss version="2.0">', f'<rss version="2.0" xmlns:x="urn:a{space}b">')
        report = await intake.poll_feed(served(feed_server, f"namespace-{n}", body.encode()))
        assert (report.status, report.new) == ("ok", 1), report.error
    cp1252 = rss(item("Probing paper 3", "https://example.org/ns-3"), encoding="windows-1252").encode("cp1252")
    cp1252 = cp1252.replace(b'<rss version="2.0">', b'<rss version="2.0" xmlns:x="urn:a\xa0b">')
    report = await intake.poll_feed(served(feed_server, "namespace-cp1252", cp1252))
    assert (report.status, report.new) == ("ok", 1), report.error
    assert sorted(by_title(intake)) == [f"Probing paper {n}" for n in range(4)]


# --------------------------------------------------------------------------- 8. sizes


async def test_every_text_field_is_bounded_when_parsed(parts, feed_server) -> None:
    intake: Intake = parts["intake"]
    huge_title = "Interpretable " + "very " * 197_199 + "long title"  # 986,019 characters
    authors = ", ".join(f"Author Number{n}" for n in range(12_000))
    body = rss(item(huge_title, "https://example.org/huge", "An abstract " * 20_000,
                    f"<author>{authors}</author>")).encode()
    report = await intake.poll_feed(served(feed_server, "huge-fields", body))
    assert report.status == "ok", report.error
    (paper,) = intake.store.papers()
    assert len(huge_title) == 986_019
    assert len(paper.title) <= 300
    assert paper.title.endswith(" …")
    assert len(paper.abstract) <= 2000
    assert sum(len(a) for a in paper.authors) <= 50 * 100


async def test_two_items_with_one_id_cost_the_second_not_the_feed(parts, feed_server) -> None:
    """Two different posts under one guid failed the whole poll ("could not record paper ... after 3 attempts"),
    and the items after them were not stored either."""
    intake: Intake = parts["intake"]
    body = rss(
        "<item><title>Sparse autoencoders find interpretable features</title><link>https://example.org/a</link>"
        "<guid>post</guid></item>",
        "<item><title>Circuits in transformer language models explained</title><link>https://example.org/b</link>"
        "<guid>post</guid></item>",
        item("Probing classifiers for syntax in language models", "https://example.org/c"),
        item("Probing classifiers for syntax in language models", "https://example.org/c"),  # the same item again
    ).encode()
    report = await intake.poll_feed(served(feed_server, "one-guid", body))
    assert report.status == "ok", report.error
    assert report.degraded == "item 2: skipped: item 1, another one, has the same id 'post'"
    assert sorted(by_title(intake)) == ["Probing classifiers for syntax in language models",
                                        "Sparse autoencoders find interpretable features"]
    assert intake.store.feed_state("one-guid").consecutive_failures == 0


async def test_deeply_nested_parentheses_among_the_authors_cost_no_time(parts, feed_server) -> None:
    """Affiliations were removed innermost pair first, one pass each: 50,000 nested parentheses in one item's
    dc:creator held the poll for most of a minute (its feed failed at the deadline, and every feed after it waited
    for the one thread that processes them)."""
    intake: Intake = parts["intake"]
    listing = (FEEDS_DIR / "arxiv-listing-rss2-cs-cl.xml").read_text(encoding="utf-8")
    real = "<dc:creator>Asma Ghandeharioun, Avi Caciularu, Adam Pearce, Lucas Dixon, Mor Geva</dc:creator>"
    assert real in listing
    nested = "(Lab, " * 50_000 + ")" * 50_000
    body = listing.replace(real, f"<dc:creator>Asma Ghandeharioun {nested}, Mor Geva (Tel Aviv)</dc:creator>")
    report = await intake.poll_feed(served(feed_server, "nested", body.encode(), "arxiv_rss"))
    assert report.status == "ok", report.error
    patchscopes = next(p for p in intake.store.papers() if p.arxiv_id == "2401.06102")
    assert patchscopes.authors == ("Asma Ghandeharioun", "Mor Geva")


async def test_a_name_of_one_endless_word_costs_no_time(parts, feed_server) -> None:
    """feedparser looks for an e-mail address in each author with a regular expression quadratic in the longest
    run of letters in it: a 100,000-letter dc:creator in the real LessWrong feed held the poll for most of a
    minute (200,000: four), its feed failed at the deadline and every feed after it waited."""
    intake: Intake = parts["intake"]
    real = (FEEDS_DIR / "lesswrong-frontpage.xml").read_text(encoding="utf-8")
    assert "<dc:creator><![CDATA[Logan Riggs]]></dc:creator>" in real
    body = real.replace("<dc:creator><![CDATA[Logan Riggs]]></dc:creator>",
                        f"<dc:creator><![CDATA[Logan {'R' * 100_000}]]></dc:creator>")
    report = await intake.poll_feed(served(feed_server, "endless-name", body.encode(), "forum_rss"))
    assert report.status == "ok", report.error
    stored = by_title(intake)
    assert stored["Sparse Autoencoders Find Highly Interpretable Directions in Language Models"].authors == (
        "Logan " + "R" * 92 + " …",)
    assert len(stored) == 3


@pytest.mark.parametrize(("creator", "shown"), [
    ("Logan " + "&#82;" * 60_000, "Logan RRRR"),  # one character each, as the parser reads them
    ("Logan " + ("R" * 60 + "<![CDATA[]]>") * 1_000, "Logan RRRR"),  # runs of 60 bytes, one run of text
    ("Logan " + ("R" * 60 + "<!---->") * 1_000, "Logan RRRR"),
    # A closing tag that is text, and no HTML element's: kept as the text it is
    ("<![CDATA[Logan </dc:creator> " + "R" * 60_000 + "]]>", "Logan </dc:creator> RRRR"),
], ids=["references", "cdata", "comments", "closing-in-cdata"])
async def test_a_name_of_one_endless_word_written_in_pieces_costs_no_time(parts, feed_server, creator,
                                                                          shown) -> None:
    """feedparser's e-mail pattern reads an author's text: 60,000 "&#82;", or runs of 60 letters split by empty
    CDATA sections or comments, were one 60,000-letter word to it (12 s each; 200,000: minutes), past the poll's
    deadline, with every feed after it waiting for the one thread that processes them."""
    intake: Intake = parts["intake"]
    real = (FEEDS_DIR / "lesswrong-frontpage.xml").read_text(encoding="utf-8")
    body = real.replace("<dc:creator><![CDATA[Logan Riggs]]></dc:creator>", f"<dc:creator>{creator}</dc:creator>")
    report = await intake.poll_feed(served(feed_server, "endless-pieces", body.encode(), "forum_rss"))
    assert report.status == "ok", report.error
    stored = by_title(intake)
    assert stored["Sparse Autoencoders Find Highly Interpretable Directions in Language Models"].authors[0].startswith(
        shown)
    assert len(stored) == 3


async def test_a_post_full_of_author_tags_never_closed_costs_no_time(parts, feed_server) -> None:
    """60,000 "<author>" in one post's HTML, never closed: nothing in it may read the rest of the feed once per
    tag (a repair that looked for each one's closing tag did: 9 s for 600 kB)."""
    intake: Intake = parts["intake"]
    real = (FEEDS_DIR / "lesswrong-frontpage.xml").read_text(encoding="utf-8")
    assert "<p>This is the first post" in real
    body = real.replace("<p>This is the first post", "<p>" + "<author>x " * 60_000 + "This is the first post")
    report = await intake.poll_feed(served(feed_server, "author-tags", body.encode(), "forum_rss"))
    assert report.status == "ok", report.error
    stored = by_title(intake)
    assert stored["Concrete Open Problems in Mechanistic Interpretability: Introduction"].abstract.startswith("x x x ")
    assert len(stored) == 3


async def test_a_validator_that_cannot_be_sent_back_costs_the_conditional_request_only(parts, feed_server) -> None:
    """An ETag or Last-Modified with a byte outside ASCII (RFC 9110 allows them in an ETag) was stored, and every
    later request failed before it was sent (httpx: UnicodeEncodeError). A failed poll keeps its validators, so the
    feed failed for good, whatever the server did next."""
    intake: Intake = parts["intake"]
    body = (FEEDS_DIR / "lesswrong-frontpage.xml").read_bytes()
    odd = {"etag": served(feed_server, "etag", body, "forum_rss", headers={"ETag": '"\u00e9t\u00e9"'}),
           "date": served(feed_server, "date", body, "forum_rss",
                          headers={"Last-Modified": "Fri, 24 May 2024 04:00:08 GMT\u00a0"})}
    for spec in odd.values():
        assert (await intake.poll_feed(spec)).status == "ok"
    assert intake.store.feed_state("etag").etag == '"\u00e9t\u00e9"'
    parts["clock"].now += timedelta(hours=2)
    for name, spec in odd.items():
        again = await intake.poll_feed(spec)
        assert again.status in ("ok", "not_modified"), (name, again.error)
        assert intake.store.feed_state(name).consecutive_failures == 0


async def test_thousands_of_unclosed_tags_in_a_field_cost_no_time(parts, feed_server) -> None:
    """Text of 20,000 `<a ` (written `&lt;a ` in the XML) made the HTML stripper look from each to the end for the
    ">" that never comes: half a minute for one abstract of a real listing, and every feed after it waited."""
    intake: Intake = parts["intake"]
    listing = (FEEDS_DIR / "arxiv-listing-rss2-cs-cl.xml").read_text(encoding="utf-8")
    real = "Abstract: Inspecting the information encoded in hidden representations"
    assert real in listing
    body = listing.replace(real, "Abstract: Inspecting " + "&lt;a " * 20_000 + real[10:])
    report = await intake.poll_feed(served(feed_server, "unclosed-tags", body.encode(), "arxiv_rss"))
    assert report.status == "ok", report.error
    patchscopes = next(p for p in intake.store.papers() if p.arxiv_id == "2401.06102")
    assert patchscopes.abstract.startswith("Inspecting <a <a <a ")
    assert len(patchscopes.abstract) <= 2000


async def test_an_arxiv_link_with_an_endless_archive_name_is_no_arxiv_id(parts, feed_server) -> None:
    """Old-style ids took an archive name of any length: a linkpost for arxiv.org/abs/<60 letters>/0701001 made
    the post that "paper", whose id does not fit the store's 40 characters, and on PostgreSQL the feed failed on
    every poll while the post was in it."""
    intake: Intake = parts["intake"]
    pseudo = "https://arxiv.org/abs/" + "a" * 60 + "/0701001"
    body = rss(
        item("Sparse autoencoder features in a linkpost", "https://www.lesswrong.com/posts/abc123/linkpost",
             f'<![CDATA[<p>This is a linkpost for <a href="{pseudo}">{pseudo}</a></p>]]>'),
        item("Circuits in small transformers, revisited", "https://www.lesswrong.com/posts/def456/circuits"),
    ).encode()
    report = await intake.poll_feed(served(feed_server, "pseudo-arxiv", body, "forum_rss"))
    assert report.status == "ok", report.error
    post = by_title(intake)["Sparse autoencoder features in a linkpost"]
    assert (post.canonical_id, post.arxiv_id) == ("url:https://lesswrong.com/posts/abc123", None)
    assert len(by_title(intake)) == 2


async def test_an_unclosed_comment_at_the_end_of_a_post_costs_no_time(parts, feed_server) -> None:
    """feedparser's sanitiser searched for the end of an unclosed comment from every "--" after it to the end of
    the field: a post ending in "<!--" and 180 kB of "-- " held the poll past its deadline (5 MB, the fetcher's
    cap: for hours), with every other feed waiting for the one thread that processes them."""
    intake: Intake = parts["intake"]
    forum = (FEEDS_DIR / "lesswrong-frontpage.xml").read_text(encoding="utf-8")
    end_of_post = forum.index("]]></description>", forum.index("<![CDATA[Published on"))
    body = forum[:end_of_post] + "<!--" + "-- " * 60_000 + forum[end_of_post:]
    report = await intake.poll_feed(served(feed_server, "unclosed", body.encode(), "forum_rss"))
    assert report.status == "ok", report.error
    assert report.new == forum.count("<item>")


@pytest.mark.parametrize("style", ["url(" * 12_000, "R" * 30_000], ids=["url-openings", "one-word"])
async def test_a_long_style_attribute_in_a_post_costs_no_time(parts, feed_server, style) -> None:
    """feedparser's sanitiser searched a style attribute for url(...) and for what is not a declaration from every
    position of a run neither ends (12,000 "url(": 6 s; a 30,000-letter word: 7 s; 5 MB, the fetcher's cap: hours),
    past the poll's deadline, with every other feed waiting for the one thread that processes them."""
    intake: Intake = parts["intake"]
    real = (FEEDS_DIR / "lesswrong-frontpage.xml").read_text(encoding="utf-8")
    assert "<p>This is the first post" in real
    body = real.replace("<p>This is the first post", f'<p style="{style}">This is the first post')
    report = await intake.poll_feed(served(feed_server, "long-style", body.encode(), "forum_rss"))
    assert report.status == "ok", report.error
    stored = by_title(intake)
    assert stored["Concrete Open Problems in Mechanistic Interpretability: Introduction"].abstract.startswith(
        "This is the first post")
    assert len(stored) == 3


# --------------------------------------------------------------------------- 9. title dedupe and arXiv ids


async def test_a_title_never_merges_two_different_arxiv_ids(parts, feed_server) -> None:
    intake: Intake = parts["intake"]
    title = "Linear Representations of Sentiment in Large Language Models"
    first = api_entry_for("2310.15154", title, "We find a linear sentiment direction.")
    disguised = "Linear\u200b Representations of\u2066 Sentiment in Large\u200d Language Models"
    second = api_entry_for("2401.00001", disguised, "Another paper, another id, the same words.")
    await intake.poll_feed(served(feed_server, "first", first, "arxiv_api"))
    await intake.poll_feed(served(feed_server, "second", second, "arxiv_api"))
    papers = {p.arxiv_id: p for p in intake.store.papers()}
    assert set(papers) == {"2310.15154", "2401.00001"}  # two papers, not one merged into the other
    assert papers["2401.00001"].title == title  # zero-width and bidi characters gone

    # Without an arXiv id of its own, the same title (zero-width characters and all) is the same work.
    post = rss(item("Linear Represen\u200btations of Sentiment in Large Language Models",
                    "https://example.org/blog/sentiment")).encode()
    await intake.poll_feed(served(feed_server, "blog", post))
    assert len(intake.store.papers()) == 2


# --------------------------------------------------------------------------- 10. arXiv's error listing


async def test_arxivs_error_listing_is_a_failure_even_on_a_saturday(parts, feed_server) -> None:
    intake: Intake = parts["intake"]
    parts["clock"].now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # a Saturday: no listing expected at all
    typo = feed(feed_server, "arxiv-astroph", "/feeds/arxiv-listing-error-bad-archive.xml", "arxiv_rss")
    report = await intake.poll_feed(typo)
    assert report.status == "failed"
    assert report.error.startswith("arXiv answered with an error: Feed error for query: http://rss.arxiv.org/rss/"
                                   "astroph — Bad archive 'astroph'.")
    health = feed_health(typo, intake.store.feed_state("arxiv-astroph"), parts["clock"].now)
    assert (health.state, health.since) == ("failing", parts["clock"].now)


async def test_arxivs_real_empty_listing_is_quiet_not_failed(parts, feed_server) -> None:
    intake: Intake = parts["intake"]
    empty = feed(feed_server, "arxiv-test", "/feeds/arxiv-listing-empty.xml", "arxiv_rss")
    report = await intake.poll_feed(empty)
    assert report.status == "ok"
    health = feed_health(empty, intake.store.feed_state("arxiv-test"), parts["clock"].now)
    assert (health.state, health.reason) == ("quiet", "has brought no item yet")


# --------------------------------------------------------------------------- 11 and 12. a whole real day


async def test_a_whole_real_day_of_arxiv(parts, feed_server) -> None:
    intake: Intake = parts["intake"]
    intake.feed_deadline = 120  # 1,504 items scored and stored, on a machine shared with other jobs
    day = feed(feed_server, "arxiv-all", "/feeds/arxiv-listing-2024-11-28-all.xml", "arxiv_rss", max_entries=2000)
    report = await intake.poll_feed(day)
    assert report.status == "ok", report.error
    assert report.degraded == ""
    papers = {p.arxiv_id: p for p in intake.store.papers()}
    # 11: years-old papers cross-listed that day are not new work; a paper of the month cross-listed is.
    assert "2202.06515" not in papers
    assert "2405.12090" not in papers
    assert "2411.15345" in papers
    assert len(papers) == 926 + 9 - 2
    # 12: TeX in real names and abstracts, read as TeX.
    marusic = next(p for p in papers.values() if "Kutnar" in p.abstract)
    assert "Kutnar, Marušič and Zhang" in marusic.abstract
    assert any("Jarosław Żygierewicz" in p.authors for p in papers.values())
    navier = next(p for p in papers.values() if "Navier" in p.abstract and "align" not in p.abstract)
    assert "\\begin" not in navier.abstract
    assert "beginalign" not in navier.abstract.replace(" ", "")


async def test_tex_that_old_cleaning_mangled(parts, feed_server) -> None:
    intake: Intake = parts["intake"]
    real = (FEEDS_DIR / "arxiv-listing-2024-11-28-all.xml").read_text(encoding="utf-8")
    head, rest = real.split("<item>", 1)
    first_item = "<item>" + rest.split("</item>", 1)[0] + "</item>"
    cases = {
        "2411.90001": (r"Primes below $\ln\ln T$ and beyond", "Primes below ln ln T and beyond"),
        "2411.90002": ("Training costs over $800 per model", "Training costs over $800 per model"),
        "2411.90003": (r"Solving \begin{equation*} x^2 = 2 \end{equation*} by probing",
                       "Solving x^2 = 2 by probing"),
    }
    items = []
    for ident, (title, _) in cases.items():
        one = first_item.replace("2411.17700", ident)
        start, end = one.index("<title>") + 7, one.index("</title>")
        items.append(one[:start] + title + one[end:])
    listing = (head + "".join(items) + "</channel></rss>").encode("utf-8")
    report = await intake.poll_feed(served(feed_server, "tex", listing, "arxiv_rss"))
    assert report.status == "ok", report.error
    titles = {p.arxiv_id: p.title for p in intake.store.papers()}
    assert titles == {ident: expected for ident, (_, expected) in cases.items()}
    money = api_entry_for("2104.12255", "Splitting zero", "awarded $35,000 in total for the reported bugs.")
    await intake.poll_feed(served(feed_server, "money", money, "arxiv_api"))
    assert next(p for p in intake.store.papers() if p.arxiv_id == "2104.12255").abstract.endswith(
        "awarded $35,000 in total for the reported bugs.")


# --------------------------------------------------------------------------- 13. real-sized forum bodies


async def test_a_long_forum_post_whose_prose_says_linkpost(parts, feed_server) -> None:
    intake: Intake = parts["intake"]
    report = await intake.poll_feed(feed(feed_server, "lesswrong", "/feeds/lesswrong-long-body.xml"))
    assert report.status == "ok", report.error
    (post,) = intake.store.papers()
    assert post.abstract.startswith("This is a linkpost for work done as part of MATS 9.0, under the mentorship")
    assert "[1]" not in post.abstract  # footnote references
    assert "By dense we mean" not in post.abstract  # the footnotes themselves
    assert post.canonical_id == "url:https://lesswrong.com/posts/Zq7mN3vB8xKp2Rt5w"  # cites two papers: none of them
    assert len(post.abstract) <= 2000


# --------------------------------------------------------------------------- 14. the list learns arXiv ids


SAE_ENTRY = "sparse-autoencoders-find-highly-interpretable-features-in-language"  # listed with an OpenReview link


async def test_a_linkpost_of_a_listed_paper_is_recognised_through_the_arxiv_id_the_list_gives(parts,
                                                                                             feed_server) -> None:
    intake: Intake = parts["intake"]
    # The list gives the SAE paper's arXiv id (`arxiv:`) beside its OpenReview link: nothing needs learning.
    await intake.poll_feed(feed(feed_server, "arxiv-cs-cl", "/feeds/arxiv-listing-rss2-cs-cl.xml", "arxiv_rss"))
    assert "2309.08600" not in intake.store.listed_arxiv_ids()
    await intake.poll_feed(feed(feed_server, "lesswrong", "/feeds/lesswrong-frontpage.xml"))
    post = next(p for p in intake.store.papers() if p.title.endswith("Directions in Language Models"))
    assert (post.status, post.listed_entry) == ("listed", SAE_ENTRY)


async def test_a_linkpost_of_a_listed_paper_is_recognised_through_the_arxiv_id(parts, feed_server,
                                                                                catalogue_dir) -> None:
    forget_arxiv_field(catalogue_dir, "2309.08600")
    intake: Intake = parts["intake"]
    # The cs.CL listing carries 2309.08600 as a replacement (not news), under the list's own title.
    listing = feed(feed_server, "arxiv-cs-cl", "/feeds/arxiv-listing-rss2-cs-cl.xml", "arxiv_rss")
    await intake.poll_feed(listing)
    assert intake.store.listed_arxiv_ids()["2309.08600"] == SAE_ENTRY
    # The LessWrong linkpost is titled "... Directions in Language Models": its cited arXiv id says it is listed.
    await intake.poll_feed(feed(feed_server, "lesswrong", "/feeds/lesswrong-frontpage.xml"))
    post = next(p for p in intake.store.papers() if p.title.endswith("Directions in Language Models"))
    assert (post.status, post.listed_entry) == ("listed", SAE_ENTRY)
    assert all(p.arxiv_id != "2309.08600" for p in intake.store.candidates())


async def test_an_arxiv_id_is_learned_only_from_a_certain_title(parts, feed_server, catalogue_dir) -> None:
    forget_arxiv_field(catalogue_dir, "2309.08600")
    intake: Intake = parts["intake"]
    exact = api_entry_for("2309.08600", "Sparse Autoencoders Find Highly Interpretable Features in Language Models",
                          "We use sparse autoencoders to find features.")
    report = await intake.poll_feed(served(feed_server, "arxiv-sae", exact, "arxiv_api"))
    assert report.listed == 1
    near = api_entry_for("2401.00002", "Sparse Autoencoders Find Highly Interpretable Features in Vision Models",
                         "Another paper.")
    await intake.poll_feed(served(feed_server, "arxiv-near", near, "arxiv_api"))
    assert intake.store.listed_arxiv_ids() == {"2309.08600": SAE_ENTRY}


# --------------------------------------------------------------------------- 15. quiet feeds


async def test_a_stale_feed_answering_304_is_flagged_quiet(parts, feed_server) -> None:
    intake: Intake = parts["intake"]
    clock = parts["clock"]
    listing = feed(feed_server, "arxiv-cs-cl", "/feeds/arxiv-listing-rss2-cs-cl.xml", "arxiv_rss",
                   interval_minutes=240)
    assert (await intake.poll_feed(listing)).status == "ok"  # Tuesday 09:00: news
    assert feed_health(listing, intake.store.feed_state("arxiv-cs-cl"), clock.now).state == "ok"
    clock.now += timedelta(hours=6)
    assert (await intake.poll_feed(listing)).status == "not_modified"
    assert feed_health(listing, intake.store.feed_state("arxiv-cs-cl"), clock.now).state == "ok"
    clock.now += timedelta(hours=20)  # Wednesday 11:00: Wednesday's listing came and went, and we saw nothing
    assert (await intake.poll_feed(listing)).status == "not_modified"
    health = feed_health(listing, intake.store.feed_state("arxiv-cs-cl"), clock.now)
    assert health.state == "quiet"
    assert health.since == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert health.reason == "no new item since 1 weekday listing(s) of arXiv were announced"


async def test_a_feed_silent_for_three_times_its_usual_gap_is_quiet(parts, feed_server) -> None:
    intake: Intake = parts["intake"]
    clock = parts["clock"]
    spec = served(feed_server, "blog", b"", interval_minutes=30)
    for hour in range(5):  # a new post every hour
        feed_server.serve("blog", rss(*(item(f"Probing post number {n} about attention heads",
                                             f"https://example.org/{n}") for n in range(hour + 1))).encode())
        await intake.poll_feed(spec, force=True)
        clock.now += timedelta(hours=1)
    assert feed_health(spec, intake.store.feed_state("blog"), clock.now).state == "ok"
    state = intake.store.feed_state("blog")
    assert round(state.new_item_gap_seconds) == 3600
    clock.now += timedelta(hours=2, minutes=30)  # 3.5 hours since the last new post
    await intake.poll_feed(spec, force=True)
    health = feed_health(spec, intake.store.feed_state("blog"), clock.now)
    assert (health.state, health.reason) == ("quiet", "no new item for 4 h (usually one every 1 h)")
    assert replace(state).last_new_item_at == health.since


# --------------------------------------------------------------------------- 5. Retry-After, through a whole poll


async def test_an_absurd_retry_after_backs_the_feed_off_for_a_week(parts, feed_server, caplog) -> None:
    intake: Intake = parts["intake"]
    for value in ("1e400", "999999999999"):
        report = await intake.poll_feed(feed(feed_server, f"overloaded-{value}", f"/status/503?retry_after={value}",
                                             "rss"), force=True)
        assert (report.status, report.error) == ("failed", "HTTP 503 (Retry-After 604800 s)")  # the capped wait
        state = intake.store.feed_state(f"overloaded-{value}")
        assert state.next_poll_at == state.retry_after_until == parts["clock"].now + timedelta(days=7)
        parts["clock"].now += timedelta(days=7)  # the server (the same for both) is asked again after the week
    assert "waiting 7 days instead" in caplog.text
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info]


# --------------------------------------------------------------------------- 6. credentials in a feed's URL


async def test_the_password_in_a_feed_url_is_neither_logged_nor_stored(parts, caplog) -> None:
    # The name resolves (xn--n3h.net) but httpx refuses the host: its error quoted the whole URL, password and all.
    intake: Intake = parts["intake"]
    spec = FeedSpec(name="members-only", url="https://reader:s3cret-pw@☃.net/feed.xml", kind="rss")
    report = await intake.poll_feed(spec, force=True)
    assert (report.status, report.error) == ("failed",
                                             "invalid URL https://***@☃.net/feed.xml: Invalid IDNA hostname: '☃.net'")
    assert "s3cret" not in (intake.store.feed_state("members-only").last_error or "")
    assert "feed members-only: invalid URL https://***@" in caplog.text
    assert "s3cret" not in caplog.text
