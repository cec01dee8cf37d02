"""Reading a payments file (a BPJS or bank statement): one row per contribution month paid.

The columns and their header variants are COLUMNS; the file is read by the shared table reader (bot/files/tables.py), so
title rows, merged cells, WPS Office's sheets and CSV in any of Excel's encodings and separators are read the same
way as for every import. Each row's fields go to `parse_row`, which turns them into a PaymentRow or refuses the row
with a reason (a catalogue key `payments.*`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.files.tables import Column, Refusal, TableError, cell_text, lost_digits, read_table
from db.rules.months import Month
from handlers.answers.date_parser import parse_date
from handlers.engine.types import Invalid

COLUMNS = (
    Column("nik", ("NIK", "No NIK", "Nomor NIK", "NIK Pekerja", "NIK Peserta"), need="NIK or KPJ"),
    Column("kpj", ("KPJ", "No KPJ", "Nomor KPJ", "KPJ Pekerja", "No Peserta", "Nomor Peserta"), need="NIK or KPJ"),
    Column("month", ("Bulan", "Periode", "Bulan Iuran", "Masa Iuran", "Periode Iuran", "Month", "Period"),
           need="Bulan"),
    Column("amount", ("Jumlah", "Iuran", "Nominal", "Jumlah Iuran", "Jumlah Bayar", "Amount", "Contribution"),
           need="Jumlah"),
    Column("paid", ("Tanggal Bayar", "Tgl Bayar", "Tanggal Pembayaran", "Tanggal", "Tgl", "Paid Date", "Paid On",
                    "Date Paid", "Payment Date"), need="Tanggal Bayar"),
)
EXAMPLE = "NIK;Bulan;Jumlah;Tanggal Bayar\n1377010101900001;2026-11;8400;03/11/2026"
PaymentsError = TableError  # the name the command line and older callers know

_TIME_SUFFIX = re.compile(r"[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY_DAY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_THOUSANDS = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")
_CENTS = re.compile(r"(\d+|\d{1,3}(?:([.,])\d{3})(?:\2\d{3})*)([.,])(\d{1,2})")


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


def read_payments(path: Path, *, today: date) -> PaymentsFile:
    """Every row of the file parsed or refused (line, key, params). Raises PaymentsError for an unreadable file."""
    table = read_table(path, COLUMNS)
    result = PaymentsFile([], list(table.refused))
    for row in table.rows:
        try:
            result.rows.append(parse_row(row.line, row.fields, today))
        except Invalid as error:
            result.refused.append((row.line, error.key, error.params))
    return result


def parse_row(line: int, values: dict[str, Any], today: date) -> PaymentRow:
    """One payment from its fields (COLUMNS' field names -> cell values); raises Invalid with the reason."""
    nik = _identifier(values.get("nik"), 16, "nik")
    kpj = _identifier(values.get("kpj"), 11, "kpj")
    if nik is None and kpj is None:
        raise Invalid("payments.no_worker_id")
    return PaymentRow(line, nik, kpj, _month(values["month"]), parse_amount(values["amount"]),
                      _paid_on(values["paid"], today))


def _identifier(cell: Any, digits: int, kind: str) -> str | None:
    if lost_digits(cell, digits):  # the NIK that is left could be another worker's
        raise Invalid(f"payments.{kind}_as_number")
    text = cell_text(cell).lstrip("'")
    if not text:
        return None
    cleaned = "".join(ch for ch in text if ch not in " .-")
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) != digits:
        raise Invalid(f"payments.{kind}_invalid", value=text[:40])
    return cleaned


def _month(cell: Any) -> Month:
    if isinstance(cell, (datetime, date)):
        return Month.of(cell)
    text = cell_text(cell)
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
            raise Invalid("payments.amount_negative", value=cell_text(cell))
        if isinstance(cell, float) and not cell.is_integer():
            raise Invalid("payments.amount_invalid", value=cell_text(cell))
        return int(cell)
    original = cell_text(cell)
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
    text = cell_text(cell)
    if not text:
        raise Invalid("payments.paid_date_missing")
    try:
        return parse_date(_TIME_SUFFIX.sub("", text.lower()), today=today)
    except Invalid as error:
        if error.key == "date.future":
            raise Invalid("payments.paid_date_future", date=text[:40]) from None
        raise Invalid("payments.paid_date_invalid", value=text[:40]) from None


