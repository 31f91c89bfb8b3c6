"""A console-only install: the chat SDKs and psycopg are extras, and a missing one is named, not a traceback.

Each case runs in a fresh interpreter whose import system refuses the extra's modules, as an environment
without them installed would.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO

BLOCK = textwrap.dedent("""
    import importlib.abc, sys
    BLOCKED = set(sys.argv[1].split(","))
    class NotInstalled(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None
    sys.meta_path.insert(0, NotInstalled())
    sys.argv = ["interp-bot", *sys.argv[2:]]
    from bot.cli import main
    raise SystemExit(main())
""")


def run_without(blocked: str, *args: str, env: dict[str, str] | None = None,
                cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BLOCK, blocked, *args], capture_output=True, text=True,
                          timeout=60, cwd=cwd or REPO, env=env)


def test_lookups_work_without_any_extra(catalogue_dir: Path) -> None:
    result = run_without("discord,slack_bolt,slack_sdk,aiohttp,psycopg", "--catalogue", str(catalogue_dir),
                         "topic", "sae")
    assert result.returncode == 0, result.stderr
    assert "Sparse Coding" in result.stdout


@pytest.mark.parametrize(("adapter", "blocked", "extra"), [
    ("discord", "discord", "discord"),
    ("slack", "slack_bolt,slack_sdk", "slack"),
])
def test_a_missing_chat_extra_is_named_with_the_install_command(
    adapter: str, blocked: str, extra: str, catalogue_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    env = {**os.environ, "DISCORD_TOKEN": "x" * 59, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1",
           "INTERP_BOT_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    result = run_without(blocked, "--catalogue", str(catalogue_dir), "run", "--adapter", adapter, env=env,
                         cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert f"needs the [{extra}] extra" in result.stderr
    assert f"pip install 'interp-bot[{extra}]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_postgresql_url_without_psycopg_names_the_postgres_extra(catalogue_dir: Path, tmp_path: Path) -> None:
    result = run_without("psycopg", "--catalogue", str(catalogue_dir), "--db", "postgresql://u@127.0.0.1:1/x",
                         "status", cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert "a PostgreSQL database needs the [postgres] extra" in result.stderr
    assert "Traceback" not in result.stderr
