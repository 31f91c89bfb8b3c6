"""The console's line editor (prompt_toolkit): arrows, editing keys, history kept in ~/.interp_bot_history, and
Tab completion of commands, topic names and entry ids.

Only for a terminal: piped input is read line by line (bot.adapters.console.repl).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory

from bot.commands import ALIASES

if TYPE_CHECKING:
    from prompt_toolkit.input import Input
    from prompt_toolkit.output import Output

    from bot.commands import Commands

HISTORY_FILE = Path.home() / ".interp_bot_history"
COMPLETIONS = 20


class CommandCompleter(Completer):
    """The first word completes to a command; `topic` and `help` arguments to topic slugs and command names,
    `paper` arguments to entry ids (with the title beside each)."""

    def __init__(self, commands: Commands):
        self._commands = commands

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        text = document.text_before_cursor.lstrip()
        name, space, rest = text.partition(" ")
        if not space:
            for command, spec in sorted(self._commands.specs.items()):
                if command.startswith(name.lower()):
                    yield Completion(command, start_position=-len(name), display_meta=spec.summary)
            return
        command = ALIASES.get(name.lower(), name.lower())
        index = self._commands.catalogue.index
        if command == "topic":
            for topic in index.topics.complete(rest, limit=COMPLETIONS):
                yield Completion(topic.slug, start_position=-len(rest),
                                 display_meta=index.catalogue.path_text(topic.slug))
        elif command == "paper" and rest.strip():
            for entry in index.search.complete_titles(rest, limit=COMPLETIONS):
                yield Completion(entry.id, start_position=-len(rest), display_meta=entry.title)
        elif command == "help":
            for other in sorted(self._commands.specs):
                if other.startswith(rest.lower()):
                    yield Completion(other, start_position=-len(rest))


class LineHistory(FileHistory):
    """~/.interp_bot_history without blank lines (an Enter on nothing, or on spaces, said nothing worth recalling),
    nor a line just like the one before it."""

    def append_string(self, string: str) -> None:
        if string.strip() and string != next(iter(self.get_strings()[-1:]), None):
            super().append_string(string)


def line_editor(commands: Commands, *, history: Path = HISTORY_FILE, input: Input | None = None,
                output: Output | None = None) -> PromptSession[str]:
    """A prompt with history and completion (`input`/`output` default to the terminal)."""
    return PromptSession(history=LineHistory(str(history)), completer=CommandCompleter(commands),
                         complete_while_typing=False, input=input, output=output)
