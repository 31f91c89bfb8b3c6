"""Neutral values that flow between the core and the chat adapters.

Handlers return these; only renderers (console text, Discord embeds, Slack Block Kit) know platforms.
All text in them is *unescaped*: each renderer escapes for its own platform.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.catalogue.model import Link

__all__ = ["Actor", "Field", "Item", "Link", "Post", "PostKind", "Reply", "ReplyKind", "Vote"]

ReplyKind = Literal["result", "help", "usage", "not_found", "error", "info"]


@dataclass(frozen=True, slots=True)
class Item:
    """One line of an answer: usually a catalogue entry or a candidate paper."""

    title: str
    links: tuple[Link, ...] = ()
    starred: bool = False
    notes: tuple[str, ...] = ()
    detail: str = ""  # a short second line: topic path, score, authors...
    ref: str = ""  # entry id / candidate id, for buttons and follow-ups


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer to a command, or the body of a post. Paged: one page per Reply."""

    title: str
    kind: ReplyKind = "result"
    text: str = ""  # a paragraph before the items (help text, an explanation)
    items: tuple[Item, ...] = ()
    fields: tuple[Field, ...] = ()
    footer: str = ""
    suggestions: tuple[str, ...] = ()  # e.g. topic names when a lookup was ambiguous
    page: int = 1
    pages: int = 1
    first_number: int = 1  # the number of this page's first item: numbering runs on across pages
    # The command that produced this reply, without a page: adapters re-run it with page±1.
    command: str = ""
    url: str = ""  # a link for the title, when there is one

    @property
    def has_more(self) -> bool:
        return self.page < self.pages


@dataclass(frozen=True, slots=True)
class Actor:
    """Who sent a command (translated in by an adapter): maintainers may use the curation commands."""

    platform: str
    user_id: str
    display_name: str = ""
    is_maintainer: bool = False


PostKind = Literal["candidate", "digest", "decision", "notice"]


@dataclass(frozen=True, slots=True)
class Post:
    """Something the bot says unprompted in a channel: a candidate for the list, a digest."""

    key: str  # idempotency key: "candidate:12", "digest:2026-11-24"
    kind: PostKind
    reply: Reply
    reactions: tuple[str, ...] = ()  # emoji names (see bot.chat.emoji) the bot pre-adds for voting
    candidate_id: int | None = None
    suppress_previews: bool = True


@dataclass(frozen=True, slots=True)
class Vote:
    """A reaction translated from a platform: who, on which message, which emoji, added or removed."""

    platform: str  # "discord" | "slack" | "console"
    user_id: str
    channel_id: str
    message_id: str
    emoji: str  # canonical name from bot.chat.emoji ("white_check_mark"); unknown emoji pass through
    added: bool = True
    event_id: str = ""  # platform's id for this event, so a redelivery is recognised
    is_bot: bool = False
    roles: tuple[str, ...] = field(default_factory=tuple)  # Discord role ids / Slack user-group ids


@dataclass(frozen=True, slots=True)
class ReactionsCleared:
    """Every reaction taken off a message at once (of one emoji, or all), by a moderator or the platform: the
    event names no one, so whoever's votes that message carried are withdrawn."""

    platform: str
    channel_id: str
    message_id: str
    emoji: str | None = None  # canonical name as in Vote; None: every emoji
    event_id: str = ""  # platform's id for this event, so a redelivery is recognised
