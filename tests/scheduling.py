"""Running one scheduled job the way the scheduler itself would, for tests of what APScheduler does with it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.schedulers.asyncio import AsyncIOScheduler


def run_late(scheduler: AsyncIOScheduler, job_id: str, late: timedelta) -> asyncio.Future[int]:
    """Start the scheduler with `job_id` alone running, its run time `late` ago (the event loop suspended with the
    machine over it), and return the outcome APScheduler reports for it: EVENT_JOB_EXECUTED, _ERROR or _MISSED."""
    outcome: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    scheduler.add_listener(lambda event: outcome.done() or outcome.set_result(event.code)
                           if event.job_id == job_id else None,
                           EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    scheduler.start(paused=True)
    for job in scheduler.get_jobs():  # only this one: the rest have no business here
        if job.id != job_id:
            job.pause()
    scheduler.get_job(job_id).modify(next_run_time=datetime.now(UTC) - late)
    scheduler.resume()
    return outcome
