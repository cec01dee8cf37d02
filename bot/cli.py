"""The `tuwai` command line. A user's mistake is one clear sentence and a non-zero exit code, never a traceback."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from sqlalchemy import delete, select

from bot.app import App
from bot.channels.console import HELP, ConsoleChannel, event_from_line, render
from bot.config import ConfigError, Settings, load_settings
from bot.logs import setup_logging
from bot.roster import RosterError, read_roster
from db import queries
from db.models import Officer

console = Console(stderr=True)
logger = logging.getLogger(__name__)
CHANNELS = ("telegram", "whatsapp", "console")


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
    except (ConfigError, UserError, RosterError) as error:
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
    officer = sub.add_parser("officer", help="manage programme officers").add_subparsers()
    for action in ("add", "remove"):
        p = officer.add_parser(action, help=f"{action} an officer, e.g. telegram:123456789")
        p.add_argument("who")
        p.set_defaults(func=officer_change, action=action)
    officer.add_parser("list", help="list officers").set_defaults(func=officer_list)
    sub.add_parser("stats", help="headline figures").set_defaults(func=stats)
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
    app.add_channel(ConsoleChannel())
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
