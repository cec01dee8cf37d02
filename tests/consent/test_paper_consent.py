"""Consent on paper (handlers/consent/consent_form.py, consent_review.py): the blank form carries the notice, a real
photo or PDF of the signed form only, accepted by an officer."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.app import App
from db.models import StoredFile, Worker
from handlers.consent.consent_form import form_text, render_pdf
from handlers.engine.i18n import Translator
from handlers.engine.types import Choice
from tests.people import JPEG, Person, RecordingChannel, any_text, deliver
from tests.registration.steps import approved_asn
from tests.workers.steps import enrol


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


def test_the_blank_form_carries_the_notice_in_bahasa_indonesia(app: App) -> None:
    t = Translator(app.catalog, "id")
    paragraphs = form_text(t, program="TuWai KeTan", years=5)
    text = "\n".join(body for _, body in paragraphs)
    assert "FORMULIR PERSETUJUAN" in text and "TuWai KeTan" in text and "5 tahun" in text
    assert "Tanda tangan pekerja" in text and "Apakah Anda setuju?" not in text
    assert render_pdf(paragraphs).startswith(b"%PDF-")
