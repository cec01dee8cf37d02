"""Where each worker stands: months in arrears and a status in one word, from ONE definition.

`/tunggakan`, the daily digest, the ASN's "Pekerja saya", `tuwai stats` and the exports all take their figures from
the functions below, so the same worker shows the same arrears and the same status everywhere.

Two counts, from the months BPJS membership started (`Worker.bpjs_start`); a month is paid when it is paid or its
receipt waits for an officer to verify it, and a month without a ledger row counts as unpaid (the ledger may not
have been planned that far back):

- unpaid: the months through the latest month whose regular due date (DOMAIN.md 1.2, `LedgerRules.due`) has passed
  that are not paid. These months are not protected: it is the rule of `db.claim_rules.cover_on`, which a claim's
  estimate uses, so "protected" means the same here and there (issue 18, DOMAIN.md 1.2 "treat any unpaid month as not
  protected").
- arrears: the same months, counted only once the membership's first due date (`Worker.first_due`, set when the KPJ
  is recorded: `db.rules.first_due_date`, DOMAIN.md 1.2 and 1.3) has passed: until then the sponsor could not have
  been reminded and nobody is late, although the unpaid months are still not protected; once it has passed they
  count like any other. Arrears are what /tunggakan, the digest and the exports count.

Statuses, in this order of precedence:

- `deceased`: an officer accepted the worker's death reported in a claim (the sponsorship ended then);
- `no_sponsor`: the worker has no open sponsorship;
- `lapsed`: the sponsorship lapsed after three consecutive unpaid months (the planner marks it);
- `consent_review`: the worker's consent (a paper form, or one from an unverified number) waits for an officer;
- `awaiting_consent`: the worker has not given consent yet;
- `awaiting_bpjs`: consent given, the KPJ not recorded yet;
- `in_arrears`: active, with at least one unpaid month: not protected today (its arrears may still be 0);
- `active`: active with every month paid, or only the current month unpaid before its due date: protected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, cast, extract, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.ledger import LedgerRules
from db.models import Asn, Claim, Contribution, OutboxMessage, Receipt, Sponsorship, Worker
from db.rules.months import Month
from db.sqlite_driver import on_aiosqlite_thread

COVERED = ("paid", "paid_unverified")  # a receipt waiting for verification does not put a month in arrears
STATUSES = ("active", "in_arrears", "lapsed", "consent_review", "awaiting_consent", "awaiting_bpjs", "no_sponsor",
            "deceased")


@dataclass(frozen=True)
class Standing:
    status: str  # one of STATUSES
    arrears: int  # months past their due date and unpaid


def latest_past_due(today: date, rules: LedgerRules) -> Month:
    """The latest contribution month whose due date is before `today` (this month after its due date, else last)."""
    current = Month.of(today)
    return current if rules.due(current) < today else current - 1


def _month_index(column: Any) -> ColumnElement[int]:
    return cast(extract("year", column), Integer) * 12 + cast(extract("month", column), Integer) - 1


def unpaid_column(today: date, rules: LedgerRules) -> ColumnElement[int]:
    """Months not protected today (see the module's docstring), for a SELECT over Worker outer-joined to its open
    Sponsorship; 0 without a sponsorship, a BPJS start date or an active membership."""
    last = latest_past_due(today, rules)
    start = _month_index(Worker.bpjs_start)
    covered = (select(func.count(Contribution.id))
               .where(Contribution.sponsorship_id == Sponsorship.id, Contribution.status.in_(COVERED),
                      Contribution.period <= last, _month_index(Contribution.period) >= start)
               .scalar_subquery())
    owed = last.index - start + 1 - covered
    return case((Sponsorship.id.is_(None), 0), (Worker.bpjs_start.is_(None), 0), (Worker.status != "active", 0),
                (owed > 0, owed), else_=0)


def unprotected_column(unpaid: ColumnElement[int], today: date) -> ColumnElement[int]:
    """Months not protected today, as `db.claim_rules.cover_on` counts them: the unpaid months past their due date
    (`unpaid`), and for a membership with nothing ever paid this month too (there is no cover to continue)."""
    current = Month.of(today)
    start = _month_index(Worker.bpjs_start)
    ever_paid = (select(Contribution.id)
                 .where(Contribution.sponsorship_id == Sponsorship.id, Contribution.status.in_(COVERED),
                        Contribution.period <= current, _month_index(Contribution.period) >= start).exists())
    return case((Sponsorship.id.is_(None), 0), (Worker.bpjs_start.is_(None), 0), (Worker.status != "active", 0),
                (~ever_paid & (current.index - start + 1 > 0), current.index - start + 1), else_=unpaid)


def arrears_column(unpaid: ColumnElement[int], today: date, rules: LedgerRules) -> ColumnElement[int]:
    """Months in arrears: the unpaid months (`unpaid_column`), 0 before the membership's first due date."""
    # `last` is past due for this membership only when its regular due date is on or after the first due date (due
    # dates are increasing, and the first due date is itself a regular due date).
    not_yet_due = and_(Worker.first_due.is_not(None), Worker.first_due > rules.due(latest_past_due(today, rules)))
    return case((not_yet_due, 0), else_=unpaid)


def status_column(unpaid: ColumnElement[int]) -> ColumnElement[str]:
    """The status word (see the module's docstring) for the same SELECT; `unpaid` from `unprotected_column`."""
    deceased = select(Claim.id).where(Claim.worker_id == Worker.id, Claim.death_confirmed_at.is_not(None)).exists()
    return case((deceased, "deceased"), (Sponsorship.id.is_(None), "no_sponsor"),
                (Sponsorship.lapsed_at.is_not(None), "lapsed"),
                (Worker.consent_at.is_(None) & Worker.consent_review.is_not(None), "consent_review"),
                (Worker.consent_at.is_(None), "awaiting_consent"), (Worker.status != "active", "awaiting_bpjs"),
                (unpaid > 0, "in_arrears"), else_="active")


def standing_columns(today: date, rules: LedgerRules) -> tuple[ColumnElement[int], ColumnElement[str]]:
    """(arrears, status), labelled, to add to any SELECT from Worker outer-joined to its open Sponsorship."""
    unpaid = unpaid_column(today, rules)
    status = status_column(unprotected_column(unpaid, today))
    return arrears_column(unpaid, today, rules).label("arrears"), status.label("standing")


def open_sponsorship_join() -> ColumnElement[bool]:
    return and_(Sponsorship.worker_id == Worker.id, Sponsorship.ended_at.is_(None))


async def standings(session: AsyncSession, worker_ids: Sequence[int], *, today: date,
                    rules: LedgerRules) -> dict[int, Standing]:
    """Worker id -> Standing, for these workers."""
    arrears, status = standing_columns(today, rules)
    query = (select(Worker.id, arrears, status).outerjoin(Sponsorship, open_sponsorship_join())
             .where(Worker.id.in_(list(worker_ids))))
    return {row.id: Standing(row.standing, int(row.arrears)) for row in await session.execute(query)}


@on_aiosqlite_thread
async def status_counts(session: AsyncSession, *, today: date, rules: LedgerRules) -> dict[str, int]:
    """Workers per status (every status of STATUSES present, 0 when none)."""
    _, status = standing_columns(today, rules)
    inner = select(status).outerjoin(Sponsorship, open_sponsorship_join()).select_from(Worker).subquery()
    counted = dict((await session.execute(select(inner.c.standing, func.count()).group_by(inner.c.standing))).all())
    return {name: int(counted.get(name, 0)) for name in STATUSES}


@on_aiosqlite_thread
async def arrears_by(session: AsyncSession, column: Any, *, today: date,
                     rules: LedgerRules) -> list[tuple[str, int, int]]:
    """(group, sponsorships in arrears, months in arrears) per value of `column` (of Worker or Asn), worst first.
    Lapsed sponsorships count too: their months stay unpaid."""
    arrears, _ = standing_columns(today, rules)
    inner = (select(column.label("grouping"), arrears).select_from(Worker)
             .join(Sponsorship, open_sponsorship_join()).join(Asn, Asn.id == Sponsorship.asn_id).subquery())
    months = func.sum(inner.c.arrears)
    query = (select(inner.c.grouping, func.count(), months).where(inner.c.arrears > 0)
             .group_by(inner.c.grouping).order_by(months.desc(), inner.c.grouping))
    return [(str(name), int(count), int(total)) for name, count, total in await session.execute(query)]


@on_aiosqlite_thread
async def figures(session: AsyncSession, *, today: date, rules: LedgerRules) -> dict[str, int]:
    """The programme's headline figures, for `tuwai stats` and the officers' statistics screen: ASNs by status,
    workers by status (STATUSES, as `workers_<status>`), months in arrears, receipts awaiting verification, messages
    waiting in the outbox."""
    asn = dict((await session.execute(select(Asn.status, func.count()).group_by(Asn.status))).all())
    result = {f"asn_{name}": int(asn.get(name, 0)) for name in ("approved", "pending", "rejected")}
    result |= {f"workers_{name}": count for name, count in
               (await status_counts(session, today=today, rules=rules)).items()}
    result["arrears_months"] = sum(months for _, _, months in await arrears_by(
        session, literal("all"), today=today, rules=rules))
    result["receipts_pending"] = (await session.execute(
        select(func.count()).select_from(Receipt).where(Receipt.status == "pending"))).scalar_one()
    result["outbox_pending"] = (await session.execute(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status.in_(("pending", "sending"))))
    ).scalar_one()
    return result
