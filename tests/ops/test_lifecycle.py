"""`interp-bot run` as an operator meets it: starts headless, polls on schedule, stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.fakes.feed_server import FeedServer
from tests.ops.support import CANDIDATE_FEEDS, BotProcess, bot_env, cli, wait_for, write_feeds

pytestmark = pytest.mark.slow


async def test_run_polls_then_stops_cleanly_on_sigterm(tmp_path: Path, feed_server: FeedServer) -> None:
    feeds = write_feeds(tmp_path / "feeds.yaml", feed_server, CANDIDATE_FEEDS)
    env = bot_env(tmp_path, database_url=f"sqlite:///{tmp_path / 'bot.db'}", feeds_file=feeds)
    bot = BotProcess(env, tmp_path, "run", "--adapter", "console")
    await bot.start()
    try:
        # `status` only once the bot has created the SQLite file: a CLI command racing the very first migration
        # of a brand-new SQLite database can still meet "database is locked" (PostgreSQL takes turns).
        await wait_for(lambda: "interp-bot running" in bot.stderr, limit=15, what="the bot to start",
                       alive=bot.running)

        async def polled() -> dict | None:
            status = await cli(env, tmp_path, "status", "--json")
            assert status.returncode == 0, status.stderr
            data = status.json()
            done = all(feed["last_success"] for feed in data["feeds"])
            return data if done else None

        # The scheduler staggers first polls a few seconds after start; wait for them, not for a clock. Each `status`
        # is a whole interp-bot process (most of a second of CPU, taken from the bot it watches), so ask it only once
        # the feed server has been asked for every feed: the polls are then under way and `status` soon agrees.
        await wait_for(lambda: len(feed_server.requests_to("/feeds/")) >= len(CANDIDATE_FEEDS), limit=25,
                       what="every feed to be fetched", alive=bot.running)
        status = await wait_for(polled, limit=25, interval=0.5, what="every feed to be polled",
                                alive=bot.running)
        assert {feed["name"] for feed in status["feeds"]} == set(CANDIDATE_FEEDS)
        assert all(f["consecutive_failures"] == 0 and f["next_poll"] for f in status["feeds"])
        assert status["database"]["schema"] >= 1
        assert len(feed_server.requests_to("/feeds/")) == len(CANDIDATE_FEEDS)

        # "a few seconds": the whole shutdown (scheduler, adapters, HTTP client, database) fits in 5.
        assert await bot.terminate(limit=5) == 0, bot.stderr
    finally:
        await bot.kill()
    log = bot.stderr
    assert "interp-bot running: adapters console, 2 feeds" in log
    assert "nothing will be polled" not in log
    assert "bot.app: stopping" in log
    assert "Traceback" not in log, log
    assert " ERROR " not in log, log
    status = (await cli(env, tmp_path, "status", "--json")).json()
    assert status["pending_candidates"] > 0
    # The day's budget as `status` shows it: what the poll just put forward counts against today's.
    assert status["budget"]["limit"] == 10
    assert status["budget"]["today"] == status["pending_candidates"]
    assert f"· today {status['pending_candidates']} of 10" in (await cli(env, tmp_path, "status")).stdout


async def test_a_stop_during_a_poll_lets_it_finish_or_ends_it_quietly(tmp_path: Path, feed_server: FeedServer) -> None:
    """SIGTERM while a feed was being fetched logged `Job "poll ..." raised an exception` with two CancelledError
    tracebacks, on every restart that landed mid-poll (log alerting fired for a clean stop)."""
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - name: hangs\n    kind: rss\n    url: {feed_server.url('/slow')}\n"
                     "    interval_minutes: 60\n", encoding="utf-8")
    env = bot_env(tmp_path, database_url=f"sqlite:///{tmp_path / 'bot.db'}", feeds_file=feeds)
    bot = BotProcess(env, tmp_path, "run", "--adapter", "console")
    await bot.start()
    try:
        await wait_for(lambda: feed_server.requests_to("/slow"), limit=25, what="the poll to start",
                       alive=bot.running)
        assert await bot.terminate(limit=8) == 0, bot.stderr
    finally:
        await bot.kill()
        feed_server.release_slow()
    log = bot.stderr
    assert "waiting up to 3 s for 1 running job(s)" in log
    assert "job poll:hangs was stopped by the shutdown before it finished" in log
    assert "Traceback" not in log, log
    assert " ERROR " not in log, log
    status = (await cli(env, tmp_path, "status", "--json")).json()
    assert status["feeds"][0]["name"] == "hangs"


async def test_run_stops_cleanly_on_sigint(tmp_path: Path) -> None:
    """Ctrl-C in a terminal (or `docker stop` with STOPSIGNAL SIGINT) is as clean as SIGTERM."""
    env = bot_env(tmp_path, database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    bot = BotProcess(env, tmp_path, "run", "--adapter", "console")
    await bot.start()
    try:
        await wait_for(lambda: "interp-bot running" in bot.stderr, limit=15, what="the bot to start",
                       alive=bot.running)
        assert bot.proc is not None
        bot.proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(bot.proc.wait(), 5) == 0, bot.stderr
    finally:
        await bot.kill()
    assert "bot.app: stopping" in bot.stderr
    assert "Traceback" not in bot.stderr, bot.stderr
    # Run as a service (stdin not a terminal), the console reads nothing: said, so a piped command is not a mystery.
    assert "the console adapter prints posts and reads no commands (`interp-bot console` answers piped" in bot.stderr
    # This bot was given no feeds file: allowed, but said at start, not left for someone to find out.
    assert (f"WARNING bot.app: feeds file {env['INTERP_BOT_FEEDS_FILE']} not found (set INTERP_BOT_FEEDS_FILE or use "
            "--feeds): nothing will be polled") in " ".join(bot.stderr.split())


async def test_run_refuses_to_start_on_an_invalid_catalogue(tmp_path: Path) -> None:
    env = bot_env(tmp_path, database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    broken = Path(env["INTERP_BOT_CATALOGUE_DIR"]) / "survey.yaml"
    broken.write_text("this: [is not, a catalogue\n", encoding="utf-8")
    result = await cli(env, tmp_path, "run", "--adapter", "console", limit=20)
    assert result.returncode != 0
    assert "survey.yaml" in result.stderr
    assert "Traceback" not in result.stderr, result.stderr


async def test_run_names_the_unreachable_database(tmp_path: Path) -> None:
    env = bot_env(tmp_path, database_url="postgresql://bot@127.0.0.1:1/interp")
    result = await cli(env, tmp_path, "run", "--adapter", "console", limit=20)
    assert result.returncode == 1
    assert "cannot reach the database at postgresql+psycopg://bot@127.0.0.1:1/interp" in result.stderr
    assert "Traceback" not in result.stderr, result.stderr
