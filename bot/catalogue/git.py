"""Committing the list's own files in its git repository (the catalogue is often a clone of the list's repo)."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)


def commit(directory: Path, files: list[str], message: str) -> bool:
    """Commit exactly `files` (names relative to `directory`), never anything else a maintainer left staged.

    Returns False, with a warning logged, when git is missing or refuses: the files are written either way. With
    nothing to commit in those files (a retry after the commit was made) it commits nothing and returns True.
    """
    try:
        changed = subprocess.run(["git", "-C", str(directory), "status", "--porcelain", "--", *files], check=True,
                                 capture_output=True, text=True, timeout=30).stdout
        if not changed.strip():
            return True
        subprocess.run(["git", "-C", str(directory), "add", "--", *files], check=True, capture_output=True,
                       timeout=30)
        subprocess.run(["git", "-C", str(directory), "commit", "-m", message, "--", *files], check=True,
                       capture_output=True, timeout=30)
    except (subprocess.SubprocessError, OSError) as exc:
        log.warning("the entry is written, but `git commit` in %s failed: %s", directory, exc)
        return False
    return True
