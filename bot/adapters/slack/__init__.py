"""Slack: `/interp` lookups, candidate posts and emoji votes through slack-bolt (Socket Mode or HTTP).

`create_adapter` is the only entry point the composition root needs. slack_bolt / slack_sdk are imported
inside it, so importing this package (and running `interp-bot topic ...`) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot import errors, extras
from bot.errors import ConfigError

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
        raise ConfigError(errors.SLACK_BOT_TOKEN_KIND)
    if settings.slack_mode == "socket":
        if signing_secret and not app_token:
            raise ConfigError(errors.SLACK_SOCKET_WITH_SIGNING_SECRET)
        if not app_token:
            raise ConfigError(errors.SLACK_SOCKET_NEEDS_APP_TOKEN)
        if not app_token.startswith("xapp-"):
            raise ConfigError(errors.SLACK_APP_TOKEN_KIND)
        if signing_secret:
            raise ConfigError(errors.SLACK_SOCKET_BOTH_SECRETS)
    else:
        if not signing_secret:
            raise ConfigError(errors.SLACK_HTTP_NEEDS_SIGNING_SECRET)
        if app_token:
            raise ConfigError(errors.SLACK_HTTP_BOTH_SECRETS)
    if not 1 <= settings.slack_http_port <= 65535 and settings.slack_mode == "http":
        raise ConfigError(errors.SLACK_HTTP_PORT_RANGE)


def create_adapter(settings: Settings, commands: Commands, curation: VoteHandler | None,
                   **options: Any) -> SlackAdapter:
    """The Slack adapter for these settings; raises ConfigError for missing or contradictory tokens, and when
    curation is wired in but INTERP_BOT_SLACK_MAINTAINERS_CHANNEL is not set (candidates would have nowhere to go).

    `options` override SlackOptions fields (tests use them for the HTTP host/port) or pass the clock and sleep.
    """
    extras.require("slack")
    check_settings(settings)
    if curation is not None:
        settings.require("slack_maintainers_channel")
    from dataclasses import fields, replace

    from bot.adapters.slack.connection import SlackAdapter, SlackOptions
    from bot.curation.maintainers import Maintainers

    configured = SlackOptions(
        bot_token=_secret(settings.slack_bot_token),
        app_token=_secret(settings.slack_app_token),
        signing_secret=_secret(settings.slack_signing_secret),
        mode=settings.slack_mode,
        http_port=settings.slack_http_port,
        maintainers_channel=settings.slack_maintainers_channel,
        digest_channel=settings.slack_digest_channel,
        maintainer_usergroups=tuple(settings.slack_maintainer_usergroups),
        ephemeral=settings.slack_ephemeral,
        api_url=settings.slack_api_url,
    )
    names = {f.name for f in fields(SlackOptions)}
    configured = replace(configured, **{k: v for k, v in options.items() if k in names})
    wiring = {k: v for k, v in options.items() if k not in names}  # clock, sleep
    return SlackAdapter(configured, commands=commands, curation=curation,
                        maintainers=Maintainers.from_settings(settings), **wiring)
