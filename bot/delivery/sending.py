"""What the outbox does with one claimed row: send it through its channel within the channel's limits, and write
what happened (sent, again later with backoff, failed, unreachable, or lost because the lease was no longer held)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import RetryLater, Transient, Unreachable
from db import queries
from db.models import OutboxMessage
from db.retention import is_blank
from handlers.engine.types import reply_from_payload

logger = logging.getLogger(__name__)
OnUnreachable = Callable[[AsyncSession, str, str, datetime], Awaitable[None]]


@dataclass
class Outcome:
    id: int
    status: str  # sent | pending | failed | unreachable | lost (the lease was no longer ours: not sent)
    next_attempt_at: datetime | None = None
    error: str | None = None
    retry_after: bool = False
    external_id: str | None = None  # the channel's id of the sent message (WhatsApp's wamid), for its statuses
    at: datetime | None = None  # when it was sent: its batch's sent_at (retention counts from it)


async def send_row(deliverer: Any, row: OutboxMessage) -> Outcome:
    """Send one claimed row through its channel, within the channel's limits, while the lease is still the
    deliverer's; the outcome says what to record (sent, again later, failed, unreachable, lost)."""
    channel = deliverer.channels[row.channel]
    if is_blank(row.payload):  # blanked after it was sent (db/retention.py): nothing is left to send again
        return Outcome(row.id, "failed", error="body no longer kept")
    limiter = deliverer.limiters.get(row.channel)
    if limiter is not None:
        await limiter.acquire(row.address)
    reply = reply_from_payload(row.payload)
    try:
        async with deliverer.sending_slots:
            if not deliverer.still_ours(row.id):  # the lease may have run out while waiting: another process may
                return Outcome(row.id, "lost")  # have it now, so this one leaves it alone
            # the row's key tells a channel what kind of message it is (WhatsApp picks its template by it)
            sent = await channel.send(row.address, replace(reply, extra={**reply.extra,
                                                                         "outbox_key": row.key or ""}))
    except RetryLater as error:
        deliverer.counters["rate_limited"] += 1
        if limiter is not None and error.pause_chat:
            limiter.pause(row.address, error.seconds)
        return Outcome(row.id, "pending", deliverer.clock() + timedelta(seconds=error.seconds), "429",
                       retry_after=True)
    except Unreachable as error:
        deliverer.counters["unreachable"] += 1
        return Outcome(row.id, "unreachable", error=str(error)[:200])
    except (Transient, OSError, asyncio.TimeoutError) as error:
        return backoff(deliverer, row, str(error) or type(error).__name__)
    except Exception as error:  # a bug in rendering must not stop every other message
        logger.exception("outbox message %s could not be sent", row.id)
        return backoff(deliverer, row, type(error).__name__)
    deliverer.counters["sent"] += 1
    return Outcome(row.id, "sent", external_id=sent if isinstance(sent, str) else None, at=deliverer.clock())


def backoff(deliverer: Any, row: OutboxMessage, error: str) -> Outcome:
    """Again later, ever later (2, 4, 8 ... seconds, at most 10 minutes), or failed after `max_attempts`."""
    if row.attempts >= deliverer.max_attempts:
        deliverer.counters["failed"] += 1
        return Outcome(row.id, "failed", error=error[:200])
    deliverer.counters["retried"] += 1
    delay = min(2 ** row.attempts, 600)
    return Outcome(row.id, "pending", deliverer.clock() + timedelta(seconds=delay), error[:200])


async def record_outcomes(session: AsyncSession, outcomes: list[Outcome], rows: list[OutboxMessage], *,
                          mine: Callable[[list[int]], tuple[object, ...]], now: datetime,
                          on_unreachable: OnUnreachable | None) -> None:
    """Write what happened to each row, in the caller's transaction; `mine(ids)` selects the rows among `ids` the
    sending process still holds (only those are changed)."""
    by_id = {row.id: row for row in rows}
    sent = [outcome for outcome in outcomes if outcome.status == "sent"]
    if sent:  # the common case in one statement, only for rows this process still holds; sent when the batch went
        moment = min(outcome.at or now for outcome in sent)
        result = await session.execute(update(OutboxMessage).where(*mine([outcome.id for outcome in sent]))
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
        await session.execute(update(OutboxMessage).where(*mine([outcome.id])).values(**values))
        if outcome.status == "unreachable":
            row = by_id[outcome.id]
            await queries.set_unreachable(session, channel=row.channel, address=row.address, now=now)
            if on_unreachable is not None:
                await on_unreachable(session, row.channel, row.address, now)
