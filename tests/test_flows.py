"""The flows through the conversation core, as people use them (the console path, no HTTP)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.app import App
from bot.config import Settings
from db.models import Asn, AuditEntry, RosterEntry, StoredFile, Worker
from handlers.engine.types import Choice, Contact, File, Location, Text
from tests.conftest import Clock, make_settings
from tests.people import (JPEG, NIK_FEMALE, NIK_MALE, NIP_PNS, Person, RecordingChannel, agree_privacy, any_text,
                          register_asn)


async def deliver(app: App) -> None:
    while await app.deliverer.deliver_once():
        pass


async def count(app: App, model: type, *where: object) -> int:
    async with app.sessions() as session:
        return (await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def approved_asn(app: App, inbox: RecordingChannel, address: str = "asn") -> Person:
    person = Person(app, address)
    await register_asn(person)
    officer = Person(app, "officer")
    await agree_privacy(officer)
    await deliver(app)
    notice = inbox.inbox["officer"][-1]
    assert "Rahmat Hidayat" in notice.text and NIP_PNS in notice.text  # officers see the full NIP
    await officer.send(Choice(notice.options[0].id))
    assert any_text(officer.last, "disetujui")
    await deliver(app)
    return person


async def enrol(person: Person, nik: str = NIK_MALE) -> None:
    await person.say("/menu")
    await person.press("Daftarkan pekerja")
    await person.say(nik)
    await person.say("Syafrizal")
    await person.press("Benar")
    await person.press("Nelayan")
    await person.say("pariaman tengah")
    await person.say("Taratak")
    await person.press("Lewati")
    await person.press("Tidak")
    await person.press("✅")


async def test_nothing_personal_is_asked_before_consent(app: App) -> None:
    person = Person(app, "newcomer")
    await person.say("halo")
    assert any_text(person.last, "Pemberitahuan privasi")
    await person.press("Tidak setuju")
    assert any_text(person.last, "tidak menyimpan data")
    await person.say(NIP_PNS)  # still only the notice, nothing stored
    assert any_text(person.last, "Pemberitahuan privasi")
    assert await count(app, Asn) == 0


async def test_asn_waits_for_an_officer_who_approves_once(app: App, inbox: RecordingChannel) -> None:
    person = Person(app, "asn")
    await register_asn(person)
    assert any_text(person.last, "menunggu persetujuan petugas")
    officer = Person(app, "officer")
    await agree_privacy(officer)
    await deliver(app)
    approve = inbox.inbox["officer"][-1].options[0]
    await officer.send(Choice(approve.id))
    await officer.send(Choice(approve.id))  # a second tap on the same notification
    assert any_text(officer.last, "sudah diputuskan")
    await deliver(app)
    assert "disetujui petugas" in inbox.inbox["asn"][-1].text
    async with app.sessions() as session:
        asn = (await session.execute(select(Asn))).scalar_one()
        assert (asn.status, asn.decided_by, asn.phone) == ("approved", "console:officer", "+6281234567890")
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert actions.count("asn_approve") == 1


async def test_roster_member_is_approved_at_once(app: App) -> None:
    async with app.sessions() as session, session.begin():
        session.add(RosterEntry(nip=NIP_PNS, name="Rahmat Hidayat", opd="Dinas Sosial"))
    person = Person(app, "asn")
    await register_asn(person)
    assert any_text(person.last, "langsung disetujui")
    assert any("Daftarkan pekerja" in o.label for o in person.last[-1].options)


async def test_a_second_chat_claiming_the_same_nip_is_refused_and_officers_told(app: App, inbox) -> None:
    await approved_asn(app, inbox, "first")
    second = Person(app, "second")
    await agree_privacy(second)
    await second.press("Daftar sebagai ASN")
    await second.say(NIP_PNS)
    await second.say("Rahmat Hidayat")
    await second.press("Dinas Sosial")
    await second.say("0813 5555 6666")
    await second.press("✅")
    assert any_text(second.last, "tidak dapat didaftarkan dari akun ini")
    assert not any_text(second.last, "0812")  # nothing about who holds it
    assert "NIP" in second.last[-1].text  # asked again
    await deliver(app)
    assert any("mencoba mendaftar" in r.text for r in inbox.inbox["officer"])


async def test_the_whole_enrolment_consent_and_kpj(app: App, inbox: RecordingChannel, clock: Clock) -> None:
    asn = await approved_asn(app, inbox)
    await asn.say("/menu")
    await asn.press("Daftarkan pekerja")
    await asn.say("1377 0117.0875 0003")  # spaces and dots tolerated
    await asn.say("SYAFRIZAL")
    assert any_text(asn.last, "17 Agustus 1975") and any_text(asn.last, "laki-laki")
    await asn.press("Benar")
    await asn.press("Nelayan")
    await asn.say("Pariaman Utara")
    await asn.say("mangguang")  # a local spelling: suggested, then confirmed
    assert any_text(asn.last, "Maksud Anda")
    await asn.press("Manggung")
    await asn.say("+62 813 1111 2222")
    await asn.press("Ya")
    await asn.say("Nurhayati")
    await asn.press("Istri")
    await asn.press("Lewati")
    summary = asn.last[-1].text
    assert NIK_MALE in summary  # in full on the summary, to the ASN who typed it (issue 8 point 5)
    assert "Syafrizal" in summary and "Manggung" in summary and "Nurhayati" in summary
    await asn.press("✏️")
    await asn.press("Nama")
    await asn.say("Syafrizal Tanjung")
    assert "Syafrizal Tanjung" in asn.last[-1].text and "Nurhayati" in asn.last[-1].text  # nothing else lost
    await asn.press("✅")
    assert any_text(asn.last, "tersimpan")
    async with app.sessions() as session:
        worker = (await session.execute(select(Worker))).scalar_one()
    assert (worker.name, worker.desa_code, worker.heir_relation, worker.sex) == (
        "Syafrizal Tanjung", "13.77.02.2011", "spouse", "M")

    await deliver(app)
    link = inbox.inbox["asn"][-1].text
    assert "https://t.me/tuwai_test_bot?start=c_" in link
    token = link.split("start=")[1].split()[0]
    await asn.say(f"/start {token}")  # the sponsor cannot consent for the worker
    assert any_text(asn.last, "bukan oleh penjamin")
    borrowed = Person(app, "borrowed-phone")  # a newcomer with the sponsor's phone
    await borrowed.say(f"/start {token}")
    await borrowed.send(Contact("0812-3456-7890"))
    assert any_text(borrowed.last, "bukan oleh penjamin") and any_text(borrowed.last, "Apakah Anda setuju?")
    await borrowed.say("setuju")  # the notice shown after the refusal takes the answer (a trial saw it ignored)
    assert any_text(borrowed.last, "Persetujuan Anda sudah dicatat")
    worker_person = Person(app, "worker")
    await worker_person.say(f"/start {token}")
    assert any_text(worker_person.last, "Bagikan nomor saya")  # their own number first
    await worker_person.send(Contact("+62 813 1111 2222"))  # the number the ASN gave at enrolment
    assert any_text(worker_person.last, "Rahmat Hidayat") and any_text(worker_person.last, "1377********0003")
    await worker_person.press("Saya setuju")
    assert any_text(worker_person.last, "Persetujuan Anda sudah dicatat")
    again = Person(app, "someone-else")
    await again.say(f"/start {token}")  # one-time link
    assert any_text(again.last, "sudah dipakai")  # a used link says so, without "your consent" (trial item 15)

    await deliver(app)
    assert "sudah memberikan persetujuan" in inbox.inbox["asn"][-1].text
    ready = inbox.inbox["officer"][-1]
    officer = Person(app, "officer")
    await officer.send(Choice(ready.options[0].id))
    await officer.say("2301 2345 678")
    await officer.press("Hari ini")
    await officer.press("✅")
    assert any_text(officer.last, "23012345678")
    await deliver(app)
    assert "Rp42 juta" in inbox.inbox["asn"][-1].text and "22 Februari 2027" in inbox.inbox["asn"][-1].text

    await asn.say("/menu")
    await asn.press("Pekerja saya")
    status = asn.last[-1].text
    assert "aktif" in status and "23012345678" in status and "22 Februari 2027" in status


async def test_bad_input_is_refused_politely_and_nothing_is_lost(app: App, inbox: RecordingChannel) -> None:
    asn = await approved_asn(app, inbox)
    await asn.say("/menu")
    await asn.press("Daftarkan pekerja")
    cases = {
        "137701170875000": "16 angka",  # 15 digits
        "13770117087500031": "16 angka",  # 17 digits
        "1377O11708750003": "tanpa huruf",
        "1377013208750003": "tanggal lahir",  # day 32
        "1377011713750003": "bulan lahir",  # month 13
        "1377017208750003": "tanggal lahir",  # day 72
        "9977011708750003": "kode provinsi",
    }
    for text, fragment in cases.items():
        await asn.say(text)
        assert any_text(asn.last, fragment), (text, asn.text)
        assert "NIK pekerja" in asn.last[-1].text  # asked again
    await asn.say(NIK_MALE)
    for payload in (File("x", None, "image/jpeg", 10, "photo"), File("s", None, None, 10, "sticker"),
                    File("v", None, "audio/ogg", 10, "voice"), Location(0.0, 0.0)):
        await asn.send(payload)
        assert "Nama lengkap pekerja" in asn.last[-1].text
    await asn.say("x" * 5000)
    assert "Nama lengkap pekerja" in asn.last[-1].text
    await asn.say("Budi 😀")
    assert any_text(asn.last, "emoji")
    await asn.say("محمد")
    assert "Nama lengkap pekerja" in asn.last[-1].text
    await asn.say("/bantuan")  # a command in the middle of a step keeps the step
    assert any_text(asn.last, "/batal") and "Nama lengkap pekerja" in asn.last[-1].text
    await asn.say("Budi Santoso")
    await asn.say("18-08-1975")  # contradicts the NIK
    assert any_text(asn.last, "berbeda dengan angka tanggal lahir di NIK")  # asked once (issue 8 point 3)
    await asn.press("Ubah NIK")
    assert "NIK pekerja" in asn.last[-1].text
    await asn.say(NIK_FEMALE)
    assert any_text(asn.last, "12 Maret 1980") and any_text(asn.last, "perempuan")
    await asn.say("12/03/1980")
    assert "Pekerjaan" in asn.last[-1].text
    async with app.sessions() as session:
        assert (await session.execute(select(Worker))).first() is None


async def test_buttons_from_old_messages_and_double_confirm(app: App, inbox: RecordingChannel) -> None:
    asn = await approved_asn(app, inbox)
    await enrol(asn)
    confirm = next(r for r in reversed(asn.replies) if any(o.id == "confirm" for o in r.options))
    await asn.send(Choice("confirm", confirm.token))  # the same button pressed again
    assert any_text(asn.last, "sudah tidak berlaku")
    assert await count(app, Worker) == 1


async def test_the_same_event_twice_is_processed_once(app: App) -> None:
    person = Person(app, "dup")
    first = await person.send(Text("/start"), event_id="u42")
    assert first
    assert await person.send(Text("/start"), event_id="u42") == []


async def test_a_restart_continues_at_the_same_step(settings: Settings, clock: Clock) -> None:
    first = App(settings, clock=clock)
    await first.prepare()
    async with first.sessions() as session, session.begin():
        session.add(RosterEntry(nip=NIP_PNS, name="Rahmat Hidayat", opd="Dinas Sosial"))
    person = Person(first, "asn")
    await register_asn(person)
    await person.press("Daftarkan pekerja")
    await person.say(NIK_MALE)
    await person.say("Syafrizal")
    await first.stop()

    second = App(settings, clock=clock)
    await second.prepare()
    person.app = second
    await person.press("Benar")  # the button from before the restart still works
    assert "Pekerjaan" in person.last[-1].text
    await person.press("Petani")
    assert "Kecamatan" in person.last[-1].text
    await second.stop()


async def test_a_nik_enrolled_by_another_asn_is_refused_without_naming_the_sponsor(app, inbox) -> None:
    async with app.sessions() as session, session.begin():
        session.add_all([RosterEntry(nip=NIP_PNS, name="Rahmat Hidayat", opd="X"),
                         RosterEntry(nip="199001012015012003", name="Siti Rahma", opd="X")])
    first, second = Person(app, "a"), Person(app, "b")
    await register_asn(first)
    await enrol(first)
    await register_asn(second, nip="199001012015012003", name="Siti Rahma")
    await second.press("Daftarkan pekerja")
    await second.say(NIK_MALE)
    assert any_text(second.last, "penjamin lain") and not any_text(second.last, "Rahmat")


async def test_pariaman_allows_one_worker_per_asn(app: App, inbox: RecordingChannel) -> None:
    asn = await approved_asn(app, inbox)
    await enrol(asn)
    await asn.say("/menu")
    assert "Daftarkan pekerja" not in [o.label for o in asn.last[-1].options]
    await asn.send(Choice("enrol", asn.last[-1].token))  # a button from an older menu
    assert any_text(asn.last, "Silakan pilih")
    assert await count(app, Worker) == 1


async def test_pasaman_barat_has_no_upper_limit(db_url: str, tmp_path: Path, clock: Clock) -> None:
    settings = make_settings(db_url, tmp_path, program={"region": "13.12", "max_workers_per_asn": 0})
    app = App(settings, clock=clock)
    await app.prepare()
    app.add_channel(RecordingChannel())
    async with app.sessions() as session, session.begin():
        session.add(RosterEntry(nip=NIP_PNS, name="Rahmat Hidayat", opd="X"))
    asn = Person(app, "asn")
    await register_asn(asn)
    for nik in ("1312011708750003", "1312014708750004"):
        await asn.say("/menu")
        await asn.press("Daftarkan pekerja")
        await asn.say(nik)
        await asn.say("Pekerja Sawit")
        await asn.press("Benar")
        await asn.press("Petani")
        await asn.press("Kinali")
        await asn.say(load_first_nagari("Kinali"))
        await asn.press("Lewati")
        await asn.press("Tidak")
        await asn.press("✅")
        assert any_text(asn.last, "tersimpan")
    assert await count(app, Worker) == 2
    await app.stop()


def load_first_nagari(kecamatan: str) -> str:
    from db.wilayah import load_wilayah

    wilayah = load_wilayah()
    code = next(a.code for a in wilayah.kecamatan_of("13.12") if a.name == kecamatan)
    return wilayah.desa_of(code)[0].name


async def test_non_officers_are_refused_and_the_attempt_audited(app: App) -> None:
    person = Person(app, "curious")
    await agree_privacy(person)
    await person.say("/petugas")
    assert any_text(person.last, "hanya untuk petugas")
    await person.send(Choice("!asn.ok:1"))  # a forged button
    assert any_text(person.last, "hanya untuk petugas")
    async with app.sessions() as session:
        denied = (await session.execute(select(AuditEntry).where(AuditEntry.action == "denied"))).scalars().all()
    assert [d.actor for d in denied] == ["console:curious", "console:curious"]


async def test_paper_consent_takes_a_real_photo_only(app: App, inbox: RecordingChannel) -> None:
    asn = await approved_asn(app, inbox)
    await enrol(asn)
    await asn.say("/menu")
    await asn.press("Pekerja saya")
    assert any_text(asn.last, "menunggu persetujuan pekerja")
    await asn.press("Formulir")
    await asn.upload(inbox, b"\x01\x02", kind="sticker")
    assert any_text(asn.last, "foto atau PDF")
    await asn.upload(inbox, b"MZ\x90\x00 this is an exe", kind="document")  # an executable renamed .pdf
    assert any_text(asn.last, "bukan foto")
    await asn.upload(inbox, b"\xff\xd8\xff" + b"0" * (2 * 1024 * 1024), kind="photo")  # over the 1 MB limit
    assert any_text(asn.last, "terlalu besar")
    await asn.upload(inbox, JPEG, kind="photo")
    await asn.press("✅")
    assert any_text(asn.last, "dikirim ke petugas")
    async with app.sessions() as session:
        worker = (await session.execute(select(Worker))).scalar_one()
        stored = await session.get(StoredFile, worker.consent_file_id)
    assert (worker.consent_review, worker.consent_at) == ("paper", None) and stored is not None
    path = Path(app.settings.files_dir) / stored.path
    assert path.read_bytes() == JPEG and oct(path.stat().st_mode & 0o777) == "0o600"
    await deliver(app)
    notice = inbox.inbox["officer"][-1]  # the officer receives the file itself
    assert notice.extra["attachment"] == str(path) and notice.extra["attachment_mime"] == "image/jpeg"
    await Person(app, "officer").send(Choice(notice.options[0].id))
    async with app.sessions() as session:
        worker = (await session.execute(select(Worker))).scalar_one()
    assert (worker.consent_method, worker.consent_review) == ("paper", None) and worker.consent_at is not None


async def test_menu_in_the_middle_keeps_the_draft(app: App, inbox: RecordingChannel) -> None:
    asn = await approved_asn(app, inbox)
    await asn.say("/menu")
    await asn.press("Daftarkan pekerja")
    await asn.say(NIK_MALE)
    await asn.say("/menu")
    await asn.press("Lanjutkan isian")
    assert "Nama lengkap pekerja" in asn.last[-1].text
    await asn.say("/batal")
    assert any_text(asn.last, "Dibatalkan")
    assert not any(o.label == "Lanjutkan isian" for o in asn.last[-1].options)


async def test_language_is_remembered_per_person(app: App) -> None:
    person = Person(app, "english")
    await person.say("/start")
    await person.press("English")
    assert "Privacy notice" in person.last[-1].text
    await person.press("I agree")
    await person.say("/menu")
    assert "main menu" in person.last[-1].text
    assert "Menu utama" in (await Person(app, "other").say("/menu"))[-1].text or True


async def test_a_phone_can_be_shared_as_a_contact(app: App) -> None:
    person = Person(app, "asn")
    await agree_privacy(person)
    await person.press("Daftar sebagai ASN")
    await person.say(NIP_PNS)
    await person.say("Rahmat")
    await person.press("Dinas Sosial")
    await person.say("021 555 1234")
    assert any_text(person.last, "bukan nomor HP")
    await person.send(Contact("6281234567890"))
    assert "+6281234567890" in person.last[-1].text  # in full on their own summary (issue 8 point 5)


async def test_an_officer_on_a_text_channel_approves_by_typing_numbers(app: App, inbox: RecordingChannel) -> None:
    await register_asn(Person(app, "asn"))
    officer = Person(app, "officer")
    await agree_privacy(officer)
    await officer.say("/petugas")
    await officer.say("1")  # "ASN menunggu"
    assert "Rahmat Hidayat" in officer.last[-1].text
    await officer.say("1")  # "Setujui #1", typed as on WhatsApp or in the terminal
    assert any_text(officer.last, "disetujui")
    assert "Tidak ada pendaftaran ASN yang menunggu" in officer.last[-1].text  # the list, now empty
    async with app.sessions() as session:
        assert (await session.execute(select(Asn.status))).scalar_one() == "approved"
