"""One NIP, one ASN (handlers/registration/nip_claims.py): a second account claiming a registered NIP is refused and
officers are told; only an officer moves an NIP to a new account, once."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from db.models import Asn, Chat
from handlers.engine.types import Choice, Contact
from tests.people import Person, any_text, deliver, start_registration
from tests.registration.steps import approved_asn


async def test_a_second_chat_claiming_the_same_nip_is_refused_and_officers_told(app: App, inbox) -> None:
    await approved_asn(app, inbox, "first")
    second = Person(app, "second")
    await start_registration(second)
    await second.say("0813 5555 6666")
    await second.press("✅")
    assert any_text(second.last, "tidak dapat didaftarkan dari akun ini")
    assert not any_text(second.last, "0812")  # nothing about who holds it
    assert "NIP" in second.last[-1].text  # asked again
    await deliver(app)
    assert any("mencoba mendaftar" in r.text for r in inbox.inbox["officer"])


async def test_a_stranger_cannot_move_an_nip_and_a_stale_move_is_refused(app: App, inbox) -> None:
    await approved_asn(app, inbox, "first")
    second = Person(app, "second")
    await start_registration(second)
    await second.send(Contact("0813 5555 6666"))  # the new phone, shared from the new account
    await second.press("✅")
    await deliver(app)
    assert "0813 5555 6666" not in inbox.inbox["officer"][-1].text  # stored and shown as +62...
    assert "+6281355556666 (kontak sendiri)" in inbox.inbox["officer"][-1].text
    move = next(o.id for o in inbox.inbox["officer"][-1].options if o.id.startswith("!nip.move:"))
    await second.send(Choice(move))  # the claimant presses a forged officer button
    assert any_text(second.last, "hanya untuk petugas")
    officer = Person(app, "officer")
    await officer.send(Choice(move))
    assert any_text(officer.last, "dipindahkan")
    await officer.send(Choice(move))
    assert any_text(officer.last, "tidak berlaku")
    async with app.sessions() as session:
        asn = (await session.execute(select(Asn))).scalar_one()
        chat = await session.get(Chat, asn.chat_id)
    assert (chat.address, asn.phone, asn.status) == ("second", "+6281355556666", "approved")
