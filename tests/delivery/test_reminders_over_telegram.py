"""Reminders end to end over the Telegram Bot API stand-in: delivery, payment, crash, 429 storms, two processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.app import App
from db.models import Chat, Contribution, OutboxMessage
from db.rules.months import Month
from tests.chat_people import TgPerson, agree
from tests.conftest import Clock, make_settings
from tests.records import scalar
from tests.seed import seed_sponsorships
from tests.standins.apps import TELEGRAM_OFFICER as OFFICER
from tests.standins.apps import bot_env, start_bot, telegram_settings, wait_healthy
from tests.standins.telegram import TelegramStandin

pytestmark = pytest.mark.standin_seed(telegram=11)


JPEG = b"\xff\xd8\xff\xe0" + b"2" * 400


async def test_reminder_payment_and_verification_over_telegram(db_url, tmp_path, telegram) -> None:
    clock = Clock(datetime(2026, 11, 9, 2, 0, tzinfo=timezone.utc))  # 09:00 WIB, 7 days before 16 Nov
    app = App(telegram_settings(db_url, tmp_path, telegram, scheduler={"heartbeat_seconds": 3600}), clock=clock)
    await app.start()
    try:
        async with app.sessions() as session, session.begin():
            await seed_sponsorships(session, 1, start=date(2026, 11, 1), channel="telegram", address_base=700)
        officer = TgPerson(telegram, OFFICER)
        await agree(officer)
        await app.heartbeat()
        asn = TgPerson(telegram, 700)
        reminder = await asn.expect("Pengingat iuran")
        assert "Rp8.400" in reminder["text"] and "16 November 2026" in reminder["text"]
        assert [label for label, _ in telegram.buttons(reminder)] == ["Sudah bayar", "Ingatkan nanti"]
        await asn.press("Sudah bayar", "Dipilih: 1 bulan")
        await asn.press("Selesai", "bukti bayar")
        telegram.push_photo(700, JPEG)
        await asn.expect("Periksa pembayaran")
        await asn.press("Simpan", "menunggu verifikasi")
        notice = await officer.expect("Bukti bayar #1")
        photos = [r for r in telegram.sent if r["method"] == "sendPhoto" and r["chat_id"] == OFFICER]
        assert len(photos) == 1  # the officer sees the receipt itself
        assert "Rp8.400" in notice["text"]
        await officer.press("Terima", "diterima")
        await asn.expect("sudah diverifikasi")
        clock.now += timedelta(days=4)
        await app.heartbeat()
        await asyncio.sleep(0)  # let the outbox loop run once
        assert not any("3 hari lagi" in t for t in asn.texts())
        statuses = {row async for row in await _stream(app)}
        assert statuses == {(Month(2026, 11), "paid")}
    finally:
        await app.stop()


async def _stream(app: App):  # type: ignore[no-untyped-def]
    async with app.sessions() as session:
        result = await session.execute(select(Contribution.period, Contribution.status))
        rows = result.all()

    async def gen():  # type: ignore[no-untyped-def]
        for row in rows:
            yield (row.period, row.status)
    return gen()


async def test_a_blocked_bot_marks_the_person_unreachable_and_tells_an_officer(db_url, tmp_path, telegram) -> None:
    clock = Clock(datetime(2026, 11, 9, 2, 0, tzinfo=timezone.utc))
    app = App(telegram_settings(db_url, tmp_path, telegram, scheduler={"heartbeat_seconds": 3600}), clock=clock)
    await app.start()
    try:
        officer = TgPerson(telegram, OFFICER)
        await agree(officer)
        async with app.sessions() as session, session.begin():
            await seed_sponsorships(session, 1, start=date(2026, 11, 1), channel="telegram", address_base=800)
        telegram.forbidden_chats.add(800)
        await app.heartbeat()
        await officer.expect("tidak dapat dikirim")
        assert await scalar(app, select(func.count()).select_from(OutboxMessage)
                           .where(OutboxMessage.status == "unreachable")) == 1
        assert await scalar(app, select(func.count()).select_from(Chat).where(Chat.unreachable_at.isnot(None))) == 1
    finally:
        await app.stop()


async def seed_for_today(settings, count_: int) -> None:  # type: ignore[no-untyped-def]
    """Sponsorships whose cover began last month, so reminders are due whatever today is."""
    today = datetime.now(timezone.utc).date()
    start = (Month.of(today) - 1).first_day()
    app = App(settings)
    await app.prepare()
    async with app.sessions() as session, session.begin():
        for offset in range(0, count_, 5000):
            await seed_sponsorships(session, min(5000, count_ - offset), start=start, channel="telegram",
                                    address_base=1_000_000 + offset)
    await app.stop()


async def planned_reminders(settings, at_least: int = 0) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The reminder rows in the outbox, once the bot's first heartbeat has planned at least `at_least` of them."""
    app = App(settings)
    try:
        for _ in range(600):
            async with app.read_sessions() as session:
                rows = (await session.execute(select(OutboxMessage.address, OutboxMessage.key)
                                              .where(OutboxMessage.key.like("reminder:%")))).all()
            if len(rows) >= at_least:
                return {(row.address, row.key) for row in rows}
            await asyncio.sleep(0.1)  # the bot process plans in its own time; this only polls its progress
        raise AssertionError(f"only {len(rows)} reminders planned, expected {at_least}")
    finally:
        await app.engine.dispose()


async def test_kill_9_while_sending_10000_reminders_loses_none(db_url, tmp_path, telegram) -> None:
    settings = telegram_settings(db_url, tmp_path, telegram)
    port = settings.server.port
    await seed_for_today(settings, 10_000)
    env = bot_env(db_url, tmp_path, telegram, port)
    first = start_bot(env)
    try:
        await wait_healthy(port, first)
        await telegram.wait_until(lambda: telegram.calls["sendMessage"] >= 2500, timeout=120)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    app = App(settings)
    in_flight = await scalar(app, select(func.count()).select_from(OutboxMessage)
                            .where(OutboxMessage.status == "sending"))
    await app.engine.dispose()
    planned = await planned_reminders(settings)
    second = start_bot(env)
    try:
        await wait_healthy(port, second)
        planned = await planned_reminders(settings, at_least=10_000)  # one per sponsorship, whatever the date
        await telegram.wait_until(lambda: len({r["chat_id"] for r in telegram.sent if r["method"] == "sendMessage"})
                                 >= 10_000 and _delivered(telegram) >= len(planned), timeout=240)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    received = Counter(str(r["chat_id"]) for r in telegram.sent if r["method"] == "sendMessage")
    expected = Counter(address for address, _ in planned)
    missing = expected - received
    duplicates = sum((received - expected).values())
    print(f"kill -9 test: {len(planned)} reminders planned, {in_flight} in flight at the kill, {duplicates} duplicates")
    assert not missing  # every reminder was delivered
    assert duplicates <= in_flight, (duplicates, in_flight)  # only those in flight at the kill may repeat


def _delivered(telegram: TelegramStandin) -> int:
    return sum(1 for r in telegram.sent if r["method"] == "sendMessage")


async def test_429_storms_and_the_rate_limit_lose_nothing(db_url, tmp_path, telegram) -> None:
    settings = telegram_settings(db_url, tmp_path, telegram)
    await seed_for_today(settings, 300)
    telegram.enforce_rate_limits(per_second=30, per_chat_per_second=1)
    telegram.fail_share_429 = 0.3
    env = bot_env(db_url, tmp_path, telegram, settings.server.port, TUWAI_OUTBOX__TELEGRAM_PER_SECOND="30")
    process = start_bot(env)
    try:
        await wait_healthy(settings.server.port, process)
        planned = await planned_reminders(settings, at_least=300)
        await telegram.wait_until(lambda: _delivered(telegram) >= len(planned), timeout=120)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    received = Counter(str(r["chat_id"]) for r in telegram.sent if r["method"] == "sendMessage")
    assert received == Counter(address for address, _ in planned)  # all delivered, each once
    assert telegram.errors_returned[429] > 0


async def test_two_processes_on_one_database_send_nothing_twice(db_url, tmp_path, telegram) -> None:
    """With every core kept busy by CPU-burning loops: a slow but live process keeps what it claimed (its lease of
    5 s is renewed), so the other process never sends those rows too."""
    settings = telegram_settings(db_url, tmp_path, telegram)
    await seed_for_today(settings, 2000)
    processes = []
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 2)]
    try:
        for _ in range(2):
            port = make_settings(db_url, tmp_path).server.port
            processes.append((start_bot(bot_env(db_url, tmp_path, telegram, port)), port))
        for process, port in processes:
            await wait_healthy(port, process)
        planned = await planned_reminders(settings, at_least=2000)
        await telegram.wait_until(lambda: _delivered(telegram) >= len(planned), timeout=120)
        await asyncio.sleep(1.0)  # a second process sending a duplicate would do it within this window
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
        for process, _ in processes:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    received = Counter(str(r["chat_id"]) for r in telegram.sent if r["method"] == "sendMessage")
    assert received == Counter(address for address, _ in planned)
