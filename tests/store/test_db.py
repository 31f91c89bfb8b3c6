"""The database itself: schema versions, leases, and errors that name the problem, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.errors import StoreError
from bot.store import schema
from bot.store.db import SCHEMA_VERSION, Database, safe_url
from tests.fakes.clock import Clock


def test_a_new_database_is_migrated_to_the_current_schema(database_url: str) -> None:
    database = Database.open(database_url)
    try:
        assert database.current_version() == SCHEMA_VERSION
        assert database.migrate() == SCHEMA_VERSION  # a second run changes nothing
    finally:
        database.close()


def test_an_unmigrated_database_is_refused_when_migration_is_off(database_url: str) -> None:
    with pytest.raises(StoreError, match=rf"schema is version 0, this interp-bot needs {SCHEMA_VERSION}"):
        Database.open(database_url, migrate=False)


def test_a_newer_schema_is_refused_with_both_versions(database_url: str) -> None:
    database = Database.open(database_url)
    with database.transaction() as conn:
        conn.execute(update(schema.schema_version).values(version=SCHEMA_VERSION + 1))
    database.close()
    newer = (rf"schema is version {SCHEMA_VERSION + 1}, newer than this interp-bot knows \({SCHEMA_VERSION}\): a "
             "newer interp-bot has used it; run that version")
    with pytest.raises(StoreError, match=newer):
        Database.open(database_url)
    # `status` opens it without migrating: the same advice, not "start the bot once to migrate it"
    with pytest.raises(StoreError, match=newer):
        Database.open(database_url, migrate=False, create=False)


def test_a_lease_has_one_holder_until_it_expires_or_is_released(database_url: str) -> None:
    clock = Clock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    database = Database.open(database_url, clock=clock)
    try:
        ttl = timedelta(minutes=5)
        assert database.acquire_lease("poll:arxiv", "host-a:1", ttl)
        assert not database.acquire_lease("poll:arxiv", "host-b:2", ttl)  # held
        assert database.acquire_lease("poll:arxiv", "host-a:1", ttl)  # the holder renews
        assert database.acquire_lease("publish:slack", "host-b:2", ttl)  # another name is free
        clock.now += ttl + timedelta(seconds=1)
        assert database.acquire_lease("poll:arxiv", "host-b:2", ttl)  # expired: taken over
        database.release_lease("poll:arxiv", "host-a:1")  # not the holder any more: no effect
        assert not database.acquire_lease("poll:arxiv", "host-a:1", ttl)
        database.release_lease("poll:arxiv", "host-b:2")
        assert database.acquire_lease("poll:arxiv", "host-a:1", ttl)
    finally:
        database.close()


def test_times_come_back_aware_in_utc(database_url: str) -> None:
    clock = Clock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    database = Database.open(database_url, clock=clock)
    try:
        assert database.now() == clock.now
        assert database.now().tzinfo is not None
    finally:
        database.close()


def test_an_unreachable_database_is_named_without_its_password() -> None:
    url = "postgresql://bot:s3cret-pw@127.0.0.1:1/interp"
    with pytest.raises(StoreError) as caught:
        Database.open(url)
    assert "cannot reach the database at postgresql+psycopg://bot:***@127.0.0.1:1/interp" in str(caught.value)
    assert "s3cret-pw" not in str(caught.value)
    assert safe_url(url) == "postgresql+psycopg://bot:***@127.0.0.1:1/interp"


def test_a_version_1_database_gains_the_publishing_and_link_tables(database_url: str) -> None:
    """An existing database (schema 1) migrates in place: the new tables appear, the old rows stay."""
    from sqlalchemy import insert, inspect, select

    from bot.store.db import make_engine

    new_tables = {"publications", "pull_requests", "link_checks", "job_runs"}
    engine = make_engine(database_url)
    with engine.begin() as conn:
        schema.metadata.create_all(conn, tables=[t for t in schema.metadata.sorted_tables if t.name not in new_tables])
        conn.execute(insert(schema.schema_version).values(id=1, version=1, migrated_at=datetime.now(UTC)))
        conn.execute(insert(schema.leases).values(name="kept", holder="h", expires_at=datetime.now(UTC)))
    engine.dispose()
    database = Database.open(database_url)
    try:
        assert database.current_version() == SCHEMA_VERSION == 10
        assert new_tables <= set(inspect(database.engine).get_table_names())
        with database.engine.connect() as conn:
            assert conn.execute(select(schema.leases.c.name)).scalars().all() == ["kept"]
    finally:
        database.close()


def test_a_schema_1_database_gains_the_feed_health_columns(database_url: str) -> None:
    """A database made by the previous release: the feeds table as it was, version 1, a feed already polled."""
    from sqlalchemy import Column, MetaData, Table, create_engine, insert, inspect

    from bot.store.db import normalise_url
    from bot.store.feeds import FeedState
    from bot.store.papers import PaperStore

    old_columns = ("name", "etag", "last_modified", "initialised", "last_poll_at", "last_success_at", "last_error",
                   "last_error_at", "consecutive_failures", "total_failures", "next_poll_at", "last_batch",
                   "last_batch_at", "items_seen")
    old_feeds = Table("feeds", MetaData(), *(Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
                                             for c in schema.feeds.columns if c.name in old_columns))
    engine = create_engine(normalise_url(database_url))
    with engine.begin() as conn:
        schema.metadata.create_all(conn, tables=[t for t in schema.metadata.sorted_tables
                                                 if t.name not in ("feeds", "listed_arxiv_ids")])
        old_feeds.create(conn)
        conn.execute(insert(schema.schema_version).values(id=1, version=1, migrated_at=datetime.now(UTC)))
        conn.execute(insert(old_feeds).values(name="lesswrong", initialised=True, consecutive_failures=0,
                                              total_failures=2, items_seen=7))
    engine.dispose()

    database = Database.open(database_url)
    try:
        assert database.current_version() == SCHEMA_VERSION == 10
        columns = {c["name"] for c in inspect(database.engine).get_columns("feeds")}
        assert {"failing_since", "degraded", "degraded_since", "last_new_item_at", "new_item_gap_seconds",
                "new_item_gaps_seen", "retry_after_until", "moved_to"} <= columns
        store = PaperStore(database)
        state = store.feed_state("lesswrong")
        assert (state.items_seen, state.total_failures, state.new_item_gaps_seen, state.degraded) == (7, 2, 0, None)
        store.save_feed_state(FeedState(name="lesswrong", degraded="malformed feed", new_item_gaps_seen=1))
        assert store.feed_state("lesswrong").degraded == "malformed feed"
        store.learn_listed_arxiv_ids([("2309.08600", "sparse-autoencoders")], now=datetime.now(UTC))
        assert store.listed_arxiv_ids() == {"2309.08600": "sparse-autoencoders"}
    finally:
        database.close()


def test_a_schema_4_database_gains_lessons_and_the_candidate_budget(database_url: str) -> None:
    """A database of the previous release: decisions without `lesson_forgotten`, papers without `candidate_at` and
    `held_back_at`. After the migration every old decision is a lesson, and today's earlier candidates count
    against today's budget (they became candidates when first seen)."""
    from sqlalchemy import Column, MetaData, Table, create_engine, insert

    from bot.store.curation import CurationStore
    from bot.store.db import normalise_url
    from bot.store.papers import PaperStore

    old = MetaData()
    new_columns = {"lesson_forgotten", "candidate_at", "held_back_at"}

    def without_new(table: Any) -> Any:
        return Table(table.name, old, *(Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
                                        for c in table.columns if c.name not in new_columns))

    old_papers, old_decisions = without_new(schema.papers), without_new(schema.decisions)
    seen_at = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    engine = create_engine(normalise_url(database_url))
    with engine.begin() as conn:
        old_papers.create(conn)  # first: the other tables refer to it
        schema.metadata.create_all(conn, tables=[t for t in schema.metadata.sorted_tables
                                                 if t.name not in ("papers", "decisions")])
        old_decisions.create(conn)
        conn.execute(insert(schema.schema_version).values(id=1, version=4, migrated_at=datetime.now(UTC)))
        for n, status in enumerate(("approved", "seen", "candidate"), 1):
            conn.execute(insert(old_papers).values(id=n, canonical_id=f"arxiv:2411.0000{n}", title=f"Paper {n}",
                                                   authors=[], abstract="", abs_url="", pdf_url="", links=[],
                                                   categories=[], feeds=[], first_seen_at=seen_at, score=0.9,
                                                   topics=[], status=status, status_at=seen_at))
        conn.execute(insert(old_decisions).values(paper_id=1, decision="approved", topic="probing", deciders=["a"],
                                                  decided_at=seen_at, written=True, announced=True, forced=False,
                                                  attempts=0))
    engine.dispose()

    database = Database.open(database_url)
    try:
        assert database.current_version() == SCHEMA_VERSION == 10
        assert [(x.paper_id, x.decision, x.forgotten) for x in CurationStore(database).lessons()] == \
            [(1, "approved", False)]
        assert PaperStore(database).candidates_since(seen_at) == 2  # the approved one and the pending one
        assert PaperStore(database).held_back() == []
    finally:
        database.close()


def test_a_schema_7_database_gains_the_digest_coverage_column(database_url: str) -> None:
    """Schema 7 had the feeds' Retry-After; the digests' coverage came after it, in a migration of its own, so a
    database already at 7 gains it too (`digest` and `status` would fail on the missing column)."""
    from sqlalchemy import Column, MetaData, Table, create_engine, inspect

    from bot.store.db import normalise_url

    old_digests = Table("digests", MetaData(), *(Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
                                                 for c in schema.digests.columns if c.name != "covers_until"))
    engine = create_engine(normalise_url(database_url))
    with engine.begin() as conn:
        schema.metadata.create_all(conn, tables=[t for t in schema.metadata.sorted_tables if t.name != "digests"])
        old_digests.create(conn)
        conn.execute(schema.schema_version.insert().values(id=1, version=7, migrated_at=datetime.now(UTC)))
    engine.dispose()
    database = Database.open(database_url)
    try:
        assert database.current_version() == SCHEMA_VERSION == 10
        assert "covers_until" in {c["name"] for c in inspect(database.engine).get_columns("digests")}
    finally:
        database.close()


def test_a_schema_8_database_gives_its_reaction_votes_their_post(database_url: str) -> None:
    """Schema 9 records the message a reaction vote was cast on, so clearing a post's reactions withdraws its votes.
    A vote cast before is given its platform's candidate post when the paper has exactly one there; a console vote,
    and a vote whose paper has two posts on its platform (which one carried it is unknown), stay without one."""
    from sqlalchemy import Column, MetaData, Table, create_engine, insert, select

    from bot.store.db import normalise_url

    old_votes = Table("votes", MetaData(), *(Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
                                             for c in schema.votes.columns if c.name != "message_id"))
    now = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    engine = create_engine(normalise_url(database_url))
    with engine.begin() as conn:
        schema.metadata.create_all(conn, tables=[t for t in schema.metadata.sorted_tables if t.name != "votes"])
        old_votes.create(conn)
        conn.execute(schema.schema_version.insert().values(id=1, version=8, migrated_at=now))
        conn.execute(insert(schema.papers).values(id=1, canonical_id="arxiv:2411.00001", title="Paper", authors=[],
                                                  abstract="", abs_url="", pdf_url="", links=[], categories=[],
                                                  feeds=[], first_seen_at=now, score=0.9, topics=[],
                                                  status="candidate", status_at=now))
        for platform, channel, message in (("discord", "c1", "d1"), ("slack", "s1", "t1"), ("slack", "s2", "t2"),
                                           ("console", "console", "candidate:arxiv:2411.00001")):
            conn.execute(insert(schema.posts).values(key="candidate:arxiv:2411.00001", kind="candidate", paper_id=1,
                                                     platform=platform, channel_id=channel, message_id=message,
                                                     created_at=now, edited=False))
        for person, platform in (("alice", "discord"), ("alice", "slack"), ("bob", "console")):
            conn.execute(insert(old_votes).values(paper_id=1, person=person, emoji="white_check_mark",
                                                  platform=platform, user_id=person, created_at=now))
    engine.dispose()
    database = Database.open(database_url)
    try:
        assert database.current_version() == SCHEMA_VERSION == 10
        with database.engine.connect() as conn:
            rows = conn.execute(select(schema.votes.c.platform, schema.votes.c.message_id)
                                .order_by(schema.votes.c.platform)).all()
        assert [tuple(row) for row in rows] == [("console", None), ("discord", "d1"), ("slack", None)]
    finally:
        database.close()
