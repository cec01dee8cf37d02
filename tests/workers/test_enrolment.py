"""Worker enrolment (handlers/workers/enrolment.py) as an ASN goes through it: the whole way to consent and KPJ, and
bad input refused politely with nothing lost."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from db.models import Worker
from handlers.engine.types import Choice, Contact, File, Location
from tests.conftest import Clock
from tests.people import NIK_FEMALE, NIK_MALE, Person, RecordingChannel, any_text, deliver
from tests.registration.steps import approved_asn


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
