"""arXiv's own documents read with ElementTree: the entries feedparser would give our readers, at a tenth of the cost.

feedparser is most of a poll's time (a whole day's 2,000-entry listing: ~2 s in feedparser, ~0.15 s in expat via
ElementTree), and it holds the whole parsed document until it is done. arXiv's API Atom and its RSS 2.0 listings
are well-formed, namespaced XML with a fixed shape, so they are read here item by item, each item dropped once
read and read only when its paper is made, into plain dicts with the keys, defaults and date parsing feedparser
uses for the fields the readers read (`_arxiv.py`). Anything else — another document type, an element where text
was expected, XML that does not parse (feedparser's forgiving parser then salvages what it can and says the feed
is malformed) — goes to feedparser, which reads the document as before: found before the first item, the reader
returns None; found later, the entries raise Unreadable and what was read of them is dropped.
tests/intake/test_parse_fast_path.py checks, on every real arXiv document we hold, that both ways give the same
papers.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any
from xml.etree import ElementTree

from feedparser.datetimes import _parse_date as parse_date  # the parser feedparser itself applies to dates

__all__ = ["FastDocument", "Unreadable", "read_arxiv_document"]

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
_HTML_TYPES = {"text/html", "application/xhtml+xml"}


class FastDocument:
    """What parse_feed reads of a document, whoever parsed it: its channel, its entries (feedparser's shape), its
    format, and what was wrong with it (a malformed document feedparser salvaged). The entries are a list
    (feedparser's), or a stream that reads each from the document only when it is taken (ours)."""

    __slots__ = ("channel", "entries", "problem", "version")

    def __init__(self, channel: Any, entries: list[Any] | Iterator[dict[str, Any]], version: str, problem: str = ""):
        self.channel, self.entries, self.version, self.problem = channel, entries, version, problem

    def take(self) -> Iterator[Any]:
        """The entries in order, each let go once taken: the entries shrink as the papers grow, instead of both being
        held whole. A stream may raise Unreadable part-way through."""
        entries = self.entries
        if not isinstance(entries, list):
            yield from entries
            return
        entries.reverse()  # popping from the end of a list is free
        while entries:
            yield entries.pop()


class Unreadable(Exception):
    """Found part-way through a stream: the document is not one this reader knows exactly how feedparser reads, and
    feedparser must read it whole (what was read of it is dropped)."""


class _NotForUs(Exception):
    """The document is not one this reader knows exactly how feedparser reads: feedparser reads it."""


_FAILURES = (ElementTree.ParseError, _NotForUs, ValueError)
# Entries are read this many at a time: one at a time, the parse of a 2,000-entry document took 11 % longer (the
# parser's work and the papers' interleaved finely); 128 of them are 0.5 MB.
_BATCH = 128


def read_arxiv_document(data: bytes, kind: str) -> FastDocument | None:
    """The document as feedparser's entries, or None when feedparser must read it (see the module's docstring).

    Its entries are read as they are taken, each item dropped once read: a 2,000-entry API document's entries held
    at once were 11 MB, at the bot's memory peak (benchmarks/footprint.py). The channel is read up to the first item
    (arXiv writes it first); one that goes on after the items, or an item found wrong later, raises Unreadable
    from the entries."""
    if kind not in ("arxiv_api", "arxiv_rss"):
        return None
    try:
        return _read(data, kind)
    except _FAILURES:
        return None


def _read(data: bytes, kind: str) -> FastDocument:
    # `data` comes from `defuse`: no DOCTYPE is left, so no entity can be declared, expanded or fetched.
    read_item: Callable[[ElementTree.Element], dict[str, Any]]
    read_channel: Callable[[ElementTree.Element], dict[str, Any]]
    events = ElementTree.iterparse(io.BytesIO(data), events=("start", "end"))  # noqa: S314
    _, root = next(events)
    if kind == "arxiv_api" and root.tag == f"{ATOM}feed":
        item_tag, read_item, read_channel, version = f"{ATOM}entry", _atom_entry, _atom_channel, "atom10"
    elif kind == "arxiv_rss" and root.tag == "rss" and root.get("version") == "2.0":
        item_tag, read_item, read_channel, version = "item", _rss_item, _rss_channel, "rss20"
    else:
        raise _NotForUs(root.tag)

    def next_item() -> dict[str, Any] | None:
        for event, element in events:
            if event == "end" and element.tag == item_tag:
                entry = read_item(element)
                element.clear()  # read: its text goes, so the document is never held whole
                return entry
        return None

    def stream(entry: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
        try:
            batch = [entry] if entry is not None else []
            while batch:
                yield from batch
                batch = []
                while len(batch) < _BATCH and (entry := next_item()) is not None:
                    batch.append(entry)
            if read_channel(root) != channel:
                raise _NotForUs("the channel goes on after its items")
        except _FAILURES as exc:
            raise Unreadable(str(exc)) from exc

    first = next_item()
    channel = read_channel(root)
    return FastDocument(channel, stream(first), version)


def _text(element: ElementTree.Element | None) -> str:
    """An element's text; an element inside (XHTML content, markup feedparser would sanitise) is not for us."""
    if element is None:
        return ""
    if len(element):
        raise _NotForUs(f"markup inside {element.tag}")
    return (element.text or "").strip()


def _dates(target: dict[str, Any], key: str, value: str) -> None:
    """`key` and `key_parsed` as feedparser sets them: the first one seen wins, as its `_save` keeps it."""
    if value and key not in target:
        target[key] = value
        target[f"{key}_parsed"] = parse_date(value)


def _atom_entry(entry: ElementTree.Element) -> dict[str, Any]:
    out: dict[str, Any] = {"links": [], "authors": [], "tags": []}
    for child in entry:
        tag = child.tag
        if tag == f"{ATOM}id":
            out.setdefault("id", _text(child))
        elif tag == f"{ATOM}title":
            out.setdefault("title", _text(child))
        elif tag == f"{ATOM}summary":
            out.setdefault("summary", _text(child))
        elif tag in (f"{ATOM}published", f"{ATOM}updated"):
            _dates(out, tag[len(ATOM):], _text(child))
        elif tag == f"{ATOM}link":
            link = {"rel": child.get("rel", "alternate"), "type": child.get("type", "text/html"),
                    "href": (child.get("href") or "").strip()}
            if (link_title := child.get("title")) is not None:
                link["title"] = link_title
            out["links"].append(link)
            if link["rel"] == "alternate" and link["type"] in _HTML_TYPES:
                out.setdefault("link", link["href"])
        elif tag == f"{ATOM}author":
            name = child.find(f"{ATOM}name")
            out["authors"].append({"name": _text(name)} if name is not None else {})
        elif tag == f"{ATOM}category":
            out["tags"].append({"term": child.get("term"), "scheme": child.get("scheme"), "label": child.get("label")})
    return out


def _rss_item(item: ElementTree.Element) -> dict[str, Any]:
    out: dict[str, Any] = {"tags": []}
    guid_is_link = False
    for child in item:
        tag = child.tag
        if tag == "title":
            out.setdefault("title", _text(child))
        elif tag == "link":
            out["link"] = _text(child)
        elif tag == "description":
            out.setdefault("summary", _text(child))
        elif tag == "guid":
            out["id"] = _text(child)
            guid_is_link = child.get("isPermaLink", "true") == "true"
        elif tag == f"{DC}creator":
            out.setdefault("author", _text(child))
        elif tag == "category":
            out["tags"].append({"term": _text(child), "scheme": child.get("domain"), "label": None})
        elif tag == "pubDate":
            _dates(out, "published", _text(child))
        elif tag == f"{DC}date":
            _dates(out, "updated", _text(child))
        elif tag == f"{ARXIV}announce_type":
            out.setdefault("arxiv_announce_type", _text(child))
    if guid_is_link and "link" not in out and out.get("id"):
        out["link"] = out["id"]  # feedparser's rule: a permalink guid is the link of an item without one
    return out


def _atom_channel(root: ElementTree.Element) -> dict[str, Any]:
    channel: dict[str, Any] = {}
    for child in root:
        if child.tag == f"{ATOM}title":
            channel.setdefault("title", _text(child))
        elif child.tag == f"{ATOM}subtitle":
            channel.setdefault("subtitle", _text(child))
        elif child.tag == f"{ATOM}updated":
            _dates(channel, "updated", _text(child))
    return channel


def _rss_channel(root: ElementTree.Element) -> dict[str, Any]:
    channel: dict[str, Any] = {}
    element = root.find("channel")
    for child in element if element is not None else ():
        if child.tag == "title":
            channel.setdefault("title", _text(child))
        elif child.tag == "description":
            channel.setdefault("description", _text(child))
        elif child.tag == "lastBuildDate":
            _dates(channel, "updated", _text(child))
        elif child.tag == "pubDate":
            _dates(channel, "published", _text(child))
    return channel
