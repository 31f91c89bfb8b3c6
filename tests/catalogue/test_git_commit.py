"""INTERP_BOT_GIT_COMMIT beside a maintainer's own work: an approval's commit holds the approval alone.

The catalogue is a directory of the list's repository; maintainers edit its YAML by hand and commit when they are
done. The bot's commit used to be `git commit -- FILE README.md`, which took in whatever the maintainer had not
committed yet in the entry's file, and a README rendered from their uncommitted edits elsewhere.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.catalogue.markdown import render_markdown
from bot.catalogue.model import Entry, Link
from bot.catalogue.service import CatalogueService
from bot.catalogue.yaml_io import load_catalogue
from bot.errors import GitError

NEW = Entry(id="scaling-monosemanticity", title="Scaling Monosemanticity: Extracting Interpretable Features",
            links=(Link("blog", "https://transformer-circuits.pub/2024/scaling-monosemanticity/"),),
            source="https://transformer-circuits.pub/2024/scaling-monosemanticity/", approved_by=("alice",))
MESSAGE = "Add “Scaling Monosemanticity” to the list\n\nApproved by alice via interp-bot."
FRAMEWORK = "title: A mathematical framework for transformer circuits"  # in tools-techniques-methods.yaml
SURVEY = 'title: "Toward Transparent AI: A Survey'  # in survey.yaml


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=maintainer", "-c", "user.email=m@example.org", "-C", str(repo),
                           *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(catalogue_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The list's repository, its catalogue committed in `catalogue/`, and the committer the image sets."""
    for variable, value in (("GIT_AUTHOR_NAME", "interp-bot"), ("GIT_COMMITTER_NAME", "interp-bot"),
                            ("GIT_AUTHOR_EMAIL", "bot@localhost"), ("GIT_COMMITTER_EMAIL", "bot@localhost")):
        monkeypatch.setenv(variable, value)
    root = catalogue_dir.parent
    git(root, "init", "-q")
    git(root, "add", "catalogue")
    git(root, "commit", "-qm", "the list")
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def committed_readme_is_current(repo: Path, tmp_path: Path) -> bool:
    """Is the README committed at HEAD the rendering of the YAML committed with it (what CI's `render --check`
    of that commit says)?"""
    checkout = tmp_path / "head"
    git(repo, "worktree", "add", "-q", "--detach", str(checkout), "HEAD")
    return CatalogueService(checkout / "catalogue").readme_is_current()


def test_an_approval_commits_its_entry_alone_not_the_maintainers_uncommitted_edits(repo: Path, catalogue_dir: Path,
                                                                                  tmp_path: Path) -> None:
    entry_file = catalogue_dir / "tools-techniques-methods.yaml"
    edit(entry_file, FRAMEWORK, f"{FRAMEWORK} (WIP)")  # the file the approval goes to
    edit(catalogue_dir / "survey.yaml", SURVEY, 'title: "Toward Transparent AI (DRAFT): A Survey')

    CatalogueService(catalogue_dir).append(NEW, "sparse-coding", commit_message=MESSAGE)

    shown = git(repo, "show", "HEAD", "--format=%s")
    assert "Add “Scaling Monosemanticity” to the list" in shown
    assert "scaling-monosemanticity" in shown
    assert "(WIP)" not in shown  # the maintainer's edit of the same file is not committed under the bot's name
    assert "(DRAFT)" not in shown  # nor the README rendered from their uncommitted survey.yaml
    assert committed_readme_is_current(repo, tmp_path)
    assert git(repo, "status", "--porcelain", "--untracked-files=no", "--", "catalogue").splitlines() == [
        " M catalogue/README.md", " M catalogue/survey.yaml", " M catalogue/tools-techniques-methods.yaml"]
    working = entry_file.read_text(encoding="utf-8")
    assert f"{FRAMEWORK} (WIP)" in working and "id: scaling-monosemanticity" in working  # their edit and the entry
    assert "(DRAFT)" in (catalogue_dir / "README.md").read_text(encoding="utf-8")  # the README is their list's
    assert "scaling-monosemanticity" not in git(repo, "diff", "--", "catalogue")  # what is left is theirs alone


def test_a_maintainers_staged_edit_stays_staged_and_does_not_take_the_entry_out(repo: Path,
                                                                                catalogue_dir: Path) -> None:
    edit(catalogue_dir / "tools-techniques-methods.yaml", FRAMEWORK, f"{FRAMEWORK} (WIP)")
    git(repo, "add", "catalogue/tools-techniques-methods.yaml")

    CatalogueService(catalogue_dir).append(NEW, "sparse-coding", commit_message=MESSAGE)

    staged = git(repo, "diff", "--cached", "--", "catalogue")
    assert "(WIP)" in staged  # still staged, still theirs to commit
    assert "scaling-monosemanticity" not in staged  # committing it would not remove the approved entry
    assert "(WIP)" not in git(repo, "show", "HEAD")
    git(repo, "commit", "-qm", "fix a title")
    assert load_catalogue(catalogue_dir).entry(NEW.id) is not None
    assert git(repo, "status", "--porcelain", "--untracked-files=no", "--", "catalogue") == ""


def test_a_clean_catalogue_commits_as_before(repo: Path, catalogue_dir: Path) -> None:
    CatalogueService(catalogue_dir).append(NEW, "sparse-coding", commit_message=MESSAGE)
    assert git(repo, "show", "--name-only", "--format=%s", "HEAD").splitlines() == [
        "Add “Scaling Monosemanticity” to the list", "",
        "catalogue/README.md", "catalogue/tools-techniques-methods.yaml"]
    assert git(repo, "status", "--porcelain", "--untracked-files=no", "--", "catalogue") == ""
    assert git(repo, "show", "HEAD:catalogue/README.md") == render_markdown(load_catalogue(catalogue_dir))


def test_a_topic_only_the_maintainers_uncommitted_edit_has_holds_the_commit_back_with_the_reason(
        repo: Path, catalogue_dir: Path, tmp_path: Path) -> None:
    edit(catalogue_dir / "topics.yaml", "  - slug: tutorial\n", "  - slug: brand-new-topic\n    title: Brand New\n"
                                                                "  - slug: tutorial\n")
    service = CatalogueService(catalogue_dir)
    with pytest.raises(GitError) as refused:
        service.append(NEW, "brand-new-topic", commit_message=MESSAGE)
    assert "the entry is written, but not committed: the catalogue as committed in git cannot take it" in \
        str(refused.value)
    assert "no topic 'brand-new-topic'" in str(refused.value)
    assert "Brand New" in (catalogue_dir / "README.md").read_text(encoding="utf-8")  # written: the list has it
    assert len(git(repo, "log", "--format=%s").splitlines()) == 1  # nothing committed

    git(repo, "commit", "-qm", "a new topic", "--", "catalogue/topics.yaml")  # the maintainer commits their part
    service.finish_append(NEW.id, commit_message=MESSAGE)  # the retry (every two minutes, or `decide` again)
    assert git(repo, "log", "--format=%s").splitlines() == [
        "Add “Scaling Monosemanticity” to the list", "a new topic", "the list"]
    assert committed_readme_is_current(repo, tmp_path)
    assert git(repo, "status", "--porcelain", "--untracked-files=no", "--", "catalogue") == ""
    service.finish_append(NEW.id, commit_message=MESSAGE)  # once more: committed already, nothing to do
    assert len(git(repo, "log", "--format=%s").splitlines()) == 3


def sign_with_stand_in_gpg(repo: Path, tmp_path: Path, first: str = "") -> None:
    """commit.gpgSign on, with a stand-in gpg that signs anything (after running the shell line `first`: the moment
    a commit is signed is between the commit being built and HEAD moved)."""
    gpg = tmp_path / "fake-gpg"
    gpg.write_text(f"#!/bin/sh\ncat >/dev/null\n{first}\necho '[GNUPG:] SIG_CREATED D 1 8 00 0 0' >&2\n"
                   "printf -- '-----BEGIN PGP SIGNATURE-----\\nfake\\n-----END PGP SIGNATURE-----\\n'\n",
                   encoding="utf-8")
    gpg.chmod(0o755)
    git(repo, "config", "commit.gpgsign", "true")
    git(repo, "config", "gpg.program", str(gpg))
    git(repo, "config", "user.signingkey", "maintainers")


def test_an_approval_is_signed_where_the_maintainers_sign_their_commits(repo: Path, tmp_path: Path) -> None:
    """commit.gpgSign: `git commit` signed the approval, the commit-tree that builds it now ignored the setting (it is
    plumbing), and a branch that takes signed commits alone would have refused the push. A stand-in gpg signs here."""
    sign_with_stand_in_gpg(repo, tmp_path)
    CatalogueService(repo / "catalogue").append(NEW, "sparse-coding", commit_message=MESSAGE)
    head = git(repo, "cat-file", "commit", "HEAD")
    assert "Add “Scaling Monosemanticity” to the list" in head
    assert "gpgsig -----BEGIN PGP SIGNATURE-----" in head


def test_a_maintainers_commit_made_while_the_approval_commits_is_not_undone_in_their_index(
        repo: Path, catalogue_dir: Path, tmp_path: Path) -> None:
    """A maintainer commits (`git commit -a`: their edit, and the entry already in the file) while the bot builds the
    approval's commit. The bot's update-ref then refuses, as meant, but the index had been given the bot's version of
    the files first: HEAD's commit undone there, staged, for the maintainer's next commit to take their edit out of
    the list again. The stand-in gpg is where that commit lands: between the commit being built and HEAD moved."""
    done = tmp_path / "maintainer-committed"
    sign_with_stand_in_gpg(repo, tmp_path, f"if [ ! -e '{done}' ]; then touch '{done}'; env -u GIT_INDEX_FILE "
                                           f"-u GIT_DIR git -C '{repo}' commit -qam 'fix a title' >/dev/null 2>&1; fi")
    edit(catalogue_dir / "tools-techniques-methods.yaml", FRAMEWORK, f"{FRAMEWORK} (WIP)")
    service = CatalogueService(catalogue_dir)
    try:
        service.append(NEW, "sparse-coding", commit_message=MESSAGE)
    except GitError:  # HEAD moved under it: the retry finds the entry committed
        service.finish_append(NEW.id, commit_message=MESSAGE)
    assert done.exists()
    assert git(repo, "log", "--format=%s").splitlines()[0] == "fix a title"
    assert f"{FRAMEWORK} (WIP)" in git(repo, "show", "HEAD:catalogue/tools-techniques-methods.yaml")
    assert git(repo, "diff", "--cached", "--", "catalogue") == ""  # nothing staged that takes their commit back
    assert git(repo, "status", "--porcelain", "--untracked-files=no", "--", "catalogue") == ""


def test_an_index_locked_when_the_approval_is_committed_gets_the_entry_at_the_retry(
        repo: Path, catalogue_dir: Path, tmp_path: Path) -> None:
    """The index is updated after HEAD moves, and may be locked then (an editor's `git status` holds index.lock a
    moment): the commit stands, the approval waits for its retry, and the retry must give the index the entry too,
    or it stays staged as taken out, for the maintainer's next commit to take it out of the list."""
    lock = repo / ".git" / "index.lock"
    once = tmp_path / "locked-once"
    sign_with_stand_in_gpg(repo, tmp_path, f"[ -e '{once}' ] || {{ touch '{once}' '{lock}'; }}")
    service = CatalogueService(catalogue_dir)
    with pytest.raises(GitError) as refused:
        service.append(NEW, "sparse-coding", commit_message=MESSAGE)
    assert "index.lock" in str(refused.value)
    lock.unlink()  # the editor's `git status` is done
    service.finish_append(NEW.id, commit_message=MESSAGE)  # the retry
    assert git(repo, "log", "--format=%s").splitlines() == ["Add “Scaling Monosemanticity” to the list", "the list"]
    assert git(repo, "diff", "--cached", "--", "catalogue") == ""  # the entry is not staged as taken out
    assert git(repo, "status", "--porcelain", "--untracked-files=no", "--", "catalogue") == ""
