"""Only the real person, through the conversation core: names against the roster, display names, the worker's
own number, consent an officer checks, and the blank form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import App
from db.models import Asn, AuditEntry, Chat, RosterEntry, Worker
from handlers.answers.display_names import MAX_DISPLAY_NAME, clean_display_name
from handlers.consent.consent_form import form_text, render_pdf
from handlers.engine.i18n import Translator
from handlers.engine.types import Choice, Contact, Event, Text
from handlers.registration.identity import fold_name, names_match, roster_verifies
from tests.people import NIP_PNS, Person, RecordingChannel, agree_privacy, any_text, register_asn
from tests.test_flows import approved_asn, deliver, enrol


@pytest.mark.parametrize(("typed", "roster", "same"), [
    ("Dr. H. Rahmat  Hidayat, S.Pd., M.Si.", "Rahmat Hidayat", True),  # titles and degrees
    ("RAHMAT HIDAYAT", "rahmat hidayat", True),  # case
    ("Rahmat Hidayt", "Rahmat Hidayat", True),  # one typo
    ("Nur Aini", "Nuraini", True),  # spacing
    ("Siti Nur'aini", "Siti Nuraini", True),  # punctuation
    ("Rahmad Hidayt", "Rahmat Hidayat", False),  # two typos
    ("Budi Santoso", "Rahmat Hidayat", False),
    ("Dr.", "Rahmat Hidayat", False),
])
def test_names_are_compared_as_people_write_them(typed: str, roster: str, same: bool) -> None:
    assert names_match(typed, roster) is same


def test_a_roster_phone_is_matched_only_from_the_persons_own_contact() -> None:
    entry = RosterEntry(nip=NIP_PNS, name="Rahmat Hidayat", opd="X", phone="+6281234567890")
    assert roster_verifies(entry, name="Rahmat Hidayat", phone="+6281234567890", phone_shared=True)
    assert not roster_verifies(entry, name="Rahmat Hidayat", phone="+6281234567890", phone_shared=False)
    assert not roster_verifies(entry, name="Budi", phone="+6281234567890", phone_shared=True)
    assert not roster_verifies(None, name="Rahmat Hidayat", phone="+6281234567890", phone_shared=True)
    assert fold_name("Hj. Siti Rahma, S.E.") == "siti rahma"


@pytest.mark.parametrize(("raw", "clean"), [
    ("\u202eRahmat Hidayat (NIP 1)", "Rahmat Hidayat (NIP 1)"),
    ("Rah\u200bmat\u2066 Hid\u2069ayat\u202c", "Rahmat Hidayat"),
    ("a\ud800b", "a\ufffdb"),
    ("Line\nbreak\x00", "Line break"),
    ("\u200d\u200e", None),
    ("x" * 500, "x" * MAX_DISPLAY_NAME),
    ("Nurhayati 🌸", "Nurhayati 🌸"),
])
def test_display_names_lose_what_could_spoof(raw: str, clean: str | None) -> None:
    assert clean_display_name(raw) == clean


@given(st.text())
def test_a_clean_display_name_can_always_be_stored(raw: str) -> None:
    name = clean_display_name(raw)
    if name is not None:
        name.encode("utf-8")  # no lone surrogate left
        assert len(name) <= MAX_DISPLAY_NAME and name == name.strip()
        assert not any(ch in name for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b")


async def test_a_lone_surrogate_name_does_not_break_the_chat(app: App) -> None:
    for index, text in enumerate(("/start", "/menu")):
        event = Event("console", "surrogate", f"e{index}", Text(text), clean_display_name("Rahmat\ud83d"))
        assert any("Pemberitahuan privasi" in r.text for r in await app.handle_event(event) or [])
    async with app.sessions() as session:
        chat = (await session.execute(select(Chat).where(Chat.address == "surrogate"))).scalar_one()
    assert chat.display_name == "Rahmat\ufffd"


async def test_the_asns_own_number_is_refused_as_the_workers_and_the_heirs(app: App, inbox) -> None:
    asn = await approved_asn(app, inbox)
    await asn.say("/menu")
    await asn.press("Daftarkan pekerja")
    for answer in ("1377011708750003", "Syafrizal"):
        await asn.say(answer)
    await asn.press("Benar")
    await asn.press("Nelayan")
    await asn.say("pariaman tengah")
    await asn.say("Taratak")
    prompt = asn.last[-1]
    assert "Nomor HP pekerja" in prompt.text and "contact_label" not in prompt.extra
    await asn.send(Contact("+62 812 3456 7890"))  # the ASN's own (shared from their own account)
    assert any_text(asn.last, "nomor Anda sendiri")
    await asn.say("0813 1111 2222")
    await asn.press("Ya")
    await asn.say("Nurhayati")
    await asn.press("Istri")
    await asn.say("0812-3456-7890")
    assert any_text(asn.last, "nomor Anda sendiri") and "ahli waris" in asn.last[-1].text


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


async def test_a_stranger_cannot_move_an_nip_and_a_stale_move_is_refused(app: App, inbox) -> None:
    await approved_asn(app, inbox, "first")
    second = Person(app, "second")
    await agree_privacy(second)
    await second.press("Daftar sebagai ASN")
    for answer in (NIP_PNS, "Rahmat Hidayat"):
        await second.say(answer)
    await second.press("Dinas Sosial")
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


async def test_a_pending_stranger_gives_way_only_to_a_verified_registration(app: App, inbox) -> None:
    async with app.sessions() as session, session.begin():
        session.add(RosterEntry(nip=NIP_PNS, name="Rahmat Hidayat", opd="Dinas Sosial"))
    await register_asn(Person(app, "stranger"), name="Budi Santoso")
    other = Person(app, "other")
    await register_asn(other, name="Joko Widodo")  # also not the roster's name: refused, officers told
    assert any_text(other.last, "tidak dapat didaftarkan dari akun ini")
    real = Person(app, "real")
    await register_asn(real)
    assert any_text(real.last, "langsung disetujui")
    async with app.sessions() as session:
        asns = (await session.execute(select(Asn.name, Asn.status))).all()
    assert asns == [("Rahmat Hidayat", "approved")]


def test_the_blank_form_carries_the_notice_in_bahasa_indonesia(app: App) -> None:
    t = Translator(app.catalog, "id")
    paragraphs = form_text(t, program="TuWai KeTan", years=5)
    text = "\n".join(body for _, body in paragraphs)
    assert "FORMULIR PERSETUJUAN" in text and "TuWai KeTan" in text and "5 tahun" in text
    assert "Tanda tangan pekerja" in text and "Apakah Anda setuju?" not in text
    assert render_pdf(paragraphs).startswith(b"%PDF-")
