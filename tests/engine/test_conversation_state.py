"""Where a person is in a conversation survives what people do: old buttons and double taps, the same event twice,
a restart, the menu in the middle of a form (the draft is kept, "Lanjutkan isian" only when worth it)."""

from __future__ import annotations

from bot.app import App
from bot.config import Settings
from db.models import RosterEntry, Worker
from handlers.engine.types import Choice, Text
from tests.conftest import Clock
from tests.people import NIK_MALE, NIP_PNS, Person, RecordingChannel, any_text, register_asn
from tests.records import count
from tests.registration.steps import approved_asn
from tests.workers.steps import enrol


async def test_buttons_from_old_messages_and_double_confirm(app: App, inbox: RecordingChannel) -> None:
    asn = await approved_asn(app, inbox)
    await enrol(asn)
    confirm = next(r for r in reversed(asn.replies) if any(o.id == "confirm" for o in r.options))
    await asn.send(Choice("confirm", confirm.token))  # the same button pressed again
    assert any_text(asn.last, "sudah tidak berlaku")
    assert await count(app, Worker) == 1


async def test_the_same_event_twice_is_processed_once(app: App) -> None:
    person = Person(app, "dup")
    first = await person.send(Text("/start"), event_id="u42")
    assert first
    assert await person.send(Text("/start"), event_id="u42") == []


async def test_a_restart_continues_at_the_same_step(settings: Settings, clock: Clock) -> None:
    first = App(settings, clock=clock)
    await first.prepare()
    async with first.sessions() as session, session.begin():
        session.add(RosterEntry(nip=NIP_PNS, name="Rahmat Hidayat", opd="Dinas Sosial"))
    person = Person(first, "asn")
    await register_asn(person)
    await person.press("Daftarkan pekerja")
    await person.say(NIK_MALE)
    await person.say("Syafrizal")
    await first.stop()

    second = App(settings, clock=clock)
    await second.prepare()
    person.app = second
    await person.press("Benar")  # the button from before the restart still works
    assert "Pekerjaan" in person.last[-1].text
    await person.press("Petani")
    assert "Kecamatan" in person.last[-1].text
    await second.stop()


async def test_menu_in_the_middle_keeps_the_draft(app: App, inbox: RecordingChannel) -> None:
    asn = await approved_asn(app, inbox)
    await asn.say("/menu")
    await asn.press("Daftarkan pekerja")
    await asn.say(NIK_MALE)
    await asn.say("/menu")
    await asn.press("Lanjutkan isian")
    assert "Nama lengkap pekerja" in asn.last[-1].text
    await asn.say("/batal")
    assert any_text(asn.last, "Dibatalkan")
    assert not any(o.label == "Lanjutkan isian" for o in asn.last[-1].options)


async def test_lanjutkan_isian_only_when_a_form_was_really_left_unfinished(app, inbox, clock) -> None:
    asn = await approved_asn(app, inbox)
    await asn.say("/menu")
    await asn.press("Pekerja saya")
    await asn.say("/menu")  # a list, not a form
    assert "Lanjutkan isian" not in [o.label for o in asn.last[-1].options]
    await asn.press("Daftarkan pekerja")
    await asn.say("/menu")  # a form with nothing entered yet
    assert "Lanjutkan isian" not in [o.label for o in asn.last[-1].options]
    await asn.press("Daftarkan pekerja")
    await asn.say(NIK_MALE)
    await asn.say("/menu")  # something entered: worth continuing
    assert "Lanjutkan isian" in [o.label for o in asn.last[-1].options]
    officer = Person(app, "officer")  # agreed to the notice in approved_asn()
    await officer.say("/petugas")
    await officer.say("/menu")
    assert "Lanjutkan isian" not in [o.label for o in officer.last[-1].options]
