"""A new or reactivated membership owes nothing before its first due date (trial item 4), yet cover follows the money
(issue 18 item 7)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from db import standing
from db.models import Contribution, Worker
from db.rules.months import Month
from tests.conftest import Clock
from tests.contributions.steps import at, seed, tick
from tests.people import an_officer, any_text
from tests.records import stored
from tests.workers.steps import record_kpj, worker_ready_for_kpj


async def test_a_new_worker_owes_nothing_until_the_first_due_date_after_activation(app, inbox, clock: Clock) -> None:
    """Trial item 4: BPJS start 1 Nov, KPJ recorded 22 Nov: November (regularly due 16 Nov) is due 15 Dec, so the
    sponsor is not late before then. Issue 18 item 7: but November unpaid is not protected (cover follows the money):
    the status is "in arrears" with 0 months late, and "Pekerja saya" says "not protected" (it said protected)."""
    asn = await worker_ready_for_kpj(app, inbox)
    officer = await record_kpj(app, "01-11-2026")
    async with app.sessions() as session:
        worker = (await session.execute(select(Worker))).scalar_one()
        assert worker.first_due == date(2026, 12, 15)
        state = (await standing.standings(session, [worker.id], today=date(2026, 11, 22), rules=app.core.rules))
        assert state[worker.id] == standing.Standing("in_arrears", 0)
    await asn.say("/menu")
    await asn.press("Pekerja saya")
    assert any_text(asn.last, "November 2026, Rp8.400, jatuh tempo 15 Desember 2026")
    assert any_text(asn.last, "TIDAK terlindungi ⚠️ (iuran belum dibayar: November 2026)")
    assert any_text(asn.last, "Cara bayar: Bayar lewat aplikasi JMO")  # trial item 18, from config.toml
    await officer.say("/tunggakan")
    assert not any_text(officer.last, "1 bulan")
    # The ledger: both months due 15 Dec; the ASN is reminded a week before, and nobody is late until then.
    await tick(app, clock, at(date(2026, 12, 8)))
    ledger = {row.period: row.due_date for row in await stored(app, Contribution)}
    assert ledger == {Month(2026, 11): date(2026, 12, 15), Month(2026, 12): date(2026, 12, 15)}
    reminder = inbox.inbox["asn"][-1].text
    assert "bulan Desember 2026" in reminder and "15 Desember 2026" in reminder and "Cara bayar" in reminder
    assert "Bulan November 2026 juga jatuh tempo 15 Desember 2026" in reminder  # both months, before they fall due
    async with app.sessions() as session:
        on_first_due = await standing.figures(session, today=date(2026, 12, 15), rules=app.core.rules)
        assert (on_first_due["workers_active"], on_first_due["arrears_months"]) == (0, 0)
        late = await standing.standings(session, [worker.id], today=date(2026, 12, 16), rules=app.core.rules)
        assert late[worker.id] == standing.Standing("in_arrears", 2)


async def test_a_reactivated_membership_owes_nothing_before_its_new_first_due_date(app, inbox, clock: Clock) -> None:
    """Trial item 4, for a lapsed sponsorship reactivated on 20 Nov from that day: November is due 15 Dec. Issue 18
    item 7: November unpaid, the worker is not protected (in arrears, 0 months late; it said active)."""
    await seed(app, start=date(2026, 8, 1))
    for day in (date(2026, 9, 16), date(2026, 10, 8), date(2026, 10, 16)):
        await tick(app, clock, at(day))
    clock.now = at(date(2026, 11, 20))
    officer = await an_officer(app)
    await officer.say("/petugas")
    await officer.press("Kepesertaan berakhir (1)")
    await officer.press("Aktifkan #1")
    await officer.say("1234 5678 901")
    await officer.press("Hari ini")
    await officer.press("✅")
    assert any_text(officer.last, "aktif lagi")
    await tick(app, clock, at(date(2026, 11, 21)))
    november = [row for row in await stored(app, Contribution) if row.period == Month(2026, 11)]
    assert [row.due_date for row in november] == [date(2026, 12, 15)]
    async with app.sessions() as session:
        worker = (await session.execute(select(Worker))).scalar_one()
        state = await standing.standings(session, [worker.id], today=date(2026, 11, 21), rules=app.core.rules)
    assert state[worker.id] == standing.Standing("in_arrears", 0)
