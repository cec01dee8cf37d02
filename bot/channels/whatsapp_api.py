"""A thin client of the WhatsApp Cloud API (Graph API) on aiohttp: send a message, look up and download media.

The base URL and API version are configurable, so the same client talks to Meta and to the local stand-in. Graph
errors are mapped to the outbox's three kinds of failure (base.RetryLater, Transient, Unreachable).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from bot.channels.base import RetryLater, SendError, Transient, Unreachable
from bot.channels.downloads import check_whole, collect
from handlers.engine.uploads import FileNotWhole, FileTooBig

logger = logging.getLogger(__name__)

# Throughput (130429), pair rate (131056), the daily messaging limit (131048), "too many calls" (4, 80007).
RATE_LIMITED = {130429: 1.0, 131056: 6.0, 4: 60.0, 80007: 60.0, 131048: 3600.0}
# The person cannot be reached on WhatsApp: not a WhatsApp number, the number cannot receive, blocked by them.
NOT_REACHABLE = {131026, 131021, 131030, 131045, 131049}
OUTSIDE_WINDOW = 131047


class OutsideWindow(Transient):
    """A free-form message to someone whose 24-hour window had closed: send it again as a template."""


def error_for(code: int | None, message: str, status: int) -> SendError:
    """The outbox's kind of failure for a Graph error code (HTTP status when the body has none)."""
    if code in RATE_LIMITED:
        return RetryLater(RATE_LIMITED[code])
    if code in NOT_REACHABLE:
        return Unreachable(f"{code}: {message}")
    if code == OUTSIDE_WINDOW:
        return OutsideWindow(f"{code}: {message}")
    if status >= 500 or code in (1, 2, 131000, 131016):
        return Transient(f"{code}: {message}")
    return SendError(f"{code}: {message}")  # a malformed request: a bug, retried with backoff by the outbox


class GraphClient:
    def __init__(self, *, graph_base: str, api_version: str, phone_number_id: str, access_token: str,
                 timeout: float = 20.0) -> None:
        self.base = f"{graph_base.rstrip('/')}/{api_version}"
        self.phone_number_id = phone_number_id
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout, headers=self._headers,
                                                  connector=aiohttp.TCPConnector(limit=200))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, message: dict[str, Any]) -> str:
        """POST one message ({"to" or "recipient", "type", ...}); returns its wamid."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **message}
        data = await self._call("POST", f"{self.base}/{self.phone_number_id}/messages", json=body)
        try:
            return str(data["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as error:
            raise Transient("send answered without a message id") from error

    async def upload(self, content: bytes, mime: str, filename: str) -> str:
        """Upload a file to send (a receipt shown to an officer); returns its media id."""
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime)
        form.add_field("file", content, filename=filename, content_type=mime)
        data = await self._call("POST", f"{self.base}/{self.phone_number_id}/media", data=form)
        return str(data["id"])

    async def media(self, media_id: str) -> dict[str, Any]:
        """The media's url, mime_type, file_size (bytes, as a string) and sha256 (hex); an expired id raises
        SendError."""
        return await self._call("GET", f"{self.base}/{media_id}")

    async def download(self, url: str, max_bytes: int) -> bytes:
        """The media's whole body. Raises FileTooBig past max_bytes (the download stops there), FileNotWhole when
        the body stops short of its Content-Length or the connection drops mid-body, Transient for a network
        failure or an HTTP 5xx before the body, SendError for another refusal (an expired URL)."""
        try:
            async with self.session().get(url) as response:
                if response.status != 200:
                    raise (Transient if response.status >= 500 else SendError)(f"download: HTTP {response.status}")
                if (response.content_length or 0) > max_bytes:
                    raise FileTooBig(f"Content-Length {response.content_length}")
                try:
                    body = await collect(response.content.iter_any(), max_bytes)
                except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                    raise FileNotWhole(f"download cut short: {type(error).__name__}") from error
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise Transient(f"download: {type(error).__name__}") from error
        # Content-Length counts the bytes on the wire: comparable only to a body that was not decompressed.
        if response.content_length is not None and "Content-Encoding" not in response.headers:
            check_whole(body, sizes=(response.content_length,))
        return body

    async def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            async with self.session().request(method, url, **kwargs) as response:
                try:
                    data = await response.json(content_type=None)
                except ValueError:
                    data = {}
                if response.status == 200 and isinstance(data, dict) and "error" not in data:
                    return data
                error = (data or {}).get("error") if isinstance(data, dict) else None
                code = error.get("code") if isinstance(error, dict) else None
                text = str(error.get("message", "")) if isinstance(error, dict) else f"HTTP {response.status}"
                raise error_for(code, text[:150], response.status)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise Transient(f"{type(error).__name__}") from error
