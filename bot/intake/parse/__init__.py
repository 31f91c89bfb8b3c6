"""Feed bytes → normalised :class:`Paper` values.

feedparser does the XML, except for arXiv's own well-formed documents, which ``_etree`` reads item by item into
the same entries at a tenth of the cost; this module decides what an item *is* for each kind of source:

* ``arxiv_api``: arXiv API Atom (the 2026 format with ``https://arxiv.org/api/...`` ids and the older one).
  arXiv's error document (one entry titled "Error") is an error, not a paper.
* ``arxiv_rss``: the daily listing, RSS 2.0 with ``<arxiv:announce_type>`` (2024+) or the older RDF format whose
  titles end "(arXiv:2303.08112v1 [cs.LG] CROSS LISTED)". Replacements are new versions of old papers, not news,
  and neither is a paper first submitted months ago that is cross-listed today: both are skipped and counted.
  arXiv's answer for a bad archive name (HTTP 200, a channel titled "Feed error for query") is an error.
* ``forum_rss``: LessWrong / Alignment Forum. Items are known by their guid (the post id) because dates move
  when karma crosses a threshold. A post that is a linkpost for one arXiv paper is that paper.
* ``rss``: any other RSS or Atom feed.

Input is bytes only. Before either parser sees them they are checked, as text or, for a plain UTF-8 document, as
bytes, and handed on as UTF-8 (``_defuse``): any DOCTYPE is removed, and a document that declares entities is
refused outright, since entity expansion is how billion-laughs and external-entity attacks work. Two flaws that
make feedparser raise are mended first (``_repair``), and anything else it raises is the feed's error. A bad item, or a
bad field of one, costs that item or field, never the feed; every text field is bounded and free of control
characters.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import feedparser

from bot.catalogue.text import one_line
from bot.intake.parse import _fields as fields
from bot.intake.parse._arxiv import is_arxiv_api_error, listing_error, read_arxiv_api, read_arxiv_listing
from bot.intake.parse._defuse import defuse
from bot.intake.parse._etree import FastDocument, Unreadable, read_arxiv_document
from bot.intake.parse._feedparser_guards import install as _guard_feedparser
from bot.intake.parse._forum import read_forum_post
from bot.intake.parse._generic import read_generic
from bot.intake.parse._html import repair_mojibake, strip_html
from bot.intake.parse._paper import MAX_ABSTRACT_CHARS, REPLACEMENT_TYPES, Paper, ParseResult
from bot.intake.parse._repair import mend

_guard_feedparser()  # three searches of feedparser's, quadratic in what a feed sends, made linear

__all__ = ["MAX_ABSTRACT_CHARS", "REPLACEMENT_TYPES", "Paper", "ParseResult", "defuse", "parse_feed", "repair_mojibake",
           "strip_html"]

Reader = Callable[..., Paper | None]

READERS: dict[str, Reader] = {
    "arxiv_api": read_arxiv_api,
    "arxiv_rss": read_arxiv_listing,
    "forum_rss": read_forum_post,
    "rss": read_generic,
}


def parse_feed(data: bytes, kind: str, *, feed: str) -> ParseResult:
    """Parse one response body. Never raises for bad input: problems come back in ``errors``."""
    if not isinstance(data, bytes | bytearray):
        raise TypeError("parse_feed takes the response body as bytes, never a URL or a path")
    safe, refusal = defuse(bytes(data))
    if refusal:
        return ParseResult(papers=(), errors=(refusal,))
    # arXiv's own well-formed documents are read without feedparser, item by item (see _etree); everything
    # else, and anything there that is not exactly as expected, by feedparser.
    fast = read_arxiv_document(safe, kind)
    if fast is not None:
        try:
            return read_document(fast, kind, feed=feed)
        except Unreadable:
            pass  # found part-way through: feedparser reads the whole document, as it would have from the start
    document = _feedparser_document(safe)
    del safe  # read: the body is not held beside the entries
    return read_document(document, kind, feed=feed)


def _feedparser_document(safe: bytes) -> FastDocument:
    try:
        # A stream, so feedparser cannot mistake the document for a URL or a file name.
        parsed = feedparser.parse(io.BytesIO(mend(safe)), resolve_relative_uris=False, sanitize_html=True)
    except Exception as crash:
        return FastDocument({}, [], "", f"unreadable feed: {fields.describe(crash)}")
    problem = ""
    if parsed.bozo and not isinstance(parsed.get("bozo_exception"), feedparser.CharacterEncodingOverride):
        # A declared charset that turned out wrong is repaired by feedparser's fallbacks: not an error.
        problem = f"malformed feed: {fields.describe(parsed.get('bozo_exception'))}"
    return FastDocument(parsed.feed, parsed.pop("entries", []), parsed.get("version", ""), problem)


def read_document(document: FastDocument, kind: str, *, feed: str) -> ParseResult:
    """A parsed document's entries → papers, by the reader for `kind`. Raises Unreadable when a stream of entries
    (see _etree) turns out to be feedparser's to read."""
    entries = document.take()  # each let go once read: the entries shrink as the papers grow
    errors: list[str] = []
    if kind == "arxiv_rss" and (problem := listing_error(document.channel)):
        return ParseResult(papers=(), errors=(one_line(problem),), total_items=sum(1 for _ in entries))
    if document.problem:
        errors.append(document.problem)
    reader = READERS.get(kind)
    if reader is None:
        return ParseResult(papers=(), errors=(f"unknown feed kind {kind!r}",), total_items=sum(1 for _ in entries))
    papers: list[Paper] = []
    # One feed names one item by one id (the store keeps one paper per feed and item id): a later item with an
    # earlier one's id is skipped, and said to be a problem when it is another paper. It made the whole poll fail.
    firsts: dict[str, tuple[int, str]] = {}  # item id -> (position, canonical id) of the first item with it
    skipped = old = total = 0
    identities: list[tuple[str, str]] = []
    channel_date = fields.date(document.channel, "updated_parsed", "published_parsed")
    for position, entry in enumerate(entries, start=1):
        total = position
        if kind == "arxiv_api" and is_arxiv_api_error(entry):
            errors.append(f"arXiv API error: {fields.text(entry.get('summary', '')) or entry.get('id', '')}")
            continue
        try:
            outcome = reader(entry, feed=feed, channel_date=channel_date)
        except fields.ItemError as problem:
            errors.append(f"item {position}: {problem}")
            continue
        except fields.NotNew as not_new:
            if not_new.kind == "replacement":
                skipped += 1
            else:
                old += 1
            if not_new.identity is not None:
                identities.append(not_new.identity)
            continue
        except Exception as exc:  # a stranger's item: whatever it breaks costs that item, never the feed
            errors.append(f"item {position}: unreadable ({type(exc).__name__}: {exc})")
            continue
        if outcome is None:
            skipped += 1
            continue
        paper = fields.bounded(outcome)
        first, canonical_id = firsts.setdefault(paper.item_id, (position, paper.canonical_id))
        if first == position:
            papers.append(paper)
        elif canonical_id != paper.canonical_id:
            errors.append(f"item {position}: skipped: item {first}, another one, has the same id {paper.item_id!r}")
    if not total and not document.version and not errors:
        errors.append("not a feed: no RSS or Atom document found")
    return ParseResult(tuple(papers), tuple(one_line(e) for e in errors), replacements_skipped=skipped,
                       total_items=total, old_crosslists_skipped=old, skipped_identities=tuple(identities))
