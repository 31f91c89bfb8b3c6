"""Keep a chat connection up: when it fails, say why, show it as down, and reconnect with back-off.

A platform SDK runs its connection as a task (discord.py's `client.connect()`); when that task ends with an
exception nothing else notices, and every later command and vote goes unanswered while the rest of the bot carries
on. The supervisor watches the task, logs the failure (with the event being handled, when the adapter knows it),
reports the adapter `down` through `health` (which `interp-bot status` and the container health check read), and
reconnects after 1, 2, 4 ... seconds, at most five minutes apart, until it is up again. A connection that fails
again within a minute of coming up does not start the back-off over: each new session is an identify, which
Discord allows 1,000 times a day before it resets the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.chat.adapter import UP, AdapterHealth
from bot.errors import ConfigError, describe

log = logging.getLogger(__name__)

BACKOFF_FIRST = 1.0
BACKOFF_MOST = 300.0
STABLE_AFTER = 60.0  # seconds up before a connection counts as recovered (the back-off starts over after it fails)

Connect = Callable[[], Awaitable["asyncio.Task[Any]"]]
Sleep = Callable[[float], Awaitable[None]]


def backoff(attempt: int) -> float:
    """Seconds to wait before reconnection attempt `attempt` (0-based)."""
    return min(BACKOFF_FIRST * 2 ** min(attempt, 20), BACKOFF_MOST)


class ConnectionSupervisor:
    """`connect()` makes a connection and returns the task that runs it (raising if it cannot connect)."""

    def __init__(self, platform: str, connect: Connect, *, sleep: Sleep = asyncio.sleep,
                 handling: Callable[[], str] = lambda: "", clock: Callable[[], float] = time.monotonic):
        self.platform = platform
        self._clock = clock
        self._up_since = 0.0
        self._attempts = 0  # reconnection attempts since the last connection that stayed up STABLE_AFTER
        self._health = AdapterHealth("connecting")
        self._changed = asyncio.Condition()
        self._connect = connect
        self._sleep = sleep
        self._handling = handling  # the event being handled when the connection failed, if known
        self._running: asyncio.Task[Any] | None = None
        self._watcher: asyncio.Task[None] | None = None

    @property
    def health(self) -> AdapterHealth:
        return self._health

    async def _set(self, health: AdapterHealth) -> None:
        self._health = health
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, state: str) -> None:
        """Until the connection is in `state` (for whoever must not act before it is up again)."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._health.state == state)

    @property
    def running(self) -> bool:
        return self._watcher is not None and not self._watcher.done()

    async def start(self) -> None:
        """The first connection. Its failure is raised: a rejected token must stop the bot at start."""
        self._running = await self._connect()
        self._up_since = self._clock()
        await self._set(UP)
        self._watcher = asyncio.create_task(self._watch(), name=f"{self.platform}-supervisor")

    async def stop(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def _watch(self) -> None:
        try:
            while True:
                assert self._running is not None
                await asyncio.wait({self._running})
                if self._clock() - self._up_since >= STABLE_AFTER:
                    self._attempts = 0
                await self._reconnect(self._failure(self._running))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in the supervisor itself: say so rather than watch nothing
            await self._set(AdapterHealth("down", f"the connection supervisor failed: {describe(exc)}"))
            log.exception("%s: the connection supervisor failed; the adapter stays down until a restart",
                          self.platform)

    def _failure(self, task: asyncio.Task[Any]) -> str:
        failure = None if task.cancelled() else task.exception()
        why = describe(failure) if failure is not None else "the connection closed"
        event = self._handling()
        # The event names what discord.py was reading when it failed; a setting to mend (a token, intents) is no
        # failure of reading, and the last event handled before it (READY) would only mislead.
        blame_event = event and failure is not None and not isinstance(failure, ConfigError)
        return f"{why} (while handling a {event} event)" if blame_event else why

    async def _reconnect(self, why: str) -> None:
        first = self._attempts
        while True:
            await self._set(AdapterHealth("down", why))
            delay = backoff(self._attempts)
            log.error("%s: the connection is down: %s; reconnecting in %g s", self.platform, why, delay)
            await self._sleep(delay)
            await self._set(AdapterHealth("connecting", why))
            self._attempts += 1
            try:
                self._running = await self._connect()
            except Exception as exc:
                why = f"reconnecting failed: {describe(exc)}"
                continue
            self._up_since = self._clock()
            await self._set(UP)
            log.info("%s: reconnected after %d attempt(s)", self.platform, self._attempts - first)
            return
