"""Shared fixtures: a database per test (SQLite file, or a PostgreSQL scratch database), a clock, the app (on the
console, or on a channel's stand-in), the stand-ins, and a copy of config.toml for `tuwai` commands."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("TUWAI_TEST_POSTGRES_URL")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "db: uses the database (run again on PostgreSQL in CI)")
    config.addinivalue_line("markers", "standin_seed(telegram=0, whatsapp=0): the stand-ins' random seeds (fault "
                                       "injection, ids), for the `telegram` and `whatsapp` fixtures")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "db_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


async def _admin(url: str, *statements: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.exec_driver_sql(statement)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Any:
    """A scratch PostgreSQL database for this run, dropped at the end, so runs never collide."""
    if not POSTGRES:
        yield None
        return
    name = f"tuwai_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(POSTGRES, f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(POSTGRES, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def db_url(tmp_path: Path, postgres_database: str | None) -> str:
    if postgres_database is None:
        return f"sqlite+aiosqlite:///{tmp_path / 'tuwai.sqlite3'}"
    # Each test starts from an empty schema: drop every table (the app migrates again on start).
    asyncio.run(_admin(postgres_database, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public"))
    return postgres_database


class Clock:
    """Time passed in: tests move it instead of sleeping."""

    def __init__(self, start: datetime = datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_settings(db_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    sections: dict[str, Any] = {
        "database": {"url": db_url},
        "storage": {"files_dir": str(tmp_path / "files"), "max_file_mb": 1},
        "officers": {"console": ["officer"], "telegram": ["9001"]},
        "server": {"host": "127.0.0.1", "port": free_port()},
        "outbox": {"poll_seconds": 0.05},
    }
    for section, values in overrides.items():
        sections[section] = {**sections.get(section, {}), **values}
    return load_settings(ROOT / "config.toml", **sections)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path)


@pytest.fixture
async def app(settings: Settings, clock: Clock):
    """The real app on the test's database and clock, its outbox delivering to a RecordingChannel ("console")."""
    from bot.app import App
    from tests.people import RecordingChannel

    app = App(settings, clock=clock)
    await app.prepare()
    app.add_channel(RecordingChannel())
    yield app
    await app.stop()


@pytest.fixture
def inbox(app: Any) -> Any:
    """What the outbox delivered, per address."""
    return app.channels["console"]


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of config.toml in the test's folder, for `tuwai --config ...`; no Telegram token from the environment."""
    path = tmp_path / "config.toml"
    path.write_text((ROOT / "config.toml").read_text())
    monkeypatch.delenv("TUWAI_TELEGRAM__TOKEN", raising=False)
    return path


@pytest.fixture
def config(config_file: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """config_file, with the test's database (TUWAI_DATABASE__URL)."""
    monkeypatch.setenv("TUWAI_DATABASE__URL", db_url)
    return config_file


def _seed(request: pytest.FixtureRequest, channel: str) -> int:
    marker = request.node.get_closest_marker("standin_seed")
    return int(marker.kwargs.get(channel, 0)) if marker else 0


@pytest.fixture
async def telegram(request: pytest.FixtureRequest):
    """The Telegram Bot API stand-in on 127.0.0.1 (tests/standins/telegram.py)."""
    from tests.standins.telegram import TelegramStandin

    async with TelegramStandin(seed=_seed(request, "telegram")) as server:
        yield server


@pytest.fixture
async def whatsapp(request: pytest.FixtureRequest):
    """The WhatsApp Cloud API stand-in on 127.0.0.1 (tests/standins/whatsapp.py)."""
    from tests.standins.whatsapp import WhatsAppStandin

    async with WhatsAppStandin(seed=_seed(request, "whatsapp")) as server:
        yield server


@pytest.fixture
async def telegram_app(db_url: str, tmp_path: Path, telegram: Any):
    """The real app on the Telegram stand-in, in real time (delivery retries wait the stand-in's retry_after)."""
    from tests.standins.apps import start_app, telegram_settings

    app = await start_app(telegram_settings(db_url, tmp_path, telegram))
    yield app
    await app.stop()


@pytest.fixture
async def whatsapp_app(db_url: str, tmp_path: Path, whatsapp: Any):
    """The real app on the WhatsApp stand-in, in real time, with an officer on WhatsApp (WHATSAPP_OFFICER)."""
    from tests.standins.apps import WHATSAPP_OFFICER, start_app, whatsapp_settings

    settings = whatsapp_settings(db_url, tmp_path, whatsapp, officers={"whatsapp": [WHATSAPP_OFFICER]})
    app = await start_app(settings, whatsapp=whatsapp)
    yield app
    await app.stop()
