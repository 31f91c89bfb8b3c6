"""Fixtures for the intake tests: the feed data directory and a loopback feed server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.fakes.feed_server import FeedServer

FEEDS_DIR = REPO / "tests" / "data" / "feeds"


@pytest.fixture
def feeds_dir() -> Path:
    return FEEDS_DIR


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    async with FeedServer(FEEDS_DIR) as server:
        yield server
