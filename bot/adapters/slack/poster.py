"""Posting, editing and reacting through the Web API, with no double post after a crash.

Every post carries Slack message metadata `{"event_type": "interp_bot_post", "event_payload": {"key": ...}}`.
Before posting, we look through the channel's recent history for a message with the same key: if the bot
crashed after `chat.postMessage` but before the core recorded where the post went, the retry finds that
message and returns it instead of posting a second one. Reactions are (re-)added either way, since the
crash may have come between the post and its reactions; `already_reacted` is success. A reaction Slack refuses
fails nothing: the post stands, and its votes count all the same.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.adapters.slack.render import fallback_text, post_blocks
from bot.adapters.slack.retry import api_error
from bot.chat.values import Post
from bot.errors import AdapterError, PostGone, describe
from bot.pacing import KeyedPacer

log = logging.getLogger(__name__)

POST_EVENT_TYPE = "interp_bot_post"
HISTORY_LIMIT = 50

# What to tell an operator for the errors a misconfiguration produces.
_HINTS = {
    "not_in_channel": "invite the bot to the channel (/invite @interp-bot)",
    "channel_not_found": "check the channel id (a C… or G… id, not the #name) and that the bot is in it",
    "missing_scope": "reinstall the app from slack-app-manifest.yaml so it has every scope it needs",
    "is_archived": "the channel is archived",
    "invalid_auth": "SLACK_BOT_TOKEN is wrong or revoked",
    "not_authed": "SLACK_BOT_TOKEN is missing",
    "token_revoked": "SLACK_BOT_TOKEN was revoked (the app uninstalled?): put a current one in place and restart",
    "account_inactive": "the bot user was deactivated, or the app uninstalled",
    "invalid_name": "this workspace has no emoji of that name: check approve_emoji, reject_emoji and topic_emoji "
                    "(INTERP_BOT_APPROVE_EMOJI ...)",
}


def post_metadata(post: Post) -> dict[str, Any]:
    return {"event_type": POST_EVENT_TYPE, "event_payload": {"key": post.key, "kind": post.kind}}


class SlackPoster:
    def __init__(self, client: Any, pacer: KeyedPacer, *, history_limit: int = HISTORY_LIMIT):
        self._client = client
        self._pacer = pacer
        self._history_limit = history_limit

    async def publish(self, channel: str, post: Post) -> str:
        """Post (or find the earlier post of) `post` in `channel`; return the message's ts."""
        async with self._pacer.turn(channel):
            ts = await self.find(channel, post.key)
            if ts is not None:
                log.info("post %s is already in %s (ts %s); not posting it again", post.key, channel, ts)
            else:
                with _slack_errors("chat.postMessage", channel):
                    response = await self._client.chat_postMessage(
                        channel=channel,
                        text=fallback_text(post.reply),
                        blocks=post_blocks(post),
                        unfurl_links=not post.suppress_previews,
                        unfurl_media=not post.suppress_previews,
                        metadata=post_metadata(post),
                    )
                ts = str(response["ts"])
        await self.add_reactions(channel, ts, post.reactions)
        return ts

    async def edit(self, channel: str, ts: str, post: Post) -> None:
        try:
            await self._client.chat_update(
                channel=channel, ts=ts, text=fallback_text(post.reply), blocks=post_blocks(post),
                metadata=post_metadata(post),  # kept, so reconciliation still recognises an edited post
            )
        except SlackApiError as exc:
            if api_error(exc) == "message_not_found":  # deleted
                raise PostGone(f"Slack message {ts} in {channel} is gone") from None
            raise _adapter_error("chat.update", channel, exc) from None

    async def add_reactions(self, channel: str, ts: str, names: tuple[str, ...]) -> None:
        """Pre-add the voting emoji. The post is made by now: a refusal raised from here failed its publish, so the
        post went unrecorded while everyone could see it, and every vote on it was "not a candidate post". Logged
        instead; an emoji the workspace lacks skips that one, anything else (a 429 past its retries, an outage)
        the rest, which a maintainer can add by hand."""
        for name in names:
            try:
                await self._client.reactions_add(channel=channel, timestamp=ts, name=name)
            except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:  # refused, or Slack out of reach
                error = api_error(exc) if isinstance(exc, SlackApiError) else ""
                if error == "already_reacted":
                    continue
                failed = _adapter_error("reactions.add", channel, exc, f":{name}: on {ts}")
                log.warning("%s; its votes count all the same", failed)
                if error != "invalid_name":
                    return

    async def find(self, channel: str, key: str) -> str | None:
        """The ts of a recent message in `channel` whose metadata carries `key`, if there is one."""
        with _slack_errors("conversations.history", channel):
            response = await self._client.conversations_history(
                channel=channel, limit=self._history_limit, include_all_metadata=True,
            )
        for message in response.get("messages") or []:
            metadata = message.get("metadata") if isinstance(message, Mapping) else None
            if not isinstance(metadata, Mapping) or metadata.get("event_type") != POST_EVENT_TYPE:
                continue
            payload = metadata.get("event_payload")
            if isinstance(payload, Mapping) and payload.get("key") == key and message.get("ts"):
                return str(message["ts"])
        return None


@contextmanager
def _slack_errors(method: str, channel: str) -> Iterator[None]:
    """Turn the SDK's SlackApiError into an AdapterError that says what to fix, and Slack out of reach (a dropped
    connection, a timeout: slack_sdk raises aiohttp's errors as they are) into one that says so: an outage, not a
    bug of ours to log with its traceback."""
    try:
        yield
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
        raise _adapter_error(method, channel, exc) from None


def _adapter_error(method: str, channel: str, exc: Exception, what: str = "") -> AdapterError:
    error = (api_error(exc) or str(exc)) if isinstance(exc, SlackApiError) else describe(exc)
    hint = _HINTS.get(error)
    return AdapterError(f"Slack {method}{f' of {what}' if what else ''} in {channel} failed: {error}"
                        + (f" ({hint})" if hint else ""))
