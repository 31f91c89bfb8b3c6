"""LessWrong and the Alignment Forum: posts known by their guid; a linkpost for one arXiv paper is that paper."""

from __future__ import annotations

import re
from collections.abc import Callable
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


# The feed's wrapping of every post: "Published on <date><br/><br/>" first, "<a href=...#comments>Discuss</a>" last.
_PUBLISHED_ON = re.compile(r"\s*Published on [^<]*(?:<br\s*/?>\s*)*", re.IGNORECASE)
_DISCUSS = re.compile(r"(?:<br\s*/?>\s*)*<a [^>]*#comments\"?[^>]*>\s*Discuss\s*</a>\s*$", re.IGNORECASE)
_TAIL = 1000  # where the "Discuss" link is looked for: a regex over the whole body was quadratic on "<a <a <a ..."
# "This is a linkpost for <a href=URL>...</a>" or "... for https://...": ForumMagnum's own first line. The target
# must be a link: "This is a linkpost for work done as part of MATS 9.0" is prose, and stays in the summary.
_LINKPOST = re.compile(
    r"This is a linkpost for\s*(?:<a [^>]*href=\"([^\"]+)\"[^>]*>.*?</a>|(https?://[^\s<]+|www\.[^\s<]+))\.?",
    re.IGNORECASE | re.DOTALL,
)
# Footnote markup (ForumMagnum and the editors it imports from): the references [1] in the text and the list of
# notes at the end are no part of a summary. Each is found as an opening tag, then the first closing one after it
# (`_cut_spans`): one regex with `.*?` between them rescanned the rest of the body from every unclosed opening, and
# a 160 KB post of them took 8 s. Tags are bounded (a real one is under 300 characters) for the same reason.
_FOOTNOTE_REF = (re.compile(r"<sup[^>]{0,1000}>\s*<a [^>]{0,1000}(?:footnote|fnref|#fn)[^>]{0,1000}>", re.IGNORECASE),
                 re.compile(r"</a>\s*</sup>", re.IGNORECASE))
_FOOTNOTE_LIST = re.compile(r"<(ol|section|div)\b[^>]{0,1000}?class=\"[^\">]*footnote[^\">]*\"[^>]{0,1000}>",
                            re.IGNORECASE)


def _summary_html(body: str) -> str:
    """The post's HTML without the feed's "Published on" / "Discuss" wrapping, the linkpost line and footnotes."""
    if published := _PUBLISHED_ON.match(body):
        body = body[published.end():]
    if discuss := _DISCUSS.search(body, max(0, len(body) - _TAIL)):
        body = body[:discuss.start()]
    body = _cut_spans(body, _FOOTNOTE_REF[0], lambda _: _FOOTNOTE_REF[1])
    body = _cut_spans(body, _FOOTNOTE_LIST, lambda opening: _closing_tag(opening.group(1)))
    return _LINKPOST.sub("", body, count=1) if _LINKPOST.search(body[:2000]) else body


def _closing_tag(name: str) -> re.Pattern[str]:
    return re.compile(f"</{name}>", re.IGNORECASE)


def _cut_spans(body: str, opening: re.Pattern[str], closing_for: Callable[[re.Match[str]], re.Pattern[str]]) -> str:
    """`body` with each span from an `opening` match to the first closing match after it replaced by a space,
    in time linear in the body: a closing tag missing after one opening is missing after every later one of its
    kind, so that kind is not looked for again."""
    kept: list[str] = []
    position = 0
    unclosed: set[str] = set()
    for found in opening.finditer(body):
        kind = found.group(1).lower() if opening.groups else ""
        if found.start() < position or kind in unclosed:
            continue
        closing = closing_for(found).search(body, found.end())
        if closing is None:
            unclosed.add(kind)
            continue
        kept.append(body[position:found.start()])
        kept.append(" ")
        position = closing.end()
    kept.append(body[position:])
    return "".join(kept) if len(kept) > 1 else body


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


