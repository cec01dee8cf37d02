"""Claims: a reported death or work accident, its reporters, documents and history, and the worker searches counted
against fishing."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, utcnow


# The claims whose death is still "live": at most one per worker (a death is reported once). Closed reports (rejected,
# withdrawn, expired, and "merged": a duplicate from before this rule, folded into the first) do not count, so a
# later reporter is never blocked by them.
LIVE_DEATH_CLAIM = "kind IN ('jkm', 'jkk_death') AND status NOT IN ('rejected', 'withdrawn', 'expired', 'merged')"


class Claim(Base):
    """A death or work accident reported by anyone (family, neighbour, the sponsor) and followed to payout.

    status: documents (being gathered) -> review (submitted) <-> more_docs (an officer asked for a document)
    -> forwarded (to BPJS) -> paid | rejected; a report still being gathered may be withdrawn by its reporter or
    expire (withdrawn | expired); "merged" is a duplicate death claim from before one death had one claim, folded
    into the first by migration 0009. Every change is a ClaimEvent row.

    A report is a claim, not a fact: a reported death changes nothing about the sponsorship until an officer has
    seen the death certificate and accepts it (`death_confirmed_at`); an officer may reverse that acceptance.
    One death, one claim: at most one live death claim per worker (`uq_claims_live_death`); a second reporter of the
    same death joins it (ClaimReporter).
    """

    __tablename__ = "claims"
    __table_args__ = (
        Index("uq_claims_live_death", "worker_id", unique=True,
              sqlite_where=text(LIVE_DEATH_CLAIM), postgresql_where=text(LIVE_DEATH_CLAIM)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(16), unique=True)  # KLM-2026-000123, from the saved report on
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    sponsorship_id: Mapped[int | None] = mapped_column(ForeignKey("sponsorships.id"))
    kind: Mapped[str] = mapped_column(String(12))  # jkm | jkk_injury | jkk_death
    event_date: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500))
    traffic: Mapped[bool | None] = mapped_column(Boolean)
    police_report: Mapped[bool | None] = mapped_column(Boolean)
    reporter_chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"), index=True)
    reporter_name: Mapped[str] = mapped_column(String(80))
    reporter_relation: Mapped[str] = mapped_column(String(16))
    reporter_phone: Mapped[str] = mapped_column(String(20))
    reporter_is_heir: Mapped[bool] = mapped_column(Boolean)
    reporter_consent_at: Mapped[datetime]
    estimate: Mapped[int | None] = mapped_column(BigInteger)  # rupiah; None: no ceiling (medical care)
    scholarship: Mapped[bool] = mapped_column(Boolean, default=False)  # the family may qualify: yearly reminder
    status: Mapped[str] = mapped_column(String(12), default="documents", index=True)
    requested: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {doc key: officer's note}
    paid_amount: Mapped[int | None] = mapped_column(BigInteger)
    paid_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    death_confirmed_at: Mapped[datetime | None]  # an officer accepted the death, the certificate seen
    death_confirmed_by: Mapped[str | None] = mapped_column(String(90))


class ClaimReporter(Base):
    """A further reporter of a claim's event (a second report of the same death): what they said and how to reach
    them. The claim's own reporter_* columns are its main reporter's, who sends the documents; an officer may make
    one of these the main reporter."""

    __tablename__ = "claim_reporters"
    __table_args__ = (UniqueConstraint("claim_id", "chat_id", name="uq_claim_reporters_claim_chat"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    relation: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str] = mapped_column(String(20))
    is_heir: Mapped[bool] = mapped_column(Boolean)
    consent_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(12))  # what this reporter said happened
    event_date: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClaimDocument(Base):
    """One document of a claim: which one of the checklist, and the stored file."""

    __tablename__ = "claim_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    doc: Mapped[str] = mapped_column(String(32))  # checklist key from config
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Sent by a reporter who is no longer the claim's main reporter (withdrew, or an officer chose another): kept
    # for the record and shown to officers, no longer counted in the checklist.
    superseded_at: Mapped[datetime | None]


class ClaimEvent(Base):
    """The history of a claim: who changed its state, when, from what to what, and why."""

    __tablename__ = "claim_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(90))  # channel:address
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(String(300))


class ClaimLookup(Base):
    """A search for a worker by someone reporting a claim: counted to limit fishing for who is enrolled."""

    __tablename__ = "claim_lookups"
    __table_args__ = (Index("ix_claim_lookups_chat_at", "chat_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
