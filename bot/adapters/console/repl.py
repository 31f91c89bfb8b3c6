"""The console adapter: the same /interp grammar in a terminal, with history and help.

Runs without any chat account, token or network: `interp-bot console`.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot.chat.text import render_text
from bot.chat.values import Actor
from bot.commands import Commands

if TYPE_CHECKING:
    from bot.app import App
    from bot.settings import Settings

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


def repl(commands: Any, *, stdin: TextIO, stdout: TextIO, actor: Actor, interactive: bool,
         prompt: str = "") -> int:
    """Read lines, answer each; `quit`, `exit` or end of input stops. Returns an exit code."""
    if interactive:
        stdout.write(BANNER)
        prompt = prompt or "interp> "
    while True:
        if prompt:
            stdout.write(prompt)
            stdout.flush()
        line = stdin.readline()
        if not line:
            if prompt:
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


def _actor(settings: Settings) -> Actor:
    return Actor(platform="console", user_id=settings.console_maintainer,
                 display_name=settings.console_maintainer, is_maintainer=True)


class _CurationLines:
    """Turns `:white_check_mark: 12` into `vote white_check_mark 12` before the grammar sees it."""

    def __init__(self, commands: Commands):
        self._commands = commands

    def execute(self, line: str, *, actor: Actor | None = None) -> Any:
        from bot.curation.maintainer_commands import emoji_vote_line

        return self._commands.execute(emoji_vote_line(line) or line, actor=actor)


def run_console(settings: Settings) -> int:
    """`interp-bot console`: lookups plus the maintainers' curation commands; no scheduler, no network."""
    import asyncio

    from bot.app import App
    from bot.curation.maintainer_commands import register_curation_commands

    app = App(settings)
    app.add_adapter("console")
    register_curation_commands(app.commands, app.curation, asyncio.run)
    interactive = sys.stdin.isatty()
    if interactive:
        _enable_history()
        sys.stdout.write(BANNER)
    # New candidates appear as posts, as they would in a maintainers' channel.
    asyncio.run(app.curation.publish_pending())
    try:
        return repl(_CurationLines(app.commands), stdin=sys.stdin, stdout=sys.stdout,
                    actor=_actor(settings), interactive=False, prompt="interp> " if interactive else "")
    finally:
        app.database.close()


def run_with_app(app: App) -> int:
    """`interp-bot run` with the console: the bot runs on an event loop thread, the REPL reads here."""
    import asyncio
    import threading

    from bot.curation.maintainer_commands import register_curation_commands

    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()

    async def main() -> None:
        try:
            await app.start()
        finally:
            ready.set()
        await stop.wait()
        await app.stop()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), name="interp-bot-loop", daemon=True)
    thread.start()
    ready.wait()

    def run_on_loop(coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=120)

    register_curation_commands(app.commands, app.curation, run_on_loop)
    _enable_history()
    sys.stdout.write(BANNER)
    try:
        return repl(_CurationLines(app.commands), stdin=sys.stdin, stdout=sys.stdout,
                    actor=_actor(app.settings), interactive=False, prompt="interp> ")
    except KeyboardInterrupt:
        return 0
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
