"""The GitHub mode from a shell: the real `interp-bot` in child processes against the loopback GitHub, every log at
DEBUG with git's own tracing on, and the token (raw or as git sends it) never in anything printed."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from bot.github.auth import basic_credentials
from bot.store.db import Database
from bot.store.papers import PaperStore
from tests.fakes.github_fake import RIGHTS, FakeGitHub
from tests.github.conftest import TOKEN, TOPICS
from tests.ops.support import Result, bot_env, cli


def github_env(tmp_path: Path, github: FakeGitHub, **extra: str) -> dict[str, str]:
    return bot_env(tmp_path, database_url=f"sqlite:///{tmp_path / 'bot.db'}",
                   INTERP_BOT_CATALOGUE_DIR=str(tmp_path / "list" / "catalogue"),
                   INTERP_BOT_GITHUB_REPO=github.repo, GITHUB_TOKEN=TOKEN,
                   INTERP_BOT_GITHUB_API_URL=github.api_url, INTERP_BOT_GITHUB_GIT_URL=github.git_url,
                   INTERP_BOT_LOG_LEVEL="DEBUG", GIT_TRACE="1", GIT_CURL_VERBOSE="1", GIT_TRACE_CURL="1",
                   INTERP_BOT_MAINTAINERS='[{"name": "alice"}]', **extra)


def assert_no_token(*results: Result) -> None:
    for result in results:
        output = result.stdout + result.stderr
        assert TOKEN not in output
        assert basic_credentials(TOKEN) not in output
        assert TOKEN[-16:] not in output  # not even a part of it


def add_candidate(tmp_path: Path) -> int:
    database = Database.open(f"sqlite:///{tmp_path / 'bot.db'}")
    paper, _ = PaperStore(database).record_paper(
        keys=["arxiv:2411.30001"],
        values={"canonical_id": "arxiv:2411.30001", "arxiv_id": "2411.30001",
                "title": "Dictionary Features Of A Shell-Approved Paper", "authors": ["Ada Lovelace"],
                "abstract": "Sparse dictionary features.", "abs_url": "https://arxiv.org/abs/2411.30001",
                "pdf_url": "", "links": [], "categories": [], "published": None, "score": 0.9, "topics": TOPICS,
                "status": "candidate", "listed_entry": None},
        feed="arxiv-test", item_id="shell-1", now=database.now())
    database.close()
    return paper.id


async def test_init_decide_merge_and_status_from_a_shell(tmp_path: Path, github: FakeGitHub) -> None:
    env = github_env(tmp_path, github)
    init = await cli(env, tmp_path, "init", "--from-github", github.repo)
    assert init.returncode == 0, init.stderr
    assert f"cloned {github.repo} into {tmp_path / 'list'}" in init.stdout
    again = await cli(env, tmp_path, "init", "--from-github", github.repo)
    assert again.returncode == 0, again.stderr
    assert "is already a clone" in again.stdout
    assert "INTERP_BOT_CATALOGUE_DIR" not in init.stdout + again.stdout  # the catalogue is where the bot reads it
    elsewhere = await cli(env, tmp_path, "init", "--from-github", github.repo, "--into", str(tmp_path / "other"))
    assert elsewhere.returncode == 0, elsewhere.stderr
    clone = tmp_path / "other" / "catalogue"
    next_step = f"next: set INTERP_BOT_CATALOGUE_DIR={clone} so that the bot reads this clone"
    assert elsewhere.stdout.splitlines()[-1] == next_step

    paper_id = add_candidate(tmp_path)
    decide = await cli(env, tmp_path, "decide", str(paper_id), "approve", "--topic", "sparse-coding", "--as", "alice",
                       "--force", limit=120)
    assert decide.returncode == 0, decide.stderr
    assert f"candidate #{paper_id} approved" in decide.stdout
    assert "github: pull request #1 opened: https://github.com/interp-test/awesome-llm-interpretability/pull/1" in \
        decide.stdout
    assert "alice (console)" in github.pulls[1].body

    status = await cli(env, tmp_path, "status", "--json")
    data = status.json()
    assert data["github"]["open_pull_requests"] == [
        {"number": 1, "url": "https://github.com/interp-test/awesome-llm-interpretability/pull/1",
         "branch": github.pulls[1].head}]
    assert data["github"]["publications"] == {"published": 1}
    assert data["links"]["checked_at"] is None

    github.merge(1)
    merged = await cli(env, tmp_path, "github", limit=120)
    assert merged.returncode == 0, merged.stderr
    assert "github: pull request #1 was merged" in merged.stdout
    assert "Merged on GitHub: pull request #1" in merged.stdout  # the console is the maintainers' channel here
    once = await cli(env, tmp_path, "github", limit=120)
    assert "Merged on GitHub" not in once.stdout
    topic = await cli(env, tmp_path, "topic", "sae", "--json")
    assert "Dictionary Features Of A Shell-Approved Paper" in [e["title"] for e in topic.json()["entries"]]
    plain = await cli(env, tmp_path, "status")
    assert f"GitHub      {github.repo} (pull-request) · approvals: 1 merged" in plain.stdout
    assert re.search(r"pull requests: none open · last round \d{4}-\d\d-\d\d \d\d:\d\d ok\n", plain.stdout)
    assert_no_token(init, again, decide, status, merged, once, topic, plain)
    remote = subprocess.run(["git", "remote", "-v"], cwd=tmp_path / "list", capture_output=True, text=True).stdout
    assert TOKEN not in remote


async def test_a_token_without_rights_is_one_line_naming_the_setting(tmp_path: Path, github: FakeGitHub) -> None:
    env = github_env(tmp_path, github)
    assert (await cli(env, tmp_path, "init", "--from-github", github.repo)).returncode == 0
    paper_id = add_candidate(tmp_path)
    github.tokens[TOKEN] = frozenset({"metadata", "pull_requests"})  # read-only contents
    decide = await cli(env, tmp_path, "decide", str(paper_id), "approve", "--topic", "sparse-coding", "--force",
                       limit=120)
    assert decide.returncode == 3
    errors = [line for line in decide.stderr.splitlines() if line.startswith("interp-bot:")]
    assert len(errors) == 1, decide.stderr
    assert errors[0].startswith(f"interp-bot: configuration error: GITHUB_TOKEN cannot push to {github.repo} (git: ")
    assert "returned error: 403" in errors[0]
    assert errors[0].endswith("it needs a fine-grained token for that repository with Contents: Read and write and "
                              "Pull requests: Read and write (docs/github.md)")
    assert "Traceback" not in decide.stderr
    assert f"candidate #{paper_id} approved" in decide.stdout, "the approval itself stands"

    github.tokens.clear()  # a revoked token
    status = await cli(env, tmp_path, "github", limit=120)
    assert status.returncode == 3
    assert "GITHUB_TOKEN cannot read interp-test/awesome-llm-interpretability (GitHub: 401 Bad credentials)" in \
        status.stderr
    shown = await cli(env, tmp_path, "status")
    assert re.search(r"LAST ROUND [-\d: ]+ HIT A PROBLEM: GITHUB_TOKEN cannot read interp-test/awesome-llm-"
                     r"interpretability \(GitHub: 401 Bad credentials\)", shown.stdout), shown.stdout
    assert_no_token(decide, status, shown)


async def test_an_invalid_list_upstream_is_not_called_nothing_to_do_and_shows_in_status(
        tmp_path: Path, github: FakeGitHub) -> None:
    env = github_env(tmp_path, github)
    assert (await cli(env, tmp_path, "init", "--from-github", github.repo)).returncode == 0

    def break_it(work: Path) -> None:
        path = work / "catalogue" / "tools-techniques-methods.yaml"
        path.write_text(path.read_text() + "\n  - topic: [unclosed\n")

    broken = github.commit(break_it, "An edit that breaks the YAML")
    round_ = await cli(env, tmp_path, "github", limit=120)
    assert round_.returncode == 1
    assert "github: published nothing: the list on GitHub is invalid (below); approvals wait until it is fixed" \
        in round_.stdout
    assert "nothing to do" not in round_.stdout
    assert "interp-bot: catalogue/tools-techniques-methods.yaml:" in round_.stderr
    data = (await cli(env, tmp_path, "status", "--json")).json()["github"]
    assert data["last_round"]["problem"].startswith(
        f"the list on GitHub (main at {broken[:10]}) is invalid, nothing is published until it is fixed: "
        "catalogue/tools-techniques-methods.yaml:")
    assert data["round_in_progress"] is None
    plain = await cli(env, tmp_path, "status")
    assert "HIT A PROBLEM: the list on GitHub (main at" in plain.stdout


async def test_init_imports_the_readme_of_a_list_without_a_catalogue(tmp_path: Path) -> None:
    from tests.conftest import SEED

    github = FakeGitHub(tmp_path, token=TOKEN)
    github.seed({"README.md": SEED.read_text(encoding="utf-8"), "LICENSE": "CC0\n"})
    await github.start()
    try:
        env = github_env(tmp_path, github)
        init = await cli(env, tmp_path, "init", "--from-github", github.repo, limit=120)
        assert init.returncode == 0, init.stderr
        assert "imported" in init.stdout
        assert "from README.md into" in init.stdout
        assert "pull request #1 opened" in init.stdout
        assert github.pulls[1].head == "interp-bot/import"
        imported = subprocess.run(["git", "show", "--name-only", "--format=", "interp-bot/import"], cwd=github.bare,
                                  capture_output=True, text=True, check=True).stdout.split()
        assert "catalogue/topics.yaml" in imported
        assert "README.md" in imported  # the front page readers see is rendered from the same data from now on
        assert github.show("README.md", "interp-bot/import") == github.show("catalogue/README.md", "interp-bot/import")
        assert "`README.md` rendered from it" in github.pulls[1].body
        topic = await cli(env, tmp_path, "topic", "sae", "--json")
        assert topic.returncode == 0
        assert json.loads(topic.stdout)["topic"]["slug"] == "sparse-coding"
        # Until the import is merged, a round serves the import and publishes nothing.
        round_ = await cli(env, tmp_path, "github", limit=120)
        assert round_.returncode == 0, round_.stderr
        assert "has no catalogue/ yet" in round_.stdout
        assert_no_token(init, topic, round_)
    finally:
        await github.stop()


async def test_an_import_init_could_not_propose_is_proposed_by_the_next_init(tmp_path: Path) -> None:
    """A token without the Pull requests right failed the import's pull request; init again (compose runs it at
    every start) found a clone holding the list and never proposed it: the bot served its import for ever."""
    from tests.conftest import SEED

    github = FakeGitHub(tmp_path, token=TOKEN)
    github.seed({"README.md": SEED.read_text(encoding="utf-8")})
    github.tokens[TOKEN] = frozenset({"contents", "metadata"})
    await github.start()
    try:
        env = github_env(tmp_path, github)
        first = await cli(env, tmp_path, "init", "--from-github", github.repo, limit=120)
        assert first.returncode == 3 and not github.pulls
        github.tokens[TOKEN] = frozenset({"contents", "metadata", "pull_requests"})  # the token is fixed
        again = await cli(env, tmp_path, "init", "--from-github", github.repo, limit=120)
        assert again.returncode == 0, again.stderr
        assert "pull request #1 opened" in again.stdout
        assert github.pulls[1].head == "interp-bot/import"
        third = await cli(env, tmp_path, "init", "--from-github", github.repo, limit=120)
        assert "pull request #1 is open" in third.stdout
        assert list(github.pulls) == [1]
        github.merge(1)
        fourth = await cli(env, tmp_path, "init", "--from-github", github.repo, limit=120)
        assert fourth.returncode == 0 and list(github.pulls) == [1]
    finally:
        await github.stop()


async def test_a_push_mode_import_behind_a_moved_default_branch_says_how_to_start_again(tmp_path: Path) -> None:
    """Proposed again at the next init, an import made on an older main could never be pushed (not a
    fast-forward): init failed at every start, and compose starts the bots only after it."""
    from tests.conftest import SEED

    github = FakeGitHub(tmp_path, token=TOKEN)
    github.seed({"README.md": SEED.read_text(encoding="utf-8")})
    github.tokens[TOKEN] = frozenset({"pull_requests", "metadata"})  # no Contents right yet: the push fails
    await github.start()
    try:
        env = github_env(tmp_path, github, INTERP_BOT_GITHUB_MODE="push")
        assert (await cli(env, tmp_path, "init", "--from-github", github.repo, limit=120)).returncode == 3
        github.commit(lambda work: (work / "CONTRIBUTING.md").write_text("hi\n"), "Add CONTRIBUTING")
        github.tokens[TOKEN] = RIGHTS
        again = await cli(env, tmp_path, "init", "--from-github", github.repo, limit=120)
        assert again.returncode == 0, again.stderr
        assert "was made on an older main, which has moved since, and cannot be pushed as it is: remove" in \
            again.stdout
    finally:
        await github.stop()


async def test_init_without_a_token_says_it_is_not_set(tmp_path: Path, github: FakeGitHub) -> None:
    env = github_env(tmp_path, github)
    del env["GITHUB_TOKEN"]
    init = await cli(env, tmp_path, "init", "--from-github", github.repo)
    assert init.returncode == 3
    errors = [line for line in init.stderr.splitlines() if line.startswith("interp-bot:")]
    assert len(errors) == 1, init.stderr
    assert errors[0].startswith(f"interp-bot: configuration error: GITHUB_TOKEN is not set, and {github.repo} cannot "
                                "be read without it (git: ")
    assert errors[0].endswith("Pull requests: Read and write (docs/github.md)")


async def test_run_without_a_token_stops_at_start_naming_both_settings(tmp_path: Path, github: FakeGitHub) -> None:
    """A bot that could publish nothing must not start and run as if it did: it stops with exit 3."""
    env = github_env(tmp_path, github)
    assert (await cli(env, tmp_path, "init", "--from-github", github.repo)).returncode == 0
    del env["GITHUB_TOKEN"]
    run = await cli(env, tmp_path, "run", "--adapter", "console", limit=20)
    assert run.returncode == 3, run.stderr
    assert run.stderr.strip().splitlines() == [
        "interp-bot: configuration error: INTERP_BOT_GITHUB_REPO is set but GITHUB_TOKEN is not: publishing needs a "
        "fine-grained token for that repository with Contents: Read and write and Pull requests: Read and write "
        "(docs/github.md)"]
