"""The neutral posts of curation: a candidate, its decided form, and the daily digest.

Adapters only render these (embeds, Block Kit, text); every word a maintainer reads is decided here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.catalogue.model import Catalogue, Entry
from bot.catalogue.search import CatalogueIndex
from bot.catalogue.text import flatten
from bot.chat import emoji
from bot.chat.render import SHELL_PREFIX
from bot.chat.values import Field, Item, Link, Post, Reply
from bot.intake.parse._paper import MAX_AUTHORS
from bot.intake.sites import site_label
from bot.store.curation import Decision, candidate_key
from bot.store.github import StoredPublication, StoredPullRequest
from bot.store.papers import StoredPaper

ABSTRACT_CHARS = 400


@dataclass(frozen=True)
class VotingRules:
    approve: tuple[str, ...]
    reject: tuple[str, ...]
    topic_choices: tuple[str, ...]
    approvals_needed: int
    rejections_needed: int


def _authors(paper: StoredPaper, limit: int = 6) -> str:
    names = list(paper.authors)
    if len(names) > limit:
        # The intake keeps the first MAX_AUTHORS names: as many is "or more", not the paper's count.
        count = f"{len(names)}+" if len(names) >= MAX_AUTHORS else str(len(names))
        return ", ".join(names[:limit]) + f" et al. ({count} authors)"
    return ", ".join(names)


def _links(paper: StoredPaper) -> tuple[Link, ...]:
    links: list[Link] = []
    seen: set[str] = set()
    # "abs" is arXiv's word: a forum post's own page is named by its site ("LessWrong").
    first = "abs" if paper.arxiv_id or not paper.abs_url else site_label(paper.abs_url, "")
    for label, url in [(first, paper.abs_url), ("pdf", paper.pdf_url), *paper.links]:
        if url and url not in seen:
            seen.add(url)
            links.append(Link(label, url))
    return tuple(links)


def _short(text: str, limit: int) -> str:
    text = flatten(text)
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def topic_name(topic: dict[str, Any], index: CatalogueIndex) -> str:
    """A suggested topic as maintainers can tell it apart: "Component › General", not one of four "General"s."""
    slug = topic.get("slug")
    if isinstance(slug, str) and index.catalogue.topic(slug) is not None:
        return index.catalogue.display_title(slug)
    return str(topic.get("title") or slug or "?")


def topic_lines(paper: StoredPaper, rules: VotingRules, index: CatalogueIndex) -> str:
    lines = []
    for choice, topic in zip(rules.topic_choices, paper.topics, strict=False):
        lines.append(f"{emoji.to_unicode(choice)} {topic_name(topic, index)} ({topic['score']:.2f})")
    return "\n".join(lines) or "none suggested"


def voting_prompts(paper: StoredPaper, rules: VotingRules) -> tuple[str, ...]:
    """The reactions a candidate post carries for maintainers to click: approve, reject, one per suggested topic."""
    return (*rules.approve[:1], *rules.reject[:1], *rules.topic_choices[: len(paper.topics)])


def candidate_post(paper: StoredPaper, index: CatalogueIndex, rules: VotingRules) -> Post:
    """What maintainers see: the paper, why it was picked, where it would go, and what is already listed."""
    nearest = index.search.search(paper.title, limit=3)
    near_items = tuple(
        Item(title=hit.entry.title, detail=index.catalogue.path_text(hit.entry.topics[0]), ref=hit.entry.id)
        for hit in nearest
    )
    approve = emoji.to_unicode(rules.approve[0]) if rules.approve else "approve"
    reject = emoji.to_unicode(rules.reject[0]) if rules.reject else "reject"
    choices = "".join(emoji.to_unicode(c) for c in rules.topic_choices[: len(paper.topics)])
    fields = [
        Field("Suggested topics", topic_lines(paper, rules, index)),
        Field("Relevance", f"{paper.score:.2f}"),
        Field("Source", ", ".join(paper.feeds) or "manual"),
        Field("Vote", f"{approve} approve ({rules.approvals_needed} needed) · {reject} reject"
                      + (f" · {choices} pick a topic" if choices else "")),
    ]
    if near_items:
        fields.append(Field("Nearest on the list", "\n".join(f"• {item.title}" for item in near_items)))
    reply = Reply(
        title=paper.title,
        kind="info",
        text=_short(paper.abstract, ABSTRACT_CHARS),
        items=(Item(title=_authors(paper) or "authors unknown", links=_links(paper)),),
        fields=tuple(fields),
        footer=f"candidate #{paper.id} · {candidate_key(paper.canonical_id)}",
        url=paper.abs_url or (paper.links[0][1] if paper.links else ""),
    )
    return Post(key=candidate_key(paper.canonical_id), kind="candidate", reply=reply,
                reactions=voting_prompts(paper, rules),
                candidate_id=paper.id)


def found_listed(decision: Decision, catalogue: Catalogue) -> Entry | None:
    """The entry an approved paper was found to be when it was to be written (added by hand while it waited for
    votes), or None when the approval wrote it: what every answer about the approval names instead of "added".
    An entry the bot writes carries its approvers (`approved_by`); one found under the very topic the votes chose
    was not written either."""
    listed = catalogue.entry(decision.entry_id) if decision.entry_id else None
    if decision.decision == "approved" and listed is not None and listed.topics and (
            decision.topic not in listed.topics or not listed.approved_by):
        return listed
    return None


def filed_under(decision: Decision, catalogue: Catalogue) -> str | None:
    """The topic an approved paper stands under on the list (see `found_listed`)."""
    listed = found_listed(decision, catalogue)
    return listed.topics[0] if listed is not None else decision.topic


def decided_post(paper: StoredPaper, decision: Decision, index: CatalogueIndex) -> Post:
    """The candidate post's edited form once maintainers have decided."""
    deciders = ", ".join(name.split(":", 1)[-1] for name in decision.deciders) or "maintainers"
    listed = found_listed(decision, index.catalogue)
    if listed is not None:
        title = f"✅ Approved: {paper.title}"
        text = (f"Approved by {deciders}; already on the list as “{listed.title}” under "
                f"{index.catalogue.path_text(listed.topics[0])}.")
    elif decision.decision == "approved":
        where = index.catalogue.path_text(decision.topic) if decision.topic else "the list"
        title, text = f"✅ Added: {paper.title}", f"Filed under {where} by {deciders}."
    elif decision.decision == "rejected":
        title, text = f"❌ Not added: {paper.title}", f"Rejected by {deciders}."
    elif decision.decision == "listed":
        entry = index.catalogue.entry(decision.entry_id) if decision.entry_id else None
        title = f"📚 Already on the list: {paper.title}"
        text = (f"Listed as “{entry.title}” under {index.catalogue.path_text(entry.topics[0])}; nothing to decide."
                if entry is not None and entry.topics else "The list already holds it; nothing to decide.")
    else:
        title, text = f"⌛ Expired: {paper.title}", "No decision in time; it will not be proposed again."
    reply = Reply(title=title, kind="info", text=text, items=(Item(title=_authors(paper), links=_links(paper)),),
                  footer=f"candidate #{paper.id} · {decision.decision} {decision.decided_at:%Y-%m-%d}",
                  url=paper.abs_url)
    return Post(key=candidate_key(paper.canonical_id), kind="decision", reply=reply, candidate_id=paper.id)


def digest_post(day: str, new_candidates: Sequence[StoredPaper], approved: Sequence[tuple[StoredPaper, Decision]],
                index: CatalogueIndex,
                merged: Sequence[tuple[StoredPullRequest, Sequence[StoredPublication]]] = (),
                *, held_back: int = 0, command_prefix: str = SHELL_PREFIX,
                spell: Callable[[str], str] | None = None) -> Post:
    """New candidates and newly listed papers, grouped by topic, with links; pull requests merged on GitHub; how many
    relevant papers the daily budget held back, and the command that lists them where the digest is read
    (`command_prefix`: the channel's adapter's, "/interp " on Slack and Discord; the shell's elsewhere; `spell`,
    where the adapter has one, names the whole command: bot.chat.adapter.ChatAdapter)."""
    items: list[Item] = []
    for pull_request, publications in merged:
        titles = "; ".join(str(p.entry.get("title", "")) for p in publications)
        items.append(Item(title=f"Merged on GitHub: pull request #{pull_request.number}",
                          links=(Link("github", pull_request.url),) if pull_request.url else (),
                          detail=f"{len(publications)} paper(s) now on the list: {_short(titles, 300)}"))
    by_topic: dict[str, list[StoredPaper]] = {}
    for paper, decision in approved:
        by_topic.setdefault(filed_under(decision, index.catalogue) or "", []).append(paper)
    written = {paper.id for paper, decision in approved if decision.written}
    # `status` is a shell command: in a chat channel it is the bot's operator who can run it.
    why = "`interp-bot status` says why" if command_prefix in (SHELL_PREFIX, "") else \
        "`interp-bot status` on the bot's host says why"
    for topic, papers in by_topic.items():
        where = index.catalogue.path_text(topic) if topic and index.catalogue.topic(topic) else "the list"
        for paper in papers:
            # An approval whose entry could not be written yet is not on the list: said so, never "added".
            detail = f"added to {where}" if paper.id in written else \
                f"approved for {where}, not on the list yet ({why})"
            items.append(Item(title=paper.title, links=_links(paper), detail=detail, ref=str(paper.id)))
    grouped: dict[str, list[StoredPaper]] = {}
    for paper in new_candidates:
        grouped.setdefault(topic_name(paper.topics[0], index) if paper.topics else "Unsorted", []).append(paper)
    for topic_title, papers in grouped.items():
        for paper in papers:
            items.append(Item(title=paper.title, links=_links(paper),
                              detail=f"candidate #{paper.id} · {topic_title} · relevance {paper.score:.2f}",
                              ref=str(paper.id)))
    def typed(line: str) -> str:  # a command as its readers type it here
        return spell(line) if spell else f"{command_prefix}{line}"

    list_all = typed("candidates --all")
    if items or held_back:
        text = f"{len(written)} added to the list · {len(new_candidates)} new candidate(s) awaiting votes"
        if len(written) < len(approved):
            text += f" · {len(approved) - len(written)} approved but not on the list yet"
        if held_back:
            text += (f" · {held_back} more relevant paper(s) held back by the daily budget "
                     f"(`{list_all}` lists them)")
        if merged:
            text += f" · {len(merged)} pull request(s) merged on GitHub"
    else:
        text = "Nothing new today."
    reply = Reply(title=f"interp-bot digest — {day}", kind="info", text=text, items=tuple(items),
                  footer=f"Vote on candidates in the maintainers' channel · `{typed('recent')}` lists what was added")
    return Post(key=f"digest:{day}", kind="digest", reply=reply)
