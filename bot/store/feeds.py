"""Feed state: per feed, what its polls found (validators, failures, back-off, health), kept across restarts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from bot.store import schema
from bot.store.db import Database, utc

CLOCK_SKEW = timedelta(minutes=5)  # two bots' machines may disagree this much on the time without it meaning anything

@dataclass(frozen=True)
class FeedState:
    name: str
    etag: str | None = None
    last_modified: str | None = None
    initialised: bool = False
    last_poll_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    consecutive_failures: int = 0
    total_failures: int = 0
    next_poll_at: datetime | None = None
    last_batch: str | None = None
    last_batch_at: datetime | None = None
    items_seen: int = 0
    failing_since: datetime | None = None
    degraded: str | None = None  # why the last poll that parsed anything parsed only part of it
    degraded_since: datetime | None = None
    last_new_item_at: datetime | None = None
    new_item_gap_seconds: float | None = None  # the usual gap between new items (exponential average)
    new_item_gaps_seen: int = 0
    retry_after_until: datetime | None = None  # the server's Retry-After, as a time: no poll before it, forced or not
    moved_to: str | None = None  # where permanent redirects say the feed now is (credentials hidden); still polled

    def as_of(self, now: datetime) -> FeedState:
        """The state as a poll at `now` reads it. A last poll well after `now` means the clock was set back (it
        ran ahead, and was corrected): the next poll and Retry-After it wrote would hold the feed back by as much
        as the clock ran ahead, a day for a clock a day fast; so it is due now. (A few minutes after is two
        machines' clocks a little apart, and a server's Retry-After still holds.)"""
        if self.last_poll_at is None or self.last_poll_at <= now + CLOCK_SKEW:
            return self
        return replace(self, next_poll_at=None, retry_after_until=None)


class FeedStates:
    """Mixed into PaperStore, which the intake reads feed state and papers through."""

    db: Database

    def feed_state(self, name: str) -> FeedState:
        with self.db.engine.connect() as conn:
            row = conn.execute(select(schema.feeds).where(schema.feeds.c.name == name)).mappings().first()
        return FeedState(name=name) if row is None else _feed_state(row)

    def feed_states(self) -> list[FeedState]:
        with self.db.engine.connect() as conn:  # one read for every feed (`status` shows them all)
            rows = conn.execute(select(schema.feeds).order_by(schema.feeds.c.name)).mappings().all()
        return [_feed_state(row) for row in rows]

    def save_feed_state(self, state: FeedState) -> None:
        values = {k: v for k, v in state.__dict__.items()}
        with self.db.transaction() as conn:
            done = conn.execute(
                update(schema.feeds).where(schema.feeds.c.name == state.name).values(**values)
            ).rowcount
            if not done:
                conn.execute(insert(schema.feeds).values(**values))


def _feed_state(row: Any) -> FeedState:
    values: dict[str, Any] = {k: (utc(v) if isinstance(v, datetime) else v) for k, v in row.items()}
    return FeedState(**values)
