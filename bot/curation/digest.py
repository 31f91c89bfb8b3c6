"""The daily digest: new candidates, newly listed papers and merged pull requests, once per day per channel.

"Exactly once" is a database guard (a claimed row per channel and day), not luck: a restart or a
second process finds the claim and posts nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot import errors
from bot.chat.render import SHELL_PREFIX
from bot.chat.values import Post
from bot.curation.held_back import held_back
from bot.curation.pipeline import Curation
from bot.curation.posts import digest_post
from bot.store.github import GitHubStore
from bot.store.jobs import DIGEST_JOB

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.store.curation import Decision
    from bot.store.github import StoredPublication, StoredPullRequest
    from bot.store.papers import StoredPaper

log = logging.getLogger(__name__)

CLAIM_STALE_AFTER = timedelta(minutes=10)
MAX_LOOKBACK = timedelta(days=7)  # how far back a digest reaches when the last one is older


@dataclass(frozen=True)
class DigestResult:
    day: str
    post: Post
    empty: bool
    posted_to: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()  # channels whose digest for today was already done (posted, or found empty)
    unposted: tuple[str, ...] = ()  # channels not posted to because there was nothing new (digest_on_empty=skip)
    already_posted: tuple[str, ...] = ()  # of `skipped`, those whose digest for today was posted
    in_progress: tuple[str, ...] = ()  # of `skipped`, those another run is posting to now
    failed: tuple[tuple[str, str], ...] = ()  # (channel, why): the platform refused the post; the next run retries


def job_outcomes(result: DigestResult) -> dict[str, str | None]:
    """What a run outside the scheduler (`interp-bot digest`) did for each platform's digest, as the outcome of its
    job `digest:PLATFORM` (bot.store.jobs.record_runs): done (posted now or before, or nothing to post), or why not.
    A platform whose channel another run is posting to now is left to that run."""
    outcomes: dict[str, str | None] = {}
    for channel in (*result.posted_to, *result.unposted, *(c for c in result.skipped if c not in result.in_progress)):
        outcomes[DIGEST_JOB + channel.split(":", 1)[0]] = None
    for platform in {channel.split(":", 1)[0] for channel, _ in result.failed}:
        outcomes[DIGEST_JOB + platform] = errors.digest_not_posted(
            [(channel, why) for channel, why in result.failed if channel.split(":", 1)[0] == platform])
    return outcomes


def local_day(now: datetime, timezone: str) -> str:
    return now.astimezone(ZoneInfo(timezone)).date().isoformat()


def digest_since(curation: Curation, now: datetime, day: str, channels: Sequence[str]) -> datetime:
    """Where today's digest for `channels` starts: the earliest of `channel_starts`, so none misses anything (a
    paper twice is better than a paper lost); the last 24 hours when no channel is asked about."""
    return min(channel_starts(curation, now, day, channels).values(), default=now - timedelta(days=1))


def channel_starts(curation: Curation, now: datetime, day: str, channels: Sequence[str]) -> dict[str, datetime]:
    """Where each channel's digest for `day` starts: where its last one (posted, or found empty) stopped, or 24
    hours back when it had none.

    From where the last one stopped, not a fixed day back: a day whose digest did not run (a restart just after
    its time), the 25-hour day daylight saving ends on, or a run a few minutes past midnight left papers that
    no 24-hour window announced. It reaches back at most `MAX_LOOKBACK` (after an outage, a week's digest).
    Only the channels asked about count: a channel no longer configured would hold every digest a week back."""
    covered = curation.store.covered_before(day, channels)  # one read for them all
    return {channel: max(covered[channel] + timedelta(microseconds=1), now - MAX_LOOKBACK)  # that moment was in it
            if channel in covered else now - timedelta(days=1) for channel in channels}


@dataclass(frozen=True)
class DigestContents:
    """What a digest from `since` holds, read from the database once; each channel's post is made from it in the
    words of its readers (`post`)."""

    day: str
    candidates: list[StoredPaper]
    approved: list[tuple[StoredPaper, Decision]]
    merged: list[tuple[StoredPullRequest, list[StoredPublication]]]
    held_back: int

    @property
    def empty(self) -> bool:
        return not self.candidates and not self.approved and not self.merged and not self.held_back

    def post(self, curation: Curation, command_prefix: str = SHELL_PREFIX,
             spell: Callable[[str], str] | None = None) -> Post:
        """The digest as posted where commands are typed with `command_prefix` ("/interp " on Slack and Discord,
        whose maintainers have no shell; the shell's elsewhere), or spelled by `spell` (Discord's options)."""
        return digest_post(self.day, self.candidates, self.approved, curation.catalogue.index, self.merged,
                           held_back=self.held_back, command_prefix=command_prefix, spell=spell)


def gather(curation: Curation, now: datetime, timezone: str, since: datetime | None = None,
           day: str | None = None) -> DigestContents:
    """`day`'s digest (default: today's) from `since` (default: the last 24 hours): what became a candidate or got
    listed, merged pull requests, and how many relevant papers the daily candidate budget held back."""
    since = now - timedelta(days=1) if since is None else since
    approved = []
    for decision in curation.store.decisions(since=since):
        if decision.decision == "approved":
            paper = curation.papers.paper(decision.paper_id)
            if paper is not None:
                approved.append((paper, decision))
    return DigestContents(day or local_day(now, timezone), curation.papers.papers(status="candidate", since=since),
                          approved, GitHubStore(curation.db).merged_since(since),
                          len(held_back(curation, since)))


async def run_digest(curation: Curation, settings: Settings, *, dry_run: bool = False,
                     platform: str | None = None, day: str | None = None) -> DigestResult:
    """Post today's digest to every digest channel (or only `platform`'s: each platform's scheduled digest is a job
    of its own, whose outcome `status` shows). `day`: the day it is for, when not today (a scheduled run that
    started late, past midnight, is the day before's)."""
    now = curation.db.now()
    day = day or local_day(now, settings.timezone)
    channels = [(adapter, f"{adapter.platform}:{channel}") for adapter in list(curation.adapters.values())
                if (channel := adapter.channel_for("digest")) and platform in (None, adapter.platform)]
    keys = [key for _, key in channels]
    if dry_run:  # what the channel furthest behind gets next: after today's digest, when that went out already
        # The next calendar day, not 24 hours on: in the first hour of the 25-hour day that is still today.
        tomorrow = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
        starts = await asyncio.to_thread(channel_starts, curation, now, tomorrow, keys)
        since = min(starts.values(), default=now - timedelta(days=1))
        found = await asyncio.to_thread(gather, curation, now, settings.timezone, since)
        return DigestResult(found.day, found.post(curation), found.empty)
    starts = await asyncio.to_thread(channel_starts, curation, now, day, keys)
    furthest_behind = min(starts.values(), default=now - timedelta(days=1))
    # Each channel's digest starts where its own last one stopped (one that failed to post catches up alone).
    gathered: dict[datetime, DigestContents] = {}  # channels that start together share one read
    posted, skipped, unposted, already_posted, in_progress = [], [], [], [], []
    failed: list[tuple[str, str]] = []
    shown_since: datetime | None = None  # the result's: the first posted, else the furthest behind
    for adapter, channel_key in channels:
        since = starts[channel_key]
        # A Slack or Discord maintainer has no shell: their digest names the /interp command (command_prefix).
        prefix = getattr(adapter, "command_prefix", SHELL_PREFIX)
        if since not in gathered:
            gathered[since] = await asyncio.to_thread(gather, curation, now, settings.timezone, since, day)
        post = gathered[since].post(curation, prefix, getattr(adapter, "spell_command", None))
        empty = gathered[since].empty
        if not await asyncio.to_thread(curation.store.claim_digest, channel_key, day, curation.holder,
                                       stale_after=CLAIM_STALE_AFTER, over_empty=not empty, covers_until=now):
            skipped.append(channel_key)
            status = await asyncio.to_thread(curation.store.digest_status, channel_key, day)
            if status == "posted":
                already_posted.append(channel_key)
            elif status == "claimed":
                in_progress.append(channel_key)
            continue
        if empty and settings.digest_on_empty == "skip":
            await asyncio.to_thread(curation.store.finish_digest, channel_key, day, "empty")
            unposted.append(channel_key)
            continue
        refused: list[str] = []
        ref = await curation.publish_to(adapter, post, "digest", refused)
        if ref is None:  # the claim is let go: a run after the cause is fixed (`interp-bot digest`) posts it
            await asyncio.to_thread(curation.store.finish_digest, channel_key, day, "failed")
            failed.append((channel_key, refused[0] if refused else "not posted"))
            continue
        await asyncio.to_thread(curation.store.record_post, key=post.key, kind="digest", paper_id=None,
                                platform=ref.platform, channel_id=ref.channel_id, message_id=ref.message_id)
        await asyncio.to_thread(curation.store.finish_digest, channel_key, day, "posted")
        posted.append(channel_key)
        shown_since = shown_since or since
    # The result is shown in a shell (`interp-bot digest`): in the words of a shell.
    shown_since = shown_since or furthest_behind
    if shown_since not in gathered:
        gathered[shown_since] = await asyncio.to_thread(gather, curation, now, settings.timezone, shown_since, day)
    shown = gathered[shown_since]
    post, empty = shown.post(curation), shown.empty
    return DigestResult(day, post, empty, tuple(posted), tuple(skipped), tuple(unposted), tuple(already_posted),
                        in_progress=tuple(in_progress), failed=tuple(failed))
