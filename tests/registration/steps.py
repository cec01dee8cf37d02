"""Registration steps on the console path, for any feature's tests: an ASN an officer has approved."""

from __future__ import annotations

from bot.app import App
from handlers.engine.types import Choice
from tests.people import NIP_PNS, Person, RecordingChannel, an_officer, any_text, deliver, register_asn


async def approved_asn(app: App, inbox: RecordingChannel, address: str = "asn") -> Person:
    """An ASN (Rahmat Hidayat, NIP_PNS) registered at `address` and approved by "officer" from the notification."""
    person = Person(app, address)
    await register_asn(person)
    officer = await an_officer(app)
    await deliver(app)
    notice = inbox.inbox["officer"][-1]
    assert "Rahmat Hidayat" in notice.text and NIP_PNS in notice.text  # officers see the full NIP
    await officer.send(Choice(notice.options[0].id))
    assert any_text(officer.last, "disetujui")
    await deliver(app)
    return person
