"""The console adapter: the same /interp grammar in a terminal, with history and help.

Runs without any chat account, token or network: `interp-bot console`.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any, TextIO

from bot.commands import Actor, Commands
from bot.render_text import render_text

BANNER = (
    "interp-bot console — the LLM interpretability reading list.\n"
    "Try: topic probing · topic sae · search induction heads · paper ROME · topics · help · quit\n"
)
HISTORY_FILE = Path.home() / ".interp_bot_history"


def _enable_history() -> None:
    try:
        import readline
    except ImportError:  # Windows without pyreadline: the console still works, without history
        return
    with contextlib.suppress(OSError):
        readline.read_history_file(HISTORY_FILE)
    readline.set_history_length(1000)
    import atexit

    def save() -> None:
        with contextlib.suppress(OSError):
            readline.write_history_file(HISTORY_FILE)

    atexit.register(save)


def repl(commands: Commands, *, stdin: TextIO, stdout: TextIO, actor: Actor, interactive: bool,
         before_prompt: Any = None) -> int:
    """Read lines, answer each; `quit`, `exit` or end of input stops. Returns an exit code."""
    if interactive:
        stdout.write(BANNER)
    while True:
        if before_prompt is not None:
            before_prompt(stdout)
        if interactive:
            stdout.write("interp> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            if interactive:
                stdout.write("\n")
            return 0
        line = line.strip()
        if not line:
            continue
        if line.lower() in {"quit", "exit", ":q"}:
            return 0
        reply = commands.execute(line, actor=actor)
        stdout.write(render_text(reply) + "\n")
        stdout.flush()


def run_console(settings: Any) -> int:
    from bot.catalogue.service import CatalogueService

    service = CatalogueService(settings.catalogue_dir)
    commands = Commands(service, page_size=settings.page_size)
    actor = Actor(platform="console", user_id=settings.console_maintainer,
                  display_name=settings.console_maintainer, is_maintainer=True)
    interactive = sys.stdin.isatty()
    if interactive:
        _enable_history()
    return repl(commands, stdin=sys.stdin, stdout=sys.stdout, actor=actor, interactive=interactive)
