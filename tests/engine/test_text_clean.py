"""Invisible characters in what people type: removed once, for every flow, by handlers/engine/text_clean.py."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import App
from bot.channels.whatsapp_webhook import items_of
from db.models import Claim
from db.rules.months import Month
from handlers.engine.text_clean import clean_text
from tests.claims.steps import seed_worker
from tests.people import NIK_MALE, Person, agree_privacy, any_text

BIDI_AND_ZERO_WIDTH = ("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
                       "\u200b\u200c\u2060\ufeff")


@pytest.mark.parametrize(("typed", "clean"), [
    ("\u202eakaJ\u202c di laut", "akaJ di laut"),  # the tester's example: stored as typed, shown without reversal
    ("di\u200b laut\u2060 dekat\ufeff pantai", "di laut dekat pantai"),
    ("\u2066Pariaman\u2069\u200e \u200fPadang\u061c", "Pariaman Padang"),
    ("jatuh\x00 dari\x1b perahu\x7f", "jatuh dari perahu"),
    ("  di\tladang\n\nkebun\r\n sawit\u00a0\u3000 ", "di ladang kebun sawit"),
    ("soft\u00adhyphen", "softhyphen"),
    ("x\ud800y", "x\ufffdy"),  # a lone surrogate (no database takes it) is replaced, the rest kept
    ("Pantai Gandoriah 🌊🙏", "Pantai Gandoriah 🌊🙏"),
    ("keluarga 👨\u200d👩\u200d👧 dan 🏳️\u200d🌈", "keluarga 👨\u200d👩\u200d👧 dan 🏳️\u200d🌈"),  # ZWJ inside emoji
    ("dokter 👩🏽\u200d⚕️", "dokter 👩🏽\u200d⚕️"),  # after a skin tone, before a sign
    ("ka\u200dta \u200d🙂 🙂\u200d", "kata 🙂 🙂"),  # ZWJ anywhere else goes
    ("Jose\u0301", "José"),  # NFC
    ("\u200b\u202e\u200d", ""),
])
def test_clean_text(typed: str, clean: str) -> None:
    assert clean_text(typed) == clean


@given(st.text())
def test_clean_text_leaves_nothing_invisible_and_can_always_be_stored(typed: str) -> None:
    clean = clean_text(typed)
    clean.encode("utf-8")  # no lone surrogate
    assert clean == clean.strip() and "  " not in clean and clean == unicodedata.normalize("NFC", clean)
    assert not any(ch in BIDI_AND_ZERO_WIDTH for ch in clean)
    assert not any(unicodedata.category(ch) in ("Cc", "Cf") and ch != "\u200d" for ch in clean)
    assert clean_text(clean) == clean


async def _to_the_place_step(app: App) -> Person:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2027, 2))
    family = Person(app, "family")
    await agree_privacy(family)
    await family.press("Laporkan musibah")
    await family.press("Laporkan musibah")
    await family.press("Setuju")
    await family.press("Dengan NIK")
    await family.say(NIK_MALE)
    await family.press("S. R.")
    await family.press("Meninggal, bkn kerja")
    await family.say("kemarin")
    assert any_text(family.last, "Di mana terjadinya")
    return family


async def test_an_override_typed_at_the_claims_place_is_stored_clean(app: App, inbox, clock) -> None:
    family = await _to_the_place_step(app)
    await family.say("\u200b\u202e\u2066")  # only invisible characters: refused, asked again
    assert any_text(family.last, "hanya berisi tanda yang tidak terlihat")
    assert any_text(family.last, "Di mana terjadinya")
    await family.say("\u202eakaJ\u202c di laut")
    await family.say("Jatuh\u200b dari\u2060 perahu\u200f saat\u202d menjaring ikan.")
    await family.say("Yusnidar\u200b")
    await family.press("Istri / suami")
    await family.say("0812-9876-5432")
    await family.press("Ya")
    assert any_text(family.last, "akaJ di laut") and not any_text(family.last, "\u202e")  # the summary
    await family.press("✅")
    async with app.sessions() as session:
        claim = (await session.execute(select(Claim))).scalar_one()
    assert claim.place == "akaJ di laut"
    assert claim.description == "Jatuh dari perahu saat menjaring ikan."
    assert claim.reporter_name == "Yusnidar"


def test_a_whatsapp_profile_name_is_cleaned_before_it_is_stored() -> None:
    call = {"entry": [{"changes": [{"value": {
        "contacts": [{"wa_id": "6281234567890", "profile": {"name": "\u202eRahmat\u200b Hidayat (NIP 1985)\ud800"}}],
        "messages": [{"id": "wamid.1", "from": "6281234567890", "type": "text", "text": {"body": "halo"}}]}}]}]}
    [row] = items_of(call, datetime(2026, 11, 22, tzinfo=timezone.utc))
    assert row["name"] == "Rahmat Hidayat (NIP 1985)\ufffd"


async def test_a_forged_button_with_a_nul_is_refused_politely(app, clock) -> None:
    """A callback's data may carry control characters (a NUL, which PostgreSQL refuses in text): never an error."""
    from handlers.engine.types import Choice
    from tests.people import Person, agree_privacy

    person = Person(app, "forger")
    await agree_privacy(person)
    replies = await person.send(Choice("!asn.ok:\x00", None))
    assert replies and app.core.counters["errors"] == 0
