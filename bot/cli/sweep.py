"""`tuwai files sweep [--dry-run]`: the uploads sweep the heartbeat runs daily (bot/housekeeping.py), on demand."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import Any

from bot.app import App
from bot.cli.file_commands import UserError, console
from bot.config import Settings
from bot.housekeeping import summary


def add_parser(sub: Any) -> None:
    files = sub.add_parser("files", help="uploaded files (receipts, consent forms, claim documents)").add_subparsers()
    sweep = files.add_parser(
        "sweep", help="remove uploaded files no database row names; report rows whose file is missing",
        description="Remove files in [storage] files_dir that no database row names and that are older than "
                    "[storage] orphan_grace_hours (a crash or a failed commit left them), and report rows whose "
                    "file is missing (never deleted). The bot's heartbeat does this once a day.")
    sweep.add_argument("--dry-run", action="store_true", help="only say what would be removed")
    sweep.set_defaults(func=files_sweep)


async def files_sweep(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.files_dir.is_dir():
        raise UserError(f"The files folder {settings.files_dir} ([storage] files_dir) does not exist: nothing to "
                        "sweep. Check the setting (relative paths are from the config file's folder).")
    app = App(settings)
    try:
        await app.prepare()
        report = await app.housekeeping.sweep(datetime.now(timezone.utc), dry_run=args.dry_run)
    finally:
        await app.engine.dispose()
    console.print(f"Files: {summary(report, app.housekeeping.orphan_grace, dry_run=args.dry_run)}",
                  soft_wrap=True, highlight=False)
    return 0
