"""The console adapter: the same /interp grammar in a terminal (a real line editor: bot.adapters.console.editor).

Runs without any chat account, token or network: `interp-bot console`.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TextIO

from bot.chat.runner import answer_sync
from bot.chat.text import render_text
from bot.chat.values import Actor, Reply
from bot.commands import Commands

if TYPE_CHECKING:
    from prompt_toolkit import PromptSession

    from bot.app import App
    from bot.settings import Settings

BANNER = (
    "interp-bot console — the LLM interpretability reading list.\n"
    "Try: topic probing · topic sae · search induction heads · paper ROME · topics · help · quit\n"
    "Tab completes commands and topic names; arrows recall earlier lines.\n"
)
PROMPT = "interp> "
QUIT_WORDS = ("quit", "exit", ":q")
QUIT_HELP = "`quit` — End the console session (or `exit`, `:q`, Ctrl-D)."
LOG_FILE = "interp-bot.log"

Reader = Callable[[], "str | None"]  # the next line typed, None at the end of input


def piped_lines(stdin: TextIO) -> Reader:
    """Lines from a pipe or a file, as they come."""
    def read() -> str | None:
        line = stdin.readline()
        return line if line else None
    return read


class EditedLines:
    """Lines from the line editor: Ctrl-C abandons the line being typed, Ctrl-D ends the session. Several lines
    pasted at once (a terminal's bracketed paste puts them in one edit) are answered one by one, as piped ones."""

    def __init__(self, session: PromptSession[str]):
        self._session = session
        self._pending: list[str] = []

    def __call__(self) -> str | None:
        while not self._pending:
            try:
                self._pending.extend(self._session.prompt(PROMPT).splitlines() or [""])
            except KeyboardInterrupt:
                continue
            except EOFError:
                return None
        return self._pending.pop(0)

    def drop_pending(self) -> int:
        """Forget the pasted lines not read yet (Ctrl-C during an answer stops the paste too); how many there were."""
        dropped = sum(1 for line in self._pending if line.strip())
        self._pending.clear()
        return dropped


def repl(commands: Any, read: Reader, *, stdout: TextIO, actor: Actor, interactive: bool = False) -> int:
    """Answer each line; `quit`, `exit` or the end of input stops. Returns an exit code.

    `interactive` (the line editor): Ctrl-C during an answer abandons that answer, as Ctrl-C at the prompt abandons
    the line, and the session (with a `run` bot behind it) goes on; piped input stops there, as any filter does."""
    while (line := read()) is not None:
        line = line.strip()
        if not line:
            continue
        if line.lower() in QUIT_WORDS:
            break
        # One failing line is logged and answered; the session, and the bot behind it, go on.
        try:
            reply = answer_sync(functools.partial(commands.execute, line, actor=actor), line)
        except KeyboardInterrupt:
            if not interactive:
                raise
            # The rest of a paste goes too: one Ctrl-C stops what was pasted, not only the line being answered.
            dropped = read.drop_pending() if isinstance(read, EditedLines) else 0
            rest = f"; the {dropped} line(s) pasted after it were not run" if dropped else ""
            stdout.write(f"Interrupted: no answer to `{line[:60]}`{rest} (a vote or decision may still be recorded: "
                         "`candidates` shows where things stand).\n")
            stdout.flush()
            continue
        stdout.write(render_text(reply) + "\n")
        stdout.flush()
    return 0


def terminal_logs(settings: Settings) -> None:
    """The terminal belongs to the conversation: log lines go to a file beside it, not between answers."""
    from bot.logs import setup_logging

    log_file = open(LOG_FILE, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    setup_logging(settings, stream=log_file)
    print(f"logs: {LOG_FILE}", file=sys.stderr)


def _actor(settings: Settings) -> Actor:
    return Actor(platform="console", user_id=settings.console_maintainer,
                 display_name=settings.console_maintainer, is_maintainer=True)


class _ConsoleLines:
    """The console's own words around the grammar: `quit` and its help. (A vote typed as `:white_check_mark: 12` is
    the grammar's line rule, shared with Slack: bot.curation.maintainer_commands.vote_line.)"""

    def __init__(self, commands: Commands):
        self._commands = commands

    def execute(self, line: str, *, actor: Actor | None = None) -> Any:
        if " ".join(line.lower().split()) in {f"help {word}" for word in QUIT_WORDS}:  # the banner names it
            return Reply(title="help: quit", kind="usage",
                         text="`quit` (or `exit`, `:q`, Ctrl-D) ends the console session.")
        first = next(iter(line.lower().split()), "")
        if first in QUIT_WORDS:  # `quit now`: the way out takes nothing; it was an "Unknown command" that listed it
            return Reply(title=f"`{first}` takes nothing", kind="usage",
                         text="Type `quit` (or `exit`, `:q`) alone, or press Ctrl-D, to end the console session.")
        reply = self._commands.execute(line, actor=actor)
        if isinstance(reply, Reply) and reply.kind in ("help", "usage") and \
                any(row.startswith("`help [COMMAND]`") for row in reply.text.splitlines()):
            # The command list (help, or an unknown command's) names the console's own way out too; `help help`,
            # whose usage line names `help [COMMAND]` as well, is no list.
            reply = replace(reply, text=f"{reply.text}\n{QUIT_HELP}")
        return reply


def run_console(settings: Settings) -> int:
    """`interp-bot console`: lookups plus the maintainers' curation commands; no scheduler, no network."""
    import asyncio

    from bot.app import App
    from bot.curation.maintainer_commands import register_curation_commands

    terminal = sys.stdin.isatty() and sys.stdout.isatty()
    if terminal:
        terminal_logs(settings)
    app = App(settings, feeds="unused")  # lookups and decisions: a feeds.yaml being edited must not stop them
    app.add_adapter("console")
    register_curation_commands(app.commands, app.curation, asyncio.run)
    try:
        if terminal:
            from bot.adapters.console.editor import line_editor

            sys.stdout.write(BANNER)
            pending = len(app.curation.papers.candidates())
            if pending:  # a count, not every candidate before the first answer
                sys.stdout.write(f"{pending} candidate{'s' * (pending != 1)} waiting for a decision: "
                                 "`candidates` lists them.\n")
            read: Reader = EditedLines(line_editor(app.commands))
        else:
            read = piped_lines(sys.stdin)
        return repl(_ConsoleLines(app.commands), read, stdout=sys.stdout, actor=_actor(settings),
                    interactive=terminal)
    finally:
        app.database.close()


def run_with_app(app: App) -> int:
    """`interp-bot run` with the console in a terminal: the bot runs on an event loop thread, the line editor
    reads here, and posts from the bot appear above the prompt."""
    import asyncio
    import threading

    from prompt_toolkit.patch_stdout import patch_stdout

    from bot.adapters.console.editor import line_editor

    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()
    failed: list[Exception] = []

    async def main() -> None:
        try:
            await app.start()
        except Exception as exc:  # raised again below, on the main thread, where `run` words it
            failed.append(exc)
            await app.stop()
            return
        finally:
            ready.set()
        await stop.wait()
        await app.stop()

    terminal_logs(app.settings)
    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), name="interp-bot-loop", daemon=True)
    thread.start()
    ready.wait()
    if failed:
        # A chat platform that cannot connect at start stops `run` with one line, as it does without the console;
        # a console opened over a dead event loop left every curation command waiting two minutes.
        thread.join(timeout=10)
        raise failed[0]

    # The curation commands were registered by app.start, bound to the loop: the line editor reads here, on
    # another thread, as chat adapters' worker threads do.
    sys.stdout.write(BANNER)
    try:
        with patch_stdout():
            return repl(_ConsoleLines(app.commands), EditedLines(line_editor(app.commands)), stdout=sys.stdout,
                        actor=_actor(app.settings), interactive=True)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
