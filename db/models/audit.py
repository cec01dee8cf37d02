"""What is kept for the record: uploaded files (outside anything served) and the audit log of officers' actions and
views."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, utcnow


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
