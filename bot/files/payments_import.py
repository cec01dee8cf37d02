"""Importing contribution payments (a BPJS or bank statement: NIK or KPJ, month, amount, paid date) into the ledger.

Three steps, so the command line can show progress and decide what to apply:

1. `read_payments(path, today=...)` (bot/files/payments_file.py) reads a CSV or XLSX file through the shared table
   reader (bot/files/tables.py) and parses every row. A file that cannot be a payments file at all (unknown format,
   unreadable characters, missing columns, no rows) raises PaymentsError with one sentence; a row that cannot be
   parsed is refused with a reason.
2. `plan_payments(session, ...)` checks the parsed rows against the database: the worker (by NIK, or by KPJ), the
   open sponsorship, the months the sponsorship may pay (from the BPJS start month to the current month plus the
   prepay limit), the amount the ledger rules ask for that month, duplicates in the file, months already paid.
3. `apply_payments(session, plan, ...)` marks the valid months paid (status "paid", source "import", paid_on = the
   paid date), creating missing ledger rows first.

Nothing is half-imported: the command runs steps 2 and 3 in ONE transaction, so either every valid row is applied or
none is (an error midway rolls everything back). Refused rows do not stop the valid ones: a statement of a thousand
payments with three typos should not wait for the typos to be fixed, and re-importing the corrected file is safe
(months already paid are counted as such, never applied twice). Each refused row is reported with its line number
and reason (a catalogue key `payments.*` and its parameters). With `--all-or-nothing` any refused row aborts the whole
import and nothing is applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.files.payments_file import PaymentRow, PaymentsError, PaymentsFile, parse_amount, read_payments
from bot.files.tables import Refusal
from db.ledger import LedgerRules, ensure_months, first_month
from db.models import Contribution, Sponsorship, Worker
from db.rules.months import Month
from handlers.engine.format import format_rupiah

__all__ = ["PaymentRow", "PaymentsError", "PaymentsFile", "apply_payments", "parse_amount", "plan_payments",
           "programme_today", "read_payments"]

PAYABLE = ("due", "paid_unverified")
BATCH = 500
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Payment:
    """A row that will be applied: this sponsorship's month is paid."""

    line: int
    sponsorship_id: int
    month: Month
    paid_on: date
    create: bool  # the ledger row does not exist yet


@dataclass
class PaymentPlan:
    payments: list[Payment] = field(default_factory=list)
    already_paid: list[int] = field(default_factory=list)  # line numbers
    refused: list[Refusal] = field(default_factory=list)
    # what ensure_months needs for the ledger rows to create
    sponsorships: dict[int, tuple[Sponsorship, Worker]] = field(default_factory=dict)


def programme_today(tz: str) -> date:
    """Today in the programme's time zone (a module function so tests can pin it)."""
    return datetime.now(ZoneInfo(tz)).date()


# ---------------------------------------------------------------- checking against the database


async def plan_payments(session: AsyncSession, rows: Sequence[PaymentRow], *, rules: LedgerRules, today: date,
                        prepay_months: int, progress: Progress | None = None) -> PaymentPlan:
    """Decide, row by row, what to apply. Reads only; call it in the transaction that applies the plan."""
    plan = PaymentPlan()
    by_nik = await _workers(session, Worker.nik, {r.nik for r in rows if r.nik})
    by_kpj = await _workers(session, Worker.kpj, {r.kpj for r in rows if r.kpj and not r.nik})
    for worker, sponsorship in [*by_nik.values(), *by_kpj.values()]:
        if sponsorship is not None:
            plan.sponsorships[sponsorship.id] = (sponsorship, worker)
    ledger = await _ledger_status(session, list(plan.sponsorships))
    last = Month.of(today) + prepay_months
    seen: set[tuple[int, Month]] = set()
    for done, row in enumerate(rows, start=1):
        reason = _check(row, by_nik, by_kpj, plan, ledger, seen, rules=rules, last=last)
        if reason is not None:
            plan.refused.append((row.line, *reason))
        if progress is not None and done % BATCH == 0:
            progress(BATCH)
    if progress is not None and len(rows) % BATCH:
        progress(len(rows) % BATCH)
    return plan


def _check(row: PaymentRow, by_nik: dict[str, tuple[Worker, Sponsorship | None]],
           by_kpj: dict[str, tuple[Worker, Sponsorship | None]], plan: PaymentPlan,
           ledger: dict[tuple[int, Month], str], seen: set[tuple[int, Month]], *, rules: LedgerRules,
           last: Month) -> tuple[str, dict[str, object]] | None:
    """None when the row is applied or counted as already paid; else (catalogue key, parameters)."""
    if row.nik is not None:
        found = by_nik.get(row.nik)
        if found is None:
            return "payments.unknown_nik", {"nik": row.nik}
        if row.kpj is not None and found[0].kpj not in (None, row.kpj):
            return "payments.nik_kpj_mismatch", {"nik": row.nik, "kpj": row.kpj}
    else:
        found = by_kpj.get(row.kpj or "")
        if found is None:
            return "payments.unknown_kpj", {"kpj": row.kpj}
    worker, sponsorship = found
    if sponsorship is None:
        return "payments.not_sponsored", {"name": worker.name}
    start = first_month(worker)
    if start is None:
        return "payments.not_active", {"name": worker.name}
    key = (sponsorship.id, row.month)
    if key in seen:
        return "payments.duplicate", {"month": str(row.month)}
    seen.add(key)
    if row.month < start:
        return "payments.before_start", {"month": str(row.month), "start": str(start)}
    if row.month > last:
        return "payments.too_far_ahead", {"month": str(row.month), "last": str(last)}
    expected = rules.amount(row.month, worker.occupation, sponsorship.funding)
    if row.amount != expected:
        return "payments.amount_wrong", {"amount": format_rupiah(row.amount), "expected": format_rupiah(expected),
                                         "month": str(row.month)}
    status = ledger.get(key)
    if status == "paid":
        plan.already_paid.append(row.line)
    elif status is None or status in PAYABLE:
        plan.payments.append(Payment(row.line, sponsorship.id, row.month, row.paid_on, create=status is None))
    else:
        return "payments.status_unexpected", {"month": str(row.month), "status": status}
    return None


async def _workers(session: AsyncSession, column: Any, values: set[str]) -> dict[str, tuple[Worker, Sponsorship | None]]:
    """Workers by NIK or KPJ, each with its open sponsorship (None if there is none)."""
    found: dict[str, tuple[Worker, Sponsorship | None]] = {}
    ordered = sorted(values)
    for start in range(0, len(ordered), BATCH):
        query = (select(Worker, Sponsorship)
                 .outerjoin(Sponsorship, and_(Sponsorship.worker_id == Worker.id, Sponsorship.ended_at.is_(None)))
                 .where(column.in_(ordered[start:start + BATCH])))
        for worker, sponsorship in await session.execute(query):
            found[getattr(worker, column.key)] = (worker, sponsorship)
    return found


async def _ledger_status(session: AsyncSession, sponsorship_ids: list[int]) -> dict[tuple[int, Month], str]:
    """The status of every existing ledger month of these sponsorships, locked until the transaction ends."""
    status: dict[tuple[int, Month], str] = {}
    for start in range(0, len(sponsorship_ids), BATCH):
        query = (select(Contribution.sponsorship_id, Contribution.period, Contribution.status)
                 .where(Contribution.sponsorship_id.in_(sponsorship_ids[start:start + BATCH])).with_for_update())
        for sponsorship_id, period, state in await session.execute(query):
            status[(sponsorship_id, period)] = state
    return status


# ---------------------------------------------------------------- applying


async def apply_payments(session: AsyncSession, plan: PaymentPlan, *, rules: LedgerRules, now: datetime,
                         progress: Progress | None = None) -> int:
    """Mark the plan's months paid (creating missing ledger rows first). Returns how many rows were applied."""
    missing: dict[int, list[Month]] = {}
    for payment in plan.payments:
        if payment.create:
            missing.setdefault(payment.sponsorship_id, []).append(payment.month)
    for sponsorship_id, months in missing.items():
        sponsorship, worker = plan.sponsorships[sponsorship_id]
        await ensure_months(session, sponsorship=sponsorship, worker=worker, months=months, rules=rules)
    table = Contribution.__table__
    statement = (update(table)
                 .where(table.c.sponsorship_id == bindparam("b_sponsorship"), table.c.period == bindparam("b_period"),
                        or_(*(table.c.status == status for status in PAYABLE)))  # no IN: executemany
                 .values(status="paid", source="import", paid_on=bindparam("b_paid_on"), updated_at=now))
    for batch in _batches(plan.payments, BATCH):
        await session.execute(statement, [{"b_sponsorship": p.sponsorship_id, "b_period": p.month,
                                           "b_paid_on": p.paid_on} for p in batch])
        if progress is not None:
            progress(len(batch))
    return len(plan.payments)


def _batches(items: Sequence[Payment], size: int) -> Iterable[Sequence[Payment]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
