"""Reading feedparser's entries: the field helpers every reader shares (text, authors, dates, links, ids)."""

from __future__ import annotations

import calendar
import hashlib
import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from bot.intake.identity import clean_tex
from bot.intake.parse._html import repair_mojibake, strip_html
from bot.intake.parse._paper import MAX_ABSTRACT_CHARS


class ItemError(Exception):
    """This item cannot become a paper; the message says why."""


def get(item: Any, key: str, default: Any = None) -> Any:
    """`item.get(key, default)`, as a plain dict lookup when the item is a dict (feedparser's always are).

    FeedParserDict.get maps a few legacy names ("guid", "description", "date", ...) and special-cases
    "category", "enclosures", "license" and "updated*"; for every other key, the ones read with this, a plain
    lookup gives the same answer several times faster.
    """
    return dict.get(item, key, default) if isinstance(item, dict) else item.get(key, default)


def text(value: Any) -> str:
    return repair_mojibake(strip_html(str(value or "")))


def title(entry: Any, *, tex: bool = False) -> str:
    """The item's title as text. TeX is cleaned only where titles are TeX (arXiv): elsewhere "$5" is money."""
    plain = text(get(entry, "title", ""))
    return clean_tex(plain) if tex else plain


def truncate(text: str) -> str:
    if len(text) <= MAX_ABSTRACT_CHARS:
        return text
    cut = text[:MAX_ABSTRACT_CHARS].rsplit(" ", 1)[0]
    return cut + " …"


def split_authors(text: str) -> tuple[str, ...]:
    """arXiv listings and forums give one comma-separated string ("A, B and C")."""
    text = clean_tex(text)
    names = re.split(r",\s*|\s+and\s+", text)
    return tuple(name.strip() for name in names if name.strip())


def authors(entry: Any) -> tuple[str, ...]:
    names = tuple(text(name) for a in get(entry, "authors", ()) if (name := get(a, "name")))
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
    return link if urlsplit(link).scheme in ("http", "https") else ""


def item_id(entry: Any, link: str) -> str:
    """The item's own id: guid/id, else its link, else a digest of its title (never its date)."""
    explicit = str(entry.get("id") or "").strip()
    if explicit:
        return explicit
    if link:
        return link
    digest = hashlib.sha256(str(entry.get("title", "")).encode("utf-8")).hexdigest()[:16]
    return f"sha256:{digest}"


def date(container: Any, *keys: str) -> datetime | None:
    for key in keys:
        # dict.get, not FeedParserDict.get: the latter quietly answers "updated" with the published date.
        value = dict.get(container, key) if isinstance(container, dict) else None
        if isinstance(value, time.struct_time):
            # feedparser normalises to UTC struct_time; timegm reads it as UTC.
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    return None


def describe(exc: Any) -> str:
    if exc is None:
        return "unknown problem"
    line = getattr(exc, "getLineNumber", None)
    where = f" (line {line()})" if callable(line) else ""
    return f"{str(exc) or type(exc).__name__}{where}"
