"""Officers decide on ASNs (handlers/officer/menu.py, decisions.py): approved once, rejected with a reason and a
confirmation, a cancelled rejection decides nothing, approvals typed by number on a text channel."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from db.models import Asn, AuditEntry
from handlers.engine.types import Choice
from tests.people import Person, RecordingChannel, an_officer, any_text, deliver, register_asn


async def test_asn_waits_for_an_officer_who_approves_once(app: App, inbox: RecordingChannel) -> None:
    person = Person(app, "asn")
    await register_asn(person)
    assert any_text(person.last, "menunggu persetujuan petugas")
    officer = await an_officer(app)
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


async def test_rejecting_an_asn_asks_a_reason_and_a_confirmation(app: App, inbox: RecordingChannel) -> None:
    person = Person(app, "asn")
    await register_asn(person)
    officer = await an_officer(app)
    await deliver(app)
    notice = inbox.inbox["officer"][-1]
    assert "/petugas → «ASN menunggu»" in notice.text
    await officer.send(Choice(notice.options[1].id))  # "Tolak"
    assert any_text(officer.last, "Alasan menolak pendaftaran Rahmat Hidayat")
    await officer.say("NIP tidak ada di SIASN daerah")
    assert "akan ditolak" in officer.last[-1].text and "NIP tidak ada di SIASN daerah" in officer.last[-1].text
    async with app.sessions() as session:
        assert (await session.execute(select(Asn.status))).scalar_one() == "pending"
    await officer.press("✅")
    assert any_text(officer.last, "Rahmat Hidayat ditolak")
    await deliver(app)
    told = inbox.inbox["asn"][-1].text
    assert "ditolak petugas" in told and "Alasan: NIP tidak ada di SIASN daerah" in told
    async with app.sessions() as session:
        assert (await session.execute(select(Asn.status))).scalar_one() == "rejected"
        audit = (await session.execute(select(AuditEntry).where(AuditEntry.action == "asn_reject"))).scalar_one()
    assert audit.details["reason"] == "NIP tidak ada di SIASN daerah"


async def test_cancelling_a_rejection_decides_nothing(app: App, inbox: RecordingChannel) -> None:
    await register_asn(Person(app, "asn"))
    officer = await an_officer(app)
    await officer.say("/petugas")
    await officer.press("ASN menunggu")
    await officer.press("Tolak #1")
    await officer.press("NIP tidak terdaftar")
    await officer.press("✖️")
    async with app.sessions() as session:
        assert (await session.execute(select(Asn.status))).scalar_one() == "pending"


async def test_an_officer_on_a_text_channel_approves_by_typing_numbers(app: App, inbox: RecordingChannel) -> None:
    await register_asn(Person(app, "asn"))
    officer = await an_officer(app)
    await officer.say("/petugas")
    await officer.say("1")  # "ASN menunggu"
    assert "Rahmat Hidayat" in officer.last[-1].text
    await officer.say("1")  # "Setujui #1", typed as on WhatsApp or in the terminal
    assert any_text(officer.last, "disetujui")
    assert "Tidak ada pendaftaran ASN yang menunggu" in officer.last[-1].text  # the list, now empty
    async with app.sessions() as session:
        assert (await session.execute(select(Asn.status))).scalar_one() == "approved"
