"""Linking a chat on the console path: it shares the one-time codes (five wrong tries end it, a code expires), the
codes' buttons do nothing from any chat but the one they were sent to, and config.toml's limits are the safe
defaults (handlers/registration/link.py, code_guard.py)."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from bot.config import load_settings
from db.models import Asn, AuditEntry, Chat
from handlers.engine.settings import CodeSettings
from handlers.engine.types import Choice
from tests.conftest import ROOT
from tests.people import NIP_PNS, Person, RecordingChannel, agree_privacy, any_text, deliver, register_asn


async def test_linking_an_asns_chat_shares_the_same_codes(app: App, inbox: RecordingChannel, clock) -> None:
    """handlers/registration/link.py on the shared one-time codes: five wrong tries end it, and a code expires."""
    asn = Person(app, "asn-home")
    await register_asn(asn)
    second = Person(app, "asn-second")
    await agree_privacy(second)
    await second.press("🔗 Hubungkan akun")
    await second.say(NIP_PNS)
    assert any_text(second.last, "kode 6 angka sudah dikirim")
    for left in (4, 3, 2, 1):
        await second.say("🙂")
        assert any_text(second.last, f"Sisa percobaan: {left}")
    await second.say("000000")
    assert any_text(second.last, "Terlalu banyak percobaan")
    await second.press("🔗 Hubungkan akun")
    await second.say(NIP_PNS)
    await deliver(app)
    code = [r.text for r in inbox.inbox["asn-home"] if "menghubungkan" in r.text][-1].split("Kodenya: ")[1][:6]
    clock.advance(minutes=10)
    await second.say(code)
    assert any_text(second.last, "kedaluwarsa")


async def test_the_buttons_work_only_from_the_chat_they_were_sent_to(app: App, inbox: RecordingChannel) -> None:
    asn = Person(app, "asn-home")
    await register_asn(asn)
    stranger = Person(app, "stranger")
    await agree_privacy(stranger)
    async with app.sessions() as session:
        asn_id = (await session.execute(select(Asn.id))).scalar_one()
        stranger_chat = (await session.execute(select(Chat.id).where(Chat.address == "stranger"))).scalar_one()
    for forged in (f"!lnk.ok:{stranger_chat}", f"!lnk.home:{stranger_chat}", f"!lnk.cut:{stranger_chat}"):
        await stranger.send(Choice(forged, None))
        assert any_text(stranger.last, "hanya berlaku di chat yang terdaftar")
    await stranger.send(Choice(f"!code.no:asn:{asn_id}", None))
    assert any_text(stranger.last, "sudah tidak berlaku")
    await stranger.send(Choice(f"!code.unlock:asn:{asn_id}", None))
    assert any_text(stranger.last, "hanya untuk petugas program")
    # The registered chat itself cannot link a chat that never typed the right code.
    await asn.send(Choice(f"!lnk.ok:{stranger_chat}", None))
    assert any_text(asn.last, "sudah tidak berlaku")
    async with app.sessions() as session:
        actions = set((await session.execute(select(AuditEntry.action))).scalars())
    assert "code_locked" not in actions and "link_confirmed" not in actions and "denied" in actions


def test_the_limits_in_config_toml_are_the_safe_defaults() -> None:
    codes = load_settings(ROOT / "config.toml").program.codes
    assert codes == CodeSettings()
    assert (codes.per_target_per_hour, codes.per_chat_per_hour, codes.wrong_before_lock) == (3, 3, 10)
