"""A loopback fake of Discord that the real discord.py client talks to.

REST: the handful of routes the bot uses, answered with the documented payload shapes (templates in
tests/data/discord/), every call recorded as (method, path, query, json). Gateway: a websocket that sends HELLO,
takes IDENTIFY, answers with READY and GUILD_CREATE, acks heartbeats, and lets a test inject dispatches
(INTERACTION_CREATE, MESSAGE_REACTION_ADD/REMOVE). It speaks `zlib-stream` transport compression when the
client asks for it (as discord.py does without a zstd module): one zlib stream per connection, each message
flushed with Z_SYNC_FLUSH so it ends in 00 00 ff ff, which is how the client knows a message is complete.

How discord.py 2.7 finds it: REST through `discord.http.Route.BASE`; the gateway URL through
`DiscordWebSocket.DEFAULT_GATEWAY` (an unsharded Client connects there without asking `/gateway/bot`; the fake
answers `/gateway/bot` too, with the same URL) and afterwards through READY's `resume_gateway_url`.

Tests wait on recorded calls with `wait_for`, never by sleeping.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

DATA = Path(__file__).resolve().parent.parent / "data" / "discord"

APP_ID = "1100000000000000001"
GUILD_ID = "1200000000000000001"
MAINTAINERS_CHANNEL = "1300000000000000001"
DIGEST_CHANNEL = "1300000000000000002"
GENERAL_CHANNEL = "1300000000000000003"
MAINTAINER_ROLE = "1400000000000000001"
BOT_ROLE = "1400000000000000002"
ALICE = "1500000000000000001"  # maintainer, by role
BOB = "1500000000000000002"  # maintainer, by role
CAROL = "1500000000000000003"  # not a maintainer


def sample(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


@dataclass
class Call:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any
    at: float = field(default_factory=time.monotonic)  # when it arrived, to check retry delays


@dataclass
class CannedError:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


# https://discord.com/developers/docs/resources/message#embed-object-embed-limits, plus the 2048-character URL
# limit Discord's form validation applies to embed URLs and the 2000-character message content.
EMBED_LIMITS = {"title": 256, "description": 4096, "fields": 25, "field_name": 256, "field_value": 1024,
                "footer": 2048, "author": 256, "total": 6000, "url": 2048, "content": 2000}


def embed_problems(embed: dict[str, Any]) -> list[str]:
    """Every limit this embed breaks (empty when Discord would accept it)."""
    problems = []

    def check(what: str, text: str | None, limit: str) -> None:
        if text is not None and len(text) > EMBED_LIMITS[limit]:
            problems.append(f"{what}: {len(text)} characters, more than {EMBED_LIMITS[limit]}")

    check("title", embed.get("title"), "title")
    check("description", embed.get("description"), "description")
    check("url", embed.get("url"), "url")
    check("footer", (embed.get("footer") or {}).get("text"), "footer")
    check("author", (embed.get("author") or {}).get("name"), "author")
    fields = embed.get("fields") or []
    if len(fields) > EMBED_LIMITS["fields"]:
        problems.append(f"{len(fields)} fields, more than {EMBED_LIMITS['fields']}")
    for field_ in fields:
        check("field name", field_.get("name"), "field_name")
        check("field value", field_.get("value"), "field_value")
        if not field_.get("name") or not field_.get("value"):
            problems.append("a field without a name or value")
    total = sum(len(embed.get(key) or "") for key in ("title", "description")) + len(
        (embed.get("footer") or {}).get("text") or "") + len((embed.get("author") or {}).get("name") or "") + sum(
        len(f.get("name") or "") + len(f.get("value") or "") for f in fields)
    if total > EMBED_LIMITS["total"]:
        problems.append(f"embed total {total} characters, more than {EMBED_LIMITS['total']}")
    return problems


def message_problems(body: dict[str, Any]) -> list[str]:
    if isinstance(body.get("data"), dict):  # an interaction callback carries the message in `data`
        body = body["data"]
    problems = [problem for embed in body.get("embeds") or [] for problem in embed_problems(embed)]
    if len(body.get("content") or "") > EMBED_LIMITS["content"]:
        problems.append(f"content longer than {EMBED_LIMITS['content']} characters")
    return problems


def _json(payload: Any, status: int, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json", as Discord sends it: discord.py parses the body only for that content type.
    return web.Response(body=json.dumps(payload).encode(), status=status,
                        headers={**(headers or {}), "Content-Type": "application/json"})


def _timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00", time.gmtime())


class FakeDiscord:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.user = sample("user_me")
        self.guild = sample("guild_create")
        self.members: dict[str, dict[str, Any]] = {ALICE: sample("member")}
        self.messages: dict[str, dict[str, Any]] = {}  # message id -> message object
        self.deleted: set[str] = set()  # ids of messages someone deleted (Discord answers 404 Unknown Message)
        self.deleted_channels: set[str] = set()  # ids of channels someone deleted (404 Unknown Channel)
        self._nonces: dict[tuple[str, str], str] = {}  # (channel, nonce) -> message id
        self._errors: list[CannedError] = []
        self._holds: list[tuple[str, re.Pattern[str], asyncio.Event]] = []
        self._ids = itertools.count(1900000000000000001)
        self._interaction_types: dict[str, Any] = {}  # interaction id -> its type, as dispatched
        self._waiters: list[tuple[Callable[[Call], bool], asyncio.Future[Call]]] = []
        self._sockets: list[_GatewaySocket] = []
        self._background: set[asyncio.Task[None]] = set()
        self.identify: dict[str, Any] | None = None
        self.identifies = 0  # IDENTIFYs received: a new one after the first is a reconnection
        self.resumes = 0  # RESUMEs received: a session taken up again after a dropped connection
        self.refuse_identify: int | None = None  # a close code to answer each IDENTIFY with (4004, 4014)
        self.gateway_attempts = 0  # websocket connections asked for, answered or not
        self.unreachable = 0  # how many of the next connections to refuse with 503 (the gateway out of reach)
        self._gateway_hold: asyncio.Event | None = None
        self._identified = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for socket in list(self._sockets):
            await socket.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ test controls

    def fail_next(self, method: str, path_pattern: str, status: int, body: dict[str, Any],
                  headers: dict[str, str] | None = None) -> None:
        """Answer the next matching call with this error; status 0: no answer, the connection dropped."""
        self._errors.append(CannedError(method, re.compile(path_pattern), status, body, headers or {}))

    def hold_next(self, method: str, path_pattern: str) -> asyncio.Event:
        """Leave the next matching call unanswered until the returned event is set (a slow Discord)."""
        release = asyncio.Event()
        self._holds.append((method, re.compile(path_pattern), release))
        return release

    def rate_limit_next(self, method: str, path_pattern: str, retry_after: float = 0.05) -> None:
        """Answer the next matching call with a per-route 429, the way Discord (behind Cloudflare) does."""
        self.fail_next(method, path_pattern, 429,
                       {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
                       {"Via": "1.1 google", "Retry-After": str(retry_after), "X-RateLimit-Limit": "5",
                        "X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": str(retry_after),
                        "X-RateLimit-Bucket": "fake-bucket", "X-RateLimit-Scope": "user"})

    def find(self, method: str, path_pattern: str, predicate: Callable[[Call], bool] | None = None) -> list[Call]:
        pattern = re.compile(path_pattern)
        return [c for c in self.calls if c.method == method and pattern.fullmatch(c.path)
                and (predicate is None or predicate(c))]

    async def wait_for(self, method: str, path_pattern: str, predicate: Callable[[Call], bool] | None = None,
                       *, within: float = 5.0, after: int = 0) -> Call:
        """The first recorded call (from index `after`) matching, waiting for it if it has not happened yet."""
        pattern = re.compile(path_pattern)

        def matches(call: Call) -> bool:
            return call.method == method and bool(pattern.fullmatch(call.path)) and (
                predicate is None or predicate(call))

        for call in self.calls[after:]:
            if matches(call):
                return call
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self._waiters.append((matches, future))
        try:
            return await asyncio.wait_for(future, within)
        finally:
            self._waiters = [(m, f) for m, f in self._waiters if f is not future]

    async def wait_for_identifies(self, count: int, within: float = 5.0) -> None:
        async with self._identified:
            await asyncio.wait_for(self._identified.wait_for(lambda: self.identifies >= count), within)

    async def wait_for_resumes(self, count: int, within: float = 5.0) -> None:
        async with self._identified:
            await asyncio.wait_for(self._identified.wait_for(lambda: self.resumes >= count), within)

    async def wait_for_gateway_attempts(self, count: int, within: float = 5.0) -> None:
        async with self._identified:
            await asyncio.wait_for(self._identified.wait_for(lambda: self.gateway_attempts >= count), within)

    def hold_gateway(self) -> asyncio.Event:
        """Leave the next websocket connection unanswered until the returned event is set."""
        self._gateway_hold = asyncio.Event()
        return self._gateway_hold

    def drop_gateway(self) -> None:
        """Lose every gateway connection without a close frame (a network failure)."""
        for socket in list(self._sockets):
            if socket.transport is not None:
                socket.transport.abort()

    async def close_gateway(self, code: int) -> None:
        """End every gateway session with this close code (4004: authentication failed; discord.py does not
        reconnect after it, and `client.connect()` ends with ConnectionClosed)."""
        for socket in list(self._sockets):
            await socket.ws.close(code=code)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway DISPATCH to every connected client."""
        if event == "INTERACTION_CREATE" and isinstance(data, dict) and "id" in data:
            self._interaction_types[str(data["id"])] = data.get("type")
        for socket in list(self._sockets):
            await socket.dispatch(event, data)

    def new_id(self) -> str:
        return str(next(self._ids))

    def add_message(self, channel_id: str, *, author_id: str = APP_ID, embeds: list[dict[str, Any]] | None = None,
                    components: list[dict[str, Any]] | None = None, flags: int = 0) -> dict[str, Any]:
        message = {
            "id": self.new_id(), "channel_id": channel_id, "guild_id": GUILD_ID,
            "author": {**self.user} if author_id == APP_ID else {"id": author_id, "username": "someone",
                                                                  "discriminator": "0", "avatar": None},
            "content": "", "timestamp": _timestamp(), "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
            "embeds": embeds or [], "pinned": False, "type": 0, "flags": flags, "components": components or [],
        }
        self.messages[message["id"]] = message
        return message

    def delete_message(self, message_id: str) -> None:
        """Someone (a moderator, a maintainer) deletes a message: editing it is answered 404 from now on."""
        self.messages.pop(message_id, None)
        self.deleted.add(message_id)

    def delete_channel(self, channel_id: str) -> dict[str, Any]:
        """Someone deletes a channel: it leaves the guild, and the payload of its CHANNEL_DELETE is returned."""
        channel = next(c for c in self.guild["channels"] if c["id"] == channel_id)
        self.guild["channels"].remove(channel)
        self.deleted_channels.add(channel_id)
        return {**channel, "guild_id": GUILD_ID}

    # ------------------------------------------------------------------ REST

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw and request.content_type == "application/json" else raw.decode() or None
        call = Call(request.method, path, dict(request.query), body)
        self.calls.append(call)
        for matches, future in list(self._waiters):
            if not future.done() and matches(call):
                future.set_result(call)
        held = next((h for h in self._holds if h[0] == request.method and h[1].fullmatch(path)), None)
        if held is not None:
            self._holds.remove(held)
            await held[2].wait()
        for error in self._errors:
            if error.method == request.method and error.pattern.fullmatch(path):
                self._errors.remove(error)
                if error.status == 0:  # no answer at all: the connection dropped (the client sees a disconnect)
                    assert request.transport is not None
                    request.transport.close()
                    return web.Response(status=500)  # never sent
                return _json(error.body, error.status, error.headers)
        problems = message_problems(body) if isinstance(body, dict) and request.method in ("POST", "PATCH") else []
        if problems:  # Discord's answer to a message over its limits: 400, "Invalid Form Body", nothing sent
            errors = {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": problem} for problem in problems]}
            return _json({"message": "Invalid Form Body", "code": 50035, "errors": {"embeds": errors}}, 400)
        status, payload = self._answer(request.method, path, body)
        if status == 204:
            return web.Response(status=204)
        return _json(payload, status)

    def _answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        routes: list[tuple[str, str, Callable[..., tuple[int, Any]]]] = [
            ("GET", r"/gateway(/bot)?", self._gateway_bot),
            ("GET", r"/users/@me", lambda _body: (200, self.user)),
            ("GET", r"/oauth2/applications/@me", lambda _body: (200, sample("application"))),
            ("PUT", r"/applications/(\d+)(?:/guilds/(\d+))?/commands", self._commands),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._callback),
            ("POST", r"/webhooks/(\d+)/([^/]+)", self._followup),
            ("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/([^/]+)", self._webhook_edit),
            ("GET", r"/channels/(\d+)", self._channel),
            ("POST", r"/channels/(\d+)/messages", self._create_message),
            ("PATCH", r"/channels/(\d+)/messages/(\d+)", self._edit_message),
            ("PUT", r"/channels/(\d+)/messages/(\d+)/reactions/([^/]+)/@me", self._react),
            ("GET", r"/guilds/(\d+)/members/(\d+)", self._member),
        ]
        for route_method, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if route_method == method and match:
                return handler(*match.groups(), body)
        return 404, {"message": "404: Not Found", "code": 0}

    def _gateway_bot(self, *_: Any) -> tuple[int, Any]:
        return 200, {**sample("gateway_bot"), "url": self.gateway_url}

    def _commands(self, app_id: str, guild_id: str | None, body: list[dict[str, Any]]) -> tuple[int, Any]:
        created = []
        for command in body:
            created.append({**command, "id": self.new_id(), "application_id": app_id, "version": self.new_id(),
                            "default_member_permissions": None, "type": command.get("type", 1),
                            **({"guild_id": guild_id} if guild_id else {})})
        return 200, created

    def _callback(self, interaction_id: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
        kind = body["type"]
        # Discord takes only choices (8) for an autocomplete request (interaction type 4), and choices for nothing
        # else: a message sent to one is refused.
        if (self._interaction_types.get(interaction_id) == 4) != (kind == 8):
            return 400, {"message": "Interaction response type is not valid for this interaction", "code": 50035}
        data = body.get("data") or {}
        response: dict[str, Any] = {"interaction": {"id": interaction_id, "type": 2}}
        if kind in (4, 5):  # a message, or "thinking" that a followup replaces
            message = self.add_message(GENERAL_CHANNEL, embeds=data.get("embeds"), components=data.get("components"),
                                       flags=data.get("flags", 0))
            message["content"] = data.get("content", "")
            message["interaction_token"] = token
            response["interaction"].update(response_message_id=message["id"], response_message_loading=kind == 5,
                                           response_message_ephemeral=bool(data.get("flags", 0) & 64))
            response["resource"] = {"type": kind, "message": message}
        elif kind == 7:  # update the component's message
            response["resource"] = {"type": kind}
        return 200, response

    def _original(self, token: str) -> dict[str, Any] | None:
        return next((m for m in self.messages.values() if m.get("interaction_token") == token), None)

    def _followup(self, app_id: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
        message = self.add_message(GENERAL_CHANNEL, embeds=body.get("embeds"), components=body.get("components"),
                                   flags=body.get("flags", 0))
        message["content"] = body.get("content", "")
        message["webhook_id"] = app_id
        return 200, message

    def _webhook_edit(self, app_id: str, token: str, message_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        message = self._original(token) if message_id == "@original" else self.messages.get(message_id)
        if message is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        message.update({k: v for k, v in body.items() if k in ("content", "embeds", "components")})
        return 200, message

    def _channel(self, channel_id: str, _body: Any = None) -> tuple[int, Any]:
        channel = next((c for c in self.guild["channels"] if c["id"] == channel_id), None)
        if channel is None:
            return 404, {"message": "Unknown Channel", "code": 10003}
        return 200, {**channel, "guild_id": GUILD_ID}

    def _create_message(self, channel_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce") and (channel_id, nonce) in self._nonces:
            # Discord's documented behaviour: the earlier message comes back, no second one is created.
            return 200, self.messages[self._nonces[(channel_id, nonce)]]
        message = self.add_message(channel_id, embeds=body.get("embeds"), components=body.get("components"),
                                   flags=body.get("flags", 0))
        message["content"] = body.get("content", "")
        if nonce is not None:
            message["nonce"] = nonce
            self._nonces[(channel_id, nonce)] = message["id"]
        return 200, message

    def _edit_message(self, channel_id: str, message_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        if channel_id in self.deleted_channels:
            return 404, {"message": "Unknown Channel", "code": 10003}
        if message_id in self.deleted:
            return 404, {"message": "Unknown Message", "code": 10008}
        message = self.messages.get(message_id)
        if message is None:
            message = self.add_message(channel_id)  # posted before this fake started: Discord still has it
            self.messages.pop(message["id"])
            message["id"] = message_id
            self.messages[message_id] = message
        message.update({k: v for k, v in body.items() if k in ("content", "embeds", "components", "flags")})
        message["edited_timestamp"] = _timestamp()
        return 200, message

    def _react(self, channel_id: str, message_id: str, emoji: str, _body: Any) -> tuple[int, Any]:
        """Like Discord, tell every connected client about the bot's own reaction too."""
        from urllib.parse import unquote

        bot_member = next(m for m in self.guild["members"] if m["user"]["id"] == APP_ID)
        event = {**sample("reaction_add"), "user_id": APP_ID, "message_id": message_id, "channel_id": channel_id,
                 "emoji": {"id": None, "name": unquote(emoji)}, "member": bot_member}
        task = asyncio.get_running_loop().create_task(self.dispatch("MESSAGE_REACTION_ADD", event))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return 204, None

    def _member(self, guild_id: str, user_id: str, _body: Any = None) -> tuple[int, Any]:
        member = self.members.get(user_id)
        if member is None:
            return 404, {"message": "Unknown Member", "code": 10007}
        return 200, member

    # ------------------------------------------------------------------ gateway

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        self.gateway_attempts += 1
        async with self._identified:
            self._identified.notify_all()
        if self.unreachable:
            self.unreachable -= 1
            return web.Response(status=503, text="upstream connect error")
        hold, self._gateway_hold = self._gateway_hold, None
        if hold is not None:
            await hold.wait()
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        socket = _GatewaySocket(self, ws, zlib_stream=request.query.get("compress") == "zlib-stream")
        assert request.transport is not None
        socket.transport = request.transport
        self._sockets.append(socket)
        try:
            await socket.run()
        finally:
            self._sockets.remove(socket)
        return ws


class _GatewaySocket:
    """One client connection: the documented opcodes (0 dispatch, 1 heartbeat, 2 identify, 10 hello, 11 ack)."""

    def __init__(self, fake: FakeDiscord, ws: web.WebSocketResponse, *, zlib_stream: bool):
        self.fake = fake
        self.ws = ws
        self.sequence = 0
        self._compressor = zlib.compressobj() if zlib_stream else None
        self._lock = asyncio.Lock()
        self.transport: asyncio.Transport | None = None

    async def send(self, payload: dict[str, Any]) -> None:
        text = json.dumps(payload)
        async with self._lock:  # one zlib stream: frames must go out in the order they were compressed
            if self._compressor is None:
                await self.ws.send_str(text)
            else:
                data = self._compressor.compress(text.encode()) + self._compressor.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        self.sequence += 1
        await self.send({"op": 0, "t": event, "s": self.sequence, "d": data})

    async def run(self) -> None:
        await self.send({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for message in self.ws:
            if message.type != WSMsgType.TEXT:
                continue
            payload = json.loads(message.data)
            op = payload.get("op")
            if op == 1:
                await self.send({"op": 11, "d": None, "s": None, "t": None})
            elif op == 2 and self.fake.refuse_identify is not None:
                await self.ws.close(code=self.fake.refuse_identify)
            elif op == 2:
                self.fake.identify = payload["d"]
                self.fake.identifies += 1
                async with self.fake._identified:
                    self.fake._identified.notify_all()
                ready = sample("ready")
                ready["resume_gateway_url"] = self.fake.gateway_url
                await self.dispatch("READY", ready)
                await self.dispatch("GUILD_CREATE", copy.deepcopy(self.fake.guild))
            elif op == 6:  # RESUME: nothing was missed in a test, so just confirm
                await self.dispatch("RESUMED", {})
                self.fake.resumes += 1
                async with self.fake._identified:
                    self.fake._identified.notify_all()
