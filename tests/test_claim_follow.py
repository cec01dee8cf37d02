"""Following a claim from another chat, through the conversation core: the new chat's own shared contact (as on
Telegram), a one-time code that expires, the limit on references tried, and bad input at every step; and the ASN's
chat linking, which shares the one-time codes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.app import App
from db.models import Chat, Claim
from db.rules.months import Month
from handlers.engine.types import Contact
from tests.people import JPEG, NIP_PNS, Person, RecordingChannel, agree_privacy, any_text, register_asn
from tests.test_claims import JKM_DOCS, deliver, report_death, seed_worker, send_documents

REFERENCE = "KLM-2026-000001"


async def submitted_claim(app: App, inbox: RecordingChannel) -> Person:
    """A family member ("family", phone 0812-9876-5432 in the report) reports a death and submits it."""
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    family = Person(app, "family")
    await report_death(family)
    await send_documents(family, inbox, JKM_DOCS)
    await family.press("Kirim klaim")
    assert any_text(family.last, REFERENCE)
    return family


async def ask_to_follow(person: Person, typed: str) -> None:
    await person.say("/klaim")
    await person.press("Status / ikuti klaim")
    await person.say(typed)


async def reporter_address(app: App) -> str:
    async with app.sessions() as session:
        claim = (await session.execute(select(Claim))).scalar_one()
        chat = await session.get(Chat, claim.reporter_chat_id)
    return chat.address


async def test_the_reporters_own_shared_contact_moves_the_claim(app: App, inbox: RecordingChannel) -> None:
    await submitted_claim(app, inbox)
    newphone = Person(app, "newphone")
    await agree_privacy(newphone)
    await ask_to_follow(newphone, " klm-2026-000001 ")
    assert any_text(newphone.last, "Bagikan nomor saya")
    await newphone.say("0812 9876 5432")  # typed: vouches for nothing
    assert any_text(newphone.last, "tidak bisa dipastikan milik Anda")
    await newphone.send(Contact("+6281298765432", own=False))
    assert any_text(newphone.last, "kontak orang lain")
    await newphone.upload(inbox, JPEG)
    assert any_text(newphone.last, "tidak bisa dipastikan milik Anda")
    await newphone.send(Contact("6281298765432", own=True))
    assert any_text(newphone.last, "sekarang diikuti dari chat ini")
    assert any_text(newphone.last, "sedang diperiksa petugas")
    assert await reporter_address(app) == "newphone"
    await deliver(app)
    told = [reply.text for reply in inbox.inbox["family"] if "diikuti dari chat lain" in reply.text]
    assert len(told) == 1 and "+62812*****432" in told[0] and "terminal" in told[0]
    # The old chat sees the claim no more; the new one does.
    family = Person(app, "family")
    await family.say(f"/klaim {REFERENCE}")
    assert any_text(family.last, "tidak berhak")
    await newphone.say(f"/klaim {REFERENCE}")
    assert any_text(newphone.last, "sedang diperiksa petugas")


async def test_a_code_expires_and_references_tried_are_limited(app: App, inbox: RecordingChannel, clock) -> None:
    await submitted_claim(app, inbox)
    other = Person(app, "other")
    await agree_privacy(other)
    await ask_to_follow(other, REFERENCE)
    await other.press("Kirim kode saja")
    assert any_text(other.last, "kode 6 angka sudah dikirim")
    await deliver(app)
    message = next(r.text for r in inbox.inbox["family"] if "Ada yang ingin mengikuti klaim" in r.text)
    code = message.split("Kodenya: ")[1][:6]
    clock.advance(minutes=11)
    await other.say(code)
    assert any_text(other.last, "kedaluwarsa")
    for attempt in range(2, 6):  # five references an hour from one chat, and three codes ([program.codes])
        await ask_to_follow(other, f"KLM-2026-{attempt:06d}")
        await other.press("Kirim kode saja")
        assert any_text(other.last, "kode 6 angka sudah dikirim" if attempt <= 3 else "sudah meminta beberapa kode")
        await other.say("batal")
    await ask_to_follow(other, REFERENCE)
    assert any_text(other.last, "dibatasi") and any_text(other.last, "Ketik nomor klaim")
    assert await reporter_address(app) == "family"


async def test_bad_input_where_a_reference_is_asked_gets_a_second_chance(app: App, inbox: RecordingChannel) -> None:
    family = await submitted_claim(app, inbox)
    await family.say("/klaim")
    await family.press("Status / ikuti klaim")
    for typed in ("🙂🙂🙂", "KLM-2026", "nomor saya 123"):
        await family.say(typed)
        assert any_text(family.last, "Itu bukan nomor klaim") and any_text(family.last, "Ketik nomor klaim")
    await family.upload(inbox, JPEG)
    assert any_text(family.last, "Itu bukan nomor klaim")
    await family.say("x" * 5000)
    assert any_text(family.last, "terlalu panjang") and any_text(family.last, "Ketik nomor klaim")
    await family.say("klm 2026 000001")  # the reporter's own chat: the status, nothing moves
    assert any_text(family.last, "sedang diperiksa petugas") and not any_text(family.last, "diikuti")
    await family.say("KLM-2026-000001")
    assert any_text(family.last, "sedang diperiksa petugas")


async def test_a_photo_or_a_sticker_at_the_code_step_spends_no_try(app: App, inbox: RecordingChannel) -> None:
    await submitted_claim(app, inbox)
    other = Person(app, "other")
    await agree_privacy(other)
    await ask_to_follow(other, REFERENCE)
    await other.press("Kirim kode saja")
    for _ in range(6):
        await other.upload(inbox, JPEG, kind="sticker")
        assert any_text(other.last, "diketik sebagai pesan biasa")
    await deliver(app)
    message = next(r.text for r in inbox.inbox["family"] if "Ada yang ingin mengikuti klaim" in r.text)
    code = message.split("Kodenya: ")[1][:6]
    await other.say("000000" if code != "000000" else "111111")
    assert any_text(other.last, "Sisa percobaan: 4")
    await other.say(code)
    assert any_text(other.last, "sekarang diikuti dari chat ini")
    assert await reporter_address(app) == "other"


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
