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
from handlers.engine.types import Contact
from tests.people import NIK_MALE, Person, RecordingChannel, agree_privacy, any_text
from tests.seed import seed_sponsorships
from tests.test_claims import seed_worker
from tests.test_flows import deliver
from tests.test_officer_journeys import worker_ready_for_kpj
from tests.test_trial_fixes import record_kpj

PROMISES = ("Rp42.000.000", "Rp10.000.000", "Rp70.000.000")


async def report_death(person: Person, *, pick: str, when: str = "kemarin") -> None:
    """The heir recorded at enrolment reports a death not at work of the worker with NIK_MALE (listed masked as
    `pick`), sharing their own contact: the number proves them the heir, so they read the worker's own record."""
    await agree_privacy(person)
    await person.press("Laporkan musibah")
    await person.press("Laporkan musibah")
    await person.press("Setuju")
    await person.press("Dengan NIK")
    await person.say(NIK_MALE)
    await person.press(pick)
    await person.press("Meninggal, bkn kerja")
    await person.say(when)
    await person.say("Di rumah")
    await person.say("Sakit jantung, meninggal di rumah pada malam hari.")
    await person.say("Yusnidar")
    await person.press("Istri / suami")
    await person.send(Contact("+6281298765432"))
    await person.press("Ya")
    await person.press("✅")


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
    await report_death(family, pick="S. …0003")
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
    await report_death(family, pick="S. R.")
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
    await report_death(family, pick="S. R.")
    assert any_text(family.last, "Rp42.000.000")
    assert any_text(family.last, "Iuran yang tercatat dibayar: Juni–November 2026.")


# (start, months paid, status of those rows, first due date): each a sponsorship of its own
LEDGERS = [
    (date(2026, 6, 1), (), "paid", date(2026, 12, 15)),  # back-dated, nothing paid
    (date(2026, 6, 1), tuple(Month(2026, 6).until(Month(2026, 10))), "paid", None),  # paid through October
    (date(2026, 6, 1), tuple(m for m in Month(2026, 6).until(Month(2026, 12)) if m != Month(2026, 8)), "paid",
     None),  # a gap in August
    (date(2026, 11, 1), (), "paid", date(2026, 12, 15)),  # new, nothing paid
    (date(2026, 6, 1), tuple(Month(2026, 6).until(Month(2026, 11))), "paid_unverified", None),  # receipts waiting
]


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
