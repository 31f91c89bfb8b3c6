"""Engine, schema versioning and the small primitives every repository uses (transactions, leases).

The steps from one schema version to the next are in `migrations.py`; `Database.migrate` runs them.

SQLite is the default (WAL, busy timeout, foreign keys on); PostgreSQL is chosen by URL
(`postgresql+psycopg://...` or plain `postgresql://...`, which we map to psycopg 3).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, insert, inspect, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, IntegrityError, NoSuchModuleError, OperationalError

from bot import errors, extras
from bot.errors import ConfigError, StoreError
from bot.store import schema
from bot.store.migrations import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger(__name__)



def utc(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; everything we store is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def normalise_url(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def sqlite_file(url: str) -> Path | None:
    """The SQLite file `url` names; None for an in-memory database, PostgreSQL or a URL that is no database URL
    (make_engine says what is wrong with it)."""
    try:
        parsed = make_url(normalise_url(url))
    except (ArgumentError, ValueError):
        return None
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def in_memory_sqlite(url: str) -> bool:
    """sqlite:// or sqlite:///:memory: (a file: URI may name a file, or shared memory: left to SQLite)."""
    try:
        parsed = make_url(normalise_url(url))
    except (ArgumentError, ValueError):
        return False
    return parsed.get_backend_name() == "sqlite" and (parsed.database or ":memory:") == ":memory:"


def missing_sqlite_file(url: str) -> Path | None:
    """The SQLite file `url` names, when it does not exist yet."""
    path = sqlite_file(url)
    return None if path is None or path.is_file() else path


def make_engine(url: str, *, create: bool = True) -> Engine:
    """An engine for `url`. With `create`, a SQLite file's directory is made (the file itself on first use);
    without, a missing SQLite file is a StoreError and nothing is made (`status` changes nothing). An in-memory
    SQLite database is a StoreError either way. A URL that names no database we use is a ConfigError naming the
    setting, never a driver's traceback; the message does not repeat the URL, which may hold a password."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
    except (ArgumentError, ValueError):
        raise ConfigError(errors.bad_database_url("is not a database URL")) from None
    if "@" in (parsed.host or ""):
        # user:p@ss@host: the password ends at its first "@", the rest would be tried as a host name, and shown
        # in every message about that host.
        raise ConfigError(errors.bad_database_url("has an '@' in its user name or password: write it as %40"))
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(errors.bad_database_url(f"names a kind of database interp-bot does not use ({backend})"))
    if backend == "sqlite":
        if (path := sqlite_file(url)) is not None:
            if path.is_dir():  # sqlite:///data instead of sqlite:///data/bot.db: not "made at first start"
                raise ConfigError(errors.bad_database_url(f"names the directory {path}: name a file in it, such as "
                                                          f"sqlite:///{path / 'interp-bot.db'}"))
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            elif not path.is_file():
                raise StoreError(f"no database at {path}: it is made when the bot first starts "
                                 "(`interp-bot run`, or `interp-bot poll --once`)")
        elif in_memory_sqlite(url):
            # `status` or `candidates` would look at a new, empty database of their own; and each connection (the
            # store works on several threads) opens another, without tables: `run` or `digest` died on "no such table"
            raise StoreError("sqlite:// is an in-memory database: it lives only inside the process that made it, "
                             "and there only on the connection that opened it (interp-bot uses several), so nothing "
                             "could be kept or looked at; set INTERP_BOT_DATABASE_URL to a file, such as "
                             "sqlite:///interp-bot.db")
        engine = _create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _sqlite_begin).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA cache_size=-512")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
            # Writers take the lock up front (IMMEDIATE) so two of them queue instead of failing on a
            # lock upgrade; readers stay deferred and, under WAL, never wait for a writer.
            immediate = conn.get_execution_options().get("sqlite_immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    if url.startswith("postgresql+psycopg"):
        extras.require("postgres")
    return _create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _create_engine(url: str, **options: object) -> Engine:
    try:
        return create_engine(url, **options)
    except (ArgumentError, NoSuchModuleError, ValueError, TypeError) as exc:
        raise ConfigError(errors.bad_database_url(f"cannot be used ({type(exc).__name__})")) from None
    except ImportError as exc:  # postgresql+asyncpg://, postgresql+psycopg2://: a driver that is not installed
        raise ConfigError(errors.bad_database_url(f"names a driver that is not installed ({exc.name or exc})")) \
            from None


class Database:
    """An engine plus the clock; hands out transactions. Construct with `Database.open(url)`."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None):
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(UTC))

    @classmethod
    def open(cls, url: str, *, clock: Callable[[], datetime] | None = None, migrate: bool = True,
             create: bool = True) -> Database:
        """Connect, and migrate to the current schema (or, with `migrate` off, refuse any other schema). With
        `create` off nothing is made or changed: no SQLite directory or file, no migration (`status`)."""
        database = cls(make_engine(url, create=create), clock)
        with _usable(url):
            if migrate:  # without `create`, only a database that exists (make_engine checked) is migrated
                database.migrate()
            else:
                database.check_version()
        return database

    @classmethod
    def version_at(cls, url: str) -> int:
        """The schema version of the database at `url` (0: none yet), changing nothing (a dry run's question)."""
        if in_memory_sqlite(url):
            return 0  # a new one, empty, whoever asks
        database = cls(make_engine(url, create=False))
        try:
            with _usable(url):
                return database.current_version()
        finally:
            database.close()

    def now(self) -> datetime:
        return utc(self.clock())  # type: ignore[return-value]

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction: committed on success, rolled back on any exception."""
        with self.engine.connect() as conn:
            conn.execution_options(sqlite_immediate=True)
            with conn.begin():
                yield conn

    # ------------------------------------------------------------------ schema versioning

    def current_version(self) -> int:
        if not inspect(self.engine).has_table("schema_version"):
            return 0
        with self.engine.connect() as conn:
            version = conn.execute(select(schema.schema_version.c.version)).scalar()
        return int(version or 0)

    def check_version(self) -> None:
        version = self.current_version()
        if version > SCHEMA_VERSION:
            raise StoreError(_newer_schema(version))
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"database schema is version {version}, this interp-bot needs {SCHEMA_VERSION}: "
                "start the bot once (`interp-bot run`), or run `interp-bot poll --once`, to migrate it"
            )

    def migrate(self) -> int:
        """Bring the schema to SCHEMA_VERSION; safe to run from several processes at once."""
        with self._migration_lock():
            return self._migrate()

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        """Processes starting together on a new database (the compose services do) take turns: the first
        migrates, the others then find the schema current. Without it, PostgreSQL fails the second CREATE
        TABLE with a duplicate-key error. SQLite needs no lock: its DDL runs in a BEGIN IMMEDIATE transaction."""
        if self.engine.dialect.name != "postgresql":
            yield
            return
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({_MIGRATION_LOCK_KEY})")
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_MIGRATION_LOCK_KEY})")

    def _migrate(self) -> int:
        version = self.current_version()
        if version > SCHEMA_VERSION:
            raise StoreError(_newer_schema(version))
        for target in range(version + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[target](self)
            with self.transaction() as conn:
                row = {"id": 1, "version": target, "migrated_at": self.now()}
                updated = conn.execute(update(schema.schema_version).where(schema.schema_version.c.id == 1)
                                       .values(version=target, migrated_at=row["migrated_at"])).rowcount
                if not updated:
                    try:
                        with conn.begin_nested():
                            conn.execute(insert(schema.schema_version).values(**row))
                    except IntegrityError:
                        pass  # another process migrated at the same moment
            log.debug("database migrated to schema version %d", target)
        if version < SCHEMA_VERSION:  # one line for the operator, however many steps it took
            log.info("database migrated to schema version %d%s", SCHEMA_VERSION,
                     f" (from {version})" if version else "")
        return SCHEMA_VERSION

    # ------------------------------------------------------------------ leases

    def acquire_lease(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Hold `name` for `ttl` unless another live holder has it: one process runs a job at a time."""
        now = self.now()
        table = schema.leases
        with self.transaction() as conn:
            taken = conn.execute(
                update(table)
                .where(table.c.name == name)
                .where((table.c.holder == holder) | (table.c.expires_at < now))
                .values(holder=holder, expires_at=now + ttl)
            ).rowcount
            if taken:
                return True
            try:
                with conn.begin_nested():
                    conn.execute(insert(table).values(name=name, holder=holder, expires_at=now + ttl))
                return True
            except IntegrityError:
                return False

    def upsert(self, table: Table, key: dict[str, Any], values: dict[str, Any], *,
               defaults: dict[str, Any] | None = None) -> None:
        """Set `values` on the row with `key`, inserting it (with `defaults` beneath `values`) if there is none;
        a row inserted at the same moment by another process is updated instead."""
        where = [table.c[name] == value for name, value in key.items()]
        with self.transaction() as conn:
            if conn.execute(update(table).where(*where).values(**values)).rowcount:
                return
            try:
                with conn.begin_nested():
                    conn.execute(insert(table).values(**key, **{**(defaults or {}), **values}))
            except IntegrityError:
                conn.execute(update(table).where(*where).values(**values))

    def lease_holder(self, name: str) -> tuple[str, datetime] | None:
        """Who holds `name`, and until when (None when no live holder does)."""
        table = schema.leases
        with self.engine.connect() as conn:
            row = conn.execute(select(table.c.holder, table.c.expires_at).where(table.c.name == name)).first()
        if row is None:
            return None
        expires = utc(row.expires_at)
        return None if expires is None or expires < self.now() else (row.holder, expires)

    def release_lease(self, name: str, holder: str) -> None:
        table = schema.leases
        with self.transaction() as conn:
            conn.execute(table.delete().where(table.c.name == name).where(table.c.holder == holder))

    def close(self) -> None:
        self.engine.dispose()


def _newer_schema(version: int) -> str:
    return (f"database schema is version {version}, newer than this interp-bot knows ({SCHEMA_VERSION}): a newer "
            "interp-bot has used it; run that version (a schema is never migrated back)")


@contextmanager
def _usable(url: str) -> Iterator[None]:
    """A database that cannot be reached or used is a StoreError saying which (the password hidden)."""
    try:
        yield
    except OperationalError as exc:
        raise StoreError(f"cannot reach the database at {safe_url(url)}: {exc.orig}") from None
    except DatabaseError as exc:  # SQLite's "file is not a database": some other file at that path
        raise StoreError(f"the database at {safe_url(url)} cannot be used: {exc.orig}") from None


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(normalise_url(url))
        if "password" in parsed.query:  # libpq's other place for it: ...?password=...
            parsed = parsed.update_query_dict({"password": "***"})
        return parsed.render_as_string(hide_password=True).replace("password=%2A%2A%2A", "password=***")
    except Exception:  # a malformed URL: say nothing of it but its scheme
        return url.split(":", 1)[0] + "://…"


_MIGRATION_LOCK_KEY = 0x696E7465  # any constant; "inte" in ASCII
