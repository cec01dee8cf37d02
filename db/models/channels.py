"""Channels and delivery: events processed once, the outbox, the WhatsApp webhook's inbox and contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, utcnow


class ProcessedEvent(Base):
    """Incoming events already handled: the same Telegram update delivered twice is processed once."""

    __tablename__ = "processed_events"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(160), primary_key=True)  # WhatsApp's wamids are long
    processed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


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
