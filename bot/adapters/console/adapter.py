"""The console as a chat adapter: posts (candidates, digests) are printed; the terminal is the channel."""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any, TextIO

from bot.chat.adapter import UP, AdapterHealth, ChannelRole, PostRef
from bot.chat.emoji import to_unicode
from bot.chat.render import SHELL_PREFIX
from bot.chat.text import render_text
from bot.chat.values import Post

if TYPE_CHECKING:
    from bot.chat.adapter import VoteHandler
    from bot.commands import Commands
    from bot.settings import Settings

CHANNEL = "terminal"


class ConsoleAdapter:
    platform = "console"

    def __init__(self, stream: TextIO | None = None, *, reads_commands: bool = False):
        """`reads_commands`: the terminal also takes commands at the `interp>` prompt (`interp-bot run` in a terminal),
        so posts name them as typed there (`candidates --all`); otherwise it only prints (a one-shot `interp-bot
        digest`, a service's output), read where commands are typed in a shell (`interp-bot candidates --all`)."""
        self._stream = stream  # None: whatever sys.stdout is when writing (the line editor redirects it)
        self._lock = threading.Lock()  # the REPL thread and the event loop both write
        self.command_prefix = "" if reads_commands else SHELL_PREFIX  # how posts name a command (the digest's)

    def channel_for(self, role: ChannelRole) -> str | None:
        return CHANNEL

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def health(self) -> AdapterHealth:
        return UP  # the terminal needs no connection

    def _write(self, text: str) -> None:
        with self._lock:
            stream = self._stream or sys.stdout
            stream.write(text)
            stream.flush()

    async def publish(self, post: Post, role: ChannelRole) -> PostRef:
        votes = " ".join(f"{to_unicode(name)} :{name}:" for name in post.reactions)
        hint = f"\nvote: {votes}  (e.g. `:{post.reactions[0]}: {post.candidate_id}`)" if post.reactions else ""
        self._write(f"\n── {role} ──\n{render_text(post.reply)}{hint}\n")
        return PostRef(self.platform, CHANNEL, post.key)

    async def edit(self, ref: PostRef, post: Post) -> None:
        self._write(f"\n── update ──\n{render_text(post.reply)}\n")


def create_adapter(settings: Settings, commands: Commands, curation: VoteHandler | None,
                   **options: Any) -> ConsoleAdapter:
    return ConsoleAdapter(options.get("stream"), reads_commands=bool(options.get("reads_commands")))
