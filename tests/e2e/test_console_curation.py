"""The whole loop from a shell, as a maintainer without any chat account would run it:
poll the (loopback) feeds, approve a candidate in the console, find it with `topic`, see it in the README
and the digest, and find that git sees only the new entry's lines."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import CATALOGUE, REPO
from tests.fakes.feed_server import FeedServer

FEEDS = REPO / "tests" / "data" / "feeds"


async def cli(workdir: Path, *args: str, stdin: str = "") -> tuple[int, str, str]:
    env = {**os.environ, "INTERP_BOT_DATABASE_URL": f"sqlite:///{workdir / 'bot.db'}",
           "INTERP_BOT_ALLOW_PRIVATE_ADDRESSES": "true", "INTERP_BOT_LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(REPO), "HOME": str(workdir)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=workdir, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=120)
    return process.returncode, out.decode(), err.decode()


async def test_poll_approve_in_console_then_find_it_everywhere(tmp_path: Path) -> None:
    shutil.copytree(CATALOGUE, tmp_path / "catalogue")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "catalogue"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "list"], cwd=tmp_path, check=True)

    async with FeedServer(FEEDS) as server:
        listing = server.url("/feeds/arxiv-listing-rss2-cs-cl.xml")
        feeds = f"feeds:\n  - name: arxiv-cs-cl\n    kind: arxiv_rss\n    url: {listing}\n"
        (tmp_path / "feeds.yaml").write_text(feeds)
        code, out, err = await cli(tmp_path, "poll", "--once")
        assert code == 0, err
        assert "arxiv-cs-cl:" in out
        assert "new candidate(s)" in out

    code, out, _ = await cli(tmp_path, "candidates", "--json")
    candidates = json.loads(out)
    chosen = next(c for c in candidates if c["title"].startswith("A Mechanistic Understanding of Alignment"))

    session = f"candidates\napprove {chosen['id']} --topic sparse-coding\ntopic sparse-coding\nquit\n"
    code, out, err = await cli(tmp_path, "console", stdin=session)
    assert code == 0, err
    assert f"Candidate #{chosen['id']} approved" in out
    topic_part = out.split("Candidate #")[1]
    assert "A Mechanistic Understanding of Alignment Algorithms: A Case Study on DPO and Toxicity" in topic_part
    assert "https://arxiv.org/abs/2401.01967" in topic_part

    code, out, _ = await cli(tmp_path, "topic", "sae", "--json")
    assert chosen["title"] in [e["title"] for e in json.loads(out)["entries"]]
    assert chosen["title"] in (tmp_path / "catalogue" / "README.md").read_text()

    diff = subprocess.run(["git", "diff", "--numstat", "--", "catalogue/*.yaml"], cwd=tmp_path, capture_output=True,
                          text=True, check=True).stdout.split()
    assert diff[1] == "0"
    assert diff[2] == "catalogue/tools-techniques-methods.yaml"  # lines added, none removed
    added = subprocess.run(["git", "diff", "-U0", "--", "catalogue/tools-techniques-methods.yaml"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout
    assert "+      title: \"A Mechanistic Understanding of Alignment Algorithms" in added

    code, out, _ = await cli(tmp_path, "digest", "--dry-run")
    assert code == 0
    assert chosen["title"] in out
    assert "added to" in out
    code, out, _ = await cli(tmp_path, "status", "--json")
    status = json.loads(out)
    assert status["papers"]["approved"] == 1
    assert status["feeds"][0]["name"] == "arxiv-cs-cl"
