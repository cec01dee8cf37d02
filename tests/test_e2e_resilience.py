"""Resilience end to end: the real `tuwai run` (or the same App in-process) against the Bot API stand-in on 127.0.0.1.

No update can stop the bot, a reply is never lost, a slow download delays only its sender, /healthz tells the
truth, bad webhook bodies are 400, and an operator's mistake is one sentence.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.app import App
from db.models import Chat, OutboxMessage, ProcessedEvent, RosterEntry, StoredFile
from tests.conftest import ROOT, Clock, _admin, free_port, make_settings
from tests.standins.telegram import TelegramStandin
from tests.telegram_people import NIP_PNS, TgPerson, agree, enrol, register
from tests.test_e2e_reminders import bot_env
from tests.test_e2e_telegram import start_bot, telegram_settings, wait_healthy

NOTICE = "Apakah Anda setuju?"  # the first reply to /start
JPEG = b"\xff\xd8\xff\xe0" + b"3" * 300


@pytest.fixture
async def standin():
    async with TelegramStandin(seed=5) as server:
        yield server


def stop(process: subprocess.Popen[bytes], how: int = signal.SIGTERM) -> str:
    """Stop a bot process; returns what it logged."""
    if process.poll() is None:
        process.send_signal(how)
    process.wait(timeout=30)
    return process.stdout.read().decode(errors="replace") if process.stdout else ""


async def count(app_or_settings, query) -> int:  # type: ignore[no-untyped-def]
    app = app_or_settings if isinstance(app_or_settings, App) else App(app_or_settings)
    try:
        async with app.read_sessions() as session:
            return (await session.execute(query)).scalar_one()
    finally:
        if app is not app_or_settings:
            await app.engine.dispose()


# -- 1. no update can stop the bot ----------------------------------------------------------------------------------

async def test_poison_updates_are_skipped_and_everyone_else_is_answered_before_and_after_a_restart(
        db_url, tmp_path, standin) -> None:
    port = free_port()
    env = bot_env(db_url, tmp_path, standin, port)
    first = start_bot(env)
    try:
        await wait_healthy(port, first)
        standin.push_callback(801, "²|x", message_id=1)  # "²".isdigit() is true, int("²") raises
        invalid = standin.push_raw({"callback_query": {"id": "1", "data": "1|x"}})  # no "from": not an update
        await TgPerson(standin, 802).say("/start", NOTICE)
        await TgPerson(standin, 801).expect(NOTICE)  # a forged button from a newcomer: the privacy notice first
        await standin.wait_until(lambda: standin.pending_update_count == 0)
    finally:
        log = stop(first, signal.SIGKILL)
    second = start_bot(env)
    try:
        await wait_healthy(port, second)
        standin.push_callback(803, "99999999999999999999|confirm", message_id=1)  # beyond 64 bits
        await TgPerson(standin, 804).say("/start", NOTICE)
        await TgPerson(standin, 803).expect(NOTICE)
    finally:
        log += stop(second)
    assert log.count(f"update {invalid} is not a valid Telegram update") == 1, log  # confirmed: never fetched again
    assert "could not be handled" not in log and "telegram-polling failed" not in log, log
    assert sum(NOTICE in text for text in TgPerson(standin, 801).texts()) == 1  # handled once, before the restart


async def test_409_conflict_and_an_html_502_from_get_updates_are_survived_with_one_line(
        db_url, tmp_path, standin) -> None:
    conflict = json.dumps({"ok": False, "error_code": 409, "description": "Conflict: terminated by other "
                           "getUpdates request; make sure that only one bot instance is running"})
    for _ in range(2):
        standin.get_updates_faults.append((409, conflict, "application/json"))
        standin.get_updates_faults.append((502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"))
    port = free_port()
    process = start_bot(bot_env(db_url, tmp_path, standin, port))
    try:
        await wait_healthy(port, process)
        await TgPerson(standin, 805).say("/start", NOTICE)
        assert not standin.get_updates_faults and process.poll() is None
    finally:
        log = stop(process)
    assert standin.errors_returned[409] == 2 and standin.errors_returned[502] == 2
    assert log.count("409 Conflict") == 1 and log.count("not JSON") == 1, log  # repeats are folded into one line
    assert "telegram-polling failed" not in log and "getUpdates failed" not in log, log


async def test_a_task_that_cannot_recover_makes_run_exit_non_zero(db_url, tmp_path, standin) -> None:
    revoked = json.dumps({"ok": False, "error_code": 401, "description": "Unauthorized"})
    standin.get_updates_faults.extend([(401, revoked, "application/json")] * 3)  # the token was revoked
    port = free_port()
    process = start_bot(bot_env(db_url, tmp_path, standin, port, TUWAI_SUPERVISOR__MAX_FAILURES="3",
                                TUWAI_SUPERVISOR__MAX_BACKOFF_SECONDS="0.5"))
    try:
        assert await asyncio.to_thread(process.wait, 60) == 1  # so that systemd starts it again
    finally:
        log = stop(process)
    assert "telegram-polling failed 3 times in a row; giving up" in log, log
    assert "TuWai stopped: telegram-polling kept failing" in log, log


# -- 3. /healthz tells the truth ---------------------------------------------------------------------------------------

async def test_a_read_only_database_makes_healthz_503_and_errors_are_logged_once(db_url, tmp_path, standin) -> None:
    settings = telegram_settings(db_url, tmp_path, standin)
    app = App(settings)
    await app.prepare()  # migrated while writable
    await app.engine.dispose()
    port = free_port()
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        env = bot_env(f"sqlite+aiosqlite:///file:{url.database}?mode=ro&uri=true", tmp_path, standin, port)
        admin = None
    else:
        admin = url.set(database="postgres").render_as_string(hide_password=False)
        await _admin(admin, f'ALTER DATABASE "{url.database}" SET default_transaction_read_only = on')
        env = bot_env(db_url, tmp_path, standin, port)
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
            await TgPerson(standin, 806).say("/start", "Maaf")  # the apology, not silence
            await TgPerson(standin, 807).say("/start", "Maaf")
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                metrics = await response.text()
    finally:
        log = stop(process)
        if admin is not None:
            await _admin(admin, f'ALTER DATABASE "{url.database}" RESET default_transaction_read_only')
    assert status == 503 and body["ok"] is False and body["database"] == {"writable": False}, body
    assert any(reason.startswith("database: not writable") for reason in body["reasons"]), body
    assert "tuwai_healthy 0.0" in metrics and "tuwai_database_writable 0.0" in metrics
    # Two people failed (and the outbox's claims fail every 0.2 s): each kind of error is logged once.
    assert log.count("event telegram/") == 1 and log.count("outbox claim failed") <= 1, log


async def test_the_health_check_commits_its_write(db_url, tmp_path, clock) -> None:
    """A rolled-back write never reaches the disk: a database that stops taking writes while the bot runs (a full
    disk, a read-only remount) would only fail at commit, so the check commits one row."""
    app = App(make_settings(db_url, tmp_path), clock=clock)
    await app.prepare()
    try:
        assert (await app.health())["database"] == {"writable": True}
        checked = await count(app, select(func.count()).select_from(ProcessedEvent).where(
            ProcessedEvent.channel == "health", ProcessedEvent.event_id == "write-check"))
        assert (await app.health())["database"] == {"writable": True}  # again: the same row, updated
    finally:
        await app.stop()
    assert checked == 1


async def test_a_dead_receive_loop_and_a_late_outbox_make_healthz_503(db_url, tmp_path, standin) -> None:
    clock = Clock()
    app = App(telegram_settings(db_url, tmp_path, standin), clock=clock)
    await app.start()
    try:
        await agree(TgPerson(standin, 808))
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


# -- 4. a reply is never lost ------------------------------------------------------------------------------------------

async def test_kill_9_after_commit_before_the_reply_is_sent_then_the_reply_arrives_after_restart(
        db_url, tmp_path, standin) -> None:
    port = free_port()
    env = bot_env(db_url, tmp_path, standin, port)
    settings = telegram_settings(db_url, tmp_path, standin)
    first = start_bot(env)
    try:
        await wait_healthy(port, first)
        standin.fail_share_429, standin.retry_after_seconds = 1.0, 3  # the reply waits 3 s to be sent, again and again
        standin.push_text(809, "/start")
        await standin.wait_until(lambda: standin.errors_returned[429] >= 1)
        # Committed: the person's chat exists and its reply is held in the outbox by the first process.
        assert await count(settings, select(func.count()).select_from(Chat).where(Chat.address == "809")) == 1
        assert await count(settings, select(func.count()).select_from(OutboxMessage)
                           .where(OutboxMessage.status == "sending", OutboxMessage.address == "809")) >= 1
    finally:
        stop(first, signal.SIGKILL)
    assert not any(NOTICE in text for text in TgPerson(standin, 809).texts())
    standin.fail_share_429 = 0.0
    second = start_bot(env)
    try:
        await wait_healthy(port, second)
        await TgPerson(standin, 809).expect(NOTICE, timeout=30)  # after the dead process's lease (5 s)
    finally:
        stop(second)
    assert sum(NOTICE in text for text in TgPerson(standin, 809).texts()) == 1


# -- 5. slow I/O never runs inside the write transaction ---------------------------------------------------------------

async def test_a_slow_download_does_not_delay_another_person(db_url, tmp_path, standin) -> None:
    app = App(telegram_settings(db_url, tmp_path, standin))
    await app.start()
    try:
        slow, other = TgPerson(standin, 810), TgPerson(standin, 811)
        await agree(slow)
        started = time.monotonic()
        await other.say("/start", NOTICE)
        baseline = time.monotonic() - started
        standin.download_delay = 5.0
        standin.push_photo(810, JPEG)
        await standin.wait_until(lambda: standin.calls["downloadFile"] >= 1)
        started = time.monotonic()
        await other.say("/menu", NOTICE)  # never agreed: the notice again
        during = time.monotonic() - started
        await slow.say("/menu", "Menu utama")  # answered after the photo (this person's order is kept)
    finally:
        await app.stop()
    assert during < baseline + 1.0, (during, baseline)


async def test_kill_9_during_a_slow_download_then_the_photo_is_processed_after_restart(
        db_url, tmp_path, standin) -> None:
    port = free_port()
    env = bot_env(db_url, tmp_path, standin, port)
    settings = telegram_settings(db_url, tmp_path, standin)
    seeding = App(settings)
    await seeding.prepare()
    async with seeding.sessions() as session, session.begin():
        session.add(RosterEntry(nip=NIP_PNS, name="Rahmat Hidayat", opd="Dinas Sosial"))
    await seeding.engine.dispose()
    asn, other = TgPerson(standin, 814, patience=30), TgPerson(standin, 815)
    first = start_bot(env)
    try:
        await wait_healthy(port, first)
        await register(asn)
        await enrol(asn)
        await asn.say("/menu", "Menu utama")
        await asn.press("Pekerja saya", "menunggu persetujuan pekerja")
        await asn.press("Formulir", "Kirim foto")
        standin.download_delay = 30.0
        standin.push_photo(814, JPEG)
        await standin.wait_until(lambda: standin.calls["downloadFile"] >= 1)
        await other.say("/start", NOTICE)  # answered during the download, its update after the photo's
    finally:
        stop(first, signal.SIGKILL)
    assert not any("Simpan formulir ini" in text for text in asn.texts())
    assert await count(settings, select(func.count()).select_from(StoredFile)) == 0
    standin.download_delay = 0.0
    second = start_bot(env)
    try:
        await wait_healthy(port, second)
        await asn.expect("Simpan formulir ini")  # the photo came back from Telegram: it was never confirmed
        await asn.press("Simpan", "Formulir persetujuan")
    finally:
        log = stop(second)
    assert "could not be handled" not in log, log
    assert await count(settings, select(func.count()).select_from(StoredFile)) == 1
    stored_path = await count(settings, select(StoredFile.path))  # the one row's value
    assert (tmp_path / "files" / stored_path).read_bytes() == JPEG
    assert sum(NOTICE in text for text in other.texts()) == 1  # the later update, fetched again, answered once


async def test_a_webhook_call_with_a_file_is_answered_after_its_event_is_committed(db_url, tmp_path, standin) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    app = App(telegram_settings(db_url, tmp_path, standin, server={"port": port}, telegram={"webhook_url": url}))
    await app.start()
    try:
        slow, other = TgPerson(standin, 816), TgPerson(standin, 817)
        await agree(slow)
        standin.download_delay = 3.0
        photo = standin.push_photo(816, JPEG)
        await standin.wait_until(lambda: standin.calls["getFile"] >= 1)  # the download starts
        await other.say("/start", NOTICE)  # another call is served meanwhile
        assert photo not in {delivery["update_id"] for delivery in standin.webhook_deliveries}  # still held
        await standin.wait_webhook_idle(timeout=30)
        committed = await count(app, select(func.count()).select_from(ProcessedEvent)
                                .where(ProcessedEvent.event_id == f"u{photo}"))
        await slow.say("/menu", "Menu utama")
    finally:
        await app.stop()
    assert [d["attempt"] for d in standin.webhook_deliveries if d["update_id"] == photo] == [1]
    assert committed == 1


async def test_a_full_window_behind_a_slow_download_is_confirmed_so_newcomers_are_still_answered(
        db_url, tmp_path, standin, caplog) -> None:
    app = App(telegram_settings(db_url, tmp_path, standin))
    await app.start()
    try:
        slow = TgPerson(standin, 818)
        await agree(slow)
        before = len(standin.messages_to(818))
        standin.download_delay = 25.0  # within aiogram's 30 s download timeout
        standin.push_photo(818, JPEG)
        await standin.wait_until(lambda: standin.calls["downloadFile"] >= 1)
        crowd = [TgPerson(standin, 1000 + i) for i in range(100)]  # with the photo, more than one getUpdates batch
        for person in crowd:
            standin.push_text(person.id, "/start")
        for person in crowd:
            await person.expect(NOTICE, timeout=60)
        await TgPerson(standin, 1100).say("/start", NOTICE)
        answered_during_download = len(standin.messages_to(818)) - before
    finally:
        await app.stop()
    assert answered_during_download == 0  # all of it while the photo was still downloading
    assert "updates wait behind 1 still being handled" in caplog.text


# -- 7. a long retry_after is honoured in full ---------------------------------------------------------------------

async def test_a_retry_after_of_an_hour_moves_the_reply_to_the_outbox_due_in_an_hour(
        db_url, tmp_path, standin) -> None:
    clock = Clock()
    app = App(telegram_settings(db_url, tmp_path, standin), clock=clock)
    await app.start()
    person = TgPerson(standin, 812)
    try:
        standin.fail_share_429, standin.retry_after_seconds = 1.0, 3600
        standin.push_text(812, "/start")

        async def deferred() -> list[OutboxMessage]:
            async with app.read_sessions() as session:
                return list((await session.execute(select(OutboxMessage).where(
                    OutboxMessage.address == "812", OutboxMessage.status == "pending"))).scalars())
        for _ in range(400):
            rows = await deferred()
            if rows:
                break
            await asyncio.sleep(0.05)  # polls the bot's progress, not a schedule
        assert rows and all(row.key.startswith("reply:telegram:") for row in rows)
        assert {row.next_attempt_at for row in rows} == {clock.now + timedelta(seconds=3600)}
        standin.fail_share_429 = 0.0
        assert await app.deliverer.deliver_once() == 0  # not due before the hour
        assert not any(NOTICE in text for text in person.texts())
        clock.advance(seconds=3601)
        app.deliverer.wake()
        await person.expect(NOTICE)
    finally:
        await app.stop()
    # The 429, then the deferred replies once each, an hour later.
    assert standin.calls["sendMessage"] == 1 + len(rows)
    assert sum(NOTICE in text for text in person.texts()) == 1


# -- 8. bad webhook bodies are 400 -----------------------------------------------------------------------------------

async def test_bad_webhook_bodies_are_400_and_store_nothing(db_url, tmp_path, standin) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    settings = telegram_settings(db_url, tmp_path, standin, server={"port": port},
                                 telegram={"webhook_url": url, "webhook_secret": "s3cret"})
    app = App(settings)
    await app.start()
    message = {"message_id": 1, "date": 0, "text": "/start", "from": {"id": 66, "is_bot": False, "first_name": "X"}}
    bodies = [json.dumps({"update_id": 1, "message": message}),  # no chat
              json.dumps({"update_id": 2, "message": "a string where an object belongs"}),
              json.dumps({"update_id": 3, "callback_query": {"id": "1", "data": "1|x", "from": []}}),
              "[" * 100_000 + "]" * 100_000,  # deeply nested array
              '{"update_id": 4, "message": ' + "[" * 5000 + "]" * 5000 + "}",
              "not json at all"]
    try:
        async with aiohttp.ClientSession() as http:
            statuses = []
            for body in bodies:
                async with http.post(url, data=body, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret",
                                                              "Content-Type": "application/json"}) as response:
                    statuses.append(response.status)
        assert statuses == [400] * len(bodies)
        assert await count(app, select(func.count()).select_from(Chat)) == 0
        assert await count(app, select(func.count()).select_from(ProcessedEvent)) == 0
        await TgPerson(standin, 813).say("/start", NOTICE)  # and the webhook still works
    finally:
        await app.stop()


# -- 9. operator mistakes get one sentence -----------------------------------------------------------------------------

def test_run_with_an_unreachable_bot_api_says_so_in_one_sentence(db_url, tmp_path) -> None:
    env = {**os.environ, "TUWAI_TELEGRAM__TOKEN": "123456:TEST-token",
           "TUWAI_TELEGRAM__API_BASE": f"http://127.0.0.1:{free_port()}", "TUWAI_DATABASE__URL": db_url,
           "TUWAI_SERVER__PORT": str(free_port()), "TUWAI_STORAGE__FILES_DIR": str(tmp_path / "files")}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env, capture_output=True,
                            timeout=120)
    output = (result.stdout + result.stderr).decode()
    assert result.returncode == 1, output
    assert "Could not reach the Telegram Bot API at http://127.0.0.1:" in output, output
    assert "Traceback" not in output and "Logging error" not in output, output
    assert len(output.strip().splitlines()) <= 3, output


@pytest.mark.parametrize(("token", "api_base", "said"), [
    ("garbage", "http://127.0.0.1:9", "TUWAI_TELEGRAM__TOKEN is not a bot token"),
    ("123456:SECRET-token", "notaurl", "Could not reach the Telegram Bot API at notaurl"),
])
def test_a_wrong_token_or_api_address_is_one_sentence_that_never_shows_the_token(db_url, tmp_path, token, api_base,
                                                                                  said) -> None:
    env = {**os.environ, "TUWAI_TELEGRAM__TOKEN": token, "TUWAI_TELEGRAM__API_BASE": api_base,
           "TUWAI_DATABASE__URL": db_url, "TUWAI_SERVER__PORT": str(free_port()),
           "TUWAI_STORAGE__FILES_DIR": str(tmp_path / "files")}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env, capture_output=True,
                            timeout=120)
    output = (result.stdout + result.stderr).decode()
    assert result.returncode == 1 and said in " ".join(output.split()), output
    assert "Traceback" not in output and "SECRET-token" not in output, output
    assert len(output.strip().splitlines()) <= 3, output


async def test_a_taken_port_is_one_sentence_and_everything_started_is_stopped(db_url, tmp_path, standin) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = start_bot(bot_env(db_url, tmp_path, standin, taken.getsockname()[1]))
        for _ in range(1200):  # the stand-in answers getMe meanwhile: polled, not waited on
            if process.poll() is not None:
                break
            await asyncio.sleep(0.05)
        output = stop(process)
    assert process.returncode == 1, output
    assert "address already in use" in " ".join(output.split()), output
    assert "Traceback" not in output and "Unclosed" not in output, output
    assert len(output.strip().splitlines()) <= 3, output


def test_ctrl_c_quits_chat_at_once(tmp_path: Path) -> None:
    env = {**os.environ, "TUWAI_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.sqlite3'}",
           "TUWAI_STORAGE__FILES_DIR": str(tmp_path / "files"), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "chat"], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert process.stdout is not None
        seen = b""
        while b"Ketik /start" not in seen:  # ready for the first line
            chunk = process.stdout.read1(4096)
            assert chunk, seen.decode()
            seen += chunk
        process.send_signal(signal.SIGINT)  # nobody pressed Enter: stdin stays open
        assert process.wait(timeout=10) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdin is not None:
            process.stdin.close()


def test_settings_for_a_read_only_sqlite_uri_keep_the_path(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///file:{tmp_path / 'x.sqlite3'}?mode=ro&uri=true"
    assert make_settings(url, tmp_path).database_url == url
