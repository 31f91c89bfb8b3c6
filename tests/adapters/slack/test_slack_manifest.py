"""The app manifest asks for exactly what the adapter uses."""

from pathlib import Path

import yaml

from bot.adapters.slack.translate import REACTION_EVENTS

MANIFEST = Path(__file__).resolve().parents[3] / "slack-app-manifest.yaml"


def test_manifest_has_exactly_the_scopes_events_and_command_we_use():
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted([
        "commands", "chat:write", "reactions:write", "reactions:read", "channels:history", "groups:history",
        "usergroups:read",
    ])
    assert "user" not in manifest["oauth_config"]["scopes"]
    settings = manifest["settings"]
    assert sorted(settings["event_subscriptions"]["bot_events"]) == sorted(REACTION_EVENTS)
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/interp"
