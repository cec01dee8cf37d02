"""Officers review a claim (handlers/claims/officer.py, decisions.py, planner.py): a document asked for, the payout
recorded, a claim acted on by typing, untouched claims in the daily digest."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from bot.app import App
from db.models import AuditEntry, Claim, ClaimEvent
from handlers.engine.types import Choice
from tests.claims.steps import accept_death, submit_death_claim
from tests.people import JPEG, NIK_MALE, Person, RecordingChannel, agree_privacy, an_officer, any_text, deliver


async def status_of_claim(app: App) -> str:
    async with app.sessions() as session:
        return (await session.execute(select(Claim.status))).scalar_one()


async def test_an_officer_asks_for_a_document_and_records_payout(app: App, inbox: RecordingChannel, clock) -> None:
    family, asn_address, _ = await submit_death_claim(app, inbox)
    officer = await an_officer(app)
    await officer.say("/petugas")
    await officer.press("Klaim (1)")
    assert any_text(officer.last, "KLM-2026-000001")
    await officer.press("Buka #1")
    attachments = [r for r in officer.last if r.extra.get("attachment")]
    assert len(attachments) == 7 and NIK_MALE in officer.text  # officers see the full record
    async with app.sessions() as session:
        views = await session.scalar(select(func.count()).select_from(AuditEntry)
                                     .where(AuditEntry.action == "claim_document_viewed"))
    assert views == 7
    await officer.press("Minta dokumen")
    await officer.press("Buku tabungan")
    await officer.say("Foto buram, mohon difoto ulang")
    await officer.press("✅")
    await deliver(app)
    request = inbox.inbox["family"][-1]
    assert "Buku tabungan" in request.text and request.options[0].label == "Kirim dokumen"
    assert "dokumen tambahan" in inbox.inbox[asn_address][-1].text
    await family.send(Choice(request.options[0].id))
    assert any_text(family.last, "❗ Buku tabungan")
    await family.press("Buku tabungan")
    await family.upload(inbox, JPEG + b"sharper")
    assert any_text(family.last, "kembali diperiksa")
    await officer.send(Choice("!klm.fwd:1"))
    assert any_text(officer.last, "tidak dapat dilakukan")  # a death goes to BPJS once accepted
    await accept_death(officer)
    await officer.send(Choice("!klm.fwd:1"))
    await officer.send(Choice("!klm.pay:1"))
    await officer.say("42 juta")
    await officer.say("28-11-2026")
    assert any_text(officer.last, "belum terjadi")  # a date in the future is refused
    await officer.press("Hari ini")
    await officer.press("✅")
    await deliver(app)
    assert "sudah dibayar Rp42.000.000 pada 22 November 2026" in inbox.inbox["family"][-1].text
    assert "sudah dibayar Rp42.000.000" in inbox.inbox[asn_address][-1].text
    async with app.sessions() as session:
        claim = (await session.execute(select(Claim))).scalar_one()
        assert (claim.status, claim.paid_amount, claim.paid_on) == ("paid", 42_000_000, date(2026, 11, 22))
        steps = [e.to_status for e in (await session.execute(select(ClaimEvent).order_by(ClaimEvent.id))).scalars()]
        assert steps == ["documents", "review", "more_docs", "review", "review", "forwarded", "paid"]
    stranger = Person(app, "stranger")
    await agree_privacy(stranger)
    await stranger.send(Choice("!klm.pay:1"))
    assert any_text(stranger.last, "petugas")  # refused and audited


async def test_an_officer_acts_on_a_claim_by_typing(app: App, inbox: RecordingChannel, clock) -> None:
    await submit_death_claim(app, inbox)
    await deliver(app)
    new_claim = next(r for r in inbox.inbox["officer"] if "Klaim baru" in r.text)
    assert "/petugas → «Klaim»" in new_claim.text  # reachable on a text channel, where buttons cannot be pressed
    officer = await an_officer(app)
    await officer.say("/petugas")
    await officer.say("klaim")
    assert any_text(officer.last, "KLM-2026-000001")  # the to-do list covers claims
    await officer.say("buka")
    assert any_text(officer.last, "Tindakan untuk klaim ini")
    await officer.say("2")  # "Minta dokumen", not "open claim #2"
    assert any_text(officer.last, "Dokumen apa yang perlu dikirim")
    await officer.say("/batal")
    await officer.say("/petugas")
    await officer.say("klaim")
    await officer.say("buka")
    await officer.say("terima kematian")
    await officer.say("sesuai laporan")
    await officer.say("simpan")
    await officer.say("buka")
    await officer.say("Teruskan ke BPJS")
    assert any_text(officer.last, "Tersimpan") and any_text(officer.last, "Klaim yang menunggu")  # back to the list
    assert await status_of_claim(app) == "forwarded"
    await officer.say("buka")
    await officer.say("catat pembayaran")
    await officer.say("42 juta")
    await officer.say("hari ini")
    await officer.say("simpan")
    assert await status_of_claim(app) == "paid"
    assert any_text(officer.last, "Tidak ada klaim yang menunggu")


async def test_an_officer_rejects_by_number_and_goes_back_by_word(app: App, inbox, clock) -> None:
    await submit_death_claim(app, inbox)
    officer = await an_officer(app)
    await officer.say("/petugas")
    await officer.say("klaim")
    await officer.say("buka")
    await officer.say("daftar klaim")
    assert any_text(officer.last, "Klaim yang menunggu")
    await officer.say("buka")
    await officer.say("3")  # before a death is accepted: accept, ask for a document, reject
    assert any_text(officer.last, "Alasan penolakan")
    await officer.say("Bukan peserta program")
    await officer.say("simpan")
    assert await status_of_claim(app) == "rejected"


async def test_untouched_claims_appear_in_the_daily_digest(app: App, inbox: RecordingChannel, clock) -> None:
    await submit_death_claim(app, inbox)
    await agree_privacy(Person(app, "officer"))
    await app.heartbeat()
    await deliver(app)
    assert not any("tidak disentuh" in r.text for r in inbox.inbox["officer"])
    clock.advance(days=4)
    await app.heartbeat()
    await deliver(app)
    digest = [r.text for r in inbox.inbox["officer"] if "tidak disentuh" in r.text]
    assert len(digest) == 1 and "KLM-2026-000001" in digest[0] and "4 hari" in digest[0]
