"""Data access for the WhatsApp channel: the webhook inbox, the 24-hour window, the daily limit, delivery statuses.

Keyword-only functions that compose into the caller's transaction and never commit (like db/queries.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Chat, OutboxMessage, WhatsAppContact, WhatsAppInbox
from db.queries import _insert
from db.retention import BLANK

WINDOW = timedelta(hours=24)
DAILY_LIMIT_LOCK = 0x7475_7761_6931  # "tuwai1": the advisory lock of the daily-limit count
# A later status never overwrites a further one (statuses can arrive out of order).
STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


async def store_items(session: AsyncSession, items: Sequence[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """Insert webhook items (item_key, kind, address, phone, name, item, received_at); (id, item) of the new ones.

    An item_key seen before (Meta retrying, or twice in one call) is skipped. One statement for all of them."""
    if not items:
        return []
    statement = _insert(session, WhatsAppInbox).on_conflict_do_nothing(index_elements=["item_key"]).returning(
        WhatsAppInbox.id, WhatsAppInbox.item_key)
    by_key = {item["item_key"]: item for item in items}
    new = (await session.execute(statement, list(by_key.values()))).all()
    return sorted((ident, by_key[key]) for ident, key in new)


async def note_inbound(session: AsyncSession, people: dict[str, tuple[str | None, datetime]]) -> None:
    """Open (or extend) the 24-hour window of each person who wrote: {address: (phone, moment)}."""
    if not people:
        return
    statement = _insert(session, WhatsAppContact)
    statement = statement.on_conflict_do_update(index_elements=["address"], set_={
        "last_inbound_at": statement.excluded.last_inbound_at,  # the moment of receipt only moves forward
        "phone": func.coalesce(statement.excluded.phone, WhatsAppContact.phone)})
    await session.execute(statement, [{"address": address, "phone": phone, "last_inbound_at": moment}
                                      for address, (phone, moment) in sorted(people.items())])


async def unprocessed(session: AsyncSession, *, limit: int, after: int = 0) -> list[WhatsAppInbox]:
    query = (select(WhatsAppInbox).where(WhatsAppInbox.processed_at.is_(None), WhatsAppInbox.id > after)
             .order_by(WhatsAppInbox.id).limit(limit))
    return list((await session.execute(query)).scalars())


async def mark_done(session: AsyncSession, ids: Sequence[int], *, now: datetime) -> None:
    """Processed: the item's body is blanked (what people type holds NIKs); its key stays to recognise retries."""
    if ids:
        await session.execute(update(WhatsAppInbox).where(WhatsAppInbox.id.in_(list(ids)))
                              .values(processed_at=now, item=BLANK))


async def window(session: AsyncSession, address: str, now: datetime) -> tuple[bool, str]:
    """(inside the 24-hour window, the person's language) for an address (a user id or a phone number)."""
    return (await windows(session, [address], now))[address]


async def windows(session: AsyncSession, addresses: Sequence[str], now: datetime) -> dict[str, tuple[bool, str]]:
    """`window` for many addresses at once: {address: (inside the 24-hour window, language)}."""
    wanted = sorted(set(addresses))
    found: dict[str, tuple[bool, str]] = {address: (False, "id") for address in wanted}
    for start in range(0, len(wanted), 400):
        chunk = wanted[start:start + 400]
        languages = dict((await session.execute(select(Chat.address, Chat.language).where(
            Chat.channel == "whatsapp", Chat.address.in_(chunk)))).all())
        inside: set[str] = set()
        for address, phone, last in (await session.execute(select(
                WhatsAppContact.address, WhatsAppContact.phone, WhatsAppContact.last_inbound_at).where(
                or_(WhatsAppContact.address.in_(chunk), WhatsAppContact.phone.in_(chunk))))).all():
            if last is not None and now - last < WINDOW:
                inside |= {address, phone}
        for address in chunk:
            found[address] = (address in inside, languages.get(address) or "id")
    return found


async def reach(session: AsyncSession, address: str, now: datetime, limit: int) -> timedelta | None:
    """Count `address` among the people reached outside the window today; None when allowed, else how long until
    the daily limit (`limit` people in 24 hours, 0 = unlimited) has room again."""
    if not limit:  # unlimited: nothing to count
        return None
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        # One decision at a time across processes (SQLite has one writer anyway): two sends must not both take
        # the last place of the day.
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DAILY_LIMIT_LOCK})
    since = now - WINDOW
    contact = await session.get(WhatsAppContact, address)
    if contact is not None and contact.reached_at is not None and contact.reached_at > since:
        return None
    reached = select(WhatsAppContact.reached_at).where(WhatsAppContact.reached_at > since)
    count = (await session.execute(select(func.count()).select_from(reached.subquery()))).scalar_one()
    if count >= limit:
        oldest = (await session.execute(select(WhatsAppContact.reached_at).where(WhatsAppContact.reached_at > since)
                                        .order_by(WhatsAppContact.reached_at).limit(1))).scalar_one()
        return max(oldest + WINDOW - now, timedelta(seconds=60))
    if contact is None:
        session.add(WhatsAppContact(address=address, reached_at=now))
    else:
        contact.reached_at = now
    return None


async def close_window(session: AsyncSession, address: str) -> None:
    """Meta said the window is closed (131047): the next try goes as a template."""
    await session.execute(update(WhatsAppContact).where(
        or_(WhatsAppContact.address == address, WhatsAppContact.phone == address)).values(last_inbound_at=None))


async def sent_by_wamid(session: AsyncSession, wamids: Sequence[str]) -> dict[str, OutboxMessage]:
    """The outbox rows that sent these wamids, locked for this transaction; messages we never sent are absent."""
    query = select(OutboxMessage).where(OutboxMessage.external_id.in_(sorted(set(wamids)))).with_for_update()
    return {row.external_id or "": row for row in (await session.execute(query)).scalars()}


def apply_status(row: OutboxMessage, status: str) -> None:
    """Note a delivery status on its outbox row; a status never goes back (they can arrive out of order)."""
    if STATUS_RANK.get(status, 0) > STATUS_RANK.get(row.delivery or "", 0):
        row.delivery = status


async def phone_of(session: AsyncSession, address: str) -> str | None:
    """The phone number WhatsApp gave for this address (the address itself when it is a phone number)."""
    if address.isdigit():
        return address
    return (await session.execute(select(WhatsAppContact.phone).where(
        WhatsAppContact.address == address))).scalar_one_or_none()
