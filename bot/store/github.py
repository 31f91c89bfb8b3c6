"""What was published to GitHub: one row per approved paper (publications) and one per branch (pull_requests).

A publication keeps the entry as it was approved, so a branch can be rebuilt from the default branch at any time
(the default branch moved, a pull request was closed) without depending on what is in any working tree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.store import schema
from bot.store.db import Database, utc

DEFAULT = ":default"  # a publication's branch in push mode: the default branch, whatever its name
# A publication still waiting for its pull request's fate (or, in push mode, for its push).
OPEN_STATES = ("pending", "published")
# A pull request that has ended: merged, closed unmerged by a person, or withdrawn (closed by the bot because
# nothing in it was left to add). Its branch is never reused.
ENDED_PULL_STATES = ("merged", "closed", "withdrawn")


@dataclass(frozen=True)
class StoredPublication:
    paper_id: int
    entry_id: str
    topic: str
    entry: dict[str, Any]
    approvers: tuple[tuple[str, str], ...]  # (name, platform)
    branch: str
    state: str
    note: str | None
    created_at: datetime


@dataclass(frozen=True)
class StoredPullRequest:
    branch: str
    number: int | None
    url: str | None
    state: str  # building | open | merged | closed | withdrawn
    head_sha: str | None
    base_sha: str | None
    opened_at: datetime | None
    closed_at: datetime | None


def _publication(row: Any) -> StoredPublication:
    return StoredPublication(
        paper_id=row.paper_id, entry_id=row.entry_id, topic=row.topic, entry=dict(row.entry),
        approvers=tuple((str(name), str(platform)) for name, platform in row.approvers or ()), branch=row.branch,
        state=row.state, note=row.note, created_at=utc(row.created_at))  # type: ignore[arg-type]


def _pull_request(row: Any) -> StoredPullRequest:
    return StoredPullRequest(branch=row.branch, number=row.number, url=row.url, state=row.state,
                             head_sha=row.head_sha, base_sha=row.base_sha, opened_at=utc(row.opened_at),
                             closed_at=utc(row.closed_at))


class GitHubStore:
    def __init__(self, database: Database):
        self.db = database

    # ------------------------------------------------------------------ publications

    def add_publication(self, *, paper_id: int, entry_id: str, topic: str, entry: dict[str, Any],
                        approvers: list[tuple[str, str]], branch: str) -> bool:
        """Record an approval to publish; False when it was recorded before (a retry, a restart)."""
        now = self.db.now()
        try:
            with self.db.transaction() as conn:
                conn.execute(insert(schema.publications).values(
                    paper_id=paper_id, entry_id=entry_id, topic=topic, entry=entry,
                    approvers=[list(pair) for pair in approvers], branch=branch, state="pending", note=None,
                    created_at=now, state_at=now))
            return True
        except IntegrityError:
            return False

    def publication(self, paper_id: int) -> StoredPublication | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(select(schema.publications)
                               .where(schema.publications.c.paper_id == paper_id)).first()
        return _publication(row) if row else None

    def publications(self, *, branch: str | None = None, states: Iterable[str] | None = None
                     ) -> list[StoredPublication]:
        table = schema.publications
        query = select(table).order_by(table.c.created_at, table.c.paper_id)
        if branch is not None:
            query = query.where(table.c.branch == branch)
        if states is not None:
            query = query.where(table.c.state.in_(list(states)))
        with self.db.engine.connect() as conn:
            return [_publication(r) for r in conn.execute(query)]

    def set_publication_state(self, paper_ids: Iterable[int], state: str, *, note: str | None = None,
                              only_from: Iterable[str] = OPEN_STATES) -> int:
        table = schema.publications
        ids = list(paper_ids)
        if not ids:
            return 0
        with self.db.transaction() as conn:
            return conn.execute(update(table).where(table.c.paper_id.in_(ids))
                                .where(table.c.state.in_(list(only_from)))
                                .values(state=state, note=note, state_at=self.db.now())).rowcount

    def move_publications(self, paper_ids: Iterable[int], branch: str) -> None:
        """Give not-yet-published approvals a new branch (theirs was merged or closed before they were pushed)."""
        table = schema.publications
        with self.db.transaction() as conn:
            conn.execute(update(table).where(table.c.paper_id.in_(list(paper_ids))).where(table.c.state == "pending")
                         .values(branch=branch, state_at=self.db.now()))

    def approval_platforms(self, paper_id: int, approve_emoji: Iterable[str],
                           voter: Callable[[str, str, str], str | None] | None = None) -> dict[str, list[str]]:
        """person -> the platforms their standing approval votes on a paper came from. `voter`: who a vote (person,
        platform, user id) counts for now (Maintainers.voter_now), as the decision's deciders are named."""
        table = schema.votes
        query = (select(table.c.person, table.c.platform, table.c.user_id).where(table.c.paper_id == paper_id)
                 .where(table.c.emoji.in_(list(approve_emoji))).order_by(table.c.created_at))
        platforms: dict[str, list[str]] = {}
        with self.db.engine.connect() as conn:
            for row in conn.execute(query):
                person = voter(row.person, row.platform, row.user_id) if voter else row.person
                if person is not None and row.platform not in platforms.setdefault(person, []):
                    platforms[person].append(row.platform)
        return platforms

    def branches_in_use(self) -> set[str]:
        with self.db.engine.connect() as conn:
            return {r.branch for r in conn.execute(select(schema.pull_requests.c.branch))}

    def count_by_state(self) -> dict[str, int]:
        from sqlalchemy import func

        table = schema.publications
        with self.db.engine.connect() as conn:
            return {state: count for state, count in
                    conn.execute(select(table.c.state, func.count()).group_by(table.c.state))}

    # ------------------------------------------------------------------ pull requests

    def pull_request(self, branch: str) -> StoredPullRequest | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(select(schema.pull_requests).where(schema.pull_requests.c.branch == branch)).first()
        return _pull_request(row) if row else None

    def pull_requests(self, *, states: Iterable[str] | None = None) -> list[StoredPullRequest]:
        table = schema.pull_requests
        query = select(table).order_by(table.c.opened_at, table.c.branch)
        if states is not None:
            query = query.where(table.c.state.in_(list(states)))
        with self.db.engine.connect() as conn:
            return [_pull_request(r) for r in conn.execute(query)]

    def save_pull_request(self, branch: str, **values: Any) -> None:
        """Insert or update the branch's row with `values`."""
        self.db.upsert(schema.pull_requests, {"branch": branch}, values, defaults={"state": "building"})

    def close_pull_request(self, branch: str, state: str, closed_at: datetime) -> bool:
        """Move an open pull request to merged / closed; True only for the call that did it (announce once)."""
        table = schema.pull_requests
        with self.db.transaction() as conn:
            return bool(conn.execute(update(table).where(table.c.branch == branch)
                                     .where(table.c.state.in_(["open", "building"]))
                                     .values(state=state, closed_at=closed_at)).rowcount)

    def reopen_pull_request(self, branch: str) -> bool:
        """A pull request closed unmerged is open again on GitHub: True only for the call that recorded it."""
        table = schema.pull_requests
        with self.db.transaction() as conn:
            return bool(conn.execute(update(table).where(table.c.branch == branch).where(table.c.state == "closed")
                                     .values(state="open", closed_at=None)).rowcount)

    def merged_since(self, since: datetime) -> list[tuple[StoredPullRequest, list[StoredPublication]]]:
        """Pull requests merged since `since`, each with its papers: the digest's "now on GitHub" part."""
        merged = [pr for pr in self.pull_requests(states=["merged"]) if pr.closed_at and pr.closed_at >= since]
        return [(pr, self.publications(branch=pr.branch, states=["merged"])) for pr in merged]
