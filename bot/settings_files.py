"""The files settings are read from besides the environment: `.env`, and the YAML file INTERP_BOT_CONFIG names.

Each is read strictly: a file in another encoding, a duplicate key, an unknown setting or a secret in the YAML
file is a ConfigError naming the file (and the line), never a traceback or a silently ignored value.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from bot import errors
from bot.errors import ConfigError


def read_dotenv(path: Path = Path(".env"), *, keep_empty: bool = False) -> dict[str, str]:
    """`.env`'s non-empty values by upper-case name, as the settings read them (empty means unset); with
    `keep_empty`, the names set to nothing too (`NAME=`), as ""."""
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    readable_as_utf8(path)
    return {key.upper(): value or "" for key, value in dotenv_values(path).items()
            if value or (keep_empty and value is not None)}


def readable_as_utf8(path: Path) -> None:
    """A settings file saved in another encoding (Latin-1, Notepad's UTF-16) is named, with where it goes wrong,
    instead of a UnicodeDecodeError traceback from whichever reader meets it first."""
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: line {line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); save it as "
                          "UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None


def config_file_named(dotenv: Mapping[str, Any]) -> str | None:
    """The INTERP_BOT_CONFIG file: named in the environment, or else in `.env` (.env.example lists it there)."""
    return os.environ.get("INTERP_BOT_CONFIG") or next(
        (value for key, value in dotenv.items() if key.upper() == "INTERP_BOT_CONFIG" and value), None)


def config_file_values(path: str, *, known: Collection[str], secret_names: Collection[str]) -> dict[str, Any]:
    """The settings in INTERP_BOT_CONFIG's YAML file, read like the catalogue (bot.yaml_nodes: line numbers, no
    alias bombs); secrets are refused there."""
    from bot.yaml_nodes import YamlDocument, YamlSyntaxError, duplicate_keys

    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(errors.config_file_missing(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(errors.config_file_unreadable(path, str(exc))) from None
    try:
        with YamlDocument(text) as document:
            # Twice the same key (`approvals_needed`, a maintainer's name): the last would win, silently.
            if twice := [f"line {line}: duplicate key '{key}'" for line, key in duplicate_keys(document.root)]:
                raise YamlSyntaxError(None, "; ".join(twice))
            data = document.value()
    except YamlSyntaxError as exc:
        raise ConfigError(errors.config_file_unreadable(path, str(exc))) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(errors.config_file_unreadable(path, "expected a mapping of setting names to values"))
    leaked = [key for key in map(str, data) if key.upper() in secret_names or key.endswith(("_token", "_secret"))]
    if leaked:
        raise ConfigError(errors.secrets_in_config_file(path, leaked))
    unknown = [key for key in map(str, data) if key not in known]
    if unknown:  # a typo here would otherwise leave the default in force, silently
        raise ConfigError(errors.config_file_unknown_settings(path, [
            f"{key!r} is not a setting{did_you_mean(key, known)}" for key in unknown]))
    return {str(key): value for key, value in data.items()}


def did_you_mean(name: str, known: Any) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


def explicitly_empty(variables: Mapping[str, str], env_files: Any) -> dict[str, str]:
    """Those settings (name -> its variable) set to nothing: in the environment, or else in the `.env` file(s) the
    settings read (the environment wins, then the last file, as for every setting). Variables are compared
    whatever their case, as pydantic-settings reads them."""
    environ = {key.upper(): value for key, value in os.environ.items()}
    files = [] if env_files is None else [env_files] if isinstance(env_files, str | os.PathLike) else env_files
    dotenv: dict[str, str] = {}
    for file in files:
        dotenv.update(read_dotenv(Path(file), keep_empty=True))
    empty = {}
    for name, variable in variables.items():
        value = environ[variable] if variable in environ else dotenv.get(variable)
        if value is not None and not value.strip():
            empty[name] = ""
    return empty
