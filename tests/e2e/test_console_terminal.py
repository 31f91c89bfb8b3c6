"""`interp-bot console` in a real terminal (a pseudo-terminal): the line editor, its history file, and a screen
that holds answers only: no log lines, no flood of candidates before the first answer."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.store.db import Database
from tests.conftest import REPO
from tests.curation.test_pipeline import add_candidate

_ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]|\r")


class Terminal:
    """The other end of a pseudo-terminal: keys in, screen bytes out; answers the cursor-position questions a
    terminal answers."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path):
        self.fd, child = pty.openpty()
        self.process = subprocess.Popen(args, stdin=child, stdout=child, stderr=child, env=env, cwd=cwd,
                                        close_fds=True)
        os.close(child)
        self.screen = b""

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def wait_for(self, condition: Callable[[str], bool], limit: float = 60) -> str:
        """Read what the program writes until `condition` holds for the text on screen (escapes removed)."""
        deadline = time.monotonic() + limit
        while not condition(self.text):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"the console never showed what was expected; screen:\n{self.text[-3000:]}")
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # the program ended
                break
            if b"\x1b[6n" in chunk:  # "where is the cursor?": a terminal answers
                os.write(self.fd, b"\x1b[1;1R")
            self.screen += chunk
        return self.text

    @property
    def text(self) -> str:
        return _ESCAPES.sub(b"", self.screen).decode(errors="replace")

    def close(self) -> int:
        try:
            return self.process.wait(timeout=30)
        finally:
            if self.fd >= 0:
                os.close(self.fd)
                self.fd = -1


def answered(words: str) -> Callable[[str], bool]:
    """The screen shows `words` and, after the last answer, the prompt again (the editor has the keyboard)."""
    def done(text: str) -> bool:
        answer = text.rfind(words) if words else text.rfind("\n\n")
        return answer >= 0 and "interp>" in text[answer:]
    return done


@pytest.fixture
def terminal(tmp_path: Path, catalogue_dir: Path) -> Iterator[Terminal]:
    database_url = f"sqlite:///{tmp_path / 'bot.db'}"
    database = Database.open(database_url)
    add_candidate(database, 1, title="A Pending Candidate About Sparse Autoencoders")
    add_candidate(database, 2)
    database.close()
    env = {**os.environ, "HOME": str(tmp_path), "TERM": "xterm", "PYTHONPATH": str(REPO),
           "INTERP_BOT_CATALOGUE_DIR": str(catalogue_dir), "INTERP_BOT_DATABASE_URL": database_url}
    term = Terminal([sys.executable, "-m", "bot", "console"], env, tmp_path)
    try:
        yield term
    finally:
        if term.process.poll() is None:
            term.process.kill()
        term.close()


def test_the_console_edits_lines_keeps_history_and_shows_answers_only(terminal: Terminal, tmp_path: Path) -> None:
    start = terminal.wait_for(lambda text: "interp>" in text)
    assert "2 candidates waiting for a decision: `candidates` lists them." in start
    assert "A Pending Candidate About Sparse Autoencoders" not in start  # a count, not every post
    terminal.type("topic probign\r")
    terminal.wait_for(answered("Related sections:"))
    terminal.type("\x1b[A\r")  # Up arrow: the same line again, not "^[[A"
    screen = terminal.wait_for(lambda text: text.count("Related sections:") == 2 and answered("")(text))
    assert "^[[A" not in screen
    terminal.type("approve 1 --topic sparse-coding\r")
    terminal.wait_for(answered("Candidate #1 approved"))
    terminal.type("quit\r")
    assert terminal.close() == 0
    # The approval is logged: in the file beside the console, not between its answers.
    assert "added 'A Pending Candidate About Sparse Autoencoders' to sparse-coding" in \
        (tmp_path / "interp-bot.log").read_text()
    assert "added 'A Pending Candidate" not in terminal.text
    assert "+topic probign" in (tmp_path / ".interp_bot_history").read_text()
