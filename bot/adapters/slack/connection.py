"""The Slack adapter: a bolt AsyncApp over Socket Mode (default) or HTTP, wired to the commands and curation.

In: `/interp ...` slash commands and paging clicks become `Commands.execute` calls answered through the
command's `response_url`; `reaction_added` / `reaction_removed` events become neutral Votes for the core; anything
else Slack sends is acknowledged and skipped (`_AcknowledgeUnhandled`).
Out: the core's posts go to channels through `SlackPoster` (paced, reconciled, reactions pre-added).
Everything runs in the caller's event loop; `start()` returns once connected.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.listener.async_listener_error_handler import AsyncListenerErrorHandler
from slack_bolt.middleware.authorization.async_single_team_authorization import AsyncSingleTeamAuthorization
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot import errors
from bot.adapters.slack import translate
from bot.adapters.slack.http_mode import SignedRequestServer, payload_problem
from bot.adapters.slack.members import MaintainerDirectory
from bot.adapters.slack.poster import SlackPoster
from bot.adapters.slack.render import COMMAND_PREFIX, PAGE_ACTION_PREFIX, fallback_text, reply_blocks
from bot.adapters.slack.retry import TOKEN_REFUSALS, RetryAfterHandler, WebClient, api_error
from bot.catalogue.text import one_line
from bot.chat import runner
from bot.chat.adapter import UP, AdapterHealth, ChannelRole, PostRef, VoteHandler
from bot.chat.values import Post, Reply
from bot.commands import Commands
from bot.curation.maintainers import Maintainers
from bot.errors import AdapterError, ConfigError
from bot.pacing import InArrivalOrder, KeyedPacer

log = logging.getLogger(__name__)

PLATFORM = "slack"
CONNECT_TIMEOUT = 30.0
# Any slash command: the manifest defines /interp, and a workspace that renames it keeps working.
ANY_SLASH_COMMAND = re.compile(r"^/")
PAGE_ACTION = re.compile("^" + re.escape(PAGE_ACTION_PREFIX))

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class SlackOptions:
    """Everything the Slack adapter is configured with (built from Settings by `create_adapter`)."""

    bot_token: str
    mode: Literal["socket", "http"] = "socket"
    app_token: str = ""  # Socket Mode
    signing_secret: str = ""  # HTTP mode
    http_host: str = "0.0.0.0"  # noqa: S104  # HTTP mode serves Slack from outside; the deployer picks the port
    http_port: int = 3000
    http_body_timeout: float = 10.0  # HTTP mode: seconds a request may take to send its headers, and its body
    maintainers_channel: str = ""
    digest_channel: str = ""
    maintainer_usergroups: tuple[str, ...] = ()
    ephemeral: bool = True
    api_url: str = "https://slack.com/api/"
    post_interval: float = 1.0  # seconds between posts in one channel (Slack's documented rate)
    connect_timeout: float = CONNECT_TIMEOUT

    def __post_init__(self) -> None:
        if self.mode not in ("socket", "http"):
            raise ValueError(f"unknown Slack mode {self.mode!r}")


class SlackAdapter:
    platform = PLATFORM
    command_prefix = COMMAND_PREFIX  # how posts name a command here (the digest's `candidates --all`)

    def __init__(
        self,
        options: SlackOptions,
        *,
        commands: Commands,
        curation: VoteHandler | None,
        maintainers: Maintainers | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ):
        self.options = options
        self.mode = options.mode
        self.commands = commands
        self.curation = curation
        self.ephemeral = options.ephemeral
        # No digest channel means no digest on Slack (as on Discord), never a fallback into the maintainers'.
        self._channels: dict[ChannelRole, str] = {"maintainers": options.maintainers_channel,
                                                  "digest": options.digest_channel}
        self.bot_user_id = ""
        # The retry handler honours 429 Retry-After with an asyncio sleep; every Web API call goes through it.
        self.client = WebClient(token=options.bot_token, base_url=options.api_url,
                                retry_handlers=[RetryAfterHandler(sleep=sleep)])
        self.poster = SlackPoster(self.client, KeyedPacer(options.post_interval, since="end", clock=clock, sleep=sleep))
        # Who counts is the core's rule (Maintainers); Slack only tells us which user groups a person is in.
        self.maintainers = maintainers or Maintainers.none()
        self.directory = MaintainerDirectory(self.client, usergroups=options.maintainer_usergroups, clock=clock)
        self._reactions_in_order = InArrivalOrder()
        self.app = self._build_app()
        self._socket: AsyncSocketModeHandler | None = None
        self._http: SignedRequestServer | None = None
        self._started = False

    # ------------------------------------------------------------------ ChatAdapter

    def channel_for(self, role: ChannelRole) -> str | None:
        return self._channels.get(role) or None

    async def start(self) -> None:
        if self._started:
            return
        try:
            identity = await self.client.auth_test()
        except SlackApiError as exc:
            raise _token_refusal(exc, f"Slack rejected SLACK_BOT_TOKEN: {api_error(exc) or exc}") from None
        self.bot_user_id = str(identity.get("user_id") or "")
        _tell_bolt_who_we_are(self.app, identity)
        if self.mode == "socket":
            await self._start_socket_mode()
        else:
            await self._start_http_mode()
        self._started = True
        log.info("Slack: connected as %s (%s mode)", identity.get("user") or self.bot_user_id, self.mode)

    async def stop(self) -> None:
        self._started = False
        socket, self._socket = self._socket, None
        if socket is not None:
            await socket.close_async()
        http, self._http = self._http, None
        if http is not None:
            await http.stop()

    async def health(self) -> AdapterHealth:
        """HTTP mode is up while its server listens; Socket Mode while its websocket is connected (slack_sdk's
        client reconnects a dropped one by itself, with back-off; meanwhile this says down). Either is down while
        Slack refuses the bot token, from its last Web API call on."""
        if not self._started:
            return AdapterHealth("down", "not started")
        if refused := self.client.bot_token_refused:  # nothing posts, edits or reacts until it is mended
            return AdapterHealth("down", errors.slack_bot_token_refused(refused))
        if self._socket is not None and not await self._socket.client.is_connected():
            if refused := self.client.socket_url_refused:  # a revoked app token, Socket Mode turned off
                return AdapterHealth("down", f"{errors.slack_app_token_refused(refused)}; slack_sdk keeps retrying")
            return AdapterHealth("down", "the Socket Mode connection is down; slack_sdk is reconnecting")
        return UP

    async def publish(self, post: Post, role: ChannelRole) -> PostRef:
        channel = self.channel_for(role)
        if not channel:
            variable = "INTERP_BOT_SLACK_MAINTAINERS_CHANNEL" if role == "maintainers" else \
                "INTERP_BOT_SLACK_DIGEST_CHANNEL"
            raise AdapterError(f"no Slack channel for {role}: set {variable}")
        ts = await self.poster.publish(channel, post)
        return PostRef(platform=PLATFORM, channel_id=channel, message_id=ts)

    async def edit(self, ref: PostRef, post: Post) -> None:
        await self.poster.edit(ref.channel_id, ref.message_id, post)

    @property
    def http_port(self) -> int:
        """The port HTTP mode listens on (the real one, when configured with 0)."""
        return self._http.port if self._http is not None else self.options.http_port

    # ------------------------------------------------------------------ connection

    def _build_app(self) -> AsyncApp:
        bolt_log = logging.getLogger("slack_bolt.interp_bot")
        # bolt reads SLACK_BOT_TOKEN from the environment by itself and then warns that our client (which carries
        # that very token) makes it unused: true, expected, and nothing an operator can act on.
        if not any(isinstance(f, _NotTheUnusedTokenWarning) for f in bolt_log.filters):
            bolt_log.addFilter(_NotTheUnusedTokenWarning())
        app = AsyncApp(
            client=self.client,  # carries the bot token, the base URL and the 429 handler
            # Socket Mode envelopes are authenticated by the app token's connection; bolt skips the check there.
            signing_secret=self.options.signing_secret or None,
            request_verification_enabled=self.mode == "http",
            # A logger of our own (level unset) makes bolt's loggers inherit "slack_bolt"'s level, which
            # bot.logs keeps at WARNING unless debugging; without it bolt copies the root level onto them.
            logger=bolt_log,
            # A request no listener takes is handed to the listener error handler (below) instead of being answered
            # 404, which bolt's Socket Mode handler never sends back.
            raise_error_for_unhandled_request=True,
        )
        runner = app.listener_runner
        runner.listener_error_handler = _AcknowledgeUnhandled(runner.listener_error_handler)
        app.command(ANY_SLASH_COMMAND)(self._on_command)
        app.action(PAGE_ACTION)(self._on_page)
        app.event("reaction_added")(self._on_reaction)
        app.event("reaction_removed")(self._on_reaction)
        return app

    async def _start_socket_mode(self) -> None:
        # Ask for the websocket URL ourselves first: the SDK's connect() retries a refused app token forever,
        # and start() must fail with a clear message instead.
        try:
            opened = await self.client.apps_connections_open(app_token=self.options.app_token)
        except SlackApiError as exc:
            raise _token_refusal(exc, errors.slack_app_token_refused(api_error(exc) or str(exc))) from None
        handler = _CheckedSocketModeHandler(self.app, app_token=self.options.app_token, web_client=self.client)
        handler.client.wss_uri = str(opened["url"])
        try:
            await asyncio.wait_for(handler.connect_async(), timeout=self.options.connect_timeout)
        except TimeoutError:
            await handler.close_async()
            raise AdapterError(
                f"Slack Socket Mode did not connect within {self.options.connect_timeout:.0f} s") from None
        self._socket = handler

    async def _start_http_mode(self) -> None:
        options = self.options
        server = SignedRequestServer(self.app, options.signing_secret, host=options.http_host, port=options.http_port,
                                     body_timeout=options.http_body_timeout)
        try:
            await server.start()
        except OSError as exc:
            raise AdapterError(f"Slack HTTP mode cannot listen on port {options.http_port}: {exc.strerror}") from None
        self._http = server

    # ------------------------------------------------------------------ listeners

    async def _on_command(self, ack: Any, body: Mapping[str, Any], respond: Any) -> None:
        # Slack allows three seconds for the acknowledgement; the answer follows through response_url.
        await ack()
        user_id, user_name = translate.command_user(body)
        line = translate.command_line(body)
        reply = await self._run(line, user_id, user_name)
        # The maintainers' commands answer the asker alone, whatever INTERP_BOT_SLACK_EPHEMERAL says for lookups: a
        # candidates list is the asker's working list (in the channel it would bury the conversation, and show
        # what the budget held back to everyone), a decision is seen where it matters anyway (the candidate's post
        # is edited), and a non-maintainer's refusal needs no audience.
        private = self.ephemeral or self.commands.for_maintainers(line)
        await self._answer(respond, reply, response_type="ephemeral" if private else "in_channel")

    async def _on_page(self, ack: Any, body: Mapping[str, Any], respond: Any) -> None:
        await ack()
        request = translate.page_request(body)
        if request is None:  # our action id, but no command and page of ours in the value (or no user)
            log.info("Slack: skipped a click on a paging button interp-bot cannot read; acknowledged")
            return
        reply = await self._run(request.command, request.user_id, request.display_name, page=request.page)
        await self._answer(respond, reply, replace_original=True)

    async def _on_reaction(self, body: Mapping[str, Any]) -> None:
        # bolt has already acknowledged the event (events are acked before listeners run), so a slow vote
        # never makes Slack retry; a retry that does come carries the same event_id and the core ignores it.
        if self.curation is None:
            return
        # Each envelope runs as a task of its own: a ✅ taken back at once raced its own removal, and when the
        # removal was counted first the vote stood. The reactions on one message are counted in arrival order.
        async with self._reactions_in_order.turn(translate.reaction_item(body)):
            await self._count_reaction(self.curation, body)

    async def _count_reaction(self, curation: VoteHandler, body: Mapping[str, Any]) -> None:
        user = translate.reaction_user(body)
        roles = await self.directory.roles_of(user) if user and user != self.bot_user_id else ()
        vote = translate.vote_from_event(body, bot_user_id=self.bot_user_id, roles=roles)
        if vote is None:
            return
        maintainers_channel = self.channel_for("maintainers")
        if maintainers_channel and vote.channel_id != maintainers_channel:
            return  # candidates are only ever posted in the maintainers' channel
        outcome = await curation.handle_vote(vote)
        log.debug("slack vote %s by %s on %s: %s", vote.emoji, vote.user_id, vote.message_id, outcome)

    async def _run(self, line: str, user_id: str, user_name: str, *, page: int | None = None) -> Reply:
        # Who may run maintainer commands is decided by the same rule that counts votes (the core's).
        roles = await self.directory.roles_of(user_id)
        actor = translate.actor(user_id, user_name,
                                is_maintainer=self.maintainers.person(PLATFORM, user_id, roles) is not None)
        return await runner.answer(lambda: self.commands.execute(line, actor=actor, page=page), line,
                                   self.commands.threads)

    async def _answer(self, respond: Any, reply: Reply, **options: Any) -> None:
        """Answer through the command's response_url. Slack refuses with an HTTP status, not an exception (a 400
        `invalid_blocks`, a 404 `expired_url` after 30 minutes): said in the log, and blocks Slack would not take
        are sent again as the plain-text answer, so the reader still gets one. Link previews are off, as for posts:
        Slack unfurls media links (a topic's YouTube videos) in an answer unless told not to."""
        options |= {"unfurl_links": False, "unfurl_media": False}
        try:
            response = await respond(text=fallback_text(reply), blocks=reply_blocks(reply), **options)
            if _refused(response) and "invalid_blocks" in str(getattr(response, "body", "")):
                log.warning("Slack refused the answer's blocks (%s); sent as plain text", _refusal(response))
                response = await respond(text=fallback_text(reply), **options)
            if _refused(response):
                log.warning("Slack refused the answer to a command: %s", _refusal(response))
        except Exception as exc:  # a dead response_url (older than 30 min) must not crash the listener
            log.warning("could not answer a Slack command through its response_url: %s", type(exc).__name__)


def _tell_bolt_who_we_are(app: AsyncApp, identity: Any) -> None:
    """Hand bolt the auth.test answer start() already has. bolt asks auth.test itself on its first request and,
    when Slack fails that call, acknowledges the request (so Slack never sends it again) and drops it: a vote lost,
    a command answered "reinstall this app"."""
    for middleware in getattr(app, "_async_middleware_list", ()):
        if isinstance(middleware, AsyncSingleTeamAuthorization):
            middleware.auth_test_result = identity


def _refused(response: Any) -> bool:
    return getattr(response, "status_code", 200) != 200


def _refusal(response: Any) -> str:
    return f"HTTP {response.status_code} {one_line(str(response.body), 200)}"


class _CheckedSocketModeHandler(AsyncSocketModeHandler):
    """An envelope whose payload bolt cannot read (an `event` that is no object, `actions` no list of objects) made
    bolt log an ERROR and leave it unacknowledged, so Slack sent it again: it is acknowledged and skipped with a
    line saying why, as HTTP mode answers such a body 400."""

    # The client type narrowed as bolt's own aiohttp handler narrows it (and silences mypy for it).
    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        problem = payload_problem(req.payload, f"a {req.type} envelope's payload")
        if problem:
            log.info("Slack Socket Mode: skipped an envelope: %s", problem)
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        await super().handle(client, req)


MAX_KINDS_TOLD = 256  # kinds named by Slack's payloads (callback ids): told once each, in bounded memory


class _AcknowledgeUnhandled(AsyncListenerErrorHandler):
    """A request of a kind the bot has no listener for (a shortcut or an event the workspace's app settings add
    beyond the manifest, a button another version of the bot made) is acknowledged and skipped, in both modes.
    bolt answered it 404: Socket Mode sends nothing back for that, so Slack sent the envelope again (an event three
    more times) and showed a shortcut's user an error; over HTTP Slack retried too, and turns event delivery off
    for an app that fails most of it. It is Slack's (HTTP mode has checked its signature, Socket Mode's
    connection is the app token's), and nothing the bot could do with it: one INFO line per kind says so, the
    rest are DEBUG. Every other listener error goes to bolt's own handler, as before."""

    def __init__(self, fallback: AsyncListenerErrorHandler):
        self._fallback = fallback
        self._told: set[str] = set()

    async def handle(self, error: Exception, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        if not isinstance(error, BoltUnhandledRequestError) or response is None:
            await self._fallback.handle(error=error, request=request, response=response)
            return
        kind = _unhandled_kind(request.body)
        first = kind not in self._told
        if first and len(self._told) < MAX_KINDS_TOLD:
            self._told.add(kind)
        log.log(logging.INFO if first else logging.DEBUG,
                "Slack: skipped %s, which interp-bot does not handle; acknowledged, so Slack does not send it again%s",
                kind, " (more of this kind are logged at DEBUG)" if first else "")
        # An empty 200: Slack's acknowledgement of anything, which shows the user no error and opens no dialog.
        ok = BoltResponse(status=200, body="")
        response.status, response.body, response.headers = ok.status, ok.body, ok.headers


def _unhandled_kind(body: Mapping[str, Any]) -> str:
    """What a request no listener took is, for the log: "an app_mention event", "a shortcut (its callback_id)".
    The names come from outside: flattened and bounded."""
    def name(value: Any) -> str:
        return one_line(str(value), 80)

    kind = name(body.get("type") or "request")
    if kind == "event_callback":
        event = body.get("event") or {}
        event_type = name(event.get("type") or "unknown")
        return f"{'an' if event_type[:1] in 'aeiou' else 'a'} {event_type} event"
    if isinstance(body.get("command"), str):
        return f"the slash command {name(body['command'])}"
    # `actions` is a list of objects here: payload_problem turned anything else away before bolt, in both modes.
    actions = body.get("actions") or [{}]
    view = body.get("view")
    detail = (body.get("callback_id") or (view.get("callback_id") if isinstance(view, dict) else None)
              or actions[0].get("action_id"))
    article = "an" if kind[:1] in "aeiou" else "a"
    return f"{article} {kind} ({name(detail)})" if detail else f"{article} {kind}"


def _token_refusal(exc: SlackApiError, message: str) -> AdapterError | ConfigError:
    """A token Slack refuses is a wrong setting (exit 3, as a token Discord rejects); an outage is not."""
    return ConfigError(message) if api_error(exc) in TOKEN_REFUSALS else AdapterError(message)


class _NotTheUnusedTokenWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()
