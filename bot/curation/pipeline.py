"""The curation state machine: candidate → posted → approved / rejected / expired.

Every transition is one database transaction guarded so that a replayed event, a restart, a Slack retry or a second
process changes nothing the second time. Writing the catalogue happens after the decision commits and is itself
idempotent (the entry id is derived from the paper), so a crash between the two is finished by whoever meets the
decision next (`recover()` at start and every few minutes, a `decide` on that candidate) without a second copy of the
entry. Nothing here lets one bad candidate stop the others: a post that fails is retried with back-off while the rest
are posted, and an approval that cannot be written is reported (log, `status`) and retried while the bot goes on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.catalogue.service import CatalogueService
from bot.chat.adapter import ChatAdapter
from bot.chat.values import ReactionsCleared, Vote
from bot.curation.finishing import FinishesDecisions
from bot.curation.maintainers import Maintainers
from bot.curation.posts import VotingRules, voting_prompts
from bot.curation.publishing import PublishesCandidates
from bot.intake.list_index import ListIndexCache
from bot.store.curation import CurationStore
from bot.store.db import Database
from bot.store.papers import PaperStore, StoredPaper

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)


# The largest id a paper can have: PostgreSQL's `integer` (papers.id). A larger number typed at a shell or in chat
# names no candidate; compared with that column, PostgreSQL refused it ("integer out of range") and the command failed.
LARGEST_ID = 2**31 - 1


@dataclass(frozen=True)
class VoteOutcome:
    counted: bool
    reason: str
    candidate_id: int | None = None
    decision: str | None = None
    error: str | None = None  # the decision stands, but finishing it failed (it is retried; `status` shows it)
    # A clearing on a candidate still open took the bot's own voting reactions too: the ones to put back.
    prompts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Standing:
    """The votes standing on a candidate, counted per person."""

    approvers: list[str]
    rejecters: list[str]
    topic_voters: dict[int, set[str]]  # index into the paper's suggested topics -> the people who chose it

    def people(self) -> tuple[frozenset[str], frozenset[str], dict[int, set[str]]]:
        """Who stands where, in no order: two reads of the same votes may list them in another order."""
        return frozenset(self.approvers), frozenset(self.rejecters), self.topic_voters

    @property
    def topic_votes(self) -> dict[int, int]:
        """How many people chose each topic: one person's 1️⃣ on Discord and on Slack is one choice."""
        return {index: len(people) for index, people in self.topic_voters.items()}


class ApprovalPublisher(Protocol):
    """Told of each approval once its entry is written (bot.github.publisher.Publisher): must be idempotent."""

    async def approved(self, paper_id: int) -> None: ...


def process_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _not_open(paper: StoredPaper, threshold: float) -> str:
    """Why a paper takes no vote or decision."""
    if paper.status == "seen" and paper.held_back_at is not None:  # it scored above the threshold
        return f"#{paper.id} is not a candidate yet: the daily budget held it back (a vote or decision makes it one)"
    if paper.status == "seen" and paper.score >= threshold:  # relevant, but past a new feed's first-poll quota
        return (f"#{paper.id} is not a candidate: it came with a new feed's first poll, which puts forward only its "
                "newest relevant papers (INTERP_BOT_FIRST_POLL_MAX_ITEMS)")
    if paper.status == "seen":
        return f"#{paper.id} is not a candidate: the intake scored it below the relevance threshold"
    return f"candidate #{paper.id} is already {paper.status}"


class Curation(PublishesCandidates, FinishesDecisions):
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
        self.list_index = ListIndexCache()  # is a held-back paper on the list by now (bot.curation.held_back)

    def attach(self, adapter: ChatAdapter) -> None:
        self.adapters[adapter.platform] = adapter

    # ------------------------------------------------------------------ votes

    async def handle_vote(self, vote: Vote) -> VoteOutcome:
        outcome = await asyncio.to_thread(self._apply_vote, vote)
        return await self._finished(outcome)

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
            paper_id = self._post_paper(conn, vote.platform, vote.channel_id, vote.message_id, vote.event_id)
            if isinstance(paper_id, VoteOutcome):
                return paper_id
            if isinstance(paper := self._open(conn, paper_id), VoteOutcome):
                return paper
            changed = self.store.set_vote(conn, paper_id=paper_id, person=person, emoji=vote.emoji,
                                          platform=vote.platform, user_id=vote.user_id, added=vote.added,
                                          message_id=vote.message_id)
            if not changed:
                return VoteOutcome(False, "unchanged", paper_id)
            decision = self._tally(conn, paper_id)
        return VoteOutcome(True, "counted" if vote.added else "withdrawn", paper_id, decision)

    def _post_paper(self, conn: Any, platform: str, channel_id: str, message_id: str,
                    event_id: str) -> int | VoteOutcome:
        """The id of the candidate a reaction event's post is for, locked; or why the event changes nothing (no
        candidate's post; an event seen before, as a replay or a reconnect's resend)."""
        paper_id = self.store.paper_for_message(conn, platform, channel_id, message_id)
        if paper_id is None:
            return VoteOutcome(False, "not a candidate post")
        self.store.lock_paper(conn, paper_id)
        if event_id and not self.store.first_time(conn, f"{platform}:{event_id}"):
            return VoteOutcome(False, "duplicate event", paper_id)
        return paper_id

    def _open(self, conn: Any, paper_id: int) -> StoredPaper | VoteOutcome:
        """The candidate a reaction event's post is for, while it waits for votes; or why the event changes nothing.
        Once decided its post stays up, reactions and all: its votes are history, and a reaction added or taken off
        there neither adds to them nor takes one of them back."""
        paper = self.papers.paper(paper_id, conn)
        if paper is None or paper.status != "candidate":
            why = _not_open(paper, self.settings.relevance_threshold) if paper else "not a candidate post"
            return VoteOutcome(False, why, paper_id)
        return paper

    async def handle_clear(self, cleared: ReactionsCleared) -> VoteOutcome:
        """A candidate post's reactions were cleared (all, or one emoji's): each vote those reactions cast is
        withdrawn as its removal would have withdrawn it, and the votes standing elsewhere are counted again."""
        outcome = await asyncio.to_thread(self._apply_clear, cleared)
        return await self._finished(outcome)

    def _apply_clear(self, cleared: ReactionsCleared) -> VoteOutcome:
        if cleared.emoji is not None and self._classify(cleared.emoji) is None:
            return VoteOutcome(False, "not a voting emoji")
        with self.db.transaction() as conn:
            paper_id = self._post_paper(conn, cleared.platform, cleared.channel_id, cleared.message_id,
                                        cleared.event_id)
            if isinstance(paper_id, VoteOutcome):
                return paper_id
            if isinstance(paper := self._open(conn, paper_id), VoteOutcome):
                return paper
            withdrawn = self.store.withdraw_message_votes(conn, paper_id=paper_id, platform=cleared.platform,
                                                          message_id=cleared.message_id, emoji=cleared.emoji)
            # The clearing took the bot's own reactions with the others: those a maintainer clicks to vote.
            prompts = tuple(name for name in voting_prompts(paper, self.rules)
                            if cleared.emoji in (None, name))
            if not withdrawn:
                return VoteOutcome(False, "unchanged", paper_id, prompts=prompts)
            decision = self._tally(conn, paper_id)
        return VoteOutcome(True, "withdrawn", paper_id, decision, prompts=() if decision else prompts)

    async def vote(self, paper_id: int, emoji_name: str, person: str, *, added: bool = True,
                   user_id: str | None = None) -> VoteOutcome:
        """A vote cast on a candidate by id (console, shell, chat command), counted like a reaction. `user_id`: a
        chat command's "platform:id" (Maintainers.voter_now); the console's is the person."""
        def apply() -> VoteOutcome:
            if self._classify(emoji_name) is None:
                return VoteOutcome(False, "not a voting emoji")
            if not 0 < paper_id <= LARGEST_ID:
                return VoteOutcome(False, "no such candidate")
            with self.db.transaction() as conn:
                self.store.lock_paper(conn, paper_id)
                paper = self.papers.paper(paper_id, conn)
                if paper is None:
                    return VoteOutcome(False, "no such candidate")
                held_back = paper.status == "seen"
                if added:  # a vote on a paper the budget held back makes it a candidate; taking one back never does
                    paper = self._promoted(conn, paper)
                if paper.status != "candidate":  # a vote on it would be stored and never count
                    return VoteOutcome(False, _not_open(paper, self.settings.relevance_threshold), paper_id)
                before = self._standing(conn, paper)
                changed = self.store.set_vote(conn, paper_id=paper_id, person=person, emoji=emoji_name,
                                              platform="console", user_id=user_id or person, added=added)
                decision = self._tally(conn, paper_id) if changed else None
                if decision and held_back:
                    self.store.unpromote(conn, paper_id)
                if not changed:
                    if added:  # cast here before: one vote
                        return VoteOutcome(False, f"already counted: {self._standing_text(before)}", paper_id)
                    counted = self._counted(conn, paper_id)
                    elsewhere = any(who == person and emoji == emoji_name for who, emoji in counted)
                    return VoteOutcome(False, "that vote was cast as a reaction: remove the reaction to withdraw it"
                                       if elsewhere else f"no :{emoji_name}: vote of yours to withdraw", paper_id)
                if decision is None:  # where the votes stand now: 👍 after ✅ from one person is one vote
                    after = self._standing(conn, paper)
                    moved = after.people() != before.people()
                    if added:
                        what = "counted" if moved else "already counted"
                    else:  # 👍 taken back while their ✅ stands: still their vote
                        what = "withdrawn" if moved else "withdrawn; another of their votes still counts"
                    return VoteOutcome(True, f"{what}: {self._standing_text(after)}", paper_id)
            return VoteOutcome(True, "counted" if added else "withdrawn", paper_id, decision)

        return await self._finished(await asyncio.to_thread(apply))

    def _promoted(self, conn: Any, paper: StoredPaper) -> StoredPaper:
        """`candidates --all` shows what the daily budget held back: a maintainer's vote or decision on one of those
        makes it a candidate first (inside the caller's transaction, the paper locked)."""
        if paper.status == "seen" and paper.held_back_at is not None \
                and self.store.promote_held_back(conn, paper.id, self.db.now()):
            return self.papers.paper(paper.id, conn) or paper
        return paper

    def _counted(self, conn: Any, paper_id: int) -> list[tuple[str, str]]:
        """(person, emoji) of the votes that count: those of people who are maintainers now, under their names now
        (INTERP_BOT_MAINTAINERS may have changed since they voted; the rows of those it dropped stay, uncounted)."""
        voter = self.maintainers.voter_now
        return [(who, emoji_name) for person, emoji_name, platform, user_id in self.store.cast_votes(conn, paper_id)
                if (who := voter(person, platform, user_id)) is not None]

    def _standing(self, conn: Any, paper: StoredPaper) -> Standing:
        standing = Standing([], [], {})
        for person, emoji_name in self._counted(conn, paper.id):
            kind = self._classify(emoji_name)
            if kind is None:
                continue
            if kind[0] == "approve" and person not in standing.approvers:
                standing.approvers.append(person)
            elif kind[0] == "reject" and person not in standing.rejecters:
                standing.rejecters.append(person)
            elif kind[0] == "topic" and kind[1] is not None and kind[1] < len(paper.topics):
                standing.topic_voters.setdefault(kind[1], set()).add(person)
        return standing

    def _standing_text(self, standing: Standing) -> str:
        return (f"{len(standing.approvers)} of {self.rules.approvals_needed} approvals, "
                f"{len(standing.rejecters)} of {self.rules.rejections_needed} rejections")

    def _tally(self, conn: Any, paper_id: int) -> str | None:
        """Decide if the standing votes reach a threshold; the decision is taken inside this transaction."""
        paper = self.papers.paper(paper_id, conn)
        if paper is None or paper.status != "candidate":
            return None
        standing = self._standing(conn, paper)
        now = self.db.now()
        if len(standing.rejecters) >= self.rules.rejections_needed:
            return "rejected" if self.store.decide(conn, paper_id=paper_id, decision="rejected", topic=None,
                                                   deciders=standing.rejecters, entry_id=None, now=now) else None
        if len(standing.approvers) >= self.rules.approvals_needed:
            topic = self._chosen_topic(paper, standing.topic_votes)
            if topic is None:
                return None  # approved in spirit, but nowhere to file it: waits for a topic vote
            return "approved" if self.store.decide(conn, paper_id=paper_id, decision="approved", topic=topic,
                                                   deciders=standing.approvers, entry_id=None, now=now) else None
        return None

    def _chosen_topic(self, paper: StoredPaper, topic_votes: dict[int, int]) -> str | None:
        """The most-voted suggested topic the list still has (a hand edit may have removed or renamed one since it
        was suggested, and an approval filed there could not be written), else the first suggestion it has."""
        catalogue = self.catalogue.index.catalogue
        existing = [i for i, topic in enumerate(paper.topics) if catalogue.topic(topic["slug"])]
        voted = [i for i in existing if topic_votes.get(i)]
        if voted:
            return paper.topics[max(voted, key=lambda i: topic_votes[i])]["slug"]
        return paper.topics[existing[0]]["slug"] if existing else None

    # ------------------------------------------------------------------ direct decisions

    async def decide(self, paper_id: int, decision: str, *, person: str, topic: str | None = None,
                     force: bool = False, platform: str = "console", user_id: str | None = None) -> VoteOutcome:
        """A maintainer's decision from a shell or a chat command: one vote, counted with the votes already cast
        (reactions, topic choices); with `force`, the decision now, recorded as an override of the vote count.

        A candidate whose decision a crash left half done (approved, entry not yet written) is finished here,
        whoever asks: the maintainer at the shell should not need to know that only `run` used to do it. With
        `topic`, an approval that cannot be written where it was filed is filed there instead. `platform` is where
        the maintainer typed it (the console and `interp-bot decide` are "console"; a chat command its platform, and
        `user_id` the maintainer's "platform:id" there, kept with the vote as `vote` keeps it)."""
        if decision not in ("approve", "reject"):
            raise ValueError("decision must be approve or reject")
        if not 0 < paper_id <= LARGEST_ID:
            return VoteOutcome(False, f"no candidate #{paper_id}", paper_id)
        index = self.catalogue.index
        if topic is not None and index.catalogue.topic(topic) is None:
            match = index.topics.resolve(topic)
            if match.topic is None and match.how == "ambiguous" and match.suggestions:
                slugs = ", ".join(t.slug for t in match.suggestions)
                return VoteOutcome(False, f"'{topic}' could mean several topics: give one of {slugs}", paper_id)
            if match.topic is None:
                return VoteOutcome(False, f"no topic '{topic}' (see `topics`)", paper_id)
            topic = match.topic.slug
        emoji_names = self.rules.approve if decision == "approve" else self.rules.reject
        status = "approved" if decision == "approve" else "rejected"

        def apply() -> VoteOutcome:
            with self.db.transaction() as conn:
                self.store.lock_paper(conn, paper_id)
                paper = self.papers.paper(paper_id, conn)
                if paper is None:
                    return VoteOutcome(False, f"no candidate #{paper_id}", paper_id)
                held_back, paper = paper.status == "seen", self._promoted(conn, paper)
                if paper.status != "candidate":
                    return VoteOutcome(False, _not_open(paper, self.settings.relevance_threshold), paper_id)
                # The maintainer's own vote first (a topic they name among the suggestions is a topic vote too)...
                before = self._standing(conn, paper)
                # New if this person had no such vote standing, on any platform (a ✅ on Discord is theirs too).
                new_vote = person not in (before.approvers if status == "approved" else before.rejecters)
                if emoji_names:
                    self.store.set_vote(conn, paper_id=paper_id, person=person, emoji=emoji_names[0],
                                        platform=platform, user_id=user_id or person, added=True)
                suggested = [t["slug"] for t in paper.topics]
                if topic in suggested and suggested.index(topic) < len(self.rules.topic_choices):
                    choice = suggested.index(topic)
                    new_vote |= person not in before.topic_voters.get(choice, set())
                    self.store.set_vote(conn, paper_id=paper_id, person=person, platform=platform,
                                        user_id=user_id or person, added=True, emoji=self.rules.topic_choices[choice])
                standing = self._standing(conn, paper)
                if not force and status == "approved" and len(standing.rejecters) >= self.rules.rejections_needed:
                    # ❌ vetoes, as it would have with a ✅ reaction: a rejection that stood short of the threshold
                    # until INTERP_BOT_REJECTIONS_NEEDED was lowered decides now; it does not let this one approve.
                    vetoed = self._tally(conn, paper_id)
                    if vetoed and held_back:
                        self.store.unpromote(conn, paper_id)
                    return VoteOutcome(True, "counted, but a standing rejection vetoes it", paper_id, vetoed)
                voters = standing.approvers if status == "approved" else standing.rejecters
                needed = self.rules.approvals_needed if status == "approved" else self.rules.rejections_needed
                chosen = topic or self._chosen_topic(paper, standing.topic_votes)
                if status == "approved" and chosen is None:
                    return VoteOutcome(True, "counted; no topic suggested: give one with --topic SLUG", paper_id)
                if len(voters) < needed and not force:
                    noun = "approval" if status == "approved" else "rejection"
                    note = f"; --topic {topic} counts only with the deciding vote" if topic and topic not in \
                        suggested else ""
                    counted = "counted" if new_vote else "already counted"  # the same vote twice is one vote
                    return VoteOutcome(True, f"{counted}: {len(voters)} of {needed} {noun}s needed; no decision "
                                             f"yet{note}", paper_id)
                # ...then the decision, if the votes (or the override) carry it.
                won = self.store.decide(conn, paper_id=paper_id, decision=status,
                                        topic=chosen if status == "approved" else None,
                                        deciders=voters or [person], entry_id=None, now=self.db.now(),
                                        forced=len(voters) < needed)
                if won and held_back:
                    self.store.unpromote(conn, paper_id)
            return VoteOutcome(won, "decided" if won else "decided elsewhere first", paper_id, status if won else None)

        outcome = await asyncio.to_thread(apply)
        if outcome.decision is None and not outcome.counted:
            unfinished = await asyncio.to_thread(self.store.decision, paper_id)
            if unfinished is not None and not unfinished.written:
                if topic and status == unfinished.decision == "approved" and topic != unfinished.topic:
                    # How an operator re-files an approval stuck on a topic that has left topics.yaml.
                    await asyncio.to_thread(self.store.mark_decision, paper_id, topic=topic)
                error = await self.finish(paper_id)
                reason = f"finished the {unfinished.decision} decision left unfinished (a crash, or an error since " \
                         "fixed)" + ("" if unfinished.decision == status else
                                     f": candidate #{paper_id} stays {unfinished.decision}")
                return VoteOutcome(unfinished.decision == status, reason, paper_id, unfinished.decision, error)
        return await self._finished(outcome)

    # ------------------------------------------------------------------ after a decision

    async def _finished(self, outcome: VoteOutcome) -> VoteOutcome:
        """Finish a decision the outcome just took; its error (if any) goes with the outcome, not up the stack:
        the decision stands and is retried, and the vote or command that took it still gets its answer."""
        if outcome.decision and outcome.candidate_id is not None:
            error = await self.finish(outcome.candidate_id)
            if error is not None:
                return VoteOutcome(outcome.counted, outcome.reason, outcome.candidate_id, outcome.decision, error)
        return outcome
