"""Each running process's chat connections, as its heartbeat last saw them: what `interp-bot status` and the
container health check read to tell an adapter that is down (or a process that stopped beating)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update

from bot.store import schema
from bot.store.db import Database, utc

# A process that has not beaten for this long has stopped (or hangs): `status` says "GONE?".
STALE_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class AdapterRecord:
    platform: str
    holder: str  # host:pid of the process running it
    state: str  # up | connecting | down
    since: datetime  # when it entered this state
    error: str | None
    updated_at: datetime  # the last heartbeat


class AdapterHealthStore:
    def __init__(self, database: Database):
        self.db = database

    def record(self, platform: str, holder: str, state: str, error: str | None) -> None:
        """This process's adapter is `state` now; `since` moves only when the state changes."""
        table = schema.adapter_health
        now = self.db.now()
        with self.db.transaction() as conn:
            match = (table.c.platform == platform) & (table.c.holder == holder)
            current = conn.execute(select(table.c.state).where(match)).scalar()
            values = {"state": state, "last_error": (error or "")[:2000] or None, "updated_at": now}
            if current is None:
                conn.execute(insert(table).values(platform=platform, holder=holder, since=now, **values))
            else:
                conn.execute(update(table).where(match).values(**values, **({} if current == state else
                                                                            {"since": now})))

    def forget(self, holder: str) -> None:
        """A process stopping cleanly takes its rows with it."""
        with self.db.transaction() as conn:
            conn.execute(delete(schema.adapter_health).where(schema.adapter_health.c.holder == holder))

    def forget_predecessors(self, holder: str, platforms: Iterable[str]) -> int:
        """A process starting on this host takes over the rows that stopped processes of this host left for the
        same platforms (a kill -9, an OOM kill): their "GONE?" would otherwise stand in `status`, and fail its
        health check, for good. Rows still beating are another live process's, and stay."""
        host = holder.rsplit(":", 1)[0]
        table = schema.adapter_health
        with self.db.transaction() as conn:
            return conn.execute(delete(table).where(table.c.holder.startswith(f"{host}:", autoescape=True))
                                .where(table.c.holder != holder).where(table.c.platform.in_(list(platforms)))
                                .where(table.c.updated_at < self.db.now() - STALE_AFTER)).rowcount

    def records(self) -> list[AdapterRecord]:
        table = schema.adapter_health
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(table).order_by(table.c.platform, table.c.updated_at.desc())).all()
        return [AdapterRecord(r.platform, r.holder, r.state, utc(r.since), r.last_error,  # type: ignore[arg-type]
                              utc(r.updated_at)) for r in rows]  # type: ignore[arg-type]
