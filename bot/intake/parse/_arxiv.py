"""arXiv: the API's Atom (2026 format and older) and the daily listings (RSS 2.0 since 2024, RDF before)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.intake.identity import arxiv_abs_url, arxiv_id, arxiv_pdf_url, clean_tex
from bot.intake.parse import _fields as fields
from bot.intake.parse._fields import NotNew
from bot.intake.parse._paper import REPLACEMENT_TYPES, Paper


def read_arxiv_api(entry: Any, *, feed: str, channel_date: datetime | None) -> Paper | None:
    entry_id = str(fields.get(entry, "id", ""))
    ident = arxiv_id(entry_id) or arxiv_id(str(fields.get(entry, "link", "")))
    if ident is None:
        raise fields.ItemError(f"no arXiv id in {entry_id or 'an entry without id'}")
    pdf = next((fields.get(link, "href", "") for link in fields.get(entry, "links", ()) if is_pdf(link)), "")
    return arxiv_paper(
        entry, ident, feed=feed, item_id=entry_id, abstract=fields.text(fields.get(entry, "summary", "")),
        authors=fields.authors(entry),
        has_pdf=bool(pdf), announce_type="",
        published=fields.date(entry, "published_parsed"), updated=fields.date(entry, "updated_parsed"),
    )


def read_arxiv_listing(entry: Any, *, feed: str, channel_date: datetime | None) -> Paper | None:
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
    ident = (
        arxiv_id(str(entry.get("id", ""))) or arxiv_id(str(entry.get("link", "")))
        or (arxiv_id(prefix.group("id")) if prefix else None)
    )
    if announce_type in REPLACEMENT_TYPES:  # not news; but who it is may tell a listed entry its arXiv id
        raise NotNew("replacement", identity=(ident[0], clean_tex(fields.text(title))) if ident else None)
    if ident is None:
        raise fields.ItemError(f"no arXiv id in {entry.get('link') or entry.get('id') or 'an item without link'}")
    published = fields.date(entry, "published_parsed") or channel_date
    if announce_type == "cross" and published is not None and _months_old(ident[0], published) > OLD_CROSSLIST_MONTHS:
        raise NotNew("old cross-list", identity=(ident[0], clean_tex(fields.text(title))))
    version = ident[1]
    if version is None and rdf_title:
        version = (arxiv_id(rdf_title.group("id")) or (None, None))[1]
    categories = fields.categories(entry)
    if rdf_title and not categories:
        categories = (rdf_title.group("category"),)
    return arxiv_paper(
        entry, (ident[0], version), feed=feed, item_id=str(entry.get("id") or entry.get("link")),
        title=title, abstract=fields.text(summary), authors=fields.split_authors(fields.text(entry.get("author", ""))),
        has_pdf=True, announce_type=announce_type or "new", categories=categories,
        published=published, updated=fields.date(entry, "updated_parsed"),
    )


# A cross-list of a paper first submitted more than this many months before the listing is not new work: arXiv
# listed 2202.06515v3 as a "cross" on 28 Nov 2024. Two months leave room for a paper cross-listed soon after it
# appeared at the end of a month.
OLD_CROSSLIST_MONTHS = 2


def _months_old(ident: str, listed: datetime) -> int:
    """Months between the month an arXiv id was first submitted (its YYMM) and the listing's month."""
    digits = ident.rsplit("/", 1)[-1][:4]
    year, month = int(digits[:2]), int(digits[2:4])
    year += 1900 if year >= 91 else 2000  # arXiv began in 1991; ids say YY
    return (listed.year - year) * 12 + listed.month - month


def listing_error(channel: Any) -> str | None:
    """arXiv's answer to a bad archive name: HTTP 200 and a channel titled "Feed error for query: ..." with the
    reason in its description, and no items. A typo in feeds.yaml would otherwise look like a quiet day forever."""
    title = fields.text(fields.get(channel, "title", ""))
    if not title.lower().startswith("feed error for query"):
        return None
    reason = fields.text(fields.get(channel, "description", "") or fields.get(channel, "subtitle", ""))
    return f"arXiv answered with an error: {title}" + (f" — {reason}" if reason else "")


_RDF_TITLE = re.compile(
    r"\.?\s*\(arXiv:(?P<id>\S+?)\s+\[(?P<category>[^\]]+)\](?:\s+(?P<flag>UPDATED|CROSS LISTED))?\)\s*$",
    re.IGNORECASE,
)
_ANNOUNCE_PREFIX = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce\s+Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?", re.IGNORECASE
)


def arxiv_paper(
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
    clean_title = clean_tex(fields.text(title)) if title is not None else fields.title(entry, tex=True)
    if not clean_title:
        raise fields.ItemError(f"arXiv {paper_id} has no title")
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
        categories=fields.categories(entry) if categories is None else categories,
        feed=feed,
        item_id=item_id,
        announce_type=announce_type,
        arxiv_id=paper_id,
        version=version,
        links=tuple(links),
    )


def is_arxiv_api_error(entry: Any) -> bool:
    return "/api/errors" in str(fields.get(entry, "id", "")) or str(fields.get(entry, "title", "")).strip() == "Error"


def is_pdf(link: Any) -> bool:
    return fields.get(link, "type") == "application/pdf" or fields.get(link, "title") == "pdf"
