"""INTERP_BOT_* variables that name no setting: a mistyped name leaves the default in force without a word, so
the command line warns about each (bot.cli.main), with the setting it may have meant."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import AliasChoices

from bot.settings import ENV_PREFIX, SECRET_NAMES, Settings, did_you_mean

# Read by the test suite, not by the bot: never reported as a setting that does not exist.
_NOT_SETTINGS_PREFIXES = ("INTERP_BOT_TEST_",)


def unknown_variables(environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")) -> list[str]:
    """INTERP_BOT_* variables, in the environment or `.env`, that name no setting, each with the setting it may
    have meant: a mistyped name leaves the default in force without a word otherwise. Compared as pydantic reads
    them, whatever the case; a secret is read only under its own name (DISCORD_TOKEN), so INTERP_BOT_DISCORD_TOKEN
    is no setting either."""
    environ = os.environ if environ is None else environ
    names = set(environ)
    if dotenv is not None and dotenv.is_file():
        from dotenv import dotenv_values

        names |= set(dotenv_values(dotenv))
    known = {variable.upper() for variable in _setting_variables()}
    problems = []
    for name in sorted(names):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in known or upper.startswith(_NOT_SETTINGS_PREFIXES):
            continue
        secret = upper.removeprefix(ENV_PREFIX)
        hint = f" (the secret is read as {secret}, without the prefix)" if secret in SECRET_NAMES else \
            did_you_mean(upper, known)
        problems.append(f"{name} is not a setting{hint}")
    return problems


def _setting_variables() -> list[str]:
    """Every variable name a setting is read from: its alias when it has one (the secrets), else INTERP_BOT_NAME."""
    variables = []
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            variables += [str(choice) for choice in alias.choices]
        elif isinstance(alias, str):
            variables.append(alias)
        else:
            variables.append(f"{ENV_PREFIX}{name.upper()}")
    return variables
