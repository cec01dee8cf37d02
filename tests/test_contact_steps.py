"""Every step that asks for a phone number or a contact: a refusal says only what that step takes, and doing what
it says is accepted."""

from __future__ import annotations

from datetime import date

from bot.app import App
from db.rules.months import Month
from handlers.engine.types import Contact
from tests.people import NIP_PNS, Person, RecordingChannel, agree_privacy, any_text
from tests.test_claim_follow import ask_to_follow, submitted_claim
from tests.test_claims import seed_worker
from tests.test_flows import approved_asn, deliver, enrol

SOMEONE_ELSE = "+6281377776666"
MALAYSIAN = "+60 12-345 6789"


async def consent_link(app: App, inbox: RecordingChannel) -> str:
    asn = await approved_asn(app, inbox)
    await enrol(asn)  # no worker phone on file: an officer confirms the number later
    await deliver(app)
    return inbox.inbox["asn"][-1].text.split("start=")[1].split()[0]


async def test_the_consent_link_never_suggests_typing_a_number(app: App, inbox: RecordingChannel) -> None:
    token = await consent_link(app, inbox)
    worker = Person(app, "worker")
    await worker.say(f"/start {token}")
    await worker.send(Contact(SOMEONE_ELSE, own=False))  # the tester's case: someone else's contact card
    assert any_text(worker.last, "kontak orang lain") and any_text(worker.last, "Bagikan nomor saya")
    assert not any_text(worker.last, "ketik")  # it used to say "atau ketik nomor Anda", which is refused here
    await worker.say("0813 7777 6666")  # typed anyway: still refused, and still says only the button
    assert any_text(worker.last, "Bagikan nomor saya") and not any_text(worker.last, "atau ketik")
    await worker.send(Contact("+6281377776666"))  # what it said: the button (their own contact)
    await worker.press("Saya setuju")
    assert any_text(worker.last, "Terima kasih")


async def test_an_own_number_that_is_not_indonesian_is_told_what_works(app: App, inbox: RecordingChannel) -> None:
    token = await consent_link(app, inbox)
    abroad = Person(app, "abroad")
    await abroad.say(f"/start {token}")
    await abroad.send(Contact(MALAYSIAN))  # their own account, on a Malaysian number
    assert any_text(abroad.last, "bukan nomor HP Indonesia") and not any_text(abroad.last, "ketik")
    assert any_text(abroad.last, "akun dengan nomor HP Indonesia") and any_text(abroad.last, "formulir")
    assert not any_text(abroad.last[-1:], "Bagikan nomor saya")  # not asked again for what cannot work
    worker = Person(app, "worker")  # what it said: the link from an account on their Indonesian number
    await worker.say(f"/start {token}")
    await worker.send(Contact("+6281377776666"))
    await worker.press("Saya setuju")
    assert any_text(worker.last, "Terima kasih")


async def test_the_asns_phone_step_takes_the_typed_number_its_refusal_suggests(app: App) -> None:
    asn = Person(app, "asn")
    await agree_privacy(asn)
    await asn.press("Daftar sebagai ASN")
    await asn.say(NIP_PNS)
    await asn.say("Rahmat Hidayat")
    await asn.press("Dinas Sosial")
    await asn.send(Contact(SOMEONE_ELSE, own=False))
    assert any_text(asn.last, "kontak orang lain") and any_text(asn.last, "ketik nomor Anda")
    await asn.say("0812 3456 7890")
    assert any_text(asn.last, "Periksa data Anda")
    await asn.press("✏️")
    await asn.press("No. HP")
    await asn.send(Contact(MALAYSIAN))  # an own number abroad: "ketik nomor HP Indonesia"
    assert any_text(asn.last, "Mohon ketik nomor HP Indonesia")
    await asn.say("0812 3456 7890")
    assert any_text(asn.last, "Periksa data Anda")


async def test_the_reporters_phone_step_takes_the_typed_number_its_refusal_suggests(app: App, inbox) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2027, 2))
    family = Person(app, "family")
    await agree_privacy(family)
    for label in ("Laporkan musibah", "Laporkan musibah", "Setuju", "Dengan NIK"):
        await family.press(label)
    await family.say("1377011708750003")
    await family.press("S. R.")
    await family.press("Meninggal, bkn kerja")
    for answer in ("kemarin", "Di rumah", "Sakit jantung pada malam hari.", "Yusnidar"):
        await family.say(answer)
    await family.press("Istri / suami")
    await family.send(Contact(MALAYSIAN, own=False))
    assert any_text(family.last, "Mohon ketik nomor HP Indonesia")
    await family.say("0812-9876-5432")
    assert any_text(family.last, "ahli waris")  # the next question: the number was taken


async def test_the_workers_phone_step_takes_what_its_refusal_suggests(app: App, inbox: RecordingChannel) -> None:
    asn = await approved_asn(app, inbox)
    await asn.say("/menu")
    await asn.press("Daftarkan pekerja")
    await asn.say("1377011708750003")
    await asn.say("Syafrizal")
    await asn.press("Benar")
    await asn.press("Nelayan")
    await asn.say("pariaman tengah")
    await asn.say("Taratak")
    await asn.send(Contact("+62 812 3456 7890", own=False))  # the ASN's own number, from a contact card
    assert any_text(asn.last, "Ketik nomor HP milik pekerja") and any_text(asn.last, "«Lewati»")
    await asn.press("Lewati")
    assert any_text(asn.last, "ahli waris")


async def test_following_a_claim_takes_the_code_its_refusal_offers(app: App, inbox: RecordingChannel) -> None:
    await submitted_claim(app, inbox)
    newphone = Person(app, "newphone")
    await agree_privacy(newphone)
    await ask_to_follow(newphone, "KLM-2026-000001")
    await newphone.send(Contact(SOMEONE_ELSE, own=False))
    assert any_text(newphone.last, "kontak orang lain") and any_text(newphone.last, "«Kirim kode saja»")
    assert not any_text(newphone.last, "ketik")
    await newphone.press("Kirim kode saja")
    assert any_text(newphone.last, "kode")
