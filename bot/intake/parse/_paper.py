"""What parsing produces: one Paper per feed item, and the result of parsing one response."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
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
    old_crosslists_skipped: int = 0  # arXiv listings: papers first submitted long ago, cross-listed today
    skipped_identities: tuple[tuple[str, str], ...] = ()  # (arXiv id, title) of the items skipped as not new


REPLACEMENT_TYPES = frozenset({"replace", "replace-cross"})
# Bounds on what one item may store (checked at parse time, so nothing longer is stored, posted or approved).
# Forum posts carry their whole text; a candidate needs a summary, not the essay. arXiv's own limits: titles well
# under 300 characters, abstracts 1,920. Collaborations list thousands of authors: the first 50 are kept.
MAX_ABSTRACT_CHARS = 2000
MAX_TITLE_CHARS = 300
MAX_AUTHORS = 50
MAX_AUTHOR_CHARS = 100
MAX_CATEGORIES = 20
MAX_URL_CHARS = 1000
MAX_ID_CHARS = 300
