"""How a feed is doing, for `interp-bot status`: failing, degraded, quiet, or ok — and since when.

* **failing**: its last poll failed (the run of failures began at ``failing_since``);
* **degraded**: its last poll parsed only part of what came (malformed XML, a truncated body, bad items);
* **quiet**: it answers, but its silence is unusual for it: no new item for three times its usual gap, or a daily
  arXiv listing with nothing new after a weekday's announcement. A stale mirror answering 304 for ever, or a
  listing of a category nobody posts to any more, looks like this and like nothing else.

And, whatever its health, where its permanent redirects say it moved (the feeds file still naming the old URL).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from bot.catalogue.text import one_line
from bot.intake.addresses import without_credentials
from bot.intake.sources import FeedSpec
from bot.store.feeds import FeedState

if TYPE_CHECKING:
    from bot.intake.fetch import FetchResult  # only a type: `status` reads health without loading httpx

log = logging.getLogger(__name__)

QUIET_AFTER_USUAL_GAPS = 3
MIN_GAPS_FOR_USUAL = 3  # a usual gap needs a few observations before silence can be called unusual
# arXiv's listings appear once per weekday, Monday to Friday, around midnight US Eastern (05:00 UTC).
ARXIV_ANNOUNCEMENT_HOUR_UTC = 5
GAP_AVERAGE_WEIGHT = 0.3  # weight of the newest gap in the usual gap (an exponential average)


@dataclass(frozen=True)
class FeedHealth:
    state: Literal["ok", "failing", "degraded", "quiet", "never polled"]
    since: datetime | None = None
    reason: str = ""


def usual_gap(previous: float | None, gap: float) -> float:
    """The usual gap between new items after one more observation."""
    return gap if previous is None else (1 - GAP_AVERAGE_WEIGHT) * previous + GAP_AVERAGE_WEIGHT * gap


def feed_health(spec: FeedSpec | None, state: FeedState | None, now: datetime) -> FeedHealth:
    if state is None or state.last_poll_at is None:
        return FeedHealth("never polled")
    if state.consecutive_failures:
        return FeedHealth("failing", state.failing_since or state.last_error_at, state.last_error or "")
    if state.degraded:
        return FeedHealth("degraded", state.degraded_since, state.degraded)
    quiet = _quiet_reason(spec, state, now)
    if quiet:
        return FeedHealth("quiet", state.last_new_item_at, quiet)
    return FeedHealth("ok")


def _quiet_reason(spec: FeedSpec | None, state: FeedState, now: datetime) -> str:
    if state.last_success_at is None:
        return ""
    last = state.last_new_item_at
    if last is None:
        # Items seen but no time recorded: a feed polled before this was recorded (schema 1), not a silent one.
        return "" if state.items_seen else "has brought no item yet"
    silence = now - last
    if state.new_item_gap_seconds is not None and state.new_item_gaps_seen >= MIN_GAPS_FOR_USUAL:
        usual = max(state.new_item_gap_seconds, (spec.interval_minutes * 60) if spec else 0)
        if silence.total_seconds() > QUIET_AFTER_USUAL_GAPS * usual:
            return f"no new item for {_hours(silence.total_seconds())} (usually one every {_hours(usual)})"
    if spec is not None and spec.kind == "arxiv_rss":
        # One polling interval of grace after an announcement before its absence is news.
        missed = _weekday_announcements(last, now - timedelta(minutes=spec.interval_minutes))
        if missed:
            return f"no new item since {missed} weekday listing(s) of arXiv were announced"
    return ""


def _weekday_announcements(after: datetime, until: datetime) -> int:
    """How many Monday-to-Friday announcements fell in (after, until]."""
    count = 0
    day = after.replace(hour=ARXIV_ANNOUNCEMENT_HOUR_UTC, minute=0, second=0, microsecond=0)
    if day <= after:
        day += timedelta(days=1)
    while day <= until and count < 100:
        if day.weekday() < 5:
            count += 1
        day += timedelta(days=1)
    return count


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.0f} h"


def note_move(feed: FeedSpec, state: FeedState, result: FetchResult) -> FeedState:
    """The state with where the feed's permanent redirects now lead, said in the log when that changes. The bot
    keeps polling the URL of the feeds file (the maintainers' file): `status` tells them to update it."""
    moved_to = one_line(without_credentials(result.moved_to)) if result.moved_to else None
    if moved_to == state.moved_to or (moved_to is None and result.status not in ("ok", "not_modified")):
        return state  # unchanged, or no answer (a failure, a wait) to say where the feed is
    if moved_to:
        log.warning("feed %s has moved permanently to %s; still polled at the feeds file's %s: update its url there",
                    feed.name, moved_to, without_credentials(feed.url), extra={"feed": feed.name})
    else:
        log.info("feed %s no longer redirects permanently (it did to %s)", feed.name, state.moved_to,
                 extra={"feed": feed.name})
    return replace(state, moved_to=moved_to)
