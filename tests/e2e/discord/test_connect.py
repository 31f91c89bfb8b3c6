"""Connecting: login, command sync and the gateway handshake, all on the wire."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.discord.harness import Bot, make_settings
from tests.fakes.discord_fake import APP_ID, GUILD_ID, MAINTAINERS_CHANNEL, FakeDiscord


async def test_start_identifies_with_least_intents_and_syncs_to_the_dev_guild(fake: FakeDiscord, bot: Bot) -> None:
    assert fake.identify is not None
    intents = fake.identify["intents"]
    assert intents == (1 << 0) | (1 << 10)  # GUILDS | GUILD_MESSAGE_REACTIONS; no MESSAGE_CONTENT (1 << 15)
    sync = fake.find("PUT", rf"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
    assert len(sync) == 1
    (group,) = sync[0].json
    assert group["name"] == "interp"
    assert {o["name"] for o in group["options"]} == {"topic", "search", "paper", "topics", "recent", "help",
                                                     "candidates", "approve", "reject", "vote"}
    topic = next(o for o in group["options"] if o["name"] == "topic")
    assert topic["options"][0]["autocomplete"] is True


async def test_the_app_runs_the_discord_adapter_it_builds_by_name(fake: FakeDiscord, tmp_path: Path,
                                                                  catalogue_dir: Path) -> None:
    """`interp-bot run --adapter discord`: the composition root finds create_adapter and starts it."""
    from bot.app import App

    settings = make_settings(tmp_path, catalogue_dir, feeds_file=tmp_path / "no-feeds.yaml")
    app = App(settings)
    adapter = app.add_adapter("discord", ready_timeout=5.0, guild_ready_timeout=0.01)
    try:
        await app.start(scheduler=False)
        assert adapter.channel_for("maintainers") == MAINTAINERS_CHANNEL
        assert fake.identify is not None
    finally:
        await app.stop()
