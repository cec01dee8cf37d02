"""Reading the ASN roster (NIP, name, OPD) from CSV or XLSX, row by row, with a reason for every refused row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from handlers.parsers import Invalid, parse_name, parse_nip, parse_phone

HEADERS = {"nip": "nip", "ni pppk": "nip", "nama": "name", "name": "name", "opd": "opd", "unit": "opd",
           "unit kerja": "opd", "perangkat daerah": "opd",
           # optional: where given, automatic approval needs the ASN to share this very number from their account
           "hp": "phone", "no hp": "phone", "no. hp": "phone", "nomor hp": "phone", "telepon": "phone",
           "phone": "phone"}


class RosterError(Exception):
    """The file cannot be read as a roster at all (missing columns, unknown format)."""


@dataclass
class RosterReport:
    rows: list[dict[str, str]]
    refused: list[tuple[int, str, dict[str, object]]]  # (line number, catalogue key, its parameters)


def read_table(path: Path) -> Iterator[list[str]]:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        workbook = load_workbook(path, read_only=True, data_only=True)
        for row in workbook.active.iter_rows(values_only=True):
            yield ["" if cell is None else (str(cell) if not isinstance(cell, float) else repr(cell)).strip()
                   for cell in row]
        workbook.close()
    elif suffix in (".csv", ".txt"):
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t") if text.strip() else csv.excel
        yield from ([cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), dialect))
    else:
        raise RosterError(f"{path.name}: use a .csv or .xlsx file")


def read_roster(path: Path, *, today: date) -> RosterReport:
    rows = read_table(path)
    header = next(rows, None)
    columns = {HEADERS[h.lower()]: i for i, h in enumerate(header or []) if h.lower() in HEADERS}
    missing = {"nip", "name", "opd"} - set(columns)
    if missing:
        raise RosterError(f"{path.name}: missing column(s) {', '.join(sorted(missing))} (need NIP, nama, OPD)")
    report = RosterReport([], [])
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        if not any(row):
            continue
        cells = {key: (row[i] if i < len(row) else "") for key, i in columns.items()}
        if "e+" in cells["nip"].lower():  # Excel kept the NIP as a number and lost its last digits
            report.refused.append((line, "roster.nip_as_number", {}))
            continue
        try:
            nip = parse_nip(cells["nip"].removesuffix(".0"), today=today).value
            name = parse_name(cells["name"])
            phone = parse_phone(cells["phone"]) if cells.get("phone") else None
        except Invalid as error:
            report.refused.append((line, error.key, error.params))
            continue
        if not cells["opd"]:
            report.refused.append((line, "roster.opd_empty", {}))
        elif nip in seen:
            report.refused.append((line, "roster.nip_duplicate", {}))
        else:
            seen.add(nip)
            report.rows.append({"nip": nip, "name": name, "opd": cells["opd"][:120], "phone": phone})
    return report
