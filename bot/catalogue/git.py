"""Committing the list's own files in its git repository (the catalogue is often a clone of the list's repo)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from bot.errors import GitError

# The ways GitHub names an issue or pull request: "#12" (and "owner/repo#12"), "GH-12", and its URL.
_ISSUE_REF = re.compile(r"(#|\bgh-|/(?:issues|pull)/)(?=\d)", re.IGNORECASE)


def inert(text: str) -> str:
    """Text for a commit message, a pull request, or another text GitHub reads, that acts on nothing there: no
    @mention pings, and no issue reference, so a title's "Closes #12" (or "GH-12", or the issue's URL) closes no
    issue when its commit or pull request is merged. A word joiner is invisible and breaks each."""
    return _ISSUE_REF.sub("\\1\u2060", text.replace("@", "@\u2060"))


def commit(directory: Path, files: list[str], message: str) -> None:
    """Commit exactly `files` (names relative to `directory`), never anything else a maintainer left staged, with
    `message` made `inert` (its titles come from feeds, and the commit may be pushed to GitHub).

    With nothing to commit in those files (a retry after the commit was made) it commits nothing. Raises GitError,
    with git's own reason ("not a git repository", "Please tell me who you are"), when git is missing or refuses:
    the files are written either way, and the approval stays unfinished until a retry commits them.
    """
    try:
        changed = subprocess.run(["git", "-C", str(directory), "status", "--porcelain", "--", *files], check=True,
                                 capture_output=True, text=True, timeout=30).stdout
        if not changed.strip():
            return
        subprocess.run(["git", "-C", str(directory), "add", "--", *files], check=True, capture_output=True,
                       text=True, timeout=30)
        subprocess.run(["git", "-C", str(directory), "commit", "-m", inert(message), "--", *files], check=True,
                       capture_output=True, text=True, timeout=30)
    except subprocess.CalledProcessError as exc:
        raise GitError(f"the entry is written, but `git commit` in {directory} failed: {_reason(exc)}") from None
    except (subprocess.SubprocessError, OSError) as exc:  # no git at all, or one that hangs
        raise GitError(f"the entry is written, but `git commit` in {directory} failed: {exc}") from None


def _reason(exc: subprocess.CalledProcessError) -> str:
    """What git said, in one line: its first "fatal:"/"error:" line, else its last line of output."""
    lines = [line.strip() for line in f"{exc.stderr or ''}\n{exc.stdout or ''}".splitlines() if line.strip()]
    said = next((line for line in lines if line.startswith(("fatal:", "error:"))), lines[-1] if lines else "")
    return said or f"exit status {exc.returncode}"
