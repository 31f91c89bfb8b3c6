"""Connecting: login, command sync and the gateway handshake, all on the wire."""

from __future__ import annotations

from tests.e2e.discord.harness import Bot
from tests.fakes.discord_fake import APP_ID, GUILD_ID, FakeDiscord


async def test_start_identifies_with_least_intents_and_syncs_to_the_dev_guild(fake: FakeDiscord, bot: Bot) -> None:
    assert fake.identify is not None
    intents = fake.identify["intents"]
    assert intents == (1 << 0) | (1 << 10)  # GUILDS | GUILD_MESSAGE_REACTIONS; no MESSAGE_CONTENT (1 << 15)
    sync = fake.find("PUT", rf"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
    assert len(sync) == 1
    (group,) = sync[0].json
    assert group["name"] == "interp"
    assert {o["name"] for o in group["options"]} == {"topic", "search", "paper", "topics", "recent", "help"}
    topic = next(o for o in group["options"] if o["name"] == "topic")
    assert topic["options"][0]["autocomplete"] is True
