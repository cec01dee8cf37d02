"""Names that channels report (a Telegram first name, a WhatsApp profile name) lose what could spoof, and can always
be stored (handlers/answers/display_names.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import App
from db.models import Chat
from handlers.answers.display_names import MAX_DISPLAY_NAME, clean_display_name
from handlers.engine.types import Event, Text


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
