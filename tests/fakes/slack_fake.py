"""A loopback fake of Slack for tests: the Web API methods the adapter uses, `response_url`s, and Socket Mode.

The real slack_sdk AsyncWebClient talks to it through `base_url`; the real Socket Mode client connects to its
websocket (`apps.connections.open` hands out `ws://127.0.0.1:PORT/link`). Answers follow the shapes in
Slack's documentation. Everything it sees is recorded in order (`timeline`), and tests wait on it with
`wait_for` (an asyncio.Condition, no sleeps).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

BOT_USER_ID = "UBOTINTERP"
BOT_ID = "BINTERP01"
TEAM_ID = "T0INTERP1"
APP_ID = "A0INTERP1"


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    token: str


@dataclass
class Message:
    ts: str
    channel: str
    text: str
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any] | None
    reactions: dict[str, list[str]] = field(default_factory=dict)

    def as_history(self, *, include_metadata: bool) -> dict[str, Any]:
        data: dict[str, Any] = {"type": "message", "subtype": "bot_message", "ts": self.ts, "text": self.text,
                                "blocks": self.blocks, "user": BOT_USER_ID, "bot_id": BOT_ID, "app_id": APP_ID}
        if include_metadata and self.metadata:
            data["metadata"] = self.metadata
        if self.reactions:
            data["reactions"] = [{"name": n, "users": u, "count": len(u)} for n, u in self.reactions.items()]
        return data


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


def _decoded(value: Any) -> Any:
    """Form-encoded calls carry JSON-valued arguments (blocks, metadata) as strings."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.responses: list[tuple[str, dict[str, Any]]] = []  # (response_url name, JSON body)
        # Refusals for the next posts to a response_url, as Slack answers them: (HTTP status, body), e.g.
        # (400, "invalid_blocks"), (404, "expired_url"). Plain text, not JSON, as Slack sends them.
        self.response_refusals: list[tuple[int, str]] = []
        self.acks: dict[str, dict[str, Any]] = {}  # envelope_id -> the ack as sent
        self.timeline: list[tuple[str, str]] = []  # ("api", method) / ("ack", envelope_id) / ("respond", name)
        self.messages: dict[str, list[Message]] = {}  # channel -> messages, oldest first
        self.usergroups: dict[str, list[str]] = {}
        self.rate_limited: list[tuple[str, int]] = []  # the 429s served: (method, Retry-After)
        self.socket_connected = asyncio.Event()
        self._rate_limit_next: dict[str, list[int]] = {}
        self._fail_next: dict[str, list[str]] = {}
        self.revoked_tokens: set[str] = set()  # tokens Slack takes no more: every call with one is token_revoked
        self._outage_next: dict[str, list[int]] = {}
        self._ts = itertools.count(1)
        self._envelopes = itertools.count(1)
        self._changed = asyncio.Condition()
        self._sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/respond/{name}"

    # ------------------------------------------------------------------ test controls

    def fail_next(self, method: str, error: str) -> None:
        """Answer the next call of `method` with {"ok": false, "error": error}, as Slack refuses a call."""
        self._fail_next.setdefault(method, []).append(error)

    def outage_next(self, method: str, status: int = 503) -> None:
        """Answer the next call of `method` as Slack does while it is down: an HTTP error with a text body, no JSON.
        Status 0: no answer at all, the connection dropped (the client sees the server disconnect)."""
        self._outage_next.setdefault(method, []).append(status)

    def rate_limit_next(self, method: str, retry_after: int = 1) -> None:
        """Answer the next call of `method` with 429 and this Retry-After."""
        self._rate_limit_next.setdefault(method, []).append(retry_after)

    async def close_sockets(self) -> None:
        """End every Socket Mode connection, as Slack does when it cycles one or the app token is revoked."""
        self.socket_connected.clear()
        for ws in list(self._sockets):
            await ws.close()

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    def add_message(self, channel: str, *, metadata: dict[str, Any] | None = None, text: str = "earlier") -> str:
        """A message already in the channel (e.g. posted before a crash)."""
        ts = self._next_ts()
        self.messages.setdefault(channel, []).append(Message(ts, channel, text, [], metadata))
        return ts

    async def wait_for(self, condition: Callable[[], Any], within: float = 5.0) -> Any:
        """Wait until `condition()` is truthy (re-checked after everything the fake records)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), within)
        return condition()

    async def wait_for_call(self, method: str, count: int = 1, within: float = 5.0) -> list[ApiCall]:
        await self.wait_for(lambda: len(self.calls_to(method)) >= count, within)
        return self.calls_to(method)

    async def _record(self, kind: str, name: str) -> None:
        self.timeline.append((kind, name))
        async with self._changed:
            self._changed.notify_all()

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    # ------------------------------------------------------------------ Socket Mode

    async def push(self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0, retry_reason: str = "",
                   envelope_id: str | None = None) -> str:
        """Send an envelope (events_api, slash_commands, interactive) down the socket; return its id."""
        await asyncio.wait_for(self.socket_connected.wait(), 5)
        envelope_id = envelope_id or f"env-{next(self._envelopes)}"
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                    "accepts_response_payload": kind != "events_api"}
        if kind == "events_api":
            envelope |= {"retry_attempt": retry_attempt, "retry_reason": retry_reason}
        await self._sockets[-1].send_str(json.dumps(envelope))
        return envelope_id

    async def wait_ack(self, envelope_id: str, within: float = 5.0) -> dict[str, Any]:
        await self.wait_for(lambda: envelope_id in self.acks, within)
        return self.acks[envelope_id]

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1,
                                      "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
                                      "connection_info": {"app_id": APP_ID}}))
        self.socket_connected.set()
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            if "envelope_id" in data:
                self.acks[data["envelope_id"]] = data
                await self._record("ack", data["envelope_id"])
        return ws

    # ------------------------------------------------------------------ response_url

    async def _respond(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.responses.append((name, await request.json()))
        await self._record("respond", name)
        if self.response_refusals:
            status, body = self.response_refusals.pop(0)
            return web.Response(status=status, text=body)
        return web.json_response({"ok": True})

    # ------------------------------------------------------------------ Web API

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params |= await request.json()
            else:
                params |= {k: _decoded(v) for k, v in (await request.post()).items()}
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self._rate_limit_next.get(method):
            retry_after = self._rate_limit_next[method].pop(0)
            self.rate_limited.append((method, retry_after))
            await self._record("429", method)
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(retry_after)})
        self.calls.append(ApiCall(method, params, token))
        if self._outage_next.get(method):
            status = self._outage_next[method].pop(0)
            if status == 0:
                await self._record("api", method)
                assert request.transport is not None
                request.transport.close()
                return web.Response(status=500)  # never sent: the connection is gone
            await self._record("api", method)
            return web.Response(status=status, text="upstream connect error or disconnect/reset before headers")
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if token in self.revoked_tokens:  # the app uninstalled, or the token rotated
            body = {"ok": False, "error": "token_revoked"}
        elif self._fail_next.get(method):
            body = {"ok": False, "error": self._fail_next[method].pop(0)}
        elif method in ("chat.postMessage", "chat.update") and block_kit_problems(_decoded(params.get("blocks")) or []):
            # What Slack answers for a message over a Block Kit limit: nothing is posted.
            body = {"ok": False, "error": "invalid_blocks",
                    "errors": block_kit_problems(_decoded(params.get("blocks")) or [])}
        else:
            body = handler(params, token) if handler else {"ok": False, "error": "unknown_method"}
        await self._record("api", method)
        return web.json_response(body)

    def _auth_test(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        if not token.startswith("xoxb-") or "revoked" in token:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": "https://interp-fake.slack.com/", "team": "Interp", "user": "interp-bot",
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}

    def _apps_connections_open(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        if not token.startswith("xapp-") or "revoked" in token:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}

    def _chat_postMessage(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        ts = self._next_ts()
        message = Message(ts, channel, str(params.get("text", "")), _decoded(params.get("blocks")) or [],
                          _decoded(params.get("metadata")))
        self.messages.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": ts,
                "message": message.as_history(include_metadata=True)}

    def _chat_update(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        message = self._find(str(params.get("channel", "")), str(params.get("ts", "")))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.text = str(params.get("text", ""))
        message.blocks = _decoded(params.get("blocks")) or []
        if params.get("metadata"):
            message.metadata = _decoded(params["metadata"])
        return {"ok": True, "channel": message.channel, "ts": message.ts, "text": message.text}

    def _reactions_add(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        message = self._find(str(params.get("channel", "")), str(params.get("timestamp", "")))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        users = message.reactions.setdefault(str(params.get("name", "")), [])
        if BOT_USER_ID in users:
            return {"ok": False, "error": "already_reacted"}
        users.append(BOT_USER_ID)
        return {"ok": True}

    def _conversations_history(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        limit = int(params.get("limit", 100))
        newest_first = list(reversed(self.messages.get(str(params.get("channel", "")), [])))
        include = _truthy(params.get("include_all_metadata", False))
        return {"ok": True, "messages": [m.as_history(include_metadata=include) for m in newest_first[:limit]],
                "has_more": len(newest_first) > limit, "pin_count": 0}

    def _usergroups_users_list(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        group = str(params.get("usergroup", ""))
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.usergroups[group])}

    def _find(self, channel: str, ts: str) -> Message | None:
        return next((m for m in self.messages.get(channel, []) if m.ts == ts), None)


# ---------------------------------------------------------------------- Block Kit limits, as Slack enforces them

# https://docs.slack.dev/reference/block-kit/blocks and .../block-elements: beyond these Slack answers
# invalid_blocks and posts nothing.
BLOCK_LIMITS = {"blocks": 50, "header": 150, "section": 3000, "section_field": 2000, "section_fields": 10,
                "context_elements": 10, "context_text": 3000, "button_text": 75, "button_value": 2000,
                "action_id": 255, "block_id": 255, "actions_elements": 25}


def block_kit_problems(blocks: list[dict[str, Any]]) -> list[str]:
    """Every Block Kit limit these blocks break (empty when Slack would accept them)."""
    problems = []
    if len(blocks) > BLOCK_LIMITS["blocks"]:
        problems.append(f"more than {BLOCK_LIMITS['blocks']} blocks")

    def check(what: str, text: str, limit: str) -> None:
        if len(text) > BLOCK_LIMITS[limit]:
            problems.append(f"{what}: {len(text)} characters, more than {BLOCK_LIMITS[limit]}")
        if not text:
            problems.append(f"{what}: empty text")

    for number, block in enumerate(blocks):
        kind = block.get("type")
        if len(block.get("block_id", "")) > BLOCK_LIMITS["block_id"]:
            problems.append(f"block {number}: block_id too long")
        if kind == "header":
            check(f"block {number} header", block["text"]["text"], "header")
        elif kind == "section":
            if "text" in block:
                check(f"block {number} section", block["text"]["text"], "section")
            fields = block.get("fields", [])
            if len(fields) > BLOCK_LIMITS["section_fields"]:
                problems.append(f"block {number}: more than {BLOCK_LIMITS['section_fields']} fields")
            for field_ in fields:
                check(f"block {number} field", field_["text"], "section_field")
        elif kind == "context":
            if len(block["elements"]) > BLOCK_LIMITS["context_elements"]:
                problems.append(f"block {number}: more than {BLOCK_LIMITS['context_elements']} context elements")
            for element in block["elements"]:
                check(f"block {number} context", element["text"], "context_text")
        elif kind == "actions":
            if len(block["elements"]) > BLOCK_LIMITS["actions_elements"]:
                problems.append(f"block {number}: too many elements")
            for element in block["elements"]:
                check(f"block {number} button", element["text"]["text"], "button_text")
                check(f"block {number} button value", element.get("value", "-"), "button_value")
                check(f"block {number} action_id", element.get("action_id", "-"), "action_id")
        else:
            problems.append(f"block {number}: unknown type {kind!r}")
    return problems


# ---------------------------------------------------------------------- helpers for the Slack tests

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "slack"


def sample(name: str, **changes: Any) -> dict[str, Any]:
    """A payload from tests/data/slack (built from Slack's docs), with top-level fields replaced."""
    data = json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return data | changes


def reaction_event(kind: str, *, user: str, reaction: str, channel: str, ts: str, event_id: str) -> dict[str, Any]:
    """An Events API `event_callback` body for reaction_added / reaction_removed on a message."""
    body = sample(kind, event_id=event_id)
    body["event"] = body["event"] | {"user": user, "reaction": reaction,
                                     "item": {"type": "message", "channel": channel, "ts": ts}}
    return body


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature: v0= + HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return f"v0={digest}"


class FakeTime:
    """A clock and a sleep for the adapter's pacing and retries: sleeping advances the clock instantly."""

    def __init__(self, start: float = 1000.0):
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)
