"""A claim end to end over real HTTP, against the local Telegram Bot API stand-in on 127.0.0.1: a family reports a
death and sends documents on two days with a restart between, gets the reference; an officer asks for one more
document, the family sends it, the officer forwards it and records payout; the ASN is told at each step. Strangers
see only masked matches, are held to the lookup limit, and cannot read someone else's claim."""

from __future__ import annotations

import io
from datetime import date, datetime, timezone

import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.channels import telegram as telegram_channel
from db.models import AuditEntry, Claim, ClaimEvent
from db.rules.months import Month
from tests.chat_people import TgPerson, agree
from tests.claims.chat_steps import (find_worker_in_chat, open_claim, report_death_in_chat, send_documents_in_chat,
                                     start_on_telegram)
from tests.claims.steps import HEIR_PHONE, JKM_DOCS, WORKER_NAME, seed_worker
from tests.conftest import Clock
from tests.people import NIK_MALE

pytestmark = pytest.mark.standin_seed(telegram=21)


OFFICER, ASN, FAMILY, STRANGER = 9001, 700, 801, 802
JPEG = b"\xff\xd8\xff\xe0" + b"7" * 400


async def report_injury(family: TgPerson) -> None:
    """The family reports a work accident (the worker was hurt) and shares their own number."""
    await find_worker_in_chat(family)
    await family.press("Kecelakaan kerja", "Kapan")
    await family.say("kemarin", "Di mana")
    await family.say("Di laut", "Ceritakan")
    await family.say("Terjatuh dari perahu saat menarik jaring.", "lalu lintas")
    await family.press("Tidak", "Nama Anda")
    await family.say("Yusnidar", "hubungan Anda")
    await family.press("Istri / suami", "Nomor HP Anda")
    family.share_contact(HEIR_PHONE.lstrip("+"))
    await family.expect("Periksa laporan musibah")
    await family.press("Simpan", "lekas pulih")


async def test_a_death_claim_from_report_to_payout_over_telegram(db_url, tmp_path, telegram) -> None:
    clock = Clock(datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc))
    app = await start_on_telegram(db_url, tmp_path, telegram, clock)
    try:
        await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12), address_base=ASN,
                          channel="telegram")
        family, officer, asn = TgPerson(telegram, FAMILY), TgPerson(telegram, OFFICER), TgPerson(telegram, ASN)
        await agree(officer)
        await report_death_in_chat(family)
        await send_documents_in_chat(family, JKM_DOCS[:4])
        await family.press("Nanti saja", "tersimpan")
    finally:
        await app.stop()
    clock.advance(days=1)  # the next day, after a restart
    app = await start_on_telegram(db_url, tmp_path, telegram, clock)
    try:
        await family.say("/klaim", "dokumen belum lengkap")
        await family.press("Lanjutkan #1", "✅ Akta kematian")
        await send_documents_in_chat(family, JKM_DOCS[4:])
        submitted = await family.press("Kirim klaim", "Nomor klaim: KLM-2026-000001")
        assert "Cabang Padang Pariaman" in submitted["text"]
        received = await asn.expect("sedang memeriksa")  # a report, not yet a fact: nothing stops
        assert "KLM-2026-000001" in received["text"] and "berduka" not in received["text"]
        await officer.expect("Klaim baru KLM-2026-000001")

        await open_claim(officer)
        photos = [r for r in telegram.sent if r["method"] == "sendPhoto" and r["chat_id"] == OFFICER]
        assert len(photos) == 7  # the documents themselves, each view audited
        await officer.press("Terima kematian", "Tanggal meninggal menurut akta")
        await officer.press("Sesuai laporan", "Terima kematian ini")
        await officer.press("Simpan", "sudah diberi tahu")
        await asn.expect("Tagihan iurannya berhenti")
        await open_claim(officer)
        await officer.press("Minta dokumen", "Dokumen apa")
        await officer.press("Buku tabungan", "Catatan untuk keluarga")
        await officer.say("Foto buram, mohon difoto ulang", "Minta dokumen ini?")
        await officer.press("Simpan", "sudah diberi tahu")
        request = await family.expect("meminta dokumen tambahan: Buku tabungan")
        assert [label for label, _ in telegram.buttons(request)] == ["Kirim dokumen"]
        await asn.expect("meminta dokumen tambahan")
        await family.press("Kirim dokumen", "❗ Buku tabungan")
        await family.press("Buku tabungan", "Kirim foto atau PDF")
        telegram.push_photo(FAMILY, JPEG + b"sharper")
        await family.expect("kembali diperiksa")
        await asn.expect("sedang diperiksa petugas")

        await open_claim(officer)
        await officer.press("Teruskan ke BPJS", "sudah diberi tahu")
        await family.expect("diteruskan ke BPJS")
        await asn.expect("diteruskan ke BPJS")
        await open_claim(officer)
        await officer.press("Catat pembayaran", "Jumlah yang dibayarkan")
        await officer.say("Rp42.000.000", "Tanggal pembayaran")
        await officer.press("Hari ini", "Periksa pembayaran klaim")
        await officer.press("Simpan", "sudah diberi tahu")
        await family.expect("sudah dibayar Rp42.000.000 pada 23 November 2026")
        await asn.expect("sudah dibayar Rp42.000.000")

        async with app.sessions() as session:
            claim = (await session.execute(select(Claim))).scalar_one()
            assert claim.status == "paid" and claim.paid_amount == 42_000_000
            steps = [e.to_status for e in (await session.execute(select(ClaimEvent).order_by(ClaimEvent.id)))
                     .scalars()]
            assert steps == ["documents", "review", "review", "more_docs", "review", "forwarded", "paid"]
            views = await session.scalar(select(func.count()).select_from(AuditEntry)
                                         .where(AuditEntry.action == "claim_document_viewed"))
            assert views == 7 + 1  # each file sent to the officer once: 7, then the new one

        stranger = TgPerson(telegram, STRANGER)
        await agree(stranger)
        await stranger.say("/klaim KLM-2026-000001", "tidak berhak")
        await stranger.press("Laporkan musibah / klaim", "Laporan musibah dan klaim")
        await stranger.press("Laporkan musibah", "bersifat spesifik")
        await stranger.press("Setuju", "Cari dengan NIK")
        await stranger.press("Nama dan desa", "Ketik nama pekerja")
        await stranger.say("Syafrizal", "Desa/kelurahan")
        match = await stranger.say("Taratak", "Pekerja yang cocok")
        assert "S. R., Taratak, NIK 1377********0003" in match["text"]
        await stranger.press("Bukan salah satunya", "Cari dengan NIK")
        await stranger.press("Nama dan desa", "Ketik nama pekerja")
        for _ in range(4):  # one lookup so far; five an hour
            await stranger.say("Budi Santoso", "Desa/kelurahan")
            await stranger.say("Taratak", "Tidak ada pekerja terdaftar")
        await stranger.say("Budi Santoso", "Desa/kelurahan")
        await stranger.say("Taratak", "dibatasi")
        clock.advance(hours=1, minutes=1)
        await stranger.say("Taratak", "Tidak ada pekerja terdaftar")
    finally:
        await app.stop()
    # Nobody but officers ever saw the worker's full NIK on Telegram, nor the full name but officers and the sponsor.
    for record in telegram.sent:
        text = record.get("text") or ""
        if record.get("chat_id") != OFFICER:
            assert NIK_MALE not in text
            assert WORKER_NAME not in text or record.get("chat_id") == ASN



@pytest.mark.parametrize("telegram_refuses", [False, True], ids=["measured", "refused"])
async def test_an_officer_gets_every_document_a_very_tall_screenshot_as_a_file(
        db_url, tmp_path, telegram, monkeypatch: pytest.MonkeyPatch, telegram_refuses: bool) -> None:
    """A 1080 x 9500 screenshot of a receipt is no photo for Telegram (width + height over 10000): the bot sends it
    as a document, whether it measured it first or Telegram refused it (PHOTO_INVALID_DIMENSIONS)."""
    if telegram_refuses:  # a limit the bot does not know about: only Telegram's refusal tells
        monkeypatch.setattr(telegram_channel, "fits_telegram_photo", lambda path: True)
    buffer = io.BytesIO()
    Image.new("L", (1080, 9500), 255).save(buffer, "PNG")
    screenshot = buffer.getvalue()
    app = await start_on_telegram(db_url, tmp_path, telegram, Clock(datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc)))
    try:
        await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12), address_base=ASN,
                          channel="telegram")
        family, officer = TgPerson(telegram, FAMILY), TgPerson(telegram, OFFICER)
        await agree(officer)
        await report_injury(family)
        await send_documents_in_chat(family, ("Kartu peserta", "KTP pekerja", "Surat dokter"))
        await family.press("Kronologi", "Kirim foto atau PDF")
        telegram.push_document(FAMILY, screenshot, "Screenshot_20261121.png", "image/png")
        await family.expect("Diterima")
        await family.press("Kirim klaim", "Nomor klaim: KLM-2026-000001")
        await officer.expect("Klaim baru KLM-2026-000001")
        await open_claim(officer)
    finally:
        await app.stop()
    files = [r for r in telegram.messages_to(OFFICER) if r["method"] in ("sendPhoto", "sendDocument")]
    assert [r["method"] for r in files] == ["sendPhoto"] * 3 + ["sendDocument"]  # all four, in the list's order
    assert files[-1]["content"] == screenshot
    assert telegram.calls["sendPhoto"] == 3 + telegram_refuses  # refused once, then sent as a document
