"""The discord.py client: least-privilege intents, the /interp command tree, raw reaction events to the adapter.

One event discord.py cannot read must not end the gateway connection: a parser that raises does so inside
`client.connect()`, which then returns with the exception, and every later command and vote would go unheard.
Every gateway parser is therefore wrapped: fields real payloads are known to lack get Discord's documented
defaults first, and anything still unreadable is logged with its event type and skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.adapters.discord.commands import InterpGroup
from bot.adapters.discord.render import NO_MENTIONS, PageButton, parse_page_custom_id, render_reply
from bot.catalogue.text import one_line
from bot.chat.runner import CRASH_REPLY

if TYPE_CHECKING:
    from bot.adapters.discord.connection import DiscordAdapter

log = logging.getLogger(__name__)


def least_intents() -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_reactions = True
    return intents


# Fields discord.py 2.7 requires that real gateway payloads go without, and the values Discord documents for them
# when absent: a real interaction of March 2025 has no attachment_size_limit (tests/data/discord/README.md),
# reactions before 2024 had no type, and members no flags.
_EVENT_DEFAULTS: dict[str, dict[str, Any]] = {
    "INTERACTION_CREATE": {"attachment_size_limit": 10 * 1024 * 1024},  # the upload limit of a server without boosts
    "MESSAGE_REACTION_ADD": {"type": 0},  # a normal (not burst) reaction
    "MESSAGE_REACTION_REMOVE": {"type": 0},
}
_MEMBER_DEFAULTS: dict[str, Any] = {"flags": 0}


def with_defaults(event: str, data: Any) -> Any:
    """The payload with the documented defaults filled in where discord.py needs a field the payload lacks."""
    if not isinstance(data, dict):
        return data
    for key, value in _EVENT_DEFAULTS.get(event, {}).items():
        data.setdefault(key, value)
    if isinstance(data.get("member"), dict):
        for key, value in _MEMBER_DEFAULTS.items():
            data["member"].setdefault(key, value)
    return data


class InterpTree(app_commands.CommandTree["InterpClient"]):
    """The /interp command tree. A command as an older version synced it (a subcommand since removed, an option
    renamed or missing: a global sync takes up to an hour to reach every client) failed inside discord.py, which
    logged an ERROR and left the interaction unanswered ("The application did not respond"): it gets the help.
    A failure of our own (Discord refusing the answer, say) gets the error reply a crashed command gets: the help
    told the reader they had typed the command wrong."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        bug = error.original if isinstance(error, app_commands.CommandInvokeError) else None
        if bug is not None:  # our own code raised: a bug, logged as one
            log.error("discord: /interp failed", exc_info=bug)
        else:
            log.warning("discord: /interp as sent does not match this version's commands (%s): answered with the "
                        "help", error)
        if interaction.response.is_done():
            thinking = interaction.response.type is discord.InteractionResponseType.deferred_channel_message
            if bug is not None and thinking:
                await _replace_thinking(interaction)
            return
        try:
            if interaction.type is discord.InteractionType.autocomplete:  # it takes choices, never a message
                await interaction.response.autocomplete([])
                return
            if bug is not None:
                await self.client.adapter.reply(interaction, CRASH_REPLY, ephemeral=True)
                return
            await self.client.adapter.answer(interaction, "help", "")
        except discord.HTTPException as exc:  # the interaction expired meanwhile: nothing more to say
            log.warning("discord: could not answer a failed /interp: %s", exc)


async def _replace_thinking(interaction: discord.Interaction) -> None:
    """The answer to a deferred /interp failed (its followup refused, or a 5xx past discord.py's retries): the
    reader was left on "thinking…" for good. Its place takes the error reply, once, as plain text (what
    Discord refused may have been the embed)."""
    try:
        await interaction.edit_original_response(content=render_reply(CRASH_REPLY).fallback, embed=None,
                                                 allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as exc:
        log.warning("discord: could not replace the \"thinking…\" of a failed /interp with the error reply: %s", exc)
    else:
        log.info("discord: the \"thinking…\" of a failed /interp was replaced with the error reply")


STALE_BUTTON_REPLY = ("This button is from an older answer of the bot, which no longer reads it: run the "
                      "`/interp` command again for a fresh answer.")

_REACTION_EVENTS = ("raw_reaction_add", "raw_reaction_remove")
_CLEAR_EVENTS = ("raw_reaction_clear", "raw_reaction_clear_emoji")


async def _in_turn(before: set[asyncio.Task[None]], work: Coroutine[Any, Any, None]) -> None:
    """Run `work` once the events it must follow (see InterpClient.dispatch) have been handled."""
    try:
        if before:
            await asyncio.wait(before)  # however they ended: their own failures are logged by their own handlers
    except BaseException:
        work.close()  # cancelled (the client stops) before its turn
        raise
    await work


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
        self.last_event = ""  # the type of the gateway event being handled, for the log when the connection fails
        self._reaction_tasks: set[asyncio.Task[None]] = set()
        # (message id, user id) -> the latest task handling that person's reactions on that message
        self._latest_reaction: dict[tuple[int, int], asyncio.Task[None]] = {}
        # message id -> the latest task handling a clearing of that message's reactions
        self._latest_clear: dict[int, asyncio.Task[None]] = {}
        self.tree = InterpTree(self)
        self.tree.add_command(InterpGroup(adapter))
        self.add_dynamic_items(PageButton)  # paging buttons answer whoever sent them: a restart or a reconnect
        parsers: dict[str, Callable[[Any], None]] = self._connection.parsers
        for event, parse in list(parsers.items()):
            parsers[event] = self._tolerant(event, parse)

    def _tolerant(self, event: str, parse: Callable[[Any], None]) -> Callable[[Any], None]:
        def tolerant_parse(data: Any) -> None:
            try:
                parse(with_defaults(event, data))
            except Exception as exc:
                self.adapter.skipped_event(event, exc)

        return tolerant_parse

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A button whose id matches none of our dynamic items (a version of the bot that spelled its ids
        otherwise, a page past 9999, a forged id) was dropped by discord.py unanswered: the reader saw "This
        interaction failed" and the log said nothing. It gets told to run the command again. A paging button's
        id is left to its PageButton, which answers it."""
        if interaction.type is not discord.InteractionType.component:
            return
        custom_id = str(dict(interaction.data or {}).get("custom_id", ""))
        if parse_page_custom_id(custom_id) is not None:
            return
        log.info("discord: a button with an id this version does not read (%s) was answered: run the command "
                 "again", one_line(repr(custom_id), 120))
        try:
            await interaction.response.send_message(STALE_BUTTON_REPLY, ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:  # expired meanwhile: nothing more to say
            log.warning("discord: could not answer a button this version does not read: %s", exc)

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
        number may already belong to a newer event).

        Events on one message are handled in the order Discord sent them where the order decides the count:
        each vote is handled in a task of its own (the database in a thread, a member lookup), and a later
        event that overtook an earlier one would leave the wrong vote standing. One person's reactions on one
        message follow each other (an add must not overtake the removal before it, or the late removal withdraws
        a vote whose reaction stands); a clearing of the message's reactions follows every reaction before it
        and precedes every one after it (a vote counted after its reaction was cleared would stand unseen).
        Other people's votes, and other messages, do not wait."""
        super().dispatch(event, *args, **kwargs)
        if event == "socket_event_type" and args:
            self.last_event = str(args[0])
        elif event in _REACTION_EVENTS + _CLEAR_EVENTS and args:
            ws = self.ws
            position = f"{ws.session_id}:{ws.sequence}" if ws is not None and ws.sequence is not None else ""
            payload = args[0]
            message_id: int = payload.message_id
            clearing = self._latest_clear.get(message_id)
            key: tuple[int, int] | None = None  # a person's reactions; None for a clearing
            if event in _REACTION_EVENTS:
                key = (message_id, payload.user_id)
                before = {task for task in (self._latest_reaction.get(key), clearing) if task is not None}
                work = self.adapter.reactions.on_reaction(payload, position)
            else:
                before = {task for (message, _), task in self._latest_reaction.items() if message == message_id}
                before |= {clearing} if clearing is not None else set()
                work = self.adapter.reactions.on_reactions_cleared(payload, position)
            task = asyncio.create_task(_in_turn(before, work), name=f"discord-{event}")
            self._reaction_tasks.add(task)
            if key is not None:
                self._latest_reaction[key] = task
            else:
                self._latest_clear[message_id] = task

            def done(task: asyncio.Task[None], key: tuple[int, int] | None = key, message_id: int = message_id
                     ) -> None:
                self._reaction_tasks.discard(task)
                if key is not None and self._latest_reaction.get(key) is task:
                    del self._latest_reaction[key]
                if self._latest_clear.get(message_id) is task:
                    del self._latest_clear[message_id]

            task.add_done_callback(done)
