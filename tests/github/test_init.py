"""`interp-bot init --from-github` on folders a first run left behind: a clone stopped midway, a clone of a list
that was invalid upstream, a folder that is a clone of another repository (which rounds never take either)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.catalogue.service import CatalogueService
from bot.curation.pipeline import Curation
from bot.errors import CatalogueError, ConfigError
from bot.github.clone import init_from_github
from bot.github.publisher import Publisher
from bot.store.db import Database
from tests.fakes.github_fake import FakeGitHub, git
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


async def test_init_again_after_a_checkout_stopped_midway_restores_it(tmp_path: Path, github: FakeGitHub) -> None:
    """A clone killed while it checked out HEAD (or a work tree emptied by hand) has HEAD's commit but not its files:
    init took it for a repository without a catalogue, imported the README over it and opened an import pull request
    on a list that has had catalogue/ all along."""
    settings = github_settings(tmp_path, github)
    await init_from_github(settings, github.repo)
    root = tmp_path / "list"
    head = git("rev-parse", "HEAD", cwd=root)
    (root / ".git" / "index").unlink()
    shutil.rmtree(root / "catalogue")
    (root / ".git" / "info" / "exclude").write_text("")  # init adds the lock's line after the clone is made
    result = await init_from_github(settings, github.repo)
    assert f"{root} held a checkout that never finished (catalogue/topics.yaml was missing): restored it from " \
        f"{head[:10]}" in result.lines
    assert "holds the list" in result.lines[-1]
    assert result.imported is None
    assert git("rev-parse", "HEAD", cwd=root) == head
    assert git("status", "--porcelain", cwd=root) == ""
    assert github.find("POST", f"/repos/{github.repo}/pulls") == []
    assert github.head("interp-bot/import") is None
    assert ".interp-bot.lock" in (root / ".git" / "info" / "exclude").read_text().splitlines()


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


def another_repositorys_checkout(tmp_path: Path) -> Path:
    """A developer's checkout of interp-bot itself (its own catalogue/ inside) with a commit not pushed yet, cloned
    over a path, as an ssh remote would be: no http(s) URL."""
    seed = tmp_path / "interp-bot-seed"
    seed.mkdir()
    git("init", "--quiet", "--initial-branch=main", cwd=seed)
    shutil.copytree(Path(__file__).resolve().parents[2] / "catalogue", seed / "catalogue",
                    ignore=shutil.ignore_patterns(".interp-bot.lock"))
    (seed / "app.py").write_text("print('interp-bot')\n")
    git("add", "-A", cwd=seed)
    git("commit", "--quiet", "-m", "interp-bot", cwd=seed)
    checkout = tmp_path / "interp-bot"
    git("clone", "--quiet", str(seed), str(checkout), cwd=tmp_path)
    (checkout / "app.py").write_text("print('work in progress')\n")
    git("commit", "--quiet", "-am", "Work in progress", cwd=checkout)
    return checkout


async def test_a_round_never_takes_another_repositorys_checkout_for_the_lists_clone(
        tmp_path: Path, github: FakeGitHub) -> None:
    """INTERP_BOT_CATALOGUE_DIR left at `catalogue` in a checkout of interp-bot itself: an origin that is no http(s)
    URL (ssh, a path) was trusted as a clone made by hand, so the round reset the checkout to its origin's main,
    dropping the developer's commit, and would have pushed the bot's branches there."""
    checkout = another_repositorys_checkout(tmp_path)
    settings = github_settings(tmp_path, github, catalogue_dir=checkout / "catalogue")
    database = Database.open(settings.database_url)
    try:
        publisher = Publisher(settings, Curation(database, CatalogueService(settings.catalogue_dir), settings))
        with pytest.raises(ConfigError) as raised:
            await publisher.run_round()
    finally:
        database.close()
    assert str(raised.value).startswith(f"the catalogue {checkout / 'catalogue'} is in a clone of {tmp_path}/"
                                        f"interp-bot-seed, not of {github.repo}: ")
    assert "set-url" not in str(raised.value)
    assert git("log", "-1", "--format=%s", cwd=checkout) == "Work in progress"
    assert (checkout / "app.py").read_text() == "print('work in progress')\n"


async def test_init_in_another_repositorys_checkout_never_says_to_point_it_at_the_list(
        tmp_path: Path, github: FakeGitHub) -> None:
    """It said "point it there with `git remote set-url origin`": done, the next round reset the checkout to the
    list's history."""
    checkout = another_repositorys_checkout(tmp_path)
    settings = github_settings(tmp_path, github, catalogue_dir=checkout / "catalogue")
    with pytest.raises(ConfigError) as raised:
        await init_from_github(settings, github.repo)
    assert str(raised.value).startswith(f"{checkout} is a clone of {tmp_path}/interp-bot-seed, not of {github.repo}: ")
    assert "set-url" not in str(raised.value)


async def test_init_again_on_its_own_clone_of_a_git_url_that_names_no_owner_and_name(
        tmp_path: Path, github: FakeGitHub) -> None:
    """INTERP_BOT_GITHUB_GIT_URL is any remote (a mirror, a proxy's path): the clone init made of it was refused the
    next time ("a clone of ..., not of OWNER/NAME"), and compose runs init before every start."""
    mirror = tmp_path / "mirror.git"
    mirror.symlink_to(github.bare)
    settings = github_settings(tmp_path, github, github_git_url=str(mirror))
    await init_from_github(settings, github.repo)
    result = await init_from_github(settings, github.repo)
    assert result.lines[0] == f"{tmp_path / 'list'} is already a clone of {github.repo}"
