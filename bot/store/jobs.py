"""The last run of a scheduled job, for `status`: when it ran and what stopped it, if anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.store import schema
from bot.store.db import Database, utc

# The scheduled jobs whose last run `status` shows (the scheduler records them): these, and publishing and the
# digest to each platform (each platform's process posts its own digest: one record for all would show whichever
# finished last). Polls have their feeds' health, the GitHub round records its own, and the heartbeat is the
# adapters'.
RECORDED_JOBS = ("expire", "links", "recover")
PUBLISH_JOB = "publish:"  # + the platform
DIGEST_JOB = "digest:"  # + the platform
PER_PLATFORM_JOBS = (PUBLISH_JOB, DIGEST_JOB)


def is_recorded(name: str) -> bool:
    return name in RECORDED_JOBS or name.startswith(PER_PLATFORM_JOBS)


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
