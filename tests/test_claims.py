"""Claims through the conversation core, as people use them: a family reports, sends documents, follows the claim;
officers review it; the rules' estimate is what the family reads."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, update

from bot.app import App
from db.models import AuditEntry, Claim, ClaimDocument, ClaimEvent, Contribution, Sponsorship, StoredFile, Worker
from db.rules.months import Month
from handlers.engine.types import Choice, Contact
from tests.people import JPEG, NIK_FEMALE, NIK_MALE, Person, RecordingChannel, agree_privacy, any_text
from tests.seed import T0, seed_sponsorships

WORKER_NAME = "Syafrizal Rahman"
PDF = b"%PDF-1.4\n" + b"1" * 300


async def deliver(app: App) -> None:
    while await app.deliverer.deliver_once():
        pass


async def seed_worker(app: App, *, start: date, paid_through: Month | None, address_base: int = 100_000,
                      channel: str = "console", nik: str = NIK_MALE, name: str = WORKER_NAME) -> tuple[int, str]:
    """An approved ASN (address str(address_base)) sponsoring an active worker; months paid through `paid_through`.
    Returns (sponsorship id, the ASN's address)."""
    async with app.sessions() as session, session.begin():
        [sponsorship_id] = await seed_sponsorships(session, 1, start=start, channel=channel, address_base=address_base)
        sponsorship = await session.get(Sponsorship, sponsorship_id)
        await session.execute(update(Worker).where(Worker.id == sponsorship.worker_id).values(
            nik=nik, name=name, heir_name="Yusnidar", heir_relation="spouse", heir_phone="+6281298765432"))
        rules = app.core.rules
        for month in Month.of(start).until(max(paid_through or Month.of(start), Month(2026, 12))):
            paid = paid_through is not None and month <= paid_through
            session.add(Contribution(sponsorship_id=sponsorship_id, period=month, amount=16_800,
                                     due_date=rules.due(month), status="paid" if paid else "due",
                                     paid_on=rules.due(month) if paid else None, source="import" if paid else None))
    return sponsorship_id, str(address_base)


async def report_death(person: Person, *, nik: str = NIK_MALE, when: str = "kemarin", place: str = "Di rumah",
                       description: str = "Sakit jantung, meninggal di rumah pada malam hari.",
                       confirm: bool = True, as_heir: bool = False) -> None:
    """The family reports a death; `as_heir`: sharing their own contact, whose number is the heir's recorded at
    enrolment (so they read the worker's own estimate); else the number is typed (it vouches for nothing)."""
    await agree_privacy(person)
    await person.press("Laporkan musibah")
    await person.press("Laporkan musibah")
    assert any_text(person.last, "data pribadi yang bersifat spesifik")  # the reporter's own notice
    await person.press("Setuju")
    await person.press("Dengan NIK")
    await person.say(nik)
    await person.press("S. R.")
    await person.press("Meninggal, bkn kerja")
    await person.say(when)
    await person.say(place)
    await person.say(description)
    await person.say("Yusnidar")
    await person.press("Istri / suami")
    await (person.send(Contact("+6281298765432")) if as_heir else person.say("0812-9876-5432"))
    await person.press("Ya")
    if confirm:
        await person.press("✅")


JKM_DOCS = ("Kartu peserta", "KTP pekerja", "KTP ahli waris", "Akta kematian", "Kartu Keluarga", "Surat ket.",
            "Buku tabungan")


async def accept_death(officer: Person, claim_id: int = 1) -> None:
    """The officer has seen the death certificate and accepts the death on the date reported."""
    await officer.send(Choice(f"!klm.dead:{claim_id}"))
    await officer.press("Sesuai laporan")
    await officer.press("✅")


async def send_documents(person: Person, channel: RecordingChannel, labels: tuple[str, ...], salt: str = "") -> None:
    for number, label in enumerate(labels):
        await person.press(label)
        await person.upload(channel, JPEG + f"{salt}{label}{number}".encode())
        assert any_text(person.last, "Diterima"), person.text


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
    officer = Person(app, "officer")
    await agree_privacy(officer)
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


async def report_as_sponsor(sponsor: Person, *, when: str) -> None:
    """The sponsoring ASN reports their own worker's death: they read the full estimate from the ledger."""
    await sponsor.say("/klaim")
    await sponsor.press("Laporkan musibah")
    await sponsor.press("Setuju")
    await sponsor.press("Pekerja: Syafrizal")
    await sponsor.press("Meninggal, bkn kerja")
    for answer in (when, "Di rumah", "Sakit jantung."):
        await sponsor.say(answer)
    await sponsor.press("Penjamin (ASN)")
    await sponsor.press("Tidak")
    await sponsor.press("✅")


async def test_a_death_in_the_first_three_months_is_estimated_at_rp10_jt(app: App, inbox, clock) -> None:
    _, asn = await seed_worker(app, start=date(2026, 10, 1), paid_through=Month(2026, 11))
    sponsor = Person(app, asn)
    await report_as_sponsor(sponsor, when="2 november 2026")
    assert any_text(sponsor.last, "Rp10.000.000") and any_text(sponsor.last, "belum 3 bulan")
    assert any_text(sponsor.last, "akan memastikannya")  # the uncertain rule is said to be confirmed


async def test_an_unpaid_month_means_not_covered_said_kindly(app: App, inbox, clock) -> None:
    _, asn = await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 9))
    sponsor = Person(app, asn)
    await report_as_sponsor(sponsor, when="20-11-2026")
    assert any_text(sponsor.last, "tidak terlindungi") and any_text(sponsor.last, "kami teruskan ke petugas")
    assert not any_text(sponsor.last, "BPJS Kesehatan")  # no medical-care advice after a death
    assert not any_text(sponsor.last, "Rp42.000.000")


async def test_matches_are_masked_and_lookups_are_limited(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    stranger = Person(app, "stranger")
    await agree_privacy(stranger)
    await stranger.press("Laporkan musibah")
    await stranger.press("Laporkan musibah")
    await stranger.press("Setuju")
    await stranger.press("Nama dan desa")
    await stranger.say("syafrizal")
    await stranger.say("taratak")
    assert any_text(stranger.last, "S. R., Taratak, NIK 1377********0003")
    assert "\n".join(r.text + " ".join(o.label for o in r.options) for r in stranger.replies).count(
        WORKER_NAME) == 0 and not any(NIK_MALE in r.text for r in stranger.replies)
    await stranger.press("Bukan salah satunya")
    for attempt in range(4):  # 1 lookup so far; the limit is 5 an hour
        await stranger.press("Dengan NIK")
        await stranger.say(f"13770117087500{attempt + 10}")
        assert any_text(stranger.last, "tidak terdaftar"), stranger.text
        await stranger.say("/batal")
        await stranger.say("/klaim")
        await stranger.press("Laporkan musibah")
        await stranger.press("Setuju")
    await stranger.press("Dengan NIK")
    await stranger.say(NIK_MALE)
    assert any_text(stranger.last, "dibatasi") and any_text(stranger.last, "10:00")
    clock.advance(hours=1, minutes=1)
    await stranger.say(NIK_MALE)
    assert any_text(stranger.last, "1377********0003")


async def test_someone_elses_reference_is_refused_and_the_sponsor_sees_status_only(app: App, inbox, clock) -> None:
    _, asn_address = await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    family = Person(app, "family")
    await report_death(family)
    await send_documents(family, inbox, JKM_DOCS)
    await family.press("Kirim klaim")
    stranger = Person(app, "stranger")
    await agree_privacy(stranger)
    await stranger.say("/klaim KLM-2026-000001")
    assert any_text(stranger.last, "tidak berhak") and not any_text(stranger.last, "Meninggal")
    await stranger.say("/klaim KLM-2026-999999")
    assert any_text(stranger.last, "tidak berhak")  # the same words: nobody learns which references exist
    sponsor = Person(app, asn_address)
    await sponsor.say("/klaim klm 2026 000001")
    assert any_text(sponsor.last, "sedang diperiksa") and not any_text(sponsor.last, "Akta")
    await sponsor.send(Choice("!klm.docs:1"))  # documents are the reporter's only
    assert any_text(sponsor.last, "bukan milik Anda")
    async with app.sessions() as session:
        refused = await session.scalar(select(func.count()).select_from(AuditEntry)
                                       .where(AuditEntry.action == "claim_status_refused"))
    assert refused == 2


async def test_bad_files_and_a_second_report_of_the_same_death(app: App, inbox: RecordingChannel, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    family = Person(app, "family")
    await report_death(family)
    await family.press("Akta kematian")
    await family.upload(inbox, b"0" * 100, kind="sticker")
    assert any_text(family.last, "bukan stiker")
    await family.upload(inbox, b"<html><body>not a pdf</body></html>", kind="document")
    assert any_text(family.last, "bukan foto (JPG/PNG) atau PDF")
    await family.upload(inbox, b"%PDF-" + b"x" * (2 * 1024 * 1024), kind="document")
    assert any_text(family.last, "terlalu besar")
    await family.upload(inbox, PDF, kind="document")
    assert any_text(family.last, "Diterima: Akta kematian")
    await family.press("Kartu Keluarga")
    await family.upload(inbox, PDF, kind="document")  # the same file again
    assert any_text(family.last, "sudah diterima sebelumnya (Akta kematian)")
    async with app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(StoredFile)) == 1
    neighbour = Person(app, "neighbour")
    await agree_privacy(neighbour)
    await neighbour.say("/klaim")
    await neighbour.press("Laporkan musibah")
    await neighbour.press("Setuju")
    await neighbour.press("Dengan NIK")
    await neighbour.say(NIK_MALE)
    await neighbour.press("S. R.")
    await neighbour.press("Meninggal, bkn kerja")  # never refused: the report joins the first one's claim
    assert any_text(neighbour.last, "sudah pernah dilaporkan orang lain")


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


async def test_an_officer_asks_for_a_document_and_records_payout(app: App, inbox: RecordingChannel, clock) -> None:
    _, asn_address = await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    family = Person(app, "family")
    await report_death(family)
    await send_documents(family, inbox, JKM_DOCS)
    await family.press("Kirim klaim")
    officer = Person(app, "officer")
    await agree_privacy(officer)
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


async def test_untouched_claims_appear_in_the_daily_digest(app: App, inbox: RecordingChannel, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    family = Person(app, "family")
    await report_death(family)
    await send_documents(family, inbox, JKM_DOCS)
    await family.press("Kirim klaim")
    await agree_privacy(Person(app, "officer"))
    await app.heartbeat()
    await deliver(app)
    assert not any("tidak disentuh" in r.text for r in inbox.inbox["officer"])
    clock.advance(days=4)
    await app.heartbeat()
    await deliver(app)
    digest = [r.text for r in inbox.inbox["officer"] if "tidak disentuh" in r.text]
    assert len(digest) == 1 and "KLM-2026-000001" in digest[0] and "4 hari" in digest[0]



async def test_export_claims_as_csv_and_xlsx(app: App, inbox: RecordingChannel, clock, tmp_path) -> None:
    import csv

    from openpyxl import load_workbook

    from bot.cli.main import build_parser

    async def run_command(settings, argv: list[str]) -> int:
        args = build_parser().parse_args(argv)
        return await args.func(settings, args)

    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    family = Person(app, "family")
    await report_death(family)
    await send_documents(family, inbox, JKM_DOCS)
    await family.press("Kirim klaim")
    out = tmp_path / "claims.csv"
    assert await run_command(app.settings, ["export", "claims", "--lang", "en", "--output", str(out)]) == 0
    with out.open(encoding="utf-8-sig") as handle:
        [row] = list(csv.DictReader(handle))
    assert (row["Claim no."], row["Claim status"], row["NIK"], row["Village (desa/kelurahan)"], row["Documents"],
            row["Estimated benefit"], row["Date of event"]) == ("KLM-2026-000001", "under review", NIK_MALE,
                                                               "Taratak", "7", "42000000", "2026-11-21")
    assert row["Claim type"].startswith("death")
    book = tmp_path / "claims.xlsx"
    assert await run_command(app.settings, ["export", "claims", "--output", str(book)]) == 0
    sheet = load_workbook(book).active
    assert [cell.value for cell in sheet[1]][:3] == ["No. klaim", "Status klaim", "Jenis klaim"]
    assert [cell.value for cell in sheet[2]][:2] == ["KLM-2026-000001", "diperiksa"]
    assert sheet.cell(2, 4).is_date and sheet.cell(2, 17).value == 42_000_000
    assert sheet.title == "Klaim"


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


async def test_a_work_accident_death_brings_a_yearly_scholarship_reminder(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    async with app.sessions() as session, session.begin():
        session.add(Claim(worker_id=1, sponsorship_id=1, kind="jkk_death", event_date=date(2026, 11, 1), place="Laut",
                          description="Perahu terbalik", reporter_chat_id=await _chat(session, "family"),
                          reporter_name="Yusnidar", reporter_relation="spouse", reporter_phone="+6281298765432",
                          reporter_is_heir=True, reporter_consent_at=clock.now, estimate=70_000_000, scholarship=True,
                          status="forwarded", requested={}, reference="KLM-2026-000001", created_at=clock.now,
                          updated_at=clock.now, death_confirmed_at=clock.now, death_confirmed_by="console:officer"))
    officer = Person(app, "officer")
    await agree_privacy(officer)
    await officer.send(Choice("!klm.pay:1"))
    await officer.say("70.000.000")
    await officer.press("Hari ini")
    await officer.press("✅")

    async def reminders() -> list[str]:
        await app.heartbeat()
        await deliver(app)
        return [r.text for r in inbox.inbox["family"] if "beasiswa" in r.text]
    assert await reminders() == []
    clock.advance(days=364)
    assert await reminders() == []
    clock.advance(days=1)  # a year after payout, and again the year after; once each
    assert len(await reminders()) == 1
    clock.advance(days=2)
    assert len(await reminders()) == 1
    clock.advance(days=365)
    assert len(await reminders()) == 2


async def _chat(session, address: str) -> int:  # type: ignore[no-untyped-def]
    from db import queries

    chat = await queries.create_chat(session, channel="console", address=address, now=T0)
    return chat.id


async def test_the_worker_can_be_changed_at_the_summary(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12), address_base=100_500,
                      nik=NIK_FEMALE, name="Syafrizal Yanti")
    family = Person(app, "family")
    await agree_privacy(family)
    await family.say("/klaim")
    await family.press("Laporkan musibah")
    await family.press("Setuju")
    await family.press("Dengan NIK")
    await family.say(NIK_MALE)
    await family.press("S. R.")
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
