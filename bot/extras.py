"""Optional dependencies: each chat platform, PostgreSQL and GitHub publishing is an extra, named when it is missing.

A console-only install (`pip install interp-bot`) runs lookups, curation in the terminal and SQLite without
discord.py, slack-bolt, aiohttp or psycopg. Asking for what an extra provides without it installed is a
configuration problem with one clear line, not an ImportError traceback.
"""

from __future__ import annotations

import importlib.util

from bot.errors import ConfigError

# extra -> (what it is for, the modules it provides)
EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "discord": ("the Discord adapter", ("discord", "aiohttp")),
    "slack": ("the Slack adapter", ("slack_bolt", "slack_sdk", "aiohttp")),
    "postgres": ("a PostgreSQL database", ("psycopg",)),
    "github": ("publishing to GitHub", ("githubkit",)),
}


def missing_modules(extra: str) -> list[str]:
    """The modules of `extra` that cannot be imported here."""
    return [name for name in EXTRAS[extra][1] if not _importable(name)]


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a finder that knows it is absent; a half-imported module
        return False


def require(extra: str) -> None:
    """Raise ConfigError naming the extra (and how to install it) unless its modules are importable."""
    missing = missing_modules(extra)
    if missing:
        purpose = EXTRAS[extra][0]
        raise ConfigError(f"{purpose} needs the [{extra}] extra, which is not installed (missing: "
                          f"{', '.join(missing)}): pip install 'interp-bot[{extra}]'")
