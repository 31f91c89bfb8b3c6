"""Committing the list's own files in its git repository (the catalogue is often a clone of the list's repo).

An approval's commit holds the approval alone. A maintainer may have edits of their own in the catalogue that they
have not committed yet (a title being fixed, a comment, a topic being added), even in the file the entry goes to:
`git commit -- FILE` committed them under the approval's message, and a README rendered from them beside YAML
that did not hold them. So the commit is built from the files as committed: the entry added to them as it was added
to the working tree, the README rendered from them, and the maintainer's edits left uncommitted where they were.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from bot.catalogue.markdown import render_markdown
from bot.catalogue.model import Entry
from bot.catalogue.yaml_io import README_FILE, TOPICS_FILE, load_catalogue
from bot.catalogue.yaml_write import append_entry, entry_file_of
from bot.errors import CatalogueError, GitError

# The ways GitHub names an issue or pull request: "#12" (and "owner/repo#12"), "GH-12", and its URL.
_ISSUE_REF = re.compile(r"(#|\bgh-|/(?:issues|pull)/)(?=\d)", re.IGNORECASE)

Files = dict[str, tuple[str, str]]  # a file's name in the catalogue -> (its git mode, its blob)


def inert(text: str) -> str:
    """Text for a commit message, a pull request, or another text GitHub reads, that acts on nothing there: no
    @mention pings, and no issue reference, so a title's "Closes #12" (or "GH-12", or the issue's URL) closes no
    issue when its commit or pull request is merged. A word joiner is invisible and breaks each."""
    return _ISSUE_REF.sub("\\1\u2060", text.replace("@", "@\u2060"))


def commit(directory: Path, files: list[str], message: str) -> None:
    """Commit exactly `files` (names relative to `directory`) as they are, never anything else a maintainer left
    staged, with `message` made `inert` (its titles come from feeds, and the commit may be pushed to GitHub): for a
    list nothing of which is committed yet. An approval in a list that is committed goes through `commit_entry`.

    With nothing to commit in those files (a retry after the commit was made) it commits nothing. Raises GitError,
    with git's own reason ("not a git repository", "Please tell me who you are"), when git is missing or refuses:
    the files are written either way, and the approval stays unfinished until a retry commits them.
    """
    with _failures(directory):
        changed = _git(directory, "status", "--porcelain", "--", *files)
        if not changed.strip():
            return
        _git(directory, "add", "--", *files)
        _git(directory, "commit", "-m", inert(message), "--", *files)


def commit_entry(directory: Path, entry: Entry, message: str) -> None:
    """Commit the approval of `entry` (written in the working tree already, under its first topic) and nothing
    else: HEAD's catalogue with the entry added and its README rendered from that. What a maintainer has changed
    and not committed stays uncommitted; what they have staged gets the entry too, so that committing it does not
    take the entry out again. Nothing is committed when HEAD holds the entry already (a retry, or a maintainer who
    committed it with their own edits); the index is given it where it lacks it still. Raises GitError as `commit`
    does, and when the catalogue as committed (or as staged) cannot take the entry, say because its topic exists
    only in an uncommitted topics.yaml."""
    with _failures(directory):
        prefix = _git(directory, "rev-parse", "--show-prefix").strip()
        head = _git(directory, "rev-parse", "-q", "--verify", "HEAD^{commit}", check=False).strip()
        committed = _files_at(directory, head, prefix) if head else {}
        if TOPICS_FILE not in committed:  # nothing of the list committed yet: its files as they are
            path = entry_file_of(directory, entry.id)
            commit(directory, [*([path.name] if path else []), README_FILE], message)
            return
        added = _with_entry(directory, committed, entry, "as committed")
        staged = _files_staged(directory)
        if added is None:  # committed: the index may lack it yet (its update refused after HEAD's: a lock)
            _stage(directory, _with_entry(directory, staged, entry, "as staged") or {}, prefix)
            return
        if all(staged.get(name) == committed.get(name) for name in added):
            to_stage = added
        else:  # the maintainer staged edits of these files: add the entry to what they staged too
            to_stage = _with_entry(directory, staged, entry, "as staged") or {}
        tree = _tree(directory, head, prefix, added)
        # commit-tree is plumbing: it ignores commit.gpgSign, which `git commit` (the commit before) honoured. A
        # list whose branch takes signed commits alone needs the approval's signed too, as git's own scripts do it.
        signed = _git(directory, "config", "--bool", "commit.gpgsign", check=False).strip() == "true"
        new_head = _git(directory, "commit-tree", *(["-S"] if signed else []), tree, "-p", head,
                        "-m", inert(message)).strip()
        subject = inert(message).splitlines()[0]
        # Only if HEAD is still where the commit was built from: a maintainer's commit in between is not undone.
        _git(directory, "update-ref", "-m", f"commit: {subject}", "HEAD", new_head, head)
        # The index after HEAD, not before: staged first, a refused update-ref left there the files as built on the
        # old HEAD, the maintainer's commit made meanwhile undone, staged for their next commit.
        _stage(directory, to_stage, prefix)


def _with_entry(directory: Path, files: Files, entry: Entry, version: str) -> Files | None:
    """The files of one version of the catalogue (HEAD's, or the staged one) that change when `entry` is added to
    it, stored as blobs; None when that version holds the entry already."""
    with tempfile.TemporaryDirectory(prefix="interp-bot-commit-") as scratch:
        root = Path(scratch)
        for name, (_, blob) in files.items():
            if name.endswith(".yaml"):
                (root / name).write_bytes(_git_bytes(directory, "cat-file", "blob", blob))
        try:
            if load_catalogue(root).entry(entry.id) is not None:
                return None
            path, catalogue = append_entry(root, replace(entry, topics=()), entry.topics[0] if entry.topics else "")
        except CatalogueError as exc:
            problem = str(exc.problems[0]).replace(f"{root}{os.sep}", "")
            raise GitError(f"the entry is written, but not committed: the catalogue {version} in git cannot take it "
                           f"({problem}), which an edit in {directory} not committed yet may give it; commit that "
                           "edit, and the approval is committed at its next retry") from None
        (root / README_FILE).write_bytes(render_markdown(catalogue).encode("utf-8"))
        changed = {}
        for name in (path.name, README_FILE):
            blob = _git(directory, "hash-object", "-w", "--no-filters", str(root / name)).strip()
            if files.get(name, ("", ""))[1] != blob:
                changed[name] = (files.get(name, ("100644", ""))[0], blob)
        return changed


def _files_at(directory: Path, commit_id: str, prefix: str) -> Files:
    listing = _git(directory, "ls-tree", "--full-tree", f"{commit_id}:{prefix}", check=False)
    files = {}
    for line in listing.splitlines():
        info, _, name = line.partition("\t")
        mode, kind, blob = info.split()
        if kind == "blob" and (name.endswith(".yaml") or name == README_FILE):
            files[name] = (mode, blob)
    return files


def _files_staged(directory: Path) -> Files:
    files = {}
    for line in _git(directory, "ls-files", "--stage", "--", ".").splitlines():
        info, _, name = line.partition("\t")
        mode, blob, stage = info.split()
        if "/" not in name and (name.endswith(".yaml") or name == README_FILE):
            if stage != "0":
                raise GitError(f"the entry is written, but not committed: {name} in {directory} has a merge "
                               "conflict; resolve it, and the approval is committed at its next retry")
            files[name] = (mode, blob)
    return files


def _tree(directory: Path, head: str, prefix: str, files: Files) -> str:
    """HEAD's tree with `files` replaced, built in an index of its own: the maintainer's is not touched."""
    with tempfile.TemporaryDirectory(prefix="interp-bot-index-") as scratch:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(scratch) / "index")}
        _git(directory, "read-tree", head, env=env)
        _stage(directory, files, prefix, env=env)
        return _git(directory, "write-tree", env=env).strip()


def _stage(directory: Path, files: Files, prefix: str, env: dict[str, str] | None = None) -> None:
    if files:
        infos = [f"{mode},{blob},{prefix}{name}" for name, (mode, blob) in files.items()]
        _git(directory, "update-index", "--add", *(arg for info in infos for arg in ("--cacheinfo", info)),
             env=env, top=True)


def _git(directory: Path, *args: str, check: bool = True, env: dict[str, str] | None = None,
         top: bool = False) -> str:
    """git in `directory` (`top`: at the top of its work tree, where `--cacheinfo` paths are read from)."""
    where = ["-C", str(directory)] + (["-C", _git_top(directory)] if top else [])
    return subprocess.run(["git", *where, *args], check=check, capture_output=True, text=True, timeout=30,
                          env=env).stdout


def _git_top(directory: Path) -> str:
    return _git(directory, "rev-parse", "--show-toplevel").strip()


def _git_bytes(directory: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(directory), *args], check=True, capture_output=True, timeout=30).stdout


@contextlib.contextmanager
def _failures(directory: Path) -> Iterator[None]:
    """Turns git's refusals into GitError, with git's own reason."""
    try:
        yield
    except subprocess.CalledProcessError as exc:
        raise GitError(f"the entry is written, but `git commit` in {directory} failed: {_reason(exc)}") from None
    except (subprocess.SubprocessError, OSError) as exc:  # no git at all, or one that hangs
        raise GitError(f"the entry is written, but `git commit` in {directory} failed: {exc}") from None


def _reason(exc: subprocess.CalledProcessError) -> str:
    """What git said, in one line: its first "fatal:"/"error:" line, else its last line of output."""
    stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr or ""
    stdout = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
    lines = [line.strip() for line in f"{stderr}\n{stdout}".splitlines() if line.strip()]
    said = next((line for line in lines if line.startswith(("fatal:", "error:"))), lines[-1] if lines else "")
    return said or f"exit status {exc.returncode}"
