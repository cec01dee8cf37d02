"""What the app stored, read back in a session of its own: counts, model rows, one value, result rows; and a
database's rows read after a `tuwai` command."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.app import App
from bot.config import Settings
from db.engine import create_engine, session_factory


async def count(app: App, model: type, *where: object) -> int:
    """How many rows of `model` match `where`."""
    async with app.sessions() as session:
        return (await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def stored(app: App, model: type, *where: object) -> list[Any]:
    """Every row of `model` matching `where`, as model objects."""
    async with app.sessions() as session:
        return list((await session.execute(select(model).where(*where))).scalars().all())


async def scalar(app: App, query: Any) -> Any:
    """The one value `query` selects (sqlalchemy's NoResultFound / MultipleResultsFound otherwise)."""
    async with app.sessions() as session:
        return (await session.execute(query)).scalar_one()


async def read_scalar(source: App | Settings, query: Any) -> Any:
    """The one value `query` selects from the app's database or, given settings, from theirs without starting an
    app (while a bot process of its own runs on it)."""
    app = source if isinstance(source, App) else App(source)
    try:
        async with app.read_sessions() as session:
            return (await session.execute(query)).scalar_one()
    finally:
        if app is not source:
            await app.engine.dispose()


async def scalars(app: App, query: Any) -> list[Any]:
    """The first column of every row `query` selects."""
    async with app.sessions() as session:
        return list((await session.execute(query)).scalars().all())


async def rows(app: App, query: Any) -> list[Any]:
    """Every row `query` selects (named tuples)."""
    async with app.sessions() as session:
        return list((await session.execute(query)).all())


def read_stored(db_url: str, model: type) -> list[Any]:
    """Every row of `model` in the database at `db_url`, read outside any app (after a `tuwai` command ran)."""
    async def read() -> list[Any]:
        engine = create_engine(db_url)
        async with session_factory(engine)() as session:
            result = (await session.execute(select(model))).scalars().all()
        await engine.dispose()
        return list(result)
    return asyncio.run(read())


def file_mode(path: Path) -> int:
    """The permission bits of a file or folder (0o600 and 0o700 where personal data is kept private)."""
    return stat.S_IMODE(path.stat().st_mode)
