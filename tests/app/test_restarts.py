"""`tuwai run` killed at the worst moments loses nothing: a form continues, a committed reply arrives, a photo
downloading is processed after the restart; a task that cannot recover makes it exit non-zero."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import pytest
from sqlalchemy import func, select

from bot.app import App
from db.models import Chat, OutboxMessage, RosterEntry, StoredFile
from tests.chat_people import NOTICE, TgPerson, enrol, register
from tests.conftest import free_port
from tests.people import JPEG, NIK_MALE, NIP_PNS
from tests.records import read_scalar
from tests.standins.apps import bot_env, start_bot, stop_bot, telegram_settings, wait_healthy


@pytest.mark.standin_seed(telegram=7)
async def test_kill_9_in_the_middle_of_enrolment_continues_after_restart(db_url, tmp_path, telegram) -> None:
    settings = telegram_settings(db_url, tmp_path, telegram)
    env = {**os.environ, "TUWAI_TELEGRAM__TOKEN": telegram.token, "TUWAI_TELEGRAM__API_BASE": telegram.api_base,
           "TUWAI_TELEGRAM__POLLING_TIMEOUT": "1", "TUWAI_DATABASE__URL": db_url,
           "TUWAI_SERVER__PORT": str(settings.server.port), "TUWAI_STORAGE__FILES_DIR": str(tmp_path / "files"),
           "TUWAI_OFFICERS__TELEGRAM": "[]", "TUWAI_LOGGING__LEVEL": "WARNING"}
    first = start_bot(env)
    try:
        await wait_healthy(settings.server.port, first)
        async with App(settings).sessions() as session, session.begin():
            from db.models import RosterEntry

            session.add(RosterEntry(nip="198503172010011002", name="Rahmat Hidayat", opd="Dinas Sosial"))
        asn = TgPerson(telegram, 505)
        await register(asn)
        await asn.press("Daftarkan pekerja", "NIK pekerja")
        await asn.say(NIK_MALE, "Nama lengkap pekerja")
        await asn.say("Syafrizal", "Benar?")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    second = start_bot(env)
    try:
        await wait_healthy(settings.server.port, second)
        await asn.press("Benar", "Pekerjaan")  # the button shown before the crash still works
        await asn.press("Petani", "Kecamatan")
        await asn.press("Pariaman Timur", "Desa/kelurahan")
        await asn.press("Kajai", "Nomor HP pekerja")
        await asn.say("Lewati", "ahli waris")
        await asn.press("Tidak", "Periksa data pekerja")
        summary = asn.standin.messages_to(505)[-1]["text"]
        assert "Syafrizal" in summary and NIK_MALE in summary  # in full to the ASN who typed it (issue 8 point 5)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=20) == 0


@pytest.mark.standin_seed(telegram=5)
async def test_kill_9_after_commit_before_the_reply_is_sent_then_the_reply_arrives_after_restart(
        db_url, tmp_path, telegram) -> None:
    port = free_port()
    env = bot_env(db_url, tmp_path, telegram, port)
    settings = telegram_settings(db_url, tmp_path, telegram)
    first = start_bot(env)
    try:
        await wait_healthy(port, first)
        # the reply waits 3 s to be sent, again and again
        telegram.fail_share_429, telegram.retry_after_seconds = 1.0, 3
        telegram.push_text(809, "/start")
        await telegram.wait_until(lambda: telegram.errors_returned[429] >= 1)
        # Committed: the person's chat exists and its reply is held in the outbox by the first process.
        assert await read_scalar(settings, select(func.count()).select_from(Chat).where(Chat.address == "809")) == 1
        assert await read_scalar(settings, select(func.count()).select_from(OutboxMessage)
                           .where(OutboxMessage.status == "sending", OutboxMessage.address == "809")) >= 1
    finally:
        stop_bot(first, signal.SIGKILL)
    assert not any(NOTICE in text for text in TgPerson(telegram, 809).texts())
    telegram.fail_share_429 = 0.0
    second = start_bot(env)
    try:
        await wait_healthy(port, second)
        await TgPerson(telegram, 809).expect(NOTICE, timeout=30)  # after the dead process's lease (5 s)
    finally:
        stop_bot(second)
    assert sum(NOTICE in text for text in TgPerson(telegram, 809).texts()) == 1


@pytest.mark.standin_seed(telegram=5)
async def test_kill_9_during_a_slow_download_then_the_photo_is_processed_after_restart(
        db_url, tmp_path, telegram) -> None:
    port = free_port()
    env = bot_env(db_url, tmp_path, telegram, port)
    settings = telegram_settings(db_url, tmp_path, telegram)
    seeding = App(settings)
    await seeding.prepare()
    async with seeding.sessions() as session, session.begin():
        session.add(RosterEntry(nip=NIP_PNS, name="Rahmat Hidayat", opd="Dinas Sosial"))
    await seeding.engine.dispose()
    asn, other = TgPerson(telegram, 814, patience=30), TgPerson(telegram, 815)
    first = start_bot(env)
    try:
        await wait_healthy(port, first)
        await register(asn)
        await enrol(asn)
        await asn.say("/menu", "Menu utama")
        await asn.press("Pekerja saya", "menunggu persetujuan pekerja")
        await asn.press("Formulir", "Kirim foto")
        telegram.download_delay = 30.0
        telegram.push_photo(814, JPEG)
        await telegram.wait_until(lambda: telegram.calls["downloadFile"] >= 1)
        await other.say("/start", NOTICE)  # answered during the download, its update after the photo's
    finally:
        stop_bot(first, signal.SIGKILL)
    assert not any("Simpan formulir ini" in text for text in asn.texts())
    assert await read_scalar(settings, select(func.count()).select_from(StoredFile)) == 0
    telegram.download_delay = 0.0
    second = start_bot(env)
    try:
        await wait_healthy(port, second)
        await asn.expect("Simpan formulir ini")  # the photo came back from Telegram: it was never confirmed
        await asn.press("Simpan", "Formulir persetujuan")
    finally:
        log = stop_bot(second)
    assert "could not be handled" not in log, log
    assert await read_scalar(settings, select(func.count()).select_from(StoredFile)) == 1
    stored_path = await read_scalar(settings, select(StoredFile.path))  # the one row's value
    assert (tmp_path / "files" / stored_path).read_bytes() == JPEG
    assert sum(NOTICE in text for text in other.texts()) == 1  # the later update, fetched again, answered once


@pytest.mark.standin_seed(telegram=5)
async def test_a_task_that_cannot_recover_makes_run_exit_non_zero(db_url, tmp_path, telegram) -> None:
    revoked = json.dumps({"ok": False, "error_code": 401, "description": "Unauthorized"})
    telegram.get_updates_faults.extend([(401, revoked, "application/json")] * 3)  # the token was revoked
    port = free_port()
    process = start_bot(bot_env(db_url, tmp_path, telegram, port, TUWAI_SUPERVISOR__MAX_FAILURES="3",
                                TUWAI_SUPERVISOR__MAX_BACKOFF_SECONDS="0.5"))
    try:
        assert await asyncio.to_thread(process.wait, 60) == 1  # so that systemd starts it again
    finally:
        log = stop_bot(process)
    assert "telegram-polling failed 3 times in a row; giving up" in log, log
    assert "TuWai stopped: telegram-polling kept failing" in log, log
