"""WhatsApp through the Cloud API: replies rendered within WhatsApp's limits, templates outside the 24-hour window.

Direct replies answer a message the person just sent, so they are always inside the window. Outbox messages
(`send`) check the window first: inside, normal messages; outside, the approved template for the message's kind,
counted against the daily limit of people reached (a message over the limit waits until the limit has room).
Every send takes a slot of the number's throughput (80 messages/s by default), shared by replies and the outbox.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import RetryLater, SendError, Transient
from bot.channels.downloads import check_whole, declared_size
from bot.channels.image_limits import fits_whatsapp_image
from bot.channels.whatsapp_api import GraphClient, OutsideWindow
from bot.channels.whatsapp_render import render, template_message
from bot.config import WhatsAppSettings
from db import whatsapp as store
from handlers.engine.types import Reply
from handlers.engine.uploads import FileNotWhole, FileTooBig

logger = logging.getLogger(__name__)
REMEMBERED_PAGES = 10_000


class ThroughputGate:
    """The number's throughput: sends spaced on a fixed schedule 4% under `per_second`, shared by replies and
    the outbox. The schedule does not slip when a send wakes up late (no rate lost to a busy event loop), and it
    never bunches sends up to catch up (Meta counts arrivals, and refuses past the limit with 130429)."""

    # 3% let arrivals bunched by scheduling jitter (~30 ms) past Meta's count: 3 of 20,000 refused in
    # bench/whatsapp.py; 4% gave none and still 96% of the limit.
    MARGIN = 1.04

    def __init__(self, per_second: float, *, monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.interval = self.MARGIN / per_second if per_second > 0 else 0.0
        self.monotonic, self.sleep = monotonic, sleep
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            now = self.monotonic()
            self._next = max(self._next, now)
            if self._next > now:
                await self.sleep(self._next - now)
            self._next += self.interval


class WhatsAppChannel:
    name = "whatsapp"

    def __init__(self, settings: WhatsAppSettings, *, sessions: async_sessionmaker[AsyncSession],
                 clock: Callable[[], datetime], program: str) -> None:
        self.settings = settings
        self.sessions = sessions
        self.clock = clock
        self.program = program
        self.api = GraphClient(graph_base=settings.graph_base, api_version=settings.api_version,
                               phone_number_id=settings.phone_number_id,
                               access_token=settings.access_token.get_secret_value())
        self.throughput = ThroughputGate(settings.per_second)
        self.untracked: OrderedDict[str, None] = OrderedDict()  # wamids of recent direct replies (no outbox row)
        self._shown: OrderedDict[str, Reply] = OrderedDict()  # the last reply with options, for list pages
        self._prefetched: dict[str, bytes | FileTooBig] = {}
        self._windows: dict[str, tuple[bool, str]] = {}  # looked up for the outbox batch being sent
        self._background: set[asyncio.Task[None]] = set()
        self._reach_lock = asyncio.Lock()  # one daily-limit decision at a time
        self.sent = 0
        self.templates_sent = 0
        self.up = True

    async def close(self) -> None:
        """Cancel the sends still under way and wait until they have ended (their connections closed)."""
        tasks = list(self._background)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.api.close()
        self.up = False

    def deep_link(self, payload: str) -> str | None:
        """A wa.me link that opens a chat with the bot with "/start <payload>" typed, ready to send."""
        number = self.settings.business_number.lstrip("+")
        return f"https://wa.me/{number}?text=%2Fstart%20{payload}" if number else None

    # -- files --------------------------------------------------------------------------------------------------------
    async def prefetch(self, media_id: str, max_bytes: int, sha256: str | None = None) -> bool:
        """Download a file before its event reaches the core, so the download never runs inside a transaction.
        False when the media is gone (expired or refused). A file over the limit is remembered as such; a network
        failure or a file that did not arrive whole leaves the download to the core (a second try)."""
        try:
            self._prefetched[media_id] = await self._download(media_id, max_bytes, sha256)
        except FileTooBig as error:
            self._prefetched[media_id] = error
        except (Transient, FileNotWhole) as error:
            logger.info("media %s could not be downloaded ahead: %s", media_id, error)
        except SendError as error:
            logger.info("media %s is not available: %s", media_id, error)
            return False
        return True

    async def fetch_file(self, ref: str, max_bytes: int, *, sha256: str | None = None) -> bytes:
        """The whole file (see handlers.context.Services.fetch_file); a media id that is gone raises Transient."""
        content = self._prefetched.pop(ref, None)
        if isinstance(content, FileTooBig):
            raise content
        if content is not None:
            return content
        try:
            return await self._download(ref, max_bytes, sha256)
        except SendError as error:
            raise Transient(str(error)) from error

    async def _download(self, media_id: str, max_bytes: int, sha256: str | None) -> bytes:
        """The media's bytes, checked against the lookup's file_size and sha256 and the webhook's sha256."""
        info = await self.api.media(media_id)
        size = declared_size(info.get("file_size"))
        if size is not None and size > max_bytes:
            raise FileTooBig(f"file_size {size}")  # refused without downloading it
        if not isinstance(info.get("url"), str):
            raise Transient("media lookup without a url")
        content = await self.api.download(info["url"], max_bytes)
        check_whole(content, sizes=(size,), hashes=(info.get("sha256"), sha256))
        return content

    # -- sending ------------------------------------------------------------------------------------------------------
    @staticmethod
    def _recipient(address: str) -> dict[str, str]:
        """A phone number goes in "to"; a business-scoped user id (e.g. "ID.1234...") in "recipient"."""
        return {"to": address} if address.isdigit() else {"recipient": address}

    async def _post(self, address: str, message: dict[str, Any]) -> str:
        await self.throughput.acquire()
        wamid = await self.api.send({**self._recipient(address), **message})
        self.sent += 1
        return wamid

    async def show(self, address: str, reply: Reply, page: int = 0) -> str:
        """A reply as normal messages (inside the window); the last message's wamid (the outbox follows its
        statuses; those of the messages before it are not followed)."""
        wamids = []
        if reply.extra.get("attachment") and page == 0:
            wamids.append(await self._attachment(address, reply.extra["attachment"],
                                                 reply.extra.get("attachment_mime", "")))
        for message in render(reply, page):
            wamids.append(await self._post(address, message))
        for wamid in wamids[:-1]:
            self._untracked(wamid)
        if reply.options:
            self._shown[address] = reply
            self._shown.move_to_end(address)
            if len(self._shown) > REMEMBERED_PAGES:
                self._shown.popitem(last=False)
        return wamids[-1]

    async def _attachment(self, address: str, path: str, mime: str) -> str:
        """A stored upload (a receipt, a claim document) shown to an officer: an image as an image; anything else,
        and an image over WhatsApp's 5 MB for images, as a document."""
        content = await asyncio.to_thread(Path(path).read_bytes)
        kind = "image" if mime.startswith("image/") and fits_whatsapp_image(len(content)) else "document"
        media_id = await self.api.upload(content, mime or "application/octet-stream", Path(path).name)
        media: dict[str, str] = {"id": media_id}
        if kind == "document":
            media["filename"] = Path(path).name
        return await self._post(address, {"type": kind, kind: media})

    def remembers(self, address: str) -> bool:
        return address in self._shown

    async def show_page(self, address: str, page: int) -> bool:
        """The next or previous page of the list last shown to this person; False when it is not remembered."""
        reply = self._shown.get(address)
        if reply is None:
            return False
        await self.show(address, reply, page)
        return True

    async def prepare(self, addresses: list[str]) -> None:
        """Look up the window of a batch of outbox messages' people at once (the outbox calls this)."""
        async with self.sessions() as session:
            self._windows.update(await store.windows(session, addresses, self.clock()))

    async def send(self, address: str, reply: Reply) -> str:
        """An outbox message: normal inside the window, a template outside it. Returns the wamid.

        A direct reply (no outbox key: the person has just written, so the window is open) is shown as it is; its
        statuses are not followed."""
        if "outbox_key" not in reply.extra:
            wamid = await self.show(address, reply)
            self._untracked(wamid)
            return wamid
        known = self._windows.pop(address, None)
        if known is None:
            async with self.sessions() as session:
                known = await store.window(session, address, self.clock())
        inside, language = known
        if inside:
            try:
                return await self.show(address, reply)
            except OutsideWindow:  # Meta's clock says the window closed: note it, and go on with a template
                async with self.sessions() as session, session.begin():
                    await store.close_window(session, address)
        return await self._send_template(address, reply, language)

    async def _send_template(self, address: str, reply: Reply, language: str) -> str:
        template = self._template_for(reply)
        if template is None:  # a configuration mistake, not the person's doing: retried, then given up as failed
            logger.warning("no [whatsapp.templates] entry for a message outside the 24-hour window")
            raise SendError("outside the 24-hour window and no template configured")
        wait = None
        if self.settings.daily_limit:
            async with self._reach_lock, self.sessions() as session, session.begin():
                wait = await store.reach(session, address, self.clock(), self.settings.daily_limit)
        if wait is not None:  # the daily limit of people reached is used up: this one waits for room
            raise RetryLater(wait.total_seconds(), pause_chat=False)
        code = language if language in template.body else next(iter(template.body), language)
        key = reply.extra.get("outbox_key") or ""
        message = template_message(reply, name=template.name, language=code, params=template.params,
                                   program=self.program, buttons=len(template.buttons.get(code, [])),
                                   opens=key if template.opens and key else None)
        wamid = await self._post(address, message)
        self.templates_sent += 1
        return wamid

    def _template_for(self, reply: Reply) -> Any:
        kind = (reply.extra.get("outbox_key") or "").split(":", 1)[0]
        templates = self.settings.templates
        if kind in templates:
            return templates[kind]
        if reply.options and "notification_action" in templates:
            return templates["notification_action"]
        return templates.get("notification")

    def _untracked(self, wamid: str) -> None:
        """A message no outbox row follows (a direct reply): its statuses need not be stored."""
        self.untracked[wamid] = None
        if len(self.untracked) > REMEMBERED_PAGES:
            self.untracked.popitem(last=False)

    def forget_file(self, media_id: str) -> None:
        """A downloaded file the flow did not take (a photo where text was asked) is not kept in memory."""
        self._prefetched.pop(media_id, None)

    def spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
