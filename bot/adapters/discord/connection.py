"""The Discord adapter: a discord.py client with the /interp slash commands, candidate posts and emoji votes.

Least privilege: the gateway intents are `guilds` (channels, roles, the bot's own member, for permission checks)
and `guild_reactions` (votes); no privileged intent, no message content. Commands come in as interactions,
votes as *raw* reaction events, which Discord sends for every message, cached or not, so a vote on a candidate
posted before a restart still counts.

discord.py owns the connection: its reconnect/resume loop and its per-route rate limiter (which sleeps out a
429's retry_after) are used as they are. We run it as a task inside the application's own event loop, watched by a
ConnectionSupervisor: when `client.connect()` ends with an error discord.py does not recover from, the failure is
logged, the adapter reports itself down, and a fresh client reconnects with back-off.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord

from bot import errors
from bot.adapters.discord import translate
from bot.adapters.discord.client import InterpClient
from bot.adapters.discord.reactions import ReactionVotes
from bot.adapters.discord.render import (
    NO_MENTIONS,
    PageKeys,
    RenderedMessage,
    pager,
    post_nonce,
    render_post,
    render_post_messages,
    render_reply,
)
from bot.catalogue.text import one_line
from bot.chat import emoji, runner
from bot.chat.adapter import AdapterHealth, ChannelRole, PostRef, VoteHandler
from bot.chat.supervise import ConnectionSupervisor
from bot.chat.values import Post, Reply
from bot.commands import Commands
from bot.curation.maintainers import Maintainers
from bot.errors import AdapterError, ConfigError, PostGone, describe
from bot.settings import Settings, env_name

log = logging.getLogger(__name__)

PLATFORM = "discord"
GATEWAY_AUTHENTICATION_FAILED = 4004  # Discord's close code for a token it no longer accepts
GATEWAY_LOST = "the gateway connection was lost; discord.py is reconnecting"
LONG_COMMANDS_KEPT = 1000  # paging keys of long commands, the most recent kept

# Discord's names for the permissions a post needs, as admins see them (the last two for voting reactions only).
SEND_MESSAGES = "Send Messages"
VIEW_CHANNEL = "View Channel"
EMBED_LINKS = "Embed Links"
ADD_REACTIONS = "Add Reactions"
READ_MESSAGE_HISTORY = "Read Message History"
POST_PERMISSIONS = {
    "view_channel": VIEW_CHANNEL,
    "send_messages": SEND_MESSAGES,
    "embed_links": EMBED_LINKS,
    "add_reactions": ADD_REACTIONS,
    "read_message_history": READ_MESSAGE_HISTORY,
}


async def _run_gateway(client: InterpClient) -> None:
    """discord.py's gateway loop (it resumes after 4000 and a dropped socket by itself), its two endings that only the
    operator can mend said in our words: discord.py's own text for 4014 tells them to enable privileged intents,
    which this bot does not use, and its 4004 names neither the token nor the variable holding it."""
    try:
        await client.connect(reconnect=True)
    except discord.PrivilegedIntentsRequired:
        raise ConfigError(errors.DISCORD_INTENTS_REFUSED) from None
    except discord.ConnectionClosed as exc:
        if exc.code != GATEWAY_AUTHENTICATION_FAILED:
            raise
        raise ConfigError(f"{errors.discord_token_rejected(env_name('discord_token'))} "
                          f"(the gateway closed with {exc.code})") from None


class DiscordAdapter:
    """A ChatAdapter for Discord. `start()` logs in, syncs the slash commands and returns once the gateway
    session is ready; the client then runs as a background task until `stop()`."""

    platform = PLATFORM
    command_prefix = "/interp "  # how posts name a command here (the digest's `candidates --all`)...
    spell_command = staticmethod(translate.slash_command)  # ...with its options as Discord's fields

    def __init__(
        self,
        settings: Settings,
        commands: Commands,
        curation: VoteHandler | None = None,
        *,
        ready_timeout: float = 30.0,
        reply_deadline: float = 1.5,
        guild_ready_timeout: float = 2.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        settings.require("discord_token")
        self.settings = settings
        self.commands = commands
        self.maintainers = Maintainers.from_settings(settings)
        self.guild_ids = [_snowflake(value, "discord_guild_ids") for value in settings.discord_guild_ids]
        self._channels: dict[ChannelRole, int | None] = {
            "maintainers": _optional_snowflake(settings.discord_maintainers_channel_id,
                                               "discord_maintainers_channel_id"),
            "digest": _optional_snowflake(settings.discord_digest_channel_id, "discord_digest_channel_id"),
        }
        self.ready_timeout = ready_timeout
        self._page_keys = PageKeys(LONG_COMMANDS_KEPT)  # paging keys of commands too long for a button's id
        # Discord drops an interaction not answered within 3 seconds; past this we defer and answer later.
        self.reply_deadline = reply_deadline
        self._guild_ready_timeout = guild_ready_timeout
        self._client: InterpClient | None = None
        self._runner: asyncio.Task[None] | None = None
        self._reported: set[tuple[int, str]] = set()
        self.supervisor = ConnectionSupervisor(PLATFORM, self._connect, sleep=sleep,
                                                handling=lambda: self._client.last_event if self._client else "")
        self.skipped_events: dict[str, int] = {}  # event type -> how many discord.py could not read
        self.reactions = ReactionVotes(lambda: self.client, curation, self._channels["maintainers"])

    # ------------------------------------------------------------------ lifecycle

    @property
    def curation(self) -> VoteHandler | None:
        """Where votes go: the reactions' handler's (bot.adapters.discord.reactions)."""
        return self.reactions.curation

    @curation.setter
    def curation(self, handler: VoteHandler | None) -> None:
        self.reactions.curation = handler

    @property
    def client(self) -> InterpClient:
        if self._client is None:
            raise AdapterError("the Discord adapter is not started")
        return self._client

    def channel_for(self, role: ChannelRole) -> str | None:
        channel_id = self._channels.get(role)
        return str(channel_id) if channel_id else None

    async def start(self) -> None:
        if self.supervisor.running:
            return
        await self.supervisor.start()

    async def health(self) -> AdapterHealth:
        """The supervisor's word, and while it says up, the gateway socket's: discord.py takes a lost connection back
        inside `client.connect()` (retrying up to 17 minutes apart while Discord is out of reach), unseen by the
        supervisor, and meanwhile nothing is heard."""
        health = self.supervisor.health
        if health.state == "up" and not self._gateway_open():
            return AdapterHealth("down", GATEWAY_LOST)
        return health

    def _gateway_open(self) -> bool:
        return self._client is not None and self._client.ws is not None and self._client.ws.open

    def skipped_event(self, event: str, exc: Exception) -> None:
        """discord.py could not read a gateway event: it is skipped, the connection goes on (client.py)."""
        first = event not in self.skipped_events
        self.skipped_events[event] = self.skipped_events.get(event, 0) + 1
        log.warning("discord: skipped a %s event that discord.py could not read (%s); the connection goes on",
                    event, describe(exc), exc_info=exc if first else None)

    async def _connect(self) -> asyncio.Task[None]:
        """Log in with a fresh client and connect; return the task that runs the gateway once it is READY."""
        await self._close_client()
        client = InterpClient(self, guild_ready_timeout=self._guild_ready_timeout)
        self._client = client
        assert self.settings.discord_token is not None  # checked in __init__
        try:
            await client.login(self.settings.discord_token.get_secret_value())
        except discord.LoginFailure:
            await client.close()
            raise ConfigError(errors.discord_token_rejected(env_name("discord_token"))) from None
        except discord.HTTPException as exc:
            await client.close()
            raise AdapterError(f"could not log in to Discord: {exc}") from exc
        except BaseException:
            await client.close()
            raise
        runner = asyncio.create_task(_run_gateway(client), name="discord-gateway")
        self._runner = runner
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait({ready, runner}, timeout=self.ready_timeout, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            failure = runner.exception() if runner in done else None
            await self._close_client()
            if isinstance(failure, ConfigError):
                raise failure
            reason = f"the gateway connection failed: {failure}" if failure else \
                f"no READY from the Discord gateway within {self.ready_timeout:g} s"
            raise AdapterError(f"Discord did not become ready: {reason}")
        log.info("discord: connected as %s (%s) to %d guild(s)", client.user, client.user and client.user.id,
                 len(client.guilds))
        return runner

    async def stop(self) -> None:
        await self.supervisor.stop()
        await self._close_client()

    async def _close_client(self) -> None:
        client, runner = self._client, self._runner
        self._runner = None
        if client is not None and not client.is_closed():
            await client.close()
        if runner is not None:
            if not runner.done():
                runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)

    # ------------------------------------------------------------------ commands

    async def answer(self, interaction: discord.Interaction, command: str, args: str) -> None:
        """Run a command and reply; defer first if it has not finished well inside Discord's 3 seconds."""
        actor = translate.actor_for(interaction.user, self.maintainers)
        # The maintainers' commands answer the asker alone (a candidates list is their working list; a decision
        # shows where it matters, in the candidate's edited post), whatever INTERP_BOT_DISCORD_EPHEMERAL says for
        # lookups. Decided before running: a slow answer is deferred, and the deferral sets who sees it.
        ephemeral = self.settings.discord_ephemeral or self.commands.for_maintainers(command)
        work = asyncio.create_task(runner.answer(lambda: self.commands.run(command, args, actor=actor),
                                                 f"{command} {args}", self.commands.threads))
        try:
            if not await self._finishes_in_time(work):
                await interaction.response.defer(ephemeral=ephemeral, thinking=True)
            await self.reply(interaction, await work, ephemeral=ephemeral)
        except discord.NotFound as exc:  # 10062 Unknown interaction: not answered within Discord's 3 seconds
            log.warning("discord: the answer to /interp %s came too late, Discord had dropped the interaction: %s",
                        one_line(f"{command} {args}", 200), exc)  # a reader's words: one line in the log

    async def reply(self, interaction: discord.Interaction, reply: Reply, *, ephemeral: bool) -> None:
        """Send `reply` as the interaction's answer, or as its followup once it was deferred."""
        message = _message_parts(render_reply(reply), embeds=interaction.app_permissions.embed_links)
        extra: dict[str, Any] = {"view": self._pager(reply)} if reply.pages > 1 else {}
        if interaction.response.is_done():
            await interaction.followup.send(**message, **extra, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS,
                                            wait=True)
        else:
            await interaction.response.send_message(**message, **extra, ephemeral=ephemeral,
                                                    allowed_mentions=NO_MENTIONS)

    def _pager(self, reply: Reply) -> discord.ui.View:
        """The paging buttons of `reply`: its command in their ids, or a key to it when it is too long to fit."""
        return pager(reply, self._page_keys.id_command(reply.command, reply.pages))

    async def turn_page(self, interaction: discord.Interaction, id_command: str, page: int) -> None:
        """A paging button was pressed: re-run its command for that page and update the message."""
        command = self._page_keys.command(id_command)
        if command is None:  # a long command's key, from before a restart (or long since pushed out)
            await interaction.response.send_message(
                "These pages' command was too long to keep in their buttons, and the bot no longer has it "
                "(it restarted, or many answers came since): run it again.", ephemeral=True,
                allowed_mentions=NO_MENTIONS)
            return
        actor = translate.actor_for(interaction.user, self.maintainers)
        work = asyncio.create_task(runner.answer(
            lambda: self.commands.execute(command, actor=actor, page=page), command, self.commands.threads))
        try:
            if not await self._finishes_in_time(work):
                await interaction.response.defer()
            reply = await work
            message = _message_parts(render_reply(reply), embeds=interaction.app_permissions.embed_links)
            view = self._pager(reply) if reply.pages > 1 else None
            if interaction.response.is_done():
                await interaction.edit_original_response(**message, view=view, allowed_mentions=NO_MENTIONS)
            else:
                await interaction.response.edit_message(**message, view=view, allowed_mentions=NO_MENTIONS)
        except discord.NotFound as exc:  # 10062 Unknown interaction, as for a command (see `answer`)
            log.warning("discord: page %d of %s came too late, Discord had dropped the interaction: %s", page,
                        one_line(command, 200), exc)

    async def _finishes_in_time(self, work: asyncio.Task[Reply]) -> bool:
        done, _ = await asyncio.wait({work}, timeout=self.reply_deadline)
        return bool(done)

    # ------------------------------------------------------------------ posts

    async def publish(self, post: Post, role: ChannelRole) -> PostRef:
        """Post a candidate or digest. The nonce is derived from post.key and sent with enforce_nonce, so a
        retry after a crash between send and record gets the earlier message back instead of a second one."""
        channel = await self._channel(role)
        self._check_permissions(channel, with_reactions=bool(post.reactions))
        # Usually one message; a digest too long for one embed continues in more (render_post_messages), each
        # with a nonce of its own, so a retry gets each earlier message back. The post is known by the first.
        first, *more = render_post_messages(post)
        message = await self._send(channel, first, post_nonce(post.key))
        for part, rendered in enumerate(more, 2):
            await self._send(channel, rendered, post_nonce(f"{post.key}#{part}"))
        # The post stands once sent: a voting reaction that fails (a 503, which discord.py does not retry) must not
        # fail the publish, or the post goes unrecorded, the votes on it count for nothing, and the retry posts it
        # again once Discord forgets the nonce. A maintainer can add the emoji; only the prompts are missing.
        for name in post.reactions:
            try:
                await message.add_reaction(emoji.to_unicode(name))
            except discord.Forbidden as exc:
                self._refused(channel.id, ADD_REACTIONS, exc)  # logged, once per channel
                break
            except discord.HTTPException as exc:
                log.warning("discord: could not add the voting reaction %s to message %s: %s; its votes count all "
                            "the same", name, message.id, one_line(str(exc), 200))
                break
        return PostRef(PLATFORM, str(channel.id), str(message.id))

    async def _send(self, channel: discord.TextChannel, rendered: RenderedMessage, nonce: str) -> discord.Message:
        try:
            return await channel.send(embed=rendered.embed, nonce=nonce, allowed_mentions=NO_MENTIONS)
        except discord.Forbidden as exc:
            raise self._refused(channel.id, SEND_MESSAGES, exc) from exc
        except discord.NotFound as exc:
            raise self._refused(channel.id, VIEW_CHANNEL, exc) from exc
        except (discord.DiscordServerError, aiohttp.ClientError, TimeoutError) as exc:  # an outage, not our bug
            raise AdapterError(errors.discord_out_of_reach("send to", channel.id, describe(exc))) from exc

    async def edit(self, ref: PostRef, post: Post) -> None:
        channel_id = int(ref.channel_id)
        # Not looked up first: a channel since deleted answers the edit itself with 404 (Unknown Channel), which is
        # a post gone for good, where a lookup's 404 was taken for a passing failure and retried every round.
        channel = self.client.get_partial_messageable(channel_id)
        rendered = render_post(post)
        try:
            await channel.get_partial_message(int(ref.message_id)).edit(
                embed=rendered.embed, allowed_mentions=NO_MENTIONS)
        except discord.Forbidden as exc:
            raise self._refused(channel_id, SEND_MESSAGES, exc) from exc
        except discord.NotFound as exc:
            raise PostGone(f"discord: message {ref.message_id} in channel {channel_id} is gone") from exc
        except (discord.DiscordServerError, aiohttp.ClientError, TimeoutError) as exc:
            raise AdapterError(errors.discord_out_of_reach("edit a message in", channel_id, describe(exc))) from exc

    async def _channel(self, role: ChannelRole) -> discord.TextChannel:
        channel_id = self._channels.get(role)
        if not channel_id:
            setting = "discord_digest_channel_id" if role == "digest" else "discord_maintainers_channel_id"
            raise ConfigError(errors.missing_channel(env_name(setting), role))
        channel = self.client.get_channel(channel_id)
        if channel is None:
            channel = await self._fetch_channel(channel_id, role)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            raise AdapterError(f"discord: channel {channel_id} ({role}) is not a text channel")
        return channel  # type: ignore[return-value]

    async def _fetch_channel(self, channel_id: int, purpose: str) -> Any:
        try:
            return await self.client.fetch_channel(channel_id)
        except discord.Forbidden as exc:
            raise self._refused(channel_id, VIEW_CHANNEL, exc) from exc
        except discord.NotFound as exc:
            raise self._refused(channel_id, VIEW_CHANNEL, exc, unknown=True) from exc

    def _check_permissions(self, channel: discord.TextChannel, *, with_reactions: bool) -> None:
        """Name a missing permission before Discord answers a bare 403 (when the cache knows our roles)."""
        me = channel.guild.me if channel.guild else None
        if me is None:
            return
        granted = channel.permissions_for(me)
        for flag, label in POST_PERMISSIONS.items():
            if flag in ("add_reactions", "read_message_history") and not with_reactions:
                continue
            if not getattr(granted, flag):
                raise self._refused(channel.id, label)

    def _refused(self, channel_id: int, permission: str, exc: discord.HTTPException | None = None, *,
                 unknown: bool = False) -> AdapterError:
        """An AdapterError naming the permission; logged once per channel and permission, not on every retry."""
        if unknown:
            message = (f"discord: channel {channel_id} does not exist or the bot cannot see it "
                       f"(check the channel id and the bot's “{permission}” permission there)")
        else:
            message = f"discord: the bot lacks the “{permission}” permission in channel {channel_id}"
        if exc is not None:
            message += f" (Discord said {exc.status}: {exc.text or exc.code})"
        key = (channel_id, permission)
        if key not in self._reported:
            self._reported.add(key)
            log.error("%s", message)
        else:
            log.debug("%s", message)
        return AdapterError(message)


def _message_parts(rendered: RenderedMessage, *, embeds: bool) -> dict[str, Any]:
    """The embed where the bot may embed, else the plain-text fallback (Discord hides embeds without
    the Embed Links permission, which would leave an empty message)."""
    if embeds:
        return {"embed": rendered.embed}
    return {"content": rendered.fallback}


def _snowflake(value: str, setting: str) -> int:
    text = str(value).strip()
    if not text.isdigit():
        raise ConfigError(errors.not_a_discord_id(env_name(setting), value))
    return int(text)


def _optional_snowflake(value: str, setting: str) -> int | None:
    return _snowflake(value, setting) if str(value).strip() else None
