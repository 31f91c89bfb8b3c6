"""The real discord.py client against the loopback fake Discord, with a temp catalogue and a temp SQLite DB."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from bot.adapters.discord import create_adapter
from bot.catalogue.service import CatalogueService
from bot.commands import Commands
from bot.curation.pipeline import Curation
from bot.store.db import Database
from tests.conftest import REPO
from tests.e2e.discord.harness import Bot, VoteRecorder, make_settings
from tests.fakes.discord_fake import FakeDiscord


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    # Both class attributes are restored by monkeypatch after the test.
    monkeypatch.setattr(discord.http.Route, "BASE", server.api_base)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url))
    yield server
    await server.stop()


@pytest.fixture
def catalogue_dir(tmp_path: Path) -> Path:
    target = tmp_path / "catalogue"
    shutil.copytree(REPO / "catalogue", target)
    return target


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Override in a test module (or with @pytest.mark.parametrize) to change the bot's settings."""
    return {}


@pytest.fixture
async def bot(fake: FakeDiscord, tmp_path: Path, catalogue_dir: Path,
              settings_overrides: dict[str, object]) -> AsyncIterator[Bot]:
    settings = make_settings(tmp_path, catalogue_dir, **settings_overrides)
    catalogue = CatalogueService(catalogue_dir)
    database = Database.open(settings.database_url)
    curation = Curation(database, catalogue, settings)
    votes = VoteRecorder(curation)
    adapter = create_adapter(settings, Commands(catalogue, page_size=settings.page_size), votes,
                             ready_timeout=5.0, guild_ready_timeout=0.01)
    curation.attach(adapter)
    await adapter.start()
    yield Bot(adapter, curation, votes, catalogue, database, settings)
    await adapter.stop()
    database.close()
