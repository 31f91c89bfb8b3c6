"""Slack: `/interp` lookups, candidate posts and emoji votes through slack-bolt (Socket Mode or HTTP).

`create_adapter` is the only entry point the composition root needs. slack_bolt / slack_sdk are imported
inside it, so importing this package (and running `interp-bot topic ...`) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.settings import ConfigError

if TYPE_CHECKING:
    from bot.adapters.slack.connection import SlackAdapter
    from bot.chat.adapter import VoteHandler
    from bot.commands import Commands
    from bot.settings import Settings


def _secret(value: Any) -> str:
    return value.get_secret_value().strip() if value is not None else ""


def check_settings(settings: Settings) -> None:
    """Fail fast, naming the variable, when the tokens do not fit the chosen mode."""
    settings.require("slack_bot_token")
    bot_token = _secret(settings.slack_bot_token)
    app_token, signing_secret = _secret(settings.slack_app_token), _secret(settings.slack_signing_secret)
    if not bot_token.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN must be the bot token (xoxb-...) from OAuth & Permissions")
    if settings.slack_mode == "socket":
        if signing_secret and not app_token:
            raise ConfigError("SLACK_SIGNING_SECRET is set but INTERP_BOT_SLACK_MODE is socket: set SLACK_APP_TOKEN "
                              "for Socket Mode, or INTERP_BOT_SLACK_MODE=http to receive signed HTTP requests")
        if not app_token:
            raise ConfigError("Socket Mode needs SLACK_APP_TOKEN (an xapp- app-level token with connections:write); "
                              "or set INTERP_BOT_SLACK_MODE=http and SLACK_SIGNING_SECRET")
        if not app_token.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN must be an app-level token (xapp-...) with connections:write")
        if signing_secret:
            raise ConfigError("both SLACK_APP_TOKEN and SLACK_SIGNING_SECRET are set: Socket Mode uses only the "
                              "app token, HTTP mode only the signing secret; unset the one you do not use")
    else:
        if not signing_secret:
            raise ConfigError("HTTP mode (INTERP_BOT_SLACK_MODE=http) needs SLACK_SIGNING_SECRET "
                              "(Basic Information → App Credentials)")
        if app_token:
            raise ConfigError("both SLACK_APP_TOKEN and SLACK_SIGNING_SECRET are set: HTTP mode uses only the "
                              "signing secret, Socket Mode only the app token; unset the one you do not use")
    if not 1 <= settings.slack_http_port <= 65535 and settings.slack_mode == "http":
        raise ConfigError("INTERP_BOT_SLACK_HTTP_PORT must be a port number from 1 to 65535")


def create_adapter(settings: Settings, commands: Commands, curation: VoteHandler | None,
                   **options: Any) -> SlackAdapter:
    """The Slack adapter for these settings; raises ConfigError for missing or contradictory tokens.

    `options` pass through to SlackAdapter (tests use them for the HTTP host/port, clock and sleep).
    """
    check_settings(settings)
    from bot.adapters.slack.connection import SlackAdapter
    from bot.curation.maintainers import Maintainers

    arguments: dict[str, Any] = {
        "bot_token": _secret(settings.slack_bot_token),
        "app_token": _secret(settings.slack_app_token),
        "signing_secret": _secret(settings.slack_signing_secret),
        "mode": settings.slack_mode,
        "http_port": settings.slack_http_port,
        "maintainers_channel": settings.slack_maintainers_channel,
        "digest_channel": settings.slack_digest_channel,
        "maintainers": Maintainers.from_settings(settings),
        "maintainer_usergroups": tuple(settings.slack_maintainer_usergroups),
        "ephemeral": settings.slack_ephemeral,
        "api_url": settings.slack_api_url,
    }
    return SlackAdapter(commands=commands, curation=curation, **(arguments | options))
