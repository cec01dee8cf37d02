"""Claim data access that composes into the caller's transaction: keyword-only functions that never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (AuditEntry, Claim, ClaimDocument, ClaimEvent, ClaimLookup, ClaimReporter, Contribution,
                       Sponsorship, StoredFile, Worker)
from db.rules.months import Month

WITH_OFFICERS = ("review", "more_docs", "forwarded")  # submitted and not closed
DRAFT = "documents"  # saved, documents being gathered, not yet submitted
DEATH_KINDS = ("jkm", "jkk_death")
# Closed reports: they block nobody (models.LIVE_DEATH_CLAIM) and can no longer change.
CLOSED = ("rejected", "withdrawn", "expired", "merged")


def reference_of(claim_id: int, year: int) -> str:
    """KLM-2026-000123: the year of the report and the claim's number."""
    return f"KLM-{year:04d}-{claim_id:06d}"


def normalize_reference(text: str) -> str | None:
    """The reference as people type it ("klm-2026-000123", "KLM 2026 123") in its canonical form, or None."""
    parts = [part for part in text.strip().upper().replace(" ", "-").split("-") if part]
    if len(parts) != 3 or parts[0] != "KLM" or not all(p.isascii() and p.isdigit() for p in parts[1:]):
        return None
    if len(parts[1]) != 4 or len(parts[2]) > 9:
        return None
    return reference_of(int(parts[2]), int(parts[1]))


async def by_reference(session: AsyncSession, text: str) -> Claim | None:
    reference = normalize_reference(text)
    if reference is None:
        return None
    return (await session.execute(select(Claim).where(Claim.reference == reference))).scalar_one_or_none()


async def open_claim(session: AsyncSession, claim: Claim, *, actor: str, now: datetime) -> None:
    """Add a new claim and its first history row (from nothing to its status)."""
    session.add(claim)
    await session.flush()
    session.add(ClaimEvent(claim_id=claim.id, at=now, actor=actor, from_status=None, to_status=claim.status))


async def change_status(session: AsyncSession, claim: Claim, to: str, *, actor: str, now: datetime,
                        note: str | None = None) -> None:
    """Move a claim to `to` and write the history row (who, when, from, to, note)."""
    session.add(ClaimEvent(claim_id=claim.id, at=now, actor=actor, from_status=claim.status, to_status=to,
                           note=(note or None) and note[:300]))
    claim.status, claim.updated_at = to, now


async def move_reporter(session: AsyncSession, claim: Claim, chat_id: int, *, actor: str, now: datetime,
                        note: str) -> None:
    """The reporter follows the claim from another chat: its notices and documents go there from now on. A history
    row records it (the status stays)."""
    session.add(ClaimEvent(claim_id=claim.id, at=now, actor=actor, from_status=claim.status, to_status=claim.status,
                           note=note[:300]))
    claim.reporter_chat_id, claim.updated_at = chat_id, now


async def history(session: AsyncSession, claim_id: int) -> Sequence[ClaimEvent]:
    query = select(ClaimEvent).where(ClaimEvent.claim_id == claim_id).order_by(ClaimEvent.at, ClaimEvent.id)
    return (await session.execute(query)).scalars().all()


async def documents(session: AsyncSession, claim_id: int, *,
                    superseded: bool = False) -> list[tuple[ClaimDocument, StoredFile]]:
    """The claim's documents and their files, in the order received: those of its reporters now (the checklist),
    or with `superseded` those too that a former reporter sent (what officers see)."""
    query = (select(ClaimDocument, StoredFile).join(StoredFile, StoredFile.id == ClaimDocument.file_id)
             .where(ClaimDocument.claim_id == claim_id).order_by(ClaimDocument.id))
    if not superseded:
        query = query.where(ClaimDocument.superseded_at.is_(None))
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def documents_seen_by(session: AsyncSession, actor: str, claim_id: int) -> set[int]:
    """Ids of the claim's documents already sent to this officer (their views are in the audit log)."""
    ids = select(ClaimDocument.id).where(ClaimDocument.claim_id == claim_id)
    targets = [f"claim_document:{ident}" for ident in (await session.execute(ids)).scalars()]
    query = select(AuditEntry.target).where(AuditEntry.actor == actor, AuditEntry.action == "claim_document_viewed",
                                            AuditEntry.target.in_(targets))
    return {int(target.split(":", 1)[1]) for target in (await session.execute(query)).scalars() if target}


async def supersede_documents(session: AsyncSession, claim_id: int, *, now: datetime) -> None:
    """The documents sent so far no longer count (their reporter left): kept, shown to officers as earlier ones."""
    await session.execute(update(ClaimDocument).where(ClaimDocument.claim_id == claim_id,
                                                      ClaimDocument.superseded_at.is_(None))
                          .values(superseded_at=now))


async def claims_of_reporter(session: AsyncSession, chat_id: int) -> Sequence[Claim]:
    """The claims this chat reported, as their main reporter or as a further reporter, newest first."""
    joined = select(ClaimReporter.claim_id).where(ClaimReporter.chat_id == chat_id)
    query = (select(Claim).where(or_(Claim.reporter_chat_id == chat_id, Claim.id.in_(joined)))
             .order_by(Claim.id.desc()).limit(10))
    return (await session.execute(query)).scalars().all()


async def live_death_claim(session: AsyncSession, worker_id: int) -> Claim | None:
    """The worker's one death claim that is not closed (models.LIVE_DEATH_CLAIM): a later report of the same death
    joins it."""
    query = select(Claim).where(Claim.worker_id == worker_id, Claim.kind.in_(DEATH_KINDS),
                                Claim.status.not_in(CLOSED)).limit(1)
    return (await session.execute(query)).scalar_one_or_none()


async def confirmed_death(session: AsyncSession, worker_id: int) -> Claim | None:
    """The claim whose death an officer accepted (and did not reverse): the worker is deceased."""
    query = (select(Claim).where(Claim.worker_id == worker_id, Claim.death_confirmed_at.is_not(None))
             .order_by(Claim.id).limit(1))
    return (await session.execute(query)).scalar_one_or_none()


async def deceased_of_asn(session: AsyncSession, asn_id: int) -> list[tuple[Claim, Worker]]:
    """(death claim, worker) for the workers this ASN sponsored whose death an officer accepted, oldest first."""
    query = (select(Claim, Worker).join(Worker, Worker.id == Claim.worker_id)
             .join(Sponsorship, Sponsorship.id == Claim.sponsorship_id)
             .where(Sponsorship.asn_id == asn_id, Claim.death_confirmed_at.is_not(None))
             .order_by(Claim.id))
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def for_officers(session: AsyncSession, limit: int = 20) -> Sequence[Claim]:
    """Claims officers follow, oldest change first (the ones waiting longest on top): submitted ones not closed,
    then drafts not yet submitted (so a report nobody finishes is seen, and who made it)."""
    followed = Claim.status.in_((*WITH_OFFICERS, DRAFT))
    query = (select(Claim).where(followed).order_by(Claim.status == DRAFT, Claim.updated_at, Claim.id)
             .limit(limit))
    return (await session.execute(query)).scalars().all()


async def count_for_officers(session: AsyncSession) -> int:
    query = select(func.count()).select_from(Claim).where(Claim.status.in_((*WITH_OFFICERS, DRAFT)))
    return (await session.execute(query)).scalar_one()


async def co_reporters(session: AsyncSession, claim_id: int) -> Sequence[ClaimReporter]:
    """The claim's further reporters, in the order they reported."""
    query = select(ClaimReporter).where(ClaimReporter.claim_id == claim_id).order_by(ClaimReporter.id)
    return (await session.execute(query)).scalars().all()


async def co_reporter_of(session: AsyncSession, claim_id: int, chat_id: int) -> ClaimReporter | None:
    query = select(ClaimReporter).where(ClaimReporter.claim_id == claim_id, ClaimReporter.chat_id == chat_id)
    return (await session.execute(query)).scalar_one_or_none()


async def stale_drafts(session: AsyncSession, *, before: datetime) -> Sequence[Claim]:
    """Drafts nobody touched since `before`: they expire."""
    query = select(Claim).where(Claim.status == DRAFT, Claim.updated_at < before).order_by(Claim.id)
    return (await session.execute(query)).scalars().all()


async def untouched(session: AsyncSession, *, before: datetime) -> Sequence[Claim]:
    query = (select(Claim).where(Claim.status.in_(WITH_OFFICERS), Claim.updated_at < before)
             .order_by(Claim.updated_at))
    return (await session.execute(query)).scalars().all()


async def lookups_since(session: AsyncSession, chat_id: int, since: datetime) -> list[datetime]:
    query = (select(ClaimLookup.at).where(ClaimLookup.chat_id == chat_id, ClaimLookup.at >= since)
             .order_by(ClaimLookup.at))
    return list((await session.execute(query)).scalars().all())


async def record_lookup(session: AsyncSession, chat_id: int, now: datetime) -> None:
    session.add(ClaimLookup(chat_id=chat_id, at=now))
    # Old rows serve no purpose: keep the table small.
    await session.execute(delete(ClaimLookup).where(ClaimLookup.at < now - timedelta(days=2)))


async def stop_billing_after(session: AsyncSession, sponsorship_id: int, last: Month) -> list[Contribution]:
    """After a death: unpaid months after `last` are removed; the prepaid ones are returned (to be refunded)."""
    await session.execute(delete(Contribution).where(Contribution.sponsorship_id == sponsorship_id,
                                                     Contribution.period > last, Contribution.status == "due"))
    query = (select(Contribution).where(Contribution.sponsorship_id == sponsorship_id, Contribution.period > last)
             .order_by(Contribution.period))
    return list((await session.execute(query)).scalars().all())
