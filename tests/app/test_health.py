"""/healthz and /metrics tell the truth: healthy when all is well; 503 with its reasons when the database refuses a
write, the receive loop is dead or the outbox is late; the health check commits its write."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.app import App
from db.models import OutboxMessage, ProcessedEvent
from tests.chat_people import TgPerson, agree
from tests.conftest import Clock, _admin, free_port, make_settings
from tests.records import read_scalar
from tests.standins.apps import bot_env, start_bot, stop_bot, telegram_settings
from tests.standins.telegram import TelegramStandin


@pytest.mark.standin_seed(telegram=7)
async def test_healthz_and_metrics(telegram_app: App, telegram: TelegramStandin) -> None:
    await agree(TgPerson(telegram, 505))
    base = f"http://127.0.0.1:{telegram_app.settings.server.port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/healthz") as response:
            assert response.status == 200
            status = await response.json()
        async with http.get(f"{base}/metrics") as response:
            text = await response.text()
    assert status["ok"] is True and status["reasons"] == [] and status["database"] == {"writable": True}
    assert status["channels"]["telegram"]["up"] is True
    assert 0 <= status["channels"]["telegram"]["last_receive_seconds_ago"] < 30
    assert status["outbox"]["oldest_due_seconds"] == 0.0
    figures = dict(line.split() for line in text.splitlines() if not line.startswith("#"))
    assert float(figures["tuwai_updates_handled_total"]) == 2
    assert float(figures["tuwai_replies_sent_total"]) >= 2
    assert float(figures["tuwai_healthy"]) == 1 and float(figures["tuwai_database_writable"]) == 1
    assert float(figures["tuwai_telegram_up"]) == 1 and float(figures["tuwai_supervised_tasks_down"]) == 0
    assert "tuwai_outbox_depth" in figures and "tuwai_errors_total" in figures
    assert "# TYPE tuwai_outbox_oldest_due_age_seconds gauge" in text


@pytest.mark.standin_seed(telegram=5)
async def test_a_read_only_database_makes_healthz_503_and_errors_are_logged_once(db_url, tmp_path, telegram) -> None:
    settings = telegram_settings(db_url, tmp_path, telegram)
    app = App(settings)
    await app.prepare()  # migrated while writable
    await app.engine.dispose()
    port = free_port()
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        env = bot_env(f"sqlite+aiosqlite:///file:{url.database}?mode=ro&uri=true", tmp_path, telegram, port)
        admin = None
    else:
        admin = url.set(database="postgres").render_as_string(hide_password=False)
        await _admin(admin, f'ALTER DATABASE "{url.database}" SET default_transaction_read_only = on')
        env = bot_env(db_url, tmp_path, telegram, port)
    process = start_bot(env)
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(600):  # the bot's start-up, polled
                assert process.poll() is None
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        status, body = response.status, await response.json()
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.05)
            await TgPerson(telegram, 806).say("/start", "Maaf")  # the apology, not silence
            await TgPerson(telegram, 807).say("/start", "Maaf")
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                metrics = await response.text()
    finally:
        log = stop_bot(process)
        if admin is not None:
            await _admin(admin, f'ALTER DATABASE "{url.database}" RESET default_transaction_read_only')
    assert status == 503 and body["ok"] is False and body["database"] == {"writable": False}, body
    assert any(reason.startswith("database: not writable") for reason in body["reasons"]), body
    assert "tuwai_healthy 0.0" in metrics and "tuwai_database_writable 0.0" in metrics
    # Two people failed (and the outbox's claims fail every 0.2 s): each kind of error is logged once.
    assert log.count("event telegram/") == 1 and log.count("outbox claim failed") <= 1, log


@pytest.mark.standin_seed(telegram=5)
async def test_the_health_check_commits_its_write(db_url, tmp_path, clock) -> None:
    """A rolled-back write never reaches the disk: a database that stops taking writes while the bot runs (a full
    disk, a read-only remount) would only fail at commit, so the check commits one row."""
    app = App(make_settings(db_url, tmp_path), clock=clock)
    await app.prepare()
    try:
        assert (await app.health())["database"] == {"writable": True}
        checked = await read_scalar(app, select(func.count()).select_from(ProcessedEvent).where(
            ProcessedEvent.channel == "health", ProcessedEvent.event_id == "write-check"))
        assert (await app.health())["database"] == {"writable": True}  # again: the same row, updated
    finally:
        await app.stop()
    assert checked == 1


@pytest.mark.standin_seed(telegram=5)
async def test_a_dead_receive_loop_and_a_late_outbox_make_healthz_503(db_url, tmp_path, telegram) -> None:
    clock = Clock()
    app = App(telegram_settings(db_url, tmp_path, telegram), clock=clock)
    await app.start()
    try:
        await agree(TgPerson(telegram, 808))
        status = await app.health()
        assert status["ok"], status
        async with app.sessions() as session, session.begin():  # a notification nobody could send for 20 minutes
            session.add(OutboxMessage(key="late", channel="console", address="x", payload={"text": "x"},
                                      status="pending", next_attempt_at=clock.now - timedelta(minutes=20)))
        assert app.telegram is not None
        app.telegram.last_receive = time.time() - 3600  # as if polling had hung an hour ago
        status = await app.health()
    finally:
        await app.stop()
    assert not status["ok"]
    assert any(r.startswith("outbox: the oldest due message has waited 1200s") for r in status["reasons"]), status
    assert any(r.startswith("telegram: nothing received for") for r in status["reasons"]), status
