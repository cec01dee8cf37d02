"""Issue 8 points 6-9: officers on every channel, checked dates, deliberate decisions, staying in the officer menu."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from bot.app import App
from bot.channels.console import render
from db.models import Asn, AuditEntry, Contribution, Receipt, Sponsorship, Worker
from db.rules.months import Month
from handlers.engine.types import Choice, Contact
from tests.conftest import Clock
from tests.people import JPEG, NIK_MALE, Person, RecordingChannel, agree_privacy, any_text, register_asn
from tests.test_contributions import at, rows, seed, tick
from tests.test_flows import approved_asn, deliver, enrol


async def a_receipt_waiting(app: App, inbox: RecordingChannel, clock: Clock) -> Person:
    await seed(app, start=date(2026, 11, 1))
    await tick(app, clock, at(date(2026, 11, 9)))
    asn = Person(app, "100000")
    await asn.send(Choice(inbox.inbox["100000"][-1].options[0].id))
    await asn.press("Selesai")
    await asn.upload(inbox, JPEG, kind="photo")
    await asn.press("✅")
    await deliver(app)
    return asn


async def test_receipts_to_verify_are_in_the_officer_menu_typed_by_number(app, inbox, clock) -> None:
    await a_receipt_waiting(app, inbox, clock)
    officer = Person(app, "officer")
    await agree_privacy(officer)
    notice = next(r for r in inbox.inbox["officer"] if "Bukti bayar #1" in r.text)
    assert "/petugas → «Bukti bayar»" in notice.text  # how to reach it on a text channel
    await officer.say("/petugas")
    entries = [o.label for o in officer.last[-1].options]
    assert "Bukti bayar (1)" in entries and "ASN menunggu (0)" in entries and "Menunggu BPJS (0)" in entries
    await officer.say("bukti bayar")  # typed, as in the terminal
    listing = officer.last[-1]
    assert "#1 ASN ASN 0 (Dinas Sosial) untuk Pekerja 0: Nov 2026, Rp8.400" in listing.text
    await officer.say("1")  # "Lihat #1": the photo again, in this chat
    assert any_text(officer.last, "dikirim sebentar lagi")
    await deliver(app)
    sent = inbox.inbox["officer"][-1]
    assert sent.text == "Bukti bayar #1:" and sent.extra["attachment_mime"] == "image/jpeg"
    assert f"(berkas / file: {sent.extra['attachment']})" in render(sent)  # the terminal names the file to open
    await officer.say("terima")  # "Terima #1", typed as a word
    assert any_text(officer.last, "Bukti bayar #1 diterima")
    assert "Tidak ada bukti bayar yang menunggu" in officer.last[-1].text  # still in the list, now empty
    assert {row.status for row in await rows(app, Contribution)} == {"paid"}


async def test_rejecting_a_receipt_offers_reasons_confirms_and_the_asn_hears_it(app, inbox, clock) -> None:
    await a_receipt_waiting(app, inbox, clock)
    officer = Person(app, "officer")
    await agree_privacy(officer)
    await officer.say("/petugas")
    await officer.press("Bukti bayar")
    await officer.press("Tolak #1")
    assert [o.label for o in officer.last[-1].options][:3] == ["Foto tidak terbaca", "Jumlah tidak sesuai",
                                                                "Bukan bukti bayar"]
    await officer.press("Foto tidak terbaca")
    assert "Tolak bukti bayar ini dengan alasan berikut?" in officer.last[-1].text  # a confirmation
    assert {row.status for row in await rows(app, Receipt)} == {"pending"}  # nothing decided yet
    await officer.say("simpan")
    assert any_text(officer.last, "ditolak; ASN diberi tahu alasannya")
    assert "Tidak ada bukti bayar yang menunggu" in officer.last[-1].text  # back in the list
    await deliver(app)
    assert "Foto bukti bayar tidak terbaca" in inbox.inbox["100000"][-1].text or \
        "Foto tidak terbaca" in inbox.inbox["100000"][-1].text


async def test_rejecting_an_asn_asks_a_reason_and_a_confirmation(app: App, inbox: RecordingChannel) -> None:
    person = Person(app, "asn")
    await register_asn(person)
    officer = Person(app, "officer")
    await agree_privacy(officer)
    await deliver(app)
    notice = inbox.inbox["officer"][-1]
    assert "/petugas → «ASN menunggu»" in notice.text
    await officer.send(Choice(notice.options[1].id))  # "Tolak"
    assert any_text(officer.last, "Alasan menolak pendaftaran Rahmat Hidayat")
    await officer.say("NIP tidak ada di SIASN daerah")
    assert "akan ditolak" in officer.last[-1].text and "NIP tidak ada di SIASN daerah" in officer.last[-1].text
    async with app.sessions() as session:
        assert (await session.execute(select(Asn.status))).scalar_one() == "pending"
    await officer.press("✅")
    assert any_text(officer.last, "Rahmat Hidayat ditolak")
    await deliver(app)
    told = inbox.inbox["asn"][-1].text
    assert "ditolak petugas" in told and "Alasan: NIP tidak ada di SIASN daerah" in told
    async with app.sessions() as session:
        assert (await session.execute(select(Asn.status))).scalar_one() == "rejected"
        audit = (await session.execute(select(AuditEntry).where(AuditEntry.action == "asn_reject"))).scalar_one()
    assert audit.details["reason"] == "NIP tidak ada di SIASN daerah"


async def test_cancelling_a_rejection_decides_nothing(app: App, inbox: RecordingChannel) -> None:
    await register_asn(Person(app, "asn"))
    officer = Person(app, "officer")
    await agree_privacy(officer)
    await officer.say("/petugas")
    await officer.press("ASN menunggu")
    await officer.press("Tolak #1")
    await officer.press("NIP tidak terdaftar")
    await officer.press("✖️")
    async with app.sessions() as session:
        assert (await session.execute(select(Asn.status))).scalar_one() == "pending"


async def worker_ready_for_kpj(app: App, inbox: RecordingChannel) -> Person:
    asn = await approved_asn(app, inbox)
    await enrol(asn)
    async with app.sessions() as session:
        worker = (await session.execute(select(Worker))).scalar_one()
    await asn.send(Choice(f"!w.paper:{worker.id}"))
    await asn.upload(inbox, JPEG)
    await asn.press("✅")
    officer = Person(app, "officer")  # a paper form counts once an officer accepts it (the identity issue)
    await officer.send(Choice(f"!cf.ok:{worker.id}"))
    assert any_text(officer.last, "diterima")
    return asn


async def test_a_start_date_outside_the_enrolment_and_today_is_refused_with_the_range(app, inbox, clock) -> None:
    await worker_ready_for_kpj(app, inbox)
    officer = Person(app, "officer")
    await officer.say("/petugas")
    await officer.press("Menunggu BPJS")
    await officer.press("Catat KPJ #1")
    await officer.say("2301 2345 678")
    assert "Antara 22 Oktober 2026 dan 22 November 2026" in officer.last[-1].text
    await officer.say("01-01-2000")
    assert any_text(officer.last, "di luar rentang yang wajar: harus antara 22 Oktober 2026")
    await officer.say("01-12-2026")  # after today
    assert any_text(officer.last, "di luar rentang")
    await officer.say("31-02-2026")
    assert any_text(officer.last, "misalnya 22-11-2026") and not any_text(officer.last, "1975")
    await officer.say("01-11-2026")
    await officer.press("✅")
    assert any_text(officer.last, "tersimpan; pekerja aktif")
    assert "Menunggu BPJS" in officer.last[-1].text or "Tidak ada pekerja" in officer.last[-1].text  # stays
    async with app.sessions() as session:
        assert (await session.execute(select(Worker.bpjs_start))).scalar_one() == date(2026, 11, 1)


async def test_an_officer_corrects_a_start_date_and_the_asn_is_told(app, inbox, clock) -> None:
    await seed(app, start=date(2026, 10, 1))
    async with app.sessions() as session, session.begin():
        worker = (await session.execute(select(Worker))).scalar_one()
        worker.kpj, worker.created_at = "12345678901", datetime(2026, 10, 20, tzinfo=timezone.utc)
    await tick(app, clock, at(date(2026, 11, 9)))  # October (unpaid, late) and November in the ledger
    officer = Person(app, "officer")
    await agree_privacy(officer)
    await officer.say("/petugas")
    await officer.press("Perbaiki kepesertaan")
    await officer.say("1234 5678 901")  # by KPJ
    assert any_text(officer.last, "KPJ Pekerja 0 sekarang: 12345678901")
    await officer.press("Tetap")
    await officer.say("01-11-2026")
    await officer.press("✅")
    assert any_text(officer.last, "Kepesertaan Pekerja 0 diperbaiki")
    assert "Menu petugas" in officer.last[-1].text
    months = {row.period for row in await rows(app, Contribution)}
    assert months == {Month(2026, 11)}  # nobody owed October
    await deliver(app)
    assert "memperbaiki data kepesertaan Pekerja 0" in inbox.inbox["100000"][-1].text
    audit = await rows(app, AuditEntry, AuditEntry.action == "membership_fixed")
    assert audit[0].details["before"]["start"] == "2026-10-01" and audit[0].details["start"] == "2026-11-01"


async def test_a_lapsed_sponsorship_is_reactivated_from_the_to_do_list(app, inbox, clock) -> None:
    await seed(app, start=date(2026, 8, 1))
    async with app.sessions() as session, session.begin():
        (await session.execute(select(Worker))).scalar_one().kpj = "12345678901"
    for day in (date(2026, 9, 16), date(2026, 10, 8), date(2026, 10, 16)):
        await tick(app, clock, at(day))
    assert (await rows(app, Sponsorship))[0].lapsed_at is not None
    clock.now = at(date(2026, 11, 2))
    officer = Person(app, "officer")
    await agree_privacy(officer)
    await officer.say("/petugas")
    await officer.press("Kepesertaan berakhir (1)")
    assert any_text(officer.last, "Pekerja 0, KPJ 12345678901")
    await officer.press("Aktifkan #1")
    await officer.press("Tetap")  # the KPJ
    assert "Tetap" not in [o.label for o in officer.last[-1].options]  # a new start date is needed
    await officer.say("01-08-2026")
    assert any_text(officer.last, "di luar rentang")  # before the lapse
    await officer.press("Hari ini")
    await officer.press("✅")
    assert any_text(officer.last, "aktif lagi")
    assert "Tidak ada kepesertaan yang berakhir" in officer.last[-1].text  # back in the list
    sponsorship = (await rows(app, Sponsorship))[0]
    assert sponsorship.lapsed_at is None
    assert {row.period for row in await rows(app, Contribution) if row.status == "due"} <= {Month(2026, 11)}
    await tick(app, clock, at(date(2026, 11, 9)))
    assert "aktif lagi mulai 2 November 2026" in "\n".join(r.text for r in inbox.inbox["100000"])
    assert (await rows(app, Sponsorship))[0].lapsed_at is None  # the planner does not lapse it again


async def test_the_worker_is_told_when_cover_starts(app: App, inbox: RecordingChannel) -> None:
    asn = await approved_asn(app, inbox)
    await enrol(asn)
    await deliver(app)
    token = next(r.text for r in inbox.inbox["asn"] if "start=c_" in r.text).split("start=", 1)[1].split()[0]
    worker = Person(app, "worker")
    await worker.say(f"/start {token}")
    await worker.send(Contact("+62 813 1111 2222"))  # their own number, the one given at enrolment
    await worker.press("Saya setuju")
    await deliver(app)
    officer = Person(app, "officer")
    await officer.send(Choice("!cf.ok:1"))  # no worker phone on file: an officer confirms the consent
    await deliver(app)
    ready = next(r for r in reversed(inbox.inbox["officer"]) if "siap didaftarkan" in r.text)
    await officer.send(Choice(ready.options[0].id))
    await officer.say("2301 2345 678")
    await officer.press("Hari ini")
    await officer.press("✅")
    await deliver(app)
    told = inbox.inbox["worker"][-1].text
    assert "(JKK dan JKM) mulai 22 November 2026" in told and "23012345678" in told
    assert "terlindungi untuk bulan yang iurannya sudah dibayar" in told  # not "protected from" (issue 18 item 7)


async def test_petugas_before_the_notice_opens_it_then_the_officer_menu(app: App) -> None:
    officer = Person(app, "officer")
    await officer.say("/petugas")
    assert any_text(officer.last, "Pemberitahuan privasi")
    await officer.say("setuju")
    assert officer.last[-1].text.startswith("Menu petugas")


async def test_the_same_receipt_twice_is_recognised(app, inbox, clock) -> None:
    asn = await a_receipt_waiting(app, inbox, clock)
    await asn.say("/menu")
    await asn.press("Pekerja saya")
    await asn.press("Bayar")
    await asn.say("Des 2026")
    await asn.press("Selesai")
    await asn.upload(inbox, JPEG, kind="photo")  # the very same file as for November
    assert any_text(asn.last, "sama persis dengan yang sudah Anda kirim") and any_text(asn.last, "bukti #1")
    assert "bukti bayar" in asn.last[-1].text.lower()  # asked again, nothing lost
    assert len(await rows(app, Receipt)) == 1
    await asn.upload(inbox, JPEG + b"another", kind="photo")
    await asn.press("✅")
    assert len(await rows(app, Receipt)) == 2


def test_a_month_paid_by_import_closes_its_pending_receipt_and_the_asn_is_told(settings, clock, tmp_path,
                                                                                monkeypatch) -> None:
    import asyncio

    from bot.cli.main import main
    from bot.files import payments_import
    from tests.conftest import ROOT

    async def receipt_then_stop() -> None:
        app = App(settings, clock=clock)
        await app.prepare()
        app.add_channel(RecordingChannel())
        try:
            await a_receipt_waiting(app, app.channels["console"], clock)
            async with app.sessions() as session, session.begin():
                (await session.execute(select(Worker))).scalar_one().nik = NIK_MALE
        finally:
            await app.stop()

    asyncio.run(receipt_then_stop())
    monkeypatch.setenv("TUWAI_DATABASE__URL", settings.database_url)
    monkeypatch.setattr(payments_import, "programme_today", lambda tz: date(2026, 11, 22))
    file = tmp_path / "bayar.csv"
    file.write_text(f"nik,bulan,jumlah,tanggal bayar\n{NIK_MALE},2026-11,8400,2026-11-10\n")
    assert main(["--config", str(ROOT / "config.toml"), "import", "payments", str(file)]) == 0

    async def check() -> None:
        app = App(settings, clock=clock)
        await app.prepare()
        channel = RecordingChannel()
        app.add_channel(channel)
        try:
            [receipt] = await rows(app, Receipt)
            assert (receipt.status, receipt.decided_by) == ("verified", "import")
            clock.now = datetime.now(timezone.utc)  # the import ran on the real clock
            await deliver(app)
            assert "sudah tercatat lunas dari data pembayaran BPJS" in channel.inbox["100000"][-1].text
            officer = Person(app, "officer")
            await agree_privacy(officer)
            await officer.say("/petugas")
            assert "Bukti bayar (0)" in [o.label for o in officer.last[-1].options]
        finally:
            await app.stop()

    asyncio.run(check())


async def test_lanjutkan_isian_only_when_a_form_was_really_left_unfinished(app, inbox, clock) -> None:
    asn = await approved_asn(app, inbox)
    await asn.say("/menu")
    await asn.press("Pekerja saya")
    await asn.say("/menu")  # a list, not a form
    assert "Lanjutkan isian" not in [o.label for o in asn.last[-1].options]
    await asn.press("Daftarkan pekerja")
    await asn.say("/menu")  # a form with nothing entered yet
    assert "Lanjutkan isian" not in [o.label for o in asn.last[-1].options]
    await asn.press("Daftarkan pekerja")
    await asn.say(NIK_MALE)
    await asn.say("/menu")  # something entered: worth continuing
    assert "Lanjutkan isian" in [o.label for o in asn.last[-1].options]
    officer = Person(app, "officer")  # agreed to the notice in approved_asn()
    await officer.say("/petugas")
    await officer.say("/menu")
    assert "Lanjutkan isian" not in [o.label for o in officer.last[-1].options]
