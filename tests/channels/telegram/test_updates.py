"""Telegram updates (long polling, bot/channels/telegram.py): each processed once, a poison update skipped, a 409 or
an HTML 502 survived, and a slow download delays only its sender."""

from __future__ import annotations

import json
import signal
import time

import pytest
from sqlalchemy import func, select

from bot.app import App
from db.models import ProcessedEvent
from tests.chat_people import NOTICE, TgPerson, agree
from tests.conftest import free_port
from tests.people import JPEG
from tests.records import scalar
from tests.standins.apps import bot_env, start_bot, stop_bot, telegram_settings, wait_healthy
from tests.standins.telegram import TelegramStandin


@pytest.mark.standin_seed(telegram=7)
async def test_duplicate_updates_are_processed_once(telegram_app: App, telegram: TelegramStandin) -> None:
    person = TgPerson(telegram, 503)
    update_id = telegram.push_text(503, "/start")
    await person.expect("Apakah Anda setuju?")
    telegram.redeliver(update_id)
    telegram.push_raw(telegram.get_update(update_id))
    await person.press("Saya setuju", "Menu utama")
    await telegram.wait_until(lambda: telegram.calls["getUpdates"] > 4)
    assert sum("Apakah Anda setuju?" in t for t in person.texts()) == 1
    assert await scalar(telegram_app, select(func.count()).select_from(ProcessedEvent)) == 2


@pytest.mark.standin_seed(telegram=5)
async def test_poison_updates_are_skipped_and_everyone_else_is_answered_before_and_after_a_restart(
        db_url, tmp_path, telegram) -> None:
    port = free_port()
    env = bot_env(db_url, tmp_path, telegram, port)
    first = start_bot(env)
    try:
        await wait_healthy(port, first)
        telegram.push_callback(801, "²|x", message_id=1)  # "²".isdigit() is true, int("²") raises
        invalid = telegram.push_raw({"callback_query": {"id": "1", "data": "1|x"}})  # no "from": not an update
        await TgPerson(telegram, 802).say("/start", NOTICE)
        await TgPerson(telegram, 801).expect(NOTICE)  # a forged button from a newcomer: the privacy notice first
        await telegram.wait_until(lambda: telegram.pending_update_count == 0)
    finally:
        log = stop_bot(first, signal.SIGKILL)
    second = start_bot(env)
    try:
        await wait_healthy(port, second)
        telegram.push_callback(803, "99999999999999999999|confirm", message_id=1)  # beyond 64 bits
        await TgPerson(telegram, 804).say("/start", NOTICE)
        await TgPerson(telegram, 803).expect(NOTICE)
    finally:
        log += stop_bot(second)
    assert log.count(f"update {invalid} is not a valid Telegram update") == 1, log  # confirmed: never fetched again
    assert "could not be handled" not in log and "telegram-polling failed" not in log, log
    assert sum(NOTICE in text for text in TgPerson(telegram, 801).texts()) == 1  # handled once, before the restart


@pytest.mark.standin_seed(telegram=5)
async def test_409_conflict_and_an_html_502_from_get_updates_are_survived_with_one_line(
        db_url, tmp_path, telegram) -> None:
    conflict = json.dumps({"ok": False, "error_code": 409, "description": "Conflict: terminated by other "
                           "getUpdates request; make sure that only one bot instance is running"})
    for _ in range(2):
        telegram.get_updates_faults.append((409, conflict, "application/json"))
        telegram.get_updates_faults.append((502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"))
    port = free_port()
    process = start_bot(bot_env(db_url, tmp_path, telegram, port))
    try:
        await wait_healthy(port, process)
        await TgPerson(telegram, 805).say("/start", NOTICE)
        assert not telegram.get_updates_faults and process.poll() is None
    finally:
        log = stop_bot(process)
    assert telegram.errors_returned[409] == 2 and telegram.errors_returned[502] == 2
    assert log.count("409 Conflict") == 1 and log.count("not JSON") == 1, log  # repeats are folded into one line
    assert "telegram-polling failed" not in log and "getUpdates failed" not in log, log


@pytest.mark.standin_seed(telegram=5)
async def test_a_slow_download_does_not_delay_another_person(db_url, tmp_path, telegram) -> None:
    app = App(telegram_settings(db_url, tmp_path, telegram))
    await app.start()
    try:
        slow, other = TgPerson(telegram, 810), TgPerson(telegram, 811)
        await agree(slow)
        started = time.monotonic()
        await other.say("/start", NOTICE)
        baseline = time.monotonic() - started
        telegram.download_delay = 5.0
        telegram.push_photo(810, JPEG)
        await telegram.wait_until(lambda: telegram.calls["downloadFile"] >= 1)
        started = time.monotonic()
        await other.say("/menu", NOTICE)  # never agreed: the notice again
        during = time.monotonic() - started
        await slow.say("/menu", "Menu utama")  # answered after the photo (this person's order is kept)
    finally:
        await app.stop()
    assert during < baseline + 1.0, (during, baseline)


@pytest.mark.standin_seed(telegram=5)
async def test_a_full_window_behind_a_slow_download_is_confirmed_so_newcomers_are_still_answered(
        db_url, tmp_path, telegram, caplog) -> None:
    app = App(telegram_settings(db_url, tmp_path, telegram))
    await app.start()
    try:
        slow = TgPerson(telegram, 818)
        await agree(slow)
        before = len(telegram.messages_to(818))
        telegram.download_delay = 25.0  # within aiogram's 30 s download timeout
        telegram.push_photo(818, JPEG)
        await telegram.wait_until(lambda: telegram.calls["downloadFile"] >= 1)
        crowd = [TgPerson(telegram, 1000 + i) for i in range(100)]  # with the photo, more than one getUpdates batch
        for person in crowd:
            telegram.push_text(person.id, "/start")
        for person in crowd:
            await person.expect(NOTICE, timeout=60)
        await TgPerson(telegram, 1100).say("/start", NOTICE)
        answered_during_download = len(telegram.messages_to(818)) - before
    finally:
        await app.stop()
    assert answered_during_download == 0  # all of it while the photo was still downloading
    assert "updates wait behind 1 still being handled" in caplog.text
