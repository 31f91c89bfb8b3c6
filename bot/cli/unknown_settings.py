"""INTERP_BOT_* variables that name no setting: a mistyped name leaves the default in force without a word, so
the command line warns about each (bot.cli.main), with the setting it may have meant."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import AliasChoices

from bot.settings import ENV_PREFIX, Settings
from bot.settings_files import did_you_mean, read_dotenv

# Read by the test suite, not by the bot: never reported as a setting that does not exist.
_NOT_SETTINGS_PREFIXES = ("INTERP_BOT_TEST_",)


def unknown_variables(environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")) -> list[str]:
    """INTERP_BOT_* variables, in the environment or `.env`, that name no setting, each with the setting it may
    have meant: a mistyped name leaves the default in force without a word otherwise. Compared as pydantic reads
    them, whatever the case (see `_setting_variables` for the names it reads)."""
    environ = os.environ if environ is None else environ
    names = set(environ) | (set(read_dotenv(dotenv)) if dotenv is not None else set())
    known = {variable.upper() for variable in _setting_variables()}
    return [f"{name} is not a setting{did_you_mean(name.upper(), known)}" for name in sorted(names)
            if name.upper().startswith(ENV_PREFIX) and name.upper() not in known
            and not name.upper().startswith(_NOT_SETTINGS_PREFIXES)]


def _setting_variables() -> list[str]:
    """Every variable name a setting is read from: INTERP_BOT_NAME, and its alias when it has one (a secret's own
    name, DISCORD_TOKEN; with populate_by_name the prefixed name is read too)."""
    variables = []
    for name, field in Settings.model_fields.items():
        variables.append(f"{ENV_PREFIX}{name.upper()}")
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            variables += [str(choice) for choice in alias.choices]
        elif isinstance(alias, str):
            variables.append(alias)
    return variables
