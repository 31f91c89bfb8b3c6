"""The scheduled daily digest: one a day in the configured zone, whatever the clocks, restarts and suspensions do."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import App
from bot.scheduler import build_scheduler
from tests.curation.test_pipeline import settings_for
from tests.fakes.clock import Clock


def console_app(catalogue_dir: Path, tmp_path: Path, clock: Clock, **settings) -> tuple[App, io.StringIO]:
    out = io.StringIO()
    app = App(settings_for(catalogue_dir, f"sqlite:///{tmp_path / 'bot.db'}", feeds_file=tmp_path / "none.yaml",
                           **settings), clock=clock)
    app.add_adapter("console", stream=out)
    return app, out


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

