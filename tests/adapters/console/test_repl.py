"""The console's loop: every line gets an answer, and no line ends the session."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from bot.adapters.console.repl import _ConsoleLines, piped_lines, repl
from bot.catalogue.service import CatalogueService
from bot.chat.values import Actor, Reply
from bot.commands import Commands, CommandSpec, Request

ME = Actor(platform="console", user_id="me", display_name="me", is_maintainer=True)


def session(commands: Commands, text: str) -> str:
    out = io.StringIO()
    assert repl(commands, piped_lines(io.StringIO(text)), stdout=out, actor=ME) == 0
    return out.getvalue()


def test_a_command_that_fails_is_answered_and_the_next_line_still_is(
        catalogue_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    commands = Commands(CatalogueService(catalogue_dir))

    def broken(request: Request) -> Reply:  # a command added later (as curation adds its own) with a bug in it
        raise KeyError(request.args)

    commands.register(CommandSpec("broken", "broken", "Fails.", ("broken",), broken))
    with caplog.at_level(logging.ERROR):
        out = session(commands, "broken now\ntopic probing\n")
    assert "Something went wrong" in out
    assert "Probing" in out.split("Something went wrong", 1)[1]
    assert "command 'broken now' failed" in caplog.text


def test_unicode_digits_get_usage_help(catalogue_dir: Path) -> None:
    """"²" and "①" are digits to str.isdigit() but not to int(): they used to end the session with a traceback."""
    out = session(Commands(CatalogueService(catalogue_dir)), "recent ²\nrecent ①\nrecent 3\n")
    assert out.count("is not a number from 1 to 100") == 2
    assert "Recently added" in out or "Nothing has joined the list" in out


def test_the_way_out_is_named_under_the_command_list_not_under_help_on_help(catalogue_dir: Path) -> None:
    out = session(_ConsoleLines(Commands(CatalogueService(catalogue_dir))), "help help\nhelp\n")
    on_help, command_list = out.split("interp-bot: the LLM interpretability reading list")
    assert on_help == "help: help\nUsage: `help [COMMAND]` — This help.\nExamples: `help` · `help topic`\n\n"
    assert "`quit` — End the console session (or `exit`, `:q`, Ctrl-D)." in command_list


def test_ctrl_c_during_an_answer_abandons_it_and_the_session_goes_on_in_a_terminal(catalogue_dir: Path) -> None:
    commands = Commands(CatalogueService(catalogue_dir))

    def slow(request: Request) -> Reply:  # the user presses Ctrl-C while it is being answered
        raise KeyboardInterrupt

    commands.register(CommandSpec("slow", "slow", "Takes long.", ("slow",), slow))
    out = io.StringIO()
    lines = piped_lines(io.StringIO("slow now\ntopic probing\n"))
    assert repl(commands, lines, stdout=out, actor=ME, interactive=True) == 0
    interrupted, rest = out.getvalue().split("\n", 1)
    assert interrupted.startswith("Interrupted: no answer to `slow now`")
    assert "Probing" in rest
    with pytest.raises(KeyboardInterrupt):  # piped input: Ctrl-C stops the whole pipe, as in any filter
        repl(commands, piped_lines(io.StringIO("slow now\ntopic probing\n")), stdout=io.StringIO(), actor=ME)


def test_quit_with_words_after_it_says_how_to_quit_and_the_session_goes_on(catalogue_dir: Path) -> None:
    out = session(_ConsoleLines(Commands(CatalogueService(catalogue_dir))), "quit now\nexit please\ntopics\n")
    assert out.startswith("`quit` takes nothing\nType `quit` (or `exit`, `:q`) alone, or press Ctrl-D, to end the "
                          "console session.\n")
    assert "`exit` takes nothing" in out
    assert "Unknown command" not in out
    assert "Topics" in out
