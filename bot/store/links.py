"""Link health: one row per URL of the list, with the run of failures it is in (bot.links decides what is dead)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from bot.store import schema
from bot.store.db import Database, utc


@dataclass(frozen=True)
class LinkState:
    url: str
    last_checked_at: datetime
    last_ok_at: datetime | None
    first_failed_at: datetime | None
    consecutive_failures: int
    last_error: str | None
    moved_to: str | None


def _state(row: Any) -> LinkState:
    return LinkState(url=row.url, last_checked_at=utc(row.last_checked_at),  # type: ignore[arg-type]
                     last_ok_at=utc(row.last_ok_at), first_failed_at=utc(row.first_failed_at),
                     consecutive_failures=row.consecutive_failures, last_error=row.last_error,
                     moved_to=row.moved_to)


class LinkStore:
    def __init__(self, database: Database):
        self.db = database

    def states(self) -> dict[str, LinkState]:
        with self.db.engine.connect() as conn:
            return {row.url: _state(row) for row in conn.execute(select(schema.link_checks))}

    def record(self, url: str, *, ok: bool, error: str | None, moved_to: str | None, now: datetime) -> LinkState:
        """One check's outcome: a success ends the run of failures, a failure extends it (or starts one)."""
        table = schema.link_checks
        with self.db.transaction() as conn:
            row = conn.execute(select(table).where(table.c.url == url)).first()
            previous = _state(row) if row else None
            failures = 0 if ok else (previous.consecutive_failures if previous else 0) + 1
            values = {
                "last_checked_at": now, "consecutive_failures": failures, "moved_to": moved_to,
                "last_ok_at": now if ok else (previous.last_ok_at if previous else None),
                "first_failed_at": None if ok else ((previous.first_failed_at if previous else None) or now),
                "last_error": None if ok else error,
            }
            if row is None:
                conn.execute(insert(table).values(url=url, **values))
            else:
                conn.execute(update(table).where(table.c.url == url).values(**values))
        return LinkState(url=url, **values)  # type: ignore[arg-type]

    def forget_except(self, urls: Iterable[str]) -> int:
        """Drop the rows of links no longer on the list."""
        keep = set(urls)
        table = schema.link_checks
        with self.db.transaction() as conn:
            gone = [r.url for r in conn.execute(select(table.c.url)) if r.url not in keep]
            for start in range(0, len(gone), 500):
                conn.execute(delete(table).where(table.c.url.in_(gone[start:start + 500])))
        return len(gone)
