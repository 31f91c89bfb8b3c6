"""`interp-bot init --from-github` on folders a first run left behind: a clone stopped midway, a clone of a list
that was invalid upstream, a folder that is a clone of another repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.errors import CatalogueError
from bot.github.clone import init_from_github
from tests.fakes.github_fake import FakeGitHub
from tests.github.conftest import github_settings


async def test_init_again_after_a_clone_stopped_midway_finishes_it(tmp_path: Path, github: FakeGitHub) -> None:
    """git removes what it cloned when it fails, not when it is killed (a stop, or the 120 s timeout's kill): the
    folder kept a .git with origin set and no commit, and every later init called that a finished clone of a
    repository with "neither catalogue/topics.yaml nor a README.md to import"."""
    settings = github_settings(tmp_path, github)
    root = tmp_path / "list"
    subprocess.run(["git", "init", "--quiet", str(root)], check=True)  # what `git clone` has made before it fetches
    subprocess.run(["git", "-C", str(root), "remote", "add", "origin", github.git_url], check=True)
    result = await init_from_github(settings, github.repo)
    assert result.lines[0] == f"{root} held a clone that never finished: cloning it again"
    assert (root / "catalogue" / "topics.yaml").is_file()
    assert ".interp-bot.lock" in (root / ".git" / "info" / "exclude").read_text()


async def test_init_again_after_the_list_was_fixed_upstream_takes_the_fix(tmp_path: Path, github: FakeGitHub) -> None:
    """A list invalid upstream when init cloned it failed that init (rightly: there is no valid list to serve), and
    every later one too, fixed upstream or not: init read the clone as it was and never fetched, so compose (which
    starts the bots only after init succeeds) kept them down until someone ran git in the volume by hand."""
    def break_it(work: Path) -> None:
        path = work / "catalogue" / "tools-techniques-methods.yaml"
        path.write_text(path.read_text() + "\n  - topic: [unclosed\n")

    github.commit(break_it, "An edit that breaks the YAML")
    settings = github_settings(tmp_path, github)
    with pytest.raises(CatalogueError) as raised:
        await init_from_github(settings, github.repo)
    assert "tools-techniques-methods.yaml:" in str(raised.value.problems[0])
    fixed = github.commit(lambda work: subprocess.run(["git", "revert", "--no-commit", "HEAD"], cwd=work, check=True,
                                                      capture_output=True), "Revert the breaking edit")
    result = await init_from_github(settings, github.repo)
    assert f"the clone's list did not load: moved it to main as it is now ({fixed[:10]})" in result.lines
    assert "holds the list" in result.lines[-1]
