"""The officers' to-do list and help (handlers/officer/todos.py): "Menunggu BPJS" counts only workers an officer can
register, the pending ASN list shows the typed OPD, /bantuan lists the officers' commands."""

from __future__ import annotations

from sqlalchemy import select

from db.models import Worker
from handlers.engine.types import Choice
from tests.people import JPEG, Person, agree_privacy, an_officer, any_text
from tests.registration.steps import approved_asn
from tests.workers.steps import enrol


async def test_menunggu_bpjs_counts_only_workers_an_officer_can_register(app, inbox) -> None:
    """Trial item 7: a worker still waiting for their own consent is not in "Menunggu BPJS", as in Statistik."""
    asn = await approved_asn(app, inbox)
    await enrol(asn)
    officer = Person(app, "officer")
    await officer.say("/petugas")
    assert "Menunggu BPJS (0)" in [o.label for o in officer.last[-1].options]
    await officer.press("Statistik")
    assert any_text(officer.last, "menunggu BPJS: 0")
    await officer.say("/menu")
    async with app.sessions() as session:
        worker = (await session.execute(select(Worker))).scalar_one()
    await asn.send(Choice(f"!w.paper:{worker.id}"))
    await asn.upload(inbox, JPEG)
    await asn.press("✅")
    await officer.send(Choice(f"!cf.ok:{worker.id}"))  # a paper form counts once an officer accepts it
    await officer.say("/petugas")
    assert "Menunggu BPJS (1)" in [o.label for o in officer.last[-1].options]
    await officer.press("Statistik")
    assert any_text(officer.last, "menunggu BPJS: 1")


async def test_the_pending_asn_list_shows_the_typed_opd_and_help_lists_the_commands(app, inbox) -> None:
    """Trial items 23 and 24."""
    person = Person(app, "newasn")
    await agree_privacy(person)
    await person.say("/bantuan")
    assert any_text(person.last, "/klaim") and not any_text(person.last, "/petugas")
    await person.say("daftar")
    await person.say("199001012015031002")
    await person.say("Rina Marlina")
    await person.say("lainnya")
    await person.say("Dinas Pariwisata")
    await person.say("0812-3456-7000")
    await person.press("✅")
    officer = await an_officer(app)
    await officer.say("/bantuan")
    assert any_text(officer.last, "/petugas") and any_text(officer.last, "/tunggakan")
    await officer.say("/petugas")
    await officer.press("ASN menunggu")
    assert "Dinas Pariwisata (Lainnya)" in officer.last[-1].text
