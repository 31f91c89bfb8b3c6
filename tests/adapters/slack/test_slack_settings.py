import pytest

from bot.adapters.slack import check_settings, create_adapter
from bot.errors import ConfigError
from bot.settings import Settings

BOT, APP, SECRET = "xoxb-1-2-abc", "xapp-1-A1-2-def", "8f742231b10e8888abcd99yyyzzz85a5"


def settings(**values):
    return Settings(_env_file=None, **values)


@pytest.mark.parametrize(("values", "names"), [
    ({}, "SLACK_BOT_TOKEN"),
    ({"slack_bot_token": BOT}, "SLACK_APP_TOKEN"),
    ({"slack_bot_token": BOT, "slack_signing_secret": SECRET}, "INTERP_BOT_SLACK_MODE=http"),
    ({"slack_bot_token": BOT, "slack_app_token": APP, "slack_signing_secret": SECRET}, "both"),
    ({"slack_bot_token": BOT, "slack_mode": "http"}, "SLACK_SIGNING_SECRET"),
    ({"slack_bot_token": BOT, "slack_mode": "http", "slack_app_token": APP, "slack_signing_secret": SECRET}, "both"),
    ({"slack_bot_token": "xoxp-user-token", "slack_app_token": APP}, "xoxb-"),
    ({"slack_bot_token": BOT, "slack_app_token": BOT}, "xapp-"),
])
def test_mode_and_tokens_must_agree(values, names, monkeypatch):
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match=names):
        check_settings(settings(**values))


def test_valid_configurations_build_an_adapter_without_connecting(monkeypatch):
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    socket = create_adapter(settings(slack_bot_token=BOT, slack_app_token=APP, slack_maintainers_channel="C1"),
                            commands=None, curation=None)
    assert socket.mode == "socket"
    assert socket.channel_for("maintainers") == "C1"
    assert socket.channel_for("digest") is None  # no digest channel configured: no digest on Slack
    http = create_adapter(settings(slack_bot_token=BOT, slack_signing_secret=SECRET, slack_mode="http",
                                   slack_digest_channel="C2"), commands=None, curation=None)
    assert http.mode == "http"
    assert http.channel_for("maintainers") is None
    assert http.channel_for("digest") == "C2"


def test_curating_on_slack_needs_the_maintainers_channel_named_at_start(monkeypatch):
    """Without it, every candidate failed to post ("no Slack channel for maintainers") long after the start."""
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="INTERP_BOT_SLACK_MAINTAINERS_CHANNEL"):
        create_adapter(settings(slack_bot_token=BOT, slack_app_token=APP), commands=None, curation=object())
    lookups_only = create_adapter(settings(slack_bot_token=BOT, slack_app_token=APP), commands=None, curation=None)
    assert lookups_only.channel_for("maintainers") is None
