"""First contact (handlers/registration/start.py): nothing personal is asked before the privacy notice is agreed, the
notice is general, and a command sent first opens the notice, then what it asked for."""

from __future__ import annotations

from bot.app import App
from db.models import Asn
from tests.people import NIP_PNS, Person, any_text
from tests.records import count


async def test_nothing_personal_is_asked_before_consent(app: App) -> None:
    person = Person(app, "newcomer")
    await person.say("halo")
    assert any_text(person.last, "Pemberitahuan privasi")
    await person.press("Tidak setuju")
    assert any_text(person.last, "tidak menyimpan data")
    await person.say(NIP_PNS)  # still only the notice, nothing stored
    assert any_text(person.last, "Pemberitahuan privasi")
    assert await count(app, Asn) == 0


async def test_the_first_notice_is_general_and_the_asn_part_comes_with_registration(app) -> None:
    """Trial item 13 (first half): family, strangers and officers are not told "your NIP and OPD"."""
    person = Person(app, "family")
    await person.say("halo")
    notice = person.last[-1].text
    assert "Pemberitahuan privasi" in notice and "NIP" not in notice and "OPD" not in notice
    assert "Keluarga yang melaporkan musibah" in notice
    await person.press("Saya setuju")
    await person.press("Daftar sebagai ASN")
    assert any_text(person.last, "Yang dicatat: NIP (atau NI PPPK), nama, OPD dan nomor HP Anda")


async def test_klaim_as_the_first_message_opens_claims_after_the_notice(app: App, clock) -> None:
    stranger = Person(app, "new-person")
    await stranger.say("/klaim")
    assert any_text(stranger.last, "privasi") or any_text(stranger.last, "Privasi")
    await stranger.say("setuju")
    assert any_text(stranger.last, "Laporan musibah dan klaim")


async def test_petugas_before_the_notice_opens_it_then_the_officer_menu(app: App) -> None:
    officer = Person(app, "officer")
    await officer.say("/petugas")
    assert any_text(officer.last, "Pemberitahuan privasi")
    await officer.say("setuju")
    assert officer.last[-1].text.startswith("Menu petugas")
