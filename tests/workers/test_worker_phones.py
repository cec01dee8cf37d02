"""The worker's and the heir's phone steps: the ASN's own number is refused there, and a refusal says what is taken."""

from __future__ import annotations

from bot.app import App
from handlers.engine.types import Contact
from tests.people import RecordingChannel, any_text
from tests.registration.steps import approved_asn
from tests.workers.steps import start_enrolment


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


async def test_the_workers_phone_step_takes_what_its_refusal_suggests(app: App, inbox: RecordingChannel) -> None:
    asn = await approved_asn(app, inbox)
    await start_enrolment(asn, "1377011708750003")
    await asn.press("Benar")
    await asn.press("Nelayan")
    await asn.say("pariaman tengah")
    await asn.say("Taratak")
    await asn.send(Contact("+62 812 3456 7890", own=False))  # the ASN's own number, from a contact card
    assert any_text(asn.last, "Ketik nomor HP milik pekerja") and any_text(asn.last, "«Lewati»")
    await asn.press("Lewati")
    assert any_text(asn.last, "ahli waris")
