"""`interp-bot` started with its standard output closed (`>&-`): a clear answer, no traceback. (A closed stdin, and
`run` with both closed: tests/ops/test_startup.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def interp_bot(tmp_path: Path, catalogue_dir: Path, *args: str, close: int) -> subprocess.CompletedProcess[str]:
    """A real process whose file descriptor `close` is closed before it starts, as a shell's `<&-` leaves it."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "--catalogue", str(catalogue_dir), "--db", f"sqlite:///{tmp_path}/c.db", *args],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, preexec_fn=lambda: os.close(close),
        cwd=tmp_path, env={"PATH": "", "HOME": str(tmp_path), "PYTHONPATH": str(REPO)},
    )


def test_a_closed_stdout_is_one_line_and_exit_1(tmp_path: Path, catalogue_dir: Path) -> None:
    result = interp_bot(tmp_path, catalogue_dir, "topic", "probing", close=1)
    assert result.returncode == 1
    assert result.stderr == "interp-bot: standard output is closed: nowhere to write the answer\n"
