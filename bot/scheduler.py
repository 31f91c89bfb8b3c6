"""APScheduler 3.x jobs: poll each feed, publish candidates, expire old ones, post the daily digest.

Every job coalesces missed runs, never overlaps itself (max_instances=1), runs however late it starts (a
machine asleep over its time: once, on waking), and takes a database lease first, so with several bot
processes on one database a job runs in one of them at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot import errors
from bot.errors import AdapterError, InterpBotError, describe
from bot.store.jobs import is_recorded, run_of

if TYPE_CHECKING:
    from bot.app import App
    from bot.intake.poll import Intake

log = logging.getLogger(__name__)

# None: a job runs however late it starts (coalesced: once). With a grace, APScheduler drops a later run and the next
# comes on the job's interval: a machine asleep over a 6-hourly feed's due time had it polled up to 6 hours after
# waking, the weekly link check waited a week, and the day's digest was lost.
MISFIRE_GRACE_SECONDS = None
HEARTBEAT_SECONDS = 30  # bot.store.health.STALE_AFTER: four missed beats make a process look gone


def tracked(app: App, name: str, job: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[None]]:
    """Wrap every job: App.stop lets a running one finish for a moment before it closes what the job uses, and a
    job its shutdown then cancels says so at INFO (the scheduler logged it as an ERROR with tracebacks). A job that
    fails is logged and runs again at its next time; a recorded one's outcome (`bot.store.jobs.is_recorded`) is kept
    for `status`, so a weekly link check, a digest or a poll that failed shows there, not only in the log."""
    import asyncio
    from contextlib import nullcontext

    recorded = is_recorded(name)

    async def run() -> None:
        task = asyncio.current_task()
        if task is not None:
            app.running_jobs.add(task)
        try:
            async with run_of(app.database, name) if recorded else nullcontext():
                await job()
        except Exception as exc:  # our own errors say what to fix; anything else is a bug worth its traceback
            log.error("job %s failed: %s", name, describe(exc),
                      exc_info=None if isinstance(exc, InterpBotError) else exc)
        except asyncio.CancelledError:
            log.info("job %s was stopped by the shutdown before it finished; it runs again after the next start",
                     name)
        finally:
            if task is not None:
                app.running_jobs.discard(task)

    run.__name__ = name
    return run


def leased(app: App, name: str, ttl: timedelta, job: Callable[[], Awaitable[Any]], *,
           lease: str | None = None) -> Callable[[], Awaitable[None]]:
    """Wrap a job so it runs only while this process holds the lease `lease` (by default `name`; and is tracked,
    as every job is)."""
    import asyncio

    body = tracked(app, name, job)
    lease = lease or name

    async def run() -> None:
        if not await asyncio.to_thread(app.database.acquire_lease, lease, app.holder, ttl):
            log.debug("job %s is running in another process; skipped here", name)
            return
        try:
            await body()
        finally:
            await asyncio.to_thread(app.database.release_lease, lease, app.holder)

    run.__name__ = name
    return run


class DailyAt(CronTrigger):
    """Once every day at `hour`:`minute` in `timezone` (a CronTrigger, as the job's description shows it).

    APScheduler 3's CronTrigger steps a day as 24 hours: a time before the clocks go forward had no run the day
    after (a 00:30 digest in Berlin had none on 30 March: agronholm/apscheduler#606), nor the day itself where they
    go forward at midnight (Havana), and a time the clocks go back over ran twice. Here each day has one run: at the
    time, or where the clocks skip it, as long after the change as it was after the hour before (02:30 -> 03:30),
    and where it comes twice, at the first."""

    def __init__(self, hour: int, minute: int, timezone: str):
        super().__init__(hour=hour, minute=minute, timezone=timezone)
        self.at = (hour, minute)

    def occurrence(self, day: date) -> datetime:
        """The moment of `day`'s run, in UTC (fold=0: the first of a time that comes twice, and for one the clocks
        skip, the offset before the change). UTC to compare: two times of one zone compare by the clock on the wall,
        which in the hour that comes twice is not their order."""
        return datetime(day.year, day.month, day.day, *self.at, tzinfo=self.timezone).astimezone(UTC)

    def day_of(self, now: datetime) -> date:
        """The day whose run is the latest at or before `now`: today once today's time has come, else yesterday (a
        run that starts late, past midnight, is the day before's)."""
        today = now.astimezone(self.timezone).date()
        return today if self.occurrence(today) <= now.astimezone(UTC) else today - timedelta(days=1)

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime:
        after = now.astimezone(UTC) if previous_fire_time is None else \
            previous_fire_time.astimezone(UTC) + timedelta(microseconds=1)
        day = after.astimezone(self.timezone).date() - timedelta(days=1)
        while self.occurrence(day) < after:
            day += timedelta(days=1)
        return self.occurrence(day).astimezone(self.timezone)


def build_scheduler(app: App, *, now: datetime | None = None) -> AsyncIOScheduler:
    settings = app.settings
    scheduler = AsyncIOScheduler(
        timezone=settings.timezone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
    )
    start = now or app.database.now()
    intake, feeds = app.intake, app.feeds
    if intake is not None and feeds is not None:
        from bot.intake.poll import poll_lease  # here: the intake's imports are heavy, and an intake exists now

        for index, feed in enumerate(feeds.enabled):
            async def poll_one(feed: Any = feed, intake: Intake = intake) -> None:
                reports = await intake.poll([feed])
                if any(report.candidates for report in reports):
                    publish_soon(scheduler)
                await run_when_due(scheduler, intake, feed.name)

            # Each feed runs when it is due (its stored next poll, which back-off and Retry-After move too), not
            # at a fixed time after start: a first run before it is due would skip it, and the next try would
            # come a whole interval later (up to twice a 6-hour interval after a restart).
            # Staggered, so a restart does not hit every site in the same second.
            due = intake.store.feed_state(feed.name).as_of(start).next_poll_at
            first = max(start + timedelta(seconds=5 + 3 * index), due or start)
            scheduler.add_job(
                # The lease `interp-bot poll` takes too: a feed a shell is polling is skipped here, and vice versa.
                leased(app, poll_lease(feed.name), intake.lease_ttl, poll_one),
                IntervalTrigger(minutes=feed.interval_minutes, jitter=30),
                id=f"poll:{feed.name}", name=f"poll {feed.name}", next_run_time=first,
            )
    for platform in app.curation.adapters:
        async def publish(platform: str = platform) -> None:
            await app.curation.publish_pending(platform)

        scheduler.add_job(leased(app, f"publish:{platform}", timedelta(minutes=5), publish),
                          IntervalTrigger(minutes=1), id=f"publish:{platform}", name=f"publish to {platform}",
                          next_run_time=start + timedelta(seconds=2))
    # Every process beats for its own adapters: no lease.
    scheduler.add_job(tracked(app, "heartbeat", app.heartbeat), IntervalTrigger(seconds=HEARTBEAT_SECONDS),
                      id="heartbeat", name="adapter health", next_run_time=start + timedelta(seconds=HEARTBEAT_SECONDS))
    # App.start has just run a recovery round itself, so the first scheduled one waits a whole interval: a second
    # round a second after start only counted one more failed attempt of the same stuck approval. A bot edits only
    # its own platforms' posts, so its lease is theirs: one lease for all, and a bot of another platform whose rounds
    # fell at the same moments (both started together) skipped every one, its posts of decided candidates unedited.
    platforms = "+".join(sorted(app.curation.adapters)) or "none"
    scheduler.add_job(leased(app, "recover", timedelta(minutes=5), app.curation.recover, lease=f"recover:{platforms}"),
                      IntervalTrigger(minutes=2),
                      id="recover", name="finish interrupted decisions", next_run_time=start + timedelta(minutes=2))
    scheduler.add_job(leased(app, "expire", timedelta(minutes=5), app.curation.expire),
                      IntervalTrigger(hours=1), id="expire", name="expire old candidates")
    hour, minute = (int(part) for part in settings.digest_time.split(":"))
    daily = DailyAt(hour, minute, settings.timezone)
    failures: dict[str, tuple[date, int]] = {}  # per digest job: the day whose digest failed, and how often
    for platform, adapter in app.curation.adapters.items():  # one job each: `status` shows a channel that refused
        async def digest(platform: str = platform) -> None:
            # The day of the run this is: one that starts late, past midnight, posts the day before's.
            day = daily.day_of(app.database.now())
            result = await app.digest(platform=platform, day=day.isoformat())
            if result.failed or result.in_progress:  # in progress: or its process died posting it (stale soon)
                retry_digest(scheduler, f"digest:{platform}", daily, day, app.database.now(), failures)
            if result.failed:
                raise AdapterError(errors.digest_not_posted(result.failed))
            if not result.in_progress:
                failures.pop(f"digest:{platform}", None)

        # However late (MISFIRE_GRACE_SECONDS): each day's digest is claimed once, so a late run posts nothing twice.
        scheduler.add_job(tracked(app, f"digest:{platform}", digest), daily,
                          id=f"digest:{platform}", name=f"daily digest to {platform}",
                          next_run_time=first_digest(app, adapter, daily, start))
    add_list_jobs(app, scheduler, start)
    return scheduler


DIGEST_RETRY_MINUTES = (5, 15, 30, 60)  # then hourly


def retry_digest(scheduler: AsyncIOScheduler, job_id: str, daily: DailyAt, day: date, now: datetime,
                 failures: dict[str, tuple[date, int]]) -> None:
    """A digest the platform did not take (an outage, a reconnect, a channel not fixed yet) is tried again after 5,
    15 and 30 minutes, then hourly: the next day's digest was the next try, and the day had none on that platform
    while the others had theirs. Never past the next day's digest, which covers the day."""
    failed_day, count = failures.get(job_id, (day, 0))
    count = count + 1 if failed_day == day else 1
    failures[job_id] = (day, count)
    job = scheduler.get_job(job_id)
    if job is not None:
        retry = now + timedelta(minutes=DIGEST_RETRY_MINUTES[min(count, len(DIGEST_RETRY_MINUTES)) - 1])
        job.modify(next_run_time=min(retry, daily.occurrence(day + timedelta(days=1))))


def first_digest(app: App, adapter: Any, daily: DailyAt, start: datetime) -> datetime:
    """When a platform's digest job first runs after a start: at its time, or at once when today's time has passed
    and today's digest of its channel was not done, or failed (a restart a minute after it, or a bot down all
    morning: the job's first run was tomorrow's, and today had no digest), or is claimed (this process's
    predecessor, killed while it posted it: its claim goes stale, and a retry takes it over)."""
    channel = adapter.channel_for("digest")
    today = start.astimezone(daily.timezone).date()
    if channel and daily.day_of(start) == today and app.curation.store.digest_status(
            f"{adapter.platform}:{channel}", today.isoformat()) in (None, "failed", "claimed"):
        return start + timedelta(seconds=10)
    return daily.get_next_fire_time(None, start)


def add_list_jobs(app: App, scheduler: AsyncIOScheduler, start: datetime) -> None:
    """The list's own upkeep: the GitHub round (sync, follow, publish; it takes its own lease, as the command line's
    `interp-bot github` does) and the weekly link check."""
    publisher = app.publisher
    if publisher is not None:
        async def github_round() -> None:
            from bot.errors import InterpBotError

            try:
                await publisher.run_round()
            except InterpBotError as exc:  # said once to the maintainers by the publisher; logged each round
                log.error("github: %s", exc)

        scheduler.add_job(tracked(app, "github", github_round),
                          IntervalTrigger(minutes=app.settings.github_sync_minutes), id="github",
                          name="sync with GitHub, follow and publish", next_run_time=start + timedelta(seconds=3))
        publisher.kick = lambda: run_soon(scheduler, "github")

    async def links() -> None:
        await app.check_links(post=True)

    scheduler.add_job(leased(app, "links", timedelta(hours=3), links),
                      CronTrigger(day_of_week="mon", hour=4, minute=30, timezone=app.settings.timezone),
                      id="links", name="weekly link check")
    # The check ran in whichever process took the lease, which told only its own platform.
    scheduler.add_job(tracked(app, "links-report", app.tell_link_report), IntervalTrigger(minutes=30),
                      id="links-report", name="tell this platform the week's link report")


def run_soon(scheduler: AsyncIOScheduler, job_id: str) -> None:
    job = scheduler.get_job(job_id)
    if job is not None:
        job.modify(next_run_time=datetime.now(UTC))

async def run_when_due(scheduler: AsyncIOScheduler, intake: Intake, name: str) -> None:
    """Move a feed's next run to its due time, as its last poll (or back-off) set it."""
    import asyncio

    due = (await asyncio.to_thread(intake.store.feed_state, name)).next_poll_at
    job = scheduler.get_job(f"poll:{name}")
    if due is not None and job is not None:
        job.modify(next_run_time=max(due, intake.db.now() + timedelta(seconds=1)))


def publish_soon(scheduler: AsyncIOScheduler) -> None:
    """New candidates reach the maintainers now, not at the next minute's round; the publish job itself
    still runs under its lease and max_instances=1, so this cannot post anything twice."""
    for job in scheduler.get_jobs():
        if job.id.startswith("publish:"):
            job.modify(next_run_time=datetime.now(UTC))
