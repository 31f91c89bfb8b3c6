"""The last run of a scheduled job, for `status`: when it ran and what stopped it, if anything."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.errors import describe
from bot.store import schema
from bot.store.db import Database, utc

log = logging.getLogger(__name__)

# The scheduled jobs whose last run `status` shows (the scheduler records them): these, publishing and the digest
# to each platform (each platform's process posts its own digest: one record for all would show whichever finished
# last), and each feed's poll (its feed's health says how the feed answered; this, that the poll itself ran to its
# end: one stopped by an error of ours, the database refusing a write, left the feed "ok"). The GitHub round
# records its own, and the heartbeat is the adapters'.
RECORDED_JOBS = ("expire", "links", "recover")
PUBLISH_JOB = "publish:"  # + the platform
DIGEST_JOB = "digest:"  # + the platform
PER_PLATFORM_JOBS = (PUBLISH_JOB, DIGEST_JOB)
POLL_JOB = "poll:"  # + the feed: also the name of the lease every poll of it holds (bot.intake.poll.poll_lease)


def is_recorded(name: str) -> bool:
    return name in RECORDED_JOBS or name.startswith((*PER_PLATFORM_JOBS, POLL_JOB))


async def record_runs(database: Database, outcomes: Mapping[str, str | None], started: datetime) -> None:
    """Record each job's outcome (None: it did all it had to; else why not) as its last run, for `status`. The
    scheduler's runs, and the same work done from a shell (`interp-bot digest`, `links --check`, `poll`): that
    counts as the job's run, or `status` kept a scheduled run's FAILED until the job's next time (a week, for the
    link check). A record that fails is logged, not raised: `status` misses one run; the work itself is done."""
    runs = JobRunStore(database)
    for name, problem in outcomes.items():
        try:
            await asyncio.to_thread(runs.record, name, started, problem)
        except Exception as exc:
            log.warning("could not record the outcome of job %s for `status`: %s", name, describe(exc))


@asynccontextmanager
async def run_of(database: Database, name: str) -> AsyncIterator[None]:
    """The work inside is a run of job `name`: done, or what stopped it (`describe`d; the exception goes on), is
    recorded as its last run (`record_runs`). A cancelled run (a shutdown) is no outcome, and records none."""
    started = database.now()
    try:
        yield
    except Exception as exc:
        await record_runs(database, {name: describe(exc)}, started)
        raise
    await record_runs(database, {name: None}, started)


@dataclass(frozen=True)
class JobRun:
    name: str
    started_at: datetime
    finished_at: datetime
    problem: str | None  # None: the run did all it had to


class JobRunStore:
    def __init__(self, database: Database):
        self.db = database

    def record(self, name: str, started_at: datetime, problem: str | None) -> None:
        self.db.upsert(schema.job_runs, {"name": name},
                       {"started_at": started_at, "finished_at": self.db.now(), "problem": problem})

    def last(self, name: str) -> JobRun | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(select(schema.job_runs).where(schema.job_runs.c.name == name)).first()
        return _run(row) if row is not None else None

    def all(self) -> list[JobRun]:
        """Every job's last run, by name."""
        with self.db.engine.connect() as conn:
            return [_run(row) for row in conn.execute(select(schema.job_runs).order_by(schema.job_runs.c.name))]


def _run(row: Any) -> JobRun:
    return JobRun(row.name, utc(row.started_at), utc(row.finished_at), row.problem)  # type: ignore[arg-type]
