"""Importing contribution payments (a BPJS or bank statement: NIK or KPJ, month, amount, paid date) into the ledger.

Three steps, so the command line can show progress and decide what to apply:

1. `read_payments(path, today=...)` reads a CSV (`,` `;` or tab; UTF-8 with or without BOM) or XLSX file and parses
   every row. A file that cannot be a payments file at all (unknown format, not UTF-8, missing columns, no rows)
   raises PaymentsError with one sentence; a row that cannot be parsed is refused with a reason.
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

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.ledger import LedgerRules, ensure_months, first_month
from db.models import Contribution, Sponsorship, Worker
from db.months import Month
from handlers.format import format_rupiah
from handlers.parsers import Invalid, parse_date

# Header names (lower case, "_" "-" "." ":" turned into spaces) -> column.
HEADERS = {
    "nik": "nik", "no nik": "nik", "nomor nik": "nik", "nik pekerja": "nik",
    "kpj": "kpj", "no kpj": "kpj", "nomor kpj": "kpj", "kpj pekerja": "kpj",
    "bulan": "month", "month": "month", "periode": "month", "period": "month", "bulan iuran": "month",
    "masa iuran": "month",
    "jumlah": "amount", "amount": "amount", "nominal": "amount", "iuran": "amount", "jumlah iuran": "amount",
    "jumlah bayar": "amount",
    "tanggal bayar": "paid", "paid date": "paid", "tanggal": "paid", "tgl bayar": "paid", "tanggal pembayaran": "paid",
    "paid on": "paid", "date paid": "paid", "payment date": "paid", "tgl": "paid",
}
PAYABLE = ("due", "paid_unverified")
BATCH = 500
Refusal = tuple[int, str, dict[str, object]]  # (line number, catalogue key, its parameters)
Progress = Callable[[int], None]

_TIME_SUFFIX = re.compile(r"[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY_DAY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_THOUSANDS = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")
_CENTS = re.compile(r"(\d+|\d{1,3}(?:([.,])\d{3})(?:\2\d{3})*)([.,])(\d{1,2})")


class PaymentsError(Exception):
    """The file cannot be read as a payments file at all: one sentence for the person importing it."""


@dataclass(frozen=True)
class PaymentRow:
    line: int
    nik: str | None
    kpj: str | None
    month: Month
    amount: int
    paid_on: date


@dataclass
class PaymentsFile:
    rows: list[PaymentRow]
    refused: list[Refusal]


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


# ---------------------------------------------------------------- reading the file


def read_payments(path: Path, *, today: date) -> PaymentsFile:
    rows = _read_table(path)
    header: list[Any] | None = None
    header_line = 0
    for header_line, cells in rows:
        if any(_text(c) for c in cells):
            header = cells
            break
    if header is None:
        raise PaymentsError(f"{path.name} is empty: it needs a header row (NIK or KPJ, bulan, jumlah, tanggal bayar) "
                            "and one row per payment")
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = HEADERS.get(_header_name(_text(cell)))
        if name is not None and name not in columns:
            columns[name] = index
    missing = [label for label, present in (("NIK or KPJ", "nik" in columns or "kpj" in columns),
                                            ("month (bulan)", "month" in columns),
                                            ("amount (jumlah)", "amount" in columns),
                                            ("paid date (tanggal bayar)", "paid" in columns)) if not present]
    if missing:
        raise PaymentsError(f"{path.name}: missing column(s) {', '.join(missing)} (need NIK or KPJ, bulan, jumlah, "
                            "tanggal bayar)")
    result = PaymentsFile([], [])
    seen_any = False
    for line, cells in rows:
        if not any(_text(c) for c in cells):
            continue
        seen_any = True
        values = {name: (cells[i] if i < len(cells) else None) for name, i in columns.items()}
        try:
            result.rows.append(_parse_row(line, values, today))
        except Invalid as error:
            result.refused.append((line, error.key, error.params))
    if not seen_any:
        raise PaymentsError(f"{path.name} has a header row (line {header_line}) but no payment rows")
    return result


def _read_table(path: Path) -> Iterator[tuple[int, list[Any]]]:
    """(line number, cells) of every row: typed cells from XLSX, text from CSV."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as error:
            raise PaymentsError(f"{path.name} cannot be opened as an Excel workbook ({error})") from None
        rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
        workbook.close()
        return enumerate(rows, start=1)
    if suffix in (".csv", ".txt", ".tsv"):
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PaymentsError(f"{path.name} is not UTF-8 text: save it again as \"CSV UTF-8\"") from None
        first = next((line for line in text.splitlines() if line.strip()), "")
        delimiter = max(",;\t", key=first.count)  # the header has no amounts or dates to confuse the count
        return enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1)
    raise PaymentsError(f"{path.name}: use a .csv or .xlsx file")


def _header_name(text: str) -> str:
    return " ".join(re.sub(r"[_\-.:/]", " ", text.lower()).split())


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 1e15:
        return str(int(cell))
    return str(cell).strip()


def _parse_row(line: int, values: dict[str, Any], today: date) -> PaymentRow:
    nik = _identifier(values.get("nik"), 16, "nik")
    kpj = _identifier(values.get("kpj"), 11, "kpj")
    if nik is None and kpj is None:
        raise Invalid("payments.no_worker_id")
    return PaymentRow(line, nik, kpj, _month(values["month"]), parse_amount(values["amount"]),
                      _paid_on(values["paid"], today))


def _identifier(cell: Any, digits: int, kind: str) -> str | None:
    # Excel keeps 15 significant digits: a 16-digit number cell ending in 0 may have lost its last digit, and the
    # NIK that is left could be another worker's. One ending in another digit was written by a program and is exact.
    if isinstance(cell, (int, float)) and not isinstance(cell, bool) and cell >= 1e15 and (
            not float(cell).is_integer() or int(cell) % 10 == 0):
        raise Invalid(f"payments.{kind}_as_number")
    text = _text(cell).lstrip("'")
    if not text:
        return None
    if "e+" in text.lower():
        raise Invalid(f"payments.{kind}_as_number")
    cleaned = "".join(ch for ch in text if ch not in " .-")
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) != digits:
        raise Invalid(f"payments.{kind}_invalid", value=text[:40])
    return cleaned


def _month(cell: Any) -> Month:
    if isinstance(cell, (datetime, date)):
        return Month.of(cell)
    text = _text(cell)
    if not text:
        raise Invalid("payments.month_missing")
    try:
        return Month.parse(text)
    except ValueError:
        pass
    cleaned = _TIME_SUFFIX.sub("", text.lower())
    try:  # a whole date ("2026-11-01", "01/11/2026") stands for its month
        if match := _ISO_DAY.fullmatch(cleaned):
            return Month.of(date(int(match[1]), int(match[2]), int(match[3])))
        if match := _DMY_DAY.fullmatch(cleaned):
            return Month.of(date(int(match[3]), int(match[2]), int(match[1])))
    except ValueError:
        pass
    raise Invalid("payments.month_invalid", value=text[:40])


def parse_amount(cell: Any) -> int:
    """Whole rupiah: 16800, "16800", "16.800", "8,400", "Rp16.800", "Rp 16.800,-", "16.800,00"; Invalid otherwise."""
    if isinstance(cell, bool):
        raise Invalid("payments.amount_invalid", value=str(cell))
    if isinstance(cell, (int, float)):
        if cell < 0:
            raise Invalid("payments.amount_negative", value=_text(cell))
        if isinstance(cell, float) and not cell.is_integer():
            raise Invalid("payments.amount_invalid", value=_text(cell))
        return int(cell)
    original = _text(cell)
    if not original:
        raise Invalid("payments.amount_missing")
    text = "".join(original.lower().split())
    negative = text.startswith("(") and text.endswith(")")  # accountants' negative: (8.400)
    text = text.strip("()")
    for prefix in ("rp.", "rp", "idr"):
        text = text.removeprefix(prefix)
    negative = negative or text.startswith("-")
    text = text.lstrip("-+").removesuffix(",-").removesuffix(".-")
    value: int | None = None
    if text.isascii() and text.isdigit():
        value = int(text)
    elif _THOUSANDS.fullmatch(text):
        value = int(re.sub(r"[.,]", "", text))
    elif (match := _CENTS.fullmatch(text)) and match[3] != match[2] and int(match[4]) == 0:
        value = int(re.sub(r"[.,]", "", match[1]))
    if value is None:
        raise Invalid("payments.amount_invalid", value=original[:40])
    if negative:
        raise Invalid("payments.amount_negative", value=original[:40])
    return value


def _paid_on(cell: Any, today: date) -> date:
    if isinstance(cell, (datetime, date)):
        day = cell.date() if isinstance(cell, datetime) else cell
        if day > today:
            raise Invalid("payments.paid_date_future", date=day.isoformat())
        return day
    text = _text(cell)
    if not text:
        raise Invalid("payments.paid_date_missing")
    try:
        return parse_date(_TIME_SUFFIX.sub("", text.lower()), today=today)
    except Invalid as error:
        if error.key == "date.future":
            raise Invalid("payments.paid_date_future", date=text[:40]) from None
        raise Invalid("payments.paid_date_invalid", value=text[:40]) from None


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
