"""`/interp` as Discord slash commands: typed options mapped onto the neutral grammar.

Names, descriptions and option help come from the grammar's own help (`HELP`, and `MAINTAINER_HELP` for the
maintainers' commands), so `help` and Discord never disagree.

The maintainers' subcommands (candidates, approve, reject, vote) are always in the tree: every login syncs the
tree, a one-shot `interp-bot digest` included, and a tree without them would take them from Discord for everyone
until the next `run`. Who may use them is the grammar's rule (Commands.run refuses a non-maintainer), the same
rule that counts their reactions: Discord's own permissions know nothing of the configured maintainers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.adapters.discord import translate
from bot.command_help import HELP, MAINTAINER_HELP, CommandHelp

if TYPE_CHECKING:
    from bot.adapters.discord.connection import DiscordAdapter

DESCRIPTION_LIMIT = 100  # Discord's limit for command and option descriptions
# Discord's integer options hold up to 2**53; the database's ids stop long before.
CANDIDATE_ID = app_commands.Range[int, 1, 2**53]


def _help(command: str) -> CommandHelp:
    return HELP[command] if command in HELP else MAINTAINER_HELP[command]


def summary(command: str) -> str:
    """The command's one-line summary as Discord shows it (no final full stop, within 100 characters)."""
    return _fit(_help(command).summary.rstrip("."))


def argument(command: str) -> str:
    return _fit(_help(command).argument)


def option(command: str, name: str) -> str:
    """What one of the command's --options does (`--all` is `candidates`' boolean `all` on Discord)."""
    return _fit(_help(command).option(name))


def _fit(text: str) -> str:
    return text if len(text) <= DESCRIPTION_LIMIT else text[: DESCRIPTION_LIMIT - 1] + "…"


class InterpGroup(app_commands.Group):
    """`/interp topic|search|paper|topics|recent|help` and the maintainers' `candidates|approve|reject|vote`: typed
    options mapped onto the neutral grammar."""

    def __init__(self, adapter: DiscordAdapter):
        super().__init__(name="interp", description="Look things up in the LLM interpretability reading list")
        self.adapter = adapter

    @app_commands.command(name="topic", description=summary("topic"))
    @app_commands.describe(name=argument("topic"))
    async def topic(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 200]) -> None:
        await self.adapter.answer(interaction, "topic", translate.command_args({"name": name}))

    @topic.autocomplete("name")
    async def _topic_names(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return self._topic_choices(current)

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
        return self._paper_choices(current)

    @app_commands.command(name="topics", description=summary("topics"))
    async def topics(self, interaction: discord.Interaction) -> None:
        await self.adapter.answer(interaction, "topics", "")

    @app_commands.command(name="recent", description=summary("recent"))
    @app_commands.describe(count=argument("recent"))
    async def recent(self, interaction: discord.Interaction,
                     count: app_commands.Range[int, 1, 100] | None = None) -> None:
        await self.adapter.answer(interaction, "recent", translate.command_args({"count": count}))

    # ---------------------------------------------------------------- the maintainers' commands

    @app_commands.command(name="candidates", description=summary("candidates"))
    @app_commands.rename(every="all")
    @app_commands.describe(every=option("candidates", "--all"))
    async def candidates(self, interaction: discord.Interaction, every: bool | None = None) -> None:
        await self.adapter.answer(interaction, "candidates", "--all" if every else "")

    @app_commands.command(name="approve", description=summary("approve"))
    @app_commands.rename(number="id")
    @app_commands.describe(number=argument("approve"), topic=option("approve", "--topic"))
    async def approve(self, interaction: discord.Interaction, number: CANDIDATE_ID,
                      topic: app_commands.Range[str, 1, 200] | None = None) -> None:
        await self.adapter.answer(interaction, "approve", translate.decision_args(number, topic=topic))

    @approve.autocomplete("topic")
    async def _approve_topics(self, interaction: discord.Interaction,
                              current: str) -> list[app_commands.Choice[str]]:
        return self._topic_choices(current)

    @app_commands.command(name="reject", description=summary("reject"))
    @app_commands.rename(number="id")
    @app_commands.describe(number=argument("reject"))
    async def reject(self, interaction: discord.Interaction, number: CANDIDATE_ID) -> None:
        await self.adapter.answer(interaction, "reject", translate.decision_args(number))

    @app_commands.command(name="vote", description=summary("vote"))
    @app_commands.rename(number="id")
    @app_commands.describe(emoji=argument("vote"), number=argument("approve"), remove=option("vote", "--remove"))
    async def vote(self, interaction: discord.Interaction, emoji: app_commands.Range[str, 1, 100],
                   number: CANDIDATE_ID, remove: bool | None = None) -> None:
        await self.adapter.answer(interaction, "vote", translate.vote_args(emoji, number, remove=bool(remove)))

    @vote.autocomplete("emoji")
    async def _vote_emoji(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        # The configured voting emoji (a setting), so offered as they are typed rather than as fixed choices.
        return self._vote_emoji_choices(current)

    @app_commands.command(name="help", description="How to use /interp")
    @app_commands.describe(command=argument("help"))
    @app_commands.choices(command=[app_commands.Choice(name=n, value=n)
                                   for n in (*HELP, *MAINTAINER_HELP) if n != "help"])
    async def help(self, interaction: discord.Interaction, command: app_commands.Choice[str] | None = None) -> None:
        await self.adapter.answer(interaction, "help", command.value if command else "")

    # ------------------------------------------------------------------ autocomplete: typed text -> choices

    def _topic_choices(self, current: str) -> list[app_commands.Choice[str]]:
        index = self.adapter.commands.catalogue.index
        topics = index.topics.complete(current)
        paths = {t.slug: index.catalogue.path_text(t.slug) for t in topics}
        return [app_commands.Choice(name=name, value=value) for name, value in translate.topic_choices(topics, paths)]

    def _vote_emoji_choices(self, current: str) -> list[app_commands.Choice[str]]:
        settings = self.adapter.settings
        pairs = translate.vote_emoji_choices(settings.approve_emoji, settings.reject_emoji, settings.topic_emoji,
                                             current)
        return [app_commands.Choice(name=name, value=value) for name, value in pairs]

    def _paper_choices(self, current: str) -> list[app_commands.Choice[str]]:
        entries = self.adapter.commands.catalogue.index.search.complete_titles(current)
        return [app_commands.Choice(name=name, value=value) for name, value in translate.paper_choices(entries)]
