"""The one-hop aiosqlite adapter: each statement is one call to aiosqlite's thread, and behaves as SQLAlchemy's own."""

from __future__ import annotations

from pathlib import Path

import aiosqlite.core
import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import IntegrityError

from db.engine import create_engine, session_factory, upgrade
from db.models import Chat


@pytest.fixture
async def sessions(tmp_path: Path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'one_hop.sqlite3'}")
    await upgrade(engine)
    yield session_factory(engine)
    await engine.dispose()


def chat(address: str) -> dict[str, object]:
    return {"channel": "console", "address": address, "language": "id", "version": 0}


async def test_a_statement_is_one_call_to_the_thread(sessions, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = aiosqlite.core.Connection._execute

    async def counting(self, function, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(getattr(function, "__name__", "?"))
        return await original(self, function, *args, **kwargs)

    async with sessions() as session, session.begin():
        await session.execute(text("SELECT 1"))
        monkeypatch.setattr(aiosqlite.core.Connection, "_execute", counting)
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
