"""What a chat adapter is, seen from the core.

An adapter has two halves: translate-in (platform event -> neutral Command / Vote, handed to the core)
and render-out (neutral Reply / Post -> embed, Block Kit, text). The core drives it through this
protocol and never imports a chat SDK.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from bot.chat.values import Post, ReactionsCleared, Vote

ChannelRole = Literal["maintainers", "digest"]
ConnectionState = Literal["up", "connecting", "down"]


@dataclass(frozen=True, slots=True)
class AdapterHealth:
    """Is the adapter's connection to its platform working? The app writes it to the database every half
    minute, where `interp-bot status` and the container health check read it."""

    state: ConnectionState
    error: str | None = None  # why it is down (or was, while reconnecting)


UP = AdapterHealth("up")


@dataclass(frozen=True, slots=True)
class PostRef:
    """Where a post landed, so it can be edited later and votes on it traced back."""

    platform: str
    channel_id: str
    message_id: str


class VoteHandler(Protocol):
    """What an adapter hands the votes it translates to (bot.curation.pipeline.Curation fits)."""

    async def handle_vote(self, vote: Vote) -> Any: ...

    async def handle_clear(self, cleared: ReactionsCleared) -> Any: ...


@runtime_checkable
class ChatAdapter(Protocol):
    """An adapter may also say how its users type a command, as `command_prefix` ("/interp " on Slack and Discord),
    for posts that name one (the digest's `candidates --all`); without it, posts name the shell's `interp-bot `.
    Where options are typed otherwise than `--all`, it may also have `spell_command(line) -> str` (Discord's
    `/interp candidates all:True`), which then names the whole command."""

    platform: str

    def channel_for(self, role: ChannelRole) -> str | None:
        """The configured channel id for a role, or None if this adapter has none for it."""

    async def start(self) -> None:
        """Connect; return once connected and ready to publish (or raise with a clear message)."""

    async def stop(self) -> None:
        """Disconnect cleanly; idempotent."""

    async def health(self) -> AdapterHealth:
        """The connection's state now. An adapter that loses its connection reconnects by itself, with back-off."""

    async def publish(self, post: Post, role: ChannelRole) -> PostRef:
        """Send a post to the role's channel (pre-adding post.reactions). Must not double-post a key:
        a retry after a crash between send and record finds the earlier message instead."""

    async def edit(self, ref: PostRef, post: Post) -> None:
        """Replace a published post's content (e.g. after a decision)."""
