"""Issue 18.5 on the console path: following a claim from another chat has the same limits as linking an ASN's
chat (codes per claim, wrong codes from all chats lock it, «Bukan saya»), and the buttons of the codes' messages
do nothing from any chat but the one they were sent to."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from bot.config import load_settings
from db.models import Asn, AuditEntry, Chat
from handlers.engine.settings import CodeSettings
from handlers.engine.types import Choice, Reply
from tests.conftest import ROOT
from tests.people import Person, RecordingChannel, agree_privacy, any_text, register_asn
from tests.test_claim_follow import REFERENCE, ask_to_follow, reporter_address, submitted_claim
from tests.test_claims import deliver


def code_messages(inbox: RecordingChannel, address: str) -> list[Reply]:
    return [r for r in inbox.inbox[address] if "Ada yang ingin mengikuti klaim" in r.text]


async def press_on(person: Person, message: Reply, label: str) -> list[Reply]:
    """Press a button of a message the outbox delivered (a notification, not a reply)."""
    option = next(o for o in message.options if o.label == label)
    return await person.send(Choice(option.id, None))


async def ask_code_for_claim(person: Person) -> None:
    await agree_privacy(person)
    await ask_to_follow(person, REFERENCE)
    await person.press("Kirim kode saja")
    assert any_text(person.last, "kode 6 angka sudah dikirim")


async def test_claim_codes_are_limited_per_claim_and_wrong_codes_lock_it(app: App, inbox: RecordingChannel) -> None:
    await submitted_claim(app, inbox)
    others = [Person(app, f"other-{n}") for n in range(12)]
    for other in others:
        await ask_code_for_claim(other)  # the same words for all twelve
    await deliver(app)
    sent = code_messages(inbox, "family")
    assert len(sent) == 3 and [o.label for o in sent[0].options] == ["Ini saya", "Bukan saya"]
    for other in others[:10]:
        await other.say("000000")
        assert any_text(other.last, "Sisa percobaan: 4")
    await deliver(app)
    assert any("Kode dikunci: klaim KLM-2026-000001" in r.text for r in inbox.inbox["officer"])
    assert any("mengikuti klaim Anda dari chat lain" in r.text for r in inbox.inbox["family"])
    newest = sent[-1].text.split("Kodenya: ")[1][:6]
    await others[2].say(newest)  # the newest code, by the chat it was meant for: locked
    assert any_text(others[2].last, "Sisa percobaan: 3")
    assert await reporter_address(app) == "family"


async def test_the_reporters_not_me_revokes_a_claim_code(app: App, inbox: RecordingChannel) -> None:
    family = await submitted_claim(app, inbox)
    other = Person(app, "other")
    await ask_code_for_claim(other)
    await deliver(app)
    message = code_messages(inbox, "family")[-1]
    await press_on(family, message, "Bukan saya")
    assert any_text(family.last, "petugas sudah diberi tahu")
    await other.say(message.text.split("Kodenya: ")[1][:6])
    assert any_text(other.last, "Sisa percobaan: 4")
    assert await reporter_address(app) == "family"
    await deliver(app)
    assert any("Kode dikunci: klaim KLM-2026-000001" in r.text and "«Bukan saya»" in r.text
               for r in inbox.inbox["officer"])


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
