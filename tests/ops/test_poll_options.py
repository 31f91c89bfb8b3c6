"""`interp-bot poll` options as an operator uses them: a dry run before the bot ever ran, a feed named twice."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.feed_server import FeedServer
from tests.ops.support import CANDIDATE_FEEDS, bot_env, cli, write_feeds


async def test_a_dry_run_before_the_first_start_scores_the_feed_and_leaves_no_database(
        tmp_path: Path, feed_server: FeedServer) -> None:
    feeds = write_feeds(tmp_path / "feeds.yaml", feed_server, {"cs-cl": CANDIDATE_FEEDS["cs-cl"]})
    database = tmp_path / "data" / "bot.db"
    env = bot_env(tmp_path, database_url=f"sqlite:///{database}", feeds_file=feeds)

    result = await cli(env, tmp_path, "poll", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert f"no database at {database} yet; the dry run reads an empty one" in result.stderr
    assert "[dry run] cs-cl:" in result.stdout
    assert "candidate" in result.stdout  # the day's relevant papers are shown as they would be put forward
    assert not database.exists() and not database.parent.exists(), "a dry run makes no database"

    # The real poll afterwards finds every paper new: the dry run stored nothing anywhere.
    poll = await cli(env, tmp_path, "poll", "--once")
    assert poll.returncode == 0, poll.stderr
    assert database.exists()
    dry_first, real_first = result.stdout.splitlines()[0], poll.stdout.splitlines()[0]
    assert dry_first.removeprefix("[dry run] ") == real_first


async def test_a_feed_named_twice_is_polled_once(tmp_path: Path, feed_server: FeedServer) -> None:
    feeds = write_feeds(tmp_path / "feeds.yaml", feed_server, CANDIDATE_FEEDS)
    env = bot_env(tmp_path, database_url=f"sqlite:///{tmp_path}/bot.db", feeds_file=feeds)

    result = await cli(env, tmp_path, "poll", "--feed", "lesswrong", "--feed", "lesswrong")

    assert result.returncode == 0, result.stderr
    assert result.stdout.count("lesswrong:") == 1
    assert "1/1 feeds polled" in result.stdout
    assert len(feed_server.requests_to("/feeds/lesswrong-frontpage.xml")) == 1


async def test_poll_exits_1_when_any_feed_failed_so_cron_sees_it(tmp_path: Path, feed_server: FeedServer) -> None:
    feeds = write_feeds(tmp_path / "feeds.yaml", feed_server, {"lesswrong": CANDIDATE_FEEDS["lesswrong"],
                                                                "gone": ("rss", "no-such-feed.xml")})
    env = bot_env(tmp_path, database_url=f"sqlite:///{tmp_path}/bot.db", feeds_file=feeds)
    result = await cli(env, tmp_path, "poll")
    assert result.returncode == 1
    assert "1/2 feeds polled, 1 failed," in result.stdout
    assert "gone: FAILED — HTTP 404" in result.stdout


async def test_a_dry_run_reads_an_older_database_through_a_migrated_copy(tmp_path: Path,
                                                                         feed_server: FeedServer) -> None:
    """A new version tried with --dry-run before the bots are upgraded migrated their database under them."""
    from sqlalchemy import update

    from bot.store import schema
    from bot.store.db import SCHEMA_VERSION, Database, make_engine

    url = f"sqlite:///{tmp_path}/bot.db"
    database = Database.open(url)
    with database.transaction() as conn:  # as the previous release left it (its migration 7 only adds a column)
        conn.execute(update(schema.schema_version).values(version=SCHEMA_VERSION - 1))
    database.close()
    feeds = write_feeds(tmp_path / "feeds.yaml", feed_server, {"cs-cl": CANDIDATE_FEEDS["cs-cl"]})
    env = bot_env(tmp_path, database_url=url, feeds_file=feeds)

    result = await cli(env, tmp_path, "poll", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert (f"the database is schema {SCHEMA_VERSION - 1}; the dry run reads a copy migrated to {SCHEMA_VERSION} "
            "and leaves it as it is") in result.stderr
    assert "[dry run] cs-cl:" in result.stdout
    untouched = Database(make_engine(url, create=False))
    assert untouched.current_version() == SCHEMA_VERSION - 1
    untouched.close()


async def test_a_dry_run_against_a_file_that_is_no_database_says_so_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_text("hello\n", encoding="utf-8")
    env = bot_env(tmp_path, database_url=f"sqlite:///{tmp_path}/notes.db")
    result = await cli(env, tmp_path, "digest", "--dry-run")
    assert result.returncode == 1
    assert result.stderr.strip() == (f"interp-bot: the database at sqlite:///{tmp_path}/notes.db cannot be used: "
                                     "file is not a database")


async def test_a_dry_run_against_an_empty_server_creates_no_tables(tmp_path: Path, postgres_url: str) -> None:
    from sqlalchemy import create_engine, inspect

    from bot.store.db import normalise_url

    result = await cli(bot_env(tmp_path, database_url=postgres_url), tmp_path, "digest", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "is empty; the dry run reads an empty one instead" in result.stderr
    engine = create_engine(normalise_url(postgres_url))
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


async def test_poll_from_cron_expires_candidates_nobody_decided_on(tmp_path: Path, feed_server: FeedServer) -> None:
    """Without `run`, no hourly job closed candidates: a cron-driven bot (poll, decide, digest) kept them for ever."""
    from datetime import UTC, datetime, timedelta

    from bot.store.db import Database
    from tests.curation.test_pipeline import add_candidate

    url = f"sqlite:///{tmp_path}/bot.db"
    database = Database.open(url, clock=lambda: datetime.now(UTC) - timedelta(days=15))
    stale = add_candidate(database, 30)
    database.clock = lambda: datetime.now(UTC)
    fresh = add_candidate(database, 31)
    database.close()
    feeds = write_feeds(tmp_path / "feeds.yaml", feed_server, {"lesswrong": CANDIDATE_FEEDS["lesswrong"]})
    env = bot_env(tmp_path, database_url=url, feeds_file=feeds)

    result = await cli(env, tmp_path, "poll")

    assert result.returncode == 0, result.stderr
    assert "1 candidate(s) nobody decided on within 14 days expired" in result.stdout
    listed = await cli(env, tmp_path, "candidates", "--json")
    ids = {paper["id"] for paper in listed.json()}
    assert fresh in ids and stale not in ids


async def test_poll_exits_0_while_its_feeds_wait_out_a_servers_retry_after(tmp_path: Path,
                                                                          feed_server: FeedServer) -> None:
    # A feed the server asked to leave alone for an hour is working as the server wants: a cron job must not hear
    # of a failure every run until the hour is up.
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - name: throttled\n    kind: rss\n"
                     f"    url: {feed_server.url('/status/429?retry_after=3600')}\n    interval_minutes: 60\n",
                     encoding="utf-8")
    env = bot_env(tmp_path, database_url=f"sqlite:///{tmp_path}/bot.db", feeds_file=feeds)

    first = await cli(env, tmp_path, "poll")
    again = await cli(env, tmp_path, "poll")

    assert "throttled: FAILED" in first.stdout and first.returncode == 1, first.stdout
    assert "throttled: not polled — the server asked us to wait until" in again.stdout, again.stdout
    assert "0/1 feeds polled, 1 waiting as the server asked" in again.stdout
    assert again.returncode == 0, again.stdout
    assert len(feed_server.requests_to("/status/429")) == 1
