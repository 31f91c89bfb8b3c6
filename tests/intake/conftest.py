"""Fixtures for the intake tests: the feed data directory, a loopback feed server, and a whole intake on a clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.catalogue.service import CatalogueService
from bot.curation.pipeline import Curation
from bot.intake.fetch import Fetcher, user_agent
from bot.intake.poll import Intake
from bot.intake.sources import FeedSpec
from bot.settings import load_settings
from bot.store.db import Database
from tests.conftest import REPO
from tests.fakes.clock import Clock
from tests.fakes.feed_server import FeedServer

FEEDS_DIR = REPO / "tests" / "data" / "feeds"


@pytest.fixture
def feeds_dir() -> Path:
    return FEEDS_DIR


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    async with FeedServer(FEEDS_DIR) as server:
        yield server



@pytest.fixture
async def parts(catalogue_dir: Path, database_url: str) -> AsyncIterator[dict[str, Any]]:
    clock = Clock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))  # a Tuesday
    settings = load_settings(catalogue_dir=catalogue_dir, database_url=database_url, first_poll_max_items=10,
                             allow_private_addresses=True)
    database = Database.open(database_url, clock=clock)
    catalogue = CatalogueService(catalogue_dir)
    async with httpx.AsyncClient(headers={"User-Agent": user_agent("https://example.org")}) as client:
        # The fetcher's clock is the poll's: a server's Retry-After ends for both when the test moves time on.
        fetcher = Fetcher(client, allow_private=True, total_timeout=1.0, polite_hosts={},
                          clock=lambda: clock.now.timestamp())
        # A hostile feed's own cost is cut by the fetcher (1 s); the poll's deadline is the backstop the "costs no
        # time" tests meet when a parse goes quadratic (most of a minute). 10 s, not 3: on a loaded 2-core machine
        # a real listing's parse and scoring alone passed 3 s and failed a good feed.
        intake = Intake(database, catalogue, fetcher, settings, feed_deadline=10.0)
        yield {"intake": intake, "clock": clock, "curation": Curation(database, catalogue, settings),
               "database": database}
    database.close()


def feed(server: FeedServer, name: str, path: str, kind: str = "forum_rss", **options: Any) -> FeedSpec:
    return FeedSpec(name=name, url=server.url(path), kind=kind, **options)  # type: ignore[arg-type]


def forget_arxiv_field(catalogue_dir: Path, arxiv_id: str) -> None:
    """Make the list's entry one whose arXiv id the list does not give (only its venue's link), as the seed had it."""
    for path in catalogue_dir.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if f'arxiv: "{arxiv_id}"' in text:
            path.write_text("\n".join(line for line in text.split("\n") if f'arxiv: "{arxiv_id}"' not in line),
                            encoding="utf-8")
            return
    raise AssertionError(f"no entry gives the arXiv id {arxiv_id}")
