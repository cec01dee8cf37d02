"""The BPJS membership an officer records or corrects (handlers/workers/start_dates.py, membership.py): start dates
within a range that says where it counts from, a corrected start told to the ASN, a lapsed sponsorship
reactivated, the worker told when cover starts."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from bot.app import App
from db.models import AuditEntry, Contribution, Sponsorship, Worker
from db.rules.months import Month
from handlers.engine.types import Choice
from tests.conftest import Clock
from tests.contributions.steps import at, seed, tick
from tests.people import Person, RecordingChannel, an_officer, any_text, deliver
from tests.records import stored
from tests.workers.steps import consented_by_link, start_recording_kpj, worker_ready_for_kpj


async def test_a_start_date_outside_the_enrolment_and_today_is_refused_with_the_range(app, inbox, clock) -> None:
    await worker_ready_for_kpj(app, inbox)
    officer = await start_recording_kpj(app)
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


async def test_the_start_date_range_names_the_day_it_is_counted_from(app, inbox, clock: Clock) -> None:
    """Trial item 22: the earliest date is 31 days before the enrolment, and the error says so with both dates."""
    await worker_ready_for_kpj(app, inbox)
    officer = await start_recording_kpj(app)
    await officer.say("01-01-2026")
    assert any_text(officer.last, "antara 22 Oktober 2026 (31 hari sebelum pendaftaran pekerja, 22 November 2026)")


async def test_an_officer_corrects_a_start_date_and_the_asn_is_told(app, inbox, clock) -> None:
    await seed(app, start=date(2026, 10, 1))
    async with app.sessions() as session, session.begin():
        worker = (await session.execute(select(Worker))).scalar_one()
        worker.kpj, worker.created_at = "12345678901", datetime(2026, 10, 20, tzinfo=timezone.utc)
    await tick(app, clock, at(date(2026, 11, 9)))  # October (unpaid, late) and November in the ledger
    officer = await an_officer(app)
    await officer.say("/petugas")
    await officer.press("Perbaiki kepesertaan")
    await officer.say("1234 5678 901")  # by KPJ
    assert any_text(officer.last, "KPJ Pekerja 0 sekarang: 12345678901")
    await officer.press("Tetap")
    await officer.say("01-11-2026")
    await officer.press("✅")
    assert any_text(officer.last, "Kepesertaan Pekerja 0 diperbaiki")
    assert "Menu petugas" in officer.last[-1].text
    months = {row.period for row in await stored(app, Contribution)}
    assert months == {Month(2026, 11)}  # nobody owed October
    await deliver(app)
    assert "memperbaiki data kepesertaan Pekerja 0" in inbox.inbox["100000"][-1].text
    audit = await stored(app, AuditEntry, AuditEntry.action == "membership_fixed")
    assert audit[0].details["before"]["start"] == "2026-10-01" and audit[0].details["start"] == "2026-11-01"


async def test_a_lapsed_sponsorship_is_reactivated_from_the_to_do_list(app, inbox, clock) -> None:
    await seed(app, start=date(2026, 8, 1))
    async with app.sessions() as session, session.begin():
        (await session.execute(select(Worker))).scalar_one().kpj = "12345678901"
    for day in (date(2026, 9, 16), date(2026, 10, 8), date(2026, 10, 16)):
        await tick(app, clock, at(day))
    assert (await stored(app, Sponsorship))[0].lapsed_at is not None
    clock.now = at(date(2026, 11, 2))
    officer = await an_officer(app)
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
    sponsorship = (await stored(app, Sponsorship))[0]
    assert sponsorship.lapsed_at is None
    assert {row.period for row in await stored(app, Contribution) if row.status == "due"} <= {Month(2026, 11)}
    await tick(app, clock, at(date(2026, 11, 9)))
    assert "aktif lagi mulai 2 November 2026" in "\n".join(r.text for r in inbox.inbox["100000"])
    assert (await stored(app, Sponsorship))[0].lapsed_at is None  # the planner does not lapse it again


async def test_the_worker_is_told_when_cover_starts(app: App, inbox: RecordingChannel) -> None:
    asn, worker = await consented_by_link(app, inbox)
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
