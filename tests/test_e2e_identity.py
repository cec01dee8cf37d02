"""Only the real person, end to end: the real app (what `tuwai run` starts) against the Telegram Bot API stand-in
over real HTTP on 127.0.0.1. People type, press buttons, share contacts and send photos as they would."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App
from db.models import Asn, AuditEntry, Chat, ConsentToken, RosterEntry, Worker
from tests.conftest import ROOT, free_port
from tests.standins.telegram import TelegramStandin
from tests.telegram_people import NIK_MALE, NIP_PNS, TgPerson, agree, enrol
from tests.test_e2e_telegram import JPEG, OFFICER, telegram_settings, wait_healthy

ROSTER_PHONE = "+6281234567890"


@pytest.fixture
async def standin():
    async with TelegramStandin(seed=11) as server:
        yield server


@pytest.fixture
async def app(db_url: str, tmp_path: Path, standin: TelegramStandin):
    app = App(telegram_settings(db_url, tmp_path, standin))
    await app.start()
    async with app.sessions() as session, session.begin():
        session.add(RosterEntry(nip=NIP_PNS, name="Rahmat Hidayat", opd="Dinas Sosial", phone=ROSTER_PHONE))
    yield app
    await app.stop()


async def rows(app: App, query):  # type: ignore[no-untyped-def]
    async with app.sessions() as session:
        return (await session.execute(query)).scalars().all()


async def register(person: TgPerson, name: str, *, contact: str = "6281234567890", own: bool = True,
                   expect: str = "Periksa data Anda") -> None:
    await agree(person)
    await person.press("Daftar sebagai ASN", "NIP")
    await person.say(NIP_PNS, "Nama lengkap Anda")
    await person.say(name, "OPD")
    await person.press("Dinas Sosial", "Nomor HP Anda")
    person.standin.push_contact(person.id, contact, own=own)
    await person.expect(expect)


async def approved_asn(standin: TelegramStandin, user_id: int = 501) -> TgPerson:
    asn = TgPerson(standin, user_id)
    await register(asn, "Rahmat Hidayat")
    await asn.press("Simpan", "langsung disetujui")
    return asn


async def consent_link(asn: TgPerson) -> str:
    message = await asn.expect("Tautan persetujuan")
    return message["text"].split("start=")[1].split()[0]


async def test_a_stranger_with_a_roster_nip_waits_and_the_real_asn_still_registers(app, standin) -> None:
    officer, stranger = TgPerson(standin, OFFICER), TgPerson(standin, 601)
    await agree(officer)
    await register(stranger, "Budi Santoso", contact="6281399998888")
    await stranger.press("Simpan", "menunggu persetujuan petugas")
    notice = await officer.expect("menunggu persetujuan")
    # Roster and typed values side by side, so the officer sees what does not match.
    assert "Budi Santoso | Rahmat Hidayat" in notice["text"] and "+6281399998888 (kontak sendiri) | " \
        f"{ROSTER_PHONE}" in notice["text"]
    real = await approved_asn(standin, 602)
    await stranger.expect("tidak dapat disetujui")
    await officer.expect("dibatalkan")
    [asn] = await rows(app, select(Asn))
    chat = (await rows(app, select(Chat).where(Chat.id == asn.chat_id)))[0]
    assert (asn.status, asn.name, chat.address) == ("approved", "Rahmat Hidayat", str(real.id))
    assert [e.action for e in await rows(app, select(AuditEntry).where(AuditEntry.action == "asn_superseded"))] \
        == ["asn_superseded"]


async def test_the_right_name_without_the_roster_phone_waits_for_an_officer(app, standin) -> None:
    officer, asn = TgPerson(standin, OFFICER), TgPerson(standin, 603)
    await agree(officer)
    await register(asn, "DRS. RAHMAT HIDAYAT, M.SI.", contact="6281300001111")  # titles and case ignored
    await asn.press("Simpan", "menunggu persetujuan petugas")
    notice = await officer.expect("menunggu persetujuan")
    assert "Drs. Rahmat Hidayat" in notice["text"] or "DRS. RAHMAT HIDAYAT" in notice["text"]
    assert (await rows(app, select(Asn.status))) == ["pending"]


async def test_someone_elses_contact_at_the_asn_phone_step_is_refused(app, standin) -> None:
    asn = TgPerson(standin, 604)
    await register(asn, "Rahmat Hidayat", own=False, expect="kontak orang lain")
    assert "Nomor HP Anda" in asn.texts()[-1]  # asked again
    standin.push_contact(asn.id, "6281234567890")
    await asn.expect("Periksa data Anda")
    await asn.press("Simpan", "langsung disetujui")


async def test_a_second_account_claiming_a_registered_nip_learns_nothing_and_an_officer_moves_it(
        app, standin) -> None:
    officer = TgPerson(standin, OFFICER)
    await agree(officer)
    old = await approved_asn(standin, 605)
    new = TgPerson(standin, 606)
    standin.set_user(new.id, first_name="Rahmat HP baru")
    await agree(new)
    await new.press("Daftar sebagai ASN", "NIP")
    await new.say(NIP_PNS, "Nama lengkap Anda")
    await new.say("Rahmat Hidayat", "OPD")
    await new.press("Dinas Sosial", "Nomor HP Anda")
    standin.push_contact(new.id, "6281355556666")  # the new phone
    await new.expect("Periksa data Anda")
    refusal = await new.press("Simpan", "tidak dapat didaftarkan dari akun ini")
    assert "0812" not in refusal["text"] and "terdaftar atas" not in refusal["text"]
    notice = await officer.expect("akun lain mencoba mendaftar")
    assert "telegram 605" in notice["text"] and "telegram 606 «Rahmat HP baru»" in notice["text"]
    assert "+6281355556666 (kontak sendiri)" in notice["text"]
    await officer.press("Pindahkan NIP", "dipindahkan ke akun baru")
    await new.expect("memindahkan pendaftaran ASN Anda ke akun ini")
    await old.expect("dari akun ini ke akun lain")
    [asn] = await rows(app, select(Asn))
    new_chat = (await rows(app, select(Chat).where(Chat.address == "606")))[0]
    assert (asn.chat_id, asn.phone) == (new_chat.id, "+6281355556666")
    menu = await new.say("/menu", "Menu utama")
    assert any("Daftarkan pekerja" in label for label, _ in standin.buttons(menu["message"]))


async def test_the_sponsors_second_account_cannot_consent(app, standin) -> None:
    asn = await approved_asn(standin, 607)
    await asn.say("/menu", "Menu utama")
    await enrol(asn)  # no worker phone given
    payload = await consent_link(asn)
    second = TgPerson(standin, 608)  # the ASN's second Telegram account, on the ASN's own number
    await second.say(f"/start {payload}", "Bagikan nomor saya")
    standin.push_contact(second.id, "6281234567890")
    await second.expect("bukan oleh penjamin")
    assert (await rows(app, select(Worker.consent_at))) == [None]
    third = TgPerson(standin, 609)  # another number: without a worker phone on file it stays unverified
    await third.say(f"/start {payload}", "Bagikan nomor saya")
    standin.push_contact(third.id, "6281377776666")
    await third.expect("Apakah Anda setuju?")
    await third.press("Saya setuju", "petugas akan memastikannya")
    [worker] = await rows(app, select(Worker))
    assert (worker.consent_at, worker.consent_review, worker.consent_phone) == (None, "unverified",
                                                                                 "+6281377776666")


async def test_a_worker_phone_on_file_must_match_and_an_older_link_fails(app, standin) -> None:
    asn = await approved_asn(standin, 610)
    await asn.say("/menu", "Menu utama")
    await asn.press("Daftarkan pekerja", "NIK pekerja")
    await asn.say(NIK_MALE, "Nama lengkap pekerja")
    await asn.say("Syafrizal", "Benar?")
    await asn.press("Benar", "Pekerjaan")
    await asn.press("Nelayan", "Kecamatan")
    await asn.press("Pariaman Tengah", "Desa/kelurahan")
    await asn.press("Taratak", "Nomor HP pekerja")
    assert standin.current_reply_keyboard(asn.id) == []  # no "share my contact": it would send the ASN's number
    await asn.say("0812 3456 7890", "nomor Anda sendiri")
    await asn.say("0813 1111 2222", "ahli waris")
    await asn.press("Tidak", "Periksa data pekerja")
    await asn.press("Simpan", "tersimpan")
    first = await consent_link(asn)
    await asn.say("/menu", "Menu utama")
    await asn.press("Pekerja saya", "menunggu persetujuan pekerja")
    await asn.press("Link baru", "Tautan baru")
    second = await consent_link(asn)
    worker = TgPerson(standin, 611)
    await worker.say(f"/start {first}", "tidak berlaku lagi")  # the new link revoked the older one
    await worker.say(f"/start {second}", "Bagikan nomor saya")
    standin.push_contact(worker.id, "6281399990000")  # not the worker's number
    await worker.expect("tidak sama dengan nomor pekerja")
    await worker.say(f"/start {second}", "Bagikan nomor saya")
    standin.push_contact(worker.id, "6281311112222")
    await worker.expect("Apakah Anda setuju?")
    await worker.press("Saya setuju", "Persetujuan Anda sudah dicatat")
    [row] = await rows(app, select(Worker))
    assert row.consent_method == "link" and row.consent_at is not None
    assert len(await rows(app, select(ConsentToken))) == 2


async def test_a_paper_form_waits_for_the_officer_who_receives_the_file(app, standin) -> None:
    officer = TgPerson(standin, OFFICER)
    await agree(officer)
    asn = await approved_asn(standin, 612)
    await asn.say("/menu", "Menu utama")
    await enrol(asn)
    await asn.say("/menu", "Menu utama")
    await asn.press("Pekerja saya", "menunggu persetujuan pekerja")
    await asn.press("Formulir", "Kirim foto")
    await asn.press("Formulir kosong", "formulir persetujuan kosong")
    blank = next(m for m in standin.messages_to(asn.id) if m["method"] == "sendDocument")
    assert blank["content"].startswith(b"%PDF-") and blank["file_name"].endswith(".pdf")
    standin.push_photo(asn.id, JPEG)
    await asn.expect("Simpan formulir ini")
    await asn.press("Simpan", "dikirim ke petugas")
    notice = await officer.expect("Formulir persetujuan untuk diperiksa")
    photo = next(m for m in standin.messages_to(OFFICER) if m["method"] == "sendPhoto")
    assert photo["content"] == JPEG and photo["seq"] < notice["seq"]
    assert (await rows(app, select(Worker.consent_at))) == [None]
    await officer.press("Tolak", "alasan")
    await officer.say("Tanda tangan tidak terbaca", "Kirim penolakan")
    await officer.press("Simpan", "ditolak")
    rejected = await asn.expect("belum dapat diterima petugas")
    assert "Tanda tangan tidak terbaca" in rejected["text"]
    [worker] = await rows(app, select(Worker))
    assert (worker.consent_at, worker.consent_review) == (None, None)


async def test_an_officer_opening_a_workers_details_is_audited(app, standin) -> None:
    officer = TgPerson(standin, OFFICER)
    await agree(officer)
    asn = await approved_asn(standin, 613)
    await asn.say("/menu", "Menu utama")
    await enrol(asn)
    worker = TgPerson(standin, 615)  # consents from a number that cannot be checked: an officer confirms it
    await worker.say(f"/start {await consent_link(asn)}", "Bagikan nomor saya")
    standin.push_contact(worker.id, "6281377776666")
    await worker.expect("Apakah Anda setuju?")
    await worker.press("Saya setuju", "petugas")
    await officer.say("/petugas", "Menu petugas")
    await officer.press("Cek persetujuan", "untuk diperiksa")
    await officer.press("Terima #1", "diterima")
    confirming = {v.id for v in await rows(app, select(AuditEntry).where(AuditEntry.action == "view"))}
    await officer.say("/petugas", "Menu petugas")
    await officer.press("Menunggu BPJS", "Pekerja menunggu")
    details = await officer.press("Detail #1", NIK_MALE)
    assert "Syafrizal" in details["text"]
    views = [v for v in await rows(app, select(AuditEntry).where(AuditEntry.action == "view")) if v.id not in confirming]
    assert {(v.actor, v.target) for v in views} == {(f"telegram:{OFFICER}", "worker:1")}
    # The list (shown before and again after the details) and the details screen, each a row of its own.
    assert sorted(v.details["fields"] for v in views) == [["nik"], ["nik"], ["nik", "birth_date", "consent_phone"]]


@pytest.mark.parametrize("first_name", ["\u202eRahmat Hidayat (NIP 1985)", "\u200bRahmat\u2066 Hidayat\u2069",
                                        "Rahmat\ud800 Hidayat"])
async def test_a_spoofing_display_name_is_stored_clean_and_the_chat_keeps_working(app, standin,
                                                                                 first_name) -> None:
    person = TgPerson(standin, 614)
    standin.set_user(person.id, first_name=first_name)
    await agree(person)
    await person.press("Daftar sebagai ASN", "NIP")
    [name] = await rows(app, select(Chat.display_name).where(Chat.address == "614"))
    assert name is not None and name.startswith("Rahmat") and "Hidayat" in name
    assert not any(ch in name for ch in "\u202e\u200b\u2066\u2069\ud800")


async def test_tuwai_run_under_umask_022_keeps_the_database_private(tmp_path: Path, standin) -> None:
    """The real `tuwai run` in its own process, started with the usual umask 022, on a fresh SQLite file."""
    folder, port = tmp_path / "data", free_port()
    env = {**os.environ, "TUWAI_TELEGRAM__TOKEN": standin.token, "TUWAI_TELEGRAM__API_BASE": standin.api_base,
           "TUWAI_TELEGRAM__POLLING_TIMEOUT": "1", "TUWAI_DATABASE__URL": f"sqlite+aiosqlite:///{folder}/t.sqlite3",
           "TUWAI_SERVER__PORT": str(port), "TUWAI_STORAGE__FILES_DIR": str(tmp_path / "files"),
           "TUWAI_LOGGING__LEVEL": "WARNING"}
    bot = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, preexec_fn=lambda: os.umask(0o022))
    try:
        await wait_healthy(port, bot)
        await agree(TgPerson(standin, 615))  # writes: the -wal and -shm files exist now
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
        assert {"t.sqlite3", "t.sqlite3-wal", "t.sqlite3-shm"} <= set(modes)
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and set(modes.values()) == {0o600}, modes
    finally:
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(timeout=20) == 0
