"""Scheduler jobs: per-feed intervals, no overlap, coalesced misfires, and a lease across processes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.app import App
from bot.scheduler import MISFIRE_GRACE_SECONDS, build_scheduler
from bot.settings import load_settings
from tests.fakes.feed_server import FeedServer

FEEDS = Path(__file__).resolve().parent / "data" / "feeds"


async def test_jobs_are_configured_and_leased(catalogue_dir: Path, tmp_path: Path) -> None:
    async with FeedServer(FEEDS) as server:
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text(
            "feeds:\n"
            f"  - {{name: lesswrong, kind: forum_rss, url: '{server.url('/feeds/lesswrong-frontpage.xml')}',"
            " interval_minutes: 30}\n"
            f"  - {{name: paused, kind: rss, url: '{server.url('/feeds/reader-full.rss')}', enabled: false}}\n"
        )
        settings = load_settings(catalogue_dir=catalogue_dir, database_url=f"sqlite:///{tmp_path}/s.db",
                                 feeds_file=feeds_file, allow_private_addresses=True, digest_time="07:30",
                                 timezone="Europe/Berlin")
        app = App(settings)
        app.add_adapter("console")
        await app.open_intake()
        scheduler = build_scheduler(app)
        scheduler.start(paused=True)  # jobs take the scheduler's defaults when added to a started scheduler
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"poll:lesswrong", "publish:console", "heartbeat", "recover", "expire", "digest"}
        poll = jobs["poll:lesswrong"]
        assert poll.trigger.interval == timedelta(minutes=30)
        assert poll.coalesce is True
        assert poll.max_instances == 1
        assert poll.misfire_grace_time == MISFIRE_GRACE_SECONDS
        assert str(jobs["digest"].trigger.timezone) == "Europe/Berlin"
        assert "hour='7'" in str(jobs["digest"].trigger)
        assert "minute='30'" in str(jobs["digest"].trigger)

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
