"""What /healthz and /metrics say: the database takes writes, each channel's receive loop is alive, the outbox keeps
up, and every supervised task runs. Any of them wrong: 503 with the reasons."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.delivery.supervisor import Supervisor
from db.engine import check_writable
from db.models import OutboxMessage

logger = logging.getLogger(__name__)


@dataclass
class Limits:
    receive_seconds: float  # a receive loop whose last successful poll is older than this is dead
    outbox_seconds: float  # the oldest due outbox message may wait this long


class Health:
    def __init__(self, *, engine: AsyncEngine, read_sessions: async_sessionmaker[AsyncSession],
                 channels: Mapping[str, Any], supervisor: Supervisor, limits: Limits,
                 clock: Callable[[], datetime], sending_hours: Callable[[datetime], bool]) -> None:
        self.engine = engine
        self.read_sessions = read_sessions
        self.channels = channels
        self.supervisor = supervisor
        self.limits = limits
        self.clock = clock
        self.sending_hours = sending_hours

    async def check(self) -> dict[str, Any]:
        reasons: list[str] = []
        database = await self._database()
        if database is not None:
            reasons.append(f"database: {database}")
        channels = {}
        for name, channel in self.channels.items():
            age = receive_age(channel)
            channels[name] = {"up": bool(getattr(channel, "up", True)), "last_receive_seconds_ago": age}
            if not channels[name]["up"]:
                reasons.append(f"{name}: down")
            elif getattr(channel, "polling", False) and age is not None and age > self.limits.receive_seconds:
                reasons.append(f"{name}: nothing received for {age:.0f}s (receive loop dead?)")
        outbox = await self._outbox() if database is None else {"backlog": None, "oldest_due_seconds": None}
        oldest = outbox["oldest_due_seconds"]
        if oldest is not None and oldest > self.limits.outbox_seconds:
            reasons.append(f"outbox: the oldest due message has waited {oldest:.0f}s ({outbox['backlog']} waiting)")
        for task, error in sorted(self.supervisor.unhealthy().items()):
            reasons.append(f"{task}: {error}")
        return {"ok": not reasons, "reasons": reasons, "database": {"writable": database is None},
                "channels": channels, "outbox": outbox}

    async def _database(self) -> str | None:
        """None when a write goes through; else why not, in one line (the full error goes to the log)."""
        try:
            await check_writable(self.engine)
        except Exception as error:  # any failure to write means "not healthy"
            logger.warning("health check: the database does not take writes (%s)", str(error).splitlines()[0][:200])
            return "not writable: " + (str(getattr(error, "orig", None) or error).splitlines()[0][:200])
        return None

    async def _outbox(self) -> dict[str, Any]:
        now = self.clock()
        due = (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now)
        if not self.sending_hours(now):  # reminders held for the morning are not late
            due = due & OutboxMessage.quiet.is_(False)
        async with self.read_sessions() as session:
            backlog = (await session.execute(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.status.in_(("pending", "sending"))))).scalar_one()
            oldest = (await session.execute(select(func.min(OutboxMessage.next_attempt_at)).where(due))).scalar()
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=now.tzinfo)
        return {"backlog": backlog, "oldest_due_seconds": (now - oldest).total_seconds() if oldest else 0.0}

    async def figures(self, status: dict[str, Any] | None = None) -> dict[str, float]:
        """The same as gauges, for /metrics."""
        status = status or await self.check()
        figures = {"healthy": float(status["ok"]), "database_writable": float(status["database"]["writable"]),
                   "supervised_tasks_down": float(len(self.supervisor.unhealthy())),
                   "supervised_task_restarts_total": float(sum(s.restarts for s in self.supervisor.states.values()))}
        if status["outbox"]["backlog"] is not None:
            figures["outbox_depth"] = float(status["outbox"]["backlog"])
            figures["outbox_oldest_due_age_seconds"] = float(status["outbox"]["oldest_due_seconds"])
        for name, channel in status["channels"].items():
            figures[f"{name}_up"] = float(channel["up"])
            if channel["last_receive_seconds_ago"] is not None:
                figures[f"{name}_last_receive_age_seconds"] = channel["last_receive_seconds_ago"]
        return figures


def receive_age(channel: Any) -> float | None:
    """Seconds since the channel last received (a poll or a webhook call); None for channels that do not say."""
    last = getattr(channel, "last_receive", None)
    return None if last is None else max(0.0, time.time() - last)
