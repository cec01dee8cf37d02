"""Queries behind the officers' to-do lists: receipts awaiting a decision, lapsed sponsorships."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Asn, Contribution, Receipt, Sponsorship, Worker


async def count_pending_receipts(session: AsyncSession) -> int:
    query = select(func.count()).select_from(Receipt).where(Receipt.status == "pending")
    return int((await session.execute(query)).scalar_one())


async def pending_receipts(session: AsyncSession, limit: int = 10) -> Sequence[Any]:
    """The oldest receipts awaiting a decision, with the ASN's and the worker's names (rows of id, asn, opd, name)."""
    query = (select(Receipt.id, Asn.name.label("asn"), Asn.opd, Worker.name, Receipt.created_at)
             .join(Asn, Asn.id == Receipt.asn_id)
             .join(Sponsorship, Sponsorship.id == Receipt.sponsorship_id)
             .join(Worker, Worker.id == Sponsorship.worker_id)
             .where(Receipt.status == "pending").order_by(Receipt.id).limit(limit))
    return (await session.execute(query)).all()


async def receipt_months(session: AsyncSession, receipt_ids: Sequence[int]) -> dict[int, list[Any]]:
    """The months (and amounts) each receipt claims to pay, by receipt id."""
    if not receipt_ids:
        return {}
    query = (select(Contribution.receipt_id, Contribution.period, Contribution.amount)
             .where(Contribution.receipt_id.in_(list(receipt_ids))).order_by(Contribution.period))
    months: dict[int, list[Any]] = {}
    for row in (await session.execute(query)).all():
        months.setdefault(row.receipt_id, []).append(row)
    return months


async def count_lapsed(session: AsyncSession) -> int:
    query = select(func.count()).select_from(Sponsorship).where(Sponsorship.lapsed_at.is_not(None),
                                                                Sponsorship.ended_at.is_(None))
    return int((await session.execute(query)).scalar_one())


async def lapsed_workers(session: AsyncSession, limit: int = 10) -> Sequence[Any]:
    """Open sponsorships that lapsed, oldest lapse first (rows of worker, asn, lapsed_at)."""
    query = (select(Worker, Asn.name.label("asn"), Sponsorship.lapsed_at)
             .join(Sponsorship, Sponsorship.worker_id == Worker.id)
             .join(Asn, Asn.id == Sponsorship.asn_id)
             .where(Sponsorship.lapsed_at.is_not(None), Sponsorship.ended_at.is_(None))
             .order_by(Sponsorship.lapsed_at, Sponsorship.id).limit(limit))
    return (await session.execute(query)).all()


async def worker_by_nik_or_kpj(session: AsyncSession, digits: str) -> Worker | None:
    column = Worker.nik if len(digits) == 16 else Worker.kpj
    return (await session.execute(select(Worker).where(column == digits))).scalar_one_or_none()
