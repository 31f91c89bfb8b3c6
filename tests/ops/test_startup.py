"""What a user sees when `interp-bot run` cannot start: one clear line, not a traceback through aiohttp."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli.exits import EXIT_CONFIG
from tests.fakes.slack_fake import FakeSlack
from tests.ops.support import bot_env, cli

DISCORD_REDIRECT = Path(__file__).with_name("discord_redirect.py")
CLOSED = "127.0.0.1:1"  # nothing listens on port 1: what a machine without a network gets, minus the DNS step


async def test_chat_platforms_out_of_reach_fail_in_one_line(tmp_path: Path) -> None:
    env = bot_env(tmp_path, database_url=f"sqlite:///{tmp_path / 'bot.db'}",
                  DISCORD_TOKEN="MTA.not.real", INTERP_BOT_DISCORD_MAINTAINERS_CHANNEL_ID="1300000000000000001",
                  SLACK_BOT_TOKEN="xoxb-1-2-not-real", SLACK_APP_TOKEN="xapp-1-A1-2-not-real",
                  INTERP_BOT_SLACK_MAINTAINERS_CHANNEL="C0MAINTAIN", INTERP_BOT_SLACK_API_URL=f"http://{CLOSED}/api/",
                  FAKE_DISCORD_API=f"http://{CLOSED}/api/v10", FAKE_DISCORD_GATEWAY=f"ws://{CLOSED}/gateway")
    # One flag naming both adapters, as `--adapter discord slack`; the default log level (INFO).
    result = await cli(env, tmp_path, "run", "--adapter", "discord", "slack",
                       launcher=[sys.executable, str(DISCORD_REDIRECT)])
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert lines[-1].startswith(f"interp-bot: run: Cannot connect to host {CLOSED}"), result.stderr
    assert "voice will NOT be supported" not in result.stderr  # the bot never joins voice: no PyNaCl/davey noise
    assert len(lines) <= 4, result.stderr  # a few INFO lines of the start, then the reason


@pytest.fixture
async def slack_fake() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    yield fake
    await fake.stop()


@pytest.mark.parametrize(("bot_token", "app_token", "said"), [
    ("xoxb-revoked-1", "xapp-1-A1-2", "interp-bot: configuration error: Slack rejected SLACK_BOT_TOKEN: invalid_auth"),
    ("xoxb-1-2", "xapp-revoked-1", "interp-bot: configuration error: Slack refused SLACK_APP_TOKEN (invalid_auth)"),
], ids=["bot-token", "app-token"])
async def test_a_token_slack_refuses_stops_run_as_a_wrong_setting(tmp_path: Path, slack_fake: FakeSlack,
                                                                  bot_token: str, app_token: str, said: str) -> None:
    """Exit 3, as for a token Discord rejects (README: 3, a setting is missing or wrong); it exited 1, as when Slack
    cannot be reached, so a script could not tell a token to replace from an outage to wait out."""
    env = bot_env(tmp_path, database_url=f"sqlite:///{tmp_path / 'bot.db'}", SLACK_BOT_TOKEN=bot_token,
                  SLACK_APP_TOKEN=app_token, INTERP_BOT_SLACK_MAINTAINERS_CHANNEL="C0MAINTAIN",
                  INTERP_BOT_SLACK_API_URL=slack_fake.api_url)
    result = await cli(env, tmp_path, "run", "--adapter", "slack")
    assert result.returncode == EXIT_CONFIG, result.stderr
    assert said in result.stderr


@pytest.mark.parametrize("closed", [(0,), (0, 1)], ids=["stdin", "stdin-and-stdout"])
async def test_run_with_stdin_closed_starts_and_stops_cleanly(tmp_path: Path, closed: tuple[int, ...]) -> None:
    """A service started with stdin closed (`<&-`, some daemonizers) runs as with /dev/null: it died at start with
    "AttributeError: 'NoneType' object has no attribute 'isatty'". With stdout closed too it runs: it logs to
    stderr, and only a one-shot answer has nowhere to go."""
    env = bot_env(tmp_path, database_url=f"sqlite:///{tmp_path / 'bot.db'}")

    def close() -> None:
        for descriptor in closed:
            os.close(descriptor)

    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--adapter", "console", cwd=tmp_path, env=env,
        preexec_fn=close, stdout=None if 1 in closed else asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        assert bot.stderr is not None
        started = b""
        while b"interp-bot running" not in started:
            line = await asyncio.wait_for(bot.stderr.readline(), 30)
            assert line, started.decode()  # the bot ended before it was running
            started += line
        bot.terminate()
        rest = await asyncio.wait_for(bot.stderr.read(), 10)
        assert await bot.wait() == 0, rest.decode()
        assert b"Traceback" not in started + rest
        assert rest.decode().rstrip().endswith("INFO    bot.app: stopping")
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()


async def test_console_and_classify_with_stdin_closed_read_nothing(tmp_path: Path) -> None:
    env = bot_env(tmp_path, database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    for command in ("console", "classify"):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", command, cwd=tmp_path, env=env, preexec_fn=lambda: os.close(0),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert (proc.returncode, out) == (0, b""), err.decode()
        assert b"Traceback" not in err
