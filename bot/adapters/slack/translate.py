"""Slack payloads -> neutral values: a slash command's text and sender, a paging click, a reaction vote.

Payload shapes follow Slack's documentation (slash commands, `block_actions`, Events API `event_callback`
envelopes with `reaction_added` / `reaction_removed`). Pure functions: anything missing or of the wrong
type yields None rather than an exception, since the input comes from the network.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.adapters.slack.render import PAGE_ACTION_PREFIX, parse_page_value
from bot.chat import emoji
from bot.chat.values import Actor, Vote

PLATFORM = "slack"
REACTION_EVENTS = {"reaction_added": True, "reaction_removed": False}


@dataclass(frozen=True, slots=True)
class PageRequest:
    """A click on a paging button: re-run `command` at `page` for `user_id`."""

    command: str
    page: int
    user_id: str
    display_name: str


# Slack escapes what people type as it escapes every message: `&`, `<` and `>` as entities, and (with the
# command's "escape channels, users, and links" option) a link as <url> or, when Slack added to what was typed
# (a scheme to "arxiv.org/abs/..."; "README.md" read as a domain), <url|as typed>; a mention as <@U1|name>.
_ESCAPED_LINK = re.compile(r"<((?:https?|mailto):[^|>\s]+)(?:\|([^>]*))?>", re.IGNORECASE)
_ESCAPED_NAME = re.compile(r"<[@#!]([^|>]*)(?:\|([^>]*))?>")


def command_line(payload: Mapping[str, Any]) -> str:
    """The grammar's input: what the user typed after `/interp` (empty means help), as they typed it."""
    text = payload.get("text")
    if not isinstance(text, str):
        return ""
    text = _ESCAPED_LINK.sub(lambda match: match.group(2) or match.group(1), text)  # the label is what was typed
    text = _ESCAPED_NAME.sub(lambda match: match.group(2) or match.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def command_user(payload: Mapping[str, Any]) -> tuple[str, str]:
    """(user id, user name) of a slash command's sender."""
    return _text(payload.get("user_id")), _text(payload.get("user_name"))


def actor(user_id: str, display_name: str, *, is_maintainer: bool) -> Actor:
    return Actor(platform=PLATFORM, user_id=user_id, display_name=display_name, is_maintainer=is_maintainer)


def page_request(body: Mapping[str, Any]) -> PageRequest | None:
    """The paging button a `block_actions` payload reports, or None if it is not one of ours."""
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], Mapping):
        return None
    action = actions[0]
    if not _text(action.get("action_id")).startswith(PAGE_ACTION_PREFIX):
        return None
    parsed = parse_page_value(_text(action.get("value")))
    user = body.get("user")
    if parsed is None or not isinstance(user, Mapping) or not _text(user.get("id")):
        return None
    name = _text(user.get("username")) or _text(user.get("name"))
    return PageRequest(command=parsed[0], page=parsed[1], user_id=_text(user.get("id")), display_name=name)


def reaction_user(body: Mapping[str, Any]) -> str:
    """Who reacted, from an `event_callback` body (empty if it is not a reaction event)."""
    event = body.get("event")
    return _text(event.get("user")) if isinstance(event, Mapping) else ""


def reaction_item(body: Mapping[str, Any]) -> str:
    """Which message (channel and ts) a reaction event is on, as one key; empty if it says none."""
    event = body.get("event")
    item = event.get("item") if isinstance(event, Mapping) else None
    return f"{_text(item.get('channel'))}:{_text(item.get('ts'))}" if isinstance(item, Mapping) else ""


def vote_from_event(body: Mapping[str, Any], *, bot_user_id: str, roles: tuple[str, ...] = ()) -> Vote | None:
    """A `reaction_added` / `reaction_removed` on a message -> a Vote; None for anything else.

    `event_id` comes from the envelope, so Slack's retries of one event (X-Slack-Retry-Num) carry the
    same id and the core counts them once.
    """
    event = body.get("event")
    if not isinstance(event, Mapping) or _text(event.get("type")) not in REACTION_EVENTS:
        return None  # (_text: a list or an object as "type" is no reaction, and cannot be looked up in a dict)
    item = event.get("item")
    if not isinstance(item, Mapping) or item.get("type") != "message":
        return None  # reactions on files and file comments are not votes
    user, reaction = _text(event.get("user")), _text(event.get("reaction"))
    channel, ts = _text(item.get("channel")), _text(item.get("ts"))
    if not (user and reaction and channel and ts):
        return None
    event_id = _text(body.get("event_id")) or f"{event.get('type')}:{user}:{channel}:{ts}:{event.get('event_ts')}"
    return Vote(
        platform=PLATFORM,
        user_id=user,
        channel_id=channel,
        message_id=ts,
        emoji=emoji.to_name(reaction),
        added=REACTION_EVENTS[str(event.get("type"))],
        event_id=event_id,
        is_bot=bool(bot_user_id) and user == bot_user_id,
        roles=roles,
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
