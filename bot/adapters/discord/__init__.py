"""The Discord adapter. discord.py is imported only when an adapter is created, so the one-shot CLI stays fast."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot import extras
from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.adapters.discord.connection import DiscordAdapter
    from bot.chat.adapter import VoteHandler
    from bot.commands import Commands
    from bot.settings import Settings

__all__ = ["ConfigError", "create_adapter"]


def create_adapter(settings: Settings, commands: Commands, curation: VoteHandler | None = None,
                   **options: Any) -> DiscordAdapter:
    """Build the Discord adapter (not yet connected: the app calls `start()`).

    Raises ConfigError naming the variable when DISCORD_TOKEN is missing or an id setting is malformed, and
    when curation is wired in but INTERP_BOT_DISCORD_MAINTAINERS_CHANNEL_ID is not set. `options` tune
    timeouts (ready_timeout, reply_deadline, guild_ready_timeout) and the reconnection back-off's sleep.
    """
    extras.require("discord")
    settings.require("discord_token")
    if curation is not None:
        settings.require("discord_maintainers_channel_id")
    from bot.adapters.discord.connection import DiscordAdapter

    return DiscordAdapter(settings, commands, curation, **options)
