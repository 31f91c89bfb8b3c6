"""What parsing produces: one Paper per feed item, and the result of parsing one response."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
