"""Fixtures for the intake tests: the feed data directory and a loopback feed server."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# pytest puts this folder, not the repository, on sys.path; the shared fakes live under tests/fakes.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.fakes.feed_server import FeedServer  # noqa: E402

FEEDS_DIR = REPO / "tests" / "data" / "feeds"


@pytest.fixture
def feeds_dir() -> Path:
    return FEEDS_DIR


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    async with FeedServer(FEEDS_DIR) as server:
        yield server
