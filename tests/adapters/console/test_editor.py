"""The console's line editor, driven by the bytes a terminal sends: completion and history."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from bot.adapters.console.editor import CommandCompleter, line_editor
from bot.adapters.console.repl import EditedLines, repl
from bot.catalogue.service import CatalogueService
from bot.chat.values import Actor, Reply
from bot.commands import Commands, CommandSpec, Request

ME = Actor(platform="console", user_id="me", display_name="me", is_maintainer=True)


@pytest.fixture
def commands(catalogue_dir: Path) -> Commands:
    return Commands(CatalogueService(catalogue_dir))


def completions(commands: Commands, text: str) -> list[str]:
    found = CommandCompleter(commands).get_completions(Document(text), CompleteEvent(completion_requested=True))
    return [c.text for c in found]


def test_commands_topics_and_entries_complete(commands: Commands) -> None:
    assert completions(commands, "to") == ["topic", "topics"]
    assert completions(commands, "topic prob")[0] == "probing"
    assert "sparse-coding" in completions(commands, "t sae")
    assert completions(commands, "help sea") == ["search"]
    assert completions(commands, "paper towards mono")[0] == \
        "towards-monosemanticity-decomposing-language-models-with-dictionary-learning"


async def until(condition: Callable[[], bool], limit: float = 10) -> None:
    """Let the editor's event loop run until `condition` holds (completion runs as a task of its own)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not condition():
        assert loop.time() < deadline, "the editor never got there"
        await asyncio.sleep(0)


async def test_tab_completes_and_up_recalls_the_history_file(commands: Commands, tmp_path: Path) -> None:
    history = tmp_path / ".interp_bot_history"
    with create_pipe_input() as keys:
        session = line_editor(commands, history=history, input=keys, output=DummyOutput())
        answer = asyncio.create_task(session.prompt_async("interp> "))
        keys.send_text("topic sparse-c\t")
        await until(lambda: session.default_buffer.text == "topic sparse-coding")
        keys.send_text("\r")
        assert await answer == "topic sparse-coding"
        answer = asyncio.create_task(session.prompt_async("interp> "))
        keys.send_text("\x1b[A\r")  # Up arrow, Enter: the line again
        assert await answer == "topic sparse-coding"
    assert "+topic sparse-coding" in history.read_text()


async def test_blank_and_repeated_lines_are_not_kept_in_the_history(commands: Commands, tmp_path: Path) -> None:
    """An Enter on spaces was saved, so Up recalled blank lines before the last command."""
    history = tmp_path / ".interp_bot_history"
    with create_pipe_input() as keys:
        session = line_editor(commands, history=history, input=keys, output=DummyOutput())
        for line in ("topics", "   ", "topics", ""):
            answer = asyncio.create_task(session.prompt_async("interp> "))
            keys.send_text(line + "\r")
            assert await answer == line
        answer = asyncio.create_task(session.prompt_async("interp> "))
        keys.send_text("\x1b[A\r")  # Up arrow, Enter: the last command, not the blank lines after it
        assert await answer == "topics"
    assert [line for line in history.read_text().splitlines() if line.startswith("+")] == ["+topics"]


def test_lines_pasted_at_once_are_answered_one_by_one(commands: Commands, tmp_path: Path) -> None:
    """A terminal's bracketed paste puts every pasted line into one edit: they were looked up as one query."""
    out = io.StringIO()
    with create_pipe_input() as keys:
        session = line_editor(commands, history=tmp_path / ".interp_bot_history", input=keys, output=DummyOutput())
        keys.send_text("\x1b[200~topic sae\nsearch ROME\n\x1b[201~\r")  # the paste, then Enter
        keys.send_text("quit\r")
        assert repl(commands, EditedLines(session), stdout=out, actor=ME) == 0
    answers = out.getvalue()
    assert answers.startswith("Sparse Coding\n")
    assert "\nSearch: ROME\n" in answers
    assert "No topic is called" not in answers


def test_ctrl_c_during_a_pasted_line_stops_the_rest_of_the_paste(commands: Commands, tmp_path: Path) -> None:
    """Ctrl-C abandoned the answer, then the lines pasted after it ran on: fifty pasted by mistake took fifty."""
    def slow(request: Request) -> Reply:  # the user presses Ctrl-C while it is being answered
        raise KeyboardInterrupt

    commands.register(CommandSpec("slow", "slow", "Takes long.", ("slow",), slow))
    out = io.StringIO()
    with create_pipe_input() as keys:
        session = line_editor(commands, history=tmp_path / ".interp_bot_history", input=keys, output=DummyOutput())
        keys.send_text("\x1b[200~slow\ntopic sae\nsearch ROME\n\x1b[201~\r")  # the paste, then Enter
        keys.send_text("topic probing\r")  # typed after the Ctrl-C: answered
        keys.send_text("quit\r")
        assert repl(commands, EditedLines(session), stdout=out, actor=ME, interactive=True) == 0
    interrupted, rest = out.getvalue().split("\n", 1)
    assert interrupted.startswith("Interrupted: no answer to `slow`; the 2 line(s) pasted after it were not run")
    assert "Sparse Coding" not in rest and "Search: ROME" not in rest
    assert rest.startswith("Probing")
