"""A running bot and maintainers editing catalogue/ by hand: what readers are answered, and when.

(An edit that breaks the list is in test_yaml_io.py: the last valid list is served. Another bot's approval in
between ours is in test_yaml_write.py. Commits beside a maintainer's uncommitted edits: test_git_commit.py.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.catalogue.model import Entry
from bot.catalogue.service import CatalogueService
from bot.chat.text import render_text
from bot.commands import Commands

NEW = Entry(id="scaling-monosemanticity", title="Scaling Monosemanticity: Extracting Interpretable Features",
            source="https://transformer-circuits.pub/2024/scaling-monosemanticity/")


def save(path: Path, old: str, new: str) -> None:
    """A maintainer's editor saves the file."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_file_saved_by_hand_while_an_approval_is_written_is_served(catalogue_dir: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The service took the files' fingerprint after the approval: a save that came between the approval reading
    the list and that moment was in the fingerprint but not in the list it served, which then looked current, and
    the edit stayed unanswered (and out of the README) until some other file changed. On a 10,000-entry list that
    moment is seconds long (two loads and an index)."""
    service = CatalogueService(catalogue_dir)
    commands = Commands(service, page_size=8)
    real_replace = os.replace
    saved = []

    def replace(source: str | Path, target: str | Path) -> None:  # the approval's file lands: the maintainer saves
        real_replace(source, target)
        if not saved and Path(target).name == "tools-techniques-methods.yaml":
            saved.append(target)
            save(catalogue_dir / "library.yaml", "title: baukit\n", "title: baukit (David Bau's toolkit)\n")

    monkeypatch.setattr(os, "replace", replace)
    service.append(NEW, "sparse-coding")
    monkeypatch.setattr(os, "replace", real_replace)
    assert saved
    assert "baukit (David Bau's toolkit)" in render_text(commands.execute("paper baukit"))
    assert "baukit (David Bau's toolkit)" in (catalogue_dir / "README.md").read_text(encoding="utf-8")


def test_a_save_of_the_approvals_own_file_while_it_is_written_is_kept_not_overwritten(
        catalogue_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The approval read the entry file, checked the whole list with its entry added (a load: a second or so on a
    10,000-entry list), then renamed its version into place: a maintainer's save of that file in between was
    replaced by a copy without it, silently."""
    path = catalogue_dir / "tools-techniques-methods.yaml"
    framework = "title: A mathematical framework for transformer circuits\n"
    service = CatalogueService(catalogue_dir)
    real_fsync = os.fsync
    saved = []

    def fsync(fd: int) -> None:  # the approval's copy is on disk, not yet renamed into place: the maintainer saves
        real_fsync(fd)
        if not saved:
            saved.append(fd)
            save(path, framework, "title: A Mathematical Framework for Transformer Circuits\n")

    monkeypatch.setattr(os, "fsync", fsync)
    service.append(NEW, "sparse-coding")
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert saved
    text = path.read_text(encoding="utf-8")
    assert "title: A Mathematical Framework for Transformer Circuits\n" in text  # the maintainer's save
    assert "id: scaling-monosemanticity" in text  # and the approval
    assert service.index.catalogue.entry(NEW.id) is not None
    assert service.readme_is_current()


def test_an_editors_lock_file_beside_the_yaml_is_not_read_as_part_of_the_list(catalogue_dir: Path) -> None:
    """Emacs marks a file with unsaved changes by a symlink `.#NAME` to nowhere: `.#library.yaml` was read as an
    entry file, and every lookup after the next save, every approval and every command crashed with
    FileNotFoundError until the maintainer saved. macOS leaves `._NAME` files (binary) on shared and copied
    volumes: the bot refused to start on one."""
    service = CatalogueService(catalogue_dir)
    commands = Commands(service, page_size=8)
    (catalogue_dir / ".#library.yaml").symlink_to("maintainer@laptop.12345:1733600000")
    (catalogue_dir / "._survey.yaml").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \x00\x02")
    save(catalogue_dir / "tutorial.yaml", "title: Concrete Steps to Get Started in Transformer Mechanistic "
                                          "Interpretability",
         "title: Concrete Steps to Get Started in Mechanistic Interpretability")

    assert "Concrete Steps to Get Started in Mechanistic Interpretability" in render_text(
        commands.execute("topic tutorial"))
    service.append(NEW, "sparse-coding")
    assert service.index.catalogue.entry(NEW.id) is not None
    assert len(CatalogueService(catalogue_dir).index.catalogue.entries) == 94  # a restart reads the same list


def test_commands_answer_beside_an_editors_lock_file_and_a_reimport_leaves_hidden_files_alone(
        capsys: pytest.CaptureFixture[str], catalogue_dir: Path) -> None:
    from bot.cli import main
    from tests.conftest import SEED

    (catalogue_dir / ".#library.yaml").symlink_to("maintainer@laptop.12345:1733600000")
    (catalogue_dir / ".pre-commit-config.yaml").write_text("repos: []\n", encoding="utf-8")
    assert main(["--catalogue", str(catalogue_dir), "topic", "probing"]) == 0
    assert "Probing" in capsys.readouterr().out
    assert main(["--catalogue", str(catalogue_dir), "import-markdown", "--force", str(SEED)]) == 0
    assert (catalogue_dir / ".pre-commit-config.yaml").read_text(encoding="utf-8") == "repos: []\n"
