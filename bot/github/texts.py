"""Every word publishing writes: commit messages, pull request titles and bodies (GitHub markdown), and the neutral
posts maintainers read in chat. Titles come from feeds, so they are untrusted: escaped for markdown here (no
@mentions, no injected links or HTML), and left to each chat renderer to escape for its platform.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from bot.catalogue.git import inert
from bot.catalogue.model import Catalogue, entry_from_data
from bot.catalogue.text import flatten, valid_url
from bot.chat.values import Item, Link, Post, Reply, ReplyKind
from bot.store.github import StoredPublication

TRAILER = "Interp-Bot-Paper"  # on every commit the bot makes: commits without it on a branch are someone else's
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")



def one_line(text: str, limit: int = 200) -> str:
    text = flatten(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def approvers_text(publication: StoredPublication) -> str:
    return ", ".join(f"{name} ({platform})" for name, platform in publication.approvers) or "maintainers"


def commit_message(publication: StoredPublication) -> str:
    title = inert(one_line(str(publication.entry.get("title", "")), 150))
    return (f"Add “{title}” to the list\n\nApproved by {approvers_text(publication)} via interp-bot.\n\n"
            f"{TRAILER}: {publication.paper_id}\n")


def _markdown(text: str) -> str:
    """Plain text that GitHub shows as itself: markdown and HTML escaped, @mentions and #refs defused."""
    # After escaping: GitHub still reads "\#1" as a reference, and "Closes \#1" in a merged body closes issue 1.
    return inert(_MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text)))


def _link_target(url: str) -> str | None:
    url = url.strip()
    if not valid_url(url):
        return None
    # "|" too: the link sits in a table's cell, which GitHub ends at a "|" before it reads any link
    return (url.replace("(", "%28").replace(")", "%29").replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")
            .replace("|", "%7C"))


def pull_title(branch_kind: str, day: str, publications: Sequence[StoredPublication]) -> str:
    if branch_kind == "pull-request-each" and publications:
        return inert(one_line(f"Add “{publications[0].entry.get('title', '')}” to the list", 120))
    count = len(publications)
    return f"Add {count} paper{'s' if count != 1 else ''} approved on {day}"


def _paper_cell(publication: StoredPublication) -> str:
    """The paper's title in a markdown table, linked to its first valid link."""
    entry = entry_from_data(publication.entry)
    title = _markdown(entry.title)
    target = next((t for t in (_link_target(link.url) for link in entry.links) if t), None)
    return f"[{title}]({target})" if target else title


def withdrawn_body(publications: Sequence[StoredPublication]) -> str:
    """The description of a pull request the bot closed because nothing in it was left to add."""
    rows = ["| Paper | What became of it |", "|---|---|"]
    for publication in publications:
        fate = ("already on the list: it reached the default branch another way" if publication.state == "listed"
                else f"cannot be added: {publication.note or 'it no longer fits the list'}")
        rows.append(f"| {_paper_cell(publication)} | {_markdown(fate)} |")
    return "\n".join([
        "interp-bot closed this pull request: rebuilt on the default branch, it has nothing left to add (below), "
        "so its earlier commits should not be merged: they would list a paper twice, or write into a topic that "
        "is gone.", "", *rows, "",
        "Later approvals go to a new pull request.",
    ])


def pull_body(publications: Sequence[StoredPublication], catalogue: Catalogue, *, front_page: str = "") -> str:
    """The pull request's description: each paper, its topic, who approved it and on which platform; and, when the
    default branch's `front_page` is not what the list renders to (edited by hand), that this re-renders it."""
    rows = ["| Paper | Topic | Approved by |", "|---|---|---|"]
    for publication in publications:
        topic = catalogue.topic_filed_as(publication.topic)  # the topic it is written under (renamed since?)
        where = catalogue.path_text(topic.slug) if topic is not None else publication.topic
        rows.append(f"| {_paper_cell(publication)} | {_markdown(where)} | "
                    f"{_markdown(approvers_text(publication))} |")
    return "\n".join([
        "Papers the list's maintainers approved in chat, added by "
        "[interp-bot](https://github.com/interp-bot/interp-bot).", "", *rows, "",
        "Each paper is one commit that touches only its own entry's lines and the rendered README. "
        "Merging lists them; closing this pull request without merging marks them *rejected upstream* and the bot "
        "will not propose them again.", "",
        *([f"**Note:** `{_markdown(front_page)}` on the default branch is not what the list renders to (edited by "
           "hand, or never rendered from the YAML). This pull request renders it from the YAML, which undoes any "
           f"edits made to it by hand: keep text that is not the list outside `{_markdown(front_page)}`, or edit "
           "the YAML.", ""] if front_page else []),
        "<!-- interp-bot rewrites this description as approvals arrive -->",
    ])


# --------------------------------------------------------------------------- posts in the maintainers' channel


def _paper_items(publications: Sequence[StoredPublication]) -> tuple[Item, ...]:
    items = []
    for publication in publications:
        entry = entry_from_data(publication.entry)
        items.append(Item(title=entry.title, links=entry.links[:2],
                          detail=f"approved by {approvers_text(publication)}", ref=publication.entry_id))
    return tuple(items)


def merged_post(number: int, url: str, publications: Sequence[StoredPublication]) -> Post:
    count = len(publications)
    reply = Reply(title=f"🎉 Merged on GitHub: pull request #{number}", kind="info", url=url,
                  text=f"{count} paper{'s are' if count != 1 else ' is'} now on the list: {url}",
                  items=(*_paper_items(publications),
                         Item(title=f"Pull request #{number}", links=(Link("github", url),))),
                  footer="interp-bot · github")
    return Post(key=f"github-merged:{number}", kind="notice", reply=reply)


def _outcome_post(key: str, title: str, text: str, url: str, publications: Sequence[StoredPublication], *,
                  kind: ReplyKind = "info") -> Post:
    reply = Reply(title=title, kind=kind, url=url, text=text, items=_paper_items(publications),
                  footer="interp-bot · github")
    return Post(key=key, kind="notice", reply=reply)


def _after_close(what: str, number: int, closed_at: datetime) -> str:
    """A notice's key, with the close it follows: a pull request closed, reopened and closed again is said closed
    again (a key is posted once per channel)."""
    return f"github-{what}:{number}:{closed_at:%Y%m%dT%H%M%S.%f}"


def closed_post(number: int, url: str, closed_at: datetime, publications: Sequence[StoredPublication]) -> Post:
    return _outcome_post(_after_close("closed", number, closed_at),
                         f"🚫 Closed without merging: pull request #{number}",
                         "These papers are taken off the bot's list, marked rejected upstream, and will not be "
                         f"proposed again: {url}", url, publications)


def reopened_post(number: int, url: str, closed_at: datetime, publications: Sequence[StoredPublication]) -> Post:
    """`closed_at`: when it had been closed (each reopen is its own notice)."""
    return _outcome_post(_after_close("reopened", number, closed_at),
                         f"↩️ Reopened on GitHub: pull request #{number}",
                         "These papers are approved again, back on the bot's list, and wait for the pull "
                         f"request's merge: {url}", url, publications)


def withdrawn_reopened_post(number: int, url: str, merged: bool, closed_at: datetime,
                            publications: Sequence[StoredPublication]) -> Post:
    """A pull request the bot withdrew (nothing left to add), reopened by a person: merging it lists twice."""
    if merged:
        return _outcome_post(_after_close("withdrawn-merged", number, closed_at),
                             f"⚠️ Merged although withdrawn: pull request #{number}",
                             "interp-bot had closed it because its papers were on the list already; merged, it may "
                             f"have listed them twice. Check the list for duplicates: {url}", url, publications,
                             kind="error")
    return _outcome_post(_after_close("withdrawn-reopened", number, closed_at),
                         f"⚠️ Reopened, but nothing in it is left to add: pull request #{number}",
                         "interp-bot had closed it because its papers are on the list already (or no longer fit "
                         f"it); merging it would list them twice. Close it again: {url}", url, publications,
                         kind="error")


def withdrawn_post(number: int, url: str, publications: Sequence[StoredPublication]) -> Post:
    return _outcome_post(f"github-withdrawn:{number}", f"🧹 Closed by interp-bot: pull request #{number}",
                         "Nothing in it is left to add: its papers reached the list another way (or no longer fit "
                         f"it), and merging its old commits would list them twice: {url}", url, publications)


def invalid_upstream_post(repo: str, branch: str, commit: str, problems: Sequence[str]) -> Post:
    shown = list(problems[:15]) + ([f"… and {len(problems) - 15} more"] if len(problems) > 15 else [])
    reply = Reply(title=f"⚠️ The list on GitHub is invalid ({repo}, {branch} at {commit[:10]})", kind="error",
                  text="interp-bot keeps serving the last valid list and publishes nothing until this is fixed "
                       "upstream:\n" + "\n".join(f"• {problem}" for problem in shown),
                  footer="interp-bot · github sync")
    return Post(key=f"github-invalid:{commit[:40]}", kind="notice", reply=reply)


def problem_post(key: str, title: str, text: str) -> Post:
    """A problem maintainers must act on (a token without rights, an approval that no longer fits the list)."""
    return Post(key=key[:100], kind="notice",
                reply=Reply(title=f"⚠️ {title}", kind="error", text=text, footer="interp-bot · github"))
