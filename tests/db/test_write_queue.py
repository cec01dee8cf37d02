"""SQLite write sessions queue in this process: in order, nested ones pass, and a stuck holder never deadlocks."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from db.engine import WriteQueue, create_engine, session_factory, upgrade


@pytest.fixture
async def sessions(tmp_path: Path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'queue.sqlite3'}")
    await upgrade(engine)
    factory = session_factory(engine)
    assert isinstance(factory, WriteQueue)
    yield factory
    await engine.dispose()


async def test_a_second_session_starts_when_the_first_ends(sessions: WriteQueue) -> None:
    order: list[str] = []
    first_open = asyncio.Event()

    async def first() -> None:
        async with sessions() as session, session.begin():
            await session.execute(text("SELECT 1"))
            first_open.set()
            order.append("first begins")
            await asyncio.sleep(0.05)
            order.append("first ends")

    async def second() -> None:
        await first_open.wait()
        async with sessions() as session, session.begin():
            order.append("second begins")
            await session.execute(text("SELECT 1"))

    await asyncio.gather(first(), second())
    assert order == ["first begins", "first ends", "second begins"]


async def test_a_session_inside_another_in_the_same_task_goes_through(sessions: WriteQueue) -> None:
    async with sessions() as outer:
        async with sessions() as inner:
            assert (await inner.execute(text("SELECT 2"))).scalar_one() == 2
        assert (await outer.execute(text("SELECT 1"))).scalar_one() == 1


async def test_a_stuck_holder_delays_others_at_most_the_wait(sessions: WriteQueue,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(WriteQueue, "WAIT_SECONDS", 0.05)
    release = asyncio.Event()

    async def stuck() -> None:
        async with sessions():
            await release.wait()

    holder = asyncio.ensure_future(stuck())
    await asyncio.sleep(0)
    async with sessions() as session:  # goes ahead after the wait, SQLite decides
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    release.set()
    await holder
    async with sessions() as session:  # and the queue works on
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1


async def test_a_waiter_cancelled_leaves_the_queue_usable(sessions: WriteQueue) -> None:
    release = asyncio.Event()

    async def holder() -> None:
        async with sessions():
            await release.wait()

    async def waiter() -> None:
        async with sessions():
            pass

    held = asyncio.ensure_future(holder())
    await asyncio.sleep(0)
    waiting = asyncio.ensure_future(waiter())
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release.set()
    await held
    async with sessions() as session:
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    assert not sessions._lock.locked()
