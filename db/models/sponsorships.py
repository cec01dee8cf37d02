"""Workers, sponsorships and the ledger: the worker enrolled, the ASN paying, consent links, the monthly contributions
and the receipts that pay them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, utcnow
from db.rules.months import Month


class Worker(Base):
    """A vulnerable worker enrolled by an ASN. One NIK, one worker."""

    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    nik: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    occupation: Mapped[str] = mapped_column(String(32))
    kecamatan_code: Mapped[str] = mapped_column(String(16))
    desa_code: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(20))
    heir_name: Mapped[str | None] = mapped_column(String(80))
    heir_relation: Mapped[str | None] = mapped_column(String(16))
    heir_phone: Mapped[str | None] = mapped_column(String(20))
    # awaiting_bpjs until an officer records the KPJ, then active
    status: Mapped[str] = mapped_column(String(16), default="awaiting_bpjs")
    kpj: Mapped[str | None] = mapped_column(String(11))
    bpjs_start: Mapped[date | None] = mapped_column(Date)
    consent_method: Mapped[str | None] = mapped_column(String(8))  # link | paper
    consent_at: Mapped[datetime | None]
    consent_file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id"))
    consent_chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id"))
    # Consent waiting for an officer (consent_at still None): "unverified" (a link opened without a worker phone on
    # file to check the shared number against) or "paper" (a signed form, consent_file_id); None otherwise.
    consent_review: Mapped[str | None] = mapped_column(String(12))
    consent_phone: Mapped[str | None] = mapped_column(String(20))  # the number shared when opening the link
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The KTP birth date lawfully differs from the NIK's digits (Dukcapil never reissues a NIK): confirmed at
    # enrolment, shown to officers.
    birth_date_differs: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    occupation_other: Mapped[str | None] = mapped_column(String(80))  # what "Lainnya" is
    # The first due date of the membership, set when the KPJ is recorded (db.rules.first_due_date): no month is due
    # before it. NULL for memberships recorded before this rule: their months keep their regular due dates.
    first_due: Mapped[date | None] = mapped_column(Date)


class Sponsorship(Base):
    """An ASN paying a worker's contribution. A worker has at most one open sponsorship."""

    __tablename__ = "sponsorships"
    __table_args__ = (
        Index("uq_sponsorships_open_worker", "worker_id", unique=True,
              sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asn_id: Mapped[int] = mapped_column(ForeignKey("asns.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    # Who pays decides the tariff: PP 50/2025's discount excludes APBD/APBN-funded contributions.
    funding: Mapped[str] = mapped_column(String(12), default="personal", server_default="personal")
    lapsed_at: Mapped[datetime | None]  # three consecutive unpaid months (DOMAIN.md 1.2)


class ConsentToken(Base):
    """A one-time link a worker opens to read the notice and agree. Only the token's hash is stored."""

    __tablename__ = "consent_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Contribution(Base):
    """One month of one sponsorship's ledger: amount due (whole rupiah), due date, state."""

    __tablename__ = "contributions"
    __table_args__ = (UniqueConstraint("sponsorship_id", "period", name="uq_contributions_month"),
                      Index("ix_contributions_status_due", "status", "due_date"))

    id: Mapped[int] = mapped_column(primary_key=True)
    sponsorship_id: Mapped[int] = mapped_column(ForeignKey("sponsorships.id"))
    period: Mapped[Month]
    amount: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    # due -> paid_unverified (receipt sent) -> paid (verified or imported); "late" is due past its due date
    status: Mapped[str] = mapped_column(String(16), default="due")
    paid_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(12))  # receipt | import
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Receipt(Base):
    """A payment receipt an ASN sent for one or more months, verified or rejected by an officer."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    asn_id: Mapped[int] = mapped_column(ForeignKey("asns.id"), index=True)
    sponsorship_id: Mapped[int] = mapped_column(ForeignKey("sponsorships.id"))
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"))
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | verified | rejected
    reason: Mapped[str | None] = mapped_column(String(300))
    decided_by: Mapped[str | None] = mapped_column(String(90))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
