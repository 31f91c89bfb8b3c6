"""`interp-bot COMMAND --help` says what the command does, not only its options."""

from __future__ import annotations

import re

import pytest

from bot.cli import main
from bot.cli.exits import EXIT_CONFIG, EXIT_FAIL, EXIT_OK, EXIT_PIPE, EXIT_USAGE
from tests.conftest import REPO


def help_text(capsys: pytest.CaptureFixture[str], command: str) -> str:
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    return " ".join(capsys.readouterr().out.split())


def test_run_help_says_piped_input_is_not_read_and_how_to_stop(capsys: pytest.CaptureFixture[str]) -> None:
    """`printf 'topic sae\\n' | interp-bot run --adapter console` runs on, reading nothing: the help said nothing."""
    out = help_text(capsys, "run")
    assert "The console reads commands only when standard input is a terminal" in out
    assert "`interp-bot console` answers piped commands" in out
    assert "`quit` or Ctrl-D" in out


def test_console_help_says_what_it_is_and_how_it_ends(capsys: pytest.CaptureFixture[str]) -> None:
    out = help_text(capsys, "console")
    assert "Piped input is answered line by line" in out
    assert "`quit`, `exit`, Ctrl-D or the end of input ends it" in out


def test_the_readme_names_every_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    """The README named exit 1 only; a script checking `$?` met 2, 3, 130 and 141 undocumented."""
    line = next(paragraph for paragraph in (REPO / "README.md").read_text(encoding="utf-8").split("\n\n")
                if paragraph.startswith("Exit codes:"))
    named = {int(code) for code in re.findall(r"(?:^|; )(\d+) ", line.removeprefix("Exit codes: "))}
    assert named == {EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_CONFIG, EXIT_PIPE, 130}
    with pytest.raises(SystemExit) as stop:
        main(["tpoic", "sae"])
    assert stop.value.code == EXIT_USAGE
