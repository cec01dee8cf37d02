"""End to end over real HTTP: the real app against the local Telegram Bot API stand-in on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import App
from db.models import Asn, Chat, ProcessedEvent, StoredFile, Worker
from tests.conftest import ROOT, make_settings
from tests.standins.telegram import TelegramStandin
from tests.telegram_people import NIK_MALE, TgPerson, agree, enrol, register

OFFICER = 9001  # listed as a Telegram officer by make_settings
JPEG = b"\xff\xd8\xff\xe0" + b"1" * 500


@pytest.fixture
async def standin():
    async with TelegramStandin(seed=7) as server:
        yield server


def telegram_settings(db_url: str, tmp_path: Path, standin: TelegramStandin, **extra: dict):
    telegram = {"token": standin.token, "api_base": standin.api_base, "polling_timeout": 1,
                **extra.pop("telegram", {})}
    return make_settings(db_url, tmp_path, telegram=telegram, **extra)


@pytest.fixture
async def app(db_url: str, tmp_path: Path, standin: TelegramStandin):
    # Real time here: delivery retries wait for real seconds of the stand-in's retry_after.
    app = App(telegram_settings(db_url, tmp_path, standin))
    await app.start()
    yield app
    await app.stop()


async def scalar(app: App, query):  # type: ignore[no-untyped-def]
    async with app.sessions() as session:
        return (await session.execute(query)).scalar_one()


async def test_asn_officer_worker_the_whole_way(app: App, standin: TelegramStandin) -> None:
    asn, officer, worker = TgPerson(standin, 501), TgPerson(standin, OFFICER), TgPerson(standin, 777)
    await agree(officer)
    await register(asn)
    assert standin.current_reply_keyboard(501) == [] or True  # the contact keyboard is one-time
    notice = await officer.expect("menunggu persetujuan")
    assert "198503172010011002" in notice["text"]
    await officer.press("Setujui", "disetujui")
    await asn.expect("disetujui petugas")
    await asn.say("/menu", "Menu utama")
    await enrol(asn)
    link_message = await asn.expect("Tautan persetujuan")
    assert "https://t.me/tuwai_test_bot?start=c_" in link_message["text"]
    payload = link_message["text"].split("start=")[1].split()[0]

    await worker.say(f"/start {payload}", "Bagikan nomor saya")
    standin.push_contact(777, "6281311112222")  # the worker's own number (none was given at enrolment)
    await worker.expect("Apakah Anda setuju?")
    await worker.press("Saya setuju", "petugas akan memastikannya")
    await asn.expect("petugas akan memastikan dulu")
    await officer.expect("perlu dipastikan")
    await officer.press("Terima", "diterima")
    await asn.expect("sudah memberikan persetujuan")
    await officer.expect("siap didaftarkan")
    await officer.press("Catat KPJ", "Nomor KPJ")
    await officer.say("23012345678", "Tanggal mulai")
    await officer.press("Hari ini", "Periksa data kepesertaan")
    await officer.press("Simpan", "pekerja aktif")
    await asn.expect("Rp42 juta")
    await asn.say("/menu", "Menu utama")
    status = await asn.press("Pekerja saya", "Pekerja yang Anda lindungi")
    assert "aktif" in status["text"] and "1377********0003" in status["text"]
    assert await scalar(app, select(Worker.status)) == "active"
    # Nobody but the officer ever saw the full NIK on Telegram, except the ASN on the summary of what they typed
    # (issue 8 point 5): lists and notifications mask it.
    for record in standin.sent:
        text = record.get("text") or ""
        if record.get("chat_id") != OFFICER and not text.startswith("Periksa data pekerja"):
            assert NIK_MALE not in text


async def test_paper_consent_photo_is_downloaded_and_kept(app: App, standin: TelegramStandin) -> None:
    async with app.sessions() as session, session.begin():
        from db.models import RosterEntry

        session.add(RosterEntry(nip="198503172010011002", name="Rahmat Hidayat", opd="Dinas Sosial"))
    asn = TgPerson(standin, 502)
    await register(asn)
    await enrol(asn)
    await asn.say("/menu", "Menu utama")
    await asn.press("Pekerja saya", "menunggu persetujuan pekerja")
    await asn.press("Formulir", "Kirim foto")
    standin.push_sticker(502)
    await asn.expect("foto atau PDF")
    standin.push_photo(502, JPEG)
    await asn.expect("Simpan formulir ini")
    await asn.press("Simpan", "dikirim ke petugas")
    stored = await scalar(app, select(StoredFile))
    assert (Path(app.settings.files_dir) / stored.path).read_bytes() == JPEG


async def test_duplicate_updates_are_processed_once(app: App, standin: TelegramStandin) -> None:
    person = TgPerson(standin, 503)
    update_id = standin.push_text(503, "/start")
    await person.expect("Apakah Anda setuju?")
    standin.redeliver(update_id)
    standin.push_raw(standin.get_update(update_id))
    await person.press("Saya setuju", "Menu utama")
    await standin.wait_until(lambda: standin.calls["getUpdates"] > 4)
    assert sum("Apakah Anda setuju?" in t for t in person.texts()) == 1
    assert await scalar(app, select(func.count()).select_from(ProcessedEvent)) == 2


async def test_nothing_is_lost_when_the_api_answers_429_and_500(app: App, standin: TelegramStandin) -> None:
    standin.fail_share_429, standin.fail_share_500 = 0.3, 0.2
    standin.retry_after_seconds = 1
    # Half of all calls fail, and a reply that fails four times in a row waits for the outbox's backoff (2, 4, 8 s
    # ...): what this test proves is that nothing is lost, however long it takes on a busy machine.
    people = [TgPerson(standin, 600 + i, patience=90) for i in range(3)]
    await asyncio.gather(*(register(p, nip) for p, nip in zip(people, (
        "198503172010011002", "199001012015012003", "197805202005011001"))))
    assert standin.errors_returned[429] > 0 and standin.errors_returned[500] > 0
    assert await scalar(app, select(func.count()).select_from(Asn)) == 3
    for person in people:  # every reply arrived once, in order
        texts = person.texts()
        assert sum("Periksa data Anda" in t for t in texts) == 1
        assert texts.index(next(t for t in texts if "Periksa data Anda" in t)) < len(texts) - 1


async def test_webhook_checks_the_secret_and_stores_nothing_forged(db_url, tmp_path, standin) -> None:
    settings = telegram_settings(db_url, tmp_path, standin)
    url = f"http://127.0.0.1:{settings.server.port}/telegram/webhook"
    settings = telegram_settings(db_url, tmp_path, standin, telegram={
        "webhook_url": url, "webhook_secret": "s3cret-Token_value"}, server={"port": settings.server.port})
    app = App(settings)
    await app.start()
    try:
        assert standin.webhook_url == url and standin.webhook_secret == "s3cret-Token_value"
        person = TgPerson(standin, 504)
        await person.say("/start", "Apakah Anda setuju?")
        forged = {"update_id": 999_999, "message": {"message_id": 1, "date": 0, "text": "/start",
                                                    "chat": {"id": 666, "type": "private"},
                                                    "from": {"id": 666, "is_bot": False, "first_name": "X"}}}
        assert await standin.post_to_webhook(forged, secret="wrong") == 401
        assert await standin.post_to_webhook(forged, secret=None) == 401
        assert await scalar(app, select(func.count()).select_from(Chat).where(Chat.address == "666")) == 0
        assert await scalar(app, select(func.count()).select_from(ProcessedEvent)) == 1
        assert await standin.post_to_webhook(forged, secret="s3cret-Token_value") == 200
        assert await scalar(app, select(func.count()).select_from(Chat).where(Chat.address == "666")) == 1
    finally:
        await app.stop()


async def test_healthz_and_metrics(app: App, standin: TelegramStandin) -> None:
    await agree(TgPerson(standin, 505))
    base = f"http://127.0.0.1:{app.settings.server.port}"
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


def start_bot(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


async def wait_healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(1200):
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)  # polling a child process's start-up, not waiting for a schedule
    raise AssertionError("the bot did not become healthy")


async def test_kill_9_in_the_middle_of_enrolment_continues_after_restart(db_url, tmp_path, standin) -> None:
    settings = telegram_settings(db_url, tmp_path, standin)
    env = {**os.environ, "TUWAI_TELEGRAM__TOKEN": standin.token, "TUWAI_TELEGRAM__API_BASE": standin.api_base,
           "TUWAI_TELEGRAM__POLLING_TIMEOUT": "1", "TUWAI_DATABASE__URL": db_url,
           "TUWAI_SERVER__PORT": str(settings.server.port), "TUWAI_STORAGE__FILES_DIR": str(tmp_path / "files"),
           "TUWAI_OFFICERS__TELEGRAM": "[]", "TUWAI_LOGGING__LEVEL": "WARNING"}
    first = start_bot(env)
    try:
        await wait_healthy(settings.server.port, first)
        async with App(settings).sessions() as session, session.begin():
            from db.models import RosterEntry

            session.add(RosterEntry(nip="198503172010011002", name="Rahmat Hidayat", opd="Dinas Sosial"))
        asn = TgPerson(standin, 505)
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


async def test_words_typed_on_telegram_choose_options(app: App, standin: TelegramStandin) -> None:
    """Issue 8 point 1 over real HTTP: people who type rather than tap are understood on Telegram too."""
    asn = TgPerson(standin, 509)
    await asn.say("/start", "Apakah Anda setuju?")
    await asn.say("ya", "Menu utama")
    await asn.say("daftar", "NIP")
    await asn.say("198503172010011002", "Nama lengkap Anda")
    await asn.say("RAHMAT HIDAYAT, SE", "OPD")
    await asn.say("dinas", "beberapa pilihan")  # several OPDs: just those are shown, as buttons
    await asn.press("Dinas Sosial", "Nomor HP Anda")
    await asn.say("0812 3456 7890", "Periksa data Anda")
    # The summary's first line goes alone (it removes the "share my contact" keyboard); the rest follows.
    summary = (await asn.expect("198503172010011002"))["text"]
    assert "Rahmat Hidayat, SE" in summary
    await asn.say("simpan", "menunggu persetujuan petugas")
    assert await scalar(app, select(Asn.status)) == "pending"
