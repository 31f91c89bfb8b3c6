"""How a poll reads a feed's stored state when the clock and the stored times disagree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.store.feeds import FeedState

LAST_POLL = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
STATE = FeedState(name="arxiv", last_poll_at=LAST_POLL, next_poll_at=LAST_POLL + timedelta(hours=1),
                  retry_after_until=LAST_POLL + timedelta(minutes=30))


def test_a_last_poll_a_day_ahead_is_a_clock_set_back_and_the_feed_is_due() -> None:
    now = LAST_POLL - timedelta(days=1)
    assert (STATE.as_of(now).next_poll_at, STATE.as_of(now).retry_after_until) == (None, None)


def test_a_last_poll_a_minute_ahead_is_another_machines_clock_and_the_servers_wait_holds() -> None:
    """Two bots on one database, their machines' clocks a minute apart: the one behind ignored the Retry-After the
    other had stored, and polled a server that had asked for a pause."""
    assert STATE.as_of(LAST_POLL - timedelta(minutes=1)) == STATE
    assert STATE.as_of(LAST_POLL + timedelta(minutes=1)) == STATE
