"""The jobs' last runs in `status`: a run the scheduler made and the same work done from a shell count alike, and a
poll stopped by an error of ours (not the feed's) shows as one until a poll of that feed completes."""

from __future__ import annotations

import socket
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import App
from bot.cli.output import status_json
from bot.cli.status_text import render_status
from bot.scheduler import build_scheduler
from bot.settings import load_settings
from tests.fakes.clock import Clock
from tests.fakes.feed_server import FeedServer
from tests.fakes.link_site import LinkSite
from tests.ops.support import bot_env, cli
from tests.test_links import write_list
from tests.test_scheduler import FEEDS, two_feeds

# The database refusing a write of the feeds' state (as a full disk or a lost connection would, mid-poll): the poll
# records its failure in that same table, so the error leaves the poll itself.
REFUSE = "CREATE TRIGGER refuse_{op} BEFORE {op} ON feeds BEGIN SELECT RAISE(ABORT, 'disk is full'); END"


def refuse_feed_writes(database: Path) -> None:
    with sqlite3.connect(database) as conn:
        for op in ("INSERT", "UPDATE"):
            conn.execute(REFUSE.format(op=op))


def accept_feed_writes(database: Path) -> None:
    with sqlite3.connect(database) as conn:
        for op in ("INSERT", "UPDATE"):
            conn.execute(f"DROP TRIGGER refuse_{op}")


def section(text: str, label: str) -> list[str]:
    """A section of `status`: its line and the indented lines below it."""
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(label))
    end = next((i for i in range(at + 1, len(lines)) if not lines[i].startswith(" ")), len(lines))
    return lines[at:end]


def feed_row(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"  {name} "))


async def test_a_poll_an_error_of_ours_stopped_shows_as_failed_and_overdue_until_one_completes(
        catalogue_dir: Path, tmp_path: Path) -> None:
    """The poll was only logged: `status` showed the feed ok, due at a time long past, as if a poll were coming."""
    async with FeedServer(FEEDS) as server:
        feeds_file = two_feeds(tmp_path / "feeds.yaml", server, interval=60, second="name: paused, enabled: false")
        settings = load_settings(catalogue_dir=catalogue_dir, database_url=f"sqlite:///{tmp_path}/s.db",
                                 feeds_file=feeds_file, allow_private_addresses=True)
        clock = Clock(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
        app = App(settings, clock=clock)
        await app.open_intake()
        scheduler = build_scheduler(app)
        scheduler.start(paused=True)
        poll = scheduler.get_job("poll:lesswrong")
        try:
            await poll.func()
            assert "Jobs        all ok at their last run" in render_status(status_json(app, []), "UTC")
            clock.now += timedelta(hours=2)  # an hour past its next poll, at 10:00
            refuse_feed_writes(tmp_path / "s.db")
            await poll.func()

            data = status_json(app, [])
            (job,) = [job for job in data["jobs"] if job["name"] == "poll:lesswrong"]
            assert job["problem"].startswith("IntegrityError: (sqlite3.IntegrityError) disk is full")
            text = render_status(data, "UTC")
            jobs = section(text, "Jobs")
            assert jobs[0] == "Jobs        1 FAILED at their last run"
            assert jobs[1].startswith("  poll:lesswrong  failed 2026-12-04 11:00  IntegrityError: (sqlite3.Integ")
            assert " 2026-12-04 10:00 OVERDUE " in feed_row(text, "lesswrong")
            assert section(text, "Feeds")[0].endswith(" · 1 OVERDUE")  # not "all ok"
            assert " -  " in feed_row(text, "paused")  # a disabled feed is due never, so never late

            accept_feed_writes(tmp_path / "s.db")
            await poll.func()
            text = render_status(status_json(app, []), "UTC")
            assert section(text, "Jobs") == ["Jobs        all ok at their last run"]
            assert "OVERDUE" not in text
            assert " 2026-12-04 12:00 " in feed_row(text, "lesswrong")
        finally:
            scheduler.shutdown(wait=False)
            await app.stop()


async def test_a_poll_from_a_shell_counts_as_the_feeds_poll_job(catalogue_dir: Path, tmp_path: Path) -> None:
    """`interp-bot poll` after the bot's poll failed polled the feed, and `status` went on saying the poll FAILED
    (and the feed's poll overdue) until the bot's next one, an interval later; one that failed the same way from a
    shell did not show at all."""
    async with FeedServer(FEEDS) as server:
        feeds_file = two_feeds(tmp_path / "feeds.yaml", server, interval=60, second="name: paused, enabled: false")
        database = tmp_path / "s.db"
        settings = load_settings(catalogue_dir=catalogue_dir, database_url=f"sqlite:///{database}",
                                 feeds_file=feeds_file, allow_private_addresses=True)
        env = bot_env(tmp_path, database_url=f"sqlite:///{database}", feeds_file=feeds_file,
                      INTERP_BOT_CATALOGUE_DIR=str(catalogue_dir))
        # The bot's run, in 2020: the shell's below are now.
        app = App(settings, clock=Clock(datetime(2020, 1, 6, 9, 0, tzinfo=UTC)))
        await app.open_intake()
        scheduler = build_scheduler(app)
        scheduler.start(paused=True)
        try:
            refuse_feed_writes(database)
            await scheduler.get_job("poll:lesswrong").func()  # its first poll, refused
        finally:
            scheduler.shutdown(wait=False)
            await app.stop()
        status = (await cli(env, tmp_path, "status")).stdout
        assert section(status, "Jobs")[1].startswith("  poll:lesswrong  failed 2020-01-06 09:00  IntegrityError")
        assert " OVERDUE " in feed_row(status, "lesswrong")  # never polled, though the bot tried: not "at start"

        refused = await cli(env, tmp_path, "poll")
        assert refused.returncode == 1
        (job,) = (await cli(env, tmp_path, "status", "--json")).json()["jobs"]
        assert job["name"] == "poll:lesswrong"
        assert not job["started_at"].startswith("2020-")  # the shell's run
        assert job["problem"].startswith("IntegrityError: (sqlite3.IntegrityError) disk is full")

        accept_feed_writes(database)
        polled = await cli(env, tmp_path, "poll")
        assert polled.returncode == 0, polled.stderr
        status = (await cli(env, tmp_path, "status")).stdout
        assert section(status, "Jobs") == ["Jobs        all ok at their last run"]
        assert "OVERDUE" not in feed_row(status, "lesswrong")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_link_check_from_a_shell_clears_the_weekly_jobs_failure(tmp_path: Path) -> None:
    """After the weekly check failed (the machine was offline), `interp-bot links --check` checked every link, and
    `status` kept the job FAILED until next Monday (a monitor alerting on it for a week)."""
    port = closed_port()  # three hosts, none answering: the check records nothing and fails
    offline = tmp_path / "offline"
    offline.mkdir()
    (offline / "topics.yaml").write_text("title: Links\ndescription: a list\ntopics:\n"
                                         "  - slug: probing\n    title: Probing\n")
    lines = ["- topic: probing", "  entries:"]
    for number in range(3):
        lines += [f"    - id: paper-{number}", f"      title: Paper {number}", "      links:",
                  "        - label: site", f"          url: http://127.0.0.{number + 1}:{port}/paper"]
    (offline / "probing.yaml").write_text("\n".join(lines) + "\n")
    database = f"sqlite:///{tmp_path / 'bot.db'}"
    app = App(load_settings(catalogue_dir=offline, database_url=database, allow_private_addresses=True),
              feeds="unused")
    scheduler = build_scheduler(app)
    scheduler.start(paused=True)
    try:
        await scheduler.get_job("links").func()
    finally:
        scheduler.shutdown(wait=False)
        await app.stop()

    async with LinkSite() as site:
        directory = write_list(tmp_path / "list", site)
        env = bot_env(tmp_path, database_url=database, INTERP_BOT_CATALOGUE_DIR=str(directory))
        failed = section((await cli(env, tmp_path, "status")).stdout, "Jobs")
        assert failed[0] == "Jobs        1 FAILED at their last run"
        assert failed[1].startswith("  links  failed ") and "no site answered" in failed[1]
        checked = await cli(env, tmp_path, "links", "--check")
        assert checked.returncode == 0, checked.stderr
        status = await cli(env, tmp_path, "status", "--json")
    (job,) = [job for job in status.json()["jobs"] if job["name"] == "links"]
    assert job["problem"] is None
    assert section((await cli(env, tmp_path, "status")).stdout, "Jobs") == ["Jobs        all ok at their last run"]


async def test_the_expiry_a_poll_from_a_shell_does_is_the_expire_jobs_run(catalogue_dir: Path, tmp_path: Path) -> None:
    """`interp-bot poll` closes what nobody decided, as the bot's hourly job does (a bot run from cron has none): after
    that job failed and the bot stopped, `status` kept `expire` FAILED however many polls since had expired the
    candidates."""
    from bot.store.db import Database
    from tests.curation.test_pipeline import add_candidate

    async with FeedServer(FEEDS) as server:
        feeds_file = two_feeds(tmp_path / "feeds.yaml", server, interval=60, second="name: paused, enabled: false")
        database = tmp_path / "s.db"
        settings = load_settings(catalogue_dir=catalogue_dir, database_url=f"sqlite:///{database}",
                                 feeds_file=feeds_file, allow_private_addresses=True)
        app = App(settings)
        add_candidate(Database.open(f"sqlite:///{database}", clock=lambda: app.database.now() - timedelta(days=30)), 1)
        with sqlite3.connect(database) as conn:  # the decision's write refused
            conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON decisions BEGIN SELECT RAISE(ABORT, 'disk is full');"
                         " END")
        scheduler = build_scheduler(app)
        scheduler.start(paused=True)
        try:
            await scheduler.get_job("expire").func()
        finally:
            scheduler.shutdown(wait=False)
            await app.stop()
        env = bot_env(tmp_path, database_url=f"sqlite:///{database}", feeds_file=feeds_file,
                      INTERP_BOT_CATALOGUE_DIR=str(catalogue_dir))
        assert section((await cli(env, tmp_path, "status")).stdout, "Jobs")[1].startswith("  expire  failed ")

        with sqlite3.connect(database) as conn:
            conn.execute("DROP TRIGGER refuse")
        polled = await cli(env, tmp_path, "poll")
        assert polled.returncode == 0, polled.stderr
        assert "1 candidate(s) nobody decided on within 14 days expired" in polled.stdout
        status = (await cli(env, tmp_path, "status")).stdout
    assert section(status, "Jobs") == ["Jobs        all ok at their last run"]
