"""The database a dry run reads (`poll --dry-run`, `digest --dry-run`): never one it makes or migrates."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings


@contextlib.contextmanager
def dry_run_database(settings: Settings) -> Iterator[Settings]:
    """The settings a dry run uses. A dry run stores nothing, so it makes no database and migrates none either:
    with none there yet (no SQLite file, or an empty server), it reads an empty scratch one; with one of an older
    schema (a new version tried before the bots are upgraded), a migrated scratch copy of it (SQLite; PostgreSQL
    is refused). The scratch database is removed after the run."""
    from bot.errors import StoreError
    from bot.store.db import SCHEMA_VERSION, Database, missing_sqlite_file, safe_url, sqlite_file

    url = settings.database_url
    with tempfile.TemporaryDirectory(prefix="interp-bot-dry-run-") as scratch:
        scratch_file = Path(scratch) / "dry-run.db"
        scratch_settings = settings.model_copy(update={"database_url": f"sqlite:///{scratch_file}"})
        if (missing := missing_sqlite_file(url)) is not None:
            print(f"interp-bot: no database at {missing} yet; the dry run reads an empty one", file=sys.stderr)
            yield scratch_settings
            return
        version = Database.version_at(url)
        if version == 0:
            print(f"interp-bot: the database at {safe_url(url)} is empty; the dry run reads an empty one instead",
                  file=sys.stderr)
            yield scratch_settings
            return
        if version >= SCHEMA_VERSION:  # current (or newer, which the run refuses as usual)
            yield settings
            return
        path = sqlite_file(url)
        if path is None:
            raise StoreError(f"the database at {safe_url(url)} is schema {version}, and this interp-bot needs "
                             f"{SCHEMA_VERSION}: a dry run migrates nothing (bots of the older version may still "
                             "use it); run it after the upgrade")
        source, copy = sqlite3.connect(path), sqlite3.connect(scratch_file)
        try:
            source.backup(copy)  # a consistent copy, even of a database in WAL mode with a writer at work
        finally:
            copy.close()
            source.close()
        print(f"interp-bot: the database is schema {version}; the dry run reads a copy migrated to {SCHEMA_VERSION} "
              "and leaves it as it is", file=sys.stderr)
        yield scratch_settings
