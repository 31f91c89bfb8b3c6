"""The database tables (SQLAlchemy Core). Only bot.store knows SQL.

Every curation transition is guarded by a key or a conditional UPDATE here, so replaying an event,
a restart or a second process changes nothing the second time.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

schema_version = Table(
    "schema_version", metadata,
    Column("id", Integer, primary_key=True),  # always 1: a single row
    Column("version", Integer, nullable=False),
    Column("migrated_at", DateTime(timezone=True), nullable=False),
)

feeds = Table(
    "feeds", metadata,
    Column("name", String(100), primary_key=True),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("initialised", Boolean, nullable=False, default=False),
    Column("last_poll_at", DateTime(timezone=True)),
    Column("last_success_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("last_error_at", DateTime(timezone=True)),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("total_failures", Integer, nullable=False, default=0),
    Column("next_poll_at", DateTime(timezone=True)),
    Column("last_batch", String(64)),  # digest of the last batch's item ids: a stale feed serves it again
    Column("last_batch_at", DateTime(timezone=True)),
    Column("items_seen", Integer, nullable=False, default=0),
    # Health beyond "did the last poll fail" (schema 2): when the current run of failures began; a poll that
    # parsed with errors (degraded) and since when; when the feed last brought an item it had not brought
    # before, and its usual gap between such items (an exponential average), to tell an unusually quiet feed.
    Column("failing_since", DateTime(timezone=True)),
    Column("degraded", Text),
    Column("degraded_since", DateTime(timezone=True)),
    Column("last_new_item_at", DateTime(timezone=True)),
    Column("new_item_gap_seconds", Float),
    Column("new_item_gaps_seen", Integer, nullable=False, default=0),
    # Until when the server asked us to wait (Retry-After, schema 7): a poll forced from the command line waits too.
    Column("retry_after_until", DateTime(timezone=True)),
    # Where the feed's permanent (301/308) redirects lead (schema 10), credentials hidden: `status` tells the
    # maintainers to update the feeds file, which the bot never rewrites. None while the feed does not redirect.
    Column("moved_to", Text),
)

# arXiv ids learned for list entries that carry no arXiv link (schema 2): an arXiv paper whose title is certainly
# a listed entry's gives that entry its id, so a forum linkpost citing the id, under another title, is recognised.
listed_arxiv_ids = Table(
    "listed_arxiv_ids", metadata,
    Column("arxiv_id", String(40), primary_key=True),
    Column("entry_id", String(200), nullable=False),
    Column("learned_at", DateTime(timezone=True), nullable=False),
)

papers = Table(
    "papers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("canonical_id", String(300), nullable=False, unique=True),
    Column("arxiv_id", String(40), index=True),
    Column("title", Text, nullable=False),
    Column("authors", JSON, nullable=False, default=list),
    Column("abstract", Text, nullable=False, default=""),
    Column("abs_url", Text, nullable=False, default=""),
    Column("pdf_url", Text, nullable=False, default=""),
    Column("links", JSON, nullable=False, default=list),  # [[label, url], ...]
    Column("categories", JSON, nullable=False, default=list),
    Column("feeds", JSON, nullable=False, default=list),
    Column("published", DateTime(timezone=True)),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("score", Float, nullable=False, default=0.0),
    Column("topics", JSON, nullable=False, default=list),  # [{"slug","title","path","score"}] best first
    # seen | candidate | approved | rejected | expired | listed (already on the list) | rejected upstream
    Column("status", String(20), nullable=False, index=True),
    Column("status_at", DateTime(timezone=True), nullable=False),
    Column("listed_entry", String(200)),
    # The daily candidate budget (schema 5): when the paper became a candidate (a day's count), or when the
    # budget held it back (it stays `seen`, with its score; `candidates --all` shows it).
    Column("candidate_at", DateTime(timezone=True), index=True),
    Column("held_back_at", DateTime(timezone=True)),
)

paper_keys = Table(
    "paper_keys", metadata,
    Column("key", String(400), primary_key=True),
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), nullable=False, index=True),
)

feed_items = Table(
    "feed_items", metadata,
    Column("feed", String(100), primary_key=True),
    Column("item_id", String(400), primary_key=True),
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)

posts = Table(
    "posts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE")),
    Column("platform", String(20), nullable=False),
    Column("channel_id", String(100), nullable=False),
    Column("message_id", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("edited", Boolean, nullable=False, default=False),  # shows the decision already
    UniqueConstraint("platform", "channel_id", "key", name="uq_post_key"),
    Index("ix_posts_message", "platform", "channel_id", "message_id"),
)

votes = Table(
    "votes", metadata,
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("person", String(200), primary_key=True),  # one person across platforms
    Column("emoji", String(100), primary_key=True),
    # Per platform, so withdrawing a Discord reaction leaves the same person's Slack one standing;
    # the tally counts people, not rows.
    Column("platform", String(20), primary_key=True),
    Column("user_id", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # The message whose reaction cast it (null for a vote from the console or a shell): clearing that message's
    # reactions withdraws the votes it carried, and no other (schema 9).
    Column("message_id", String(100)),
)

events = Table(
    "events", metadata,
    Column("key", String(300), primary_key=True),  # platform + event id: a redelivery is recognised
    Column("seen_at", DateTime(timezone=True), nullable=False, index=True),
)

decisions = Table(
    "decisions", metadata,
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    # approved | rejected | expired | listed (a candidate found on the list already: nothing left to decide)
    Column("decision", String(20), nullable=False),
    Column("topic", String(200)),
    Column("deciders", JSON, nullable=False, default=list),
    Column("decided_at", DateTime(timezone=True), nullable=False, index=True),
    Column("entry_id", String(200)),
    Column("written", Boolean, nullable=False, default=False),  # entry is in catalogue/
    Column("announced", Boolean, nullable=False, default=False),  # posts edited to show it
    # One maintainer's override (`decide --force`, a chat `approve`), not the vote count (schema v2).
    Column("forced", Boolean, nullable=False, default=False),
    # Why finishing it (writing the entry) last failed, and how often it has: shown by `status` (schema v2).
    Column("error", Text),
    Column("attempts", Integer, nullable=False, default=0),
    # A maintainer told the relevance model to forget what it learned from this decision (`interp-bot lessons
    # --forget`), without changing the decision itself (schema 5).
    Column("lesson_forgotten", Boolean, nullable=False, default=False),
)

# A post that failed (Slack invalid_blocks, a missing permission): retried with back-off, shown by `status`, and
# skipped meanwhile so it never holds up the posts after it (schema v2).
post_failures = Table(
    "post_failures", metadata,
    Column("platform", String(20), primary_key=True),
    Column("channel_id", String(100), primary_key=True),
    Column("key", String(100), primary_key=True),
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE")),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=False),
    Column("failed_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
)

# Each running process's chat connections, written by its heartbeat: `status` and the container health check read
# them (schema v2).
adapter_health = Table(
    "adapter_health", metadata,
    Column("platform", String(20), primary_key=True),
    Column("holder", String(100), primary_key=True),  # host:pid of the process running it
    Column("state", String(20), nullable=False),  # up | connecting | down
    Column("since", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

digests = Table(
    "digests", metadata,
    Column("channel", String(200), primary_key=True),  # platform:channel id
    Column("day", String(10), primary_key=True),  # local date in the configured time zone
    Column("status", String(20), nullable=False),  # claimed | posted | empty | failed (the platform refused it)
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("holder", String(100), nullable=False),
    Column("posted_at", DateTime(timezone=True)),
    # What the digest covered: up to the moment it was composed (schema 8). The next day's starts there when that
    # is nearer than a day ago (a late run of a day that was empty at its time).
    Column("covers_until", DateTime(timezone=True)),
)

leases = Table(
    "leases", metadata,
    Column("name", String(200), primary_key=True),
    Column("holder", String(100), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# The last run of each scheduled job whose outcome `status` shows (the GitHub round): one row per job.
job_runs = Table(
    "job_runs", metadata,
    Column("name", String(50), primary_key=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("problem", Text),  # None: the run did all it had to
)

# --------------------------------------------------------------------------- publishing to GitHub (bot.github)

publications = Table(
    "publications", metadata,
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("entry_id", String(200), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("entry", JSON, nullable=False),  # the entry as approved: re-applied to a fresh branch
    Column("approvers", JSON, nullable=False, default=list),  # [[name, platform], ...]
    Column("branch", String(200), nullable=False, index=True),  # the pull request's branch (push: the default)
    # pending (not on GitHub yet) | published (on the branch) | merged | closed (PR closed unmerged)
    # | listed (the list upstream already holds it) | failed (cannot be added upstream: see note)
    Column("state", String(20), nullable=False, index=True),
    Column("note", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("state_at", DateTime(timezone=True), nullable=False),
)

pull_requests = Table(
    "pull_requests", metadata,
    Column("branch", String(200), primary_key=True),
    Column("number", Integer),
    Column("url", Text),
    Column("state", String(20), nullable=False),  # building | open | merged | closed | withdrawn
    Column("head_sha", String(64)),  # what this bot last pushed: anything else on the branch is someone else's
    Column("base_sha", String(64)),  # the default branch's commit the branch was built on
    Column("opened_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
)

# --------------------------------------------------------------------------- link health (bot.links)

link_checks = Table(
    "link_checks", metadata,
    Column("url", String(2000), primary_key=True),
    Column("last_checked_at", DateTime(timezone=True), nullable=False),
    Column("last_ok_at", DateTime(timezone=True)),
    Column("first_failed_at", DateTime(timezone=True)),  # start of the current run of failures
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("moved_to", Text),  # a permanent redirect's target: a suggested update
)
