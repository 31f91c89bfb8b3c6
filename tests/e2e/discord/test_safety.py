"""Hostile text, refused permissions and bad credentials, as they show on the wire."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.adapters.discord import create_adapter
from bot.catalogue.service import CatalogueService
from bot.commands import Commands
from bot.curation.posts import candidate_post, digest_post
from bot.errors import AdapterError, ConfigError
from tests.e2e.discord.harness import Bot, embed_of, make_settings
from tests.fakes.discord_fake import BOT_ROLE, DIGEST_CHANNEL, MAINTAINERS_CHANNEL, FakeDiscord

POSTS = rf"/channels/{MAINTAINERS_CHANNEL}/messages"
HOSTILE = "@everyone <@123456789012345678> <@&456789012345678901> [x](javascript:alert(1)) **bold**"


async def test_a_hostile_title_pings_nobody_and_is_escaped(fake: FakeDiscord, bot: Bot) -> None:
    bot.add_candidate(HOSTILE)
    await bot.curation.publish_pending()
    call = await fake.wait_for("POST", POSTS)

    assert call.json["allowed_mentions"] == {"parse": []}
    title = embed_of(call.json)["title"]
    assert "@everyone" not in title
    assert "@\u200beveryone" in title
    assert "<@123456789012345678>" not in title
    assert "<@&456789012345678901>" not in title
    assert "[x](javascript" not in title
    assert "\\[x\\](javascript" in title
    assert "**bold**" not in title


async def test_a_refused_post_names_the_permission_and_is_logged_once(fake: FakeDiscord, bot: Bot,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    bot.add_candidate("Probing for syntax")
    forbidden = {"message": "Missing Permissions", "code": 50013}
    fake.fail_next("POST", POSTS, 403, forbidden)
    fake.fail_next("POST", POSTS, 403, forbidden)
    caplog.set_level(logging.ERROR)
    assert await bot.curation.publish_pending() == 0
    assert await bot.curation.publish_pending() == 0
    refusals = [r for r in caplog.records if r.name.startswith("bot.adapters.discord") and "Send Messages" in
                r.getMessage()]
    assert len(refusals) == 1
    # One attempt, then back-off: the next round does not try again yet (`status` shows the post as failing).
    assert len(fake.find("POST", POSTS)) == 1


async def test_a_missing_channel_permission_is_named_before_sending(fake: FakeDiscord, bot: Bot) -> None:
    # A server admin denies the bot's role Add Reactions in the channel; Discord tells the client so.
    channel = next(c for c in fake.guild["channels"] if c["id"] == MAINTAINERS_CHANNEL)
    deny = {"id": BOT_ROLE, "type": 0, "allow": "0", "deny": str(1 << 6)}
    updated = asyncio.create_task(bot.adapter.client.wait_for("guild_channel_update", timeout=5))
    await fake.dispatch("CHANNEL_UPDATE", {**channel, "permission_overwrites": [deny]})
    await updated
    bot.add_candidate("Probing for syntax")
    paper = bot.curation.papers.candidates()[0]
    with pytest.raises(AdapterError, match="Add Reactions"):
        await bot.adapter.publish(candidate_post(paper, bot.catalogue.index, bot.curation.rules), "maintainers")
    assert not fake.find("POST", POSTS)


async def test_a_digest_needs_no_read_message_history_where_a_candidate_does(fake: FakeDiscord, bot: Bot) -> None:
    """Discord asks Read Message History of a reaction, not of a message: a digest (no voting reactions) was refused
    before sending in a channel that denies the bot it, where Discord would have taken it."""
    deny = {"id": BOT_ROLE, "type": 0, "allow": "0", "deny": str(1 << 16)}  # READ_MESSAGE_HISTORY
    for channel_id in (DIGEST_CHANNEL, MAINTAINERS_CHANNEL):
        channel = next(c for c in fake.guild["channels"] if c["id"] == channel_id)
        updated = asyncio.create_task(bot.adapter.client.wait_for("guild_channel_update", timeout=5))
        await fake.dispatch("CHANNEL_UPDATE", {**channel, "permission_overwrites": [deny]})
        await updated
    ref = await bot.adapter.publish(digest_post("2026-11-24", [], [], bot.catalogue.index), "digest")
    call = await fake.wait_for("POST", rf"/channels/{DIGEST_CHANNEL}/messages")
    assert embed_of(call.json)["title"] == "interp-bot digest — 2026-11-24"
    assert ref.channel_id == DIGEST_CHANNEL
    bot.add_candidate("Probing for syntax")
    paper = bot.curation.papers.candidates()[0]
    with pytest.raises(AdapterError, match="Read Message History"):  # its voting reactions would be refused
        await bot.adapter.publish(candidate_post(paper, bot.catalogue.index, bot.curation.rules), "maintainers")


async def test_a_rejected_token_is_a_config_error_naming_discord_token(fake: FakeDiscord, tmp_path: Path,
                                                                       catalogue_dir: Path) -> None:
    fake.fail_next("GET", "/users/@me", 401, {"message": "401: Unauthorized", "code": 0})
    settings = make_settings(tmp_path, catalogue_dir)
    adapter = create_adapter(settings, Commands(CatalogueService(catalogue_dir)), None, ready_timeout=2.0)
    with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
        await adapter.start()
    await adapter.stop()


def test_missing_settings_name_the_variable(tmp_path: Path, catalogue_dir: Path) -> None:
    commands = Commands(CatalogueService(catalogue_dir))
    with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
        create_adapter(make_settings(tmp_path, catalogue_dir, discord_token=None), commands, None)
    with pytest.raises(ConfigError, match="INTERP_BOT_DISCORD_MAINTAINERS_CHANNEL_ID"):
        create_adapter(make_settings(tmp_path, catalogue_dir, discord_maintainers_channel_id=""), commands,
                       object())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="INTERP_BOT_DISCORD_GUILD_IDS"):
        create_adapter(make_settings(tmp_path, catalogue_dir, discord_guild_ids=["my-server"]), commands, None)
