"""A report is a claim, not a fact (issue 18 items 1-3, handlers/claims/death.py, after.py): nothing changes until an
officer accepts the death with its certificate seen; a wrong one is reversed, even after payout; a rejected
report says nothing changed; a deceased worker stays in sight of their sponsor."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select, update

from bot.app import App
from bot.cli.main import build_parser
from db import standing
from db.models import AuditEntry, Chat, Claim, ClaimDocument, Contribution, OutboxMessage, Sponsorship, Worker
from db.rules.months import Month
from db.standing import figures
from handlers.engine.types import Choice
from tests.chat_people import TgPerson, agree
from tests.claims.chat_steps import open_claim, report_death_as_other, send_documents_in_chat, start_on_telegram
from tests.claims.steps import JKM_DOCS, WORKER_NAME, accept_death, seed_worker, submit_death_claim
from tests.conftest import Clock
from tests.people import NIK_MALE, Person, RecordingChannel, an_officer, any_text, deliver

OFFICER, ASN, STRANGER, FAMILY, WORKER_CHAT = 9001, 700, 802, 801, 803


async def worker_consented_on_telegram(app: App, address: int) -> None:
    """The worker gave consent from their own Telegram chat: they hear what is said about them."""
    async with app.sessions() as session, session.begin():
        chat = Chat(channel="telegram", address=str(address), language="id", answers={}, version=0)
        session.add(chat)
        await session.flush()
        await session.execute(update(Worker).values(consent_chat_id=chat.id))


async def _due_months(app: App, sponsorship_id: int) -> list[Month]:
    async with app.sessions() as session:
        return list((await session.execute(select(Contribution.period).where(
            Contribution.sponsorship_id == sponsorship_id, Contribution.status == "due")
            .order_by(Contribution.period))).scalars())


@pytest.mark.standin_seed(telegram=18)
async def test_a_strangers_death_report_changes_nothing_and_its_rejection_says_so(db_url, tmp_path, telegram) -> None:
    clock = Clock(datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc))
    app = await start_on_telegram(db_url, tmp_path, telegram, clock)
    try:
        sponsorship_id, _ = await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 10),
                                              address_base=ASN, channel="telegram")
        await worker_consented_on_telegram(app, WORKER_CHAT)
        due_before = await _due_months(app, sponsorship_id)
        stranger, officer, asn = TgPerson(telegram, STRANGER), TgPerson(telegram, OFFICER), TgPerson(telegram, ASN)
        worker = TgPerson(telegram, WORKER_CHAT)
        await agree(officer)
        await report_death_as_other(stranger, name="Orang Asing")
        await send_documents_in_chat(stranger, JKM_DOCS, salt="junk")
        await stranger.press("Kirim klaim", "Nomor klaim: KLM-2026-000001")

        received = await asn.expect("Ada laporan tentang pekerja yang Anda jamin")
        assert "sedang memeriksa" in received["text"] and "tidak ada yang berubah" in received["text"]
        assert not any("berduka" in text or "berhenti" in text for text in asn.texts())
        async with app.sessions() as session:
            assert (await session.get(Sponsorship, sponsorship_id)).ended_at is None
        assert await _due_months(app, sponsorship_id) == due_before  # the ledger is untouched
        # The stranger learnt nothing more of the worker: not the heir, nor whether the sponsor has paid.
        seen = "\n".join(stranger.texts())
        assert "Y." not in seen and "+62812" not in seen  # no recorded heir
        assert "tercatat dibayar" not in seen and "menurut catatan kami" not in seen and "Aturan santunan" in seen

        await open_claim(officer)
        assert "Teruskan ke BPJS" not in [label for label, _ in telegram.buttons(telegram.last_message(OFFICER)
                                                                                  ["message"])]
        await officer.press("Tolak klaim", "Alasan penolakan")
        await officer.say("Laporan palsu, pekerja masih hidup", "Tolak klaim ini")
        await officer.press("Simpan", "sudah diberi tahu")
        rejected = await asn.expect("ditolak petugas")
        assert "Laporan palsu" in rejected["text"] and "Tidak ada yang berubah" in rejected["text"]
        await worker.expect("menolaknya")
        await stranger.expect("ditolak")

        await asn.say("/menu", "Menu utama")
        await asn.press("Pekerja saya", "Syafrizal Rahman")
        async with app.sessions() as session:
            assert (await session.get(Sponsorship, sponsorship_id)).ended_at is None
            counts = await figures(session, today=date(2026, 11, 22), rules=app.core.rules)
            assert counts["workers_no_sponsor"] == 0 and counts["workers_deceased"] == 0
        assert await _due_months(app, sponsorship_id) == due_before
    finally:
        await app.stop()


@pytest.mark.standin_seed(telegram=18)
async def test_a_death_is_accepted_with_its_certificate_and_a_wrong_one_reversed(app: App, inbox, clock) -> None:
    family, asn, sponsorship_id = await submit_death_claim(app, inbox, paid_through=Month(2026, 10))
    officer = await an_officer(app)
    async with app.sessions() as session, session.begin():  # the certificate's row is gone (a config change)
        certificate = (await session.execute(select(ClaimDocument).where(
            ClaimDocument.doc == "death_certificate"))).scalar_one()
        await session.execute(update(ClaimDocument).where(ClaimDocument.id == certificate.id)
                              .values(doc="marriage_book"))
    await officer.send(Choice("!klm.dead:1"))
    assert any_text(officer.last, "Akta kematian belum diterima")
    async with app.sessions() as session, session.begin():
        await session.execute(update(ClaimDocument).where(ClaimDocument.id == certificate.id)
                              .values(doc="death_certificate"))
    await officer.send(Choice("!klm.dead:1"))
    assert any_text(officer.last, "Tanggal meninggal menurut akta")
    await officer.say("20-11-2026")
    await officer.press("✅")
    await deliver(app)
    assert any("Turut berduka" in r.text for r in inbox.inbox[asn])
    async with app.sessions() as session:
        assert (await session.get(Sponsorship, sponsorship_id)).ended_at is not None
        claim = await session.get(Claim, 1)
        assert claim.death_confirmed_at is not None and claim.event_date == date(2026, 11, 20)
    assert await _due_months(app, sponsorship_id) == [Month(2026, 11)]  # later unpaid months went

    await officer.send(Choice("!klm.undo:1"))
    await officer.say("Pekerja masih hidup, akta palsu")
    await officer.press("✅")
    await deliver(app)
    assert any("dipulihkan" in r.text for r in inbox.inbox[asn])
    async with app.sessions() as session:
        assert (await session.get(Sponsorship, sponsorship_id)).ended_at is None
        claim = await session.get(Claim, 1)
        assert claim.death_confirmed_at is None and claim.status == "rejected"
        actions = set((await session.execute(select(AuditEntry.action))).scalars())
        assert {"claim_death_accepted", "claim_death_reversed"} <= actions
    assert await _due_months(app, sponsorship_id) == [Month(2026, 11)]
    clock.advance(days=20)  # 12 December: billed again, and December's reminder goes to the sponsor
    await app.heartbeat()
    assert await _due_months(app, sponsorship_id) == [Month(2026, 11), Month(2026, 12)]
    async with app.sessions() as session:
        keys = set((await session.execute(select(OutboxMessage.key))).scalars())
    assert any(key.startswith(f"reminder:{sponsorship_id}:202612") for key in keys), keys


@pytest.mark.standin_seed(telegram=18)
async def test_a_wrong_death_is_reversed_even_after_payout_from_its_reference(app: App, inbox, clock) -> None:
    family, asn, sponsorship_id = await submit_death_claim(app, inbox)
    officer = await an_officer(app)
    await accept_death(officer)
    await officer.send(Choice("!klm.fwd:1"))
    await officer.send(Choice("!klm.pay:1"))
    await officer.say("42 juta")
    await officer.press("Hari ini")
    await officer.press("✅")
    await officer.say("/klaim KLM-2026-000001")  # paid and out of the list: opened by its reference
    assert any_text(officer.last, "Tindakan untuk klaim ini")
    await officer.press("Batalkan kematian")
    await officer.say("Pekerja masih hidup; pembayaran ditarik kembali")
    await officer.press("✅")
    async with app.sessions() as session:
        assert (await session.get(Sponsorship, sponsorship_id)).ended_at is None
        assert (await session.get(Claim, 1)).death_confirmed_at is None


@pytest.mark.standin_seed(telegram=18)
async def test_a_rejected_claim_whose_death_was_accepted_tells_the_sponsor_the_death_stands(app: App, inbox,
                                                                                             clock) -> None:
    family, asn, _ = await submit_death_claim(app, inbox, paid_through=Month(2026, 9))
    officer = await an_officer(app)
    await accept_death(officer)
    await deliver(app)
    condolences = next(r.text for r in inbox.inbox[asn] if "Turut berduka" in r.text)
    assert "belum dibayar sampai bulan kematian: Oktober–November 2026" in condolences  # what the sponsor owes
    await officer.send(Choice("!klm.rej:1"))
    await officer.say("Iuran tidak dibayar, BPJS menolak")
    await officer.press("✅")
    await deliver(app)
    assert "Kematian pekerja tetap tercatat" in inbox.inbox[asn][-1].text
    estimate = [r.text for r in inbox.inbox["family"] if "menerima laporan kematian" in r.text]
    assert estimate and "tidak terlindungi" in estimate[0]  # the heir reads the worker's own estimate


async def test_a_deceased_worker_stays_in_sight_of_their_sponsor(app: App, inbox: RecordingChannel, clock,
                                                                  tmp_path) -> None:
    asn = (await submit_death_claim(app, inbox, paid_through=Month(2026, 11))).asn
    officer = await an_officer(app)
    await accept_death(officer)
    await deliver(app)
    asn_texts = [r.text for r in inbox.inbox[asn]]
    assert not any("(Rp0)" in text for text in asn_texts)  # nothing was prepaid: no refund line
    assert all(WORKER_NAME in text for text in asn_texts)  # the sponsor reads the name every time
    sponsor = Person(app, asn)
    await sponsor.say("/menu")
    await sponsor.press("Pekerja saya")
    assert any_text(sponsor.last, f"{WORKER_NAME}: meninggal dunia. Klaim KLM-2026-000001: diperiksa")
    async with app.sessions() as session:
        counts = await standing.status_counts(session, today=clock.now.date(), rules=app.core.rules)
    assert counts["deceased"] == 1 and counts["no_sponsor"] == 0
    out = tmp_path / "workers.csv"
    args = build_parser().parse_args(["export", "workers", "--format", "csv", "--output", str(out)])
    assert await args.func(app.settings, args) == 0
    exported = out.read_text(encoding="utf-8-sig")
    assert "meninggal dunia" in exported and "tanpa penjamin" not in exported
    await sponsor.say("/menu")
    await sponsor.press("Daftarkan pekerja")
    await sponsor.say(NIK_MALE)
    assert any_text(sponsor.last, "sudah meninggal dunia") and any_text(sponsor.last, "KLM-2026-000001")
    assert not any_text(sponsor.last, "penjamin lain")
