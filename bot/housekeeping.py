"""The heartbeat's housekeeping: message bodies blanked and old de-duplication rows deleted (hourly, db/retention.py),
and the uploads folder swept for files without a row (daily, db/files/sweep.py).

Both are idempotent and safe with several processes at once, and cheap: bounded batches, each its own short
transaction, so people chatting meanwhile are answered in between. Their last runs are remembered in memory only:
after a restart they run at the first heartbeat.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import RetentionSettings
from db import retention
from db.files.sweep import SweepReport, sweep_files

logger = logging.getLogger(__name__)
RETENTION_EVERY, SWEEP_EVERY = timedelta(hours=1), timedelta(days=1)
BATCH, MAX_BATCHES = 1000, 50  # rows per transaction, transactions per step and pass (the rest waits an hour)
Step = Callable[[AsyncSession], Awaitable[int]]


class Housekeeping:
    def __init__(self, *, sessions: Any, read_sessions: Any, files_dir: Path, orphan_grace: timedelta,
                 retention_settings: RetentionSettings) -> None:
        self.sessions = sessions
        self.read_sessions = read_sessions
        self.files_dir = files_dir
        self.orphan_grace = orphan_grace
        self.settings = retention_settings
        self._next: dict[str, datetime] = {}

    async def run(self, now: datetime) -> None:
        """What is due at `now`: the retention pass (hourly) and the uploads sweep (daily)."""
        if self._due("retention", now, RETENTION_EVERY):
            changed = {what: count for what, count in (await self.prune(now)).items() if count}
            if changed:
                logger.info("retention: %s", ", ".join(f"{count} {what}" for what, count in changed.items()))
        if self._due("sweep", now, SWEEP_EVERY):
            report = await self.sweep(now)
            if report.removed or report.missing:
                logger.warning("files sweep: %s", summary(report, self.orphan_grace))

    def _due(self, name: str, now: datetime, every: timedelta) -> bool:
        if name in self._next and now < self._next[name]:
            return False
        self._next[name] = now + every  # set first: a step that fails is tried next period, not every heartbeat
        return True

    async def prune(self, now: datetime) -> dict[str, int]:
        """Blank and delete what the retention periods no longer keep; {what: rows changed}."""
        keep = self.settings
        before = now - timedelta(days=keep.dedup_days)
        steps: dict[str, Step] = {
            "outbox bodies blanked": lambda s: retention.blank_outbox(
                s, now=now, resend_for=timedelta(hours=keep.resend_hours), open_for=timedelta(days=keep.open_days),
                limit=BATCH),
            "inbox bodies blanked": lambda s: retention.blank_inbox(s, limit=BATCH),
            "inbox rows deleted": lambda s: retention.delete_old_inbox(s, before=before, limit=BATCH),
            "event ids deleted": lambda s: retention.delete_old_processed(s, before=before, limit=BATCH),
        }
        return {what: await self._in_batches(step) for what, step in steps.items()}

    async def _in_batches(self, step: Step) -> int:
        total = 0
        for _ in range(MAX_BATCHES):
            async with self.sessions() as session, session.begin():
                changed = await step(session)
            total += changed
            if changed < BATCH:
                break
        return total

    async def sweep(self, now: datetime, *, dry_run: bool = False) -> SweepReport:
        """Files without a row older than the grace removed (listed only with `dry_run`); rows without a file."""
        async with self.read_sessions() as session:
            return await sweep_files(session, self.files_dir, now=now, grace=self.orphan_grace, dry_run=dry_run)


def summary(report: SweepReport, grace: timedelta, *, dry_run: bool = False) -> str:
    """The sweep in one line, for the log and the command line."""
    hours = f"{grace.total_seconds() / 3600:g}"
    text = (f"{len(report.removed)} file(s) without a database row {'would be ' if dry_run else ''}removed, "
            f"{report.too_recent} without a row kept (newer than {hours} h), {report.with_rows} with a row")
    if report.missing:
        shown = ", ".join(map(str, report.missing[:20])) + (", ..." if len(report.missing) > 20 else "")
        text += f"; {len(report.missing)} row(s) whose file is missing (files ids {shown})"
    return text + "."
