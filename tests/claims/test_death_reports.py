"""Reporting a death (handlers/claims/report.py, find_worker.py) as a family or the sponsor: a reference, dates asked
again, the worker found and changed, claim types typed in words, the reporter's phone step."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from bot.app import App
from db.models import Claim, ClaimDocument, ClaimEvent, Contribution, Sponsorship, Worker
from db.rules.months import Month
from handlers.engine.choices import match_options
from handlers.engine.i18n import Translator
from handlers.engine.types import Contact
from tests.claims.steps import (JKM_DOCS, WORKER_NAME, accept_death, report_death, seed_worker, send_documents,
                                start_report)
from tests.people import (MALAYSIAN, NIK_FEMALE, NIK_MALE, Person, RecordingChannel, agree_privacy, an_officer,
                          any_text, deliver)


async def test_a_family_reports_a_death_and_gets_a_reference(app: App, inbox: RecordingChannel, clock) -> None:
    sponsorship_id, asn = await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2027, 2))
    family = Person(app, "family")
    await report_death(family)
    # The family reads the rules in general terms (nothing of this worker's own payments yet), and the checklist.
    assert any_text(family.last, "Aturan santunan") and any_text(family.last, "perkiraan")
    assert not any_text(family.last, "tercatat dibayar")
    assert any_text(family.last, "Kartu peserta (KPJ)")  # the checklist from config
    await send_documents(family, inbox, JKM_DOCS[:3])
    await family.press("Nanti saja")  # comes back another day: nothing is lost
    clock.advance(days=2)
    await family.say("/klaim")
    await family.press("Lanjutkan")
    assert any_text(family.last, "✅ KTP ahli waris") and not any_text(family.last, "Kirim klaim")
    await send_documents(family, inbox, JKM_DOCS[3:], salt="day2")
    await family.press("Kirim klaim")
    assert any_text(family.last, "KLM-2026-000001")
    async with app.sessions() as session:
        claim = (await session.execute(select(Claim))).scalar_one()
        assert claim.status == "review" and claim.reference == "KLM-2026-000001" and claim.estimate == 42_000_000
        history = [(e.from_status, e.to_status) for e in (await session.execute(select(ClaimEvent))).scalars()]
        assert history == [(None, "documents"), ("documents", "review")]
        assert await session.scalar(select(func.count()).select_from(ClaimDocument)) == 7
        assert (await session.get(Sponsorship, sponsorship_id)).ended_at is None  # a report is not a fact
    await deliver(app)
    asn_texts = "\n".join(r.text for r in inbox.inbox[asn])
    assert "KLM-2026-000001" in asn_texts and "sedang memeriksa" in asn_texts and "berduka" not in asn_texts
    assert NIK_MALE not in asn_texts and f"Anda jamin ({WORKER_NAME})" in asn_texts  # the sponsor knows the name
    officer = await an_officer(app)
    await accept_death(officer)
    async with app.sessions() as session:
        assert (await session.get(Sponsorship, sponsorship_id)).ended_at is not None  # billing and reminders stop
        left = (await session.execute(select(Contribution.period, Contribution.status).where(
            Contribution.sponsorship_id == sponsorship_id, Contribution.period > Month(2026, 11)))).all()
        assert {status for _, status in left} == {"paid"}  # unpaid later months are gone, prepaid ones stay
    await deliver(app)
    asn_texts = "\n".join(r.text for r in inbox.inbox[asn])
    assert "Desember 2026, Januari 2027, Februari 2027" in asn_texts  # prepaid months listed for refund
    assert "Turut berduka" in asn_texts
    officer_texts = "\n".join(r.text for r in inbox.inbox["officer"])
    assert "Klaim baru KLM-2026-000001" in officer_texts and "dikembalikan" in officer_texts
    estimate = "\n".join(r.text for r in inbox.inbox["family"] if "Perkiraan manfaat" in r.text)
    assert "Rp42.000.000" in estimate and "Juni–November 2026" in estimate  # now their own worker's estimate


async def test_dates_in_the_future_or_before_enrolment_are_asked_again(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    family = Person(app, "family")
    await agree_privacy(family)
    await family.say("/klaim")
    await family.press("Laporkan musibah")
    await family.press("Setuju")
    await family.press("Dengan NIK")
    await family.say("1377 0117 0875 0003")  # a NIK with spaces
    await family.press("S. R.")
    await family.press("Kecelakaan kerja")
    await family.say("besok")
    assert any_text(family.last, "belum terjadi")
    await family.say("5 mei 2025")
    assert any_text(family.last, "sebelum pekerja terdaftar")
    await family.say("17 november")
    assert any_text(family.last, "Di mana")
    await family.say("Di laut")
    await family.say("Terjatuh dari perahu saat menarik jaring. " * 3)
    await family.press("Ya")  # a traffic accident: asked about the police report, which is then required
    await family.press("Ya")
    await family.say("Yusnidar")
    assert "Saya sendiri" in [o.label for o in family.prompt().options]  # the injured worker may report
    await family.press("Istri / suami")
    await family.say("0812-9876-5432")
    assert any_text(family.last, "Periksa laporan") and not any_text(family.last, "ahli waris")  # not a death
    await family.press("✅")
    assert any_text(family.last, "tanpa batas biaya") and any_text(family.last, "Segera laporkan hari ini")
    assert any_text(family.last, "lekas pulih") and not any_text(family.last, "berduka")  # an injury
    assert any_text(family.last, "Cabang Padang Pariaman")
    assert "Laporan polisi" in [o.label for o in family.prompt().options]
    assert any_text(family.last, "⬜ Laporan polisi\n")  # required, not "(bila ada)"


async def test_the_worker_can_be_changed_at_the_summary(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12), address_base=100_500,
                      nik=NIK_FEMALE, name="Syafrizal Yanti")
    family = Person(app, "family")
    await start_report(family)
    await family.press("Meninggal, bkn kerja")
    for answer in ("kemarin", "Di rumah", "Sakit.", "Yusnidar"):
        await family.say(answer)
    await family.press("Istri / suami")
    await family.say("0812-9876-5432")
    await family.press("Ya")
    assert any_text(family.last, "Pekerja: S. R., Taratak")
    await family.press("✏️ Ubah")
    await family.press("Pekerja")
    await family.press("Dengan NIK")
    await family.say(NIK_FEMALE)
    await family.press("S. Y.")
    await family.press("Meninggal, bkn kerja")
    await family.say("kemarin")
    assert any_text(family.last, "Pekerja: S. Y., Taratak, NIK 1377********0011")
    assert any_text(family.last, "Tempat: Di rumah")  # the rest is kept
    await family.press("✅")
    async with app.sessions() as session:
        worker = await session.get(Worker, (await session.execute(select(Claim))).scalar_one().worker_id)
    assert worker.nik == NIK_FEMALE


async def test_a_name_matching_several_workers_and_the_sponsor_picking_their_own(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    _, second_asn = await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12),
                                      address_base=100_500, nik=NIK_FEMALE, name="Syafrizal Yanti")
    family = Person(app, "family")
    await agree_privacy(family)
    await family.say("/klaim")
    await family.press("Laporkan musibah")
    await family.press("Setuju")
    await family.press("Nama dan desa")
    await family.say("Syafrizal")
    await family.say("taratak")
    assert any_text(family.last, "1. S. R., Taratak") and any_text(family.last, "2. S. Y., Taratak")
    await family.press("S. Y.")
    assert any_text(family.last, "Apa yang terjadi")
    sponsor = Person(app, second_asn)
    await sponsor.say("/klaim")
    await sponsor.press("Laporkan musibah")
    await sponsor.press("Setuju")
    assert [o.label for o in sponsor.prompt().options][0] == "Pekerja: Syafrizal"  # their own, no search
    await sponsor.press("Pekerja: Syafrizal")
    await sponsor.press("Meninggal krn kerja")
    await sponsor.say("kemarin")
    await sponsor.say("Di laut")
    await sponsor.say("Perahu terbalik saat melaut.")
    await sponsor.press("Tidak")
    await sponsor.press("Penjamin (ASN)")  # their name and phone are known from their registration
    await sponsor.press("Tidak")
    await sponsor.press("✅")
    assert any_text(sponsor.last, "Rp70.000.000") and any_text(sponsor.last, "Beasiswa")
    assert any_text(sponsor.last, "paling lambat 23 November 2026")  # within 2 x 24 hours: report by then
    assert not any_text(sponsor.last, "pengobatan")  # a death: nothing about treatment


async def test_the_sponsor_reports_with_what_they_registered(app: App, inbox, clock) -> None:
    _, asn = await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    sponsor = Person(app, asn)
    await sponsor.say("/klaim")
    await sponsor.press("Laporkan musibah")
    await sponsor.press("Setuju")
    await sponsor.press("Pekerja: Syafrizal")
    await sponsor.say("meninggal bukan karena kerja")
    for answer in ("kemarin", "Di rumah", "Sakit jantung."):
        await sponsor.say(answer)
    assert [o.label for o in sponsor.prompt().options][0] == "Penjamin (ASN)"  # not asked for name and phone
    await sponsor.say("penjamin")
    assert any_text(sponsor.last, "Apakah Anda ahli warisnya")
    await sponsor.say("tidak")
    assert any_text(sponsor.last, "Pelapor: ASN 0") and any_text(sponsor.last, "Hubungan: Penjamin (ASN)")
    await sponsor.say("simpan")
    async with app.sessions() as session:
        claim = (await session.execute(select(Claim))).scalar_one()
    assert (claim.reporter_name, claim.reporter_phone, claim.reporter_relation) == (
        "ASN 0", "+6281234567890", "sponsor")


async def test_claim_types_typed_in_words(app: App, clock) -> None:
    from handlers.claims.report import kind_options

    for language, typed, wanted in (("id", "meninggal bukan karena kerja", ["jkm"]), ("id", "bukan kerja", ["jkm"]),
                                    ("id", "meninggal karena kerja", ["jkk_death"]),
                                    ("id", "meninggal karena kecelakaan kerja", ["jkk_death"]),
                                    ("id", "kecelakaan kerja", ["jkk_injury"]), ("id", "sakit", ["jkm"]),
                                    ("id", "meninggal", ["jkm", "jkk_death"]),
                                    ("en", "died not at work", ["jkm"]), ("en", "died at work", ["jkk_death"]),
                                    ("en", "work accident", ["jkk_injury"])):
        ctx = type("C", (), {"t": Translator(app.catalog, language)})()
        found = [o.id for o in match_options(kind_options(ctx), typed)]  # type: ignore[arg-type]
        assert found == wanted, (language, typed, found)


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
