"""A KTP birth date that differs from the NIK's is confirmed once and flagged; the NIK's date can still be kept."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.app import App
from db.models import Worker
from tests.consent.steps import consent_on_paper
from tests.people import Person, RecordingChannel
from tests.registration.steps import approved_asn
from tests.workers.steps import start_enrolment


async def test_a_ktp_birth_date_that_differs_from_the_nik_is_confirmed_once_and_flagged(
        app: App, inbox: RecordingChannel) -> None:
    asn = await approved_asn(app, inbox)
    await start_enrolment(asn)
    assert "Bila berbeda, ketik tanggal lahir yang benar" in asn.last[-1].text
    await asn.say("18-08-1975")
    assert "18 Agustus 1975 berbeda dengan angka tanggal lahir di NIK (17 Agustus 1975)" in asn.last[-1].text
    await asn.say("ya")  # use the KTP date
    await asn.press("Nelayan")
    await asn.say("pariaman tengah")
    await asn.say("Taratak")
    await asn.press("Lewati")
    await asn.press("Tidak")
    summary = asn.last[-1].text
    assert "18 Agustus 1975 (laki-laki) ⚠️ tanggal KTP" in summary  # the date, the derived sex and the flag
    await asn.press("✅")
    async with app.sessions() as session:
        worker = (await session.execute(select(Worker))).scalar_one()
    assert (worker.birth_date, worker.birth_date_differs) == (date(1975, 8, 18), True)
    await consent_on_paper(app, asn, worker.id)
    officer = Person(app, "officer")
    await officer.say("/petugas")
    await officer.press("Menunggu BPJS")
    assert "Tanggal lahir di KTP (18 Agustus 1975) berbeda dengan angka NIK" in officer.last[-1].text


async def test_the_nik_date_can_still_be_kept_after_typing_another(app: App, inbox: RecordingChannel) -> None:
    asn = await approved_asn(app, inbox)
    await start_enrolment(asn)
    await asn.say("18-08-1975")
    await asn.press("Tanggal NIK")
    assert "Pekerjaan" in asn.last[-1].text
    await asn.press("Nelayan")
    await asn.say("pariaman tengah")
    await asn.say("Taratak")
    await asn.press("Lewati")
    await asn.press("Tidak")
    assert "17 Agustus 1975 (laki-laki)" in asn.last[-1].text and "⚠️" not in asn.last[-1].text
