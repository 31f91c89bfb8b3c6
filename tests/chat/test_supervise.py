"""The connection supervisor's back-off over a connection's life: the platforms' own tests drive it through real
SDK clients (tests/e2e/discord/test_supervision.py); here the clock decides whether a connection had recovered."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.chat.supervise import STABLE_AFTER, ConnectionSupervisor


class Connections:
    """Connections that end when told to, as an SDK's connection task does when the platform closes it."""

    def __init__(self) -> None:
        self.ends: list[asyncio.Future[None]] = []

    async def connect(self) -> asyncio.Task[Any]:
        end: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.ends.append(end)
        return asyncio.ensure_future(end)

    def drop(self) -> None:
        self.ends[-1].set_exception(ConnectionError("closed by the platform"))


async def test_the_back_off_starts_over_only_after_a_connection_stayed_up() -> None:
    now = 0.0
    delays: list[float] = []
    slept = asyncio.Event()

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        slept.set()

    connections = Connections()
    supervisor = ConnectionSupervisor("test", connections.connect, sleep=sleep, clock=lambda: now)
    await supervisor.start()
    try:
        for lived in (1.0, 1.0, STABLE_AFTER, 1.0):
            now += lived
            connections.drop()
            slept.clear()
            await asyncio.wait_for(slept.wait(), 5)
            await asyncio.wait_for(supervisor.wait_until("up"), 5)
        # Up for a second each time: 1, 2 s; then up for a minute, so the next failure is a new one: 1 s again.
        assert delays == [1.0, 2.0, 1.0, 2.0]
    finally:
        await supervisor.stop()
