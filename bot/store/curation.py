"""Posts, votes and decisions (and, from store/digests.py, digests): the curation state machine's memory.

Idempotency lives here: a redelivered event id is refused by a primary key, a vote is a row keyed by
(paper, person, emoji), a decision is a row keyed by paper and taken only by the process whose
conditional UPDATE moved the paper out of `candidate`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.store import schema
from bot.store.db import Database, utc
from bot.store.digests import DigestClaims

KEY_LIMIT = 100  # posts.key


def candidate_key(canonical_id: str) -> str:
    """The idempotency key of a paper's candidate post: its canonical id (`candidate:arxiv:2309.08600`), never its
    row number, which a reset database hands to a different paper. Long URL ids are hashed to fit the column."""
    key = f"candidate:{canonical_id}"
    if len(key) <= KEY_LIMIT:
        return key
    return f"candidate:sha256:{hashlib.sha256(canonical_id.encode()).hexdigest()[:40]}"


@dataclass(frozen=True)
class StoredPost:
    key: str
    kind: str
    paper_id: int | None
    platform: str
    channel_id: str
    message_id: str
    edited: bool = False


def _post(row: Any) -> StoredPost:
    return StoredPost(row.key, row.kind, row.paper_id, row.platform, row.channel_id, row.message_id, bool(row.edited))


@dataclass(frozen=True)
class Decision:
    paper_id: int
    decision: str
    topic: str | None
    deciders: tuple[str, ...]
    decided_at: datetime
    entry_id: str | None
    written: bool
    announced: bool
    forced: bool = False
    error: str | None = None  # why finishing it last failed
    attempts: int = 0  # how often finishing it has failed


def _decision(row: Any) -> Decision:
    return Decision(paper_id=row.paper_id, decision=row.decision, topic=row.topic, deciders=tuple(row.deciders or ()),
                    decided_at=utc(row.decided_at), entry_id=row.entry_id, written=bool(row.written),  # type: ignore[arg-type]
                    announced=bool(row.announced), forced=bool(row.forced), error=row.error,
                    attempts=int(row.attempts or 0))


@dataclass(frozen=True)
class Lesson:
    """A decision as the relevance model learns from it."""

    paper_id: int
    title: str
    abstract: str
    decision: str  # approved | rejected | rejected upstream (approved here, its pull request closed unmerged)
    topic: str | None
    decided_at: datetime
    forgotten: bool  # a maintainer told the model to forget it (`interp-bot lessons --forget`)

    @property
    def relevant(self) -> bool:
        return self.decision == "approved"


@dataclass(frozen=True)
class PostFailure:
    platform: str
    channel_id: str
    key: str
    paper_id: int | None
    attempts: int
    last_error: str
    failed_at: datetime
    next_attempt_at: datetime


def _failure(row: Any) -> PostFailure:
    return PostFailure(row.platform, row.channel_id, row.key, row.paper_id, row.attempts, row.last_error,
                       utc(row.failed_at), utc(row.next_attempt_at))  # type: ignore[arg-type]


RETRY_FIRST = timedelta(minutes=1)
RETRY_MOST = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """How long a post that has failed `attempts` times waits: 1, 2, 4 ... minutes, at most an hour."""
    return min(RETRY_FIRST * 2 ** max(0, min(attempts - 1, 16)), RETRY_MOST)


class CurationStore(DigestClaims):
    def __init__(self, database: Database):
        self.db = database

    # ------------------------------------------------------------------ posts

    def record_post(self, *, key: str, kind: str, paper_id: int | None, platform: str, channel_id: str,
                    message_id: str) -> bool:
        try:
            with self.db.transaction() as conn:
                conn.execute(insert(schema.posts).values(
                    key=key, kind=kind, paper_id=paper_id, platform=platform, channel_id=channel_id,
                    message_id=message_id, created_at=self.db.now(), edited=False))
            return True
        except IntegrityError:
            return False

    def post_for_key(self, platform: str, channel_id: str, key: str) -> StoredPost | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(select(schema.posts).where(schema.posts.c.platform == platform)
                               .where(schema.posts.c.channel_id == channel_id)
                               .where(schema.posts.c.key == key)).first()
        return _post(row) if row is not None else None

    def posts_for_paper(self, paper_id: int) -> list[StoredPost]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(schema.posts).where(schema.posts.c.paper_id == paper_id)
                                .order_by(schema.posts.c.id)).all()
        return [_post(r) for r in rows]

    def mark_post_edited(self, platform: str, channel_id: str, message_id: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(update(schema.posts).where(schema.posts.c.platform == platform)
                         .where(schema.posts.c.channel_id == channel_id)
                         .where(schema.posts.c.message_id == message_id).values(edited=True))

    # ------------------------------------------------------------------ failing posts

    def post_failure(self, platform: str, channel_id: str, key: str) -> PostFailure | None:
        table = schema.post_failures
        with self.db.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.platform == platform).where(table.c.channel_id == channel_id)
                               .where(table.c.key == key)).first()
        return _failure(row) if row is not None else None

    def record_post_failure(self, *, platform: str, channel_id: str, key: str, paper_id: int | None,
                            error: str) -> PostFailure:
        """Count one more failure of a post and schedule its next attempt (exponential back-off). Not kept for a
        paper decided meanwhile (another process, a shell): its decision cleared the failures it found, and
        nothing would ever retry or clear this one."""
        table = schema.post_failures
        now = self.db.now()
        with self.db.transaction() as conn:
            match = ((table.c.platform == platform) & (table.c.channel_id == channel_id) & (table.c.key == key))
            attempts = (conn.execute(select(table.c.attempts).where(match)).scalar() or 0) + 1
            failure = PostFailure(platform, channel_id, key, paper_id, attempts, error[:2000], now,
                                  now + retry_delay(attempts))
            if paper_id is not None:  # locked as a decision locks it: the decision comes wholly before or after
                status = conn.execute(select(schema.papers.c.status).where(schema.papers.c.id == paper_id)
                                      .with_for_update()).scalar()
                if status != "candidate":
                    return failure
            values = {"paper_id": paper_id, "attempts": attempts, "last_error": failure.last_error, "failed_at": now,
                      "next_attempt_at": failure.next_attempt_at}
            if attempts == 1:
                conn.execute(insert(table).values(platform=platform, channel_id=channel_id, key=key, **values))
            else:
                conn.execute(update(table).where(match).values(**values))
        return failure

    def clear_post_failure(self, platform: str, channel_id: str, key: str) -> None:
        table = schema.post_failures
        with self.db.transaction() as conn:
            conn.execute(delete(table).where(table.c.platform == platform).where(table.c.channel_id == channel_id)
                         .where(table.c.key == key))

    def post_failures(self) -> list[PostFailure]:
        table = schema.post_failures
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(table).order_by(table.c.failed_at, table.c.key)).all()
        return [_failure(r) for r in rows]

    def retry_failed_posts_now(self, platforms: list[str]) -> int:
        """Make every failing post of these platforms due at once (a restart after fixing the cause)."""
        table = schema.post_failures
        with self.db.transaction() as conn:
            return int(conn.execute(update(table).where(table.c.platform.in_(platforms))
                                    .values(next_attempt_at=self.db.now())).rowcount or 0)

    def lock_paper(self, conn: Connection, paper_id: int) -> None:
        """Serialise the votes on one paper until this transaction ends. Without it, two maintainers approving at
        once on PostgreSQL each count only their own uncommitted vote, and neither sees the second approval that
        would decide. (SQLite's write transactions are serial anyway.)"""
        conn.execute(select(schema.papers.c.id).where(schema.papers.c.id == paper_id).with_for_update())

    def paper_for_message(self, conn: Connection, platform: str, channel_id: str, message_id: str) -> int | None:
        query = (select(schema.posts.c.paper_id).where(schema.posts.c.platform == platform)
                 .where(schema.posts.c.message_id == message_id).where(schema.posts.c.kind == "candidate"))
        if channel_id:
            query = query.where(schema.posts.c.channel_id == channel_id)
        return conn.execute(query.limit(1)).scalar()

    # ------------------------------------------------------------------ events and votes

    def first_time(self, conn: Connection, event_key: str) -> bool:
        """Record an event id; False if it was seen before (a retry or a replay)."""
        try:
            with conn.begin_nested():
                conn.execute(insert(schema.events).values(key=event_key[:300], seen_at=self.db.now()))
            return True
        except IntegrityError:
            return False

    def set_vote(self, conn: Connection, *, paper_id: int, person: str, emoji: str, platform: str, user_id: str,
                 added: bool, message_id: str | None = None) -> bool:
        """Add or withdraw a vote; True if anything changed. `message_id`: the message a reaction vote was cast on
        (kept with an added vote so that clearing that message's reactions withdraws it)."""
        table = schema.votes
        if not added:  # the vote this user cast, also under a name the maintainers list has since given or taken
            who = (table.c.person == person) | (table.c.user_id == user_id)
            return bool(conn.execute(delete(table).where(table.c.paper_id == paper_id).where(who)
                                     .where(table.c.emoji == emoji).where(table.c.platform == platform)).rowcount)
        try:
            with conn.begin_nested():
                conn.execute(insert(table).values(paper_id=paper_id, person=person, emoji=emoji, platform=platform,
                                                  user_id=user_id, created_at=self.db.now(), message_id=message_id))
            return True
        except IntegrityError:
            return False

    def withdraw_message_votes(self, conn: Connection, *, paper_id: int, platform: str, message_id: str,
                               emoji: str | None = None) -> int:
        """Withdraw the votes cast by reactions on one message (of one emoji, or all): its reactions were cleared.
        Votes cast elsewhere (another platform, the console, a shell) stand. How many were withdrawn."""
        table = schema.votes
        query = (delete(table).where(table.c.paper_id == paper_id).where(table.c.platform == platform)
                 .where(table.c.message_id == message_id))
        if emoji is not None:
            query = query.where(table.c.emoji == emoji)
        return int(conn.execute(query).rowcount or 0)

    def votes(self, conn: Connection, paper_id: int) -> list[tuple[str, str]]:
        """(person, emoji) pairs currently standing on a paper."""
        table = schema.votes
        rows = conn.execute(select(table.c.person, table.c.emoji).where(table.c.paper_id == paper_id)
                            .order_by(table.c.created_at, table.c.person))
        return [(r.person, r.emoji) for r in rows]

    def cast_votes(self, conn: Connection, paper_id: int) -> list[tuple[str, str, str, str]]:
        """(person, emoji, platform, user id) of the votes standing on a paper, in the order they were cast: who
        cast each, for the tally to ask whether they are a maintainer still (Maintainers.voter_now)."""
        table = schema.votes
        rows = conn.execute(select(table.c.person, table.c.emoji, table.c.platform, table.c.user_id)
                            .where(table.c.paper_id == paper_id).order_by(table.c.created_at, table.c.person))
        return [(r.person, r.emoji, r.platform, r.user_id) for r in rows]

    # ------------------------------------------------------------------ decisions

    def decide(self, conn: Connection, *, paper_id: int, decision: str, topic: str | None, deciders: list[str],
               entry_id: str | None, now: datetime, forced: bool = False) -> bool:
        """Move the paper out of `candidate` and record why; False if someone else decided first."""
        moved = conn.execute(update(schema.papers).where(schema.papers.c.id == paper_id)
                             .where(schema.papers.c.status == "candidate")
                             .values(status=decision, status_at=now)).rowcount
        if not moved:
            return False
        conn.execute(insert(schema.decisions).values(paper_id=paper_id, decision=decision, topic=topic,
                                                     deciders=deciders, decided_at=now, entry_id=entry_id,
                                                     written=decision != "approved", announced=False,
                                                     forced=forced, attempts=0))
        # A decided paper is never posted as a candidate again: its failing post, if any, is no longer pending.
        conn.execute(delete(schema.post_failures).where(schema.post_failures.c.paper_id == paper_id))
        return True

    def promote_held_back(self, conn: Connection, paper_id: int, now: datetime) -> bool:
        """A paper the daily budget held back (`seen`, relevant) becomes a candidate: a maintainer chose to decide
        it. It counts against today's budget and expires from today (`candidate_at`), unless decided at once
        (`unpromote`). False when it is not such a paper."""
        return bool(conn.execute(update(schema.papers).where(schema.papers.c.id == paper_id)
                                 .where(schema.papers.c.status == "seen")
                                 .where(schema.papers.c.held_back_at.is_not(None))
                                 .values(status="candidate", status_at=now, candidate_at=now)).rowcount)

    def unpromote(self, conn: Connection, paper_id: int) -> None:
        """A held-back paper decided in the act that promoted it was never put forward: the day's budget is not
        spent on it (`candidate_at`), and the day's own papers keep their places."""
        conn.execute(update(schema.papers).where(schema.papers.c.id == paper_id).values(candidate_at=None))

    def decision(self, paper_id: int) -> Decision | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(select(schema.decisions).where(schema.decisions.c.paper_id == paper_id)).first()
        return _decision(row) if row else None

    def decisions(self, *, since: datetime | None = None, pending_write: bool = False,
                  pending_announce: bool = False) -> list[Decision]:
        query = select(schema.decisions).order_by(schema.decisions.c.decided_at, schema.decisions.c.paper_id)
        if since is not None:
            query = query.where(schema.decisions.c.decided_at >= since)
        if pending_write:
            query = query.where(schema.decisions.c.written.is_(False))
        if pending_announce:
            query = query.where(schema.decisions.c.announced.is_(False))
        with self.db.engine.connect() as conn:
            return [_decision(r) for r in conn.execute(query)]

    def mark_decision(self, paper_id: int, **flags: Any) -> None:
        with self.db.transaction() as conn:
            conn.execute(update(schema.decisions).where(schema.decisions.c.paper_id == paper_id).values(**flags))

    def record_decision_failure(self, paper_id: int, error: str) -> None:
        """Finishing this decision failed again: remember why (for `status`) and how often."""
        table = schema.decisions
        with self.db.transaction() as conn:
            conn.execute(update(table).where(table.c.paper_id == paper_id)
                         .values(error=error[:2000], attempts=table.c.attempts + 1))

    def lessons(self, *, forgotten: bool | None = None) -> list[Lesson]:
        """What the relevance model learns from: every approval and rejection, oldest first. A paper approved here
        but whose pull request was closed unmerged (`rejected upstream`) is a rejection. `forgotten`: only the
        lessons a maintainer told the model to forget (True) or only the rest (False)."""
        papers, decisions = schema.papers, schema.decisions
        query = (select(papers.c.id, papers.c.title, papers.c.abstract, papers.c.status, decisions.c.decision,
                        decisions.c.topic, decisions.c.decided_at, decisions.c.lesson_forgotten)
                 .join(decisions, decisions.c.paper_id == papers.c.id)
                 .where(decisions.c.decision.in_(["approved", "rejected"]))
                 .order_by(decisions.c.decided_at, papers.c.id))
        if forgotten is not None:
            query = query.where(decisions.c.lesson_forgotten.is_(forgotten))
        with self.db.engine.connect() as conn:
            return [Lesson(paper_id=r.id, title=r.title, abstract=r.abstract or "",
                           decision="rejected upstream" if r.status == "rejected upstream" else r.decision,
                           topic=r.topic, decided_at=utc(r.decided_at), forgotten=bool(r.lesson_forgotten))  # type: ignore[arg-type]
                    for r in conn.execute(query)]

    def forget_lesson(self, paper_id: int, forgotten: bool = True) -> bool:
        """Tell the relevance model to forget (or, with False, to learn again) what it learned from the decision on
        this paper; the decision itself stays. False when the paper has no approval or rejection."""
        table = schema.decisions
        with self.db.transaction() as conn:
            return bool(conn.execute(update(table).where(table.c.paper_id == paper_id)
                                     .where(table.c.decision.in_(["approved", "rejected"]))
                                     .values(lesson_forgotten=forgotten)).rowcount)
