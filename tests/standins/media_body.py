"""A file's body as a real network delivers it, for the stand-ins' download endpoints: in small writes with the
event loop turning between them (so a client sees it arrive piece by piece), and with the faults a mobile network
or a CDN can produce.

Faults: "cut" promises the whole file (Content-Length) but closes the connection halfway; "short" sends a
well-formed body (chunked, no Content-Length) of half the file; "altered" sends the whole length with its last byte
changed, so only a hash check can tell.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

CHUNK = 16 * 1024
FAULTS = ("cut", "short", "altered")


def body_for(content: bytes, fault: str | None) -> bytes:
    """What goes over the wire for `content` under `fault`."""
    if fault in ("cut", "short"):
        return content[:len(content) // 2]
    if fault == "altered":
        return content[:-1] + bytes([content[-1] ^ 0xFF]) if content else b"\0"
    return content


async def serve_body(request: web.Request, content: bytes, mime: str, *, fault: str | None = None,
                     with_length: bool = True, chunk: int = CHUNK,
                     served: list[int] | None = None) -> web.StreamResponse:
    """Stream `content` (or its faulty version) in writes of `chunk` bytes; `served[0]` counts the bytes written.
    `with_length` False sends no Content-Length (chunked), as a CDN may.

    A client that stops reading (a file over its limit) ends the stream quietly."""
    response = web.StreamResponse(headers={"Content-Type": mime})
    if with_length and fault != "short":
        response.content_length = len(content)
    if fault == "cut":
        response.force_close()
    body = body_for(content, fault)
    await response.prepare(request)
    try:
        for start in range(0, len(body), chunk):
            await response.write(body[start:start + chunk])  # write() drains: back-pressure from the client
            if served is not None:
                served[0] += len(body[start:start + chunk])
            await asyncio.sleep(0)
        if fault == "cut" and request.transport is not None:
            request.transport.close()  # the connection drops before Content-Length bytes came
            return response
        await response.write_eof()
    except (ConnectionError, RuntimeError):  # the client went away (RuntimeError: aiohttp's closed transport)
        pass
    return response
