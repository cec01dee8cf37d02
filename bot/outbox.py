"""Delivery of the outbox: claim due rows, send within each channel's limits, record what happened.

A row is claimed by a conditional update (PostgreSQL: FOR UPDATE SKIP LOCKED), so two processes never send the
same row; a live process renews the lease of what it holds. A process that dies leaves its rows "sending"; after the
lease they are claimed again, so the only possible duplicate is a message sent in the instant before its row was
marked sent. Direct replies are outbox rows too (held by the process that answers at once, see `bot.replies`).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import Channel, RetryLater, Transient, Unreachable
from bot.ratelimit import RateLimiter
from db import queries
from db.models import OutboxMessage
from db.retention import BLANK, is_blank
from handlers.types import reply_from_payload

__all__ = ["Deliverer", "RateLimiter", "Outcome"]
logger = logging.getLogger(__name__)
HOLD = 0.5  # share of the lease a row is sent within, after its claim or renewal
SENDS_AT_ONCE = 64  # requests in flight: a claimed row is checked just before its own request, not long before


@dataclass
class Outcome:
    id: int
    status: str  # sent | pending | failed | unreachable | lost (the lease was no longer ours: not sent)
    next_attempt_at: datetime | None = None
    error: str | None = None
    retry_after: bool = False
    external_id: str | None = None  # the channel's id of the sent message (WhatsApp's wamid), for its statuses
    at: datetime | None = None  # when it was sent: its batch's sent_at (retention counts from it)


class Deliverer:
    """Claims due rows under a lease that it renews while it sends (`renew_forever`), so a slow but live process
    keeps what it claimed; it claims no more than it can send within the lease, never sends a row whose lease it
    may have lost, and marks a row sent only while it still holds it."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], channels: Mapping[str, Channel], *,
                 limiters: Mapping[str, RateLimiter], max_attempts: int = 8, lease_seconds: int = 60,
                 batch_size: int = 200, poll_seconds: float = 1.0, parallel_batches: int = 4,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 sending_hours: Callable[[datetime], bool] = lambda now: True,
                 on_unreachable: Callable[[AsyncSession, str, str, datetime], Awaitable[None]] | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
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
        self.monotonic = monotonic
        self.owner = secrets.token_hex(8)  # this process's name on the rows it holds
        # Sending a row is safe until this monotonic moment (half its lease after the claim or the last renewal):
        # the other half covers the time from that check to the request reaching the channel on a busy machine.
        self._held: dict[int, float] = {}
        self._sending = asyncio.Semaphore(SENDS_AT_ONCE)
        self._marks: set[int] = set()  # durable replies delivered, marked sent with the next claim
        self._wake = asyncio.Event()
        self.counters = {"sent": 0, "retried": 0, "failed": 0, "unreachable": 0, "rate_limited": 0, "lost": 0}

    def wake(self) -> None:
        self._wake.set()

    def capacity(self) -> int:
        """How many rows this process may hold: what the slowest channel sends in half a lease."""
        intervals = [limiter.interval for limiter in self.limiters.values() if limiter.interval > 0]
        unlimited = self.batch_size * self.parallel_batches
        if not intervals:
            return unlimited
        return max(1, min(unlimited, int(self.lease.total_seconds() / 2 / max(intervals))))

    async def run_forever(self) -> None:
        """Claim batches while fewer than `parallel_batches` are being sent: a batch waiting on a busy chat's
        per-chat limit does not hold back the next one."""
        running: set[asyncio.Task[None]] = set()
        while True:
            rows: list[OutboxMessage] = []
            try:
                if len(running) < self.parallel_batches:
                    rows = await self._claim()
                elif self._marks:
                    await self.flush_marks()
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

    async def renew_forever(self) -> None:
        """Renew the lease of every row this process holds, five times per lease."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 5)
            await self.renew()

    async def deliver_once(self) -> int:
        """Claim and send one batch of due messages; returns how many were claimed."""
        rows = await self._claim()
        if rows:
            await self._deliver(rows)
        return len(rows)

    # -- durable replies, sent at once by the process that wrote them (bot.replies) -----------------------------------
    def hold(self, ids: list[int]) -> None:
        until = self.monotonic() + self.lease.total_seconds() * HOLD
        for ident in ids:
            self._held[ident] = until

    def still_ours(self, ident: int) -> bool:
        return self._held.get(ident, 0.0) > self.monotonic()

    def mark_sent(self, ids: list[int]) -> None:
        self._marks.update(ids)
        self.wake()

    async def release(self, ids: list[int], *, status: str = "pending", not_before: datetime | None = None,
                      error: str | None = None) -> None:
        """Rows this process holds but will not send now: back to the outbox (due at `not_before`), or closed."""
        if not ids:
            return
        values: dict[str, object] = {"status": status, "claimed_by": None, "last_error": error}
        if not_before is not None:
            values["next_attempt_at"] = not_before
        try:
            async with self.sessions() as session, session.begin():
                await session.execute(update(OutboxMessage).where(*self._mine(ids)).values(**values))
        finally:  # if that failed, the rows are no longer renewed: the outbox takes them again after the lease
            self._forget(set(ids))
        self.wake()

    async def flush_marks(self) -> None:
        marks, self._marks = self._marks, set()
        try:
            async with self.sessions() as session, session.begin():
                await self._apply_marks(session, marks)
        except BaseException:
            self._marks |= marks  # tried again with the next claim
            raise
        self._forget(marks)

    # -- claiming, renewing, recording ---------------------------------------------------------------------------------
    def _mine(self, ids: list[int] | set[int]) -> tuple[object, ...]:
        """Rows among `ids` that this process still holds."""
        return (OutboxMessage.id.in_(sorted(ids)), OutboxMessage.claimed_by == self.owner,
                OutboxMessage.status == "sending")

    async def _apply_marks(self, session: AsyncSession, marks: set[int]) -> None:
        if marks:
            # Direct replies: nothing reads them once sent, and officers' views hold full NIKs (db/retention.py).
            await session.execute(update(OutboxMessage).where(*self._mine(marks))
                                  .values(status="sent", sent_at=self.clock(), last_error=None, payload=BLANK))

    def _forget(self, ids: set[int]) -> None:
        for ident in ids:
            self._held.pop(ident, None)

    async def renew(self) -> None:
        ids = list(self._held)
        if not ids:
            return
        started, now = self.monotonic(), self.clock()
        kept: set[int] = set()
        async with self.sessions() as session, session.begin():
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                result = await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(chunk),
                                                                           OutboxMessage.claimed_by == self.owner)
                                               .values(claimed_at=now).returning(OutboxMessage.id)
                                               .execution_options(synchronize_session=False))
                kept |= set(result.scalars())
        until = started + self.lease.total_seconds() * HOLD
        lost = [ident for ident in ids if ident not in kept and ident in self._held]
        for ident in kept:
            if ident in self._held:
                self._held[ident] = until
        self._forget(set(lost))
        if lost:
            self.counters["lost"] += len(lost)
            logger.warning("outbox: %d message(s) this process held were taken over (lease expired); not sending "
                           "them", len(lost))

    async def _deliver(self, rows: list[OutboxMessage]) -> None:
        try:
            for name in {row.channel for row in rows}:  # a channel may look up what it needs for a batch at once
                prepare = getattr(self.channels[name], "prepare", None)
                if prepare is not None:
                    await prepare([row.address for row in rows if row.channel == name])
            outcomes = await asyncio.gather(*(self._send(row) for row in rows))
            await self._record(outcomes, rows)
        except Exception:  # the rows stay "sending" and are taken again after the lease: nothing is lost
            logger.exception("outbox results could not be recorded")
        finally:
            self._forget({row.id for row in rows})

    async def _claim(self) -> list[OutboxMessage]:
        room = min(self.batch_size, self.capacity() - len(self._held))
        now, started = self.clock(), self.monotonic()
        # A channel may serve one person only (the terminal of `tuwai chat --as X`): it takes only their messages.
        mine = or_(*[and_(OutboxMessage.channel == name, OutboxMessage.address == channel.only_address)
                     if getattr(channel, "only_address", None) else OutboxMessage.channel == name
                     for name, channel in self.channels.items()])
        due = or_(and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
                  and_(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - self.lease))
        if not self.sending_hours(now):  # reminders wait for the morning; notifications and replies do not
            due = and_(due, OutboxMessage.quiet.is_(False))
        if self._held:  # never take back a row this process is still sending, however slow the channel
            due = and_(due, OutboxMessage.id.notin_(list(self._held)))
        marks, self._marks = self._marks, set()  # delivered replies, marked sent in the claim's transaction
        try:
            async with self.sessions() as session, session.begin():
                await self._apply_marks(session, marks)
                claimed = await self._take(session, due, mine, room, now)
        except BaseException:
            self._marks |= marks
            raise
        self._forget(marks)
        until = started + self.lease.total_seconds() * HOLD
        for row in claimed:
            self._held[row.id] = until
        return [OutboxMessage(id=r.id, key=r.key, channel=r.channel, address=r.address, payload=r.payload,
                              attempts=r.attempts) for r in claimed]

    async def _take(self, session: AsyncSession, due: Any, mine: Any, room: int, now: datetime) -> list[Any]:
        if room <= 0:  # holding all it can send within a lease already
            return []
        return list(await session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(
                select(OutboxMessage.id).where(due, mine).order_by(OutboxMessage.id).limit(room)
                .with_for_update(skip_locked=True).scalar_subquery()), due)
            .values(status="sending", claimed_at=now, claimed_by=self.owner, attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage.id, OutboxMessage.key, OutboxMessage.channel, OutboxMessage.address,
                       OutboxMessage.payload, OutboxMessage.attempts)
            .execution_options(synchronize_session=False)))

    async def _send(self, row: OutboxMessage) -> Outcome:
        channel = self.channels[row.channel]
        if is_blank(row.payload):  # blanked after it was sent (db/retention.py): nothing is left to send again
            return Outcome(row.id, "failed", error="body no longer kept")
        limiter = self.limiters.get(row.channel)
        if limiter is not None:
            await limiter.acquire(row.address)
        reply = reply_from_payload(row.payload)
        try:
            async with self._sending:
                if not self.still_ours(row.id):  # the lease may have run out while waiting: another process may
                    return Outcome(row.id, "lost")  # have it now, so this one leaves it alone
                # the row's key tells a channel what kind of message it is (WhatsApp picks its template by it)
                sent = await channel.send(row.address, replace(reply, extra={**reply.extra,
                                                                             "outbox_key": row.key or ""}))
        except RetryLater as error:
            self.counters["rate_limited"] += 1
            if limiter is not None and error.pause_chat:
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
        return Outcome(row.id, "sent", external_id=sent if isinstance(sent, str) else None, at=self.clock())

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
        moment = min((o.at or now for o in outcomes if o.status == "sent"), default=now)  # when the batch went
        async with self.sessions() as session, session.begin():
            if sent:  # the common case in one statement, only for rows this process still holds
                result = await session.execute(update(OutboxMessage).where(*self._mine(sent))
                                               .values(status="sent", sent_at=moment, last_error=None))
                if result.rowcount != len(sent):
                    logger.warning("outbox: %d message(s) were sent after this process lost their lease",
                                   len(sent) - result.rowcount)
            for outcome in outcomes:
                if outcome.external_id is not None:
                    await session.execute(update(OutboxMessage).where(OutboxMessage.id == outcome.id)
                                          .values(external_id=outcome.external_id, delivery=None))
            for outcome in outcomes:
                if outcome.status in ("sent", "lost"):
                    continue
                values: dict[str, object] = {"status": outcome.status, "last_error": outcome.error,
                                             "claimed_by": None}
                if outcome.next_attempt_at is not None:
                    values["next_attempt_at"] = outcome.next_attempt_at
                if outcome.retry_after:  # being asked to wait is not a failed attempt
                    values["attempts"] = OutboxMessage.attempts - 1
                await session.execute(update(OutboxMessage).where(*self._mine([outcome.id])).values(**values))
                if outcome.status == "unreachable":
                    row = by_id[outcome.id]
                    await queries.set_unreachable(session, channel=row.channel, address=row.address, now=now)
                    if self.on_unreachable is not None:
                        await self.on_unreachable(session, row.channel, row.address, now)
