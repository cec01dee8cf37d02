"""Following a claim from another chat, through the conversation core (handlers/claims/follow.py): the reporter's own
shared contact, a one-time code that expires, limits on references and codes, «Bukan saya», and bad input at
every step."""

from __future__ import annotations

from bot.app import App
from handlers.engine.types import Choice, Contact, Reply
from tests.claims.steps import REFERENCE, ask_to_follow, reporter_address, submit_death_claim
from tests.people import JPEG, SOMEONE_ELSE, Person, RecordingChannel, agree_privacy, any_text, deliver


def code_messages(inbox: RecordingChannel, address: str) -> list[Reply]:
    return [r for r in inbox.inbox[address] if "Ada yang ingin mengikuti klaim" in r.text]


async def ask_code_for_claim(person: Person) -> None:
    await agree_privacy(person)
    await ask_to_follow(person, REFERENCE)
    await person.press("Kirim kode saja")
    assert any_text(person.last, "kode 6 angka sudah dikirim")


async def press_on(person: Person, message: Reply, label: str) -> list[Reply]:
    """Press a button of a message the outbox delivered (a notification, not a reply)."""
    option = next(o for o in message.options if o.label == label)
    return await person.send(Choice(option.id, None))


async def test_the_reporters_own_shared_contact_moves_the_claim(app: App, inbox: RecordingChannel) -> None:
    await submit_death_claim(app, inbox)
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
    await submit_death_claim(app, inbox)
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
    family = (await submit_death_claim(app, inbox)).family
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
    await submit_death_claim(app, inbox)
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


async def test_following_a_claim_takes_the_code_its_refusal_offers(app: App, inbox: RecordingChannel) -> None:
    await submit_death_claim(app, inbox)
    newphone = Person(app, "newphone")
    await agree_privacy(newphone)
    await ask_to_follow(newphone, "KLM-2026-000001")
    await newphone.send(Contact(SOMEONE_ELSE, own=False))
    assert any_text(newphone.last, "kontak orang lain") and any_text(newphone.last, "«Kirim kode saja»")
    assert not any_text(newphone.last, "ketik")
    await newphone.press("Kirim kode saja")
    assert any_text(newphone.last, "kode")


async def test_claim_codes_are_limited_per_claim_and_wrong_codes_lock_it(app: App, inbox: RecordingChannel) -> None:
    await submit_death_claim(app, inbox)
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
    family = (await submit_death_claim(app, inbox)).family
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
