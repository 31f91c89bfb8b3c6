"""The discord.py client: least-privilege intents, the /interp command tree, raw reaction events to the adapter."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.adapters.discord.commands import InterpGroup
from bot.adapters.discord.render import NO_MENTIONS

if TYPE_CHECKING:
    from bot.adapters.discord.connection import DiscordAdapter

log = logging.getLogger(__name__)


def least_intents() -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_reactions = True
    return intents


class InterpClient(discord.Client):
    """discord.Client with the /interp command tree; forwards events to the adapter."""

    def __init__(self, adapter: DiscordAdapter, *, guild_ready_timeout: float):
        # The bot never joins a voice channel: discord.py's warnings that voice's libraries (PyNaCl, davey) are
        # missing are noise at every start. Flags of discord.py's own, read once by Client.__init__.
        for flag in ("warn_nacl", "warn_dave"):
            if hasattr(discord.VoiceClient, flag):
                setattr(discord.VoiceClient, flag, False)
        super().__init__(intents=least_intents(), allowed_mentions=NO_MENTIONS,
                         guild_ready_timeout=guild_ready_timeout)
        self.adapter = adapter
        self._reaction_tasks: set[asyncio.Task[None]] = set()
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(InterpGroup(adapter))

    async def setup_hook(self) -> None:
        """Sync the commands: to each development guild (instant), else globally (production)."""
        guild_ids = self.adapter.guild_ids
        if guild_ids:
            for guild_id in guild_ids:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
            log.info("discord: /interp synced to guild(s) %s", ", ".join(map(str, guild_ids)))
        else:
            await self.tree.sync()
            log.info("discord: /interp synced globally (may take a while to appear)")

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        """Hand raw reaction events to the adapter with their gateway position, read here because this runs
        synchronously while the gateway parses the event (a listener task would run later, when the sequence
        number may already belong to a newer event)."""
        super().dispatch(event, *args, **kwargs)
        if event in ("raw_reaction_add", "raw_reaction_remove") and args:
            ws = self.ws
            position = f"{ws.session_id}:{ws.sequence}" if ws is not None and ws.sequence is not None else ""
            task = asyncio.create_task(self.adapter.on_reaction(args[0], position), name=f"discord-{event}")
            self._reaction_tasks.add(task)
            task.add_done_callback(self._reaction_tasks.discard)
