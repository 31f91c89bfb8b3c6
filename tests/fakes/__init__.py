"""Loopback fakes of the services the bot talks to."""

from __future__ import annotations

from aiohttp import web


async def serve_loopback(app: web.Application) -> tuple[web.AppRunner, int]:
    """Run an aiohttp app on 127.0.0.1 at a free port: its runner (to clean up) and the port."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, shutdown_timeout=0.5).start()
    return runner, runner.addresses[0][1]
