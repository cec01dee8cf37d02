"""The engine and session factory, SQLite tuning, and schema upgrades through Alembic."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from db.private_files import private_dir, private_file, tighten
from db.sqlite_driver import one_hop_dbapi

logger = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite files get WAL, a busy timeout and foreign keys, and their folder is created.

    Statement parameters are never put in error messages or logs (they carry names, NIKs, birth dates). A SQLite
    file and its folder are private (0600, 0700); SQLite gives its -wal and -shm files the database file's mode."""
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            _private_sqlite_file(Path(parsed.database))
        engine = create_async_engine(url, connect_args={"timeout": 30}, module=one_hop_dbapi(), **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        # Writers take the write lock at BEGIN, so concurrent writers queue on busy_timeout instead of failing when
        # a read turns into a write; read-only work (health checks, exports) begins deferred and never waits.
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(url, pool_pre_ping=True, **kwargs)


def _private_sqlite_file(path: Path) -> None:
    private_dir(path.parent)
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        tighten(path.with_name(path.name + suffix))


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("readonly") else "BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling is turned off so that the "begin" listener above controls BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: AsyncEngine, *, readonly: bool = False) -> async_sessionmaker[AsyncSession]:
    """Sessions for units of work; `readonly` ones never take SQLite's write lock (figures, exports, listings)."""
    bind = engine.execution_options(readonly=True) if readonly else engine
    return async_sessionmaker(bind, expire_on_commit=False)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _at_head(connection: Connection) -> bool:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return set(MigrationContext.configure(connection).get_current_heads()) == set(heads)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to `revision` (Alembic migrations, the only way the schema changes).

    A schema already at head is only read: the bot starts on a database that refuses writes, and says so on
    /healthz, instead of dying at start-up."""
    if revision == "head":
        async with engine.connect() as connection:
            await connection.execution_options(readonly=True)
            if await connection.run_sync(_at_head):
                return
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)


async def ping(engine: AsyncEngine) -> None:
    """Fail loudly at start-up when the database cannot be reached (a read: it never waits for writers)."""
    async with engine.connect() as connection:
        await connection.execution_options(readonly=True)
        await connection.execute(text("SELECT 1"))



async def check_writable(engine: AsyncEngine) -> None:
    """Raise unless the database takes a write: a row inserted in a transaction that is then rolled back."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            await connection.execute(text("INSERT INTO processed_events (channel, event_id, processed_at) "
                                          "VALUES ('health', 'write-check', CURRENT_TIMESTAMP)"))
        finally:
            await transaction.rollback()
