"""Cover follows the money (issue 18 item 7), through the paths people take: the officer records a back-dated KPJ, the
sponsor opens "Pekerja saya", a family reports a death and reads the estimate."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update

from bot.app import App
from db import standing
from db.models import Claim, Contribution, Sponsorship, Worker
from db.rules.claims import cover_on
from db.rules.months import Month
from tests.claims.steps import report_death, seed_worker
from tests.conftest import Clock
from tests.people import Person, RecordingChannel, any_text, deliver
from tests.seed import seed_sponsorships
from tests.workers.steps import record_kpj, worker_ready_for_kpj

PROMISES = ("Rp42.000.000", "Rp10.000.000", "Rp70.000.000")


# (start, months paid, status of those rows, first due date): each a sponsorship of its own
LEDGERS = [
    (date(2026, 6, 1), (), "paid", date(2026, 12, 15)),  # back-dated, nothing paid
    (date(2026, 6, 1), tuple(Month(2026, 6).until(Month(2026, 10))), "paid", None),  # paid through October
    (date(2026, 6, 1), tuple(m for m in Month(2026, 6).until(Month(2026, 12)) if m != Month(2026, 8)), "paid",
     None),  # a gap in August
    (date(2026, 11, 1), (), "paid", date(2026, 12, 15)),  # new, nothing paid
    (date(2026, 6, 1), tuple(Month(2026, 6).until(Month(2026, 11))), "paid_unverified", None),  # receipts waiting
]


async def test_a_back_dated_membership_with_nothing_paid_is_not_promised_a_benefit(
        app: App, inbox: RecordingChannel, clock) -> None:
    """The issue's example: the officer records the KPJ on 22 Nov with the BPJS start a month back (22 Oct); no month
    is ever paid. The first due date (15 Dec) spares the sponsor reminders, but it pays no month: the worker is not
    protected, a death on 21 Nov gets no Rp10 jt / Rp42 jt promise, and the sponsor is told the same."""
    asn = await worker_ready_for_kpj(app, inbox)
    await record_kpj(app, "22-10-2026")
    async with app.sessions() as session, session.begin():  # the heir recorded at enrolment reports
        await session.execute(update(Worker).values(heir_phone="+6281298765432"))
    family = Person(app, "family")
    await report_death(family, as_heir=True, pick="S. …0003")
    said = family.text
    assert not any(promise in said for promise in PROMISES), said
    assert "tidak terlindungi" in said and "belum dibayar sampai tanggal itu: Oktober–November 2026" in said
    assert "Belum ada iuran yang tercatat dibayar" in said
    assert "BPJS Ketenagakerjaan yang memutuskan" in said and "paling lama 3 bulan" in said
    async with app.sessions() as session:
        assert (await session.execute(select(Claim.estimate))).scalar_one() == 0

    # The sponsor was told, and reads in "Pekerja saya", the same: not protected (it said "terlindungi ✅").
    await deliver(app)
    told = next(r.text for r in inbox.inbox["asn"] if "sekarang terdaftar" in r.text)
    assert "terlindungi untuk bulan yang iurannya sudah dibayar" in told
    await asn.say("/menu")
    await asn.press("Pekerja saya")
    assert any_text(asn.last, "TIDAK terlindungi ⚠️ (iuran belum dibayar: Oktober–November 2026)")
    assert not any_text(asn.last, "terlindungi ✅")


async def test_a_membership_from_june_with_nothing_paid_is_not_promised_rp42_jt(app: App, inbox, clock) -> None:
    """The same with a start far back (1 Jun, recorded 22 Nov, first due 15 Dec): it read as covered, Rp42.000.000."""
    await seed_worker(app, start=date(2026, 6, 1), paid_through=None)
    async with app.sessions() as session, session.begin():
        await session.execute(update(Worker).values(first_due=app.core.rules.first_due(date(2026, 11, 22))))
    family = Person(app, "family")
    await report_death(family, as_heir=True, pick="S. R.")
    said = family.text
    assert not any(promise in said for promise in PROMISES), said
    assert "belum dibayar sampai tanggal itu: Juni–November 2026" in said


async def test_receipts_awaiting_verification_count_as_paid(app: App, inbox, clock) -> None:
    """Paid through October with November's receipt waiting for an officer: covered, and the months say so."""
    sponsorship_id, _ = await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 10))
    async with app.sessions() as session, session.begin():
        await session.execute(update(Contribution).where(Contribution.sponsorship_id == sponsorship_id,
                                                         Contribution.period == Month(2026, 11))
                              .values(status="paid_unverified"))
    family = Person(app, "family")
    await report_death(family, as_heir=True, pick="S. R.")
    assert any_text(family.last, "Rp42.000.000")
    assert any_text(family.last, "Iuran yang tercatat dibayar: Juni–November 2026.")


async def test_the_standing_status_agrees_with_cover_on(app: App) -> None:
    """db/standing.py's "active" (protected: Pekerja saya, tuwai stats, the exports) is cover_on's "covered", on the
    days around November's due date (Mon 16 Nov) and the first due date (15 Dec)."""
    rules = app.core.rules
    workers: dict[int, tuple[date, set[Month]]] = {}
    async with app.sessions() as session, session.begin():
        for number, (start, months, status, first_due) in enumerate(LEDGERS):
            [sponsorship_id] = await seed_sponsorships(session, 1, start=start, address_base=200_000 + number)
            sponsorship = await session.get(Sponsorship, sponsorship_id)
            await session.execute(update(Worker).where(Worker.id == sponsorship.worker_id)
                                  .values(first_due=first_due))
            session.add_all(Contribution(sponsorship_id=sponsorship_id, period=month, amount=8_400,
                                         due_date=rules.due(month), status=status) for month in months)
            workers[sponsorship.worker_id] = (start, set(months))
    days = (date(2026, 11, 10), date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 22), date(2026, 12, 16))
    seen = set()
    async with app.sessions() as session:
        for day in days:
            states = await standing.standings(session, list(workers), today=day, rules=rules)
            for worker_id, (start, paid) in workers.items():
                cover = cover_on(day, bpjs_start=start, ended_on=None, lapsed_on=None, paid=paid, due_date=rules.due)
                assert (states[worker_id].status == "active") is cover.covered, (worker_id, day, cover)
                seen.add(cover.covered)
    assert seen == {True, False}  # both answers were compared


async def test_a_claim_for_a_new_worker_follows_the_money_not_the_first_due_date(app, inbox, clock: Clock) -> None:
    """Trial item 4 made this death covered (Rp10 jt) because November's first due date (15 Dec) was ahead. Issue 18
    item 7: BPJS start 1 Nov, KPJ recorded 22 Nov, nothing paid, a death on 21 Nov (after November's regular due
    date, 16 Nov): November is unpaid, so no amount is promised; BPJS decides."""
    await seed_worker(app, start=date(2026, 11, 1), paid_through=None)
    async with app.sessions() as session, session.begin():
        worker = (await session.execute(select(Worker))).scalar_one()
        worker.first_due = app.core.rules.first_due(date(2026, 11, 22))
    family = Person(app, "family")
    await report_death(family, when="kemarin", as_heir=True)
    assert not any_text(family.last, "Rp10.000.000") and any_text(family.last, "tidak terlindungi")
    assert any_text(family.last, "belum dibayar sampai tanggal itu: November 2026")
