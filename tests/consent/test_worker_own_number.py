"""Consent comes from the worker's own number: the link asks for their own contact (never a typed number), a number
abroad is told what works, and a consent that cannot be checked waits for an officer."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from db.models import AuditEntry, Worker
from handlers.engine.types import Contact
from tests.consent.steps import consent_by_link
from tests.people import MALAYSIAN, SOMEONE_ELSE, Person, RecordingChannel, any_text, deliver
from tests.registration.steps import approved_asn
from tests.workers.steps import enrol


async def consent_link(app: App, inbox: RecordingChannel) -> str:
    asn = await approved_asn(app, inbox)
    await enrol(asn)  # no worker phone on file: an officer confirms the number later
    await deliver(app)
    return inbox.inbox["asn"][-1].text.split("start=")[1].split()[0]


async def test_the_consent_link_never_suggests_typing_a_number(app: App, inbox: RecordingChannel) -> None:
    token = await consent_link(app, inbox)
    worker = Person(app, "worker")
    await worker.say(f"/start {token}")
    await worker.send(Contact(SOMEONE_ELSE, own=False))  # the tester's case: someone else's contact card
    assert any_text(worker.last, "kontak orang lain") and any_text(worker.last, "Bagikan nomor saya")
    assert not any_text(worker.last, "ketik")  # it used to say "atau ketik nomor Anda", which is refused here
    await worker.say("0813 7777 6666")  # typed anyway: still refused, and still says only the button
    assert any_text(worker.last, "Bagikan nomor saya") and not any_text(worker.last, "atau ketik")
    await worker.send(Contact("+6281377776666"))  # what it said: the button (their own contact)
    await worker.press("Saya setuju")
    assert any_text(worker.last, "Terima kasih")


async def test_an_own_number_that_is_not_indonesian_is_told_what_works(app: App, inbox: RecordingChannel) -> None:
    token = await consent_link(app, inbox)
    abroad = Person(app, "abroad")
    await abroad.say(f"/start {token}")
    await abroad.send(Contact(MALAYSIAN))  # their own account, on a Malaysian number
    assert any_text(abroad.last, "bukan nomor HP Indonesia") and not any_text(abroad.last, "ketik")
    assert any_text(abroad.last, "akun dengan nomor HP Indonesia") and any_text(abroad.last, "formulir")
    assert not any_text(abroad.last[-1:], "Bagikan nomor saya")  # not asked again for what cannot work
    worker = Person(app, "worker")  # what it said: the link from an account on their Indonesian number
    await consent_by_link(worker, token, "+6281377776666")
    assert any_text(worker.last, "Terima kasih")


async def test_unverified_consent_waits_in_the_officers_list_and_a_rejection_reaches_the_asn(
        app: App, inbox: RecordingChannel) -> None:
    asn = await approved_asn(app, inbox)
    await enrol(asn)  # no worker phone
    await deliver(app)
    token = inbox.inbox["asn"][-1].text.split("start=")[1].split()[0]
    worker = Person(app, "worker")
    await worker.say(f"/start {token}")
    await worker.send(Contact("+6281377776666", own=False))  # someone else's contact
    assert any_text(worker.last, "kontak orang lain")
    await worker.say("0813 7777 6666")  # typed: cannot be confirmed as theirs
    assert any_text(worker.last, "Bagikan nomor saya")
    await worker.send(Contact("+6281377776666"))
    await worker.press("Saya setuju")
    assert any_text(worker.last, "petugas akan memastikannya")
    await asn.say("/menu")
    await asn.press("Pekerja saya")
    assert any_text(asn.last, "sedang diperiksa petugas")
    officer = Person(app, "officer")
    await officer.say("/petugas")
    await officer.press("Cek persetujuan (1)")
    assert any_text(officer.last, "+6281377776666") and any_text(officer.last, "1377011708750003")
    await officer.press("Tolak #1")
    await officer.say("Nomor bukan milik pekerja")
    await officer.press("✅")
    assert any_text(officer.last, "ditolak")
    await deliver(app)
    assert "Nomor bukan milik pekerja" in inbox.inbox["asn"][-1].text
    async with app.sessions() as session:
        row = (await session.execute(select(Worker))).scalar_one()
        actions = (await session.execute(select(AuditEntry.action, AuditEntry.target))).all()
        notices = (await session.execute(select(AuditEntry).where(
            AuditEntry.action == "view", AuditEntry.actor == "console:officer"))).scalars().all()
    assert (row.consent_at, row.consent_review, row.consent_phone) == (None, None, None)
    assert ("view", "worker:1") in actions and ("consent_rejected", "worker:1") in actions
    # The notice that showed the officers the NIK and the shared number counts as a view too.
    assert ["nik", "phone"] in [n.details["fields"] for n in notices if n.details.get("via") == "notice"]
    await asn.say("/menu")
    await asn.press("Pekerja saya")
    await asn.press("Link baru")  # after a rejection the ASN can ask again
    assert any_text(asn.last, "Tautan baru")
