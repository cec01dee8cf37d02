"""Delivery of the outbox: claim due rows, send within each channel's limits, record what happened.

A row is claimed by a conditional update (PostgreSQL: FOR UPDATE SKIP LOCKED), so two processes never send the
same row. A process that dies leaves its rows "sending"; after the lease they are claimed again, so the only
possible duplicate is a message sent in the instant before its row was marked sent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import Channel, RetryLater, Transient, Unreachable
from db import queries
from db.models import OutboxMessage
from handlers.types import reply_from_payload

logger = logging.getLogger(__name__)


MARGIN = 1.02


class RateLimiter:
    """At most `per_second` sends overall and `per_chat` per second to one chat; a 429 pauses that chat.

    A send takes an overall slot only once its chat is ready, so one busy chat never holds back the others.
    """

    def __init__(self, per_second: float, per_chat: float, *, monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        # Sends are spaced 2% wider than the limit: requests reach the server with a few milliseconds of jitter, and
        # exactly-on-the-limit spacing lets some one-second window catch one send too many (a 429).
        self.interval = MARGIN / per_second if per_second > 0 else 0.0
        self.chat_interval = MARGIN / per_chat if per_chat > 0 else 0.0
        self.monotonic = monotonic
        self.sleep = sleep
        self._next_global = 0.0
        self._next_chat: dict[str, float] = {}
        self._gate = asyncio.Lock()

    async def acquire(self, address: str) -> None:
        while True:
            ready = self._next_chat.get(address, 0.0)
            if ready > self.monotonic():  # this chat must wait; the others go on meanwhile
                await self.sleep(ready - self.monotonic())
                continue
            if self.interval:
                # One send at a time through the overall gate, spaced from the previous send's real moment: when the
                # machine is busy and the loop runs late, the sends that were due do not go out in a burst.
                async with self._gate:
                    wait = self._next_global - self.monotonic()
                    if wait > 0:
                        await self.sleep(wait)
                    self._next_global = self.monotonic() + self.interval
            now = self.monotonic()
            if self._next_chat.get(address, 0.0) > now:  # a 429 paused this chat while we waited: wait again
                continue
            self._next_chat[address] = now + self.chat_interval
            if len(self._next_chat) > 100_000:  # forget chats whose slot has long passed
                self._next_chat = {a: t for a, t in self._next_chat.items() if t > now}
            return

    def pause(self, address: str, seconds: float) -> None:
        self._next_chat[address] = max(self._next_chat.get(address, 0.0), self.monotonic() + seconds)


@dataclass
class Outcome:
    id: int
    status: str
    next_attempt_at: datetime | None = None
    error: str | None = None
    retry_after: bool = False


class Deliverer:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], channels: Mapping[str, Channel], *,
                 limiters: Mapping[str, RateLimiter], max_attempts: int = 8, lease_seconds: int = 60,
                 batch_size: int = 200, poll_seconds: float = 1.0, parallel_batches: int = 4,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 sending_hours: Callable[[datetime], bool] = lambda now: True,
                 on_unreachable: Callable[[AsyncSession, str, str, datetime], Awaitable[None]] | None = None) -> None:
        self.sessions = sessions
        self.channels = channels
        self.limiters = limiters
        self.max_attempts = max_attempts
        self.lease = timedelta(seconds=lease_seconds)
        self.batch_size = batch_size
        self.parallel_batches = parallel_batches
        self.poll_seconds = poll_seconds
        self.clock = clock
        self.sending_hours = sending_hours
        self.on_unreachable = on_unreachable
        self._wake = asyncio.Event()
        self._in_flight: set[int] = set()
        self.counters = {"sent": 0, "retried": 0, "failed": 0, "unreachable": 0, "rate_limited": 0}

    def wake(self) -> None:
        self._wake.set()

    async def run_forever(self) -> None:
        """Claim batches while fewer than `parallel_batches` are being sent: a batch waiting on a busy chat's
        per-chat limit does not hold back the next one."""
        running: set[asyncio.Task[None]] = set()
        while True:
            rows: list[OutboxMessage] = []
            if len(running) < self.parallel_batches:
                try:
                    rows = await self._claim()
                except Exception:  # the database went away for a moment: keep the loop alive and try again
                    logger.exception("outbox claim failed")
            if rows:
                task = asyncio.create_task(self._deliver(rows))
                running.add(task)
                task.add_done_callback(running.discard)
                continue
            self._wake.clear()
            waiters = [asyncio.ensure_future(self._wake.wait()), *running]
            done, _ = await asyncio.wait(waiters, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            if waiters[0] not in done:
                waiters[0].cancel()

    async def deliver_once(self) -> int:
        """Claim and send one batch of due messages; returns how many were claimed."""
        rows = await self._claim()
        if rows:
            await self._deliver(rows)
        return len(rows)

    async def _deliver(self, rows: list[OutboxMessage]) -> None:
        ids = {row.id for row in rows}
        self._in_flight |= ids
        try:
            outcomes = await asyncio.gather(*(self._send(row) for row in rows))
            await self._record(outcomes, rows)
        except Exception:  # the rows stay "sending" and are taken again after the lease: nothing is lost
            logger.exception("outbox results could not be recorded")
        finally:
            self._in_flight -= ids

    async def _claim(self) -> list[OutboxMessage]:
        now = self.clock()
        # A channel may serve one person only (the terminal of `tuwai chat --as X`): it takes only their messages.
        mine = or_(*[and_(OutboxMessage.channel == name, OutboxMessage.address == channel.only_address)
                     if getattr(channel, "only_address", None) else OutboxMessage.channel == name
                     for name, channel in self.channels.items()])
        due = or_(and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
                  and_(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - self.lease))
        if not self.sending_hours(now):  # reminders wait for the morning; notifications and replies do not
            due = and_(due, OutboxMessage.quiet.is_(False))
        if self._in_flight:  # never take back a row this process is still sending, however slow the channel
            due = and_(due, OutboxMessage.id.notin_(self._in_flight))
        async with self.sessions() as session, session.begin():
            ids = (select(OutboxMessage.id).where(due, mine)
                   .order_by(OutboxMessage.id).limit(self.batch_size).with_for_update(skip_locked=True))
            claimed = await session.execute(
                update(OutboxMessage).where(OutboxMessage.id.in_(ids.scalar_subquery()), due)
                .values(status="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
                .returning(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.address, OutboxMessage.payload,
                           OutboxMessage.attempts)
                .execution_options(synchronize_session=False))
            return [OutboxMessage(id=r.id, channel=r.channel, address=r.address, payload=r.payload,
                                  attempts=r.attempts) for r in claimed]

    async def _send(self, row: OutboxMessage) -> Outcome:
        channel = self.channels[row.channel]
        limiter = self.limiters.get(row.channel)
        if limiter is not None:
            await limiter.acquire(row.address)
        try:
            await channel.send(row.address, reply_from_payload(row.payload))
        except RetryLater as error:
            self.counters["rate_limited"] += 1
            if limiter is not None:
                limiter.pause(row.address, error.seconds)
            return Outcome(row.id, "pending", self.clock() + timedelta(seconds=error.seconds), "429",
                           retry_after=True)
        except Unreachable as error:
            self.counters["unreachable"] += 1
            return Outcome(row.id, "unreachable", error=str(error)[:200])
        except (Transient, OSError, asyncio.TimeoutError) as error:
            return self._backoff(row, str(error) or type(error).__name__)
        except Exception as error:  # a bug in rendering must not stop every other message
            logger.exception("outbox message %s could not be sent", row.id)
            return self._backoff(row, type(error).__name__)
        self.counters["sent"] += 1
        return Outcome(row.id, "sent")

    def _backoff(self, row: OutboxMessage, error: str) -> Outcome:
        if row.attempts >= self.max_attempts:
            self.counters["failed"] += 1
            return Outcome(row.id, "failed", error=error[:200])
        self.counters["retried"] += 1
        delay = min(2 ** row.attempts, 600)
        return Outcome(row.id, "pending", self.clock() + timedelta(seconds=delay), error[:200])

    async def _record(self, outcomes: list[Outcome], rows: list[OutboxMessage]) -> None:
        now = self.clock()
        by_id = {row.id: row for row in rows}
        sent = [outcome.id for outcome in outcomes if outcome.status == "sent"]
        async with self.sessions() as session, session.begin():
            if sent:  # the common case in one statement
                await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(sent))
                                      .values(status="sent", sent_at=now, last_error=None))
            for outcome in outcomes:
                if outcome.status == "sent":
                    continue
                values: dict[str, object] = {"status": outcome.status, "last_error": outcome.error}
                if outcome.next_attempt_at is not None:
                    values["next_attempt_at"] = outcome.next_attempt_at
                if outcome.retry_after:  # being asked to wait is not a failed attempt
                    values["attempts"] = OutboxMessage.attempts - 1
                await session.execute(update(OutboxMessage).where(OutboxMessage.id == outcome.id).values(**values))
                if outcome.status == "unreachable":
                    row = by_id[outcome.id]
                    await queries.set_unreachable(session, channel=row.channel, address=row.address, now=now)
                    if self.on_unreachable is not None:
                        await self.on_unreachable(session, row.channel, row.address, now)
