"""Reading feedparser's entries: the field helpers every reader shares (text, authors, dates, links, ids)."""

from __future__ import annotations

import calendar
import hashlib
import re
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from bot.catalogue.text import strip_control
from bot.intake.identity import clean_tex
from bot.intake.parse._html import repair_mojibake, strip_html
from bot.intake.parse._paper import (
    MAX_ABSTRACT_CHARS,
    MAX_AUTHOR_CHARS,
    MAX_AUTHORS,
    MAX_CATEGORIES,
    MAX_ID_CHARS,
    MAX_TITLE_CHARS,
    MAX_URL_CHARS,
    Paper,
)


class ItemError(Exception):
    """This item cannot become a paper; the message says why."""


class NotNew(Exception):
    """This item is real but not new work: a replacement (a new version of an old paper), or a paper first
    submitted long ago and cross-listed today. `identity` is its (arXiv id, title), worth knowing all the same."""

    def __init__(self, kind: str, *, identity: tuple[str, str] | None = None):
        super().__init__(kind)
        self.kind = kind
        self.identity = identity


def get(item: Any, key: str, default: Any = None) -> Any:
    """`item.get(key, default)`, as a plain dict lookup when the item is a dict (feedparser's always are).

    FeedParserDict.get maps a few legacy names ("guid", "description", "date", ...) and special-cases
    "category", "enclosures", "license" and "updated*"; for every other key, the ones read with this, a plain
    lookup gives the same answer several times faster.
    """
    return dict.get(item, key, default) if isinstance(item, dict) else item.get(key, default)


def text(value: Any) -> str:
    """Plain text: HTML stripped, mojibake repaired, and no control, zero-width or bidi character left (they
    would reach a terminal, a log or a chat message, or make one title look like two)."""
    plain = repair_mojibake(strip_html(str(value or "")))  # whitespace collapsed already
    cleaned = strip_control(plain)
    return plain if cleaned is plain else " ".join(cleaned.split())


def title(entry: Any, *, tex: bool = False) -> str:
    """The item's title as text. TeX is cleaned only where titles are TeX (arXiv): elsewhere "$5" is money."""
    plain = text(get(entry, "title", ""))
    return clean_tex(plain) if tex else plain


def truncate(text: str, limit: int = MAX_ABSTRACT_CHARS) -> str:
    """At most `limit` characters, cut at a word where there is one, ending " …" when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 2]
    if " " in cut[limit // 2:]:
        cut = cut.rsplit(" ", 1)[0]
    return cut + " …"


def bounded(paper: Paper) -> Paper:
    """The paper with every text field within its bound (a 986,019-character title is a hostile feed, and would
    otherwise be stored, posted and approved into the list as it came). URLs are never cut: a cut URL is a broken
    one, so an over-long link is dropped instead."""
    if (len(paper.title) <= MAX_TITLE_CHARS and len(paper.abstract) <= MAX_ABSTRACT_CHARS
            and len(paper.authors) <= MAX_AUTHORS and all(len(a) <= MAX_AUTHOR_CHARS for a in paper.authors)
            and len(paper.categories) <= MAX_CATEGORIES and len(paper.item_id) <= MAX_ID_CHARS
            and all(len(u) <= MAX_URL_CHARS for _, u in paper.links) and len(paper.pdf_url) <= MAX_URL_CHARS):
        return paper
    return replace(
        paper,
        title=truncate(paper.title, MAX_TITLE_CHARS),
        abstract=truncate(paper.abstract),
        authors=tuple(truncate(a, MAX_AUTHOR_CHARS) for a in paper.authors[:MAX_AUTHORS]),
        categories=tuple(c[:40] for c in paper.categories[:MAX_CATEGORIES]),
        item_id=paper.item_id if len(paper.item_id) <= MAX_ID_CHARS else _digest(paper.item_id),
        links=tuple((truncate(label, 60), u) for label, u in paper.links if len(u) <= MAX_URL_CHARS),
        pdf_url=paper.pdf_url if len(paper.pdf_url) <= MAX_URL_CHARS else "",
    )


def _digest(value: str, length: int = 32) -> str:
    return f"sha256:{hashlib.sha256(value.encode('utf-8')).hexdigest()[:length]}"


_AUTHOR_SEPARATOR = re.compile(r",\s*|\s+and\s+")


def split_authors(text: str) -> tuple[str, ...]:
    """arXiv listings and forums give one comma-separated string ("A, B and C"). Listings may follow a name with
    its affiliation, "A (Caltech, Pasadena, CA, USA), B": the affiliations go first (a name is what the list
    shows), so their commas and "and"s split nothing."""
    text = _without_affiliations(clean_tex(text))
    return tuple(" ".join(name.split()) for name in _AUTHOR_SEPARATOR.split(text) if name.strip())


def _without_affiliations(text: str) -> str:
    """`text` without each parenthesised part and the whitespace before it, nested ones whole; a parenthesis
    without its partner stays. In one pass: removing the innermost pairs again and again until none was left took
    time quadratic in the nesting, and a feed's author of 20,000 nested parentheses held the poll for seconds
    (200,000: for minutes, with every other feed waiting behind it)."""
    if "(" not in text:
        return text
    kept: list[str] = []
    opened: list[int] = []  # for each "(" still open: how much of `kept` stays if it closes
    for char in text:
        if char == "(":
            cut = len(kept)
            while cut and kept[cut - 1].isspace():  # each space looked at once: a ")" removes it, or a word follows
                cut -= 1
            opened.append(cut)
            kept.append(char)
        elif char == ")" and opened:
            del kept[opened.pop():]
        else:
            kept.append(char)
    return "".join(kept)


def authors(entry: Any) -> tuple[str, ...]:
    # The API gives one <author><name> each, in TeX as arXiv stores it ("Jos\\'e"): decoded as the listings are.
    names = tuple(clean_tex(text(name)) for a in get(entry, "authors", ()) if (name := get(a, "name")))
    if len(names) == 1 and "," in names[0]:
        return split_authors(names[0])
    return tuple(name for name in names if name)


def categories(entry: Any) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for tag in get(entry, "tags", ()) or ():
        term = str(get(tag, "term") or "").strip()
        if term:
            seen.setdefault(term, None)
    return tuple(seen)


def web_link(entry: Any) -> str:
    """The item's http(s) link; feedparser falls back to a guid like "urn:uuid:..." which is no link."""
    link = str(entry.get("link", "")).strip()
    if len(link) > MAX_URL_CHARS:
        raise ItemError(f"a link of {len(link):,} characters (at most {MAX_URL_CHARS:,})")
    try:
        return link if urlsplit(link).scheme in ("http", "https") else ""
    except ValueError:  # "http://[::1" and other malformed URLs
        return ""


def item_id(entry: Any, link: str) -> str:
    """The item's own id: guid/id, else its link, else a digest of its title (never its date)."""
    explicit = str(entry.get("id") or "").strip()
    if explicit:
        return explicit
    if link:
        return link
    return _digest(str(entry.get("title", "")), 16)  # 16: the ids stored since the first release


def date(container: Any, *keys: str) -> datetime | None:
    for key in keys:
        # dict.get, not FeedParserDict.get: the latter quietly answers "updated" with the published date.
        value = dict.get(container, key) if isinstance(container, dict) else None
        if isinstance(value, time.struct_time):
            # feedparser normalises to UTC struct_time; timegm reads it as UTC.
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (ValueError, OverflowError, OSError):
                # "0000-00-00", or 9999-12-31T23:59:59-01:00 (year 10000 in UTC): this field is lost, not the item
                return None
    return None


def describe(exc: Any) -> str:
    """feedparser's complaint for `status` and logs: an XML error as "not well-formed (invalid token) at line 2,
    column 0" (its str() starts "<unknown>:2:0:", the name of a file there is none of)."""
    if exc is None:
        return "unknown problem"
    line, column, message = (getattr(exc, name, None) for name in ("getLineNumber", "getColumnNumber", "getMessage"))
    if callable(line) and callable(column) and callable(message):
        return f"{message()} at line {line()}, column {column()}"
    where = f" (line {line()})" if callable(line) else ""
    return f"{str(exc) or type(exc).__name__}{where}"
