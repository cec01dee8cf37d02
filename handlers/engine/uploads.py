"""Files people send: size and type checked from the content, kept private under random names."""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from db.files.private import private_dir
from db.files.transactions import remove_after_commit, written_in_transaction
from db.models import StoredFile
from handlers.engine.types import Invalid

EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}
MB = 1024 * 1024


class FileTooBig(Exception):
    """Raised by a channel's download: the file is over the limit (by its declared size, or more bytes came than
    allowed), and the download stopped there."""


class FileNotWhole(Exception):
    """Raised by a channel's download: the file arrived cut short or changed (its length or SHA-256 is not what the
    channel declared for it). Nothing is stored; the person is asked to send it again."""


def too_big(max_bytes: int) -> Invalid:
    return Invalid("file.too_big", max_mb=max_bytes // MB)


def sniff_mime(content: bytes) -> str | None:
    """The real type of an upload, from its first bytes: a photo or a PDF, whatever its name claims."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def check_upload(content: bytes, max_bytes: int) -> str:
    """The MIME type of an acceptable upload; raises Invalid ("file.too_big", "file.type") otherwise."""
    if len(content) > max_bytes:
        raise too_big(max_bytes)
    mime = sniff_mime(content)
    if mime is None:
        raise Invalid("file.type")
    return mime


async def store_upload(session: AsyncSession, files_dir: Path, content: bytes, mime: str, *, chat_id: int,
                       purpose: str, now: datetime) -> StoredFile:
    """Write the file (0600, random name) and add its row to the session.

    The file is removed again if the session's transaction does not commit (db/files/transactions.py)."""
    private_dir(files_dir)
    name = secrets.token_hex(16) + EXTENSIONS[mime]
    written_in_transaction(session, files_dir / name)
    await asyncio.to_thread(_write_private, files_dir / name, content)
    stored = StoredFile(chat_id=chat_id, purpose=purpose, path=name, mime_type=mime, size=len(content),
                        sha256=hashlib.sha256(content).hexdigest(), created_at=now)
    session.add(stored)
    await session.flush()
    return stored


async def forget_upload(session: AsyncSession, files_dir: Path, stored: StoredFile) -> None:
    """An upload not kept (the same file sent twice, a document replaced): its row is deleted now, its file once
    the transaction commits (a rollback keeps both)."""
    await session.delete(stored)
    await session.flush()
    remove_after_commit(session, files_dir / stored.path)


def _write_private(path: Path, content: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
