"""SQLAlchemy's aiosqlite adapter, with each statement sent to aiosqlite's thread in one hop instead of three or four.

SQLAlchemy runs a statement on aiosqlite as separate calls to its thread: make a cursor, execute, fetch the rows,
close the cursor. Each call is a round trip that wakes the event loop, and on the bot's small indexed statements those
round trips cost more than SQLite itself: ~280 µs of CPU for a `SELECT 1` (measured with SQLAlchemy 2.1, aiosqlite
0.22), most of the bot's per-message database time (bench/conversation.py). Here the four run as one function on
aiosqlite's own thread, through the same queue aiosqlite uses for its calls (`Connection._execute`); SQLAlchemy then
reads the rows, description, rowcount and lastrowid the statement left. Errors are sqlite3's, raised as before.

Used for SQLite through `create_async_engine(..., module=one_hop_dbapi())`, a documented way to give a dialect its
DBAPI module. Server-side cursors (streaming) keep SQLAlchemy's own adapter.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection, AsyncAdapt_aiosqlite_cursor, AsyncAdapt_aiosqlite_dbapi,
)


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
