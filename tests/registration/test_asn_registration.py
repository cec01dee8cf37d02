"""ASN registration (handlers/registration/asn.py): a name typed in capitals keeps its degree, and the phone step
takes a shared contact or the typed number its refusal suggests."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from db.models import Asn
from handlers.engine.types import Contact
from tests.people import MALAYSIAN, SOMEONE_ELSE, Person, any_text, start_registration


async def test_a_name_in_capitals_keeps_its_degree(app: App) -> None:
    person = Person(app, "asn")
    await start_registration(person, name="DRS. BUDI SANTOSO, SE")
    await person.say("0812-3456-7890")
    assert "Drs. Budi Santoso, SE" in person.last[-1].text
    await person.press("✅")
    async with app.sessions() as session:
        assert (await session.execute(select(Asn.name))).scalar_one() == "Drs. Budi Santoso, SE"


async def test_a_phone_can_be_shared_as_a_contact(app: App) -> None:
    person = Person(app, "asn")
    await start_registration(person, name="Rahmat")
    await person.say("021 555 1234")
    assert any_text(person.last, "bukan nomor HP")
    await person.send(Contact("6281234567890"))
    assert "+6281234567890" in person.last[-1].text  # in full on their own summary (issue 8 point 5)


async def test_the_asns_phone_step_takes_the_typed_number_its_refusal_suggests(app: App) -> None:
    asn = Person(app, "asn")
    await start_registration(asn)
    await asn.send(Contact(SOMEONE_ELSE, own=False))
    assert any_text(asn.last, "kontak orang lain") and any_text(asn.last, "ketik nomor Anda")
    await asn.say("0812 3456 7890")
    assert any_text(asn.last, "Periksa data Anda")
    await asn.press("✏️")
    await asn.press("No. HP")
    await asn.send(Contact(MALAYSIAN))  # an own number abroad: "ketik nomor HP Indonesia"
    assert any_text(asn.last, "Mohon ketik nomor HP Indonesia")
    await asn.say("0812 3456 7890")
    assert any_text(asn.last, "Periksa data Anda")
