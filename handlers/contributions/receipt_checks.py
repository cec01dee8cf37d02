"""Receipts that are not new: the same file sent again, and months an import marked paid while a receipt waited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db import queries
from db.models import Asn, Chat, Contribution, Receipt, Sponsorship, StoredFile, Worker
from handlers.engine.format import month_name
from handlers.engine.i18n import Catalog, Translator
from handlers.engine.types import Reply, reply_to_payload


async def same_receipt(session: AsyncSession, stored: StoredFile) -> Receipt | None:
    """An earlier receipt (pending or verified) with exactly the same file (SHA-256), or None."""
    query = (select(Receipt).join(StoredFile, StoredFile.id == Receipt.file_id)
             .where(StoredFile.sha256 == stored.sha256, StoredFile.id != stored.id,
                    Receipt.status.in_(("pending", "verified"))).order_by(Receipt.id).limit(1))
    return (await session.execute(query)).scalar_one_or_none()


async def close_receipts_paid_by_import(session: AsyncSession, catalog: Catalog, now: datetime) -> int:
    """Pending receipts whose every month is now paid (an import did it): verified by "import", the ASN told.

    Returns how many receipts were closed. Call in the import's transaction, after the months were marked paid.
    """
    unpaid = (select(Contribution.id).where(Contribution.receipt_id == Receipt.id, Contribution.status != "paid")
              .exists())
    any_month = select(Contribution.id).where(Contribution.receipt_id == Receipt.id).exists()
    query = (select(Receipt, Worker.name, Chat)
             .join(Asn, Asn.id == Receipt.asn_id).join(Chat, Chat.id == Asn.chat_id)
             .join(Sponsorship, Sponsorship.id == Receipt.sponsorship_id)
             .join(Worker, Worker.id == Sponsorship.worker_id)
             .where(Receipt.status == "pending", any_month, ~unpaid))
    closed = 0
    for receipt, name, chat in (await session.execute(query)).all():
        receipt.status, receipt.decided_by, receipt.decided_at = "verified", "import", now
        months = (await session.execute(select(Contribution.period).where(Contribution.receipt_id == receipt.id)
                                        .order_by(Contribution.period))).scalars().all()
        t = Translator(catalog, chat.language)
        text = t("journey.receipt.closed_by_import", id=receipt.id, name=name,
                 months=", ".join(month_name(m, t.language) for m in months))
        await queries.enqueue(session, key=f"receipt_import:{receipt.id}", channel=chat.channel, address=chat.address,
                              payload=reply_to_payload(Reply(text)), now=now)
        await queries.audit(session, actor="import", action="receipt_verified", target=f"receipt:{receipt.id}",
                            now=now)
        closed += 1
    return closed

