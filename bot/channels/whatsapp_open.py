"""A template's "Buka" (open) button: the outbox message the template carried, shown again in full.

The button's payload names the outbox row by its key (bot/channels/whatsapp_render.py, OPEN). Its body is kept for
`[retention] open_days` after sending (db/retention.py); a press after that is told the text is no longer kept.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from db.models import OutboxMessage
from db.retention import is_blank
from handlers.engine.types import Choice, Reply, reply_from_payload
from handlers.registration.message_gone import GONE


async def reopen(sessions: Any, key: str, *, address: str, phone: str | None) -> Reply | Choice | None:
    """The outbox message with `key`, if it was sent to this very person (by user id or number): the message to show
    again, or the "no longer kept" action when its body was blanked; None when there is no such message for them."""
    async with sessions() as session:
        message = (await session.execute(select(OutboxMessage.address, OutboxMessage.payload).where(
            OutboxMessage.key == key, OutboxMessage.channel == "whatsapp"))).one_or_none()
    if message is None or message.address not in (address, phone):
        return None
    if is_blank(message.payload):
        return Choice(GONE)
    return reply_from_payload(message.payload)
