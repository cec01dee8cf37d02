"""The one-hop aiosqlite adapter: each statement is one call to aiosqlite's thread (or none, inline in a write
transaction), and behaves as SQLAlchemy's own."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import aiosqlite.core
import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from db.engine import create_engine, session_factory, upgrade
from db.models import Chat
from db.sqlite_driver import on_aiosqlite_thread, statements_inline


@pytest.fixture
async def sessions(tmp_path: Path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'one_hop.sqlite3'}")
    await upgrade(engine)
    yield session_factory(engine)
    await engine.dispose()


def chat(address: str) -> dict[str, object]:
    return {"channel": "console", "address": address, "language": "id", "version": 0}


def thread_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on, each call to aiosqlite's thread: its statement (or the function's name)."""
    calls: list[str] = []
    original = aiosqlite.core.Connection._execute

    async def counting(self, function, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[1] if len(args) > 1 and isinstance(args[1], str) else getattr(function, "__name__", "?"))
        return await original(self, function, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.core.Connection, "_execute", counting)
    return calls


async def test_a_statement_is_one_call_to_the_thread(sessions, monkeypatch: pytest.MonkeyPatch) -> None:
    async with sessions() as session, session.begin():
        await session.execute(text("SELECT 1"))
        calls = thread_calls(monkeypatch)
        assert (await session.execute(text("SELECT 41 + 1"))).scalar_one() == 42
        assert len(calls) == 1


async def test_rows_rowcount_executemany_and_returning(sessions) -> None:
    async with sessions() as session, session.begin():
        await session.execute(insert(Chat), [chat("a"), chat("b"), chat("c")])
        ids = (await session.execute(insert(Chat).returning(Chat.id), [chat("d"), chat("e")])).scalars().all()
        assert len(ids) == 2
        result = await session.execute(update(Chat).where(Chat.address.in_(["a", "b"])).values(language="en"))
        assert result.rowcount == 2
        rows = (await session.execute(select(Chat.address, Chat.language).order_by(Chat.address))).all()
        assert [tuple(row) for row in rows] == [("a", "en"), ("b", "en"), ("c", "id"), ("d", "id"), ("e", "id")]
        assert (await session.execute(select(Chat).where(Chat.address == "zzz"))).first() is None


async def test_a_constraint_error_is_sqlalchemys_and_the_session_goes_on(sessions) -> None:
    async with sessions() as session, session.begin():
        await session.execute(insert(Chat), [chat("a")])
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            await session.execute(insert(Chat), [chat("a")])
    async with sessions() as session:
        assert (await session.execute(select(Chat.address))).scalars().all() == ["a"]


async def test_inside_a_write_transaction_statements_run_on_the_loop_thread(sessions,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    calls = thread_calls(monkeypatch)
    async with sessions() as session, session.begin():
        with statements_inline():
            await session.execute(insert(Chat), [chat("a"), chat("b")])
            assert (await session.execute(select(func.count()).select_from(Chat))).scalar_one() == 2
    assert "BEGIN IMMEDIATE" in calls  # may wait for another process's writer: on the thread
    assert not any("chats" in call for call in calls)  # the statements themselves: inline
    async with sessions() as session:  # committed
        assert (await session.execute(select(func.count()).select_from(Chat))).scalar_one() == 2
    calls.clear()
    async with sessions() as session, session.begin():  # outside the block: the thread, as before
        await session.execute(select(Chat.address))
    assert any("chats" in call for call in calls)
    calls.clear()

    @on_aiosqlite_thread
    async def report(session) -> int:  # type: ignore[no-untyped-def]
        return (await session.execute(select(func.count()).select_from(Chat))).scalar_one()

    async with sessions() as session, session.begin():  # a report over every row: the thread, even in the block
        with statements_inline():
            assert await report(session) == 2
            assert sum("chats" in call for call in calls) == 1
            await session.execute(select(Chat.address))  # and the block's statements inline again after it
            assert sum("chats" in call for call in calls) == 1


async def test_waiting_for_another_process_s_write_lock_never_blocks_the_event_loop(sessions, tmp_path: Path) -> None:
    """BEGIN IMMEDIATE waits in SQLite's busy handler while another process writes: on aiosqlite's thread, so every
    other task (polling, sending replies, /healthz) goes on meanwhile."""
    other = sqlite3.connect(tmp_path / "one_hop.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    hold = 1.0
    loop = asyncio.get_running_loop()

    async def write() -> None:
        async with sessions() as session, session.begin():
            with statements_inline():
                await session.execute(insert(Chat), [chat("a")])

    writing = asyncio.create_task(write())
    worst_lag, started = 0.0, loop.time()
    while loop.time() - started < hold:
        before = loop.time()
        await asyncio.sleep(0.01)
        worst_lag = max(worst_lag, loop.time() - before - 0.01)
    assert not writing.done()  # still waiting for the lock
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(writing, 10)
    assert worst_lag < hold / 2, f"the event loop stood still for {worst_lag:.2f}s"
