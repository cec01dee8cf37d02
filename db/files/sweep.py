"""The uploads sweep: files in the files folder that no `files` row names, and rows whose file is missing.

A file without a row is personal data kept for nobody (a crash between writing an upload and committing its row,
or a savepoint rolled back); it is removed once it is older than a grace period, so an upload whose transaction is
still under way is never touched. A row without its file is only reported: the row is the record that something
was received (a receipt, a claim document), and an operator may still restore the file from a backup.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import StoredFile

# Only names the bot gives its uploads (handlers/engine/uploads.py): anything else in the folder (the blank consent
# forms in forms/, an operator's own files) is never touched.
UPLOAD_NAME = re.compile(r"[0-9a-f]{32}\.(?:jpg|png|pdf)")


@dataclass
class SweepReport:
    removed: list[str] = field(default_factory=list)  # names of files without a row, removed (or to remove: dry run)
    too_recent: int = 0  # files without a row, younger than the grace period: left for the next sweep
    with_rows: int = 0  # files named by a row
    missing: list[int] = field(default_factory=list)  # ids of rows whose file is not in the folder


async def sweep_files(session: AsyncSession, files_dir: Path, *, now: datetime, grace: timedelta,
                      dry_run: bool = False) -> SweepReport:
    """Remove upload files older than `grace` (by modification time) that no row names; list rows without a file.

    Reads only (no transaction needs to stay open); raises OSError when the folder cannot be read."""
    on_disk = await asyncio.to_thread(_uploads_in, files_dir)  # listed before the rows are read: see below
    rows = (await session.execute(select(StoredFile.id, StoredFile.path).order_by(StoredFile.id))).all()
    named = {path for _, path in rows}
    report = SweepReport(with_rows=sum(1 for name in on_disk if name in named))
    cutoff = (now - grace).timestamp()
    for name, modified in sorted(on_disk.items()):
        if name in named:
            continue
        # A file older than the grace with no row now can have no transaction under way any more.
        if modified < cutoff:
            report.removed.append(name)
        else:
            report.too_recent += 1
    if not dry_run:
        await asyncio.to_thread(_remove, files_dir, report.removed)
    # A row committed after the folder was listed has its file by then: look again before calling it missing.
    absent = [(ident, path) for ident, path in rows if path not in on_disk]
    report.missing = await asyncio.to_thread(
        lambda: [ident for ident, path in absent if not (files_dir / path).is_file()])
    return report


def _uploads_in(files_dir: Path) -> dict[str, float]:
    """{name: modification time (epoch seconds)} of the upload files directly in `files_dir` ({} if it is absent)."""
    if not files_dir.is_dir():
        return {}
    found: dict[str, float] = {}
    for entry in files_dir.iterdir():
        if UPLOAD_NAME.fullmatch(entry.name):
            try:
                if entry.is_file():
                    found[entry.name] = entry.stat().st_mtime
            except FileNotFoundError:  # removed meanwhile (a duplicate upload forgotten)
                pass
    return found


def _remove(files_dir: Path, names: list[str]) -> None:
    for name in names:
        (files_dir / name).unlink(missing_ok=True)
