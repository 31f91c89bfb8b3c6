"""Discord's reaction events -> votes for curation: a person's reaction added or removed, a moderator's clearing.

Only the maintainers' channel's count. The events are raw (Discord sends them for every message, cached or not), so
a vote on a candidate posted before a restart still counts; InterpClient hands them here in their order per message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import discord

from bot.adapters.discord import translate
from bot.adapters.discord.client import InterpClient
from bot.catalogue.text import one_line
from bot.chat import emoji
from bot.chat.adapter import VoteHandler

log = logging.getLogger(__name__)


class ReactionVotes:
    def __init__(self, client: Callable[[], InterpClient], curation: VoteHandler | None,
                 maintainers_channel: int | None):
        self._client = client  # the adapter's current client (a reconnection makes a new one)
        self.curation = curation
        self.maintainers_channel = maintainers_channel

    @property
    def client(self) -> InterpClient:
        return self._client()

    def _on_maintainers_channel(self, channel_id: int) -> bool:
        return not self.maintainers_channel or channel_id == self.maintainers_channel

    async def on_reaction(self, payload: discord.RawReactionActionEvent, gateway_position: str = "") -> None:
        """A raw reaction add/remove -> a neutral Vote for curation (only on the maintainers' channel)."""
        if self.curation is None or not self._on_maintainers_channel(payload.channel_id):
            return
        if translate.is_super_reaction(payload):
            log.debug("discord: a super reaction on message %s is not a vote", payload.message_id)
            return
        client = self.client
        bot_user_id = client.user.id if client.user else None
        roles: tuple[str, ...] = ()
        member_is_bot = False
        added = payload.event_type == "REACTION_ADD"
        # An add in a server carries its member; one that came without (Discord documents it as optional) is looked
        # up, from the cache if we can, or a maintainer by role would not count. A removal is not: it never carries
        # a member, and takes back whatever vote that user's reaction cast, whoever they are now
        # (Maintainers.person_for_vote), so the lookup (a REST call: without the members intent the cache holds
        # almost no one) would change nothing.
        if added and payload.member is None and payload.user_id != bot_user_id:
            member = await self._member(payload.guild_id, payload.user_id)
            if member is not None:
                roles = translate.role_ids(member)
                member_is_bot = member.bot
        vote = translate.vote_from_reaction(payload, bot_user_id=bot_user_id, roles=roles,
                                            member_is_bot=member_is_bot, gateway_position=gateway_position)
        try:
            await self.curation.handle_vote(vote)
        except Exception:  # one bad vote must not take the gateway's event handling down with it
            log.exception("discord: could not handle the vote %s", vote.event_id)

    async def on_reactions_cleared(self, payload: discord.RawReactionClearEvent | discord.RawReactionClearEmojiEvent,
                                   gateway_position: str = "") -> None:
        """Every reaction (or every one of an emoji) taken off a message: the votes a candidate post carried
        are withdrawn (only on the maintainers' channel)."""
        if self.curation is None or not self._on_maintainers_channel(payload.channel_id):
            return
        cleared = translate.cleared_from_event(payload, gateway_position=gateway_position)
        try:
            outcome = await self.curation.handle_clear(cleared)
        except Exception:  # as for a vote: the gateway's event handling goes on
            log.exception("discord: could not handle the cleared reactions %s", cleared.event_id)
            return
        await self._put_back(payload.channel_id, payload.message_id, getattr(outcome, "prompts", ()))

    async def _put_back(self, channel_id: int, message_id: int, prompts: tuple[str, ...]) -> None:
        """The bot's own voting reactions on a candidate still open, which the clearing took too: without them a
        maintainer has to find ✅ in the picker to vote, and 1️⃣ 2️⃣ 3️⃣ showed nowhere."""
        message = self.client.get_partial_messageable(channel_id).get_partial_message(message_id)
        for name in prompts:
            try:
                await message.add_reaction(emoji.to_unicode(name))
            except discord.HTTPException as exc:  # no right to react any more, the post deleted: votes still count
                log.warning("discord: could not put the voting reaction %s back on message %s: %s", name,
                            message_id, one_line(str(exc), 200))
                return

    async def _member(self, guild_id: int | None, user_id: int) -> discord.Member | None:
        guild = self.client.get_guild(guild_id) if guild_id else None
        if guild is None:
            return None
        member = guild.get_member(user_id)
        if member is not None:
            return member
        try:
            return await guild.fetch_member(user_id)
        except discord.NotFound:  # left the server: no roles
            return None
        except discord.HTTPException as exc:
            log.warning("discord: could not look up member %s for a reaction: %s", user_id, exc)
            return None
