"""Only the real person, end to end: the real app (what `tuwai run` starts) against the Telegram Bot API stand-in
over real HTTP on 127.0.0.1. People type, press buttons, share contacts and send photos as they would."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import App
from db.models import Asn, AuditEntry, Chat, ConsentToken, RosterEntry, Worker
from tests.chat_people import TgPerson, agree, enrol, fill_registration
from tests.people import JPEG, NIK_MALE, NIP_PNS
from tests.records import scalars
from tests.standins.apps import TELEGRAM_OFFICER
from tests.standins.telegram import TelegramStandin

pytestmark = pytest.mark.standin_seed(telegram=11)


ROSTER_PHONE = "+6281234567890"


@pytest.fixture
async def app(telegram_app: App) -> App:
    """The app on the Telegram stand-in, with Rahmat Hidayat on the roster (and his phone)."""
    async with telegram_app.sessions() as session, session.begin():
        session.add(RosterEntry(nip=NIP_PNS, name="Rahmat Hidayat", opd="Dinas Sosial", phone=ROSTER_PHONE))
    return telegram_app


async def approved_asn(telegram: TelegramStandin, user_id: int = 501) -> TgPerson:
    asn = TgPerson(telegram, user_id)
    await fill_registration(asn, "Rahmat Hidayat")
    await asn.press("Simpan", "langsung disetujui")
    return asn


async def consent_link(asn: TgPerson) -> str:
    message = await asn.expect("Tautan persetujuan")
    return message["text"].split("start=")[1].split()[0]


async def test_a_stranger_with_a_roster_nip_waits_and_the_real_asn_still_registers(app, telegram) -> None:
    officer, stranger = TgPerson(telegram, TELEGRAM_OFFICER), TgPerson(telegram, 601)
    await agree(officer)
    await fill_registration(stranger, "Budi Santoso", phone="6281399998888")
    await stranger.press("Simpan", "menunggu persetujuan petugas")
    notice = await officer.expect("menunggu persetujuan")
    # Roster and typed values side by side, so the officer sees what does not match.
    assert "Budi Santoso | Rahmat Hidayat" in notice["text"] and "+6281399998888 (kontak sendiri) | "\
        f"{ROSTER_PHONE}" in notice["text"]
    real = await approved_asn(telegram, 602)
    await stranger.expect("tidak dapat disetujui")
    await officer.expect("dibatalkan")
    [asn] = await scalars(app, select(Asn))
    chat = (await scalars(app, select(Chat).where(Chat.id == asn.chat_id)))[0]
    assert (asn.status, asn.name, chat.address) == ("approved", "Rahmat Hidayat", str(real.id))
    assert [e.action for e in await scalars(app, select(AuditEntry).where(AuditEntry.action == "asn_superseded"))]\
        == ["asn_superseded"]


async def test_the_right_name_without_the_roster_phone_waits_for_an_officer(app, telegram) -> None:
    officer, asn = TgPerson(telegram, TELEGRAM_OFFICER), TgPerson(telegram, 603)
    await agree(officer)
    await fill_registration(asn, "DRS. RAHMAT HIDAYAT, M.SI.", phone="6281300001111")  # titles and case ignored
    await asn.press("Simpan", "menunggu persetujuan petugas")
    notice = await officer.expect("menunggu persetujuan")
    assert "Drs. Rahmat Hidayat" in notice["text"] or "DRS. RAHMAT HIDAYAT" in notice["text"]
    assert (await scalars(app, select(Asn.status))) == ["pending"]


async def test_someone_elses_contact_at_the_asn_phone_step_is_refused(app, telegram) -> None:
    asn = TgPerson(telegram, 604)
    await fill_registration(asn, "Rahmat Hidayat", own=False, expect="kontak orang lain")
    assert "Nomor HP Anda" in asn.texts()[-1]  # asked again
    telegram.push_contact(asn.id, "6281234567890")
    await asn.expect("Periksa data Anda")
    await asn.press("Simpan", "langsung disetujui")


async def test_a_second_account_claiming_a_registered_nip_learns_nothing_and_an_officer_moves_it(
                                                                                                 app, telegram) -> None:
    officer = TgPerson(telegram, TELEGRAM_OFFICER)
    await agree(officer)
    old = await approved_asn(telegram, 605)
    new = TgPerson(telegram, 606)
    telegram.set_user(new.id, first_name="Rahmat HP baru")
    await agree(new)
    await new.press("Daftar sebagai ASN", "NIP")
    await new.say(NIP_PNS, "Nama lengkap Anda")
    await new.say("Rahmat Hidayat", "OPD")
    await new.press("Dinas Sosial", "Nomor HP Anda")
    telegram.push_contact(new.id, "6281355556666")  # the new phone
    await new.expect("Periksa data Anda")
    refusal = await new.press("Simpan", "tidak dapat didaftarkan dari akun ini")
    assert "0812" not in refusal["text"] and "terdaftar atas" not in refusal["text"]
    notice = await officer.expect("akun lain mencoba mendaftar")
    assert "telegram 605" in notice["text"] and "telegram 606 «Rahmat HP baru»" in notice["text"]
    assert "+6281355556666 (kontak sendiri)" in notice["text"]
    await officer.press("Pindahkan NIP", "dipindahkan ke akun baru")
    await new.expect("memindahkan pendaftaran ASN Anda ke akun ini")
    await old.expect("dari akun ini ke akun lain")
    [asn] = await scalars(app, select(Asn))
    new_chat = (await scalars(app, select(Chat).where(Chat.address == "606")))[0]
    assert (asn.chat_id, asn.phone) == (new_chat.id, "+6281355556666")
    menu = await new.say("/menu", "Menu utama")
    assert any("Daftarkan pekerja" in label for label, _ in telegram.buttons(menu["message"]))


async def test_the_sponsors_second_account_cannot_consent(app, telegram) -> None:
    asn = await approved_asn(telegram, 607)
    await asn.say("/menu", "Menu utama")
    await enrol(asn)  # no worker phone given
    payload = await consent_link(asn)
    second = TgPerson(telegram, 608)  # the ASN's second Telegram account, on the ASN's own number
    await second.say(f"/start {payload}", "Bagikan nomor saya")
    telegram.push_contact(second.id, "6281234567890")
    await second.expect("bukan oleh penjamin")
    assert (await scalars(app, select(Worker.consent_at))) == [None]
    third = TgPerson(telegram, 609)  # another number: without a worker phone on file it stays unverified
    await third.say(f"/start {payload}", "Bagikan nomor saya")
    telegram.push_contact(third.id, "6281377776666")
    await third.expect("Apakah Anda setuju?")
    await third.press("Saya setuju", "petugas akan memastikannya")
    [worker] = await scalars(app, select(Worker))
    assert (worker.consent_at, worker.consent_review, worker.consent_phone) == (None, "unverified",
                                                                                 "+6281377776666")


async def test_a_worker_phone_on_file_must_match_and_an_older_link_fails(app, telegram) -> None:
    asn = await approved_asn(telegram, 610)
    await asn.say("/menu", "Menu utama")
    await asn.press("Daftarkan pekerja", "NIK pekerja")
    await asn.say(NIK_MALE, "Nama lengkap pekerja")
    await asn.say("Syafrizal", "Benar?")
    await asn.press("Benar", "Pekerjaan")
    await asn.press("Nelayan", "Kecamatan")
    await asn.press("Pariaman Tengah", "Desa/kelurahan")
    await asn.press("Taratak", "Nomor HP pekerja")
    assert telegram.current_reply_keyboard(asn.id) == []  # no "share my contact": it would send the ASN's number
    await asn.say("0812 3456 7890", "nomor Anda sendiri")
    await asn.say("0813 1111 2222", "ahli waris")
    await asn.press("Tidak", "Periksa data pekerja")
    await asn.press("Simpan", "tersimpan")
    first = await consent_link(asn)
    await asn.say("/menu", "Menu utama")
    await asn.press("Pekerja saya", "menunggu persetujuan pekerja")
    await asn.press("Link baru", "Tautan baru")
    second = await consent_link(asn)
    worker = TgPerson(telegram, 611)
    await worker.say(f"/start {first}", "tidak berlaku lagi")  # the new link revoked the older one
    await worker.say(f"/start {second}", "Bagikan nomor saya")
    telegram.push_contact(worker.id, "6281399990000")  # not the worker's number
    await worker.expect("tidak sama dengan nomor pekerja")
    await worker.say(f"/start {second}", "Bagikan nomor saya")
    telegram.push_contact(worker.id, "6281311112222")
    await worker.expect("Apakah Anda setuju?")
    await worker.press("Saya setuju", "Persetujuan Anda sudah dicatat")
    [row] = await scalars(app, select(Worker))
    assert row.consent_method == "link" and row.consent_at is not None
    assert len(await scalars(app, select(ConsentToken))) == 2


async def test_a_paper_form_waits_for_the_officer_who_receives_the_file(app, telegram) -> None:
    officer = TgPerson(telegram, TELEGRAM_OFFICER)
    await agree(officer)
    asn = await approved_asn(telegram, 612)
    await asn.say("/menu", "Menu utama")
    await enrol(asn)
    await asn.say("/menu", "Menu utama")
    await asn.press("Pekerja saya", "menunggu persetujuan pekerja")
    await asn.press("Formulir", "Kirim foto")
    await asn.press("Formulir kosong", "formulir persetujuan kosong")
    blank = next(m for m in telegram.messages_to(asn.id) if m["method"] == "sendDocument")
    assert blank["content"].startswith(b"%PDF-") and blank["file_name"].endswith(".pdf")
    telegram.push_photo(asn.id, JPEG)
    await asn.expect("Simpan formulir ini")
    await asn.press("Simpan", "dikirim ke petugas")
    notice = await officer.expect("Formulir persetujuan untuk diperiksa")
    photo = next(m for m in telegram.messages_to(TELEGRAM_OFFICER) if m["method"] == "sendPhoto")
    assert photo["content"] == JPEG and photo["seq"] < notice["seq"]
    assert (await scalars(app, select(Worker.consent_at))) == [None]
    await officer.press("Tolak", "alasan")
    await officer.say("Tanda tangan tidak terbaca", "Kirim penolakan")
    await officer.press("Simpan", "ditolak")
    rejected = await asn.expect("belum dapat diterima petugas")
    assert "Tanda tangan tidak terbaca" in rejected["text"]
    [worker] = await scalars(app, select(Worker))
    assert (worker.consent_at, worker.consent_review) == (None, None)


async def test_an_officer_opening_a_workers_details_is_audited(app, telegram) -> None:
    officer = TgPerson(telegram, TELEGRAM_OFFICER)
    await agree(officer)
    asn = await approved_asn(telegram, 613)
    await asn.say("/menu", "Menu utama")
    await enrol(asn)
    worker = TgPerson(telegram, 615)  # consents from a number that cannot be checked: an officer confirms it
    await worker.say(f"/start {await consent_link(asn)}", "Bagikan nomor saya")
    telegram.push_contact(worker.id, "6281377776666")
    await worker.expect("Apakah Anda setuju?")
    await worker.press("Saya setuju", "petugas")
    await officer.say("/petugas", "Menu petugas")
    await officer.press("Cek persetujuan", "untuk diperiksa")
    await officer.press("Terima #1", "diterima")
    confirming = {v.id for v in await scalars(app, select(AuditEntry).where(AuditEntry.action == "view"))}
    await officer.say("/petugas", "Menu petugas")
    await officer.press("Menunggu BPJS", "Pekerja menunggu")
    details = await officer.press("Detail #1", NIK_MALE)
    assert "Syafrizal" in details["text"]
    views = [v for v in await scalars(app, select(AuditEntry).where(AuditEntry.action == "view"))
             if v.id not in confirming]
    assert {(v.actor, v.target) for v in views} == {(f"telegram:{TELEGRAM_OFFICER}", "worker:1")}
    # The list (shown before and again after the details) and the details screen, each a row of its own.
    assert sorted(v.details["fields"] for v in views) == [["nik"], ["nik"], ["nik", "birth_date", "consent_phone"]]


@pytest.mark.parametrize("first_name", ["\u202eRahmat Hidayat (NIP 1985)", "\u200bRahmat\u2066 Hidayat\u2069",
                                        "Rahmat\ud800 Hidayat"])
async def test_a_spoofing_display_name_is_stored_clean_and_the_chat_keeps_working(app, telegram,
                                                                                  first_name) -> None:
    person = TgPerson(telegram, 614)
    telegram.set_user(person.id, first_name=first_name)
    await agree(person)
    await person.press("Daftar sebagai ASN", "NIP")
    [name] = await scalars(app, select(Chat.display_name).where(Chat.address == "614"))
    assert name is not None and name.startswith("Rahmat") and "Hidayat" in name
    assert not any(ch in name for ch in "\u202e\u200b\u2066\u2069\ud800")
