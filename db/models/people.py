"""People and identity: a chat on a channel, officers, the ASN roster, ASNs and their linked chats."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, utcnow


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


class ChatLink(Base):
    """A second chat of the same ASN (WhatsApp and Telegram): either works; `Asn.chat_id` is the one reminders use."""

    __tablename__ = "chat_links"

    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"), primary_key=True)
    asn_id: Mapped[int] = mapped_column(ForeignKey("asns.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
