"""Typed SQLAlchemy 2 models. Schema changes go through Alembic migrations (db/migrations)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, false, text,
)
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from db.months import Month, MonthType


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


# The claims whose death is still "live": at most one per worker (a death is reported once). Closed reports (rejected,
# withdrawn, expired, and "merged": a duplicate from before this rule, folded into the first) do not count, so a
# later reporter is never blocked by them.
LIVE_DEATH_CLAIM = "kind IN ('jkm', 'jkk_death') AND status NOT IN ('rejected', 'withdrawn', 'expired', 'merged')"


class Base(AsyncAttrs, DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), Month: MonthType()}


class Chat(Base):
    """One person on one channel: language, privacy consent, and the conversation state."""

    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_chats_channel_address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(140))  # WhatsApp's business-scoped user ids run to 131 characters
    language: Mapped[str] = mapped_column(String(2), default="id")
    display_name: Mapped[str | None] = mapped_column(String(80))
    privacy_version: Mapped[int | None] = mapped_column(Integer)  # notice version agreed to
    privacy_agreed_at: Mapped[datetime | None]
    flow: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(32))
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    unreachable_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ProcessedEvent(Base):
    """Incoming events already handled: the same Telegram update delivered twice is processed once."""

    __tablename__ = "processed_events"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(160), primary_key=True)  # WhatsApp's wamids are long
    processed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Officer(Base):
    """Officers added with `tuwai officer add` (those listed in config.toml are officers too)."""

    __tablename__ = "officers"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    address: Mapped[str] = mapped_column(String(140), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class RosterEntry(Base):
    """The ASN roster imported by an officer: an ASN whose NIP is here is approved at once."""

    __tablename__ = "roster"

    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    opd: Mapped[str] = mapped_column(String(120))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164; when set, automatic approval needs it shared


class Asn(Base):
    """A civil servant who sponsors workers. One NIP, one ASN, one chat."""

    __tablename__ = "asns"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"), unique=True)
    nip: Mapped[str] = mapped_column(String(18), unique=True)
    nip_kind: Mapped[str] = mapped_column(String(8))  # pns | pppk
    name: Mapped[str] = mapped_column(String(80))
    opd: Mapped[str] = mapped_column(String(120))
    opd_other: Mapped[str | None] = mapped_column(String(120))  # the OPD's name when "Lainnya" was chosen
    phone: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | approved | rejected
    decided_by: Mapped[str | None] = mapped_column(String(90))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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


class StoredFile(Base):
    """An uploaded file, kept outside anything served, under a random name."""

    __tablename__ = "files"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"))
    purpose: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(String(200))
    mime_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """A message that is not a direct reply. The unique key makes planning twice create nothing twice."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(140))
    payload: Mapped[dict[str, Any]] = mapped_column()
    # pending -> sending -> sent | failed | unreachable
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    # Which process holds a "sending" row (its lease, renewed while it sends); mark-sent checks it still does.
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Reminders respect the quiet hours: held until morning, never sent at night.
    quiet: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # WhatsApp: the wamid a send returned, and what the delivery statuses said (sent | delivered | read | failed).
    external_id: Mapped[str | None] = mapped_column(String(160), index=True)
    delivery: Mapped[str | None] = mapped_column(String(12))


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


class AuditEntry(Base):
    """Officers' actions, their views of personal data (action "view"), exports, and refused attempts."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_actor_at", "actor", "at"), Index("ix_audit_log_target", "target"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(90))  # channel:address
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str | None] = mapped_column(String(60))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


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
# -- WhatsApp (issue 11) -----------------------------------------------------------------------------------------------
class WhatsAppInbox(Base):
    """Every webhook item as it arrived (a message or a status), stored before the 200 answer: Meta's retries of
    the same wamid are stored once and processed once."""

    __tablename__ = "whatsapp_inbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_key: Mapped[str] = mapped_column(String(160), unique=True)  # the wamid, or "status:<wamid>:<status>"
    kind: Mapped[str] = mapped_column(String(8))  # message | status
    address: Mapped[str] = mapped_column(String(140))  # business-scoped user id where given, else the phone number
    phone: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(80))
    item: Mapped[dict[str, Any]] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(index=True)


class WhatsAppContact(Base):
    """One person on WhatsApp: their phone (when known), the 24-hour window, and when they were last reached outside
    it (the daily messaging limit counts those people)."""

    __tablename__ = "whatsapp_contacts"

    address: Mapped[str] = mapped_column(String(140), primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    last_inbound_at: Mapped[datetime | None]
    reached_at: Mapped[datetime | None] = mapped_column(index=True)


class ChatLink(Base):
    """A second chat of the same ASN (WhatsApp and Telegram): either works; `Asn.chat_id` is the one reminders use."""

    __tablename__ = "chat_links"

    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"), primary_key=True)
    asn_id: Mapped[int] = mapped_column(ForeignKey("asns.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
