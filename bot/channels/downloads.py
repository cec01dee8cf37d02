"""A file people sent, downloaded whole or not at all: its body read to the end within the size limit, then checked
against the length and SHA-256 the channel declared for it.

A short read is not a file: aiohttp's `content.read(n)` returns what is buffered, not n bytes, and a connection that
drops mid-body can look like an ending. Claim documents kept as their first 64 KB were the result (issue 18).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from collections.abc import AsyncIterable, Iterable

from handlers.engine.uploads import FileNotWhole, FileTooBig

logger = logging.getLogger(__name__)


async def collect(chunks: AsyncIterable[bytes], max_bytes: int) -> bytes:
    """Every chunk of a body, joined. Raises FileTooBig as soon as the body would pass max_bytes: the rest is not
    downloaded and never more than max_bytes are held."""
    body = bytearray()
    async for chunk in chunks:
        if len(body) + len(chunk) > max_bytes:
            raise FileTooBig(f"more than {max_bytes} bytes")
        body += chunk
    return bytes(body)


def declared_size(value: object) -> int | None:
    """A declared size in bytes from an int or a digit string (Meta's file_size is a string); None if absent or
    unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) < 16:
        return int(value.strip())
    return None


def declared_digest(value: object) -> bytes | None:
    """The 32-byte SHA-256 digest a channel declares, written in hex (Meta's media lookup) or base64 (Meta's
    webhook, standard or URL-safe, padded or not); None if absent or unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 64:
            return bytes.fromhex(text)
        padded = text + "=" * (-len(text) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True) if "-" in text or "_" in text \
            else base64.b64decode(padded, validate=True)
    except (ValueError, binascii.Error):
        raw = b""
    if len(raw) != hashlib.sha256().digest_size:
        logger.warning("a declared file hash that is not a SHA-256 (%d characters) was not checked", len(text))
        return None
    return raw


def check_whole(content: bytes, *, sizes: Iterable[object] = (), hashes: Iterable[object] = ()) -> None:
    """Raises FileNotWhole when `content` is not the declared length (any of `sizes`) or its SHA-256 is not a
    declared one (any of `hashes`). Absent or unreadable declarations check nothing."""
    for size in [declared_size(size) for size in sizes]:
        if size is not None and len(content) != size:
            raise FileNotWhole(f"{len(content)} of {size} bytes")
    digest = hashlib.sha256(content).digest()
    for expected in [declared_digest(value) for value in hashes]:
        if expected is not None and digest != expected:
            raise FileNotWhole(f"{len(content)} bytes whose SHA-256 is not the declared one")
