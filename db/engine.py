"""The engine and session factory, SQLite tuning, and schema upgrades through Alembic."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from db.files.private import private_dir, private_file, tighten
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
        # check_same_thread: `statements_inline` runs some statements on the event loop's thread; one statement at a
        # time per connection still (SQLAlchemy's adapter holds a mutex per connection).
        engine = create_async_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                                     module=one_hop_dbapi(), **kwargs)
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
    # Text blanked or deleted (message bodies past their retention, db/retention.py) is zeroed in the file, not left in
    # the page's free space; FAST does so wherever it costs no extra writes.
    cursor.execute("PRAGMA secure_delete=FAST")
    cursor.close()


def session_factory(engine: AsyncEngine, *, readonly: bool = False) -> Any:
    """Sessions for units of work (`async with sessions() as session`); `readonly` ones never take SQLite's write
    lock (figures, exports, listings). On SQLite, write sessions queue for the lock in this process (WriteQueue)."""
    bind = engine.execution_options(readonly=True) if readonly else engine
    maker = async_sessionmaker(bind, expire_on_commit=False)
    return WriteQueue(maker) if engine.dialect.name == "sqlite" and not readonly else maker


class WriteQueue:
    """SQLite sessions taken one at a time in this process, in the order asked.

    Every write session holds SQLite's one write lock from its BEGIN IMMEDIATE to its end. Left to SQLite, a second
    writer (the outbox beside the conversation's group commit) waits in SQLite's busy handler, which sleeps 1, 2, 5
    ... 100 ms between looks: measured in bench/conversation.py, a third of the group commit's BEGINs waited 20 to
    100 ms and more, when the lock was free again after a few. Queued here, the next session starts as soon as the
    last one ends. A session opened inside another in the same task goes straight through (SQLite decides, as
    before), and one that has waited WAIT_SECONDS goes ahead and lets SQLite's busy handler decide: the queue can
    only make waits shorter, never a deadlock.
    """

    WAIT_SECONDS = 2.0

    def __init__(self, maker: async_sessionmaker[AsyncSession]) -> None:
        self.maker = maker
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[Any] | None = None

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[AsyncSession]:
        task = asyncio.current_task()
        queued = self._holder is not task and await self._acquire()
        if queued:
            self._holder = task
        try:
            async with self.maker() as session:
                yield session
        finally:
            if queued:
                self._holder = None
                self._lock.release()

    async def _acquire(self) -> bool:
        """True once this task holds the queue; False after WAIT_SECONDS (it goes ahead without)."""
        if not self._lock.locked():
            return await self._lock.acquire()  # free: taken at once, without a task
        acquire = asyncio.ensure_future(self._lock.acquire())
        try:
            done, _ = await asyncio.wait([acquire], timeout=self.WAIT_SECONDS)
        except asyncio.CancelledError:  # never leave the lock taken by a waiter nobody will release
            if acquire.done() and not acquire.cancelled() and acquire.exception() is None:
                self._lock.release()
            else:
                acquire.cancel()
            raise
        if done:
            return True
        acquire.cancel()  # a cancelled Lock.acquire never holds the lock; one that won meanwhile does
        return (await asyncio.gather(acquire, return_exceptions=True)) == [True]


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
    """Raise unless the database takes a write all the way to disk: one row upserted and committed. (A rolled-back
    insert never reaches the disk: a database whose file stops taking writes while the bot runs, a full disk or a
    read-only remount, only fails at commit.)"""
    async with engine.begin() as connection:
        await connection.execute(text(
            "INSERT INTO processed_events (channel, event_id, processed_at) "
            "VALUES ('health', 'write-check', CURRENT_TIMESTAMP) "
            "ON CONFLICT (channel, event_id) DO UPDATE SET processed_at = excluded.processed_at"))
