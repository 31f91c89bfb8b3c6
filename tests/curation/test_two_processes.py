"""Two processes on one database, as the compose deployment runs them (a bot per platform, and a maintainer's
`interp-bot decide` from a shell), interleaved at the wire: what one posts while the other decides."""

from __future__ import annotations

import asyncio
import io
import threading
from pathlib import Path

from bot.adapters.console.adapter import ConsoleAdapter
from bot.catalogue.service import CatalogueService
from bot.curation.pipeline import Curation
from bot.store.db import Database
from tests.curation.test_pipeline import add_candidate, settings_for


class Terminal(io.StringIO):
    """The console adapter's terminal; `meanwhile` runs (on a thread of its own, as another process would) the
    moment the first candidate post reaches it, before the adapter has said where the post went."""

    def __init__(self, meanwhile: object) -> None:
        super().__init__()
        self.meanwhile = meanwhile
        self.done = False

    def write(self, text: str) -> int:
        written = super().write(text)
        if "── maintainers ──" in text and not self.done:
            self.done = True
            thread = threading.Thread(target=self.meanwhile)  # type: ignore[arg-type]
            thread.start()
            thread.join()
        return written


async def test_a_candidate_decided_while_its_post_is_on_the_way_gets_the_post_edited(catalogue_dir: Path,
                                                                                      database_url: str) -> None:
    """The bot posts a candidate while a maintainer decides it from a shell. The shell found no post to edit and
    called the decision announced; the post, recorded a moment later, offered the vote forever."""
    settings = settings_for(catalogue_dir, database_url)
    database = Database.open(database_url)
    paper_id = add_candidate(database, 1)
    shell = Curation(database, CatalogueService(catalogue_dir), settings, holder="shell")

    def decide_from_the_shell() -> None:
        outcome = asyncio.run(shell.decide(paper_id, "reject", person="alice", force=True))
        assert outcome.decision == "rejected"

    terminal = Terminal(decide_from_the_shell)
    bot = Curation(database, CatalogueService(catalogue_dir), settings, holder="bot")
    bot.attach(ConsoleAdapter(terminal))
    try:
        assert await bot.publish_pending() == 1
        await bot.recover()
        assert terminal.done
        assert "── update ──" in terminal.getvalue()
        assert "rejected" in terminal.getvalue().split("── update ──")[-1]
    finally:
        database.close()


class RefusingTerminal(Terminal):
    """A terminal that refuses the post (as Slack refuses one: `not_in_channel`) after `meanwhile` ran."""

    def write(self, text: str) -> int:
        super().write(text)
        raise OSError("the terminal refused the post")


async def test_a_post_failing_while_its_candidate_is_decided_is_not_left_failing(catalogue_dir: Path,
                                                                                  database_url: str) -> None:
    """The platform refuses a candidate's post while a maintainer decides the candidate from a shell. The decision
    cleared the post's failures before this one was recorded, so `status` listed a failing post for a decided paper
    for good (nothing retries a post of a decided paper, so nothing cleared it)."""
    settings = settings_for(catalogue_dir, database_url)
    database = Database.open(database_url)
    paper_id = add_candidate(database, 1)
    shell = Curation(database, CatalogueService(catalogue_dir), settings, holder="shell")

    def decide_from_the_shell() -> None:
        assert asyncio.run(shell.decide(paper_id, "reject", person="alice", force=True)).decision == "rejected"

    terminal = RefusingTerminal(decide_from_the_shell)
    bot = Curation(database, CatalogueService(catalogue_dir), settings, holder="bot")
    bot.attach(ConsoleAdapter(terminal))
    try:
        assert await bot.publish_pending() == 0
        assert terminal.done
        assert bot.store.post_failures() == []
    finally:
        database.close()
