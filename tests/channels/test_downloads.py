"""bot/channels/downloads.py: a body read whole within its limit, and checked against every way a channel declares
a file's length and SHA-256 (Meta's webhook gives the hash in base64, its media lookup in hex and the size as a
string)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.downloads import check_whole, collect, declared_digest, declared_size
from handlers.engine.uploads import FileNotWhole, FileTooBig

CONTENT = b"%PDF-1.4\n" + bytes(range(256)) * 40
DIGEST = hashlib.sha256(CONTENT).digest()


async def chunks_of(content: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(content), size):
        yield content[start:start + size]


async def test_collect_joins_every_chunk_and_stops_past_the_limit() -> None:
    assert await collect(chunks_of(CONTENT, 7), len(CONTENT)) == CONTENT
    taken = []

    async def counted() -> AsyncIterator[bytes]:
        async for chunk in chunks_of(CONTENT, 100):
            taken.append(chunk)
            yield chunk
    with pytest.raises(FileTooBig):
        await collect(counted(), 1000)
    assert sum(map(len, taken)) <= 1100  # not one chunk more than needed to see it is too big


@pytest.mark.parametrize("written", [
    DIGEST.hex(), DIGEST.hex().upper(), base64.b64encode(DIGEST).decode(),
    base64.b64encode(DIGEST).decode().rstrip("="), base64.urlsafe_b64encode(DIGEST).decode(),
    " " + DIGEST.hex() + "\n"])
def test_a_declared_sha256_in_hex_or_base64(written: str) -> None:
    assert declared_digest(written) == DIGEST
    check_whole(CONTENT, hashes=(written,))
    with pytest.raises(FileNotWhole):
        check_whole(CONTENT[:-1], hashes=(written,))


@pytest.mark.parametrize("unreadable", [None, "", "x", "z" * 64, "not base64 at all!", 5, ["a"],
                                        base64.b64encode(b"sixteen bytes!!!").decode()])
def test_an_unreadable_declared_hash_checks_nothing(unreadable: object) -> None:
    assert declared_digest(unreadable) is None
    check_whole(CONTENT, hashes=(unreadable,))


def test_declared_sizes() -> None:
    assert [declared_size(v) for v in (10, "10", " 10 ", None, "", "ten", True, 1.5, "1e3")] == \
        [10, 10, 10, None, None, None, None, None, None]
    check_whole(CONTENT, sizes=(len(CONTENT), str(len(CONTENT)), None, "?"))
    with pytest.raises(FileNotWhole, match=f"{len(CONTENT) - 1} of {len(CONTENT)} bytes"):
        check_whole(CONTENT[:-1], sizes=(None, str(len(CONTENT))))


@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(), st.binary(),
                 st.lists(st.text(), max_size=3)))
def test_declarations_never_raise_on_any_value(value: object) -> None:
    declared_size(value)
    declared_digest(value)
