"""Readers' lookups for the footprint benchmark, sent the way readers send them: typed into the console's terminal,
or as /interp slash commands through the loopback fakes of Discord and Slack (tests/fakes).

A bot that answers lookups holds what the first ones build (the paper finder, the link index, the topics'
neighbours, the query caches) for as long as it runs: its polls peak on top of them. benchmarks/footprint.py sends
these before the feeds answer, so its peak includes them.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import pty
import random
import re
import struct
import termios
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.catalogue.yaml_io import load_catalogue
from tests.e2e.discord.harness import autocomplete, slash
from tests.fakes.discord_fake import FakeDiscord
from tests.fakes.slack_fake import FakeSlack, sample

_ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]|[\r\x08]")
PROMPT = "interp>"
ANSWER_WITHIN = 60.0  # seconds: a first lookup builds an index of the whole list, on a shared, loaded machine
# Each command's one option on Discord (bot/adapters/discord/commands.py)
DISCORD_OPTION = {"topic": "name", "search": "query", "paper": "title"}


@dataclass(frozen=True)
class Lookup:
    command: str  # topic, search or paper
    args: str
    expect: str = ""  # text the answer must hold (a paper asked for by its title, id or link: its title)


def lookups(catalogue_dir: Path, seed: int = 5) -> list[Lookup]:
    """What readers ask, of every kind: topics by name, alias, typo and a name that is no topic; words; papers by
    title, id, link, arXiv id, acronym, a mistyped title and one the list does not have."""
    entries = [e for e in load_catalogue(catalogue_dir).entries if e.id.startswith("generated-")]
    by_title, by_id, by_link, mistyped, words = random.Random(seed).sample(entries, 5)
    link = by_link.links[0].url.replace("/abs/", "/pdf/") + "v2"  # another spelling of the link the list has
    longest = max(mistyped.title.split(), key=len)
    typo = mistyped.title.replace(longest, longest[:3] + longest[4:], 1)  # a letter of its longest word dropped
    return [
        Lookup("topic", "probing"), Lookup("topic", "sae"), Lookup("topic", "probign"), Lookup("topic", "mech interp"),
        Lookup("search", "induction heads"), Lookup("search", " ".join(words.title.split()[:3])),
        Lookup("paper", by_title.title, by_title.title), Lookup("paper", by_id.id, by_id.title),
        Lookup("paper", link, by_link.title), Lookup("paper", "2202.05262", "Locating and Editing Factual"),
        Lookup("paper", "ROME", "Locating and Editing Factual"), Lookup("paper", typo, mistyped.title),
        Lookup("paper", "toy models of superposition"),
    ]


def _check(lookup: Lookup, answer: str, where: str) -> None:
    if lookup.expect and lookup.expect not in answer:
        raise RuntimeError(f"{where}: `{lookup.command} {lookup.args}` was not answered with {lookup.expect!r}:\n"
                           f"{answer[:2000]}")


class Terminal:
    """The console's terminal (a pseudo-terminal), as tests/e2e/test_console_terminal.py drives it, on the event
    loop: read as the bot writes (a full terminal would block its posts), the editor's cursor-position questions
    answered. Wide, so that no query wraps."""

    def __init__(self) -> None:
        self.fd, self.child = pty.openpty()
        fcntl.ioctl(self.child, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 400, 0, 0))
        self.screen = bytearray()
        self._answered = 0  # cursor-position questions answered
        self._changed = asyncio.Event()

    def start(self) -> None:
        os.close(self.child)  # the bot has its end now
        asyncio.get_running_loop().add_reader(self.fd, self._read)

    def _read(self) -> None:
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # the bot has ended
            asyncio.get_running_loop().remove_reader(self.fd)
            return
        self.screen += chunk
        while self._answered < self.screen.count(b"\x1b[6n"):
            os.write(self.fd, b"\x1b[1;1R")
            self._answered += 1
        self._changed.set()

    def text(self, start: int = 0) -> str:
        return _ESCAPES.sub(b"", bytes(self.screen[start:])).decode(errors="replace")

    async def until(self, done: Callable[[], bool]) -> None:
        async with asyncio.timeout(ANSWER_WITHIN):
            while not done():
                self._changed.clear()
                await self._changed.wait()

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.fd)
        os.close(self.fd)


def _answer(text: str, line: str) -> str:
    """What the console wrote after `line` was typed, once it is all there: the prompt back after some text that is
    neither the prompt nor the line (the editor redraws both as it goes, and may show a prompt before the answer)."""
    before, prompt, _ = text.rpartition(PROMPT)
    answer = before.replace(PROMPT, "").replace(line, "").strip()
    return answer if prompt else ""


async def ask_console(terminal: Terminal, asked: list[Lookup]) -> None:
    await terminal.until(lambda: PROMPT in terminal.text())
    for lookup in asked:
        start, line = len(terminal.screen), f"{lookup.command} {lookup.args}"
        os.write(terminal.fd, f"{line}\r".encode())
        await terminal.until(lambda: bool(_answer(terminal.text(start), line)))  # noqa: B023 - awaited here
        _check(lookup, _answer(terminal.text(start), line), "console")


async def ask_discord(discord: FakeDiscord, asked: list[Lookup]) -> None:
    """Each lookup as a slash command; a paper's title as a reader types it, with Discord's autocomplete first."""
    for lookup in asked:
        if lookup.command == "paper":
            typing = autocomplete("paper", "title", lookup.args[:12])
            await discord.dispatch("INTERACTION_CREATE", typing)
            await discord.wait_for("POST", rf"/interactions/{typing['id']}/[^/]+/callback", within=ANSWER_WITHIN)
        interaction = slash(lookup.command, {DISCORD_OPTION[lookup.command]: (3, lookup.args)})
        await discord.dispatch("INTERACTION_CREATE", interaction)
        call = await discord.wait_for("POST", rf"/interactions/{interaction['id']}/[^/]+/callback",
                                      within=ANSWER_WITHIN)
        if call.json["type"] == 5:  # deferred ("thinking"): the answer follows as a webhook message
            call = await discord.wait_for("POST", rf"/webhooks/\d+/{interaction['token']}", within=ANSWER_WITHIN)
        _check(lookup, json.dumps(call.json, ensure_ascii=False), "discord")


async def ask_slack(slack: FakeSlack, asked: list[Lookup]) -> None:
    for number, lookup in enumerate(asked):
        name = f"lookup-{number}"
        await slack.push("slash_commands", sample("slash_command", text=f"{lookup.command} {lookup.args}",
                                                  response_url=slack.response_url(name)))
        await slack.wait_for(lambda name=name: any(n == name for n, _ in slack.responses), within=ANSWER_WITHIN)
        body = next(body for n, body in slack.responses if n == name)
        _check(lookup, json.dumps(body, ensure_ascii=False), "slack")
