"""Chat rows written once per group-commit batch, instead of once or twice per event.

Nearly every message changes its chat's row (step, answers, version): one UPDATE per event, often two (a flow moves
the chat on, a query autoflushes that, then the event's last state follows). In a batch whose session called
`hold_chat_writes`, those changes stay in the Chat objects and are written together by `write_held_chats`, one
executemany per set of changed columns, in the same transaction.

The Chat objects carry the new values throughout (every event of a batch shares the session's identity map, so a
person's second message in the same batch sees their first). Only a column-level SQL read of the chats table inside
the batch (another person's language for a notification) sees the row as of the batch's start.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, event, inspect, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from db.models import Chat

_HELD = "tuwai_held_chats"  # session.info key: chat id -> {column name: new value}
_COLUMNS = {prop.key: prop.columns[0].name for prop in Chat.__mapper__.column_attrs}  # attribute -> column


def hold_chat_writes(session: AsyncSession) -> None:
    """From now on, this session's changes to Chat rows wait for `write_held_chats`."""
    session.info[_HELD] = {}


@event.listens_for(Session, "before_flush")
def _hold(session: Session, _context: Any, _instances: Any) -> None:
    held: dict[int, dict[str, Any]] | None = session.info.get(_HELD)
    if held is None:
        return
    for chat in [item for item in session.dirty if isinstance(item, Chat)]:
        attrs = inspect(chat).attrs
        changes = {key: attrs[key].value for key in _COLUMNS if attrs[key].history.has_changes()}
        for key, value in changes.items():
            set_committed_value(chat, key, value)  # the object keeps the value; the flush no longer sees a change
        if changes:
            held.setdefault(chat.id, {}).update({_COLUMNS[key]: value for key, value in changes.items()})


async def write_held_chats(session: AsyncSession, *, now: datetime) -> None:
    """Write the held chat changes (one statement per set of changed columns); later changes flush as usual."""
    held: dict[int, dict[str, Any]] = session.info.pop(_HELD, None) or {}
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for chat_id, changes in held.items():
        row = {**changes, "updated_at": now}
        groups.setdefault(tuple(sorted(row)), []).append({f"new_{key}": value for key, value in row.items()}
                                                         | {"chat_id": chat_id})
    table = Chat.__table__
    for columns, rows in groups.items():
        statement = (update(table).where(table.c.id == bindparam("chat_id"))
                     .values({column: bindparam(f"new_{column}") for column in columns}))
        await session.execute(statement, rows)
