"""Claims as the first fresh-eyed trial met them (reports/trial1.md), through the core as people type on the terminal:
the officer's claim screen, pages of a document, a deceased worker, accident wording, typed claim types, the
sponsor reporting, a draft ready to send, a second report of a death, and /klaim before the privacy notice."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.app import App
from bot.cli.main import build_parser
from db import standing
from db.models import Claim, ClaimDocument
from db.rules.months import Month
from handlers.engine.choices import match_options
from handlers.engine.i18n import Translator
from tests.people import JPEG, NIK_MALE, Person, RecordingChannel, agree_privacy, any_text
from tests.test_claims import JKM_DOCS, WORKER_NAME, accept_death, deliver, report_death, seed_worker, send_documents


async def submitted_death(app: App, inbox: RecordingChannel, *, paid_through: Month = Month(2026, 12)) -> str:
    """A death reported by "family" with every document and submitted; returns the sponsoring ASN's address."""
    _, asn = await seed_worker(app, start=date(2026, 6, 1), paid_through=paid_through)
    family = Person(app, "family")
    await report_death(family)
    await send_documents(family, inbox, JKM_DOCS)
    await family.press("Kirim klaim")
    assert any_text(family.last, "KLM-2026-000001")
    return asn


async def status_of_claim(app: App) -> str:
    async with app.sessions() as session:
        return (await session.execute(select(Claim.status))).scalar_one()


async def test_an_officer_acts_on_a_claim_by_typing(app: App, inbox: RecordingChannel, clock) -> None:
    await submitted_death(app, inbox)
    await deliver(app)
    new_claim = next(r for r in inbox.inbox["officer"] if "Klaim baru" in r.text)
    assert "/petugas → «Klaim»" in new_claim.text  # reachable on a text channel, where buttons cannot be pressed
    officer = Person(app, "officer")
    await agree_privacy(officer)
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
    await submitted_death(app, inbox)
    officer = Person(app, "officer")
    await agree_privacy(officer)
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


async def test_several_pages_of_a_document_and_a_wrong_photo_replaced(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    family = Person(app, "family")
    await report_death(family)
    await family.press("KTP pekerja")
    await family.upload(inbox, JPEG + b"front")
    assert any_text(family.last, "Diterima: KTP pekerja") and any_text(family.last, "halaman berikutnya")
    await family.upload(inbox, JPEG + b"back")  # the second page, sent straight after
    assert any_text(family.last, "Diterima: KTP pekerja") and any_text(family.last, "KTP pekerja (2 halaman)")
    await family.say("ktp pekerja")  # still among the choices
    assert any_text(family.last, "Kirim foto atau PDF: KTP pekerja")
    await family.say("ganti yang terkirim")
    assert any_text(family.last, "dihapus")
    await family.upload(inbox, JPEG + b"right one")
    assert any_text(family.last, "Diterima: KTP pekerja") and not any_text(family.last, "2 halaman")
    async with app.sessions() as session:
        docs = (await session.execute(select(ClaimDocument.doc))).scalars().all()
    assert docs == ["ktp_worker"]
    await family.press("Kartu Keluarga")
    await family.upload(inbox, JPEG + b"front")  # the deleted photo may be sent again, as another document
    assert any_text(family.last, "Diterima: Kartu Keluarga")


async def test_a_deceased_worker_stays_in_sight_of_their_sponsor(app: App, inbox: RecordingChannel, clock,
                                                                  tmp_path) -> None:
    asn = await submitted_death(app, inbox, paid_through=Month(2026, 11))
    officer = Person(app, "officer")
    await agree_privacy(officer)
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


async def test_a_work_accident_reads_as_an_injury(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 9))  # October unpaid: not covered
    family = Person(app, "family")
    await agree_privacy(family)
    await family.say("/klaim")
    await family.press("Laporkan musibah")
    await family.press("Setuju")
    await family.press("Dengan NIK")
    await family.say(NIK_MALE)
    assert not any(o.label[:1].isdigit() for o in family.prompt().options)  # no "1. 1. S. R." on the terminal
    await family.press("S. R.")
    await family.say("kecelakaan kerja")
    await family.say("besok")
    assert any_text(family.last, "21-11-2026") and not any_text(family.last, "1975")  # an example that fits
    for answer in ("kemarin", "Di laut", "Jari terjepit jaring."):
        await family.say(answer)
    await family.say("tidak")  # not a traffic accident
    await family.say("Yusnidar")
    await family.say("istri")
    await family.say("0812-9876-5432")
    assert any_text(family.last, "Periksa laporan")  # no heir question for an injury
    await family.say("simpan")
    assert not any_text(family.last, "berduka") and any_text(family.last, "lekas pulih")
    assert any_text(family.last, "BPJS Kesehatan") and any_text(family.last, "2 × 24 jam")  # whatever the cover


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


async def test_a_draft_with_its_documents_and_a_second_report_of_the_death(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    family = Person(app, "family")
    await report_death(family)
    await send_documents(family, inbox, JKM_DOCS)
    await family.press("Nanti saja")
    await family.say("/klaim")
    assert any_text(family.last, "dokumen wajib lengkap, klaim belum dikirim")
    assert not any_text(family.last, "dokumen belum lengkap")
    await family.press("Lanjutkan")
    await family.press("Kirim klaim")
    for person in (family, Person(app, "neighbour")):
        if person is not family:
            await agree_privacy(person)
        await person.say("/klaim")
        await person.press("Laporkan musibah")
        await person.press("Setuju")
        await person.press("Dengan NIK")
        await person.say(NIK_MALE)
        await person.press("S. R.")
        await person.say("meninggal bukan karena kerja")
        if person is family:  # their own report: its status, and the menu
            assert any_text(person.last, "sudah pernah melaporkan") and any_text(person.last, "KLM-2026-000001")
            assert "Laporkan musibah / klaim" in [o.label for o in person.prompt().options]
        else:  # someone else's: never refused, and nothing of that claim is shown
            assert any_text(person.last, "sudah pernah dilaporkan orang lain")
            assert not any_text(person.last, "KLM-2026-000001") and any_text(person.last, "Kapan terjadinya")


async def test_klaim_as_the_first_message_opens_claims_after_the_notice(app: App, clock) -> None:
    stranger = Person(app, "new-person")
    await stranger.say("/klaim")
    assert any_text(stranger.last, "privasi") or any_text(stranger.last, "Privasi")
    await stranger.say("setuju")
    assert any_text(stranger.last, "Laporan musibah dan klaim")
