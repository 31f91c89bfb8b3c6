"""Feed bytes → normalised :class:`Paper` values.

feedparser does the XML; this module decides what an item *is* for each kind of source:

* ``arxiv_api``: arXiv API Atom (the 2026 format with ``https://arxiv.org/api/...`` ids and the older one).
  arXiv's error document (one entry titled "Error") is an error, not a paper.
* ``arxiv_rss``: the daily listing, RSS 2.0 with ``<arxiv:announce_type>`` (2024+) or the older RDF format whose
  titles end "(arXiv:2303.08112v1 [cs.LG] CROSS LISTED)". Replacements are new versions of old papers, not news:
  they are skipped and counted.
* ``forum_rss``: LessWrong / Alignment Forum. Items are known by their guid (the post id) because dates move
  when karma crosses a threshold. A post that is a linkpost for one arXiv paper is that paper.
* ``rss``: any other RSS or Atom feed.

Input is bytes only. Before feedparser sees them, any DOCTYPE is removed, and a document that declares
entities is refused outright: entity expansion is how billion-laughs and external-entity attacks work.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import feedparser

from bot.intake.identity import (
    arxiv_abs_url,
    arxiv_id,
    arxiv_ids_in,
    arxiv_pdf_url,
    canonical_url,
    clean_tex,
    collapse_whitespace,
)


@dataclass(frozen=True)
class Paper:
    canonical_id: str  # "arxiv:2301.05062" (no version) or "url:<canonical url>"
    title: str  # whitespace collapsed, TeX cleaned
    authors: tuple[str, ...]
    abstract: str  # HTML stripped, whitespace collapsed
    abs_url: str
    pdf_url: str  # "" when unknown
    published: datetime | None  # aware, UTC
    updated: datetime | None
    categories: tuple[str, ...]
    feed: str
    item_id: str  # the feed's own stable id for the item (guid / id), never a date
    announce_type: str = ""  # arXiv listing: new / cross / replace / replace-cross
    arxiv_id: str | None = None
    version: int | None = None
    links: tuple[tuple[str, str], ...] = ()  # (label, url): ("arxiv", ...), ("pdf", ...), ("LessWrong", ...)


@dataclass(frozen=True)
class ParseResult:
    papers: tuple[Paper, ...]
    errors: tuple[str, ...]
    replacements_skipped: int = 0
    total_items: int = 0


REPLACEMENT_TYPES = frozenset({"replace", "replace-cross"})
# Forum posts carry their whole text; a candidate needs a summary, not the essay.
MAX_ABSTRACT_CHARS = 2000


def parse_feed(data: bytes, kind: str, *, feed: str) -> ParseResult:
    """Parse one response body. Never raises for bad input: problems come back in ``errors``."""
    if not isinstance(data, bytes | bytearray):
        raise TypeError("parse_feed takes the response body as bytes, never a URL or a path")
    safe, refusal = defuse(bytes(data))
    if refusal:
        return ParseResult(papers=(), errors=(refusal,))
    # A stream, so feedparser cannot mistake the document for a URL or a file name.
    parsed = feedparser.parse(io.BytesIO(safe), resolve_relative_uris=False, sanitize_html=True)
    errors: list[str] = []
    if parsed.bozo and not isinstance(parsed.get("bozo_exception"), feedparser.CharacterEncodingOverride):
        # A declared charset that turned out wrong is repaired by feedparser's fallbacks: not an error.
        errors.append(f"malformed feed: {_describe(parsed.get('bozo_exception'))}")
    reader = _READERS.get(kind)
    if reader is None:
        return ParseResult(papers=(), errors=(f"unknown feed kind {kind!r}",), total_items=len(parsed.entries))
    papers: list[Paper] = []
    skipped = 0
    channel_date = _date(parsed.feed, "updated_parsed", "published_parsed")
    for position, entry in enumerate(parsed.entries, start=1):
        if kind == "arxiv_api" and _is_arxiv_api_error(entry):
            errors.append(f"arXiv API error: {_text(entry.get('summary', '')) or entry.get('id', '')}")
            continue
        try:
            outcome = reader(entry, feed=feed, channel_date=channel_date)
        except _ItemError as problem:
            errors.append(f"item {position}: {problem}")
            continue
        if outcome is None:
            skipped += 1
        else:
            papers.append(outcome)
    if not parsed.entries and not parsed.get("version") and not errors:
        errors.append("not a feed: no RSS or Atom document found")
    return ParseResult(tuple(papers), tuple(errors), replacements_skipped=skipped, total_items=len(parsed.entries))


# --------------------------------------------------------------------------- defusing

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_XML_DECL_ENCODING = re.compile(rb"""^(<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")


def defuse(data: bytes) -> tuple[bytes, str]:
    """(bytes safe to parse, "") or (b"", why the document is refused).

    A DOCTYPE that declares entities is refused; any other DOCTYPE (RSS 0.91's external DTD reference) is
    removed so that no parser ever resolves it.
    """
    data = _as_ascii_compatible(data)
    start = _DOCTYPE.search(data)
    if start is None:
        return data, ""
    if _ENTITY.search(data):
        return b"", "refused: the document declares XML entities (a DOCTYPE with <!ENTITY>), which are never expanded"
    end = _doctype_end(data, start.start())
    if end is None:
        return b"", "refused: unterminated DOCTYPE declaration"
    return data[: start.start()] + data[end:], ""


def _doctype_end(data: bytes, start: int) -> int | None:
    """Index just past the DOCTYPE that starts at ``start``, internal subset (``[...]``) included."""
    in_subset = False
    quote: int | None = None
    for index in range(start + 2, len(data)):
        byte = data[index]
        if quote is not None:
            if byte == quote:
                quote = None
        elif byte in b"\"'":
            quote = byte
        elif byte == ord("["):
            in_subset = True
        elif byte == ord("]"):
            in_subset = False
        elif byte == ord(">") and not in_subset:
            return index + 1
    return None


def _as_ascii_compatible(data: bytes) -> bytes:
    """UTF-16/32 documents re-encoded as UTF-8, so the byte-level checks above see their markup.

    Every other encoding a feed may declare is ASCII-compatible, so ``<!DOCTYPE`` is found as bytes.
    """
    for bom, codec in (
        (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"),
    ):
        if data.startswith(bom):
            return _reencode(data[len(bom):], codec)
    for marker, codec in (
        (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
        (b"\x00<\x00?", "utf-16-be"), (b"<\x00?\x00", "utf-16-le"),
    ):
        if data.startswith(marker):
            return _reencode(data, codec)
    return data


def _reencode(data: bytes, codec: str) -> bytes:
    utf8 = data.decode(codec, errors="replace").encode("utf-8")
    return _XML_DECL_ENCODING.sub(rb"\1\2utf-8\2", utf8, count=1)


# --------------------------------------------------------------------------- readers per kind


class _ItemError(Exception):
    """This item cannot become a paper; the message says why."""


def _read_arxiv_api(entry: Any, *, feed: str, channel_date: datetime | None) -> Paper | None:
    entry_id = str(_get(entry, "id", ""))
    ident = arxiv_id(entry_id) or arxiv_id(str(_get(entry, "link", "")))
    if ident is None:
        raise _ItemError(f"no arXiv id in {entry_id or 'an entry without id'}")
    pdf = next((_get(link, "href", "") for link in _get(entry, "links", ()) if _is_pdf(link)), "")
    return _arxiv_paper(
        entry, ident, feed=feed, item_id=entry_id, abstract=_text(_get(entry, "summary", "")),
        authors=_authors(entry),
        has_pdf=bool(pdf), announce_type="",
        published=_date(entry, "published_parsed"), updated=_date(entry, "updated_parsed"),
    )


def _read_arxiv_listing(entry: Any, *, feed: str, channel_date: datetime | None) -> Paper | None:
    title = str(entry.get("title", ""))
    announce_type = str(entry.get("arxiv_announce_type", "")).strip().lower()
    summary = str(entry.get("summary", ""))
    rdf_title = _RDF_TITLE.search(title)
    if rdf_title:  # the pre-2024 RDF listing says in the title what the 2024+ format says in announce_type
        title = title[: rdf_title.start()]
        flag = (rdf_title.group("flag") or "").upper()
        announce_type = announce_type or {"UPDATED": "replace", "CROSS LISTED": "cross"}.get(flag, "new")
    prefix = _ANNOUNCE_PREFIX.match(summary)
    if prefix:
        announce_type = announce_type or prefix.group("type").lower()
        summary = summary[prefix.end():]
    if announce_type in REPLACEMENT_TYPES:
        return None
    ident = (
        arxiv_id(str(entry.get("id", ""))) or arxiv_id(str(entry.get("link", "")))
        or (arxiv_id(prefix.group("id")) if prefix else None)
    )
    if ident is None:
        raise _ItemError(f"no arXiv id in {entry.get('link') or entry.get('id') or 'an item without link'}")
    version = ident[1]
    if version is None and rdf_title:
        version = (arxiv_id(rdf_title.group("id")) or (None, None))[1]
    categories = _categories(entry)
    if rdf_title and not categories:
        categories = (rdf_title.group("category"),)
    return _arxiv_paper(
        entry, (ident[0], version), feed=feed, item_id=str(entry.get("id") or entry.get("link")),
        title=title, abstract=_text(summary), authors=_split_authors(_text(entry.get("author", ""))),
        has_pdf=True, announce_type=announce_type or "new", categories=categories,
        published=_date(entry, "published_parsed") or channel_date, updated=_date(entry, "updated_parsed"),
    )


def _read_forum_post(entry: Any, *, feed: str, channel_date: datetime | None) -> Paper | None:
    link = _web_link(entry)
    title = _title(entry)
    if not link or not title:
        raise _ItemError("a post without a title and an http(s) link")
    guid = str(entry.get("id") or "").strip() or link
    body = str(entry.get("summary", ""))
    site = _site_label(link)
    links: list[tuple[str, str]] = [(site, link)]
    crosspost = _crossposted_arxiv_id(body)
    canonical = f"url:{canonical_url(link)}"
    pdf_url = ""
    if crosspost is not None:
        canonical = f"arxiv:{crosspost[0]}"
        pdf_url = arxiv_pdf_url(crosspost[0])
        links.append(("arxiv", arxiv_abs_url(crosspost[0])))
    return Paper(
        canonical_id=canonical,
        title=title,
        authors=_split_authors(_text(entry.get("author", ""))),
        abstract=_truncate(_text(_LINKPOST.sub("", _FORUM_BOILERPLATE.sub("", body), count=1))),
        abs_url=link,
        pdf_url=pdf_url,
        published=_date(entry, "published_parsed"),
        updated=_date(entry, "updated_parsed"),
        categories=_categories(entry),
        feed=feed,
        item_id=guid,
        arxiv_id=crosspost[0] if crosspost else None,
        version=crosspost[1] if crosspost else None,
        links=tuple(links),
    )


def _read_generic(entry: Any, *, feed: str, channel_date: datetime | None) -> Paper | None:
    link = _web_link(entry)
    title = _title(entry)
    if not title or not link:
        raise _ItemError("an item without a title and an http(s) link")
    ident = arxiv_id(link) if "arxiv" in link.lower() else None
    if ident is not None:
        return _arxiv_paper(
            entry, ident, feed=feed, item_id=_item_id(entry, link), abstract=_text(entry.get("summary", "")),
            authors=_authors(entry), has_pdf=True, announce_type="",
            published=_date(entry, "published_parsed"), updated=_date(entry, "updated_parsed"),
        )
    return Paper(
        canonical_id=f"url:{canonical_url(link)}",
        title=title,
        authors=_authors(entry),
        abstract=_truncate(_text(entry.get("summary", ""))),
        abs_url=link,
        pdf_url="",
        published=_date(entry, "published_parsed"),
        updated=_date(entry, "updated_parsed"),
        categories=_categories(entry),
        feed=feed,
        item_id=_item_id(entry, link),
        links=((_site_label(link), link),),
    )


_READERS = {
    "arxiv_api": _read_arxiv_api,
    "arxiv_rss": _read_arxiv_listing,
    "forum_rss": _read_forum_post,
    "rss": _read_generic,
}


# --------------------------------------------------------------------------- arXiv helpers

_RDF_TITLE = re.compile(
    r"\.?\s*\(arXiv:(?P<id>\S+?)\s+\[(?P<category>[^\]]+)\](?:\s+(?P<flag>UPDATED|CROSS LISTED))?\)\s*$",
    re.IGNORECASE,
)
_ANNOUNCE_PREFIX = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce\s+Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?", re.IGNORECASE
)


def _arxiv_paper(
    entry: Any,
    ident: tuple[str, int | None],
    *,
    feed: str,
    item_id: str,
    abstract: str,
    authors: tuple[str, ...],
    has_pdf: bool,
    announce_type: str,
    published: datetime | None,
    updated: datetime | None,
    title: str | None = None,
    categories: tuple[str, ...] | None = None,
) -> Paper:
    paper_id, version = ident
    clean_title = clean_tex(collapse_whitespace(title)) if title is not None else _title(entry, tex=True)
    if not clean_title:
        raise _ItemError(f"arXiv {paper_id} has no title")
    abs_url = arxiv_abs_url(paper_id)
    pdf_url = arxiv_pdf_url(paper_id) if has_pdf else ""
    links = [("arxiv", abs_url)] + ([("pdf", pdf_url)] if pdf_url else [])
    return Paper(
        canonical_id=f"arxiv:{paper_id}",
        title=clean_title,
        authors=authors,
        abstract=clean_tex(abstract) if "$" in abstract or "\\" in abstract else abstract,
        abs_url=abs_url,
        pdf_url=pdf_url,
        published=published,
        updated=updated,
        categories=_categories(entry) if categories is None else categories,
        feed=feed,
        item_id=item_id,
        announce_type=announce_type,
        arxiv_id=paper_id,
        version=version,
        links=tuple(links),
    )


def _is_arxiv_api_error(entry: Any) -> bool:
    return "/api/errors" in str(_get(entry, "id", "")) or str(_get(entry, "title", "")).strip() == "Error"


def _is_pdf(link: Any) -> bool:
    return _get(link, "type") == "application/pdf" or _get(link, "title") == "pdf"


# --------------------------------------------------------------------------- forum helpers

# ForumMagnum wraps each post: "Published on <date><br/><br/>" before, "<a href=...#comments>Discuss</a>" after.
_FORUM_BOILERPLATE = re.compile(
    r"^\s*Published on [^<]*(?:<br\s*/?>\s*)*|(?:<br\s*/?>\s*)*<a [^>]*#comments\"?[^>]*>\s*Discuss\s*</a>\s*$",
    re.IGNORECASE,
)
_LINKPOST = re.compile(
    r"This is a linkpost for\s*(?:<a [^>]*href=\"([^\"]+)\"[^>]*>[^<]*</a>|([^\s<]+))", re.IGNORECASE
)
_SITE_LABELS = {
    "lesswrong.com": "LessWrong",
    "alignmentforum.org": "Alignment Forum",
    "greaterwrong.com": "LessWrong",
    "forum.effectivealtruism.org": "EA Forum",
}


def _crossposted_arxiv_id(body_html: str) -> tuple[str, int | None] | None:
    """The arXiv paper a forum post is a crosspost of: its linkpost target, or the one arXiv paper it links.

    A post linking several papers is a discussion of them, not one of them.
    """
    linkpost = _LINKPOST.search(body_html)
    if linkpost:
        target = arxiv_id(linkpost.group(1) or linkpost.group(2) or "")
        if target is not None:
            return target
        return None  # a linkpost for something else (transformer-circuits.pub, a blog)
    cited = arxiv_ids_in(body_html)
    return cited[0] if len(cited) == 1 else None


def _site_label(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    return _SITE_LABELS.get(host, host or "link")


# --------------------------------------------------------------------------- text and field helpers


class _TextExtractor(HTMLParser):
    _BREAKS = frozenset({"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def strip_html(html: str) -> str:
    if "<" not in html:
        return collapse_whitespace(unescape(html))
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return collapse_whitespace("".join(extractor.parts))


# UTF-8 read as Latin-1 somewhere upstream ("RamÃ­rez"): these pairs never occur in real text.
_MOJIBAKE = re.compile("[\u00c2\u00c3][\u0080-\u00bf]|\u00e2\u20ac")


def repair_mojibake(text: str) -> str:
    # Every pair the pattern looks for starts with one of three characters: text without them (all ASCII
    # text, most other text) is returned without scanning it with the regex.
    if text.isascii() or ("\u00c2" not in text and "\u00c3" not in text and "\u00e2" not in text):
        return text
    if not _MOJIBAKE.search(text):
        return text
    for codec in ("cp1252", "latin-1"):
        try:
            return text.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
    return text


def _get(item: Any, key: str, default: Any = None) -> Any:
    """`item.get(key, default)`, as a plain dict lookup when the item is a dict (feedparser's always are).

    FeedParserDict.get maps a few legacy names ("guid", "description", "date", ...) and special-cases
    "category", "enclosures", "license" and "updated*"; for every other key, the ones read with this, a plain
    lookup gives the same answer several times faster.
    """
    return dict.get(item, key, default) if isinstance(item, dict) else item.get(key, default)


def _text(value: Any) -> str:
    return repair_mojibake(strip_html(str(value or "")))


def _title(entry: Any, *, tex: bool = False) -> str:
    """The item's title as text. TeX is cleaned only where titles are TeX (arXiv): elsewhere "$5" is money."""
    text = _text(_get(entry, "title", ""))
    return clean_tex(text) if tex else text


def _truncate(text: str) -> str:
    if len(text) <= MAX_ABSTRACT_CHARS:
        return text
    cut = text[:MAX_ABSTRACT_CHARS].rsplit(" ", 1)[0]
    return cut + " …"


def _split_authors(text: str) -> tuple[str, ...]:
    """arXiv listings and forums give one comma-separated string ("A, B and C")."""
    text = clean_tex(text)
    names = re.split(r",\s*|\s+and\s+", text)
    return tuple(name.strip() for name in names if name.strip())


def _authors(entry: Any) -> tuple[str, ...]:
    names = tuple(_text(name) for a in _get(entry, "authors", ()) if (name := _get(a, "name")))
    if len(names) == 1 and "," in names[0]:
        return _split_authors(names[0])
    return tuple(name for name in names if name)


def _categories(entry: Any) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for tag in _get(entry, "tags", ()) or ():
        term = str(_get(tag, "term") or "").strip()
        if term:
            seen.setdefault(term, None)
    return tuple(seen)


def _web_link(entry: Any) -> str:
    """The item's http(s) link; feedparser falls back to a guid like "urn:uuid:..." which is no link."""
    link = str(entry.get("link", "")).strip()
    return link if urlsplit(link).scheme in ("http", "https") else ""


def _item_id(entry: Any, link: str) -> str:
    """The item's own id: guid/id, else its link, else a digest of its title (never its date)."""
    explicit = str(entry.get("id") or "").strip()
    if explicit:
        return explicit
    if link:
        return link
    digest = hashlib.sha256(str(entry.get("title", "")).encode("utf-8")).hexdigest()[:16]
    return f"sha256:{digest}"


def _date(container: Any, *keys: str) -> datetime | None:
    for key in keys:
        # dict.get, not FeedParserDict.get: the latter quietly answers "updated" with the published date.
        value = dict.get(container, key) if isinstance(container, dict) else None
        if isinstance(value, time.struct_time):
            # feedparser normalises to UTC struct_time; timegm reads it as UTC.
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    return None


def _describe(exc: Any) -> str:
    if exc is None:
        return "unknown problem"
    line = getattr(exc, "getLineNumber", None)
    where = f" (line {line()})" if callable(line) else ""
    return f"{str(exc) or type(exc).__name__}{where}"
