"""Several processes, one truth: two real `interp-bot run` processes on one PostgreSQL do everything once.

The database alone cannot show a double post (its unique keys would hide the second row), so the test also
counts at the edges: requests the feed server received and posts each process printed to its console.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.store.db import normalise_url
from tests.fakes.feed_server import FeedServer
from tests.ops.support import CANDIDATE_FEEDS, BotProcess, bot_env, cli, wait_for, write_feeds

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

POSTED = "── maintainers ──"  # the console adapter's header for a candidate post


def query(url: str, sql: str) -> list[Any]:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)).all())
    finally:
        engine.dispose()


def entries_named(catalogue: Path, entry_id: str) -> int:
    return sum(f.read_text(encoding="utf-8").count(f"id: {entry_id}\n") for f in catalogue.glob("*.yaml"))


def jobs_done(bot: BotProcess) -> bool:
    """Has this process's scheduler run (or skipped, as another process held the lease) every first poll?"""
    log = bot.stderr
    return all(re.search(rf'Job "poll {re.escape(name)} \(trigger.*" executed successfully', log)
               for name in CANDIDATE_FEEDS)


async def test_two_processes_poll_post_decide_and_digest_once(tmp_path: Path, feed_server: FeedServer,
                                                              postgres_url: str) -> None:
    feeds = write_feeds(tmp_path / "feeds.yaml", feed_server, CANDIDATE_FEEDS)
    # The digest at 18:00 in a zone where it is about 06:00 now: far from now, so the scheduled digest neither fires
    # during the test nor runs at start as one whose time passed today with none posted. The test triggers it.
    ahead = (6 - datetime.now(UTC).hour) % 24  # hours ahead of UTC
    ahead = ahead - 24 if ahead > 14 else ahead  # the zones run from 12 hours behind to 14 ahead
    zone = f"Etc/GMT{-ahead:+d}"  # POSIX's signs: Etc/GMT-3 is three hours ahead
    # One catalogue for both, as the compose services share one mount.
    env = bot_env(tmp_path, database_url=postgres_url, feeds_file=feeds, INTERP_BOT_DIGEST_TIME="18:00",
                  INTERP_BOT_TIMEZONE=zone,
                  INTERP_BOT_MAINTAINERS="[{name: ada}, {name: grace}]",
                  INTERP_BOT_LOG_LEVEL="DEBUG")  # DEBUG: APScheduler reports each job it ran
    # What one process alone puts forward (a SQLite reference): two processes must agree with it.
    reference = await cli({**env, "INTERP_BOT_DATABASE_URL": f"sqlite:///{tmp_path / 'ref.db'}"}, tmp_path,
                          "poll", "--once")
    assert reference.returncode == 0, reference.stderr
    expected = query(f"sqlite:///{tmp_path / 'ref.db'}", "SELECT canonical_id FROM papers WHERE status = 'candidate'")
    assert expected, "the fixture feeds should put forward candidates"
    feed_server.requests.clear()

    # Started together on an empty database: they also race to migrate it.
    bots = [BotProcess(env, tmp_path, "run", "--adapter", "console", name=name) for name in ("one", "two")]
    try:
        await asyncio.gather(*(bot.start() for bot in bots))
        for bot in bots:
            await wait_for(lambda bot=bot: jobs_done(bot), limit=25, what=f"{bot.name}'s first polls",
                           alive=bot.running)
        await wait_for(lambda: query(postgres_url, "SELECT count(*) FROM posts WHERE kind = 'candidate'")[0][0]
                       >= len(expected), limit=10, what="the candidates to be posted")

        # Every feed was fetched once, by whichever process held its lease.
        for _, file_name in CANDIDATE_FEEDS.values():
            assert len(feed_server.requests_to(f"/feeds/{file_name}")) == 1, file_name
        # Each candidate recorded once, the same ones a single process finds.
        candidates = query(postgres_url, "SELECT id, canonical_id FROM papers WHERE status = 'candidate'")
        assert sorted(c.canonical_id for c in candidates) == sorted(c.canonical_id for c in expected)
        # Posted once: one row per paper put forward, and one console post in total across both processes. (A
        # crosspost read before the listing that says it is on the list may be put forward and posted first, then
        # marked listed: which feed is read first is the race.)
        put_forward = {p.id for p in query(postgres_url, "SELECT id FROM papers WHERE candidate_at IS NOT NULL")}
        posted = [p.paper_id for p in query(postgres_url, "SELECT paper_id FROM posts WHERE kind = 'candidate'")]
        assert len(posted) == len(set(posted))
        assert {c.id for c in candidates} <= set(posted) <= put_forward
        assert sum(bot.stdout.count(POSTED) for bot in bots) == len(posted)

        # Two maintainers approve from two shells at once (two approvals are needed): neither vote is lost to the
        # other's transaction, so exactly one of them takes the decision; one catalogue entry.
        paper_id = candidates[0].id
        decisions = await asyncio.gather(*(cli(env, tmp_path, "decide", str(paper_id), "approve", "--as", who)
                                           for who in ("ada", "grace")))
        assert [d.returncode for d in decisions] == [0, 0], [d.stderr for d in decisions]
        outputs = [d.stdout for d in decisions]
        assert sum(f"candidate #{paper_id} approved:" in out for out in outputs) == 1, outputs
        assert sum("vote counted: 1 of 2 approvals needed" in out for out in outputs) == 1, outputs
        entry_id = query(postgres_url, f"SELECT entry_id FROM decisions WHERE paper_id = {paper_id}")[0][0]
        assert entries_named(Path(env["INTERP_BOT_CATALOGUE_DIR"]), entry_id) == 1

        # The digest, triggered twice at once: posted once, the other run told it was done.
        digests = await asyncio.gather(*(cli(env, tmp_path, "digest") for _ in range(2)))
        assert [d.returncode for d in digests] == [0, 0], [d.stderr for d in digests]
        # The other run finds the claim: posted by then, or (on a busy machine) still being posted.
        told = ("was already posted", "is being posted by another run right now")
        assert sum("today's digest" in d.stderr and any(t in d.stderr for t in told) for d in digests) == 1
        assert query(postgres_url, "SELECT count(*) FROM digests WHERE status = 'posted'")[0][0] == 1
        assert query(postgres_url, "SELECT count(*) FROM posts WHERE kind = 'digest'")[0][0] == 1
        status = (await cli(env, tmp_path, "status", "--json")).json()
        assert status["last_digest"]["channel"] == "console:terminal"

        codes = await asyncio.gather(*(bot.terminate(limit=5) for bot in bots))
        assert codes == [0, 0], [bot.stderr[-2000:] for bot in bots]
    finally:
        for bot in bots:
            await bot.kill()
    for bot in bots:
        assert "Traceback" not in bot.stderr, bot.stderr[-3000:]
