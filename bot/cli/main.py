"""The `tuwai` command line. A user's mistake is one clear sentence and a non-zero exit code, never a traceback.

The file commands (imports, exports) are in bot/cli/file_commands.py."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from babel.numbers import format_decimal
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import delete, select

from bot.app import App, StartupError
from bot.channels.console import HELP, ConsoleChannel, event_from_line, read_lines, render
from bot.cli import audit as audit_cli
from bot.cli import sweep as files_sweep_cli
from bot.cli.audit import AuditError
from bot.cli.file_commands import (FILES, PAYMENT_NOTES, ROSTER_NOTES, UserError, console, export, import_payments,
                                   import_roster)
from bot.config import ConfigError, Settings, load_settings
from bot.files import claims_export, payments_file, payments_import, roster
from bot.files.export_files import FORMATS as EXPORT_FORMATS
from bot.files.exports import EXPORTS
from bot.files.tables import TableError, columns_help
from bot.logs import setup_logging
from db import queries, standing
from db.models import Officer
from handlers.engine.format import format_date
from handlers.engine.i18n import LANGUAGES, Translator

logger = logging.getLogger(__name__)
CHANNELS = ("telegram", "whatsapp", "console")
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
        what = f"{error.strerror or error}: {error.filename}" if error.filename else str(error)
        console.print(f"[red]{escape(what)}[/red]")
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
    files_sweep_cli.add_parser(sub)
    return parser


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
    except OSError:  # the port is taken, ...: what started is stopped, and main() says it in one sentence
        await app.stop()
        raise
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


async def db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    app = App(settings)
    try:
        await app.prepare()
    finally:
        await app.engine.dispose()
    console.print("Database is up to date.")
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
