"""`tuwai import roster|payments` and `tuwai export ...`: the commands that read and write officers' files."""

from __future__ import annotations

import argparse
import asyncio
import textwrap
from collections.abc import Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import Progress
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.app import App
from bot.cli.audit import cli_actor
from bot.config import Settings
from bot.files import payments_import, roster
from bot.files.export_files import FORMATS as EXPORT_FORMATS
from bot.files.export_files import write_export
from bot.files.exports import EXPORTS, ExportContext
from bot.files.payments_import import apply_payments, plan_payments, read_payments
from db import queries
from db.engine import session_factory
from handlers.contributions.receipt_checks import close_receipts_paid_by_import
from handlers.engine.i18n import Translator

console = Console(stderr=True)


class UserError(Exception):
    """A mistake of the person running the command: shown as one sentence."""


FILES = textwrap.fill(
    "The file: XLSX (the first sheet) or CSV (separated by commas, semicolons or tabs; CSV UTF-8 as Excel saves it, "
    "with or without BOM, or the Windows code page). Title rows above the header and merged cells are fine; other "
    "columns are ignored. Columns (any order; header names are not case-sensitive):", width=100)
ROSTER_NOTES = {
    "nip": "18 digits (format the column as text in Excel: a number loses its last digits)",
    "name": "as on the ASN's documents, degrees included",
    "opd": "one of the OPDs in config.toml ([program] opds); case, spacing and common abbreviations such as "
           "Dinkes, Setda, Disdik are understood",
    "phone": "optional: an Indonesian mobile number (0812..., +62812...)",
}
PAYMENT_NOTES = {
    "nik": "16 digits, as text (NIK or KPJ: at least one of the two columns)",
    "kpj": "the 11-digit BPJS membership number",
    "month": "the contribution month: 2026-11, 11/2026, Nov 2026, November 2026 or a date in that month",
    "amount": "whole rupiah: 16800, 16.800, Rp16.800 or Rp 16.800,00",
    "paid": "the day it was paid: 2026-11-03, 03/11/2026, 3 November 2026 or an Excel date",
}


async def import_roster(settings: Settings, args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise UserError(f"File not found: {args.file}")
    today = payments_import.programme_today(settings.program.timezone)
    app = App(settings)
    try:
        await app.prepare()
        report = await asyncio.to_thread(roster.read_roster, args.file, today=today, opds=settings.program.opds)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Importing roster", total=len(report.rows))
            now = datetime.now(timezone.utc)
            async with app.sessions() as session, session.begin():
                await roster.save_roster(session, report, now=now, progress=lambda n: progress.advance(task, n))
                await queries.audit(session, actor="cli", action="roster_import", target=args.file.name[:60],
                                    now=now, new=report.new, updated=report.updated,
                                    registered=len(report.registered), refused=len(report.refused))
    finally:
        await app.engine.dispose()
    console.print(f"Roster: {report.new + report.updated} row(s) imported ({report.new} new, {report.updated} already "
                  f"on the roster and updated), {len(report.registered)} ASN(s) already registered (not imported), "
                  f"{len(report.refused)} refused.", soft_wrap=True, highlight=False)
    if report.registered:
        console.print(f"  already registered: line(s) {', '.join(map(str, report.registered[:50]))}",
                      soft_wrap=True, highlight=False)
    _print_refusals(app, report.refused)
    _print_refusals(app, report.notes)  # imported, without an invalid optional value
    if any(key == "roster.opd_unknown" for _, key, _ in report.refused):
        console.print(f"  The configured OPDs ([program] opds): {', '.join(settings.program.opds)}", soft_wrap=True,
                      highlight=False, markup=False)
    return 0


def _print_refusals(app: App, refused: Sequence[tuple[int, str, dict[str, object]]], limit: int = 200) -> None:
    for line, reason, params in refused[:limit]:
        console.print(f"  line {line}: {app.catalog.text('en', reason, **params)}", markup=False, highlight=False,
                      soft_wrap=True)
    if len(refused) > limit:
        console.print(f"  ... and {len(refused) - limit} more refused row(s).", highlight=False)


async def import_payments(settings: Settings, args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise UserError(f"File not found: {args.file}")
    today = payments_import.programme_today(settings.program.timezone)
    rules = settings.program.ledger_rules()
    app = App(settings)
    aborted = False
    try:
        await app.prepare()
        with Progress(console=console, transient=True) as progress:
            reading = progress.add_task(f"Reading {args.file.name}", total=None)
            parsed = await asyncio.to_thread(read_payments, args.file, today=today)
            progress.update(reading, total=1, completed=1)
            checking = progress.add_task("Checking payments", total=len(parsed.rows))
            async with app.sessions() as session, session.begin():
                plan = await plan_payments(session, parsed.rows, rules=rules, today=today,
                                           prepay_months=settings.program.contributions.prepay_months,
                                           progress=lambda n: progress.advance(checking, n))
                refused = sorted(parsed.refused + plan.refused, key=lambda r: r[0])
                aborted = bool(args.all_or_nothing and refused)
                if not aborted:
                    applying = progress.add_task("Applying payments", total=len(plan.payments))
                    now = datetime.now(timezone.utc)
                    await apply_payments(session, plan, rules=rules, now=now,
                                         progress=lambda n: progress.advance(applying, n))
                    closed = await close_receipts_paid_by_import(session, app.catalog, now)
                    await queries.audit(session, actor="cli", action="payments_import", target=args.file.name[:60],
                                        now=now, applied=len(plan.payments), already_paid=len(plan.already_paid),
                                        refused=len(refused), receipts_closed=closed)
    finally:
        await app.engine.dispose()
    if aborted:
        console.print(f"Payments: nothing imported, because {len(refused)} row(s) were refused and --all-or-nothing "
                      f"was given ({len(plan.payments)} row(s) would have been applied, {len(plan.already_paid)} "
                      "already paid).", soft_wrap=True)
    else:
        console.print(f"Payments: {len(plan.payments)} row(s) matched and applied, {len(plan.already_paid)} already "
                      f"paid, {len(refused)} refused.", soft_wrap=True)
    _print_refusals(app, refused, limit=len(refused))
    return 1 if aborted else 0


# -- exports -----------------------------------------------------------------------------------------------------------


def _reading_engine(app: App) -> AsyncEngine:
    """The engine to stream a long export with. On SQLite, not the app's: it takes the write lock at BEGIN, which
    would hold up the running bot for the whole export; a plain SELECT reads a WAL snapshot without any lock."""
    if app.engine.dialect.name == "sqlite":
        return create_async_engine(app.settings.database_url, connect_args={"timeout": 30}, hide_parameters=True)
    return app.engine


def _export_path(settings: Settings, args: argparse.Namespace, today: date) -> tuple[str, Path]:
    suffix = args.output.suffix.lower().lstrip(".") if args.output is not None else ""
    fmt = args.format or (suffix if suffix in EXPORT_FORMATS else "xlsx")
    if args.output is not None and suffix in EXPORT_FORMATS and suffix != fmt:
        raise UserError(f"--format {fmt} does not match the output file {args.output.name}; use a .{fmt} name")
    if args.output is None:
        folder = settings.exports_dir
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)  # exports hold personal data: the owner's only
        return fmt, folder / f"{args.what}-{today:%Y%m%d}.{fmt}"
    if args.output.is_dir():
        raise UserError(f"{args.output} is a folder; give a file name with --output")
    if not args.output.parent.is_dir():
        raise UserError(f"The folder {args.output.parent} does not exist")
    return fmt, args.output


async def export(settings: Settings, args: argparse.Namespace) -> int:
    today = payments_import.programme_today(settings.program.timezone)
    fmt, output = _export_path(settings, args, today)
    app = App(settings)
    t = Translator(app.catalog, args.lang or settings.program.language)
    context = ExportContext(today=today, rules=settings.program.ledger_rules(), t=t,
                            zone=ZoneInfo(settings.program.timezone))
    table = EXPORTS[args.what].build(context)
    reader = _reading_engine(app)
    try:
        await app.prepare()
        async with session_factory(reader)() as session:
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task(f"Exporting {args.what}", total=None)

                def advance(total: int | None, done: int) -> None:
                    if total is not None:
                        progress.update(task, total=total)
                    progress.advance(task, done)
                written = await write_export(session, table, t=t, fmt=fmt, output=output, progress=advance,
                                             title=t(f"export.title.{args.what}"))
        async with app.sessions() as session, session.begin():  # who exported what, and how many rows
            await queries.audit(session, actor=cli_actor(), action="export", target=args.what,
                                now=datetime.now(timezone.utc), rows=written, format=fmt, file=output.name[:120])
    finally:
        if reader is not app.engine:
            await reader.dispose()
        await app.engine.dispose()
    console.print(f"Exported {written} {args.what[:-1]} row(s) to {output.resolve()}", soft_wrap=True)
    return 0
