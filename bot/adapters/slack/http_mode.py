"""HTTP mode: an aiohttp server that hands Slack's signed requests to bolt.

Bolt verifies every request's signature (HMAC of `v0:{timestamp}:{body}` with the signing secret, timestamp
within five minutes). We verify first, at the socket, on the raw bytes: slack_sdk's verifier decodes the body
before comparing (a non-UTF-8 body made it raise: a 500 instead of a 401), a non-numeric timestamp makes it raise
too, and bolt logs the whole body of a rejected request. Our check answers 401 for every request that is not
Slack's and logs only why, never the body, the signature or the secret. A request that is signed but malformed
(not UTF-8, not JSON where JSON belongs, a JSON array) is answered 400 before bolt dispatches it, where it used to
end in a 500 and an ERROR traceback; bolt's own request parses the body, so what is checked is what bolt reads.
What passes goes to bolt unchanged, where its middleware checks again.

Nothing a client does holds the server: a body that never finishes is cut off after `body_timeout` seconds
(408), a connection that has not sent its whole headers by then (or sits idle that long) is closed, a client that
hangs up mid-request is a DEBUG line rather than an ERROR traceback, and shutdown waits at most `SHUTDOWN_SECONDS`
for requests still in flight.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_AGE_SECONDS = 60 * 5  # Slack's replay window
MAX_BODY_BYTES = 1024 * 1024
BODY_TIMEOUT = 10.0  # Slack sends a few kilobytes at once; a body still unfinished after this never will be
SHUTDOWN_SECONDS = 2.0


def request_problem(secret: bytes, body: bytes, timestamp: str, signature: str, now: float) -> str:
    """Why a request must be refused, or "" if it is genuinely from Slack and fresh. Works on the raw bytes."""
    if not timestamp or len(timestamp) > 12 or not timestamp.isdigit():
        return "missing or malformed X-Slack-Request-Timestamp"
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return "timestamp outside the five-minute window (replayed, or the clock is off)"
    if not signature.startswith("v0="):
        return "missing or malformed X-Slack-Signature"
    expected = "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return "signature does not match (wrong SLACK_SIGNING_SECRET, or the body was altered)"
    return ""


def payload_problem(data: Any, what: str) -> str:
    """Why a request's decoded body (or a Socket Mode envelope's payload) cannot be one of Slack's, or "": what
    bolt reads before any listener of ours, where anything else raises inside bolt."""
    if not isinstance(data, dict):
        return f"{what} is not a JSON object"
    for key in ("type", "command"):
        if not isinstance(data.get(key, ""), str):
            return f"{what} has a '{key}' that is not text"
    if "event" in data and not isinstance(data["event"], dict):
        return f"{what} has an 'event' that is not an object"
    actions = data.get("actions", [])
    if not isinstance(actions, list) or not all(isinstance(action, dict) for action in actions):
        return f"{what} has 'actions' that are not a list of objects"
    return ""


def bolt_request_of(body: bytes, query: str,
                    headers: dict[str, str | Sequence[str]]) -> tuple[AsyncBoltRequest | None, str]:
    """The request as bolt reads it, or None and why bolt cannot. Built by bolt itself, so the body is read exactly
    as bolt reads it (JSON when it starts with "{" whatever its content type says, the last of two `payload`
    fields, a blank one as JSON too): checked any other way, a body read one way here and another in bolt was a 500
    and an ERROR traceback. Slack sends JSON objects (Events API) or form fields (slash commands), the interactive
    ones with a JSON object in `payload`."""
    try:
        text = body.decode("utf-8")
        request = AsyncBoltRequest(body=text, query=query, headers=headers)
        if not request.body and "payload" in text and not text.startswith("{"):
            # bolt takes a form holding the word "payload" anywhere (a command's text, a channel's name) for an
            # interactive one, and finding no `payload` field reads nothing: the command matched no listener.
            fields = dict(parse_qsl(text, keep_blank_values=True))
            if "payload" not in fields:
                request.body = fields
                request.context = build_async_context(AsyncBoltContext({}), fields)
    except UnicodeDecodeError:
        return None, "the body is not UTF-8"
    except ValueError:
        return None, "the body (or its payload field) is not JSON"
    except (TypeError, AttributeError, LookupError):  # bolt reading the ids out of what is no Slack request
        return None, "the body is not a JSON object of the shape Slack sends"
    problem = payload_problem(request.body, "the body")
    return (None, problem) if problem else (request, "")


class SignedRequestServer:
    """Serves POST /slack/events (slash commands, interactivity and events share one URL) on host:port."""

    def __init__(self, app: Any, signing_secret: str, *, host: str, port: int,
                 clock: Callable[[], float] = time.time, body_timeout: float = BODY_TIMEOUT):
        self._bolt = app
        self._clock = clock
        self._secret = signing_secret.encode()
        self._host = host
        self._port = port
        self._body_timeout = body_timeout
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
        # keepalive_timeout: aiohttp has no timeout for a request's headers; its keep-alive timer (an hour by
        # default) is what closes a connection that has not sent a whole request, so it gets the body's time.
        runner = web.AppRunner(self._web_app, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS,
                               keepalive_timeout=self._body_timeout)
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

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await asyncio.wait_for(request.read(), self._body_timeout)
        except TimeoutError:
            log.info("refused a request to %s: its body did not arrive within %g s", EVENTS_PATH, self._body_timeout)
            return web.json_response({"error": "request body timeout"}, status=408,
                                     headers={"Connection": "close"})
        except (ConnectionError, asyncio.IncompleteReadError, web.HTTPException) as exc:
            if isinstance(exc, web.HTTPException):
                return exc  # aiohttp's own answer (e.g. 413 for a body over MAX_BODY_BYTES)
            # Nobody is left to answer; an ERROR traceback per hang-up would bury the log.
            log.debug("a client hung up before its request to %s was complete: %s", EVENTS_PATH, type(exc).__name__)
            return web.Response(status=400)
        problem = request_problem(
            self._secret, body,
            request.headers.get("X-Slack-Request-Timestamp", "").strip(),
            request.headers.get("X-Slack-Signature", "").strip(),
            self._clock(),
        )
        if problem:
            log.info("refused a request to %s: %s", EVENTS_PATH, problem)
            return web.json_response({"error": "invalid request"}, status=401)
        bolt_request, problem = bolt_request_of(body, request.query_string, {**request.headers})
        if bolt_request is None:
            log.info("refused a signed request to %s: %s", EVENTS_PATH, problem)
            return web.json_response({"error": "malformed request"}, status=400)
        return await to_aiohttp_response(await self._bolt.async_dispatch(bolt_request))
