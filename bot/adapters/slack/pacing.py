"""About one message per second per channel: Slack's documented posting rate, kept without blocking the loop.

Each channel has an asyncio lock and the time of its last post; a publisher waits (asyncio sleep, so other
tasks run) until a second has passed. The clock and sleep are injectable so tests never really wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class ChannelPacer:
    def __init__(self, interval: float = 1.0, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep):
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._locks: dict[str, asyncio.Lock] = {}
        self._last_post: dict[str, float] = {}

    @asynccontextmanager
    async def turn(self, channel: str) -> AsyncIterator[None]:
        """Hold the channel's turn: wait until `interval` has passed since its last post, post, record.

        Holding the lock across the whole turn also serialises "look for an earlier post, then post" per
        channel, so two publishes of one key in this process cannot both miss each other.
        """
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            last = self._last_post.get(channel)
            if last is not None:
                wait = last + self.interval - self._clock()
                if wait > 0:
                    await self._sleep(wait)
            try:
                yield
            finally:
                self._last_post[channel] = self._clock()
