"""The schema's migrations, one function per version: each brings a database from the version before it.

A step checks before it adds (a column, a table, an index), because a database made by `_migration_1` from
today's `schema.py` already has what the later steps add. `Database.migrate` runs them in order and records each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import String, inspect, select, update
from sqlalchemy import cast as sa_cast

from bot.store import schema

if TYPE_CHECKING:
    from bot.store.db import Database


def _migration_1(database: Database) -> None:
    # In a write transaction: on SQLite a deferred one would fail at once ("database is locked") when a
    # second process creates the tables at the same moment, instead of waiting its turn.
    with database.transaction() as conn:
        schema.metadata.create_all(conn, checkfirst=True)


def _migration_2_feed_health(database: Database) -> None:
    """Feed health columns (failing, degraded, quiet: issue 12) and the arXiv ids learned for list entries.

    A database created at version 1 lacks them; one created by this code's `_migration_1` (create_all from today's
    tables) has them already, so each column is added only when missing.
    """
    with database.transaction() as conn:
        present = {column["name"] for column in inspect(conn).get_columns("feeds")}
        for name in ("failing_since", "degraded", "degraded_since", "last_new_item_at", "new_item_gap_seconds",
                     "new_item_gaps_seen"):
            if name in present:
                continue
            column = schema.feeds.c[name]
            kind = column.type.compile(dialect=conn.dialect)
            default = " NOT NULL DEFAULT 0" if name == "new_item_gaps_seen" else ""
            conn.exec_driver_sql(f"ALTER TABLE feeds ADD COLUMN {name} {kind}{default}")
        schema.listed_arxiv_ids.create(conn, checkfirst=True)


def _migration_3_github_and_links(database: Database) -> None:
    """Publishing approvals to GitHub (publications, pull_requests) and link health (link_checks)."""
    with database.transaction() as conn:
        schema.metadata.create_all(conn, checkfirst=True, tables=[
            schema.publications, schema.pull_requests, schema.link_checks])


def _migration_4_curation_recovery(database: Database) -> None:
    """Issue 13: decisions remember an override and why finishing them failed; failing posts and adapter health
    get tables; candidate posts are keyed by the paper's canonical id instead of its row number (a reset database
    numbers papers afresh, and a new paper must never be taken for an old one's post)."""
    from bot.store.curation import candidate_key

    with database.transaction() as conn:
        schema.metadata.create_all(conn, tables=[schema.post_failures, schema.adapter_health], checkfirst=True)
        present = {column["name"] for column in inspect(conn).get_columns("decisions")}
        for name, ddl in (("forced", "BOOLEAN NOT NULL DEFAULT FALSE"), ("error", "TEXT"),
                          ("attempts", "INTEGER NOT NULL DEFAULT 0")):
            if name not in present:
                conn.exec_driver_sql(f"ALTER TABLE decisions ADD COLUMN {name} {ddl}")
        rows = conn.execute(select(schema.posts.c.id, schema.papers.c.canonical_id)
                            .join(schema.papers, schema.papers.c.id == schema.posts.c.paper_id)
                            .where(schema.posts.c.kind == "candidate")
                            .where(schema.posts.c.key == "candidate:" + sa_cast(schema.papers.c.id, String))).all()
        for post_id, canonical_id in rows:
            conn.execute(update(schema.posts).where(schema.posts.c.id == post_id)
                         .values(key=candidate_key(canonical_id)))


def _migration_5_relevance_lessons_and_budget(database: Database) -> None:
    """Issue 11: a decision's lesson can be forgotten (decisions.lesson_forgotten); the daily candidate budget
    counts papers by when they became candidates (papers.candidate_at: for the papers already past that point,
    when they were first seen, which is when the intake made them candidates) and marks the ones it held back."""
    with database.transaction() as conn:
        present = {column["name"] for column in inspect(conn).get_columns("decisions")}
        if "lesson_forgotten" not in present:
            conn.exec_driver_sql("ALTER TABLE decisions ADD COLUMN lesson_forgotten BOOLEAN NOT NULL DEFAULT FALSE")
        present = {column["name"] for column in inspect(conn).get_columns("papers")}
        kind = schema.papers.c.candidate_at.type.compile(dialect=conn.dialect)
        for name in ("candidate_at", "held_back_at"):
            if name not in present:
                conn.exec_driver_sql(f"ALTER TABLE papers ADD COLUMN {name} {kind}")
        conn.execute(update(schema.papers).where(schema.papers.c.candidate_at.is_(None))
                     .where(schema.papers.c.status.in_(["candidate", "approved", "rejected", "expired",
                                                        "rejected upstream"]))
                     .values(candidate_at=schema.papers.c.first_seen_at))
        if not any(index["name"] == "ix_papers_candidate_at" for index in inspect(conn).get_indexes("papers")):
            conn.exec_driver_sql("CREATE INDEX ix_papers_candidate_at ON papers (candidate_at)")


def _migration_6_job_runs(database: Database) -> None:
    """`status` shows the last GitHub round's outcome (job_runs): an invalid list upstream or a refused token was
    only in the logs."""
    with database.transaction() as conn:
        schema.metadata.create_all(conn, tables=[schema.job_runs], checkfirst=True)


def _migration_7_feed_retry_after(database: Database) -> None:
    """A server's Retry-After is kept as a time (feeds.retry_after_until): `interp-bot poll`, which polls every
    feed at once whatever its schedule, fetched a feed again that had asked to be left alone for an hour."""
    _add_column(database, "feeds", "retry_after_until")


def _migration_8_digest_coverage(database: Database) -> None:
    """A digest records up to when it covered (digests.covers_until), so a late digest's papers are not posted
    again the next day."""
    _add_column(database, "digests", "covers_until")


def _migration_9_vote_messages(database: Database) -> None:
    """A vote remembers the message whose reaction cast it (votes.message_id): a moderator clearing a candidate
    post's reactions withdraws the votes that post carried, and no Slack, console or shell vote. Votes cast before
    this are given their platform's candidate post when the paper has exactly one there (as it almost always does);
    a console or shell vote was typed, not a reaction, and stays without one (the console has posts too)."""
    _add_column(database, "votes", "message_id")
    votes, posts = schema.votes, schema.posts
    with database.transaction() as conn:
        unknown = conn.execute(select(votes.c.paper_id, votes.c.platform).where(votes.c.message_id.is_(None))
                               .where(votes.c.platform != "console").distinct()).all()
        for paper_id, platform in unknown:
            messages = conn.execute(select(posts.c.message_id).where(posts.c.paper_id == paper_id)
                                    .where(posts.c.platform == platform).where(posts.c.kind == "candidate")
                                    .limit(2)).scalars().all()
            if len(messages) == 1:
                conn.execute(update(votes).where(votes.c.paper_id == paper_id).where(votes.c.platform == platform)
                             .where(votes.c.message_id.is_(None)).values(message_id=messages[0]))


def _migration_10_feed_moved(database: Database) -> None:
    """Where a feed's permanent redirects lead (feeds.moved_to): the bot followed a 301 on every poll, and nobody
    learned that the feeds file names an old address."""
    _add_column(database, "feeds", "moved_to")


def _add_column(database: Database, table: str, name: str) -> None:
    """Add `name` to `table` as schema.py declares it, unless it is there (a database made by create_all)."""
    with database.transaction() as conn:
        if name not in {column["name"] for column in inspect(conn).get_columns(table)}:
            kind = schema.metadata.tables[table].c[name].type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


MIGRATIONS: dict[int, Callable[[Database], None]] = {
    1: _migration_1,
    2: _migration_2_feed_health,
    3: _migration_3_github_and_links,
    4: _migration_4_curation_recovery,
    5: _migration_5_relevance_lessons_and_budget,
    6: _migration_6_job_runs,
    7: _migration_7_feed_retry_after,
    8: _migration_8_digest_coverage,
    9: _migration_9_vote_messages,
    10: _migration_10_feed_moved,
}

SCHEMA_VERSION = max(MIGRATIONS)
