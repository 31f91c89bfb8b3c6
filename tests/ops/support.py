"""Helpers for tests that run the real `interp-bot` command in child processes (fixtures: conftest.py).

Each child gets an environment built from scratch (no developer .env, tokens or INTERP_BOT_* leak in), a
scratch copy of the catalogue, and a working directory of its own. Output goes to files, not pipes: a long
running bot that logs more than a pipe buffer holds would otherwise block while nobody reads it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.feed_server import FeedServer

REPO = Path(__file__).resolve().parents[2]
FEED_FILES = REPO / "tests" / "data" / "feeds"
SECRET_NAMES = ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "GITHUB_TOKEN")

# Captured feeds that put forward candidates against the real catalogue (found by `interp-bot poll`).
CANDIDATE_FEEDS = {"lesswrong": ("forum_rss", "lesswrong-frontpage.xml"),
                   "cs-cl": ("arxiv_rss", "arxiv-listing-rss2-cs-cl.xml")}


def write_feeds(path: Path, server: FeedServer, feeds: dict[str, tuple[str, str]]) -> Path:
    """A feeds.yaml naming loopback URLs; a long interval so each feed is due exactly once per test."""
    lines = ["feeds:"]
    for name, (kind, file_name) in feeds.items():
        lines += [f"  - name: {name}", f"    kind: {kind}", f"    url: {server.url('/feeds/' + file_name)}",
                  "    interval_minutes: 60"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def bot_env(workdir: Path, *, database_url: str, feeds_file: Path | None = None, **settings: str) -> dict[str, str]:
    """The environment of a child `interp-bot`: ours minus every bot setting and secret, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERP_BOT_") and k not in SECRET_NAMES}
    catalogue = workdir / "catalogue"
    if not catalogue.exists():
        shutil.copytree(REPO / "catalogue", catalogue, ignore=shutil.ignore_patterns(".interp-bot.lock"))
    env.update({
        "PYTHONUNBUFFERED": "1",
        "INTERP_BOT_CATALOGUE_DIR": str(catalogue),
        "INTERP_BOT_DATABASE_URL": database_url,
        "INTERP_BOT_FEEDS_FILE": str(feeds_file or workdir / "no-feeds.yaml"),
        "INTERP_BOT_ALLOW_PRIVATE_ADDRESSES": "true",  # the feed server listens on loopback
    })
    env.update(settings)
    return env


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


async def cli(env: dict[str, str], cwd: Path, *args: str, limit: float = 30,
              launcher: list[str] | None = None) -> Result:
    """Run `interp-bot ARGS` to completion (`launcher` replaces `python -m bot`, e.g. discord_redirect.py)."""
    proc = await asyncio.create_subprocess_exec(
        *(launcher or [sys.executable, "-m", "bot"]), *args, cwd=cwd, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), limit)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return Result(proc.returncode, out.decode(), err.decode())  # type: ignore[arg-type]


class BotProcess:
    """A long-running `interp-bot run` child whose output is collected in files under `workdir`."""

    def __init__(self, env: dict[str, str], workdir: Path, *args: str, name: str = "bot"):
        self.env, self.workdir, self.args, self.name = env, workdir, args, name
        self.stdout_path = workdir / f"{name}.stdout"
        self.stderr_path = workdir / f"{name}.stderr"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> BotProcess:
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            # stdin is not a terminal, so `run --adapter console` runs the scheduler headless.
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", *self.args, cwd=self.workdir, env=self.env,
                stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=err)
        return self

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def terminate(self, limit: float = 10) -> int:
        """SIGTERM, then the exit code; raises TimeoutError if the bot does not stop in time."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.terminate()
        return await asyncio.wait_for(self.proc.wait(), limit)

    async def kill(self) -> None:
        """The finally-block guarantee: never leave a child behind, whatever the test did."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


async def wait_for(condition: Callable[[], Any], *, limit: float, interval: float = 0.25,
                   what: str = "condition", alive: Callable[[], bool] | None = None) -> Any:
    """Poll an (async or plain) condition until it is truthy; fail with `what` at the deadline.

    `alive` lets the wait fail at once, with the child's own words, when the child has died.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if alive is not None and not alive():
            pytest.fail(f"the bot exited while waiting for {what}")
        if loop.time() > deadline:
            pytest.fail(f"timed out after {limit:g} s waiting for {what}")
        await asyncio.sleep(interval)
