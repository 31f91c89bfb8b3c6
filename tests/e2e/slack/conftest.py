"""The real slack-bolt AsyncApp, driven over loopback: a fake Slack Web API + Socket Mode, signed HTTP requests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.slack import create_adapter
from bot.adapters.slack.connection import SlackAdapter
from bot.catalogue.service import CatalogueService
from bot.chat.values import Vote
from bot.commands import Commands
from bot.settings import Settings
from tests.fakes.slack_fake import FakeSlack, FakeTime

BOT_TOKEN = "xoxb-1111-2222-interpbottoken"
APP_TOKEN = "xapp-1-A0INTERP1-3333-interpapptoken"
SIGNING_SECRET = "SIGNING-SECRET-MARKER-7f3a9c"
MAINTAINERS_CHANNEL = "C0MAINTAIN"
DIGEST_CHANNEL = "C0DIGEST1"


class RecordingVotes:
    """Passes votes to the real curation (or just keeps them) and lets a test wait for them."""

    def __init__(self, curation: Any = None):
        self.curation = curation
        self.votes: list[Vote] = []
        self.outcomes: list[Any] = []
        self._changed = asyncio.Condition()

    async def handle_vote(self, vote: Vote) -> Any:
        outcome = await self.curation.handle_vote(vote) if self.curation is not None else None
        self.votes.append(vote)
        self.outcomes.append(outcome)
        async with self._changed:
            self._changed.notify_all()
        return outcome

    async def wait_for(self, count: int, within: float = 5.0) -> list[Any]:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.votes) >= count), within)
        return self.outcomes


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def commands(catalogue_dir: Path) -> Commands:
    return Commands(CatalogueService(catalogue_dir), page_size=8)


def slack_settings(fake: FakeSlack, mode: str = "socket", **values: Any) -> Settings:
    secrets = {"slack_app_token": APP_TOKEN} if mode == "socket" else {"slack_signing_secret": SIGNING_SECRET}
    base = {"slack_bot_token": BOT_TOKEN, "slack_mode": mode, "slack_api_url": fake.api_url,
            "slack_maintainers_channel": MAINTAINERS_CHANNEL, "slack_digest_channel": DIGEST_CHANNEL} | secrets
    return Settings(_env_file=None, **(base | values))


AdapterFactory = Callable[..., Awaitable[SlackAdapter]]


@pytest.fixture
async def start_adapter(fake: FakeSlack, commands: Commands, fake_time: FakeTime) -> AsyncIterator[AdapterFactory]:
    """Build the adapter through the real factory and start it; stopped after the test."""
    started: list[SlackAdapter] = []

    async def start(curation: Any = None, *, mode: str = "socket", settings: Settings | None = None,
                    options: dict[str, Any] | None = None, **values: Any) -> SlackAdapter:
        adapter = create_adapter(settings or slack_settings(fake, mode, **values), commands, curation,
                                 http_host="127.0.0.1", http_port=0,  # a free loopback port
                                 clock=fake_time.clock, sleep=fake_time.sleep, **(options or {}))
        await adapter.start()
        started.append(adapter)
        return adapter

    yield start
    for adapter in started:
        await adapter.stop()
