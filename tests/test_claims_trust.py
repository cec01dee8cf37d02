"""A report is a claim, not a fact (issue 18, items 1-3): a stranger's report of a death changes nothing until an
officer accepts it with the death certificate seen; a rejected report leaves the worker as before and says so; an
accepted death that was wrong is reversed; a saved report never blocks the real family; one death is one claim,
also when two reporters press "Simpan" at the same moment (PostgreSQL lanes)."""

from __future__ import annotations

import asyncio
import zlib
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.app import App
from db.models import (AuditEntry, Chat, Claim, ClaimDocument, ClaimReporter, Contribution, OutboxMessage, Sponsorship,
                       Worker)
from db.rules.months import Month
from db.standing import figures
from handlers.engine.types import Choice
from tests.conftest import Clock
from tests.people import JPEG, NIK_MALE, Person, agree_privacy, any_text
from tests.standins.telegram import TelegramStandin
from tests.telegram_people import TgPerson, agree
from tests.test_claims import JKM_DOCS, accept_death, deliver, report_death, seed_worker, send_documents
from tests.test_e2e_reminders import settings_for

OFFICER, ASN, STRANGER, FAMILY, WORKER_CHAT = 9001, 700, 802, 801, 803
DOCS = ("Kartu peserta", "KTP pekerja", "KTP ahli waris", "Akta kematian", "Kartu Keluarga", "Surat ket.",
        "Buku tabungan")


@pytest.fixture
async def standin():
    async with TelegramStandin(seed=18) as server:
        yield server


async def start(db_url: str, tmp_path: Path, standin: TelegramStandin, clock: Clock) -> App:
    app = App(settings_for(db_url, tmp_path, standin, scheduler={"heartbeat_seconds": 3600}), clock=clock)
    await app.start()
    return app


async def worker_consented_on_telegram(app: App, address: int) -> None:
    """The worker gave consent from their own Telegram chat: they hear what is said about them."""
    async with app.sessions() as session, session.begin():
        chat = Chat(channel="telegram", address=str(address), language="id", answers={}, version=0)
        session.add(chat)
        await session.flush()
        await session.execute(update(Worker).values(consent_chat_id=chat.id))


async def report_on_telegram(person: TgPerson, *, name: str, save: str = "Nomor klaim Anda") -> None:
    await agree(person)
    await person.press("Laporkan musibah / klaim", "Laporan musibah dan klaim")
    await person.press("Laporkan musibah", "bersifat spesifik")
    await person.press("Setuju", "Cari dengan NIK")
    await person.press("Dengan NIK", "Ketik NIK")
    await person.say(NIK_MALE, "Pekerja yang cocok")
    await person.press("S. R. …0003", "Apa yang terjadi")
    await person.press("Meninggal, bkn kerja", "Kapan")
    await person.say("kemarin", "Di mana")
    await person.say("Di rumah", "Ceritakan")
    await person.say("Meninggal mendadak di rumah.", "Nama Anda")
    await person.say(name, "hubungan Anda")
    await person.press("Lainnya (tetangga dll.)", "Nomor HP Anda")
    await person.say("0813-1111-2222", "ahli waris")
    await person.press("Tidak", "Periksa laporan musibah")
    await person.press("Simpan", save)


async def junk_photos(person: TgPerson, standin: TelegramStandin) -> None:
    for number, label in enumerate(DOCS):
        await person.press(label, "Kirim foto atau PDF")
        standin.push_photo(person.id, JPEG + f"junk{number}".encode())
        await person.expect("Diterima")


async def open_claim(officer: TgPerson, todo: str = "Klaim (1)") -> None:
    await officer.say("/petugas", "Menu petugas")
    await officer.press(todo, "Klaim yang menunggu")
    await officer.press("Buka #1", "Tindakan untuk klaim ini")


async def test_a_strangers_death_report_changes_nothing_and_its_rejection_says_so(db_url, tmp_path, standin) -> None:
    clock = Clock(datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc))
    app = await start(db_url, tmp_path, standin, clock)
    try:
        sponsorship_id, _ = await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 10),
                                              address_base=ASN, channel="telegram")
        await worker_consented_on_telegram(app, WORKER_CHAT)
        due_before = await _due_months(app, sponsorship_id)
        stranger, officer, asn = TgPerson(standin, STRANGER), TgPerson(standin, OFFICER), TgPerson(standin, ASN)
        worker = TgPerson(standin, WORKER_CHAT)
        await agree(officer)
        await report_on_telegram(stranger, name="Orang Asing")
        await junk_photos(stranger, standin)
        await stranger.press("Kirim klaim", "Nomor klaim: KLM-2026-000001")

        received = await asn.expect("Ada laporan tentang pekerja yang Anda jamin")
        assert "sedang memeriksa" in received["text"] and "tidak ada yang berubah" in received["text"]
        assert not any("berduka" in text or "berhenti" in text for text in asn.texts())
        async with app.sessions() as session:
            assert (await session.get(Sponsorship, sponsorship_id)).ended_at is None
        assert await _due_months(app, sponsorship_id) == due_before  # the ledger is untouched
        # The stranger learnt nothing more of the worker: not the heir, nor whether the sponsor has paid.
        seen = "\n".join(stranger.texts())
        assert "Y." not in seen and "+62812" not in seen  # no recorded heir
        assert "tercatat dibayar" not in seen and "menurut catatan kami" not in seen and "Aturan santunan" in seen

        await open_claim(officer)
        assert "Teruskan ke BPJS" not in [label for label, _ in standin.buttons(standin.last_message(OFFICER)
                                                                                  ["message"])]
        await officer.press("Tolak klaim", "Alasan penolakan")
        await officer.say("Laporan palsu, pekerja masih hidup", "Tolak klaim ini")
        await officer.press("Simpan", "sudah diberi tahu")
        rejected = await asn.expect("ditolak petugas")
        assert "Laporan palsu" in rejected["text"] and "Tidak ada yang berubah" in rejected["text"]
        await worker.expect("menolaknya")
        await stranger.expect("ditolak")

        await asn.say("/menu", "Menu utama")
        await asn.press("Pekerja saya", "Syafrizal Rahman")
        async with app.sessions() as session:
            assert (await session.get(Sponsorship, sponsorship_id)).ended_at is None
            counts = await figures(session, today=date(2026, 11, 22), rules=app.core.rules)
            assert counts["workers_no_sponsor"] == 0 and counts["workers_deceased"] == 0
        assert await _due_months(app, sponsorship_id) == due_before
    finally:
        await app.stop()


async def _due_months(app: App, sponsorship_id: int) -> list[Month]:
    async with app.sessions() as session:
        return list((await session.execute(select(Contribution.period).where(
            Contribution.sponsorship_id == sponsorship_id, Contribution.status == "due")
            .order_by(Contribution.period))).scalars())


async def test_a_death_is_accepted_with_its_certificate_and_a_wrong_one_reversed(app: App, inbox, clock) -> None:
    sponsorship_id, asn = await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 10))
    family = Person(app, "family")
    await report_death(family)
    await send_documents(family, inbox, JKM_DOCS)
    await family.press("Kirim klaim")
    officer = Person(app, "officer")
    await agree_privacy(officer)
    async with app.sessions() as session, session.begin():  # the certificate's row is gone (a config change)
        certificate = (await session.execute(select(ClaimDocument).where(
            ClaimDocument.doc == "death_certificate"))).scalar_one()
        await session.execute(update(ClaimDocument).where(ClaimDocument.id == certificate.id)
                              .values(doc="marriage_book"))
    await officer.send(Choice("!klm.dead:1"))
    assert any_text(officer.last, "Akta kematian belum diterima")
    async with app.sessions() as session, session.begin():
        await session.execute(update(ClaimDocument).where(ClaimDocument.id == certificate.id)
                              .values(doc="death_certificate"))
    await officer.send(Choice("!klm.dead:1"))
    assert any_text(officer.last, "Tanggal meninggal menurut akta")
    await officer.say("20-11-2026")
    await officer.press("✅")
    await deliver(app)
    assert any("Turut berduka" in r.text for r in inbox.inbox[asn])
    async with app.sessions() as session:
        assert (await session.get(Sponsorship, sponsorship_id)).ended_at is not None
        claim = await session.get(Claim, 1)
        assert claim.death_confirmed_at is not None and claim.event_date == date(2026, 11, 20)
    assert await _due_months(app, sponsorship_id) == [Month(2026, 11)]  # later unpaid months went

    await officer.send(Choice("!klm.undo:1"))
    await officer.say("Pekerja masih hidup, akta palsu")
    await officer.press("✅")
    await deliver(app)
    assert any("dipulihkan" in r.text for r in inbox.inbox[asn])
    async with app.sessions() as session:
        assert (await session.get(Sponsorship, sponsorship_id)).ended_at is None
        claim = await session.get(Claim, 1)
        assert claim.death_confirmed_at is None and claim.status == "rejected"
        actions = set((await session.execute(select(AuditEntry.action))).scalars())
        assert {"claim_death_accepted", "claim_death_reversed"} <= actions
    assert await _due_months(app, sponsorship_id) == [Month(2026, 11)]
    clock.advance(days=20)  # 12 December: billed again, and December's reminder goes to the sponsor
    await app.heartbeat()
    assert await _due_months(app, sponsorship_id) == [Month(2026, 11), Month(2026, 12)]
    async with app.sessions() as session:
        keys = set((await session.execute(select(OutboxMessage.key))).scalars())
    assert any(key.startswith(f"reminder:{sponsorship_id}:202612") for key in keys), keys


async def test_a_saved_report_never_blocks_the_family_and_an_officer_decides(db_url, tmp_path, standin) -> None:
    clock = Clock(datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc))
    app = await start(db_url, tmp_path, standin, clock)
    try:
        await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12), address_base=ASN,
                          channel="telegram")
        stranger, family, officer = TgPerson(standin, STRANGER), TgPerson(standin, FAMILY), TgPerson(standin, OFFICER)
        await agree(officer)
        await report_on_telegram(stranger, name="Orang Asing")
        await stranger.press("Akta kematian", "Kirim foto atau PDF")
        standin.push_photo(STRANGER, JPEG + b"junk")
        await stranger.expect("Diterima")
        await stranger.press("Nanti saja", "tersimpan")  # saved, never submitted

        await report_on_telegram(family, name="Yusnidar", save="digabungkan dengan klaim KLM-2026-000001")
        assert any("sudah pernah dilaporkan orang lain" in text for text in family.texts())
        await officer.expect("laporan lain untuk kematian yang sama")
        await open_claim(officer)  # the draft is in the officers' list
        await officer.press("Utama: Yusnidar", "Pelapor utama kini Yusnidar")
        told = await family.expect("pelapor utama klaim KLM-2026-000001")
        assert [label for label, _ in standin.buttons(told)] == ["Kirim dokumen"]
        await stranger.expect("pelapor lain sebagai pelapor utama")
        await family.press("Kirim dokumen", "⬜ Akta kematian")  # the stranger's photo does not count
        for number, label in enumerate(DOCS):
            await family.press(label, "Kirim foto atau PDF")
            standin.push_photo(FAMILY, JPEG + f"real{number}".encode())
            await family.expect("Diterima")
        await family.press("Kirim klaim", "Nomor klaim: KLM-2026-000001")
        async with app.sessions() as session:
            claim = (await session.execute(select(Claim))).scalar_one()
            family_chat = await _chat_id(session, "telegram", FAMILY)
            assert (claim.status, claim.reporter_chat_id, claim.reporter_name) == ("review", family_chat, "Yusnidar")
            [other] = (await session.execute(select(ClaimReporter))).scalars().all()
            assert other.name == "Orang Asing"
            superseded = await session.scalar(select(func.count()).select_from(ClaimDocument)
                                              .where(ClaimDocument.superseded_at.is_not(None)))
            assert superseded == 1
    finally:
        await app.stop()


async def _chat_id(session, channel: str, address: int) -> int:  # type: ignore[no-untyped-def]
    return (await session.execute(select(Chat.id).where(Chat.channel == channel, Chat.address == str(address)))
            ).scalar_one()


async def test_a_draft_left_alone_expires_and_never_blocks_a_later_report(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    stranger = Person(app, "stranger")
    await report_death(stranger)
    await stranger.press("Nanti saja")
    await agree_privacy(Person(app, "officer"))
    officer = Person(app, "officer")
    await officer.say("/petugas")
    assert "Klaim (1)" in [o.label for o in officer.prompt().options]  # officers see the draft
    clock.advance(days=11, hours=1)
    await app.heartbeat()
    await deliver(app)
    assert any("belum dikirim ke petugas" in r.text for r in inbox.inbox["stranger"])
    clock.advance(days=3)
    await app.heartbeat()
    await deliver(app)
    assert any("ditutup karena belum dikirim" in r.text for r in inbox.inbox["stranger"])
    family = Person(app, "family")
    await report_death(family)
    assert any_text(family.last, "KLM-2026-000002") and not any_text(family.last, "digabungkan")
    async with app.sessions() as session:
        statuses = dict((await session.execute(select(Claim.id, Claim.status))).all())
    assert statuses == {1: "expired", 2: "documents"}


async def test_when_a_draft_expires_the_next_reporter_takes_it_over(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    stranger, family = Person(app, "stranger"), Person(app, "family")
    await report_death(stranger)
    await send_documents(stranger, inbox, JKM_DOCS[:2], salt="junk")
    await stranger.press("Nanti saja")
    await report_death(family)
    assert any_text(family.last, "digabungkan dengan klaim KLM-2026-000001")
    clock.advance(days=15)
    await app.heartbeat()
    await deliver(app)
    assert any("pelapor utama klaim KLM-2026-000001" in r.text for r in inbox.inbox["family"])
    await family.say("/klaim")
    await family.press("Lanjutkan #1")
    assert any_text(family.last, "⬜ Kartu peserta")  # the stranger's documents do not count for the family
    async with app.sessions() as session:
        claim = await session.get(Claim, 1)
        assert claim.status == "documents" and claim.reporter_name == "Yusnidar"
        assert await session.scalar(select(func.count()).select_from(ClaimReporter)) == 0


async def test_a_reporter_withdraws_and_the_sponsor_hears_nothing_changed(app: App, inbox, clock) -> None:
    sponsorship_id, asn = await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    family = Person(app, "family")
    await report_death(family)
    await send_documents(family, inbox, JKM_DOCS)
    await family.press("Kirim klaim")
    await family.say("/klaim")
    await family.press("Tarik #1")
    assert any_text(family.last, "Tarik laporan KLM-2026-000001?")
    await family.press("Tidak")
    assert any_text(family.last, "Laporan musibah dan klaim")
    await family.press("Tarik #1")
    await family.press("Ya, tarik")
    assert any_text(family.last, "sudah ditarik")
    await deliver(app)
    assert "ditarik oleh pelapornya" in inbox.inbox[asn][-1].text
    async with app.sessions() as session:
        assert (await session.get(Claim, 1)).status == "withdrawn"
        assert (await session.get(Sponsorship, sponsorship_id)).ended_at is None
        assert await session.scalar(select(func.count()).select_from(AuditEntry)
                                    .where(AuditEntry.action == "claim_report_withdrawn")) == 1


def _lane(address: str, lanes: int = 4) -> int:
    return zlib.crc32(f"console:{address}".encode()) % lanes


async def test_two_reports_of_one_death_at_the_same_moment_make_one_claim(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    first = "reporter-a"
    second = next(f"reporter-{n}" for n in range(100) if _lane(f"reporter-{n}") != _lane(first))
    people = [Person(app, first), Person(app, second)]
    for person in people:
        await report_death(person, confirm=False)
        assert any_text(person.last, "Periksa laporan musibah")
    await asyncio.gather(*(person.press("✅") for person in people))  # "Simpan" in the same instant
    async with app.sessions() as session:
        claims = (await session.execute(select(Claim).where(Claim.kind == "jkm"))).scalars().all()
        reporters = (await session.execute(select(ClaimReporter))).scalars().all()
    assert len(claims) == 1 and len(reporters) == 1
    assert all(any_text(person.last, "KLM-2026-000001") for person in people)


async def test_the_database_refuses_a_second_live_death_claim(app: App, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    await report_death(Person(app, "family"))
    async with app.sessions() as session:
        first = await session.get(Claim, 1)
        values = {c.key: getattr(first, c.key) for c in Claim.__table__.columns if c.key not in ("id", "reference")}
    with pytest.raises(IntegrityError):
        async with app.sessions() as session, session.begin():
            session.add(Claim(**values))
    async with app.sessions() as session, session.begin():  # a closed one does not count
        session.add(Claim(**{**values, "status": "rejected"}))


async def test_a_burst_of_photos_is_bounded_and_an_officer_gets_each_file_once(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    family = Person(app, "family")
    await report_death(family)
    await family.press("Akta kematian")
    for page in range(12):  # a burst of photos: ten pages, then each further one refused politely
        await family.upload(inbox, JPEG + f"page{page}".encode())
    assert any_text(family.last, "sudah punya 10 halaman") and not any_text(family.last, "Kirim satu per satu")
    await send_documents(family, inbox, tuple(d for d in JKM_DOCS if d != "Akta kematian"))
    await family.press("Kirim klaim")
    async with app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ClaimDocument)) == 16
    officer = Person(app, "officer")
    await agree_privacy(officer)
    await officer.send(Choice("!klm.open:1"))
    assert len([r for r in officer.last if r.extra.get("attachment")]) == 16
    assert any_text(officer.last, "Akta kematian: 10 halaman")
    await officer.send(Choice("!klm.open:1"))  # opened again: the list, not the files again
    assert [r for r in officer.last if r.extra.get("attachment")] == []
    assert any_text(officer.last, "tidak dikirim lagi")
    await officer.press("📎 Kirim ulang")
    assert len([r for r in officer.last if r.extra.get("attachment")]) == 16


async def test_files_per_person_per_day_are_bounded(app: App, inbox, clock) -> None:
    app.core.max_files_per_day = 3
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    family = Person(app, "family")
    await report_death(family)
    await send_documents(family, inbox, JKM_DOCS[:3])
    await family.press(JKM_DOCS[3])
    await family.upload(inbox, JPEG + b"fourth")
    assert any_text(family.last, "batas dalam 24 jam")
    clock.advance(days=1, minutes=1)
    await family.upload(inbox, JPEG + b"fourth")
    assert any_text(family.last, "Diterima")


async def test_a_wrong_death_is_reversed_even_after_payout_from_its_reference(app: App, inbox, clock) -> None:
    sponsorship_id, asn = await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    family = Person(app, "family")
    await report_death(family)
    await send_documents(family, inbox, JKM_DOCS)
    await family.press("Kirim klaim")
    officer = Person(app, "officer")
    await agree_privacy(officer)
    await accept_death(officer)
    await officer.send(Choice("!klm.fwd:1"))
    await officer.send(Choice("!klm.pay:1"))
    await officer.say("42 juta")
    await officer.press("Hari ini")
    await officer.press("✅")
    await officer.say("/klaim KLM-2026-000001")  # paid and out of the list: opened by its reference
    assert any_text(officer.last, "Tindakan untuk klaim ini")
    await officer.press("Batalkan kematian")
    await officer.say("Pekerja masih hidup; pembayaran ditarik kembali")
    await officer.press("✅")
    async with app.sessions() as session:
        assert (await session.get(Sponsorship, sponsorship_id)).ended_at is None
        assert (await session.get(Claim, 1)).death_confirmed_at is None


async def test_a_rejected_claim_whose_death_was_accepted_tells_the_sponsor_the_death_stands(app: App, inbox,
                                                                                             clock) -> None:
    _, asn = await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 9))
    family = Person(app, "family")
    await report_death(family)
    await send_documents(family, inbox, JKM_DOCS)
    await family.press("Kirim klaim")
    officer = Person(app, "officer")
    await agree_privacy(officer)
    await accept_death(officer)
    await deliver(app)
    condolences = next(r.text for r in inbox.inbox[asn] if "Turut berduka" in r.text)
    assert "belum dibayar sampai bulan kematian: Oktober–November 2026" in condolences  # what the sponsor owes
    await officer.send(Choice("!klm.rej:1"))
    await officer.say("Iuran tidak dibayar, BPJS menolak")
    await officer.press("✅")
    await deliver(app)
    assert "Kematian pekerja tetap tercatat" in inbox.inbox[asn][-1].text
    estimate = [r.text for r in inbox.inbox["family"] if "menerima laporan kematian" in r.text]
    assert estimate and "tidak terlindungi" in estimate[0]  # the heir reads the worker's own estimate


async def test_what_a_reporter_who_is_not_the_heir_learns_stays_minimal(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    neighbour = Person(app, "neighbour")
    await agree_privacy(neighbour)
    await neighbour.say("/klaim")
    await neighbour.press("Laporkan musibah")
    await neighbour.press("Setuju")
    await neighbour.press("Dengan NIK")
    await neighbour.say(NIK_MALE)
    await neighbour.press("S. R.")
    await neighbour.press("Meninggal, bkn kerja")
    await neighbour.say("1 januari 2025")
    assert any_text(neighbour.last, "sebelum pekerja terdaftar") and not any_text(neighbour.last, "program (")
    for answer in ("kemarin", "Di rumah", "Meninggal di rumah.", "Tetangga Baik"):
        await neighbour.say(answer)
    await neighbour.press("Lainnya")
    await neighbour.say("0813-1111-2222")
    await neighbour.press("Tidak")  # not the heir
    await neighbour.press("✅")
    await send_documents(neighbour, inbox, JKM_DOCS, salt="n")
    await neighbour.press("Kirim klaim")
    family = Person(app, "family")
    await report_death(family)  # joins as a further reporter
    officer = Person(app, "officer")
    await agree_privacy(officer)
    await accept_death(officer)
    await deliver(app)
    said = "\n".join(r.text for r in inbox.inbox["neighbour"])
    assert "Petugas akan memberi tahu perkiraan manfaatnya kepada ahli waris" in said
    assert "tercatat dibayar" not in said
    family_news = [r.text for r in inbox.inbox["family"]]
    assert family_news and all(text.startswith("Kabar laporan Anda KLM-2026-000001") for text in family_news)


async def test_a_family_joining_a_work_accident_death_hears_the_2x24_hours(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    first = Person(app, "first")
    await report_death(first)
    second = Person(app, "second")
    await agree_privacy(second)
    await second.say("/klaim")
    await second.press("Laporkan musibah")
    await second.press("Setuju")
    await second.press("Dengan NIK")
    await second.say(NIK_MALE)
    await second.press("S. R.")
    await second.press("Meninggal krn kerja")
    for answer in ("kemarin", "Di laut", "Perahu terbalik."):
        await second.say(answer)
    await second.press("Tidak")  # not a traffic accident
    await second.say("Rahmat")
    await second.press("Anak")
    await second.say("0813-1111-2222")
    await second.press("Ya")
    await second.press("✅")
    assert any_text(second.last, "digabungkan") and any_text(second.last, "2 × 24 jam")
