"""The `tuwai` command line. A user's mistake is one clear sentence and a non-zero exit code, never a traceback."""

from __future__ import annotations

import argparse
import asyncio
import codecs
import contextlib
import gc
import logging
import os
import signal
import sys
import textwrap
import threading
from collections.abc import Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot import audit_cli
from bot import claims_export  # noqa: F401  (registers `tuwai export claims`)
from bot import payments_file, payments_import, roster
from bot.app import App, StartupError
from bot.audit_cli import AuditError, cli_actor
from bot.channels.console import HELP, ConsoleChannel, event_from_line, render
from bot.config import ConfigError, Settings, load_settings
from bot.export_files import FORMATS as EXPORT_FORMATS
from bot.export_files import write_export
from bot.exports import EXPORTS, ExportContext
from bot.logs import setup_logging
from bot.payments_import import apply_payments, plan_payments, read_payments
from bot.tables import TableError, columns_help
from db import queries, standing
from db.engine import session_factory
from db.models import Officer
from handlers.format import format_date
from handlers.i18n import LANGUAGES, Translator
from handlers.receipt_checks import close_receipts_paid_by_import

console = Console(stderr=True)
logger = logging.getLogger(__name__)
CHANNELS = ("telegram", "whatsapp", "console")
FILES = textwrap.fill(
    "The file: XLSX (the first sheet) or CSV (separated by commas, semicolons or tabs; CSV UTF-8 as Excel saves it, "
    "with or without BOM, or the Windows code page). Title rows above the header and merged cells are fine; other "
    "columns are ignored. Columns (any order; header names are not case-sensitive):", width=100)


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
    except (ConfigError, UserError, TableError, AuditError) as error:
        console.print(f"[red]{escape(str(error))}[/red]")  # messages name config sections such as [officers]
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
    import_parser = sub.add_parser("import", help="import data (roster, payments)").add_subparsers()
    roster_parser = import_parser.add_parser(
        "roster", help="import the ASN roster (CSV or XLSX: NIP, Nama, OPD, optional No HP): those ASNs are approved "
        "at once when they register", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Import the ASN roster: an ASN whose NIP is on it is approved at once when they register. Rows of "
                    "ASNs who registered already are counted apart; every refused row is listed with its line.",
        epilog=f"{FILES}\n{columns_help(roster.COLUMNS, ROSTER_NOTES)}\nExample (CSV):\n  "
               + roster.EXAMPLE.replace("\n", "\n  "))
    roster_parser.add_argument("file", type=Path, help="the roster: .xlsx or .csv")
    roster_parser.set_defaults(func=import_roster)
    payments = import_parser.add_parser(
        "payments", help="import contribution payments (CSV or XLSX: NIK or KPJ, Bulan, Jumlah, Tanggal Bayar)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Mark contribution months paid and verified in bulk, from a BPJS or bank statement. Months already "
                    "paid are counted as such, never applied twice; every refused row is listed with its line.",
        epilog=f"{FILES}\n{columns_help(payments_file.COLUMNS, PAYMENT_NOTES)}\nExample (CSV):\n  "
               + payments_file.EXAMPLE.replace("\n", "\n  "))
    payments.add_argument("file", type=Path, help="the payments statement: .xlsx or .csv")
    payments.add_argument("--all-or-nothing", action="store_true",
                          help="apply nothing if any row is refused (default: apply the valid rows, list the others)")
    payments.set_defaults(func=import_payments)
    export_parser = sub.add_parser("export", help="export data for officers (CSV or XLSX)").add_subparsers()
    for what, spec in EXPORTS.items():
        p = export_parser.add_parser(what, help=f"export {spec.help}", description=(
            f"Export {spec.help}. Column headers and words in Bahasa Indonesia (--lang en for English); in XLSX, dates "
            "are date cells, amounts numbers, the header row is frozen."))
        p.add_argument("--format", choices=EXPORT_FORMATS, help="csv or xlsx (default: from --output, else xlsx)")
        p.add_argument("--output", type=Path, help=f"file to write (default: {what}-YYYYMMDD.xlsx in [storage] "
                                                   "exports_dir, data/exports/)")
        p.add_argument("--lang", choices=LANGUAGES, help="language of headers and words (default: [program] language)")
        p.set_defaults(func=export, what=what)
    officer = sub.add_parser("officer", help="manage programme officers").add_subparsers()
    for action in ("add", "remove"):
        p = officer.add_parser(action, help=f"{action} an officer, e.g. telegram:123456789")
        p.add_argument("who")
        p.set_defaults(func=officer_change, action=action)
    officer.add_parser("list", help="list officers").set_defaults(func=officer_list)
    stats_parser = sub.add_parser("stats", help="headline figures: ASNs, workers by status, arrears, receipts")
    stats_parser.add_argument("--lang", choices=LANGUAGES, help="language of the labels (default: [program] language)")
    stats_parser.set_defaults(func=stats)
    audit_cli.add_parser(sub)
    return parser


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


async def run(settings: Settings, args: argparse.Namespace) -> int:
    telegram, whatsapp = bool(settings.telegram.token.get_secret_value()), settings.whatsapp.configured
    if not telegram and not whatsapp:
        console.print("No channel is configured (set TUWAI_TELEGRAM__TOKEN, or TUWAI_WHATSAPP__ACCESS_TOKEN and "
                      "[whatsapp].phone_number_id). To try the bot without a token, run: tuwai chat")
        return 1
    app = App(settings)
    try:
        await app.start()
    except StartupError as error:
        await app.stop()
        raise UserError(str(error)) from None
    # What start loaded (the wilayah codes of all Indonesia, Babel, the ORM) lives as long as the process: frozen, it
    # is left out of the garbage collector's full passes, which otherwise walk those ~300,000 objects (~100 ms each,
    # a pause for everyone waiting) every few thousand messages.
    gc.freeze()
    channels = [f"Telegram {'webhook' if settings.telegram.webhook_url else 'long polling'}"] if telegram else []
    channels += ["WhatsApp webhook at /whatsapp/webhook"] if whatsapp else []
    console.print(f"TuWai is running: {', '.join(channels)}, web server on "
                  f"http://{settings.server.host}:{settings.server.port} (/healthz, /metrics). Ctrl-C stops.")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    stopping = asyncio.ensure_future(stop.wait())
    failing = asyncio.ensure_future(app.supervisor.failed.wait())
    try:
        await asyncio.wait([stopping, failing], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        failing.cancel()
        await app.stop()
    if app.supervisor.gave_up:  # exit non-zero so that the service manager (systemd) starts TuWai again
        console.print(f"[red]TuWai stopped: {app.supervisor.gave_up} kept failing (see the log above).[/red]")
        return 1
    return 0


async def chat(settings: Settings, args: argparse.Namespace) -> int:
    logging.getLogger().setLevel(logging.WARNING)  # the terminal is the conversation; only problems interrupt it
    app = App(settings)
    await app.prepare()
    app.add_channel(ConsoleChannel(args.address))
    app.start_delivery()
    print(HELP)
    print("Ketik /start untuk mulai. (Type /start to begin.)\n")
    lines = read_lines()
    try:
        while True:
            print("> ", end="", flush=True)
            line = await lines.get()
            if line is None:
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


def read_lines() -> asyncio.Queue[str | None]:
    """Lines typed in the terminal, read by a daemon thread: Ctrl-C quits at once instead of waiting for the
    thread's next Enter (asyncio.to_thread's threads are waited for at exit). None marks the end (Ctrl-D)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        # os.read, not sys.stdin: a daemon thread blocked inside sys.stdin's buffer lock can abort the interpreter's
        # shutdown. An incomplete UTF-8 sequence at a chunk's end waits for the next chunk.
        decoder, pending = codecs.getincrementaldecoder("utf-8")("replace"), ""
        while chunk := os.read(0, 4096):
            pending += decoder.decode(chunk)
            *complete, pending = pending.split("\n")
            for line in complete:
                loop.call_soon_threadsafe(queue.put_nowait, line.rstrip("\r"))
        if pending:
            loop.call_soon_threadsafe(queue.put_nowait, pending)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="tuwai-stdin", daemon=True).start()
    return queue


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


# -- exports -------------------------------------------------------------------------------------------------------------


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
                removed = (await session.execute(delete(Officer).where(Officer.channel == channel,
                                                                       Officer.address == address))).rowcount
                if not removed:
                    in_config = (channel, address) in settings.officers.addresses()
                    raise UserError(f"{channel}:{address} is listed as an officer in the config file ([officers]); "
                                    "remove them there" if in_config else
                                    f"{channel}:{address} is not an officer; nothing was removed (see: tuwai officer "
                                    "list)")
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


STATS_ROWS = ("asn_approved", "asn_pending", "asn_rejected", "workers_active", "workers_in_arrears",
              "arrears_months", "workers_lapsed", "workers_consent_review", "workers_awaiting_consent",
              "workers_awaiting_bpjs", "workers_no_sponsor", "workers_deceased", "receipts_pending", "outbox_pending")


async def stats(settings: Settings, args: argparse.Namespace) -> int:
    today = payments_import.programme_today(settings.program.timezone)
    app = App(settings)
    try:
        await app.prepare()
        async with app.sessions() as session:
            figures = await standing.figures(session, today=today, rules=settings.program.ledger_rules())
    finally:
        await app.engine.dispose()
    t = Translator(app.catalog, args.lang or settings.program.language)
    table = Table(title=t("stats.title", programme=settings.program.name, date=format_date(today, t.language)))
    table.add_column(t("stats.figure"))
    table.add_column(t("stats.count"), justify="right")
    for key in STATS_ROWS:
        table.add_row(t(f"stats.{key}"), format_decimal(figures[key], locale=t.language))
    Console().print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
