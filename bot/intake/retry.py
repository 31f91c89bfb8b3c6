"""Waiting after a failure: a server's Retry-After, read, and our own back-off."""

from __future__ import annotations

import math
import random
import time
from datetime import UTC
from email.utils import parsedate_to_datetime

MAX_RETRY_AFTER_SECONDS = 7 * 24 * 3600.0  # a server asking for more is obeyed for a week, and that is logged


def backoff_delay(
    failures: int,
    *,
    base_seconds: float,
    retry_after: float | None,
    rng: random.Random,
    cap_seconds: float = 6 * 3600,
) -> float:
    """Seconds to wait before retrying a feed after ``failures`` consecutive failures.

    Exponential (base, 2×base, 4×base, ... up to the cap) with "equal jitter": between half and all of that,
    so feeds that failed together do not retry together. Never less than the server's Retry-After.
    """
    floor = max(retry_after or 0.0, 0.0)
    if failures <= 0:
        return floor
    exponential = min(cap_seconds, base_seconds * 2.0 ** min(failures - 1, 60))
    jittered = exponential / 2 + rng.uniform(0, exponential / 2)
    return max(jittered, floor)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Retry-After as seconds from now: either delta-seconds or an HTTP date (RFC 9110 §10.2.3).

    Uncapped (``1e400`` is infinity): the fetcher caps it at :data:`MAX_RETRY_AFTER_SECONDS` and says so.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass  # not delta-seconds: it may be an HTTP date
    else:
        return None if math.isnan(seconds) else max(seconds, 0.0)
    try:
        when = parsedate_to_datetime(value)
        current = time.time() if now is None else now
        # An HTTP date is in UTC; "-0000", asctime's form and no zone at all come back naive, and a naive time is
        # the machine's local time to timestamp(): an hour off in Berlin.
        return max(when.replace(tzinfo=when.tzinfo or UTC).timestamp() - current, 0.0)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
