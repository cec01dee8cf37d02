"""The `tuwai` command line. A user's mistake is one clear sentence and a non-zero exit code, never a traceback."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import Select, and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot import audit_cli, payments_import
from bot.app import App
from bot.audit_cli import AuditError, cli_actor
from bot.channels.console import HELP, ConsoleChannel, event_from_line, render
from bot.config import ConfigError, Settings, load_settings
from bot.logs import setup_logging
from bot.payments_import import PaymentsError, apply_payments, plan_payments, read_payments
from bot.roster import RosterError, read_roster
from db import queries
from db.engine import session_factory
from db.private_files import private_file
from db.models import Asn, Contribution, Officer, Sponsorship, Worker
from db.wilayah import load_wilayah

console = Console(stderr=True)
logger = logging.getLogger(__name__)
CHANNELS = ("telegram", "whatsapp", "console")
EXPORT_FORMATS = ("csv", "xlsx")


class UserError(Exception):
    """A mistake of the person running the command: shown as one sentence."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        settings = load_settings(args.config)
        setup_logging(settings.logging.level)
        return asyncio.run(args.func(settings, args)) or 0
    except (ConfigError, UserError, RosterError, PaymentsError, AuditError) as error:
        console.print(f"[red]{error}[/red]")
        return 1
    except KeyboardInterrupt:
        return 130
    except OSError as error:  # the database file cannot be written, the port is taken, ...
        console.print(f"[red]{error.strerror or error}: {error.filename or ''}[/red]")
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tuwai", description="TuWai: the bot of the 'one ASN protects one "
                                                               "vulnerable worker' programmes.")
    parser.add_argument("--config", help="config file (default: TUWAI_CONFIG or ./config.toml)")
    sub = parser.add_subparsers()
    sub.add_parser("run", help="serve the configured channels, the web server and the scheduler").set_defaults(func=run)
    chat_parser = sub.add_parser("chat", help="talk to the bot in this terminal (no token needed)")
    chat_parser.add_argument("--as", dest="address", default="local", help="who you are in the console (default local)")
    chat_parser.set_defaults(func=chat)
    db_parser = sub.add_parser("db", help="database tasks").add_subparsers()
    db_parser.add_parser("upgrade", help="bring the schema up to date").set_defaults(func=db_upgrade)
    import_parser = sub.add_parser("import", help="import data").add_subparsers()
    roster = import_parser.add_parser("roster", help="import the ASN roster (CSV or XLSX: NIP, nama, OPD)")
    roster.add_argument("file", type=Path)
    roster.set_defaults(func=import_roster)
    payments = import_parser.add_parser(
        "payments", help="import contribution payments (CSV or XLSX: NIK or KPJ, bulan, jumlah, tanggal bayar)")
    payments.add_argument("file", type=Path)
    payments.add_argument("--all-or-nothing", action="store_true",
                          help="apply nothing if any row is refused (default: apply the valid rows, list the others)")
    payments.set_defaults(func=import_payments)
    export_parser = sub.add_parser("export", help="export data for officers (CSV or XLSX)").add_subparsers()
    for what, text in (("contributions", "the contribution ledger, one row per worker and month"),
                       ("workers", "the workers, with their sponsor")):
        p = export_parser.add_parser(what, help=f"export {text}")
        p.add_argument("--format", choices=EXPORT_FORMATS, help="csv or xlsx (default: from --output, else csv)")
        p.add_argument("--output", type=Path, help=f"file to write (default: ./{what}-YYYYMMDD.csv or .xlsx)")
        p.set_defaults(func=export, what=what)
    officer = sub.add_parser("officer", help="manage programme officers").add_subparsers()
    for action in ("add", "remove"):
        p = officer.add_parser(action, help=f"{action} an officer, e.g. telegram:123456789")
        p.add_argument("who")
        p.set_defaults(func=officer_change, action=action)
    officer.add_parser("list", help="list officers").set_defaults(func=officer_list)
    sub.add_parser("stats", help="headline figures").set_defaults(func=stats)
    audit_cli.add_parser(sub)
    return parser


async def run(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.telegram.token.get_secret_value():
        console.print("No channel is configured (set TUWAI_TELEGRAM__TOKEN). To try the bot without a token, "
                      "run: tuwai chat")
        return 1
    app = App(settings)
    await app.start()
    console.print(f"TuWai is running: Telegram {'webhook' if settings.telegram.webhook_url else 'long polling'}, "
                  f"web server on http://{settings.server.host}:{settings.server.port} (/healthz, /metrics). "
                  "Ctrl-C stops.")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await app.stop()
    return 0


async def chat(settings: Settings, args: argparse.Namespace) -> int:
    logging.getLogger().setLevel(logging.WARNING)  # the terminal is the conversation; only problems interrupt it
    app = App(settings)
    await app.prepare()
    app.add_channel(ConsoleChannel(args.address))
    app.start_delivery()
    print(HELP)
    print("Ketik /start untuk mulai. (Type /start to begin.)\n")
    try:
        while True:
            try:
                line = await asyncio.to_thread(input, "> ")
            except EOFError:
                break
            if not line.strip():
                continue
            try:
                event = event_from_line(args.address, line)
            except OSError as error:
                print(f"{error.strerror}: {error.filename}")
                continue
            for reply in await app.handle_event(event) or []:
                print(render(reply) + "\n")
            await asyncio.sleep(0.05)  # let the outbox print notifications before the next prompt
    finally:
        await app.stop()
    return 0


async def db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    app = App(settings)
    try:
        await app.prepare()
    finally:
        await app.engine.dispose()
    console.print("Database is up to date.")
    return 0


async def import_roster(settings: Settings, args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise UserError(f"File not found: {args.file}")
    app = App(settings)
    try:
        await app.prepare()
        report = read_roster(args.file, today=datetime.now(timezone.utc).date())
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Importing roster", total=len(report.rows))
            async with app.sessions() as session, session.begin():
                for start in range(0, len(report.rows), 500):
                    batch = report.rows[start:start + 500]
                    await queries.upsert_roster(session, batch, datetime.now(timezone.utc))
                    progress.advance(task, len(batch))
    finally:
        await app.engine.dispose()
    console.print(f"Roster: {len(report.rows)} row(s) imported, {len(report.refused)} refused.")
    for line, reason, params in report.refused[:50]:
        console.print(f"  line {line}: {app.catalog.text('en', reason, **params)}", markup=False)
    return 0


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
                    await queries.audit(session, actor="cli", action="payments_import", target=args.file.name[:60],
                                        now=now, applied=len(plan.payments), already_paid=len(plan.already_paid),
                                        refused=len(refused))
    finally:
        await app.engine.dispose()
    if aborted:
        console.print(f"Payments: nothing imported, because {len(refused)} row(s) were refused and --all-or-nothing "
                      f"was given ({len(plan.payments)} row(s) would have been applied, {len(plan.already_paid)} "
                      "already paid).", soft_wrap=True)
    else:
        console.print(f"Payments: {len(plan.payments)} row(s) matched and applied, {len(plan.already_paid)} already "
                      f"paid, {len(refused)} refused.", soft_wrap=True)
    for line, reason, params in refused:
        console.print(f"  line {line}: {app.catalog.text('en', reason, **params)}", markup=False, highlight=False,
                      soft_wrap=True)
    return 1 if aborted else 0


# -- exports -------------------------------------------------------------------------------------------------------------

CONTRIBUTION_COLUMNS = ["worker_name", "nik", "kpj", "asn_name", "nip", "opd", "kecamatan", "desa", "month", "amount",
                        "due_date", "status", "paid_on", "source"]
WORKER_COLUMNS = ["worker_name", "nik", "kpj", "status", "sex", "birth_date", "occupation", "kecamatan", "desa",
                  "phone", "bpjs_start", "asn_name", "nip", "opd", "funding"]


def _contributions_query() -> Select[Any]:
    return (select(Worker.name, Worker.nik, Worker.kpj, Asn.name.label("asn_name"), Asn.nip, Asn.opd,
                   Worker.kecamatan_code, Worker.desa_code, Contribution.period, Contribution.amount,
                   Contribution.due_date, Contribution.status, Contribution.paid_on, Contribution.source)
            .join(Sponsorship, Contribution.sponsorship_id == Sponsorship.id)
            .join(Worker, Sponsorship.worker_id == Worker.id)
            .join(Asn, Sponsorship.asn_id == Asn.id)
            .order_by(Worker.name, Sponsorship.id, Contribution.period))


def _workers_query() -> Select[Any]:
    return (select(Worker.name, Worker.nik, Worker.kpj, Worker.status, Worker.sex, Worker.birth_date,
                   Worker.occupation, Worker.kecamatan_code, Worker.desa_code, Worker.phone, Worker.bpjs_start,
                   Asn.name.label("asn_name"), Asn.nip, Asn.opd, Sponsorship.funding)
            .outerjoin(Sponsorship, and_(Sponsorship.worker_id == Worker.id, Sponsorship.ended_at.is_(None)))
            .outerjoin(Asn, Sponsorship.asn_id == Asn.id)
            .order_by(Worker.name, Worker.id))


class _AreaNames:
    def __init__(self) -> None:
        self.wilayah = load_wilayah()
        self.names: dict[str, str] = {}

    def __call__(self, code: str) -> str:
        if code not in self.names:
            area = self.wilayah.area(code)
            self.names[code] = area.name if area is not None else code
        return self.names[code]


class _CsvSink:
    """UTF-8 with a BOM, so that Excel shows names with accents correctly."""

    def __init__(self, path: Path, header: list[str]) -> None:
        self.handle = path.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.handle)
        self.writer.writerow(header)

    def write(self, row: list[Any]) -> None:
        self.writer.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else v for v in row])

    def close(self) -> None:
        self.handle.close()


class _XlsxSink:
    """openpyxl's write-only mode: rows go to disk as they come, whatever the size of the ledger."""

    def __init__(self, path: Path, header: list[str], title: str) -> None:
        self.path = path
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet(title)
        self.sheet.append(header)

    def write(self, row: list[Any]) -> None:
        self.sheet.append(row)

    def close(self) -> None:
        self.book.save(self.path)


def _reading_engine(app: App) -> AsyncEngine:
    """The engine to stream a long export with. On SQLite, not the app's: it takes the write lock at BEGIN, which
    would hold up the running bot for the whole export; a plain SELECT reads a WAL snapshot without any lock."""
    if app.engine.dialect.name == "sqlite":
        return create_async_engine(app.settings.database_url, connect_args={"timeout": 30}, hide_parameters=True)
    return app.engine


async def export(settings: Settings, args: argparse.Namespace) -> int:
    suffix = args.output.suffix.lower().lstrip(".") if args.output is not None else ""
    fmt = args.format or (suffix if suffix in EXPORT_FORMATS else "csv")
    if args.output is not None and suffix in EXPORT_FORMATS and suffix != fmt:
        raise UserError(f"--format {fmt} does not match the output file {args.output.name}; use a .{fmt} name")
    today = payments_import.programme_today(settings.program.timezone)
    output = args.output or Path(f"{args.what}-{today:%Y%m%d}.{fmt}")
    if output.is_dir():
        raise UserError(f"{output} is a folder; give a file name with --output")
    partial = output.with_name(output.name + ".part")
    area = _AreaNames()
    if args.what == "contributions":
        header, query, count_of = CONTRIBUTION_COLUMNS, _contributions_query(), Contribution.id

        def convert(row: Any) -> list[Any]:
            status = "late" if row.status == "due" and row.due_date < today else row.status
            return [row.name, row.nik, row.kpj, row.asn_name, row.nip, row.opd, area(row.kecamatan_code),
                    area(row.desa_code), str(row.period), row.amount, row.due_date, status, row.paid_on, row.source]
    else:
        header, query, count_of = WORKER_COLUMNS, _workers_query(), Worker.id

        def convert(row: Any) -> list[Any]:
            return [row.name, row.nik, row.kpj, row.status, row.sex, row.birth_date, row.occupation,
                    area(row.kecamatan_code), area(row.desa_code), row.phone, row.bpjs_start, row.asn_name, row.nip,
                    row.opd, row.funding]

    app = App(settings)
    reader = _reading_engine(app)
    written = 0
    try:
        await app.prepare()
        private_file(partial)  # full NIKs: the owner's alone, whatever the umask; os.replace keeps the mode
        sink = _CsvSink(partial, header) if fmt == "csv" else _XlsxSink(partial, header, args.what)
        try:
            async with session_factory(reader)() as session:
                total = (await session.execute(select(func.count(count_of)))).scalar_one()
                with Progress(console=console, transient=True) as progress:
                    task = progress.add_task(f"Exporting {args.what}", total=total)
                    result = await session.stream(query.execution_options(yield_per=1000))
                    async for partition in result.partitions():
                        for row in partition:
                            sink.write(convert(row))
                        written += len(partition)
                        progress.advance(task, len(partition))
            sink.close()
            os.replace(partial, output)
        finally:
            partial.unlink(missing_ok=True)
        async with app.sessions() as session, session.begin():
            await queries.audit(session, actor=cli_actor(), action="export", target=args.what,
                                now=datetime.now(timezone.utc), rows=written, format=fmt, file=output.name[:120])
    finally:
        if reader is not app.engine:
            await reader.dispose()
        await app.engine.dispose()
    console.print(f"Exported {written} {args.what[:-1]} row(s) to {output.resolve()}", soft_wrap=True)
    return 0


def parse_who(who: str) -> tuple[str, str]:
    channel, _, address = who.partition(":")
    if channel not in CHANNELS or not address.strip():
        raise UserError(f"Write the officer as CHANNEL:ID, e.g. telegram:123456789 (channels: {', '.join(CHANNELS)})")
    return channel, address.strip()


async def officer_change(settings: Settings, args: argparse.Namespace) -> int:
    channel, address = parse_who(args.who)
    app = App(settings)
    try:
        await app.prepare()
        now = datetime.now(timezone.utc)
        async with app.sessions() as session, session.begin():
            if args.action == "add":
                await queries.insert_ignore(session, Officer, {"channel": channel, "address": address, "added_at": now})
            else:
                await session.execute(delete(Officer).where(Officer.channel == channel, Officer.address == address))
            await queries.audit(session, actor="cli", action=f"officer_{args.action}", target=f"{channel}:{address}",
                                now=now)
    finally:
        await app.engine.dispose()
    console.print(f"Officer {channel}:{address} {'added' if args.action == 'add' else 'removed'}.")
    return 0


async def officer_list(settings: Settings, args: argparse.Namespace) -> int:
    app = App(settings)
    try:
        await app.prepare()
        async with app.sessions() as session:
            stored = (await session.execute(select(Officer).order_by(Officer.channel, Officer.address))).scalars()
            for officer in stored:
                print(f"{officer.channel}:{officer.address}")
        for channel, address in sorted(settings.officers.addresses()):
            print(f"{channel}:{address} (config.toml)")
    finally:
        await app.engine.dispose()
    return 0


async def stats(settings: Settings, args: argparse.Namespace) -> int:
    app = App(settings)
    try:
        await app.prepare()
        async with app.sessions() as session:
            figures = await queries.counts(session)
    finally:
        await app.engine.dispose()
    for name, value in figures.items():
        print(f"{name}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
