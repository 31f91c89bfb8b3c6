"""A loopback HTTP server that serves feed files well and misbehaves on request.

Well-behaved routes: ``/feeds/<file name>`` serves a file from the directory given, with an ETag (a digest of the
body) and a Last-Modified date, answering 304 to a matching If-None-Match or If-Modified-Since.

Misbehaviours (each a route, so one test can mix them):

* ``/status/429?retry_after=V`` and ``/status/503?retry_after=V``: that status with ``Retry-After: V``
* ``/slow``: never answers until :meth:`FeedServer.release_slow` (or shutdown) - for total-timeout tests
* ``/huge?mb=50&declare=0|1``: a body of that many megabytes, with or without a Content-Length header
* ``/endless``: a chunked body that never ends; ``/endless?after=<name>`` first sends what :meth:`FeedServer.serve`
  gave under that name, with its headers (a compressed feed followed by endless bytes)
* ``/garbage``: random bytes served as RSS
* ``/truncated/<file name>``: the first half of a feed file
* ``/redirect?to=URL&status=301``: a redirect (302 unless ``status`` says otherwise) to any URL
  (``http://10.0.0.1/feed``, ``file:///etc/passwd``, ...)
* ``/redirect-loop``: a 302 to itself
* ``/served/<name>``: whatever bytes and headers a test gave :meth:`FeedServer.serve` (hostile documents,
  ``Content-Encoding: gzip, gzip`` bombs, a feed that changes between polls), with ETag and 304 as for files; its
  headers may replace the ETag and Last-Modified (or, given as None, leave them out), and ``matches`` names older
  entity tags the server still answers 304 to (a server whose tags changed while the feed did not)

Well-behaved routes can be held: after :meth:`FeedServer.hold` they answer nothing until :meth:`FeedServer.release`
(what a client does first then happens before any feed arrives: the footprint benchmark's lookups before the poll).

Every request is recorded (path with query, headers, loop time of arrival) so tests can assert on the
User-Agent, conditional headers and request spacing.

``FeedServer(directory, tls=True)`` serves the same routes over HTTPS with a certificate for 127.0.0.1 issued by
the test-only CA in ``tests/data/tls/`` (:data:`TLS_CA`; :func:`trusting_tls` is a client context that trusts it).

Use as ``async with FeedServer(directory) as server: ... server.url("/feeds/x.xml")``.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from types import TracebackType

from aiohttp import web

LAST_MODIFIED = datetime(2024, 5, 24, 4, 0, 8, tzinfo=UTC)
_CHUNK = b"<!-- padding -->" * 4096  # 64 KiB, built once and written repeatedly: the server's memory stays flat
TLS_DIR = Path(__file__).resolve().parents[1] / "data" / "tls"
TLS_CA = TLS_DIR / "ca.pem"  # the test-only CA that issued server.pem (for 127.0.0.1); its key was thrown away


def trusting_tls() -> ssl.SSLContext:
    """A client context that trusts the TLS feed server's certificate (and nothing else)."""
    return ssl.create_default_context(cafile=str(TLS_CA))


@dataclass(frozen=True)
class RecordedRequest:
    path: str  # path and query string
    headers: dict[str, str]
    at: float  # event-loop time of arrival


class FeedServer:
    def __init__(self, directory: Path, *, tls: bool = False):
        self.directory = directory
        self.tls = tls
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests the server was handling at once
        self._served: dict[str, tuple[bytes, dict[str, str | None], tuple[str, ...]]] = {}
        self._slow_release = asyncio.Event()
        self._open = asyncio.Event()  # set: well-behaved routes answer; cleared by hold()
        self._open.set()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> FeedServer:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/feeds/{name}", self._feed)
        app.router.add_get("/status/{code:\\d+}", self._status)
        app.router.add_get("/slow", self._slow)
        app.router.add_get("/huge", self._huge)
        app.router.add_get("/endless", self._endless)
        app.router.add_get("/garbage", self._garbage)
        app.router.add_get("/truncated/{name}", self._truncated)
        app.router.add_get("/redirect", self._redirect)
        app.router.add_get("/redirect-loop", self._redirect_loop)
        app.router.add_get("/served/{name}", self._serve_bytes)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        context = None
        if self.tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(TLS_DIR / "server.pem", TLS_DIR / "server.key")
        site = web.TCPSite(self._runner, "127.0.0.1", 0, shutdown_timeout=0.5, ssl_context=context)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release_slow()
        self.release()
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}{path}"

    def serve(self, name: str, body: bytes, headers: dict[str, str | None] | None = None,
              matches: tuple[str, ...] = ()) -> str:
        """Serve `body` as-is (no compression added, headers as given) at ``/served/<name>``; its URL.
        Serving a new body under the same name replaces the old one, as a feed's next day does. A header given
        as None is left out (ETag, Last-Modified); `matches`: other entity tags an If-None-Match may name to get a
        304 (with this body's headers)."""
        self._served[name] = (body, dict(headers or {}), matches)
        return self.url(f"/served/{name}")

    def release_slow(self) -> None:
        self._slow_release.set()

    def hold(self) -> None:
        """From now on /feeds/ and /served/ answer only once release() is called (requests wait, unanswered)."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def requests_to(self, prefix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.startswith(prefix)]

    # ------------------------------------------------------------------ handlers

    @web.middleware
    async def _record(self, request: web.Request, handler):  # type: ignore[no-untyped-def]
        loop_time = asyncio.get_running_loop().time()
        self.requests.append(RecordedRequest(request.path_qs, dict(request.headers), loop_time))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await handler(request)
        finally:
            self.in_flight -= 1

    def _file(self, name: str) -> bytes:
        path = (self.directory / name).resolve()
        if path.parent != self.directory.resolve() or not path.is_file():
            raise web.HTTPNotFound()
        return path.read_bytes()

    async def _feed(self, request: web.Request) -> web.Response:
        await self._open.wait()
        return self._conditional(request, self._file(request.match_info["name"]), {"Content-Type": "application/xml"})

    async def _serve_bytes(self, request: web.Request) -> web.Response:
        await self._open.wait()
        served = self._served.get(request.match_info["name"])
        if served is None:
            raise web.HTTPNotFound()
        body, headers, matches = served
        return self._conditional(request, body, {"Content-Type": "application/xml", **headers}, matches)

    def _conditional(self, request: web.Request, body: bytes, extra: dict[str, str | None],
                     matches: tuple[str, ...] = ()) -> web.Response:
        validators: dict[str, str | None] = {"ETag": '"' + hashlib.sha256(body).hexdigest()[:20] + '"',
                                             "Last-Modified": format_datetime(LAST_MODIFIED, usegmt=True)}
        validators.update((name, extra.pop(name)) for name in list(validators) if name in extra)
        headers = {name: value for name, value in validators.items() if value is not None}
        etag = headers.get("ETag")
        if_none_match = request.headers.get("If-None-Match")
        if_modified_since = request.if_modified_since
        if (if_none_match is not None and {etag, *matches} & {t.strip() for t in if_none_match.split(",")}) or (
            if_none_match is None and if_modified_since is not None and if_modified_since >= LAST_MODIFIED
        ):
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, headers={**headers, **{k: v for k, v in extra.items() if v is not None}})

    async def _status(self, request: web.Request) -> web.Response:
        headers = {}
        if "retry_after" in request.query:
            headers["Retry-After"] = request.query["retry_after"]
        return web.Response(status=int(request.match_info["code"]), headers=headers, text="try later")

    async def _slow(self, request: web.Request) -> web.Response:
        await self._slow_release.wait()
        return web.Response(text="too late")

    async def _huge(self, request: web.Request) -> web.StreamResponse:
        total = int(float(request.query.get("mb", "50")) * 1_000_000)
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        if request.query.get("declare") == "1":
            response.content_length = total
        await response.prepare(request)
        sent = 0
        try:
            while sent < total:
                piece = _CHUNK[: total - sent]
                await response.write(piece)
                sent += len(piece)
        except (ConnectionResetError, ConnectionError):
            pass  # the client hung up, as it should
        return response

    async def _endless(self, request: web.Request) -> web.StreamResponse:
        first, headers, _ = self._served.get(request.query.get("after", ""), (b"", {}, ()))
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml",
                                               **{k: v for k, v in headers.items() if v is not None}})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            await response.write(first)
            while True:
                await response.write(_CHUNK)
        except (ConnectionResetError, ConnectionError):
            pass
        return response

    async def _garbage(self, request: web.Request) -> web.Response:
        return web.Response(body=random.Random(3).randbytes(8192), content_type="application/rss+xml")

    async def _truncated(self, request: web.Request) -> web.Response:
        body = self._file(request.match_info["name"])
        return web.Response(body=body[: len(body) // 2], content_type="application/xml")

    async def _redirect(self, request: web.Request) -> web.Response:
        return web.Response(status=int(request.query.get("status", "302")), headers={"Location": request.query["to"]})

    async def _redirect_loop(self, request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "/redirect-loop"})
