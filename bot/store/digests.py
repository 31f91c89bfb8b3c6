"""Digest claims: which run posts a channel's digest for a day, and up to when each one covered. Mixed into
CurationStore."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.store import schema
from bot.store.db import Database, utc


class DigestClaims:
    """Mixed into CurationStore: exactly one run posts each channel's digest for a day, across processes."""

    db: Database

    def claim_digest(self, channel: str, day: str, holder: str, *, stale_after: timedelta,
                     over_empty: bool = False, covers_until: datetime | None = None) -> bool:
        """Take the right to post `day`'s digest in `channel`: exactly one winner across processes.

        A claim whose holder died before posting goes stale and may be taken over, as may one whose post the
        platform refused (status "failed"); the adapters' idempotent publish (keyed by the digest key) makes that
        retry safe. With `over_empty`, so may a day whose earlier run found nothing and posted nothing: what came
        in since is that day's digest.
        """
        now = self.db.now()
        table = schema.digests
        with self.db.transaction() as conn:
            try:
                with conn.begin_nested():
                    conn.execute(insert(table).values(channel=channel, day=day, status="claimed", claimed_at=now,
                                                      holder=holder, covers_until=covers_until or now))
                return True
            except IntegrityError:
                stale = (table.c.status == "claimed") & (table.c.claimed_at < now - stale_after)
                stale |= table.c.status == "failed"  # the platform refused the post: nothing was posted
                takeable = (stale | (table.c.status == "empty")) if over_empty else stale
                return bool(conn.execute(
                    update(table).where(table.c.channel == channel).where(table.c.day == day).where(takeable)
                    .values(status="claimed", claimed_at=now, holder=holder,
                            covers_until=covers_until or now)).rowcount)

    def finish_digest(self, channel: str, day: str, status: str) -> None:
        table = schema.digests
        with self.db.transaction() as conn:
            conn.execute(update(table).where(table.c.channel == channel).where(table.c.day == day)
                         .values(status=status, posted_at=self.db.now()))

    def last_digest(self) -> tuple[str, str, datetime | None] | None:
        table = schema.digests
        with self.db.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.status == "posted")
                               .order_by(table.c.posted_at.desc()).limit(1)).first()
        return (row.channel, row.day, utc(row.posted_at)) if row else None

    def covered_before(self, day: str, channels: Collection[str]) -> dict[str, datetime]:
        """Up to when the latest digest before `day` of each of `channels` covered (those that had one). A digest
        found empty (and not posted) covered its window too: there was nothing in it."""
        if not channels:
            return {}
        table = schema.digests
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(table.c.channel, func.max(table.c.covers_until))
                                .where(table.c.status.in_(("posted", "empty"))).where(table.c.day < day)
                                .where(table.c.channel.in_(list(channels)))
                                .group_by(table.c.channel)).all()
        return {channel: until for channel, covers_until in rows if (until := utc(covers_until)) is not None}

    def digest_status(self, channel: str, day: str) -> str | None:
        """Where `channel`'s digest for `day` stands: "posted", "empty" (nothing to post), "claimed" (a run is
        posting it), "failed" (the platform refused it), or None (no run yet)."""
        table = schema.digests
        with self.db.engine.connect() as conn:
            return conn.execute(select(table.c.status).where(table.c.channel == channel)
                                .where(table.c.day == day)).scalar()

    def digest_count(self, day: str) -> int:
        table = schema.digests
        with self.db.engine.connect() as conn:
            return len(conn.execute(select(table.c.channel).where(table.c.day == day)
                                    .where(table.c.status == "posted")).all())
