"""SQLAlchemy's aiosqlite adapter, with each statement sent to aiosqlite's thread in one hop instead of three or four.

SQLAlchemy runs a statement on aiosqlite as separate calls to its thread: make a cursor, execute, fetch the rows,
close the cursor. Each call is a round trip that wakes the event loop, and on the bot's small indexed statements those
round trips cost more than SQLite itself: ~280 µs of CPU for a `SELECT 1` (measured with SQLAlchemy 2.1, aiosqlite
0.22), most of the bot's per-message database time (bench/conversation.py). Here the four run as one function on
aiosqlite's own thread, through the same queue aiosqlite uses for its calls (`Connection._execute`); SQLAlchemy then
reads the rows, description, rowcount and lastrowid the statement left. Errors are sqlite3's, raised as before.

Used for SQLite through `create_async_engine(..., module=one_hop_dbapi())`, a documented way to give a dialect its
DBAPI module. Server-side cursors (streaming) keep SQLAlchemy's own adapter.

`statements_inline()` goes one step further for the conversation's group commit: once its transaction holds SQLite's
write lock, its statements run on the event loop's own thread. They are small indexed statements of ~5-10 µs inside
SQLite, while the hop to aiosqlite's thread and back costs ~150 µs of CPU (measured: the core's CPU per update fell
from 1.19 to 0.75 ms). They cannot wait for a lock: in WAL mode, the holder of the write lock waits for nobody. BEGIN
(which may wait for another process's writer) and COMMIT (which may checkpoint, with disk writes) still go to the
thread, as does everything outside such a block, and a report over every row (`on_aiosqlite_thread`).
"""

from __future__ import annotations

import collections
import contextlib
import functools
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection, AsyncAdapt_aiosqlite_cursor, AsyncAdapt_aiosqlite_dbapi,
)


_inline: ContextVar[bool] = ContextVar("tuwai_sqlite_inline", default=False)


@contextlib.contextmanager
def _inline_set(value: bool) -> Iterator[None]:
    token = _inline.set(value)
    try:
        yield
    finally:
        _inline.reset(token)


def statements_inline() -> contextlib.AbstractContextManager[None]:
    """In this block (this task), statements inside a SQLite write transaction run on the event loop's thread.

    Only for short indexed statements: one that ran for long would hold up every task of the process. No effect on
    other databases, on reads outside a transaction, on BEGIN or on COMMIT."""
    return _inline_set(True)


P = ParamSpec("P")
R = TypeVar("R")


def on_aiosqlite_thread(function: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """For a report over every row (tens of ms for 5,000 workers, more as the programme grows): its statements go to
    aiosqlite's thread even inside `statements_inline`, so the event loop sends replies and polls meanwhile."""
    @functools.wraps(function)
    async def on_thread(*args: P.args, **kwargs: P.kwargs) -> R:
        with _inline_set(False):
            return await function(*args, **kwargs)
    return on_thread


class _Executed:
    """What a statement left for SQLAlchemy to read once it has run."""

    __slots__ = ("description", "rowcount", "lastrowid", "arraysize")

    def __init__(self, cursor: sqlite3.Cursor | None = None) -> None:
        self.description = cursor.description if cursor is not None else None
        self.rowcount = cursor.rowcount if cursor is not None else -1
        self.lastrowid = cursor.lastrowid if cursor is not None else None
        self.arraysize = 1


def _run(db: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> tuple[list[Any] | None, _Executed]:
    """On aiosqlite's thread: the statement, its rows (None when it returns none), and what it left."""
    cursor = db.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else None
        return rows, _Executed(cursor)
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def _make_new_cursor(self, connection: Any) -> Any:
        return _Executed()

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor  # nothing to open: the statement's own cursor lives and dies on aiosqlite's thread

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._in_thread(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._in_thread(operation, seq_of_parameters, many=True)

    async def _in_thread(self, operation: Any, parameters: Any, *, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            connection: aiosqlite.Connection = self._connection
            if _inline.get() and connection._conn.in_transaction:  # past BEGIN IMMEDIATE: holds the write lock
                rows, self._cursor = _run(connection._conn, operation, parameters, many)
            else:
                rows, self._cursor = await connection._execute(_run, connection._conn, operation, parameters, many)
            if rows is not None:
                self._rows = collections.deque(rows)

    async def _async_soft_close(self) -> None:
        return None  # already closed on the thread; description and rowcount stay readable

    def close(self) -> None:
        self._rows.clear()


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
