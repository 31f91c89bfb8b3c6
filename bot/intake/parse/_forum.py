"""LessWrong and the Alignment Forum: posts known by their guid; a linkpost for one arXiv paper is that paper."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.intake.identity import arxiv_abs_url, arxiv_id, arxiv_ids_in, arxiv_pdf_url, url_key
from bot.intake.parse import _fields as fields
from bot.intake.parse._paper import Paper
from bot.intake.sites import site_label


def read_forum_post(entry: Any, *, feed: str, channel_date: datetime | None) -> Paper | None:
    link = fields.web_link(entry)
    title = fields.title(entry)
    if not link or not title:
        raise fields.ItemError("a post without a title and an http(s) link")
    guid = str(entry.get("id") or "").strip() or link
    body = str(entry.get("summary", ""))
    site = site_label(link)
    links: list[tuple[str, str]] = [(site, link)]
    crosspost = crossposted_arxiv_id(body)
    canonical = url_key(link)
    pdf_url = ""
    if crosspost is not None:
        canonical = f"arxiv:{crosspost[0]}"
        pdf_url = arxiv_pdf_url(crosspost[0])
        links.append(("arxiv", arxiv_abs_url(crosspost[0])))
    return Paper(
        canonical_id=canonical,
        title=title,
        authors=fields.split_authors(fields.text(entry.get("author", ""))),
        abstract=fields.truncate(fields.text(_summary_html(body))),
        abs_url=link,
        pdf_url=pdf_url,
        published=fields.date(entry, "published_parsed"),
        updated=fields.date(entry, "updated_parsed"),
        categories=fields.categories(entry),
        feed=feed,
        item_id=guid,
        arxiv_id=crosspost[0] if crosspost else None,
        version=crosspost[1] if crosspost else None,
        links=tuple(links),
    )


_FORUM_BOILERPLATE = re.compile(
    r"^\s*Published on [^<]*(?:<br\s*/?>\s*)*|(?:<br\s*/?>\s*)*<a [^>]*#comments\"?[^>]*>\s*Discuss\s*</a>\s*$",
    re.IGNORECASE,
)
# "This is a linkpost for <a href=URL>...</a>" or "... for https://...": ForumMagnum's own first line. The target
# must be a link: "This is a linkpost for work done as part of MATS 9.0" is prose, and stays in the summary.
_LINKPOST = re.compile(
    r"This is a linkpost for\s*(?:<a [^>]*href=\"([^\"]+)\"[^>]*>.*?</a>|(https?://[^\s<]+|www\.[^\s<]+))\.?",
    re.IGNORECASE | re.DOTALL,
)
# Footnote markup (ForumMagnum and the editors it imports from): the references [1] in the text and the list of
# notes at the end are no part of a summary.
_FOOTNOTES = re.compile(
    r"<sup[^>]*>\s*<a [^>]*(?:footnote|fnref|#fn)[^>]*>.*?</a>\s*</sup>"
    r"|<(ol|section|div)\b[^>]*class=\"[^\"]*footnote[^\"]*\"[^>]*>.*?</\1>",
    re.IGNORECASE | re.DOTALL,
)


def _summary_html(body: str) -> str:
    """The post's HTML without the feed's "Published on" / "Discuss" wrapping, the linkpost line and footnotes."""
    body = _FOOTNOTES.sub(" ", _FORUM_BOILERPLATE.sub("", body))
    return _LINKPOST.sub("", body, count=1) if _LINKPOST.search(body[:2000]) else body


def crossposted_arxiv_id(body_html: str) -> tuple[str, int | None] | None:
    """The arXiv paper a forum post is a crosspost of: its linkpost target, or the one arXiv paper it links.

    A post linking several papers is a discussion of them, not one of them.
    """
    linkpost = _LINKPOST.search(body_html, 0, 2000)  # ForumMagnum puts it first; later it is a quotation
    if linkpost:
        target = arxiv_id(linkpost.group(1) or linkpost.group(2) or "")
        if target is not None:
            return target
        return None  # a linkpost for something else (transformer-circuits.pub, a blog)
    cited = arxiv_ids_in(body_html)
    return cited[0] if len(cited) == 1 else None


