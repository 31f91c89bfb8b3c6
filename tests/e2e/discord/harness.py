"""Building blocks for the Discord wire tests: settings, the wired bot, and documented gateway payloads."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.adapters.discord.connection import DiscordAdapter
from bot.catalogue.service import CatalogueService
from bot.chat.values import ReactionsCleared, Vote
from bot.curation.pipeline import Curation, VoteOutcome
from bot.settings import Settings
from bot.store.db import Database
from bot.store.papers import PaperStore, StoredPaper
from tests.fakes.discord_fake import (
    APP_ID,
    CAROL,
    DIGEST_CHANNEL,
    GUILD_ID,
    MAINTAINER_ROLE,
    MAINTAINERS_CHANNEL,
    sample,
)

_ids = itertools.count(1600000000000000100)


def make_settings(tmp_path: Path, catalogue_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "discord_token": SecretStr("fake-token"),
        "discord_guild_ids": [GUILD_ID],
        "discord_maintainers_channel_id": MAINTAINERS_CHANNEL,
        "discord_digest_channel_id": DIGEST_CHANNEL,
        "discord_maintainer_role_ids": [MAINTAINER_ROLE],
        "catalogue_dir": catalogue_dir,
        "database_url": f"sqlite:///{tmp_path / 'bot.db'}",
        "approvals_needed": 1,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


class VoteRecorder:
    """Curation as the adapter sees it, with every outcome queued so a test can wait for a vote's fate."""

    def __init__(self, curation: Curation):
        self.curation = curation
        self.outcomes: asyncio.Queue[tuple[Vote, VoteOutcome]] = asyncio.Queue()
        self.clears: asyncio.Queue[tuple[ReactionsCleared, VoteOutcome]] = asyncio.Queue()
        self._hold: tuple[Callable[[Vote], bool], asyncio.Event, asyncio.Event] | None = None

    def hold_next(self, which: Callable[[Vote], bool]) -> tuple[asyncio.Event, asyncio.Event]:
        """Curation as slow as a busy database: the next vote `which` picks waits, once it is being handled
        (the first event is set), until the test sets the second."""
        holding, release = asyncio.Event(), asyncio.Event()
        self._hold = (which, holding, release)
        return holding, release

    async def handle_vote(self, vote: Vote) -> VoteOutcome:
        if self._hold is not None and self._hold[0](vote):
            _, holding, release = self._hold
            self._hold = None
            holding.set()
            await release.wait()
        outcome = await self.curation.handle_vote(vote)
        self.outcomes.put_nowait((vote, outcome))
        return outcome

    async def handle_clear(self, cleared: ReactionsCleared) -> VoteOutcome:
        outcome = await self.curation.handle_clear(cleared)
        self.clears.put_nowait((cleared, outcome))
        return outcome

    async def next_clear(self, within: float = 5.0) -> tuple[ReactionsCleared, VoteOutcome]:
        return await asyncio.wait_for(self.clears.get(), within)

    async def next(self, user_id: str | None = None, within: float = 5.0) -> tuple[Vote, VoteOutcome]:
        """The next handled vote (from `user_id` if given, skipping others such as the bot's own)."""
        async def first() -> tuple[Vote, VoteOutcome]:
            while True:
                vote, outcome = await self.outcomes.get()
                if user_id is None or vote.user_id == user_id:
                    return vote, outcome

        return await asyncio.wait_for(first(), within)


@dataclass
class Bot:
    adapter: DiscordAdapter
    curation: Curation
    votes: VoteRecorder
    catalogue: CatalogueService
    database: Database
    settings: Settings

    def add_candidate(self, title: str = "Linear probes find a truth direction in chat models") -> StoredPaper:
        number = next(_ids) % 100000
        paper, _ = PaperStore(self.database).record_paper(
            keys=[f"arxiv:2611.{number:05d}"],
            values={
                "canonical_id": f"arxiv:2611.{number:05d}", "arxiv_id": f"2611.{number:05d}",
                "title": title, "authors": ["A. Researcher", "B. Scientist"],
                "abstract": "We train linear probes on the residual stream and find a direction for truth.",
                "abs_url": f"https://arxiv.org/abs/2611.{number:05d}",
                "pdf_url": f"https://arxiv.org/pdf/2611.{number:05d}",
                "links": [], "categories": ["cs.CL"], "score": 0.91,
                "topics": [{"slug": "probing", "title": "Probing", "path": "Probing", "score": 0.9}],
                "status": "candidate",
            },
            feed="arxiv-interp", item_id=title, now=self.database.now())
        return paper


# ---------------------------------------------------------------------------------------------- payloads


def _interaction(kind: int, data: dict[str, Any], *, user_id: str, roles: tuple[str, ...]) -> dict[str, Any]:
    """The documented interaction object (tests/data/discord/interaction_command.json) with fresh ids."""
    payload = sample("interaction_command")
    interaction_id = str(next(_ids))
    payload.update(id=interaction_id, type=kind, data=data, token=f"token-{interaction_id}")
    payload["member"]["user"] = {**payload["member"]["user"], "id": user_id, "username": f"user{user_id[-2:]}"}
    payload["member"]["roles"] = list(roles)
    return payload


def slash(subcommand: str, options: dict[str, tuple[int, Any]] | None = None, *, user_id: str = CAROL,
          roles: tuple[str, ...] = ()) -> dict[str, Any]:
    """`/interp <subcommand> name:value ...`; options map a name to (option type, value): 3 string, 4 integer."""
    inner = [{"name": name, "type": kind, "value": value} for name, (kind, value) in (options or {}).items()]
    data = {"id": "1700000000000000001", "name": "interp", "type": 1, "guild_id": GUILD_ID,
            "options": [{"name": subcommand, "type": 1, "options": inner}]}
    return _interaction(2, data, user_id=user_id, roles=roles)


def autocomplete(subcommand: str, option: str, typed: str) -> dict[str, Any]:
    data = {"id": "1700000000000000001", "name": "interp", "type": 1, "guild_id": GUILD_ID,
            "options": [{"name": subcommand, "type": 1,
                         "options": [{"name": option, "type": 3, "value": typed, "focused": True}]}]}
    return _interaction(4, data, user_id=CAROL, roles=())


def button(message: dict[str, Any], custom_id: str, *, user_id: str = CAROL) -> dict[str, Any]:
    payload = _interaction(3, {"custom_id": custom_id, "component_type": 2}, user_id=user_id, roles=())
    payload["message"] = {k: v for k, v in message.items() if k != "interaction_token"}
    return payload


def reaction(*, message_id: str, user_id: str, emoji: str = "✅", added: bool = True,
             roles: tuple[str, ...] = (MAINTAINER_ROLE,), bot: bool = False,
             channel_id: str = MAINTAINERS_CHANNEL, emoji_id: str | None = None,
             burst: bool = False) -> dict[str, Any]:
    """MESSAGE_REACTION_ADD (with the reacting member) or MESSAGE_REACTION_REMOVE (without), as documented.
    `emoji_id`: a server's custom emoji of that name; `burst`: a super reaction (`burst: true`, `type: 1`)."""
    payload = sample("reaction_add" if added else "reaction_remove")
    payload.update(message_id=message_id, user_id=user_id, channel_id=channel_id,
                   emoji={"id": emoji_id, "name": emoji, **({"animated": False} if emoji_id else {})},
                   burst=burst, type=1 if burst else 0)
    if burst and added:
        payload["burst_colors"] = ["#78b159", "#5c913b"]
    if added:
        payload["member"]["user"] = {**payload["member"]["user"], "id": user_id, "bot": bot}
        payload["member"]["roles"] = list(roles)
    return payload


def cleared(*, message_id: str, emoji: str | None = None, emoji_id: str | None = None,
            channel_id: str = MAINTAINERS_CHANNEL) -> tuple[str, dict[str, Any]]:
    """MESSAGE_REACTION_REMOVE_ALL, or with `emoji` MESSAGE_REACTION_REMOVE_EMOJI, as documented: (event, payload)."""
    payload = sample("reaction_remove_all" if emoji is None else "reaction_remove_emoji")
    payload.update(message_id=message_id, channel_id=channel_id)
    if emoji is None:
        return "MESSAGE_REACTION_REMOVE_ALL", payload
    payload["emoji"] = {"id": emoji_id, "name": emoji}
    return "MESSAGE_REACTION_REMOVE_EMOJI", payload


def embed_of(call_json: dict[str, Any]) -> dict[str, Any]:
    data = call_json.get("data", call_json)
    (embed,) = data["embeds"]
    return embed


__all__ = ["APP_ID", "Bot", "VoteRecorder", "autocomplete", "button", "cleared", "embed_of", "make_settings",
           "reaction", "slash"]
