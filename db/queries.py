"""Data access that composes into the caller's transaction: keyword-only functions that never commit."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Asn, AuditEntry, Chat, ChatLink, ConsentToken, Officer, OutboxMessage, ProcessedEvent, RosterEntry, Sponsorship,
    StoredFile, Worker,
)


def _insert(session: AsyncSession, table: Table | type) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


async def insert_ignore(session: AsyncSession, model: type, values: dict[str, Any], *, returning: Any = None) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING; returns the `returning` column of the new row, or None on conflict."""
    statement = _insert(session, model).values(**values).on_conflict_do_nothing()
    if returning is None:
        result = await session.execute(statement)
        return result.rowcount
    return (await session.execute(statement.returning(returning))).scalar_one_or_none()


async def processed_among(session: AsyncSession, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (channel, event id) pairs were already processed: one query for a whole batch."""
    if not keys:
        return set()
    query = select(ProcessedEvent.channel, ProcessedEvent.event_id).where(
        tuple_(ProcessedEvent.channel, ProcessedEvent.event_id).in_(list(set(keys))))
    return {(row.channel, row.event_id) for row in await session.execute(query)}


async def mark_processed(session: AsyncSession, keys: Sequence[tuple[str, str]], *, now: datetime) -> None:
    """Record processed events. A plain insert: if another process got there first, the batch fails and is redone
    event by event, where the duplicate is recognised."""
    if keys:
        await session.execute(insert(ProcessedEvent), [{"channel": c, "event_id": e, "processed_at": now}
                                                       for c, e in keys])


async def chats_for_update(session: AsyncSession, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Chat]:
    """The chat rows of a batch's people, locked for this transaction (PostgreSQL), in one query."""
    wanted = list(set(keys))
    query = (select(Chat).where(tuple_(Chat.channel, Chat.address).in_(wanted)).with_for_update()
             if wanted else None)
    if query is None:
        return {}
    return {(chat.channel, chat.address): chat for chat in (await session.execute(query)).scalars()}


async def create_chat(session: AsyncSession, *, channel: str, address: str, now: datetime) -> Chat:
    """A person's first contact: their chat row (if a concurrent process created it, the batch is redone)."""
    chat = Chat(channel=channel, address=address, answers={}, version=0, language="id", created_at=now,
                updated_at=now)
    session.add(chat)
    await session.flush()
    return chat


# The statements run for nearly every message are built once, with bound parameters: SQLAlchemy then skips building
# each one and its cache key again, 100-200 µs of CPU per statement (measured on SQLite, where the statement itself
# takes a few µs).
_CHAT_LANGUAGE = select(Chat.language).where(Chat.channel == bindparam("channel"), Chat.address == bindparam("address"))
# The ASN of a chat: their own chat, or another channel's chat they linked to it.
_OF_CHAT = or_(Asn.chat_id == bindparam("chat_id"),
               Asn.id == select(ChatLink.asn_id).where(ChatLink.chat_id == bindparam("chat_id")).scalar_subquery())
_ASN_OF_CHAT = select(Asn).where(_OF_CHAT).limit(1)
_OPEN_SPONSORSHIPS_OF_ASN = (select(func.count()).select_from(Sponsorship)
                             .where(Sponsorship.asn_id == Asn.id, Sponsorship.ended_at.is_(None)).scalar_subquery())
_ASN_OF_CHAT_WITH_WORKERS = select(Asn, _OPEN_SPONSORSHIPS_OF_ASN).where(_OF_CHAT).limit(1)
_ASN_BY_NIP = select(Asn).where(Asn.nip == bindparam("nip"))
_WORKER_BY_NIK = select(Worker).where(Worker.nik == bindparam("nik"))


async def chat_language(session: AsyncSession, *, channel: str, address: str) -> str:
    return (await session.execute(_CHAT_LANGUAGE, {"channel": channel, "address": address})
            ).scalar_one_or_none() or "id"


async def db_officers(session: AsyncSession) -> set[tuple[str, str]]:
    return {(row.channel, row.address) for row in (await session.execute(select(Officer))).scalars()}


async def enqueue(session: AsyncSession, *, key: str, channel: str, address: str, payload: dict[str, Any],
                  now: datetime, not_before: datetime | None = None, quiet: bool = False) -> bool:
    """Put a message in the outbox; False when a message with this key already exists."""
    inserted = await insert_ignore(session, OutboxMessage, outbox_row(
        key=key, channel=channel, address=address, payload=payload, now=now, not_before=not_before, quiet=quiet),
        returning=OutboxMessage.id)
    return inserted is not None


def outbox_row(*, key: str, channel: str, address: str, payload: dict[str, Any], now: datetime,
               not_before: datetime | None = None, quiet: bool = False) -> dict[str, Any]:
    return {"key": key, "channel": channel, "address": address, "payload": payload, "status": "pending",
            "attempts": 0, "next_attempt_at": not_before or now, "created_at": now, "quiet": quiet}


async def hold_replies(session: AsyncSession, rows: Sequence[dict[str, Any]], *, owner: str,
                       now: datetime) -> dict[str, int]:
    """Durable replies: outbox rows already "sending" and held by `owner` (the process that sends them at once), in
    one statement. If that process dies before marking them sent, the outbox delivers them after the lease.
    Returns the new rows' ids by key."""
    if not rows:
        return {}
    values = [{**row, "status": "sending", "attempts": 1, "claimed_at": now, "claimed_by": owner} for row in rows]
    # An executemany with RETURNING ("insertmanyvalues"): compiled once and cached, where a VALUES list of the
    # batch's length would be compiled again for every batch.
    statement = (_insert(session, OutboxMessage.__table__).on_conflict_do_nothing(index_elements=["key"])
                 .returning(OutboxMessage.id, OutboxMessage.key))
    return {row.key: row.id for row in await session.execute(statement, values)}


async def existing_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of these outbox keys exist already (in chunks, within every database's parameter limit)."""
    found: set[str] = set()
    for start in range(0, len(keys), 900):
        chunk = keys[start:start + 900]
        found |= set((await session.execute(select(OutboxMessage.key).where(OutboxMessage.key.in_(chunk))))
                     .scalars())
    return found


async def enqueue_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Many outbox rows in one statement; keys that exist already are skipped."""
    if rows:
        # The table, not the mapped class: a plain executemany, without the ORM's bulk bookkeeping per row.
        await session.execute(_insert(session, OutboxMessage.__table__).on_conflict_do_nothing(
            index_elements=["key"]), rows)


async def audit(session: AsyncSession, *, actor: str, action: str, target: str | None, now: datetime,
                **details: Any) -> None:
    session.add(AuditEntry(at=now, actor=actor, action=action, target=target, details=details))


async def asn_of_chat(session: AsyncSession, chat_id: int) -> Asn | None:
    """The ASN of this chat: their own chat, or another channel's chat they linked to it."""
    return (await session.execute(_ASN_OF_CHAT, {"chat_id": chat_id})).scalar_one_or_none()


async def asn_of_chat_with_workers(session: AsyncSession, chat_id: int) -> tuple[Asn | None, int]:
    """The chat's ASN (as `asn_of_chat`) and how many workers they sponsor now, in one statement (the menu shows
    both)."""
    row = (await session.execute(_ASN_OF_CHAT_WITH_WORKERS, {"chat_id": chat_id})).one_or_none()
    return (row[0], row[1]) if row is not None else (None, 0)


async def asn_by_nip(session: AsyncSession, nip: str) -> Asn | None:
    return (await session.execute(_ASN_BY_NIP, {"nip": nip})).scalar_one_or_none()


async def roster_entry(session: AsyncSession, nip: str) -> RosterEntry | None:
    return await session.get(RosterEntry, nip)


async def worker_by_nik(session: AsyncSession, nik: str) -> Worker | None:
    return (await session.execute(_WORKER_BY_NIK, {"nik": nik})).scalar_one_or_none()


async def open_sponsorship(session: AsyncSession, worker_id: int) -> Sponsorship | None:
    query = select(Sponsorship).where(Sponsorship.worker_id == worker_id, Sponsorship.ended_at.is_(None))
    return (await session.execute(query)).scalar_one_or_none()


async def workers_of_asn(session: AsyncSession, asn_id: int) -> Sequence[Worker]:
    query = (select(Worker).join(Sponsorship, Sponsorship.worker_id == Worker.id)
             .where(Sponsorship.asn_id == asn_id, Sponsorship.ended_at.is_(None)).order_by(Worker.id))
    return (await session.execute(query)).scalars().all()


async def sponsorships_of_asn(session: AsyncSession, asn_id: int) -> list[tuple[Sponsorship, Worker]]:
    query = (select(Sponsorship, Worker).join(Worker, Worker.id == Sponsorship.worker_id)
             .where(Sponsorship.asn_id == asn_id, Sponsorship.ended_at.is_(None)).order_by(Sponsorship.id))
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def sponsor_of_worker(session: AsyncSession, worker_id: int) -> Asn | None:
    query = (select(Asn).join(Sponsorship, Sponsorship.asn_id == Asn.id)
             .where(Sponsorship.worker_id == worker_id, Sponsorship.ended_at.is_(None)))
    return (await session.execute(query)).scalar_one_or_none()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def consent_token(session: AsyncSession, token: str) -> ConsentToken | None:
    return await session.get(ConsentToken, token_hash(token))


async def pending_asns(session: AsyncSession, limit: int = 20) -> Sequence[Asn]:
    query = select(Asn).where(Asn.status == "pending").order_by(Asn.id).limit(limit)
    return (await session.execute(query)).scalars().all()


def _ready_for_bpjs() -> Any:
    """Workers an officer can register with BPJS: consent given, no KPJ yet, an open sponsorship (the same workers
    as the `awaiting_bpjs` status of db.standing)."""
    sponsored = select(Sponsorship.id).where(Sponsorship.worker_id == Worker.id, Sponsorship.ended_at.is_(None))
    return and_(Worker.status == "awaiting_bpjs", Worker.consent_at.is_not(None), sponsored.exists())


async def workers_awaiting_bpjs(session: AsyncSession, limit: int = 20) -> Sequence[Worker]:
    """The first `limit` workers ready for BPJS (see `_ready_for_bpjs`), oldest first."""
    query = select(Worker).where(_ready_for_bpjs()).order_by(Worker.id).limit(limit)
    return (await session.execute(query)).scalars().all()


async def count_awaiting_bpjs(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(Worker).where(_ready_for_bpjs()))).scalar_one()


async def upsert_roster(session: AsyncSession, rows: Sequence[dict[str, str]], now: datetime) -> None:
    """Roster entries by NIP (nip, name, opd and any other roster column given, e.g. phone): new or refreshed."""
    for row in rows:
        statement = _insert(session, RosterEntry).values(**row, imported_at=now)
        statement = statement.on_conflict_do_update(index_elements=["nip"], set_={
            **{key: getattr(statement.excluded, key) for key in row if key != "nip"}, "imported_at": now})
        await session.execute(statement)


async def set_unreachable(session: AsyncSession, *, channel: str, address: str, now: datetime) -> None:
    await session.execute(update(Chat).where(Chat.channel == channel, Chat.address == address)
                          .values(unreachable_at=now))




async def describe_chat(session: AsyncSession, *, channel: str, address: str) -> str:
    """Who is behind a chat, for an officer: the ASN's registered name and NIP where there is one; the name the
    person chose on the channel only beside it, quoted, so it cannot pass for a verified one."""
    row = (await session.execute(select(Asn.name, Asn.nip, Chat.display_name).select_from(Chat)
                                 .outerjoin(Asn, Asn.chat_id == Chat.id)
                                 .where(Chat.channel == channel, Chat.address == address))).first()
    account = f"{channel}:{address}"
    if row is not None and row.display_name:
        account += f" «{row.display_name}»"
    return f"{row.name} (NIP {row.nip}), {account}" if row is not None and row.name else account


async def files_since(session: AsyncSession, chat_id: int, since: datetime) -> int:
    """How many files this chat sent (and the bot kept) since `since`."""
    query = select(func.count()).select_from(StoredFile).where(StoredFile.chat_id == chat_id,
                                                               StoredFile.created_at >= since)
    return (await session.execute(query)).scalar_one()
