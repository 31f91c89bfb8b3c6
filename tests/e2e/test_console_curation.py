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
    chosen = next(c for c in candidates if c["title"].startswith("Patchscopes"))

    session = f"candidates\napprove {chosen['id']} --topic sparse-coding\ntopic sparse-coding\nquit\n"
    code, out, err = await cli(tmp_path, "console", stdin=session)
    assert code == 0, err
    assert f"Candidate #{chosen['id']} approved" in out
    topic_part = out.split("Candidate #")[1]
    assert "Patchscopes: A Unifying Framework for Inspecting Hidden Representations of Language Models" in topic_part
    assert "https://arxiv.org/abs/2401.06102" in topic_part

    code, out, _ = await cli(tmp_path, "topic", "sae", "--json")
    assert chosen["title"] in [e["title"] for e in json.loads(out)["entries"]]
    assert chosen["title"] in (tmp_path / "catalogue" / "README.md").read_text()

    diff = subprocess.run(["git", "diff", "--numstat", "--", "catalogue/*.yaml"], cwd=tmp_path, capture_output=True,
                          text=True, check=True).stdout.split()
    assert diff[1] == "0"
    assert diff[2] == "catalogue/tools-techniques-methods.yaml"  # lines added, none removed
    added = subprocess.run(["git", "diff", "-U0", "--", "catalogue/tools-techniques-methods.yaml"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout
    assert "+      title: \"Patchscopes: A Unifying Framework" in added  # quoted: the title has a colon

    code, out, _ = await cli(tmp_path, "digest", "--dry-run")
    assert code == 0
    assert chosen["title"] in out
    assert "added to" in out
    code, out, _ = await cli(tmp_path, "status", "--json")
    status = json.loads(out)
    assert status["papers"]["approved"] == 1
    assert status["feeds"][0]["name"] == "arxiv-cs-cl"


async def test_console_votes_count_as_the_configured_person_and_topic_votes_survive_approve(tmp_path: Path,
                                                                                           monkeypatch) -> None:
    """alice at the terminal is alice on Discord: one approval, not two. Her `:two:` topic choice still counts when
    she then approves directly (it used to be dropped for the first suggestion)."""
    from bot.chat.values import Vote
    from bot.curation.pipeline import Curation
    from bot.settings import Maintainer, Settings
    from bot.store.db import Database
    from tests.curation.test_pipeline import TOPICS, add_candidate

    shutil.copytree(CATALOGUE, tmp_path / "catalogue")
    maintainers = '[{"name": "alice", "discord": ["111"]}]'
    database = Database.open(f"sqlite:///{tmp_path / 'bot.db'}")
    paper_id = add_candidate(database, 4)
    settings = Settings(_env_file=None, catalogue_dir=tmp_path / "catalogue", approvals_needed=2,
                        maintainers=[Maintainer(name="alice", discord=["111"])])
    from bot.catalogue.service import CatalogueService

    curation = Curation(database, CatalogueService(tmp_path / "catalogue"), settings)
    curation.store.record_post(key="candidate:x", kind="candidate", paper_id=paper_id, platform="discord",
                               channel_id="222", message_id="333")
    outcome = await curation.handle_vote(Vote(platform="discord", user_id="111", channel_id="222", message_id="333",
                                              emoji="white_check_mark", event_id="d-1"))
    assert outcome.counted

    monkeypatch.setenv("INTERP_BOT_MAINTAINERS", maintainers)
    monkeypatch.setenv("INTERP_BOT_CONSOLE_MAINTAINER", "alice")
    # The emoji's name, or the emoji itself as a terminal's picker types it (which used to be "Unknown command").
    code, out, err = await cli(tmp_path, "console", stdin=f"✅ {paper_id}\n:two: {paper_id}\n")
    assert code == 0, err
    assert out.count(f"Vote recorded on candidate #{paper_id}") == 2
    with database.transaction() as conn:
        assert {person for person, _ in curation.store.votes(conn, paper_id)} == {"alice"}
    assert curation.papers.paper(paper_id).status == "candidate"  # one person's approval of the two needed

    # 👍 beside ✅ is still her one approval, and taking a vote back says so (it said "Vote recorded ... counted").
    code, out, err = await cli(tmp_path, "console", stdin=f":+1: {paper_id}\nvote +1 {paper_id} --remove\n"
                                                          f"vote +1 {paper_id} --remove\n")
    assert code == 0, err
    assert "already counted: 1 of 2 approvals, 0 of 1 rejections; no decision yet" in out
    assert f"Vote withdrawn from candidate #{paper_id}" in out
    assert ("withdrawn; another of their votes still counts: 1 of 2 approvals, 0 of 1 rejections; no decision yet"
            in out)  # her ✅ stands
    assert f"Nothing changed for candidate #{paper_id}" in out  # nothing left to take back

    code, out, err = await cli(tmp_path, "console", stdin=f"approve {paper_id}\n")
    assert code == 0, err
    assert f"Candidate #{paper_id} approved" in out
    decision = curation.store.decision(paper_id)
    assert decision.topic == TOPICS[1]["slug"]
    assert decision.deciders == ("alice",)
    database.close()
