"""The audit rows that one-time codes leave (handlers/registration/code_guard.py), read back: counting them is the rate
limit, the latest of them is the state (locked or not, which code is live). Keyword-only functions that never commit.

"Latest" is by row id (insertion order), not by `at`: the clock may show the same instant for two rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEntry


async def times(session: AsyncSession, *, action: str, since: datetime, actor: str | None = None,
                target: str | None = None) -> list[datetime]:
    """When `action` happened since `since` (for this actor and/or target), oldest first."""
    query = select(AuditEntry.at).where(AuditEntry.action == action, AuditEntry.at > since)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if target is not None:
        query = query.where(AuditEntry.target == target)
    return list((await session.execute(query.order_by(AuditEntry.id))).scalars())


async def latest(session: AsyncSession, *, target: str, actions: Sequence[str]) -> AuditEntry | None:
    """The newest row of these actions for this target, or None."""
    query = (select(AuditEntry).where(AuditEntry.target == target, AuditEntry.action.in_(list(actions)))
             .order_by(AuditEntry.id.desc()).limit(1))
    return (await session.execute(query)).scalar_one_or_none()


async def since(session: AsyncSession, *, target: str, actions: Sequence[str], after: datetime) -> list[AuditEntry]:
    """Rows of these actions for this target after `after`, newest first."""
    query = (select(AuditEntry).where(AuditEntry.target == target, AuditEntry.action.in_(list(actions)),
                                      AuditEntry.at > after).order_by(AuditEntry.id.desc()))
    return list((await session.execute(query)).scalars())


async def standing_locks(session: AsyncSession, *, lock: str, unlock: str) -> list[AuditEntry]:
    """The `lock` rows not followed by an `unlock` of the same target: the locks in force, oldest first."""
    newest = (select(func.max(AuditEntry.id)).where(AuditEntry.action.in_([lock, unlock]))
              .group_by(AuditEntry.target))
    query = select(AuditEntry).where(AuditEntry.id.in_(newest), AuditEntry.action == lock).order_by(AuditEntry.id)
    return list((await session.execute(query)).scalars())
