"""One turn at a time per key, with a least interval between turns: politeness without blocking the loop.

Used for arXiv's "one request every 3 seconds" per host (the fetcher) and Slack's "about one message per second"
per channel (the Slack poster). Each key has an asyncio lock and the time of its last turn; a caller waits
(asyncio sleep, so other tasks run) until the interval has passed. The clock and sleep are injectable so tests
never really wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Literal

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class KeyedPacer:
    """`turn(key)` holds the key's turn: wait until `interval` has passed since its last turn, run, record.

    `since="start"` measures the interval between the starts of turns (arXiv's rule is about requests started);
    `since="end"` from the end of the previous turn (a post is done when Slack has answered). Holding the lock
    across the whole turn also serialises whatever the turn does per key: two publishes of one post key in
    this process cannot both miss each other.
    """

    def __init__(self, interval: float, *, since: Literal["start", "end"] = "start", clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep):
        self.interval = interval
        self._since = since
        self._clock = clock
        self._sleep = sleep
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    @asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            last = self._last.get(key)
            if last is not None:
                wait = last + self.interval - self._clock()
                if wait > 0:
                    await self._sleep(wait)
            if self._since == "start":
                self._last[key] = self._clock()
            try:
                yield
            finally:
                if self._since == "end":
                    self._last[key] = self._clock()


class InArrivalOrder:
    """`turn(key)`: one turn at a time per key, in the order the turns were asked for (asyncio.Lock wakes its
    waiters first come, first served). A key is forgotten once nobody holds or waits for its turn, so keys that
    come once (a message's votes) cost nothing afterwards."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        lock, holders = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, holders + 1)
        try:
            async with lock:
                yield
        finally:
            lock, holders = self._locks[key]
            if holders == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, holders - 1)
