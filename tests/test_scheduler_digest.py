"""The scheduled daily digest: one a day in the configured zone, whatever the clocks, restarts and suspensions do."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import App
from bot.scheduler import build_scheduler
from tests.curation.test_pipeline import add_candidate, settings_for
from tests.fakes.clock import Clock
from tests.scheduling import run_late


def console_app(catalogue_dir: Path, tmp_path: Path, clock: Clock, **settings) -> tuple[App, io.StringIO]:
    out = io.StringIO()
    app = App(settings_for(catalogue_dir, f"sqlite:///{tmp_path / 'bot.db'}", feeds_file=tmp_path / "none.yaml",
                           **settings), clock=clock)
    app.add_adapter("console", stream=out)
    return app, out


def digest_job(app: App, now: datetime):
    """The digest job as the bot schedules it when it starts at `now` (the scheduler started, paused: jobs get
    their first run time when it starts)."""
    scheduler = build_scheduler(app, now=now)
    scheduler.start(paused=True)
    job = scheduler.get_job("digest:console")
    scheduler.shutdown(wait=False)
    return job


def fire_days(trigger, zone: str, start: datetime, count: int) -> list[date]:
    """The local days of the trigger's next `count` fire times, as the scheduler asks for them."""
    days, previous, now = [], None, start
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        days.append(fire.astimezone(ZoneInfo(zone)).date())
        previous, now = fire, fire.astimezone(UTC) + timedelta(seconds=1)
    return days


@pytest.mark.parametrize(("zone", "at", "spring"), [
    ("Europe/Berlin", "00:30", date(2026, 3, 29)), ("America/New_York", "00:00", date(2026, 3, 8)),
    ("Pacific/Chatham", "00:45", date(2026, 9, 27)), ("America/Havana", "00:30", date(2026, 3, 8)),
    ("Australia/Lord_Howe", "00:00", date(2026, 10, 4))])
async def test_the_digest_is_due_every_day_across_the_clocks_going_forward(catalogue_dir: Path, tmp_path: Path,
                                                                          zone: str, at: str, spring: date) -> None:
    """APScheduler's CronTrigger skipped the day after the clocks went forward for a digest before the change (a
    00:30 digest in Berlin had none on 30 March; agronholm/apscheduler#606), and in Havana, where that midnight does
    not exist, the day itself."""
    app, _ = console_app(catalogue_dir, tmp_path, Clock(datetime.now(UTC)), timezone=zone, digest_time=at)
    scheduler = build_scheduler(app)
    try:
        trigger = scheduler.get_job("digest:console").trigger
        start = datetime.combine(spring - timedelta(days=3), datetime.min.time(), ZoneInfo(zone)) + timedelta(hours=12)
        assert fire_days(trigger, zone, start, 7) == [spring + timedelta(days=n) for n in range(-2, 5)]
    finally:
        app.database.close()


async def test_the_digest_fires_once_on_the_day_its_time_comes_twice_and_at_once_where_it_is_skipped(
        catalogue_dir: Path, tmp_path: Path) -> None:
    app, _ = console_app(catalogue_dir, tmp_path, Clock(datetime.now(UTC)), timezone="Europe/Berlin",
                         digest_time="02:30")
    scheduler = build_scheduler(app)
    try:
        trigger = scheduler.get_job("digest:console").trigger
        autumn = trigger.get_next_fire_time(None, datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
        assert autumn.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 summer time, the first
        # Not again at 02:30 winter time, an hour later (the claim kept it from posting twice; `status` and the log
        # told of a second run all the same).
        assert trigger.get_next_fire_time(autumn, autumn).astimezone(UTC) == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)
        # 02:30 does not exist on 29 March: 03:30 summer time, an hour after 01:30 winter time.
        assert trigger.get_next_fire_time(None, datetime(2026, 3, 28, 12, 0, tzinfo=UTC)).astimezone(UTC) == \
            datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    finally:
        app.database.close()


async def test_a_restart_after_the_digest_time_posts_the_days_digest_it_missed(catalogue_dir: Path,
                                                                              tmp_path: Path) -> None:
    """Stopped at 08:59 and started again at 09:01 (a deploy), or down all morning: the daily job's first run was
    the next day's, so that day had no digest at all."""
    clock = Clock(datetime(2026, 11, 24, 9, 1, tzinfo=UTC))
    app, out = console_app(catalogue_dir, tmp_path, clock, digest_time="09:00")
    add_candidate(app.database, 1)
    job = digest_job(app, clock.now)
    assert job.next_run_time.astimezone(UTC) < clock.now + timedelta(minutes=1)  # now, not tomorrow at 09:00
    await job.func()
    assert "interp-bot digest — 2026-11-24" in out.getvalue()
    assert "Feature Family Number 1" in out.getvalue()
    # Started again later that day: the day's digest is done, so the next is tomorrow's.
    clock.now = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    again = digest_job(app, clock.now)
    assert again.next_run_time.astimezone(UTC) == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    app.database.close()


async def test_a_restart_before_the_digest_time_waits_for_it(catalogue_dir: Path, tmp_path: Path) -> None:
    """Yesterday's digest was missed (the bot was down): today's, at its time, holds what it would have."""
    clock = Clock(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    app, _ = console_app(catalogue_dir, tmp_path, clock, digest_time="09:00")
    job = digest_job(app, clock.now)
    assert job.next_run_time.astimezone(UTC) == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    app.database.close()


async def test_a_digest_run_that_starts_past_midnight_is_the_day_befores(catalogue_dir: Path,
                                                                        tmp_path: Path) -> None:
    """The 23:59 run, started two minutes late (a machine waking from sleep), took the next day's digest: that
    evening's run found it posted, and the day had no digest of its own."""
    clock = Clock(datetime(2026, 11, 24, 23, 1, tzinfo=UTC))  # 00:01 on the 25th in Berlin
    app, out = console_app(catalogue_dir, tmp_path, clock, timezone="Europe/Berlin", digest_time="23:59")
    add_candidate(app.database, 1)
    job = digest_job(app, clock.now)
    await job.func()
    assert "interp-bot digest — 2026-11-24" in out.getvalue()
    clock.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    add_candidate(app.database, 2)
    clock.now = datetime(2026, 11, 25, 22, 59, tzinfo=UTC)  # 23:59 on the 25th
    await job.func()
    assert "interp-bot digest — 2026-11-25" in out.getvalue()
    assert out.getvalue().count("Feature Family Number 2") == 1
    assert out.getvalue().count("Feature Family Number 1") == 1
    app.database.close()


async def test_a_digest_whose_time_passed_while_the_machine_slept_runs_when_it_wakes(catalogue_dir: Path,
                                                                                    tmp_path: Path) -> None:
    """APScheduler drops a run more than its misfire grace (10 minutes) late: a laptop asleep over 09:00, or a
    paused container, had no digest that day."""
    import asyncio

    from apscheduler.events import EVENT_JOB_EXECUTED

    clock = Clock(datetime(2026, 11, 24, 11, 0, tzinfo=UTC))
    app, out = console_app(catalogue_dir, tmp_path, clock, digest_time="09:00")
    add_candidate(app.database, 1)
    scheduler = build_scheduler(app, now=clock.now)
    # Its run time came two hours ago, while the event loop was suspended with the machine.
    outcome = run_late(scheduler, "digest:console", timedelta(hours=2))
    try:
        assert await asyncio.wait_for(outcome, timeout=10) == EVENT_JOB_EXECUTED
        assert "interp-bot digest — 2026-11-24" in out.getvalue()
    finally:
        scheduler.shutdown(wait=False)
        app.database.close()


async def test_a_digest_a_killed_process_was_posting_is_posted_after_the_restart(catalogue_dir: Path,
                                                                                tmp_path: Path) -> None:
    """Killed while it posted the day's digest (an OOM kill, a crash: the restart comes seconds later), a process
    leaves the day's claim behind. The restart took "claimed" for a digest under way: its first run was the next
    day's, and a run that found the claim posted nothing and tried no more, so the day had no digest, though the
    claim goes stale in ten minutes for just this."""
    from bot.adapters.console.adapter import CHANNEL
    from bot.curation.digest import CLAIM_STALE_AFTER

    clock = Clock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    app, out = console_app(catalogue_dir, tmp_path, clock, digest_time="09:00")
    add_candidate(app.database, 1)
    assert app.curation.store.claim_digest(f"console:{CHANNEL}", "2026-11-24", "killed-process",
                                           stale_after=CLAIM_STALE_AFTER)
    clock.now = datetime(2026, 11, 24, 9, 1, tzinfo=UTC)  # restarted
    scheduler = build_scheduler(app, now=clock.now)
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job("digest:console")
        assert job.next_run_time.astimezone(UTC) < clock.now + timedelta(minutes=1)  # not tomorrow at 09:00
        for _ in range(2):  # 09:01 and the retry at 09:06: the claim is not stale yet, left to its holder for now
            await job.func()
            assert "interp-bot digest" not in out.getvalue()
            clock.now = scheduler.get_job("digest:console").next_run_time.astimezone(UTC)
        assert clock.now == datetime(2026, 11, 24, 9, 21, tzinfo=UTC)  # the next retry: the claim is stale by then
        await job.func()
        assert "interp-bot digest — 2026-11-24" in out.getvalue()
        assert "Feature Family Number 1" in out.getvalue()
    finally:
        scheduler.shutdown(wait=False)
        app.database.close()
