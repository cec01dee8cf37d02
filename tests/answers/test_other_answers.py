""""Lainnya" (handlers/answers/other.py): chosen as an OPD or an occupation, it asks what it is and stores it."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from db.models import Asn, Worker
from handlers.engine.types import Choice
from tests.people import Person, RecordingChannel, an_officer, any_text, deliver, start_registration
from tests.workers.steps import start_enrolment


async def test_lainnya_asks_what_it_is_and_stores_it(app: App, inbox: RecordingChannel) -> None:
    person = Person(app, "asn")
    await start_registration(person, opd="Lainnya")
    assert "Nama OPD" in person.last[-1].text
    await person.say("Badan Kesbangpol")
    await person.say("0812-3456-7890")
    assert "Badan Kesbangpol" in person.last[-1].text
    await person.press("✅")
    officer = await an_officer(app)
    await deliver(app)
    await officer.send(Choice(inbox.inbox["officer"][-1].options[0].id))
    await start_enrolment(person)
    await person.press("Benar")
    await person.press("Lainnya")
    assert "Pekerjaan apa" in person.last[-1].text
    await person.say("x")
    assert any_text(person.last, "3 sampai 80 karakter")
    await person.say("Penjahit")
    await person.say("pariaman tengah")
    await person.say("Taratak")
    await person.press("Lewati")
    await person.press("Tidak")
    assert "Penjahit" in person.last[-1].text
    await person.press("✅")
    async with app.sessions() as session:
        asn = (await session.execute(select(Asn))).scalar_one()
        worker = (await session.execute(select(Worker))).scalar_one()
    assert (asn.opd, asn.opd_other) == ("Lainnya", "Badan Kesbangpol")
    assert (worker.occupation, worker.occupation_other) == ("lainnya", "Penjahit")
