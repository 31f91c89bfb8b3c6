"""Shared fixtures: a scratch copy of the real catalogue, the seed list, and databases.

Store tests run on SQLite always and on PostgreSQL when INTERP_BOT_TEST_POSTGRES_URL names a server
(`.ci/run` sets it); without it those cases are skipped with the reason shown in the summary.
"""

from __future__ import annotations

import gc
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CATALOGUE = REPO / "catalogue"
SEED = REPO / "tests" / "data" / "seed" / "awesome-llm-interpretability.md"
POSTGRES_ENV = "INTERP_BOT_TEST_POSTGRES_URL"


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move what collection built (every module, item and fixture definition: a quarter of a million objects) out of
    the garbage collector's sight for the rest of the run. A poll ends with a full `gc.collect()` (the bot hands a
    big poll's memory back: bot/intake/memory.py), and in this process each one walked all of them again: 0.2-0.3 s
    a poll, a minute over the suite. Garbage the tests make is still collected; only what collection left alive,
    which lives until the run ends anyway, is skipped."""
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's .env, secrets or settings, or writes the repo's database."""
    for name in list(os.environ):
        if (name.startswith("INTERP_BOT_") and name != POSTGRES_ENV) or name in (
            "DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "GITHUB_TOKEN"
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INTERP_BOT_DATABASE_URL", f"sqlite:///{tmp_path / 'default.db'}")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def catalogue_dir(tmp_path: Path) -> Path:
    """A scratch copy of the real catalogue/ (tests may write it)."""
    target = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, target, ignore=shutil.ignore_patterns(".interp-bot.lock"))
    return target


def retitle_topic(catalogue_dir: Path, title: str, new_title: str) -> None:
    """A maintainer retitles a topic by hand in topics.yaml; `new_title` is written in double quotes, so it may
    use YAML's escapes ("Sparse\\u2028Coding"). Entry titles are collapsed to one line when the list is read, but
    a topic's title is kept as written: it is where a separator in hand-edited text reaches readers."""
    path = catalogue_dir / "topics.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(f"title: {title}\n") == 1, title
    path.write_text(text.replace(f"title: {title}\n", f'title: "{new_title}"\n'), encoding="utf-8")


@pytest.fixture
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@contextmanager
def fresh_postgres(prefix: str = "interp_bot_test") -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards.

    Skips (visibly) when INTERP_BOT_TEST_POSTGRES_URL is unset; fails when it is set but the server cannot
    be reached, because then CI's PostgreSQL tests would silently not run.
    """
    admin = os.environ.get(POSTGRES_ENV)
    if not admin:
        pytest.skip(f"PostgreSQL not configured: set {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from bot.store.db import normalise_url

    admin_url = make_url(normalise_url(admin))
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        engine.dispose()
        pytest.fail(f"{POSTGRES_ENV} is set but PostgreSQL is unreachable: {exc}")
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with fresh_postgres() as url:
        yield url
