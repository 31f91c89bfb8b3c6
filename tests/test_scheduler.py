"""Scheduler jobs: per-feed intervals, no overlap, coalesced misfires, and a lease across processes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.app import App
from bot.scheduler import MISFIRE_GRACE_SECONDS, build_scheduler
from bot.settings import load_settings
from tests.fakes.feed_server import FeedServer
from tests.scheduling import run_late

FEEDS = Path(__file__).resolve().parent / "data" / "feeds"


def two_feeds(path: Path, server: FeedServer, *, interval: int, second: str) -> Path:
    """feeds.yaml: LessWrong every `interval` minutes, and a second RSS feed `second` ("name: x, enabled: false")."""
    path.write_text(
        "feeds:\n"
        f"  - {{name: lesswrong, kind: forum_rss, url: '{server.url('/feeds/lesswrong-frontpage.xml')}',"
        f" interval_minutes: {interval}}}\n"
        f"  - {{{second}, kind: rss, url: '{server.url('/feeds/reader-full.rss')}'}}\n"
    )
    return path


async def test_jobs_are_configured_and_leased(catalogue_dir: Path, tmp_path: Path) -> None:
    async with FeedServer(FEEDS) as server:
        feeds_file = two_feeds(tmp_path / "feeds.yaml", server, interval=30, second="name: paused, enabled: false")
        settings = load_settings(catalogue_dir=catalogue_dir, database_url=f"sqlite:///{tmp_path}/s.db",
                                 feeds_file=feeds_file, allow_private_addresses=True, digest_time="07:30",
                                 timezone="Europe/Berlin")
        app = App(settings)
        app.add_adapter("console")
        await app.open_intake()
        scheduler = build_scheduler(app)
        scheduler.start(paused=True)  # jobs take the scheduler's defaults when added to a started scheduler
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"poll:lesswrong", "publish:console", "heartbeat", "recover", "expire", "digest:console",
                             "links", "links-report"}
        poll = jobs["poll:lesswrong"]
        assert poll.trigger.interval == timedelta(minutes=30)
        assert poll.coalesce is True
        assert poll.max_instances == 1
        assert poll.misfire_grace_time == MISFIRE_GRACE_SECONDS
        assert str(jobs["digest:console"].trigger.timezone) == "Europe/Berlin"
        assert "hour='7'" in str(jobs["digest:console"].trigger)
        assert "minute='30'" in str(jobs["digest:console"].trigger)

        # Another process holds the feed's lease: this one skips the poll entirely.
        assert app.database.acquire_lease("poll:lesswrong", "other-process", timedelta(minutes=5))
        await poll.func()
        assert server.requests_to("/feeds/lesswrong") == []
        app.database.release_lease("poll:lesswrong", "other-process")
        await poll.func()
        assert len(server.requests_to("/feeds/lesswrong")) == 1
        assert app.intake.store.feed_state("lesswrong").last_success_at is not None
        scheduler.shutdown(wait=False)
        await app.stop()


async def test_github_mode_adds_the_round_and_an_approval_runs_it_soon(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from pydantic import SecretStr

    from bot.github.clone import init_from_github
    from tests.fakes.github_fake import running_github

    async with running_github(tmp_path, "github_pat_scheduler") as github:
        settings = load_settings(catalogue_dir=tmp_path / "list" / "catalogue",
                                 database_url=f"sqlite:///{tmp_path}/s.db", github_repo=github.repo,
                                 github_token=SecretStr("github_pat_scheduler"),
                                 github_api_url=github.api_url, github_git_url=github.git_url,
                                 github_sync_minutes=10)
        await init_from_github(settings, github.repo)
        app = App(settings)
        app.add_adapter("console")
        start = datetime.now(UTC) + timedelta(days=1)  # the first round, were it not kicked
        scheduler = build_scheduler(app, now=start)
        scheduler.start(paused=True)
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert {"github", "links"} <= set(jobs)
        assert jobs["github"].trigger.interval == timedelta(minutes=10)
        assert "day_of_week='mon'" in str(jobs["links"].trigger)

        assert app.publisher is not None and app.publisher.kick is not None
        app.publisher.kick()  # what an approval does
        assert scheduler.get_job("github").next_run_time < start  # due now, not at its next time
        await scheduler.get_job("github").func()
        assert github.calls, "the round talked to GitHub"
        scheduler.shutdown(wait=False)
        await app.stop()


async def test_each_feed_runs_at_its_due_time_after_a_restart(catalogue_dir: Path, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from bot.store.feeds import FeedState

    async with FeedServer(FEEDS) as server:
        feeds_file = two_feeds(tmp_path / "feeds.yaml", server, interval=360,
                               second="name: overdue, interval_minutes: 360")
        settings = load_settings(catalogue_dir=catalogue_dir, database_url=f"sqlite:///{tmp_path}/s.db",
                                 feeds_file=feeds_file, allow_private_addresses=True)
        app = App(settings)
        intake = await app.open_intake()
        restart = datetime(2026, 11, 24, 1, 56, 12, tzinfo=UTC)
        due = datetime(2026, 11, 24, 1, 57, 11, tzinfo=UTC)  # a minute after the restart
        intake.store.save_feed_state(FeedState(name="lesswrong", last_poll_at=due - timedelta(hours=6),
                                               next_poll_at=due, initialised=True))
        intake.store.save_feed_state(FeedState(name="overdue", next_poll_at=restart - timedelta(hours=3)))
        scheduler = build_scheduler(app, now=restart)
        scheduler.start(paused=True)
        # Not "5 seconds after start, then skipped as not due, then a whole interval later": at its due time.
        assert scheduler.get_job("poll:lesswrong").next_run_time == due
        assert scheduler.get_job("poll:overdue").next_run_time == restart + timedelta(seconds=8)  # staggered

        await scheduler.get_job("poll:lesswrong").func()
        polled = intake.store.feed_state("lesswrong")
        assert polled.last_success_at is not None
        assert scheduler.get_job("poll:lesswrong").next_run_time == polled.next_poll_at  # its next due time
        scheduler.shutdown(wait=False)
        await app.stop()


async def test_a_clock_set_back_does_not_hold_the_feeds_back_by_as_much(catalogue_dir: Path, tmp_path: Path) -> None:
    """A clock a day fast, then corrected: each feed's stored next poll was a day away, so an hourly feed was not
    polled for 25 hours, after a restart or not."""
    from datetime import UTC, datetime

    from bot.store.feeds import FeedState
    from tests.fakes.clock import Clock

    async with FeedServer(FEEDS) as server:
        feeds_file = two_feeds(tmp_path / "feeds.yaml", server, interval=60, second="name: paused, enabled: false")
        settings = load_settings(catalogue_dir=catalogue_dir, database_url=f"sqlite:///{tmp_path}/s.db",
                                 feeds_file=feeds_file, allow_private_addresses=True)
        app = App(settings)
        intake = await app.open_intake()
        fast = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # what the clock said at the last poll
        intake.store.save_feed_state(FeedState(name="lesswrong", last_poll_at=fast, last_success_at=fast,
                                               next_poll_at=fast + timedelta(hours=1), initialised=True,
                                               retry_after_until=fast + timedelta(minutes=10)))
        corrected = fast - timedelta(days=1)
        app.database.clock = Clock(corrected)
        scheduler = build_scheduler(app, now=corrected)
        scheduler.start(paused=True)
        assert scheduler.get_job("poll:lesswrong").next_run_time == corrected + timedelta(seconds=5)
        await scheduler.get_job("poll:lesswrong").func()
        assert len(server.requests_to("/feeds/lesswrong")) == 1
        polled = intake.store.feed_state("lesswrong")
        assert (polled.last_poll_at, polled.next_poll_at) == (corrected, corrected + timedelta(hours=1))
        scheduler.shutdown(wait=False)
        await app.stop()


async def test_a_stop_ends_any_job_under_way_quietly_leased_or_not(catalogue_dir: Path, tmp_path: Path,
                                                                   caplog) -> None:
    """Only leased jobs were tracked (1252b65): a SIGTERM during the daily digest or a GitHub round still logged
    `Job "..." raised an exception` with CancelledError tracebacks."""
    import asyncio
    import logging

    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.scheduler import leased, tracked

    settings = load_settings(catalogue_dir=catalogue_dir, database_url=f"sqlite:///{tmp_path}/s.db")
    app = App(settings, feeds="unused")
    started = {"digest": asyncio.Event(), "poll:slow": asyncio.Event()}

    def never_ending(name: str):  # a job still at work when the bot is told to stop
        async def job() -> None:
            started[name].set()
            await asyncio.Event().wait()
        return job

    app.scheduler = AsyncIOScheduler()
    app.scheduler.start()
    app.scheduler.add_job(tracked(app, "digest", never_ending("digest")))
    app.scheduler.add_job(leased(app, "poll:slow", timedelta(minutes=5), never_ending("poll:slow")))
    await asyncio.wait_for(asyncio.gather(*(event.wait() for event in started.values())), timeout=10)
    caplog.set_level(logging.INFO)
    await app.stop()
    assert "waiting up to 3 s for 2 running job(s)" in caplog.text
    for name in started:
        assert f"job {name} was stopped by the shutdown before it finished" in caplog.text
    assert "raised an exception" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert app.running_jobs == set()


async def test_a_failed_run_of_a_recorded_job_shows_in_status(tmp_path: Path) -> None:
    """A weekly link check that failed (no site answered) was only logged: `status` went on showing the week
    before's check as if all were well."""
    from bot.cli.output import status_json
    from bot.cli.status_text import render_status

    directory = tmp_path / "list"
    directory.mkdir()
    (directory / "topics.yaml").write_text("title: Links\ndescription: a list\ntopics:\n"
                                           "  - slug: probing\n    title: Probing\n")
    lines = ["- topic: probing", "  entries:"]
    for number, host in enumerate(("arxiv.invalid", "openreview.invalid", "github.invalid")):
        lines += [f"    - id: paper-{number}", f"      title: Paper {number}", "      links:",
                  "        - label: site", f"          url: https://{host}/paper-{number}"]
    (directory / "probing.yaml").write_text("\n".join(lines) + "\n")
    settings = load_settings(catalogue_dir=directory, database_url=f"sqlite:///{tmp_path}/s.db")
    app = App(settings, feeds="unused")
    app.add_adapter("console")
    scheduler = build_scheduler(app)
    scheduler.start(paused=True)
    try:
        before = render_status(status_json(app, ["console"]), "UTC")
        assert "Jobs        none has run yet" in before.splitlines()
        jobs = {job.id: job for job in scheduler.get_jobs()}
        await jobs["links"].func()
        await jobs["expire"].func()
        data = status_json(app, ["console"])
        runs = {run["name"]: run["problem"] for run in data["jobs"]}
        assert runs["expire"] is None
        assert runs["links"].startswith("no site answered: the 3 links on 3 hosts all failed")
        shown = render_status(data, "UTC").splitlines()
        at = shown.index("Jobs        1 FAILED at their last run")
        assert shown[at + 1].startswith("  links  failed ")
        assert "no site answered" in shown[at + 1]
        # A platform taken out of the configuration: its publish job's last failure is no longer shown.
        from bot.store.jobs import JobRunStore

        JobRunStore(app.database).record("publish:slack", app.database.now(), "not_in_channel")
        assert "publish:slack" not in [run["name"] for run in status_json(app, ["console"])["jobs"]]
        assert "publish:slack" in [run["name"] for run in status_json(app, ["console", "slack"])["jobs"]]
    finally:
        scheduler.shutdown(wait=False)
        await app.stop()


async def test_a_feed_due_while_the_machine_slept_is_polled_when_it_wakes(catalogue_dir: Path, tmp_path: Path) -> None:
    """A run more than APScheduler's misfire grace (10 minutes) late was dropped, and the next came on the job's
    interval: a laptop asleep over a 6-hourly arXiv feed's due time polled it up to 6 hours after it woke (`status`
    meanwhile showing a next poll in the past), and the weekly link check waited a week."""
    import asyncio

    from apscheduler.events import EVENT_JOB_EXECUTED

    async with FeedServer(FEEDS) as server:
        feeds_file = two_feeds(tmp_path / "feeds.yaml", server, interval=360, second="name: paused, enabled: false")
        settings = load_settings(catalogue_dir=catalogue_dir, database_url=f"sqlite:///{tmp_path}/s.db",
                                 feeds_file=feeds_file, allow_private_addresses=True)
        app = App(settings)
        await app.open_intake()
        scheduler = build_scheduler(app)
        # Its run time came two hours ago, while the event loop was suspended with the machine.
        outcome = run_late(scheduler, "poll:lesswrong", timedelta(hours=2))
        try:
            assert await asyncio.wait_for(outcome, timeout=10) == EVENT_JOB_EXECUTED
            assert len(server.requests_to("/feeds/lesswrong")) == 1
        finally:
            scheduler.shutdown(wait=False)
            await app.stop()


async def test_a_feed_whose_server_asked_to_wait_is_due_when_the_wait_ends(catalogue_dir: Path, tmp_path: Path) -> None:
    """A 503 with Retry-After to one feed holds the host's other feeds back too; such a feed kept its next poll, by
    then past: the scheduler ran its job again every second for the hour (each run asking nothing), and `status`
    showed it due an hour ago."""
    from datetime import UTC, datetime

    from bot.cli.output import status_json
    from bot.cli.status_text import render_status
    from tests.fakes.clock import Clock

    async with FeedServer(FEEDS) as server:
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text(
            "feeds:\n"
            f"  - {{name: lesswrong, kind: forum_rss, url: '{server.url('/feeds/lesswrong-frontpage.xml')}',"
            " interval_minutes: 60}\n"
            f"  - {{name: overloaded, kind: rss, url: '{server.url('/status/503?retry_after=3600')}'}}\n")
        settings = load_settings(catalogue_dir=catalogue_dir, database_url=f"sqlite:///{tmp_path}/s.db",
                                 feeds_file=feeds_file, allow_private_addresses=True)
        clock = Clock(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
        app = App(settings, clock=clock)
        await app.open_intake()
        scheduler = build_scheduler(app)
        scheduler.start(paused=True)
        try:
            await scheduler.get_job("poll:lesswrong").func()  # due again at 10:00
            await scheduler.get_job("poll:overloaded").func()  # 503: the host asks for an hour's quiet
            clock.now = datetime(2026, 12, 4, 10, 1, tzinfo=UTC)
            await scheduler.get_job("poll:lesswrong").func()  # due, but the host is still to be left alone
            assert len(server.requests_to("/feeds/lesswrong")) == 1
            assert scheduler.get_job("poll:lesswrong").next_run_time >= datetime(2026, 12, 4, 11, 0, tzinfo=UTC)
            text = render_status(status_json(app, []), "UTC")
        finally:
            scheduler.shutdown(wait=False)
            await app.stop()
    row = next(line for line in text.splitlines() if line.startswith("  lesswrong "))
    assert " 2026-12-04 11:00 " in row
    assert "OVERDUE" not in row
