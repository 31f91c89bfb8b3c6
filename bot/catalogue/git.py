"""Committing the list's own files in its git repository (the catalogue is often a clone of the list's repo)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bot.errors import GitError


def commit(directory: Path, files: list[str], message: str) -> None:
    """Commit exactly `files` (names relative to `directory`), never anything else a maintainer left staged.

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
        subprocess.run(["git", "-C", str(directory), "commit", "-m", message, "--", *files], check=True,
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
