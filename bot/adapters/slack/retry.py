"""Honour Slack's 429 `Retry-After` on every Web API call, without blocking the event loop; say why a call failed.

slack_sdk's AsyncRateLimitErrorRetryHandler already retries 429s with an asyncio sleep; this subclass adds
a bounded wait, a log line, and an injectable sleep so tests can see the wait without waiting it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

log = logging.getLogger(__name__)

DEFAULT_WAIT = 1.0
MAX_WAIT = 300.0  # a longer Retry-After means something is wrong; fail rather than hang a job for hours


def api_error(exc: SlackApiError) -> str:
    """The `error` a refused Web API call names (`not_in_channel`), or its HTTP status when Slack answered without
    JSON (an outage's 503 carries a text body, on which the SDK's `response.get` raises)."""
    response = exc.response
    data = getattr(response, "data", None)
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    status = getattr(response, "status_code", None)
    return f"HTTP {status}" if status else ""


def retry_after_seconds(headers: dict[str, list[str]] | dict[str, str]) -> float:
    """The wait a 429 asks for (seconds), clamped to [0, MAX_WAIT]; DEFAULT_WAIT if absent or unreadable."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) and value else value
            try:
                return min(max(float(str(raw).strip()), 0.0), MAX_WAIT)
            except ValueError:
                return DEFAULT_WAIT
    return DEFAULT_WAIT


class RetryAfterHandler(AsyncRateLimitErrorRetryHandler):
    def __init__(self, *, max_retry_count: int = 3, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        super().__init__(max_retry_count=max_retry_count)
        self._sleep = sleep

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error  # type: ignore[misc]  # same contract as the parent: only responses are retried here
        wait = retry_after_seconds(response.headers)  # type: ignore[arg-type]  # the SDK's own header mapping
        method = request.url.split("?", 1)[0].rsplit("/", 1)[-1]
        log.warning("Slack rate-limited %s; retrying in %.1f s (attempt %d)", method, wait,
                    state.current_attempt + 1)
        state.next_attempt_requested = True
        await self._sleep(wait)
        state.increment_current_attempt()


# What Slack answers any call made with a bot token it no longer takes (revoked, the app uninstalled, the bot user
# deactivated): https://docs.slack.dev/reference/methods/auth.test#errors
TOKEN_REFUSALS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"})


class WebClient(AsyncWebClient):
    """The Web API client, remembering why Slack last refused a Socket Mode URL: slack_sdk asks for one at each
    reconnection, and on a refusal (a revoked app token, Socket Mode turned off) only logs it and tries again
    10 s later, so `status` would say no more than "reconnecting". And the bot token's refusal by any call: the
    connection (Socket Mode's is the app token's; HTTP mode has none) stays up when the app is uninstalled or the
    bot token revoked, and `status` said "up" while every post and edit failed."""

    socket_url_refused = ""  # Slack's error code for the last apps.connections.open, "" once it answered
    bot_token_refused = ""  # Slack's error code when a call last refused SLACK_BOT_TOKEN, "" once one succeeded

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        if api_method == "apps.connections.open":  # the app token's call: remembered below
            return await super().api_call(api_method, **kwargs)
        try:
            response = await super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            if (error := api_error(exc)) in TOKEN_REFUSALS:
                self.bot_token_refused = error
            raise
        self.bot_token_refused = ""
        return response

    async def apps_connections_open(self, *, app_token: str, **kwargs: Any) -> AsyncSlackResponse:
        try:
            response = await super().apps_connections_open(app_token=app_token, **kwargs)
        except SlackApiError as exc:
            self.socket_url_refused = api_error(exc) or str(exc)
            raise
        self.socket_url_refused = ""
        return response
