"""`interp-bot` started with a standard stream closed (`<&-`, `>&-`, some service managers): a clear answer, no
traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def interp_bot(tmp_path: Path, catalogue_dir: Path, *args: str, close: int) -> subprocess.CompletedProcess[str]:
    """A real process whose file descriptor `close` is closed before it starts, as a shell's `<&-` leaves it."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "--catalogue", str(catalogue_dir), "--db", f"sqlite:///{tmp_path}/c.db", *args],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, preexec_fn=lambda: os.close(close),
        cwd=tmp_path, env={"PATH": "", "HOME": str(tmp_path), "PYTHONPATH": str(REPO)},
    )


@pytest.mark.parametrize("command", [["console"], ["classify"]])
def test_a_closed_stdin_is_no_input(tmp_path: Path, catalogue_dir: Path, command: list[str]) -> None:
    result = interp_bot(tmp_path, catalogue_dir, *command, close=0)
    assert (result.returncode, result.stdout) == (0, "")
    assert "Traceback" not in result.stderr


def test_a_closed_stdout_is_one_line_and_exit_1(tmp_path: Path, catalogue_dir: Path) -> None:
    result = interp_bot(tmp_path, catalogue_dir, "topic", "probing", close=1)
    assert result.returncode == 1
    assert result.stderr == "interp-bot: standard output is closed: nowhere to write the answer\n"
