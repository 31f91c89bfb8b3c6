"""Fixtures for the operations tests: a loopback feed server and a throw-away PostgreSQL database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.conftest import fresh_postgres
from tests.fakes.feed_server import FeedServer
from tests.ops.support import FEED_FILES


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    async with FeedServer(FEED_FILES) as server:
        yield server


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test (see tests/conftest.py: skipped when not configured)."""
    with fresh_postgres("interp_bot_ops") as url:
        yield url
