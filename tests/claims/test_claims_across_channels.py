"""Claims on WhatsApp end to end, and one family on both channels, over real HTTP against the local Telegram Bot API
and WhatsApp Cloud API stand-ins in one App: a death reported and paid entirely on WhatsApp; a claim reported on
Telegram followed and finished on WhatsApp by its reference and the reporter's own number, or with a one-time code
sent to the Telegram chat; and someone with the right reference but another number learns nothing."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import App
from db.models import AuditEntry, Chat, Claim, ClaimEvent
from db.rules.months import Month
from tests.chat_people import TgPerson, WaPerson, agree
from tests.claims.chat_steps import PDF, open_claim, report_death_in_chat, send_documents_in_chat
from tests.claims.steps import JKM_DOCS, REFERENCE, WORKER_NAME, seed_worker
from tests.conftest import Clock
from tests.people import NIK_MALE
from tests.standins.apps import WHATSAPP_OFFICER as OFFICER
from tests.standins.apps import start_app, telegram_section, whatsapp_settings
from tests.standins.telegram import TelegramStandin
from tests.standins.whatsapp import WhatsAppStandin

pytestmark = pytest.mark.standin_seed(whatsapp=11, telegram=12)


ASN = 6281300000000  # the sponsoring ASN, on WhatsApp
REPORTER_PHONE = "6281298765432"  # the number the family gives in the report (their own)
OTHER_PHONE = "6285211112222"  # the same family member on a new phone
ATTACKER = "6285399998888"
FAMILY_TG = 801
JPEG = b"\xff\xd8\xff\xe0" + b"5" * 400


@pytest.fixture
async def app(db_url: str, tmp_path: Path, whatsapp: WhatsAppStandin, telegram: TelegramStandin):
    """One App on both channels, on a clock the test moves. An officer opening a claim gets every document as a
    message: the stand-in's pair rate is lifted (a pair-rate error is retried at a time on the app's clock, which
    stands still here; those retries are tested in tests/channels/whatsapp/test_outbox_over_whatsapp.py), and ten a
    second to one person keeps the test short."""
    whatsapp.pair_burst = 10_000
    clock = Clock(datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc))
    settings = whatsapp_settings(db_url, tmp_path, whatsapp, officers={"whatsapp": [OFFICER]},
                                 whatsapp={"per_person_per_second": 10.0},
                                 scheduler={"heartbeat_seconds": 3600}, telegram=telegram_section(telegram))
    app = await start_app(settings, clock=clock, whatsapp=whatsapp)
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12), address_base=ASN,
                      channel="whatsapp")
    yield app
    await app.stop()


async def claim_row(app: App) -> Claim:
    async with app.sessions() as session:
        return (await session.execute(select(Claim))).scalar_one()


async def officer_asks_for_savings_book(officer: WaPerson) -> None:
    await open_claim(officer)
    await officer.press("Minta dokumen", "Dokumen apa")
    await officer.press("Buku tabungan", "Catatan untuk keluarga")
    await officer.say("Foto buram, mohon difoto ulang", "Minta dokumen ini?")
    await officer.press("Simpan", "sudah diberi tahu")


async def officer_pays(officer: WaPerson) -> None:
    await open_claim(officer)
    await officer.press("Terima kematian", "Tanggal meninggal menurut akta")  # the certificate seen
    await officer.press("Sesuai laporan", "Terima kematian ini")
    await officer.press("Simpan", "sudah diberi tahu")
    await open_claim(officer)
    await officer.press("Teruskan ke BPJS", "sudah diberi tahu")
    await open_claim(officer)
    await officer.press("Catat pembayaran", "Jumlah yang dibayarkan")
    await officer.say("Rp42.000.000", "Tanggal pembayaran")
    await officer.press("Hari ini", "Periksa pembayaran klaim")
    await officer.press("Simpan", "sudah diberi tahu")


async def tg_report_and_submit(family: TgPerson, telegram: TelegramStandin) -> None:
    await report_death_in_chat(family)
    await send_documents_in_chat(family, JKM_DOCS)
    await family.press("Kirim klaim", f"Nomor klaim: {REFERENCE}")


async def follow_on_whatsapp(person: WaPerson, typed: str, expect: str) -> dict[str, Any]:
    await agree(person)
    await person.press("Laporkan musibah", "Laporan musibah dan klaim")
    await person.press("Status / ikuti klaim", "Ketik nomor klaim")
    return await person.say(typed, expect)


async def test_a_death_reported_and_paid_entirely_on_whatsapp(app: App, whatsapp: WhatsAppStandin) -> None:
    family, officer, asn = WaPerson(whatsapp, REPORTER_PHONE), WaPerson(whatsapp, OFFICER), WaPerson(whatsapp, str(ASN))
    await agree(officer)
    await report_death_in_chat(family)
    await send_documents_in_chat(family, JKM_DOCS, pdf_every_other=True)
    await family.press("Kirim klaim", f"Nomor klaim: {REFERENCE}")
    await officer.expect(f"Klaim baru {REFERENCE}")
    await asn.find(REFERENCE)
    await officer_asks_for_savings_book(officer)
    await family.expect("meminta dokumen tambahan: Buku tabungan")
    await family.press("Kirim dokumen", "❗ Buku tabungan")
    await family.press("Buku tabungan", "Kirim foto atau PDF")
    whatsapp.send_document(family.phone, PDF + b"sharper", "tabungan.pdf")
    await family.expect("kembali diperiksa")
    await officer_pays(officer)
    await family.expect("diteruskan ke BPJS")
    await family.expect("sudah dibayar Rp42.000.000")
    claim = await claim_row(app)
    assert claim.status == "paid" and claim.paid_amount == 42_000_000
    async with app.sessions() as session:
        chat = await session.get(Chat, claim.reporter_chat_id)
        assert (chat.channel, chat.address) == ("whatsapp", REPORTER_PHONE)
    assert not any(WORKER_NAME in text or NIK_MALE in text for text in family.texts())
    assert app.core.counters["errors"] == 0


async def test_reported_on_telegram_followed_on_whatsapp_by_reference_and_phone(
        app: App, whatsapp: WhatsAppStandin, telegram: TelegramStandin) -> None:
    """Half the documents sent on Telegram, the rest on WhatsApp; submitted, asked for one more, paid there."""
    on_telegram, officer = TgPerson(telegram, FAMILY_TG), WaPerson(whatsapp, OFFICER)
    await agree(officer)
    await report_death_in_chat(on_telegram)
    assert any(REFERENCE in text for text in on_telegram.texts())  # given with the saved report
    await send_documents_in_chat(on_telegram, JKM_DOCS[:4])
    await on_telegram.press("Nanti saja", "tersimpan")
    on_whatsapp = WaPerson(whatsapp, REPORTER_PHONE)  # the number given in the report
    followed = await follow_on_whatsapp(on_whatsapp, "klm 2026 1", "sekarang diikuti dari chat ini")  # as typed
    assert "Status: dokumen belum lengkap" in followed["text"] and "✅ Akta kematian" in followed["text"]
    moved = await on_telegram.expect("sekarang diikuti dari chat lain")
    assert "WhatsApp" in moved["text"] and "+62812*****432" in moved["text"]
    await send_documents_in_chat(on_whatsapp, JKM_DOCS[4:], pdf_every_other=True)
    await on_whatsapp.press("Kirim klaim", f"Nomor klaim: {REFERENCE}")
    await officer.expect(f"Klaim baru {REFERENCE}")
    # An officer asks for a document: the request, and the document, are WhatsApp's now.
    await officer_asks_for_savings_book(officer)
    await on_whatsapp.expect("meminta dokumen tambahan: Buku tabungan")
    await on_whatsapp.press("Kirim dokumen", "❗ Buku tabungan")
    await on_whatsapp.press("Buku tabungan", "Kirim foto atau PDF")
    whatsapp.send_image(on_whatsapp.phone, JPEG + b"sharper")
    await on_whatsapp.expect("kembali diperiksa")
    await officer_pays(officer)
    await on_whatsapp.expect("sudah dibayar Rp42.000.000")
    assert not any("meminta dokumen tambahan" in text for text in on_telegram.texts())
    # The Telegram chat can no longer act on the claim.
    await on_telegram.say("/klaim", "Laporan musibah dan klaim")
    assert "Lanjutkan" not in str(telegram.buttons(telegram.last_message(FAMILY_TG)["message"]))
    await on_telegram.say(f"/klaim {REFERENCE}", "tidak berhak")
    async with app.sessions() as session:
        notes = (await session.execute(select(ClaimEvent.note).where(ClaimEvent.note.like("reporter follows%"))))
        assert notes.scalars().all() == ["reporter follows from whatsapp (phone)"]
    assert (await claim_row(app)).status == "paid"
    assert app.core.counters["errors"] == 0


async def test_another_number_needs_the_code_sent_to_the_telegram_chat(
        app: App, whatsapp: WhatsAppStandin, telegram: TelegramStandin) -> None:
    on_telegram, officer = TgPerson(telegram, FAMILY_TG), WaPerson(whatsapp, OFFICER)
    await agree(officer)
    await tg_report_and_submit(on_telegram, telegram)
    await officer_asks_for_savings_book(officer)
    await on_telegram.expect("meminta dokumen tambahan")
    on_whatsapp = WaPerson(whatsapp, OTHER_PHONE)  # a new phone, a new number
    await follow_on_whatsapp(on_whatsapp, REFERENCE.lower(), "kode 6 angka sudah dikirim")
    message = await on_telegram.expect("Ada yang ingin mengikuti klaim")
    code = message["text"].split("Kodenya: ")[1][:6]
    whatsapp.send_image(on_whatsapp.phone, JPEG)  # a photo where the code was asked: no try spent
    await on_whatsapp.expect("kode 6 angka, diketik")
    await on_whatsapp.say("🙂", "Sisa percobaan: 4")
    followed = await on_whatsapp.say(f"{code[:3]} {code[3:]}", "sekarang diikuti dari chat ini")
    assert "❗ Buku tabungan" in followed["text"]  # the officer's request, right away
    moved = await on_telegram.expect("sekarang diikuti dari chat lain")
    assert "+62852*****222" in moved["text"]
    await on_whatsapp.press("Buku tabungan", "Kirim foto atau PDF")
    whatsapp.send_document(on_whatsapp.phone, PDF, "tabungan.pdf")
    await on_whatsapp.expect("kembali diperiksa")
    await officer_pays(officer)
    await on_whatsapp.expect("sudah dibayar Rp42.000.000")
    async with app.sessions() as session:
        methods = (await session.execute(select(AuditEntry.details).where(AuditEntry.action == "claim_followed")))
        assert [d["method"] for d in methods.scalars()] == ["code"]
    assert app.core.counters["errors"] == 0


async def test_the_right_reference_with_another_number_and_wrong_codes_learns_nothing(
        app: App, whatsapp: WhatsAppStandin, telegram: TelegramStandin) -> None:
    on_telegram = TgPerson(telegram, FAMILY_TG)
    await tg_report_and_submit(on_telegram, telegram)
    attacker = WaPerson(whatsapp, ATTACKER)
    await follow_on_whatsapp(attacker, REFERENCE, "kode 6 angka sudah dikirim")
    for left in (4, 3, 2, 1):
        await attacker.say("123456" if left % 2 else "000000", f"Sisa percobaan: {left}")
    await attacker.say("654321", "Terlalu banyak percobaan")
    # A reference that does not exist gets the very same words.
    await attacker.press("Laporkan musibah", "Laporan musibah dan klaim")
    await attacker.press("Status / ikuti klaim", "Ketik nomor klaim")
    wrong = await attacker.say("KLM-2026-000077", "kode 6 angka sudah dikirim")
    right = next(m for m in attacker.messages() if "kode 6 angka sudah dikirim" in m["text"])
    assert wrong["text"] == right["text"]
    await attacker.say("menu", "Menu utama")
    # Not a reference at all: a polite word and a second chance, nothing looked up.
    await attacker.press("Laporkan musibah", "Laporan musibah dan klaim")
    await attacker.press("Status / ikuti klaim", "Ketik nomor klaim")
    await attacker.say("🙂🙂", "Itu bukan nomor klaim")
    whatsapp.send_image(attacker.phone, JPEG)
    await attacker.expect("Itu bukan nomor klaim")
    whatsapp.send_text(attacker.phone, "K" * 5000)
    await attacker.expect("terlalu panjang")
    claim = await claim_row(app)
    async with app.sessions() as session:
        chat = await session.get(Chat, claim.reporter_chat_id)
    assert chat.channel == "telegram"  # still the reporter's
    await on_telegram.expect("Ada yang ingin mengikuti klaim")  # the reporter was warned of the attempt
    for text in attacker.texts():
        assert "S. R." not in text and "Meninggal" not in text and "diperiksa" not in text
        assert "+62812" not in text and "Telegram" not in text
    assert app.core.counters["errors"] == 0


async def test_reported_on_whatsapp_followed_on_telegram_by_the_shared_contact(
        app: App, whatsapp: WhatsAppStandin, telegram: TelegramStandin) -> None:
    on_whatsapp = WaPerson(whatsapp, REPORTER_PHONE)
    await report_death_in_chat(on_whatsapp)
    await send_documents_in_chat(on_whatsapp, JKM_DOCS, pdf_every_other=True)
    await on_whatsapp.press("Kirim klaim", f"Nomor klaim: {REFERENCE}")
    on_telegram = TgPerson(telegram, FAMILY_TG)
    await agree(on_telegram)
    await on_telegram.press("Laporkan musibah / klaim", "Laporan musibah dan klaim")
    await on_telegram.press("Status / ikuti klaim", "Ketik nomor klaim")
    await on_telegram.say("KLM-2026-000001", "Bagikan nomor saya")
    telegram.push_contact(FAMILY_TG, "+62 812 9876 5432", own=False)  # someone else's card
    await on_telegram.expect("kontak orang lain")
    telegram.push_contact(FAMILY_TG, "+6281298765432")  # their own, with Telegram's request_contact
    await on_telegram.expect("sekarang diikuti dari chat ini")
    moved = await on_whatsapp.expect("sekarang diikuti dari chat lain")
    assert "Telegram" in moved["text"] and "+62812*****432" in moved["text"]
    async with app.sessions() as session:
        chat = await session.get(Chat, (await claim_row(app)).reporter_chat_id)
    assert (chat.channel, chat.address) == ("telegram", str(FAMILY_TG))
    assert app.core.counters["errors"] == 0
