"""The ASN roster (NIP or NI PPPK, name, OPD, optionally a phone) from BKPSDM's CSV or XLSX: an ASN whose NIP is on
the roster is approved at once when they register.

Each row is checked like the chat's answers (`check_row`): the NIP by its own rules, the name like a typed name, the OPD
against the configured OPDs (handlers/answers/opds.py: case, spacing and common abbreviations folded), the phone like a
typed phone. The file is read by the shared table reader (bot/files/tables.py). `save_roster` then writes the rows in
one transaction, counting rows of ASNs who are already registered apart (they are not roster entries to import).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.files.tables import Column, Refusal, cell_text, lost_digits, read_table
from db import queries
from db.models import Asn, RosterEntry
from handlers.answers.name_parser import parse_name
from handlers.answers.opds import match_opd
from handlers.answers.parsers import parse_nip, parse_phone
from handlers.engine.types import Invalid

COLUMNS = (
    Column("nip", ("NIP", "NI PPPK", "NIP/NI PPPK", "NIP Baru", "NIP ASN"), need="NIP"),
    Column("name", ("Nama", "Nama Lengkap", "Nama ASN", "Nama Pegawai", "Nama dan Gelar", "Name"), need="Nama"),
    Column("opd", ("OPD", "Unit Kerja", "Perangkat Daerah", "Instansi", "SKPD", "Satuan Kerja", "Unit"), need="OPD"),
    Column("phone", ("No HP", "Nomor HP", "HP", "Telepon", "No Telepon", "Nomor Telepon", "No Telp", "Handphone",
                     "No WA", "WhatsApp", "Phone")),
)
EXAMPLE = "NIP;Nama;OPD;No HP\n198503172010011002;Rahmat Hidayat, S.E.;Dinas Sosial;0812 3456 7890"
BATCH = 500


@dataclass
class RosterReport:
    rows: list[dict[str, str]]
    refused: list[Refusal]  # (line number, catalogue key, its parameters)
    new: int = 0  # NIPs not on the roster before
    updated: int = 0  # NIPs already on the roster, name/OPD/phone refreshed
    registered: list[int] = field(default_factory=list)  # lines of ASNs already registered: not imported
    notes: list[Refusal] = field(default_factory=list)  # rows imported without an optional value (line, key, params)


def check_row(fields: dict[str, Any], *, today: date, opds: Sequence[str],
              notes: list[tuple[str, dict[str, object]]] | None = None) -> dict[str, str]:
    """One roster entry from a row's fields (COLUMNS' field names -> cell values); raises Invalid with the reason.
    An invalid optional phone does not refuse the row: it is left out, and (catalogue key, params) added to `notes`."""
    if lost_digits(fields["nip"], 18) or isinstance(fields["nip"], (int, float)):
        raise Invalid("roster.nip_as_number")  # an 18-digit number never survives Excel whole
    entry = {"nip": parse_nip(cell_text(fields["nip"]).lstrip("'"), today=today).value,
             "name": parse_name(cell_text(fields["name"]))}
    opd = cell_text(fields["opd"])
    if not opd:
        raise Invalid("roster.opd_empty")
    entry["opd"] = match_opd(opd, opds) or ""
    if not entry["opd"]:
        raise Invalid("roster.opd_unknown", opd=opd[:60])
    phone = cell_text(fields.get("phone")).lstrip("'")
    if phone:
        try:
            entry["phone"] = parse_phone(phone)
        except Invalid:
            if notes is not None:
                notes.append(("trial.roster_phone_dropped", {"phone": phone[:30]}))
    return entry


def read_roster(path: Path, *, today: date, opds: Sequence[str]) -> RosterReport:
    """Every row checked: entries to import and refusals (line, key, params). Raises TableError for a bad file."""
    table = read_table(path, COLUMNS)
    report = RosterReport([], list(table.refused))
    lines: dict[str, int] = {}
    for row in table.rows:
        notes: list[tuple[str, dict[str, object]]] = []
        try:
            entry = check_row(row.fields, today=today, opds=opds, notes=notes)
        except Invalid as error:
            report.refused.append((row.line, error.key, error.params))
            continue
        report.notes += [(row.line, key, params) for key, params in notes]
        if entry["nip"] in lines:
            report.refused.append((row.line, "roster.nip_duplicate", {"line": lines[entry["nip"]]}))
            continue
        lines[entry["nip"]] = row.line
        report.rows.append({"line": str(row.line), **entry})
    report.refused.sort(key=lambda refusal: refusal[0])
    return report


async def save_roster(session: AsyncSession, report: RosterReport, *, now: datetime,
                      progress: Callable[[int], None] | None = None) -> None:
    """Upsert the report's entries, except those of ASNs already registered (their lines go to report.registered)."""
    keep = {"nip", "name", "opd"} | ({"phone"} if "phone" in RosterEntry.__table__.c else set())
    for start in range(0, len(report.rows), BATCH):
        batch = report.rows[start:start + BATCH]
        nips = [row["nip"] for row in batch]
        registered = set((await session.execute(select(Asn.nip).where(Asn.nip.in_(nips)))).scalars())
        on_roster = set((await session.execute(select(RosterEntry.nip).where(RosterEntry.nip.in_(nips)))).scalars())
        entries = []
        for row in batch:
            if row["nip"] in registered:
                report.registered.append(int(row["line"]))
                continue
            entries.append({key: value for key, value in row.items() if key in keep})
        report.updated += len([e for e in entries if e["nip"] in on_roster])
        report.new += len([e for e in entries if e["nip"] not in on_roster])
        await queries.upsert_roster(session, entries, now)
        if progress is not None:
            progress(len(batch))
