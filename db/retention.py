"""How long message bodies are kept: what people wrote (the WhatsApp inbox) and what the bot sent (the outbox).

People type NIKs in chat, and officers' views carry full NIKs and one-time codes. The rows stay while their keys
are needed (an inbox row's item_key and a processed event recognise Meta's retries of a wamid; an outbox row's key
keeps a reminder from being planned twice), but their bodies become {} (BLANK) as soon as nothing needs them:

- a WhatsApp inbox item, once processed (`db.whatsapp.mark_done` blanks it; `blank_inbox` catches older rows);
- an outbox message sent for good, except a WhatsApp message the outbox sent: a late "failed" status makes the bot
  send it again (kept `resend_for`), and one with buttons may have gone as a template whose "Buka" button shows it
  again in full (kept `open_for`);
- inbox rows and processed events older than the de-duplication window are deleted.

Each function changes one bounded batch in the caller's transaction and returns how many rows it changed; the
caller loops, a short transaction per batch, so SQLite's write lock is never held for long.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, cast, delete, func, not_, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import OutboxMessage, ProcessedEvent, WhatsAppInbox

BLANK: dict[str, Any] = {}
FINAL = ("sent", "failed", "unreachable")  # an outbox row in one of these is not sent again by itself
SECRET_KEYS = ("link_code:", "claim_code:")  # outbox keys of messages that carry a one-time code


def is_blank(body: dict[str, Any] | None) -> bool:
    """True for a body that was blanked (nothing of the message is left to show or send)."""
    return not body


def _has_body(column: Any) -> ColumnElement[bool]:
    # JSON has no equality operator on PostgreSQL; its text does ("{}" is how {} is stored on both databases).
    return cast(column, Text) != "{}"


async def blank_outbox(session: AsyncSession, *, now: datetime, resend_for: timedelta, open_for: timedelta,
                       limit: int) -> int:
    """Blank the bodies of up to `limit` outbox rows nothing will read again; returns how many."""
    sent_at = func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at)
    options = func.coalesce(func.json_array_length(OutboxMessage.payload["options"]), 0)
    # Sent by the outbox on WhatsApp (it has a wamid): the only rows a status can send again or "Buka" can show.
    may_be_read = and_(OutboxMessage.channel == "whatsapp", OutboxMessage.status == "sent",
                       OutboxMessage.external_id.is_not(None))
    # A one-time code is worth nothing after its minutes and much to a thief: gone after `resend_for`, buttons or not.
    secret = or_(*(OutboxMessage.key.startswith(prefix) for prefix in SECRET_KEYS))
    done_with = or_(not_(may_be_read), and_(or_(options == 0, secret), sent_at < now - resend_for),
                    sent_at < now - open_for)
    chosen = (select(OutboxMessage.id).where(OutboxMessage.status.in_(FINAL), _has_body(OutboxMessage.payload),
                                             done_with).limit(limit))
    result = await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(chosen.scalar_subquery()))
                                   .values(payload=BLANK).execution_options(synchronize_session=False))
    return max(result.rowcount or 0, 0)


async def blank_inbox(session: AsyncSession, *, limit: int) -> int:
    """Blank the items of up to `limit` processed inbox rows that still have one; returns how many."""
    chosen = (select(WhatsAppInbox.id).where(WhatsAppInbox.processed_at.is_not(None),
                                             _has_body(WhatsAppInbox.item)).limit(limit))
    result = await session.execute(update(WhatsAppInbox).where(WhatsAppInbox.id.in_(chosen.scalar_subquery()))
                                   .values(item=BLANK).execution_options(synchronize_session=False))
    return max(result.rowcount or 0, 0)


async def delete_old_inbox(session: AsyncSession, *, before: datetime, limit: int) -> int:
    """Delete up to `limit` inbox rows processed before `before` (past the de-duplication window)."""
    chosen = select(WhatsAppInbox.id).where(WhatsAppInbox.processed_at < before).limit(limit)
    result = await session.execute(delete(WhatsAppInbox).where(WhatsAppInbox.id.in_(chosen.scalar_subquery()))
                                   .execution_options(synchronize_session=False))
    return max(result.rowcount or 0, 0)


async def delete_old_processed(session: AsyncSession, *, before: datetime, limit: int) -> int:
    """Delete up to `limit` processed-event ids recorded before `before` (past the de-duplication window)."""
    chosen = (select(ProcessedEvent.channel, ProcessedEvent.event_id)
              .where(ProcessedEvent.processed_at < before).limit(limit))
    result = await session.execute(delete(ProcessedEvent).where(
        tuple_(ProcessedEvent.channel, ProcessedEvent.event_id).in_(chosen))
        .execution_options(synchronize_session=False))
    return max(result.rowcount or 0, 0)
