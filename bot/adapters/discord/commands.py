"""`/interp` as Discord slash commands: typed options mapped onto the neutral grammar.

Names, descriptions and option help come from the grammar's own `HELP`, so `help` and Discord never disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.adapters.discord import translate
from bot.commands import HELP

if TYPE_CHECKING:
    from bot.adapters.discord.connection import DiscordAdapter

DESCRIPTION_LIMIT = 100  # Discord's limit for command and option descriptions


def summary(command: str) -> str:
    """The command's one-line summary as Discord shows it (no final full stop, within 100 characters)."""
    return _fit(HELP[command].summary.rstrip("."))


def argument(command: str) -> str:
    return _fit(HELP[command].argument)


def _fit(text: str) -> str:
    return text if len(text) <= DESCRIPTION_LIMIT else text[: DESCRIPTION_LIMIT - 1] + "…"


class InterpGroup(app_commands.Group):
    """`/interp topic|search|paper|topics|recent|help`: typed options mapped onto the neutral grammar."""

    def __init__(self, adapter: DiscordAdapter):
        super().__init__(name="interp", description="Look things up in the LLM interpretability reading list")
        self.adapter = adapter

    @app_commands.command(name="topic", description=summary("topic"))
    @app_commands.describe(name=argument("topic"))
    async def topic(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 200]) -> None:
        await self.adapter.answer(interaction, "topic", translate.command_args({"name": name}))

    @topic.autocomplete("name")
    async def _topic_names(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return self.adapter.topic_choices(current)

    @app_commands.command(name="search", description=summary("search"))
    @app_commands.describe(query=argument("search"))
    async def search(self, interaction: discord.Interaction, query: app_commands.Range[str, 1, 200]) -> None:
        await self.adapter.answer(interaction, "search", translate.command_args({"query": query}))

    @app_commands.command(name="paper", description=summary("paper"))
    @app_commands.describe(title=argument("paper"))
    async def paper(self, interaction: discord.Interaction, title: app_commands.Range[str, 1, 200]) -> None:
        await self.adapter.answer(interaction, "paper", translate.command_args({"title": title}))

    @paper.autocomplete("title")
    async def _paper_titles(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return self.adapter.paper_choices(current)

    @app_commands.command(name="topics", description=summary("topics"))
    async def topics(self, interaction: discord.Interaction) -> None:
        await self.adapter.answer(interaction, "topics", "")

    @app_commands.command(name="recent", description=summary("recent"))
    @app_commands.describe(count=argument("recent"))
    async def recent(self, interaction: discord.Interaction,
                     count: app_commands.Range[int, 1, 100] | None = None) -> None:
        await self.adapter.answer(interaction, "recent", translate.command_args({"count": count}))

    @app_commands.command(name="help", description="How to use /interp")
    @app_commands.describe(command=argument("help"))
    @app_commands.choices(command=[app_commands.Choice(name=n, value=n)
                                   for n in HELP if n != "help"])
    async def help(self, interaction: discord.Interaction, command: app_commands.Choice[str] | None = None) -> None:
        await self.adapter.answer(interaction, "help", command.value if command else "")
