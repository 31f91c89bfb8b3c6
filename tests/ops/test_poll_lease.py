"""`interp-bot poll` and the bot's scheduled polls share each feed's lease: never two polls of one feed at once.

Two polls of a feed at once each saved the feed state they began with, so the last to save overwrote the other's
ETag, Last-Modified, last poll and Retry-After. Here a real `interp-bot poll` process and an App in the test's own
process (the bot, its scheduled job as the scheduler runs it) share one database. The feed server's `/slow` route
answers only when released, so whichever poll reaches it first holds the lease for as long as the test needs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.app import App
from bot.scheduler import build_scheduler
from bot.settings import load_settings
from tests.fakes.feed_server import FeedServer
from tests.ops.support import Result, bot_env, cli, wait_for


def feeds_file(path: Path, server: FeedServer) -> Path:
    path.write_text("feeds:\n"
                    f"  - {{name: slow, kind: rss, url: '{server.url('/slow')}', interval_minutes: 60}}\n"
                    "  - {name: lesswrong, kind: forum_rss, interval_minutes: 60,"
                    f" url: '{server.url('/feeds/lesswrong-frontpage.xml')}'}}\n", encoding="utf-8")
    return path


@asynccontextmanager
async def bot(tmp_path: Path, database_url: str, feeds: Path) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """The bot: an App with its scheduler built but paused; yields its scheduled poll of `slow` as APScheduler
    would call it (lease, tracking and all)."""
    settings = load_settings(catalogue_dir=tmp_path / "catalogue", database_url=database_url, feeds_file=feeds,
                             allow_private_addresses=True)
    app = App(settings)
    await app.open_intake()
    scheduler = build_scheduler(app)
    scheduler.start(paused=True)
    try:
        yield scheduler.get_job("poll:slow").func
    finally:
        scheduler.shutdown(wait=False)
        await app.stop()


async def test_a_shell_poll_skips_the_feed_the_bot_is_polling_and_says_so(
        tmp_path: Path, feed_server: FeedServer, database_url: str) -> None:
    feeds = feeds_file(tmp_path / "feeds.yaml", feed_server)
    env = bot_env(tmp_path, database_url=database_url, feeds_file=feeds)
    slow = feed_server.requests_to
    async with bot(tmp_path, database_url, feeds) as scheduled_poll:
        polling = asyncio.create_task(scheduled_poll())
        try:
            await wait_for(lambda: slow("/slow"), limit=10, what="the bot's poll to reach the feed")

            # Only the feed the bot is polling: nothing is polled, and the exit code says so.
            shell = asyncio.create_task(cli(env, tmp_path, "poll", "--once", "--feed", "slow"))
            # Without the lease the shell's poll would fetch /slow too, and hang there: stop at whichever comes first.
            await wait_for(lambda: shell.done() or len(slow("/slow")) > 1, limit=30, what="the shell's poll")
            assert len(slow("/slow")) == 1, "the shell fetched the feed the bot was polling"
            alone: Result = await shell
            assert alone.returncode == 1, alone.stderr
            assert "slow: not polled — another interp-bot process (" in alone.stdout
            assert "is polling it right now; `interp-bot status` shows how that poll went" in alone.stdout
            assert "0/1 feeds polled, 1 being polled by another process" in alone.stdout

            # With another feed beside it: that one is polled, and the run counts as done.
            both = await cli(env, tmp_path, "poll", "--once")
            assert both.returncode == 0, both.stderr
            assert "1/2 feeds polled, 1 being polled by another process" in both.stdout
            assert len(slow("/feeds/lesswrong-frontpage.xml")) == 1
            assert len(slow("/slow")) == 1
        finally:
            feed_server.release_slow()
            await polling


async def test_the_bots_scheduled_poll_skips_the_feed_a_shell_is_polling(
        tmp_path: Path, feed_server: FeedServer, database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    feeds = feeds_file(tmp_path / "feeds.yaml", feed_server)
    env = bot_env(tmp_path, database_url=database_url, feeds_file=feeds)
    slow = feed_server.requests_to
    caplog.set_level(logging.DEBUG, logger="bot.scheduler")
    shell = asyncio.create_task(cli(env, tmp_path, "poll", "--once", "--feed", "slow"))
    try:
        await wait_for(lambda: slow("/slow") or shell.done(), limit=30, what="the shell's poll to reach the feed")
        async with bot(tmp_path, database_url, feeds) as scheduled_poll:
            polling = asyncio.create_task(scheduled_poll())
            # Without the lease the bot would fetch /slow a second time and wait there: whichever comes first.
            await wait_for(lambda: polling.done() or len(slow("/slow")) > 1, limit=10, what="the bot's poll")
            assert len(slow("/slow")) == 1, "the bot fetched the feed the shell was polling"
            await polling
            assert "job poll:slow is running in another process; skipped here" in caplog.text
    finally:
        feed_server.release_slow()
        result = await shell
    assert "slow: FAILED" in result.stdout, result.stdout  # the shell's own poll went on: /slow is no feed
