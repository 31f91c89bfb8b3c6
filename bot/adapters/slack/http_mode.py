"""HTTP mode: an aiohttp server that hands Slack's signed requests to bolt.

Bolt verifies every request's signature (HMAC of `v0:{timestamp}:{body}` with the signing secret, timestamp
within five minutes). We verify first as well, at the socket, for two reasons bolt's own check does not
cover: a non-numeric timestamp makes bolt's verifier raise (a 500 instead of a 401), and bolt logs the whole
body of a rejected request. Our check answers 401 for every bad request and logs only why, never the body,
the signature or the secret. Requests that pass go to bolt unchanged, where its middleware checks again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import Clock, SignatureVerifier

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_AGE_SECONDS = 60 * 5  # Slack's replay window
MAX_BODY_BYTES = 1024 * 1024


class _Clock(Clock):
    def __init__(self, now: Callable[[], float]):
        self._now = now

    def now(self) -> float:
        return self._now()


def request_problem(verifier: SignatureVerifier, body: bytes, timestamp: str, signature: str, now: float) -> str:
    """Why a request must be refused, or "" if it is genuinely from Slack and fresh."""
    if not timestamp or len(timestamp) > 12 or not timestamp.isdigit():
        return "missing or malformed X-Slack-Request-Timestamp"
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return "timestamp outside the five-minute window (replayed, or the clock is off)"
    if not signature.startswith("v0="):
        return "missing or malformed X-Slack-Signature"
    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
        return "signature does not match (wrong SLACK_SIGNING_SECRET, or the body was altered)"
    return ""


class SignedRequestServer:
    """Serves POST /slack/events (slash commands, interactivity and events share one URL) on host:port."""

    def __init__(self, app: Any, signing_secret: str, *, host: str, port: int,
                 clock: Callable[[], float] = time.time):
        self._bolt = app
        self._clock = clock
        self._verifier = SignatureVerifier(signing_secret, clock=_Clock(clock))
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        web_app = web.Application(client_max_size=MAX_BODY_BYTES)
        web_app.router.add_post(EVENTS_PATH, self._handle)
        self._web_app = web_app

    @property
    def port(self) -> int:
        """The bound port (useful when constructed with port 0)."""
        if self._runner is None or not self._runner.addresses:
            return self._port
        return int(self._runner.addresses[0][1])

    async def start(self) -> None:
        # access_log=None: the access log would only add the request line, but keeping the server quiet
        # means nothing about Slack's traffic reaches logs unless bolt itself is asked to debug.
        runner = web.AppRunner(self._web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        log.info("Slack HTTP mode: listening on %s:%d%s", self._host, self.port, EVENTS_PATH)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        problem = request_problem(
            self._verifier, body,
            request.headers.get("X-Slack-Request-Timestamp", "").strip(),
            request.headers.get("X-Slack-Signature", "").strip(),
            self._clock(),
        )
        if problem:
            log.info("refused a request to %s: %s", EVENTS_PATH, problem)
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return web.json_response({"error": "body is not UTF-8"}, status=400)
        bolt_request = AsyncBoltRequest(body=text, query=request.query_string, headers=dict(request.headers))
        return await to_aiohttp_response(await self._bolt.async_dispatch(bolt_request))
