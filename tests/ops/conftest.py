"""Fixtures for the operations tests: a loopback feed server and a throw-away PostgreSQL database."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# pytest puts this folder, not the repository, on sys.path; the shared fakes live under tests/fakes.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.fakes.feed_server import FeedServer  # noqa: E402
from tests.ops.support import FEED_FILES  # noqa: E402

POSTGRES_ENV = "INTERP_BOT_TEST_POSTGRES_URL"


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    async with FeedServer(FEED_FILES) as server:
        yield server


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards.

    Without INTERP_BOT_TEST_POSTGRES_URL (or with a server we cannot reach) the test is skipped with the
    reason in pytest's summary; `.ci/run` sets it to postgresql://postgres@127.0.0.1:5432/test.
    """
    admin = os.environ.get(POSTGRES_ENV)
    if not admin:
        pytest.skip(f"PostgreSQL not configured: set {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from bot.store.db import normalise_url

    admin_url = make_url(normalise_url(admin))
    name = f"interp_bot_ops_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        engine.dispose()
        pytest.skip(f"PostgreSQL at {admin_url.render_as_string(hide_password=True)} is unreachable: {exc}")
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
