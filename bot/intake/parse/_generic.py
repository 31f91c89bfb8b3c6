"""Any other RSS or Atom feed: an item with a title and an http(s) link (an arXiv link makes it an arXiv paper)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.intake.identity import arxiv_id, url_key
from bot.intake.parse import _fields as fields
from bot.intake.parse._arxiv import arxiv_paper
from bot.intake.parse._paper import Paper
from bot.intake.sites import site_label


def read_generic(entry: Any, *, feed: str, channel_date: datetime | None) -> Paper | None:
    link = fields.web_link(entry)
    title = fields.title(entry)
    if not title or not link:
        raise fields.ItemError("an item without a title and an http(s) link")
    ident = arxiv_id(link) if "arxiv" in link.lower() else None
    if ident is not None:
        return arxiv_paper(
            entry, ident, feed=feed, item_id=fields.item_id(entry, link),
            abstract=fields.text(entry.get("summary", "")),
            authors=fields.authors(entry), has_pdf=True, announce_type="",
            published=fields.date(entry, "published_parsed"), updated=fields.date(entry, "updated_parsed"),
        )
    return Paper(
        canonical_id=url_key(link),
        title=title,
        authors=fields.authors(entry),
        abstract=fields.truncate(fields.text(entry.get("summary", ""))),
        abs_url=link,
        pdf_url="",
        published=fields.date(entry, "published_parsed"),
        updated=fields.date(entry, "updated_parsed"),
        categories=fields.categories(entry),
        feed=feed,
        item_id=fields.item_id(entry, link),
        links=((site_label(link), link),),
    )
