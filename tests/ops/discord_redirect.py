"""`python tests/ops/discord_redirect.py ARGS` is `interp-bot ARGS` with discord.py aimed at a loopback address.

discord.py has no setting for its endpoints (the in-process e2e tests monkeypatch them); a child process
needs this tiny launcher instead. FAKE_DISCORD_API is the REST base (".../api/v10"), FAKE_DISCORD_GATEWAY
the websocket URL. Used by the redaction test and by benchmarks/footprint.py.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: the repository, not tests/ops

import discord
import yarl
from discord.gateway import DiscordWebSocket

discord.http.Route.BASE = os.environ["FAKE_DISCORD_API"]
DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["FAKE_DISCORD_GATEWAY"])

from bot.cli import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
