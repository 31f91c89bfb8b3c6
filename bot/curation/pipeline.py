"""The curation state machine: candidate → posted → approved / rejected / expired.

Every transition is one database transaction guarded so that a replayed event, a restart, a Slack
retry or a second process changes nothing the second time. Writing the catalogue happens after the
decision commits and is itself idempotent (the entry id is derived from the paper), so a crash between
the two is repaired by `recover()` on the next start without a second copy of the entry.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.catalogue.model import Entry, Link
from bot.catalogue.service import CatalogueService
from bot.catalogue.text import entry_slug, slugify
from bot.chat.adapter import ChannelRole, ChatAdapter, PostRef
from bot.chat.values import Vote
from bot.curation.maintainers import Maintainers
from bot.curation.posts import VotingRules, candidate_key, candidate_post, decided_post
from bot.errors import AdapterError
from bot.intake.identity import arxiv_abs_url, arxiv_id
from bot.intake.sites import site_label
from bot.store.curation import CurationStore, Decision
from bot.store.db import Database
from bot.store.papers import PaperStore, StoredPaper

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoteOutcome:
    counted: bool
    reason: str
    candidate_id: int | None = None
    decision: str | None = None


class ApprovalPublisher(Protocol):
    """Told of each approval once its entry is written (bot.github.publisher.Publisher): must be idempotent."""

    async def approved(self, paper_id: int) -> None: ...


def process_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def entry_for(paper: StoredPaper, decision: Decision, taken_ids: set[str]) -> Entry:
    """The catalogue entry an approved paper becomes. Its id depends only on the paper, so a retry
    after a crash recognises an entry it already wrote."""
    base = entry_slug(paper.title) or f"paper-{paper.id}"
    entry_id = base if base not in taken_ids else f"{base}-{slugify(paper.arxiv_id or str(paper.id))}"
    links: list[Link] = []
    if paper.arxiv_id:  # labelled like the seed list: "arxiv 2309"
        label = f"arxiv {paper.arxiv_id[:4]}" if paper.arxiv_id[:4].isdigit() else "arxiv"
        links.append(Link(label, arxiv_abs_url(paper.arxiv_id)))
    for label, url in [("", paper.abs_url), *paper.links]:
        if not url or url == paper.pdf_url or (paper.arxiv_id and arxiv_id(url)):
            continue  # the pdf and other spellings of the arXiv link add nothing
        if url not in {link.url for link in links}:
            links.append(Link(site_label(url, label), url))
    forum_only = not paper.arxiv_id and any(
        word in label.lower() for label, _ in paper.links for word in ("lesswrong", "alignment forum"))
    return Entry(
        id=entry_id, title=paper.title, kind="blog" if forum_only else "paper", links=tuple(links),
        authors=paper.authors[:20], added=decision.decided_at.date().isoformat(),
        source=paper.abs_url or (paper.links[0][1] if paper.links else ""),
        approved_by=tuple(name.split(":", 1)[-1] for name in decision.deciders), topics=(decision.topic or "",),
    )


class Curation:
    def __init__(self, database: Database, catalogue: CatalogueService, settings: Settings, *,
                 holder: str | None = None):
        self.db = database
        self.papers = PaperStore(database)
        self.store = CurationStore(database)
        self.catalogue = catalogue
        self.settings = settings
        self.maintainers = Maintainers.from_settings(settings)
        self.rules = VotingRules(
            approve=tuple(settings.approve_emoji), reject=tuple(settings.reject_emoji),
            topic_choices=tuple(settings.topic_emoji), approvals_needed=settings.approvals_needed,
            rejections_needed=settings.rejections_needed,
        )
        self.holder = holder or process_id()
        self.adapters: dict[str, ChatAdapter] = {}
        self._reported_failures: set[tuple[str, str]] = set()
        self.publisher: ApprovalPublisher | None = None  # set by the App when the list lives on GitHub

    def attach(self, adapter: ChatAdapter) -> None:
        self.adapters[adapter.platform] = adapter

    # ------------------------------------------------------------------ publishing

    async def publish_pending(self, platform: str | None = None) -> int:
        """Post every open candidate not yet posted to the maintainers' channel of each adapter (or only of
        `platform`: each platform's publish job runs under its own lease and must not post for the others)."""
        posted = 0
        candidates = await asyncio.to_thread(self.papers.candidates)
        adapters = [a for a in self.adapters.values() if platform is None or a.platform == platform]
        for adapter in adapters:
            channel = adapter.channel_for("maintainers")
            if not channel:
                continue
            for paper in candidates:
                key = candidate_key(paper.id)
                if await asyncio.to_thread(self.store.post_for_key, adapter.platform, channel, key):
                    continue
                post = candidate_post(paper, self.catalogue.index, self.rules)
                ref = await self.publish_to(adapter, post, "maintainers")
                if ref is None:
                    break  # the channel is unusable: logged once, try again next round
                await asyncio.to_thread(self.store.record_post, key=key, kind="candidate", paper_id=paper.id,
                                        platform=ref.platform, channel_id=ref.channel_id, message_id=ref.message_id)
                posted += 1
        return posted

    async def publish_to(self, adapter: ChatAdapter, post: Any, role: ChannelRole) -> PostRef | None:
        try:
            return await adapter.publish(post, role)
        except AdapterError as exc:
            marker = (adapter.platform, str(exc))
            if marker not in self._reported_failures:
                self._reported_failures.add(marker)
                log.error("%s: cannot post to the %s channel: %s", adapter.platform, role, exc)
            return None

    # ------------------------------------------------------------------ votes

    async def handle_vote(self, vote: Vote) -> VoteOutcome:
        outcome = await asyncio.to_thread(self._apply_vote, vote)
        if outcome.decision:
            await self.complete(outcome.candidate_id)  # type: ignore[arg-type]
        return outcome

    def _classify(self, emoji_name: str) -> tuple[str, int | None] | None:
        if emoji_name in self.rules.approve:
            return "approve", None
        if emoji_name in self.rules.reject:
            return "reject", None
        if emoji_name in self.rules.topic_choices:
            return "topic", self.rules.topic_choices.index(emoji_name)
        return None

    def _apply_vote(self, vote: Vote) -> VoteOutcome:
        if self._classify(vote.emoji) is None:
            return VoteOutcome(False, "not a voting emoji")
        person = self.maintainers.person_for_vote(vote)
        if person is None:
            return VoteOutcome(False, "bot's own reaction" if vote.is_bot else "not a maintainer")
        with self.db.transaction() as conn:
            paper_id = self.store.paper_for_message(conn, vote.platform, vote.channel_id, vote.message_id)
            if paper_id is None:
                return VoteOutcome(False, "not a candidate post")
            if vote.event_id and not self.store.first_time(conn, f"{vote.platform}:{vote.event_id}"):
                return VoteOutcome(False, "duplicate event", paper_id)
            changed = self.store.set_vote(conn, paper_id=paper_id, person=person, emoji=vote.emoji,
                                          platform=vote.platform, user_id=vote.user_id, added=vote.added)
            if not changed:
                return VoteOutcome(False, "unchanged", paper_id)
            decision = self._tally(conn, paper_id)
        return VoteOutcome(True, "counted" if vote.added else "withdrawn", paper_id, decision)

    async def vote(self, paper_id: int, emoji_name: str, person: str, *, added: bool = True) -> VoteOutcome:
        """A vote cast on a candidate by id (console, shell), counted like a reaction."""
        def apply() -> VoteOutcome:
            if self._classify(emoji_name) is None:
                return VoteOutcome(False, "not a voting emoji")
            with self.db.transaction() as conn:
                if self.papers.paper(paper_id, conn) is None:
                    return VoteOutcome(False, "no such candidate")
                changed = self.store.set_vote(conn, paper_id=paper_id, person=person, emoji=emoji_name,
                                              platform="console", user_id=person, added=added)
                decision = self._tally(conn, paper_id) if changed else None
            return VoteOutcome(changed, "counted" if changed else "unchanged", paper_id, decision)

        outcome = await asyncio.to_thread(apply)
        if outcome.decision:
            await self.complete(paper_id)
        return outcome

    def _tally(self, conn: Any, paper_id: int) -> str | None:
        """Decide if the standing votes reach a threshold; the decision is taken inside this transaction."""
        paper = self.papers.paper(paper_id, conn)
        if paper is None or paper.status != "candidate":
            return None
        approvers: list[str] = []
        rejecters: list[str] = []
        topic_votes: dict[int, int] = {}
        for person, emoji_name in self.store.votes(conn, paper_id):
            kind = self._classify(emoji_name)
            if kind is None:
                continue
            if kind[0] == "approve" and person not in approvers:
                approvers.append(person)
            elif kind[0] == "reject" and person not in rejecters:
                rejecters.append(person)
            elif kind[0] == "topic" and kind[1] is not None and kind[1] < len(paper.topics):
                topic_votes[kind[1]] = topic_votes.get(kind[1], 0) + 1
        now = self.db.now()
        if len(rejecters) >= self.rules.rejections_needed:
            return "rejected" if self.store.decide(conn, paper_id=paper_id, decision="rejected", topic=None,
                                                   deciders=rejecters, entry_id=None, now=now) else None
        if len(approvers) >= self.rules.approvals_needed:
            topic = self._chosen_topic(paper, topic_votes)
            if topic is None:
                return None  # approved in spirit, but nowhere to file it: waits for a topic vote
            return "approved" if self.store.decide(conn, paper_id=paper_id, decision="approved", topic=topic,
                                                   deciders=approvers, entry_id=None, now=now) else None
        return None

    def _chosen_topic(self, paper: StoredPaper, topic_votes: dict[int, int]) -> str | None:
        if topic_votes:
            best = max(sorted(topic_votes), key=lambda i: topic_votes[i])
            return paper.topics[best]["slug"]
        for topic in paper.topics:
            if self.catalogue.index.catalogue.topic(topic["slug"]):
                return topic["slug"]
        return None

    # ------------------------------------------------------------------ direct decisions

    async def decide(self, paper_id: int, decision: str, *, person: str, topic: str | None = None) -> VoteOutcome:
        """A maintainer's explicit decision (console `approve 12`, `interp-bot decide 12 approve`)."""
        if decision not in ("approve", "reject"):
            raise ValueError("decision must be approve or reject")
        index = self.catalogue.index
        if topic is not None and index.catalogue.topic(topic) is None:
            match = index.topics.resolve(topic)
            if match.topic is None:
                return VoteOutcome(False, f"no topic '{topic}' (see `topics`)", paper_id)
            topic = match.topic.slug

        def apply() -> VoteOutcome:
            paper = self.papers.paper(paper_id)
            if paper is None:
                return VoteOutcome(False, f"no candidate #{paper_id}", paper_id)
            if paper.status != "candidate":
                return VoteOutcome(False, f"candidate #{paper_id} is already {paper.status}", paper_id)
            chosen = topic or self._chosen_topic(paper, {})
            if decision == "approve" and chosen is None:
                return VoteOutcome(False, "no topic suggested: give one with --topic SLUG", paper_id)
            status = "approved" if decision == "approve" else "rejected"
            with self.db.transaction() as conn:
                won = self.store.decide(conn, paper_id=paper_id, decision=status,
                                        topic=chosen if status == "approved" else None, deciders=[person],
                                        entry_id=None, now=self.db.now())
            return VoteOutcome(won, "decided" if won else "decided elsewhere first", paper_id, status if won else None)

        outcome = await asyncio.to_thread(apply)
        if outcome.decision:
            await self.complete(paper_id)
        return outcome

    # ------------------------------------------------------------------ after a decision

    async def complete(self, paper_id: int) -> None:
        """Write the catalogue for an approval, then edit the posts: both idempotent, both resumable."""
        decision = await asyncio.to_thread(self.store.decision, paper_id)
        if decision is None:
            return
        if decision.decision == "approved" and not decision.written:
            await asyncio.to_thread(self._write_entry, decision)
        if not decision.announced:
            await self._announce(decision)
        publisher = self.publisher
        if decision.decision == "approved" and publisher is not None:
            try:
                await publisher.approved(paper_id)
            except Exception:  # the entry stays written and announced; only its publishing is lost, and logged
                log.exception("could not record candidate #%d for publishing", paper_id)

    def _write_entry(self, decision: Decision) -> None:
        paper = self.papers.paper(decision.paper_id)
        assert paper is not None
        catalogue = self.catalogue.index.catalogue
        source = paper.abs_url or (paper.links[0][1] if paper.links else "")
        existing = next((e for e in catalogue.entries if source and e.source == source), None)
        if existing is None:
            entry = entry_for(paper, decision, {e.id for e in catalogue.entries})
            message = None
            if self.settings.git_commit or self.settings.github_enabled:
                message = (f"Add “{entry.title}” to the list\n\n"
                           f"Approved by {', '.join(entry.approved_by)} via interp-bot.")
            self.catalogue.append(entry, decision.topic or "", commit_message=message)
            log.info("added %r to %s (approved by %s)", paper.title, decision.topic, ", ".join(decision.deciders))
            entry_id = entry.id
        else:
            entry_id = existing.id  # written before a crash: do not write it twice
        self.store.mark_decision(decision.paper_id, written=True, entry_id=entry_id)

    async def _announce(self, decision: Decision) -> None:
        paper = await asyncio.to_thread(self.papers.paper, decision.paper_id)
        if paper is None:
            return
        post = decided_post(paper, decision, self.catalogue.index)
        complete = True
        for stored in await asyncio.to_thread(self.store.posts_for_paper, decision.paper_id):
            if stored.edited or stored.kind != "candidate":
                continue
            adapter = self.adapters.get(stored.platform)
            if adapter is None:
                complete = False  # that platform runs in another process, whose recover() edits it
                continue
            try:
                await adapter.edit(PostRef(stored.platform, stored.channel_id, stored.message_id), post)
            except AdapterError as exc:
                log.warning("%s: could not edit the post of candidate #%d: %s", stored.platform, paper.id, exc)
                complete = False
                continue
            await asyncio.to_thread(self.store.mark_post_edited, stored.platform, stored.channel_id,
                                    stored.message_id)
        if complete:
            await asyncio.to_thread(self.store.mark_decision, decision.paper_id, announced=True)

    async def recover(self) -> int:
        """Finish decisions a crash interrupted (entry not written, posts not edited)."""
        pending = await asyncio.to_thread(self.store.decisions, pending_write=True)
        pending += [d for d in await asyncio.to_thread(self.store.decisions, pending_announce=True) if d not in pending]
        for decision in pending:
            await self.complete(decision.paper_id)
        return len(pending)

    async def expire(self) -> int:
        """Close candidates nobody decided on within the configured number of days."""
        cutoff = self.db.now() - timedelta(days=self.settings.candidate_expiry_days)

        def apply() -> list[int]:
            expired = []
            for paper in self.papers.candidates():
                if paper.first_seen_at < cutoff:
                    with self.db.transaction() as conn:
                        if self.store.decide(conn, paper_id=paper.id, decision="expired", topic=None, deciders=[],
                                             entry_id=None, now=self.db.now()):
                            expired.append(paper.id)
            return expired

        ids = await asyncio.to_thread(apply)
        for paper_id in ids:
            await self.complete(paper_id)
        return len(ids)
