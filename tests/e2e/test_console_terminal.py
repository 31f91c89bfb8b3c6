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
        self.answered = 0  # cursor-position questions answered (one may arrive split over two reads)

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def wait_for(self, condition: Callable[[str], bool], limit: float = 60, *, fail: bool = True) -> str | None:
        """Read what the program writes until `condition` holds for the text on screen (escapes removed); at the
        deadline fail the test, or with `fail=False` return None."""
        deadline = time.monotonic() + limit
        while not condition(self.text):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if not fail:
                    return None
                pytest.fail(f"the console never showed what was expected; screen:\n{self.text[-3000:]}")
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # the program ended
                break
            self.screen += chunk
            while self.answered < self.screen.count(b"\x1b[6n"):  # "where is the cursor?": a terminal answers
                os.write(self.fd, b"\x1b[1;1R")
                self.answered += 1
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
def console(tmp_path: Path, catalogue_dir: Path) -> Iterator[Callable[[], Terminal]]:
    """Starts `interp-bot console` in a terminal of its own, as often as a test asks; two candidates pending."""
    database_url = f"sqlite:///{tmp_path / 'bot.db'}"
    database = Database.open(database_url)
    add_candidate(database, 1, title="A Pending Candidate About Sparse Autoencoders")
    add_candidate(database, 2)
    database.close()
    env = {**os.environ, "HOME": str(tmp_path), "TERM": "xterm", "PYTHONPATH": str(REPO),
           "INTERP_BOT_CATALOGUE_DIR": str(catalogue_dir), "INTERP_BOT_DATABASE_URL": database_url}
    started: list[Terminal] = []

    def start() -> Terminal:
        started.append(Terminal([sys.executable, "-m", "bot", "console"], env, tmp_path))
        return started[-1]

    yield start
    for term in started:
        if term.process.poll() is None:
            term.process.kill()
        term.close()


def test_the_console_shows_answers_only_and_keeps_its_history(console: Callable[[], Terminal],
                                                               tmp_path: Path) -> None:
    terminal = console()
    start = terminal.wait_for(lambda text: "interp>" in text)
    assert start is not None
    assert "2 candidates waiting for a decision: `candidates` lists them." in start
    assert "A Pending Candidate About Sparse Autoencoders" not in start  # a count, not every post
    terminal.type("topic probign\r")
    terminal.wait_for(answered("Related sections:"))
    terminal.type("approve 1 --topic sparse-coding\r")
    terminal.wait_for(answered("Candidate #1 approved"))
    terminal.type("quit\r")
    assert terminal.close() == 0
    # The approval is logged: in the file beside the console, not between its answers.
    assert "added 'A Pending Candidate About Sparse Autoencoders' to sparse-coding" in \
        (tmp_path / "interp-bot.log").read_text()
    assert "added 'A Pending Candidate" not in terminal.text
    assert "+topic probign" in (tmp_path / ".interp_bot_history").read_text()

    # The next session: Up arrow recalls the lines typed before, from the history file, not "^[[A". The editor
    # loads the history in the background as the prompt starts: a key pressed before that finds nothing yet, so
    # press it until the last line typed ("quit") shows, then twice more for the first.
    again = console()
    again.wait_for(lambda text: "interp>" in text)
    for _ in range(12):
        again.type("\x1b[A")
        if again.wait_for(lambda text: "interp> quit" in text, 5, fail=False):
            break
    again.type("\x1b[A\x1b[A")
    again.type("\r")
    screen = again.wait_for(answered("Related sections:"))
    assert screen is not None
    assert "^[[A" not in screen
    again.type("quit\r")
    assert again.close() == 0


def test_run_with_the_console_stops_with_one_line_when_a_platform_cannot_connect(tmp_path: Path,
                                                                                catalogue_dir: Path) -> None:
    """`run --adapter console --adapter slack` with Slack unreachable: a thread's traceback, then a console whose
    curation commands waited two minutes on the dead event loop. Now the one line `run` says without the console."""
    import socket

    with socket.socket() as refusing:  # bound, never listening: a connection to it is refused at once
        refusing.bind(("127.0.0.1", 0))
        env = {**os.environ, "HOME": str(tmp_path), "TERM": "xterm", "PYTHONPATH": str(REPO),
               "INTERP_BOT_CATALOGUE_DIR": str(catalogue_dir),
               "INTERP_BOT_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
               "SLACK_BOT_TOKEN": "xoxb-1-test", "SLACK_APP_TOKEN": "xapp-1-test",
               "INTERP_BOT_SLACK_MAINTAINERS_CHANNEL": "C0MAINTS1",
               "INTERP_BOT_SLACK_API_URL": f"http://127.0.0.1:{refusing.getsockname()[1]}/api/"}
        terminal = Terminal([sys.executable, "-m", "bot", "run", "--adapter", "console", "--adapter", "slack"], env,
                            tmp_path)
        try:
            text = terminal.wait_for(lambda text: "interp-bot: run: " in text, limit=30)
            assert terminal.close() == 1
        finally:
            if terminal.process.poll() is None:
                terminal.process.kill()
                terminal.close()
    assert text is not None
    assert "Traceback" not in text
    assert "interp>" not in text
