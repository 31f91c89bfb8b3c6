"""A loopback web site whose pages answer the way real ones do when a list's links are checked.

    /ok            200 to HEAD and GET
    /gone          404 (while `broken` holds "/gone"; any path can be broken or mended at run time)
    /old           301 → /new (a permanent move: the list should link /new)      /new   200
    /perm          308 → /new
    /temp          302 → /ok (a temporary redirect: nothing to update)
    /no-head       405 to HEAD, 200 to GET (servers that refuse HEAD)
    /page/{n}      200, for lists of many links

Every request is recorded (method, path, loop time) with how many were in flight, so tests can assert HEAD then
GET, and one request at a time per host.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web

from tests.fakes import serve_loopback


@dataclass(frozen=True)
class Hit:
    method: str
    path: str
    at: float


class LinkSite:
    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.broken: set[str] = {"/gone"}
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay = 0.0  # seconds each answer takes (lets overlapping requests show up)
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def __aenter__(self) -> LinkSite:
        app = web.Application(middlewares=[self._record])
        app.router.add_route("*", "/{path:.*}", self._page)
        self._runner, self.port = await serve_loopback(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hits_to(self, path: str) -> list[str]:
        return [hit.method for hit in self.hits if hit.path == path]

    @web.middleware
    async def _record(self, request: web.Request, handler):  # type: ignore[no-untyped-def]
        self.hits.append(Hit(request.method, request.path, asyncio.get_running_loop().time()))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            return await handler(request)
        finally:
            self.in_flight -= 1

    async def _page(self, request: web.Request) -> web.Response:
        path = request.path
        if path in self.broken:
            return web.Response(status=404, text="not found")
        redirects = {"/old": (301, "/new"), "/perm": (308, "/new"), "/temp": (302, "/ok")}
        if path in redirects:
            status, target = redirects[path]
            return web.Response(status=status, headers={"Location": target})
        if path == "/no-head" and request.method == "HEAD":
            return web.Response(status=405)
        return web.Response(text="<html>a paper</html>", content_type="text/html")
