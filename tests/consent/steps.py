"""Consent steps on the console path: the link the ASN was sent, opened by the worker, and a paper form an officer
accepts."""

from __future__ import annotations

from bot.app import App
from handlers.engine.types import Choice, Contact
from tests.people import JPEG, Person, RecordingChannel, any_text


def consent_token(inbox: RecordingChannel, address: str = "asn") -> str:
    """The payload of the first consent link delivered to the ASN at `address` ("c_..."), as /start takes it."""
    return next(r.text for r in inbox.inbox[address] if "start=c_" in r.text).split("start=", 1)[1].split()[0]


async def consent_by_link(worker: Person, token: str, phone: str) -> None:
    """The worker opens the consent link (`token`, from consent_token) in their own chat, shares their own number
    (`phone`) as the link asks, and agrees."""
    await worker.say(f"/start {token}")
    await worker.send(Contact(phone))
    await worker.press("Saya setuju")


async def consent_on_paper(app: App, asn: Person, worker_id: int) -> None:
    """The ASN sends a photo of the signed form; it counts once an officer accepts it (the identity issue)."""
    await asn.send(Choice(f"!w.paper:{worker_id}"))
    await asn.upload(app.channels["console"], JPEG)
    await asn.press("✅")
    officer = Person(app, "officer")
    await officer.send(Choice(f"!cf.ok:{worker_id}"))
    assert any_text(officer.last, "diterima")
