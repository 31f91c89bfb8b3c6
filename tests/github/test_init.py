"""`interp-bot init --from-github` on folders a first run left behind: a clone stopped midway, a clone of a list
that was invalid upstream, a folder that is a clone of another repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

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
