"""The document checklist (handlers/claims/docs.py): bad files refused, pages of a document and a photo replaced, a
draft ready to send, a burst of photos and a day's files bounded."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from bot.app import App
from db.models import ClaimDocument, StoredFile
from db.rules.months import Month
from handlers.engine.types import Choice
from tests.claims.steps import JKM_DOCS, PDF, report_death, seed_worker, send_documents, start_report
from tests.people import JPEG, Person, RecordingChannel, agree_privacy, an_officer, any_text


async def test_bad_files_and_a_second_report_of_the_same_death(app: App, inbox: RecordingChannel, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    family = Person(app, "family")
    await report_death(family)
    await family.press("Akta kematian")
    await family.upload(inbox, b"0" * 100, kind="sticker")
    assert any_text(family.last, "bukan stiker")
    await family.upload(inbox, b"<html><body>not a pdf</body></html>", kind="document")
    assert any_text(family.last, "bukan foto (JPG/PNG) atau PDF")
    await family.upload(inbox, b"%PDF-" + b"x" * (2 * 1024 * 1024), kind="document")
    assert any_text(family.last, "terlalu besar")
    await family.upload(inbox, PDF, kind="document")
    assert any_text(family.last, "Diterima: Akta kematian")
    await family.press("Kartu Keluarga")
    await family.upload(inbox, PDF, kind="document")  # the same file again
    assert any_text(family.last, "sudah diterima sebelumnya (Akta kematian)")
    async with app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(StoredFile)) == 1
    neighbour = Person(app, "neighbour")
    await start_report(neighbour)
    await neighbour.press("Meninggal, bkn kerja")  # never refused: the report joins the first one's claim
    assert any_text(neighbour.last, "sudah pernah dilaporkan orang lain")


async def test_several_pages_of_a_document_and_a_wrong_photo_replaced(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    family = Person(app, "family")
    await report_death(family)
    await family.press("KTP pekerja")
    await family.upload(inbox, JPEG + b"front")
    assert any_text(family.last, "Diterima: KTP pekerja") and any_text(family.last, "halaman berikutnya")
    await family.upload(inbox, JPEG + b"back")  # the second page, sent straight after
    assert any_text(family.last, "Diterima: KTP pekerja") and any_text(family.last, "KTP pekerja (2 halaman)")
    await family.say("ktp pekerja")  # still among the choices
    assert any_text(family.last, "Kirim foto atau PDF: KTP pekerja")
    await family.say("ganti yang terkirim")
    assert any_text(family.last, "dihapus")
    await family.upload(inbox, JPEG + b"right one")
    assert any_text(family.last, "Diterima: KTP pekerja") and not any_text(family.last, "2 halaman")
    async with app.sessions() as session:
        docs = (await session.execute(select(ClaimDocument.doc))).scalars().all()
    assert docs == ["ktp_worker"]
    await family.press("Kartu Keluarga")
    await family.upload(inbox, JPEG + b"front")  # the deleted photo may be sent again, as another document
    assert any_text(family.last, "Diterima: Kartu Keluarga")


async def test_a_draft_with_its_documents_and_a_second_report_of_the_death(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    family = Person(app, "family")
    await report_death(family)
    await send_documents(family, inbox, JKM_DOCS)
    await family.press("Nanti saja")
    await family.say("/klaim")
    assert any_text(family.last, "dokumen wajib lengkap, klaim belum dikirim")
    assert not any_text(family.last, "dokumen belum lengkap")
    await family.press("Lanjutkan")
    await family.press("Kirim klaim")
    for person in (family, Person(app, "neighbour")):
        if person is not family:
            await agree_privacy(person)
        await start_report(person, newcomer=False)
        await person.say("meninggal bukan karena kerja")
        if person is family:  # their own report: its status, and the menu
            assert any_text(person.last, "sudah pernah melaporkan") and any_text(person.last, "KLM-2026-000001")
            assert "Laporkan musibah / klaim" in [o.label for o in person.prompt().options]
        else:  # someone else's: never refused, and nothing of that claim is shown
            assert any_text(person.last, "sudah pernah dilaporkan orang lain")
            assert not any_text(person.last, "KLM-2026-000001") and any_text(person.last, "Kapan terjadinya")


@pytest.mark.standin_seed(telegram=18)
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
    officer = await an_officer(app)
    await officer.send(Choice("!klm.open:1"))
    assert len([r for r in officer.last if r.extra.get("attachment")]) == 16
    assert any_text(officer.last, "Akta kematian: 10 halaman")
    await officer.send(Choice("!klm.open:1"))  # opened again: the list, not the files again
    assert [r for r in officer.last if r.extra.get("attachment")] == []
    assert any_text(officer.last, "tidak dikirim lagi")
    await officer.press("📎 Kirim ulang")
    assert len([r for r in officer.last if r.extra.get("attachment")]) == 16


@pytest.mark.standin_seed(telegram=18)
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
