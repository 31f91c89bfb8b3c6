"""kill -9 at any point of an approval, then `decide` or `run`: the entry is written once, the README is current.

An approval changes things in four steps: the decision row commits, the YAML is written, the README is rendered,
the decision is marked written. Real `interp-bot decide` processes are stopped between each pair, held there at
the edges and never inside our code: with SIGKILL before the decision commits (the test holds SQLite's write
lock), after it commits but before the YAML is written (the test holds the catalogue's write lock), and after the
YAML and README are written but before the database records it (the catalogue lock released, SQLite's held).
Between the YAML and the README nothing external can hold the process, so there it is stopped by the README's
write failing (README.md is a directory): the state a kill there leaves. Whatever the point, the next `decide` (the
same command again) or `run` finishes the approval. Killed writers' temp files are covered in
tests/catalogue/test_yaml_write.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.catalogue.service import CatalogueService
from bot.catalogue.yaml_io import load_catalogue
from bot.store.curation import CurationStore
from bot.store.db import Database
from tests.curation.test_pipeline import add_candidate
from tests.ops.support import BotProcess, bot_env, cli, wait_for

pytestmark = pytest.mark.slow

TITLE = "Sparse Autoencoders Reveal Feature Family Number 1 in Language Models"


def setup(tmp_path: Path) -> tuple[dict[str, str], Path, str]:
    database_url = f"sqlite:///{tmp_path / 'bot.db'}"
    env = bot_env(tmp_path, database_url=database_url, INTERP_BOT_MAINTAINERS='[{"name": "ada"}]')
    database = Database.open(database_url)
    paper_id = add_candidate(database, 1)
    database.close()
    return env, tmp_path / "catalogue", str(paper_id)


@contextlib.contextmanager
def catalogue_lock(catalogue: Path) -> Iterator[None]:
    """The lock every catalogue writer takes (bot.catalogue.yaml_write.write_lock), held by the test."""
    with open(catalogue / ".interp-bot.lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def database_write_lock(path: Path) -> Iterator[None]:
    """SQLite's write lock, held by the test: a writer in the bot waits (busy timeout) until it is released."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()


async def start_decide(env: dict[str, str], cwd: Path, paper_id: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "decide", paper_id, "approve", "--as", "ada", "--force", cwd=cwd, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


async def kill9(process: asyncio.subprocess.Process) -> None:
    process.kill()  # SIGKILL: no finally, no atexit, no flush
    await process.wait()


def decision(tmp_path: Path) -> tuple[str, bool] | None:
    database = Database.open(f"sqlite:///{tmp_path / 'bot.db'}", migrate=False)
    try:
        found = CurationStore(database).decision(1)
        return (found.decision, found.written) if found else None
    finally:
        database.close()


def copies(catalogue: Path) -> int:
    return [entry.title for entry in load_catalogue(catalogue).entries].count(TITLE)


async def finish(how: str, env: dict[str, str], tmp_path: Path, paper_id: str) -> None:
    """What an operator does after the crash: `decide` the candidate again, or start the bot."""
    if how == "decide":  # the same command again
        result = await cli(env, tmp_path, "decide", paper_id, "approve", "--as", "ada", "--force")
        assert result.returncode in (0, 1), result.stderr  # 1: "already approved", when the kill came too late
        assert "Traceback" not in result.stderr
        return
    bot = BotProcess(env, tmp_path, "run", "--adapter", "console")
    await bot.start()
    try:
        await wait_for(lambda: "interp-bot running" in bot.stderr, limit=20, what="the bot to start",
                       alive=bot.running)
        assert await bot.terminate(limit=10) == 0, bot.stderr
    finally:
        await bot.kill()


def assert_finished(tmp_path: Path, catalogue: Path) -> None:
    """Approved, written once, README current, no litter. (Or, when the kill came before the decision committed
    and the bot was merely started again: nothing decided, nothing written, README current.)"""
    found = decision(tmp_path)
    assert found in (("approved", True), None)
    assert copies(catalogue) == (1 if found else 0)
    assert CatalogueService(catalogue).readme_is_current()
    assert list(catalogue.glob(".*.tmp")) == []


@pytest.mark.parametrize("how", ["decide", "run"])
@pytest.mark.parametrize("point", ["before the decision", "before the YAML", "before the README", "before the record"])
async def test_a_killed_approval_is_finished_once_by_the_next_decide_or_run(tmp_path: Path, point: str,
                                                                           how: str) -> None:
    env, catalogue, paper_id = setup(tmp_path)
    database_file = tmp_path / "bot.db"
    if point == "before the README":
        readme = catalogue / "README.md"
        readme.unlink()
        readme.mkdir()  # the render's rename fails: the YAML is written, the README not
        result = await cli(env, tmp_path, "decide", paper_id, "approve", "--as", "ada", "--force")
        assert result.returncode == 1
        assert "finishing it failed: IsADirectoryError" in result.stderr
        assert (decision(tmp_path), copies(catalogue)) == (("approved", False), 1)
        readme.rmdir()  # the cause fixed
    elif point == "before the decision":
        with database_write_lock(database_file):
            process = await start_decide(env, tmp_path, paper_id)
            await kill9(process)  # whatever it reached, it could not commit
        assert decision(tmp_path) is None
    else:
        with catalogue_lock(catalogue):
            process = await start_decide(env, tmp_path, paper_id)
            await wait_for(lambda: decision(tmp_path) == ("approved", False), limit=30,
                           what="the decision to commit", alive=lambda: process.returncode is None)
            if point == "before the YAML":
                await kill9(process)
                assert copies(catalogue) == 0
        if point == "before the record":
            # The YAML and README land; the child then waits for the database, where the test holds the lock.
            with database_write_lock(database_file):
                await wait_for(lambda: TITLE in (catalogue / "README.md").read_text(encoding="utf-8"), limit=30,
                               what="the README to be rendered", alive=lambda: process.returncode is None)
                await kill9(process)
            assert decision(tmp_path) == ("approved", False)
            assert copies(catalogue) == 1

    await finish(how, env, tmp_path, paper_id)
    assert_finished(tmp_path, catalogue)
    if how == "decide" or point != "before the decision":
        assert decision(tmp_path) == ("approved", True)


async def test_an_approval_that_cannot_be_written_is_reported_and_the_bot_starts(tmp_path: Path) -> None:
    """Issue 13, item 1: `run` recovers at start; one approval it cannot finish used to stop the bot from starting
    at all. Now it is logged, listed by `status`, and the bot runs (and finishes it once the cause is fixed)."""
    env, catalogue, paper_id = setup(tmp_path)
    database = Database.open(env["INTERP_BOT_DATABASE_URL"])
    with database.transaction() as conn:  # decided into a topic that has since left topics.yaml
        CurationStore(database).decide(conn, paper_id=int(paper_id), decision="approved", topic="gone-topic",
                                       deciders=["ada"], entry_id=None, now=database.now())
    database.close()
    bot = BotProcess(env, tmp_path, "run", "--adapter", "console")
    await bot.start()
    try:
        await wait_for(lambda: "interp-bot running" in bot.stderr, limit=20, what="the bot to start",
                       alive=bot.running)
        assert f"the approved decision on candidate #{paper_id} is not finished" in bot.stderr
        assert "no topic 'gone-topic'" in bot.stderr
        status = await cli(env, tmp_path, "status", "--json")
        (stuck,) = status.json()["approvals_unfinished"]
        assert (stuck["candidate"], stuck["attempts"]) == (int(paper_id), 1)
        assert "no topic 'gone-topic'" in stuck["error"]
        assert await bot.terminate(limit=10) == 0, bot.stderr
    finally:
        await bot.kill()
    assert "Traceback" not in bot.stderr
    # The operator clears it (docs/operations.md): file it under a topic that exists.
    result = await cli(env, tmp_path, "decide", paper_id, "approve", "--topic", "probing")
    assert result.returncode == 0, result.stderr
    assert f"candidate #{paper_id}: finished the approved decision" in result.stdout
    assert copies(catalogue) == 1
    assert load_catalogue(catalogue).entry("sparse-autoencoders-reveal-feature-family-number-1").topics == (
        "probing",)
    assert (await cli(env, tmp_path, "status", "--json")).json()["approvals_unfinished"] == []
