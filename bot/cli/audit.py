"""`tuwai audit list|export`: the audit log (officers' actions and views of personal data, exports, refusals),
filtered by officer, person and dates, for the programme's data protection officer (UU PDP Pasal 31)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
from collections.abc import Sequence
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from sqlalchemy import Select, select

from bot.app import App
from bot.config import Settings
from bot.files.export_files import open_sink
from bot.files.exports import ExportColumn
from db import queries
from db.files.private import private_file
from db.models import Asn, AuditEntry, Worker

HEADER = ["at", "actor", "action", "target", "details"]
COLUMNS = tuple(ExportColumn(name, width=width) for name, width in zip(HEADER, (26, 24, 22, 20, 60), strict=True))
FORMATS = ("csv", "xlsx")


class AuditError(Exception):
    """A mistake in the command's arguments: shown as one sentence."""


def cli_actor() -> str:
    """Who ran a command, for the audit log: the operating-system account."""
    try:
        return f"cli:{getpass.getuser()}"[:90]
    except (KeyError, OSError):  # no name for this uid (a container)
        return f"cli:uid{os.getuid()}"


def add_parser(sub: Any) -> None:
    audit = sub.add_parser("audit", help="list or export the audit log").add_subparsers()
    listing = audit.add_parser("list", help="show audit entries, newest first")
    listing.add_argument("--limit", type=int, default=200, help="at most this many entries (default 200)")
    listing.set_defaults(func=audit_list)
    export = audit.add_parser("export", help="write audit entries to a CSV or XLSX file (0600)")
    export.add_argument("--format", choices=FORMATS, help="csv or xlsx (default: from --output, else csv)")
    export.add_argument("--output", type=Path, help="file to write (default: ./audit-YYYYMMDD.csv)")
    export.set_defaults(func=audit_export)
    for parser in (listing, export):
        parser.add_argument("--officer", help="only this officer or actor, e.g. telegram:123456789")
        parser.add_argument("--person", help="only entries about this person: worker:ID, asn:ID, a NIK or a NIP")
        parser.add_argument("--since", type=_day, help="from this day (YYYY-MM-DD, programme time zone)")
        parser.add_argument("--until", type=_day, help="up to and including this day (YYYY-MM-DD)")
        parser.add_argument("--action", help="only this action (view, export, asn_approve, ...)")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-30") from None


async def _target(session: Any, person: str) -> str:
    """"worker:12" and "asn:3" as given; a NIK (16 digits) or NIP (18 digits) looked up."""
    person = person.strip().replace(" ", "")
    kind, _, ident = person.partition(":")
    if kind in ("worker", "asn") and ident.isascii() and ident.isdigit():
        return f"{kind}:{int(ident)}"
    if person.isascii() and person.isdigit() and len(person) in (16, 18):
        model, column = (Worker, Worker.nik) if len(person) == 16 else (Asn, Asn.nip)
        found = (await session.execute(select(model.id).where(column == person))).scalar_one_or_none()
        if found is not None:
            return f"{'worker' if model is Worker else 'asn'}:{found}"
        raise AuditError(f"No {'worker with that NIK' if model is Worker else 'ASN with that NIP'} is registered.")
    raise AuditError("Write the person as worker:ID, asn:ID, a NIK (16 digits) or a NIP (18 digits).")


async def _query(session: Any, settings: Settings, args: argparse.Namespace) -> Select[Any]:
    zone = ZoneInfo(settings.program.timezone)
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if args.officer:
        query = query.where(AuditEntry.actor == args.officer.strip())
    if args.person:
        query = query.where(AuditEntry.target == await _target(session, args.person))
    if args.since:
        query = query.where(AuditEntry.at >= datetime.combine(args.since, time.min, zone))
    if args.until:
        query = query.where(AuditEntry.at <= datetime.combine(args.until, time.max, zone))
    if args.action:
        query = query.where(AuditEntry.action == args.action.strip())
    return query


def _row(entry: AuditEntry, zone: ZoneInfo) -> list[str]:
    details = json.dumps(entry.details or {}, ensure_ascii=False, sort_keys=True, default=str)
    return [entry.at.astimezone(zone).isoformat(timespec="seconds"), entry.actor, entry.action, entry.target or "",
            details]


async def _entries(settings: Settings, args: argparse.Namespace, limit: int | None) -> list[list[str]]:
    app = App(settings)
    zone = ZoneInfo(settings.program.timezone)
    try:
        await app.prepare()
        async with app.read_sessions() as session:
            query = await _query(session, settings, args)
            entries = (await session.execute(query.limit(limit) if limit else query)).scalars().all()
            return [_row(entry, zone) for entry in entries]
    finally:
        await app.engine.dispose()


async def audit_list(settings: Settings, args: argparse.Namespace) -> int:
    rows = await _entries(settings, args, max(1, args.limit))
    table = Table()
    for name in HEADER:  # folded, never cut: an officer id or a NIK must be read whole
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*row)
    Console().print(table, markup=False, highlight=False)
    Console(stderr=True).print(f"{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}.")
    return 0


async def audit_export(settings: Settings, args: argparse.Namespace) -> int:
    suffix = args.output.suffix.lower().lstrip(".") if args.output is not None else ""
    fmt = args.format or (suffix if suffix in FORMATS else "csv")
    output = args.output or Path(f"audit-{datetime.now(timezone.utc):%Y%m%d}.{fmt}")
    if output.is_dir():
        raise AuditError(f"{output} is a folder; give a file name with --output")
    rows = await _entries(settings, args, None)
    _write(output, fmt, rows)
    app = App(settings)
    try:
        async with app.sessions() as session, session.begin():
            await queries.audit(session, actor=cli_actor(), action="export", target="audit",
                                now=datetime.now(timezone.utc), rows=len(rows), format=fmt, file=output.name[:120])
    finally:
        await app.engine.dispose()
    Console(stderr=True).print(f"Exported {len(rows)} audit entr{'y' if len(rows) == 1 else 'ies'} to "
                               f"{output.resolve()}", soft_wrap=True, markup=False)
    return 0


def _write(output: Path, fmt: str, rows: Sequence[list[str]]) -> None:
    """Written to a private (0600) file beside the output, then moved into place. The details hold what people
    typed (reasons, file names): written as text, never a formula, like every export (bot/files/export_files.py)."""
    partial = private_file(output.with_name(output.name + ".part"))
    try:
        sink = open_sink(fmt, partial, COLUMNS, HEADER, "audit")
        for row in rows:
            sink.write(row)
        sink.close()
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
