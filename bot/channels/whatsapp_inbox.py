"""The WhatsApp webhook's inbox: signed calls stored at once (unique wamid), processed after, in order per person.

`receive` stores a call's messages and statuses (many concurrent calls share one transaction) and returns, so the
web server answers 200 at once; Meta's retries of the same wamid are stored once. `run_forever` hands the stored
messages to the conversation core (a person's messages one after the other, different people at once), sends the
replies, applies the delivery statuses to the outbox rows, and marks the items done. Items not done when the
process stops are processed at the next start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.whatsapp import WhatsAppChannel
from bot.channels.whatsapp_api import NOT_REACHABLE, OUTSIDE_WINDOW, RATE_LIMITED
from bot.channels.whatsapp_open import reopen
from bot.channels.whatsapp_render import OPEN, PAGE, payload_of
from bot.delivery.supervisor import finish_tasks
from db import queries
from db import whatsapp as store
from db.models import WhatsAppInbox
from handlers.engine.types import Event, File, Reply, Text

logger = logging.getLogger(__name__)
STATUS_TRIES, STATUS_RETRY_SECONDS, STORE_TIMEOUT, SHUTDOWN_SECONDS = 5, 1.0, 10.0, 5.0
EventHandler = Callable[[Event], Awaitable[None]]
OnUnreachable = Callable[[AsyncSession, str, str, datetime], Awaitable[None]]


class Inbox:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], channel: WhatsAppChannel,
                 handle: EventHandler, on_unreachable: OnUnreachable,
                 clock: Callable[[], datetime], max_file_bytes: int, max_attempts: int = 8) -> None:
        self.sessions = sessions
        self.channel = channel
        self.handle = handle
        self.on_unreachable = on_unreachable
        self.clock = clock
        self.max_file_bytes = max_file_bytes
        self.max_attempts = max_attempts
        self._pending: list[tuple[list[dict[str, Any]], asyncio.Future[None]]] = []
        self._store_wake = asyncio.Event()
        self._ready: asyncio.Queue[WhatsAppInbox] = asyncio.Queue()
        self._handling: dict[str, asyncio.Task[None]] = {}  # per person: their messages, one after the other
        self._sending: dict[str, asyncio.Task[None]] = {}  # per person: their replies, in order
        self._status_rows: list[WhatsAppInbox] = []
        self._status_wake = asyncio.Event()
        self._status_tries: dict[int, int] = {}
        self._done: list[int] = []
        self._done_wake = asyncio.Event()
        self._storer: asyncio.Task[None] | None = None
        self._closed = False  # no new webhook calls taken
        self._stopping = False  # the helpers finish what they hold and end
        self.counters = {"stored": 0, "duplicates": 0, "statuses": 0, "unknown_statuses": 0}

    # -- receiving: group commit of the webhook's items ---------------------------------------------------------------
    async def receive(self, items: list[dict[str, Any]]) -> None:
        """Store a call's items (returns once they are committed; raises if the database is unreachable).

        Statuses of this process's direct replies (no outbox row to update) are dropped unless they report a
        failure: sent/delivered/read arrive for every message and would triple the writes."""
        items = [item for item in items if not (item["kind"] == "status" and item["item"].get("status") != "failed"
                                                and item["item"].get("id") in self.channel.untracked)]
        if not items:
            return
        if self._storer is None or self._storer.done() or self._closed:
            raise RuntimeError("the whatsapp inbox is not running")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((items, future))
        self._store_wake.set()
        # Never hold a webhook call for long: past this, it is answered 500 and Meta sends it again.
        await asyncio.wait_for(asyncio.shield(future), timeout=STORE_TIMEOUT)

    async def _store_loop(self) -> None:
        """Until closed: each round stores every call that arrived meanwhile, in one transaction."""
        while not self._closed or self._pending:
            await self._store_wake.wait()
            self._store_wake.clear()
            pending, self._pending = self._pending, []
            if not pending:
                continue
            try:
                rows = await self._store([item for items, _ in pending for item in items])
            except Exception:  # the callers answer 500 and Meta tries again later
                logger.exception("whatsapp webhook items could not be stored")
                for _, future in pending:
                    future.set_exception(RuntimeError("not stored"))
                continue
            for _, future in pending:
                future.set_result(None)
            for row in rows:
                self._ready.put_nowait(row)

    async def _store(self, items: list[dict[str, Any]]) -> list[WhatsAppInbox]:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            new = await store.store_items(session, items)
            people = {item["address"]: (item["phone"], now) for item in items if item["kind"] == "message"}
            await store.note_inbound(session, people)
        self.counters["stored"] += len(new)
        self.counters["duplicates"] += len(items) - len(new)
        return [WhatsAppInbox(id=ident, **item) for ident, item in new]

    # -- processing ---------------------------------------------------------------------------------------------------
    async def run_forever(self) -> None:
        """Store what arrives and process it: first what was left from before, then the new items as they come.

        A person's messages are handled one after the other; different people's at once (the core commits them
        together). Statuses are applied in batches; items are marked done in batches."""
        # Started again after a failure: take calls again, and what was left is read from the database anew.
        self._closed = self._stopping = False
        self._ready = asyncio.Queue()
        self._storer = asyncio.create_task(self._store_loop(), name="tuwai-whatsapp-store")
        helpers = [asyncio.create_task(self._status_loop()), asyncio.create_task(self._done_loop())]
        try:
            async with self.sessions() as session:
                left = await store.unprocessed(session, limit=100_000)
            for row in left:
                self._ready.put_nowait(row)
            while True:
                row = await self._ready.get()
                if row.kind == "status":
                    self._status_rows.append(row)
                    self._status_wake.set()
                else:
                    self._chain(self._handling, row.address, self._message(row))
        finally:
            await self._shut_down(helpers)

    async def _shut_down(self, helpers: list[asyncio.Task[None]]) -> None:
        """New calls are answered 500 from now on (Meta sends them again); the messages under way finish and the
        last done marks are written (what is stored but not done is processed at the next start). A task still
        running after SHUTDOWN_SECONDS is cancelled and awaited here, while the database connections can still
        close: a task cancelled later, by the event loop's own shutdown, can leave an aiosqlite connection waiting
        for a thread that has stopped."""
        self._closed = True
        self._store_wake.set()
        await finish_tasks([self._storer] if self._storer else [], SHUTDOWN_SECONDS)
        await finish_tasks([*self._handling.values(), *self._sending.values()], SHUTDOWN_SECONDS)
        self._stopping = True
        self._status_wake.set()
        self._done_wake.set()
        await finish_tasks(helpers, SHUTDOWN_SECONDS)

    async def _message(self, row: WhatsAppInbox) -> None:
        event = None
        try:
            event = await self._event(row)
            if event is not None:
                # Committed, its replies kept in the outbox until WhatsApp accepted them (bot/delivery/replies.py),
                # and sent.
                await self.handle(event)
        except Exception:  # left unprocessed in the database: the next start takes it again
            logger.exception("whatsapp item %s could not be processed", row.id)
            return
        finally:
            if event is not None and isinstance(event.payload, File):
                self.channel.forget_file(event.payload.ref)
        self._done.append(row.id)
        self._done_wake.set()

    async def _done_loop(self) -> None:
        while not (self._stopping and not self._done):
            await self._done_wake.wait()
            self._done_wake.clear()
            ids, self._done = self._done, []
            if ids:
                try:
                    await self._mark_done(ids)
                except Exception:  # processed again at the next start: the core recognises the event ids
                    logger.exception("whatsapp items could not be marked done")

    async def _mark_done(self, ids: list[int]) -> None:
        async with self.sessions() as session, session.begin():
            await store.mark_done(session, ids, now=self.clock())

    async def _status_loop(self) -> None:
        while not self._stopping:  # statuses left over are in the database: the next start applies them
            await self._status_wake.wait()
            self._status_wake.clear()
            rows, self._status_rows = self._status_rows, []
            if not rows:
                continue
            try:
                later = await self._statuses(rows)
            except Exception:
                logger.exception("whatsapp statuses could not be applied")
                continue
            self._done.extend(row.id for row in rows if row not in later)
            self._done_wake.set()
            if later:
                asyncio.get_running_loop().call_later(STATUS_RETRY_SECONDS, self._retry_statuses, later)

    def _retry_statuses(self, rows: list[WhatsAppInbox]) -> None:
        if self._stopping:
            return
        self._status_rows.extend(rows)
        self._status_wake.set()

    async def _event(self, row: WhatsAppInbox) -> Event | None:
        payload = payload_of(row.item, row.phone)
        if payload is None:  # a reaction: nothing to answer
            return None
        if isinstance(payload, Text) and payload.text.startswith(PAGE):
            page = payload.text[len(PAGE):]
            if page.isdigit() and len(page) < 4 and self.channel.remembers(row.address):
                self._chain(self._sending, row.address, self._page(row.address, int(page)))
                return None
            payload = Text("")  # a list from before a restart: the core asks its question again
        if isinstance(payload, Text) and payload.text.startswith(OPEN):
            opened = await reopen(self.sessions, payload.text[len(OPEN):], address=row.address, phone=row.phone)
            if isinstance(opened, Reply):
                self._chain(self._sending, row.address, self.channel.show(row.address, opened))
                return None
            payload = opened or payload  # its text no longer kept: the conversation says so
        if isinstance(payload, File) and payload.kind in ("photo", "document") and payload.ref:
            if not await self.channel.prefetch(payload.ref, self.max_file_bytes, payload.sha256):  # no transaction
                # Gone (an old media id): the flow asks for the file again, as for any file it cannot take.
                payload = replace(payload, kind="unavailable")
        return Event("whatsapp", row.address, row.item_key, payload, row.name, phone=row.phone)

    async def _page(self, address: str, page: int) -> None:
        if not await self.channel.show_page(address, page):
            logger.info("list page asked for a list no longer remembered")

    def _chain(self, chains: dict[str, asyncio.Task[None]], address: str, coroutine: Awaitable[None]) -> None:
        """Run `coroutine` after the person's previous one in `chains`: their messages are handled, and their
        replies sent, in the order they wrote."""
        previous = chains.get(address)

        async def after() -> None:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            await coroutine

        task = asyncio.ensure_future(after())
        chains[address] = task
        task.add_done_callback(lambda done: chains.pop(address, None) if chains.get(address) is done else None)
        self.channel.spawn(task)

    # -- delivery statuses --------------------------------------------------------------------------------------------
    async def _statuses(self, rows: list[WhatsAppInbox]) -> list[WhatsAppInbox]:
        """Apply statuses to their outbox rows; those whose wamid is not known yet (the send is still being
        recorded) are handed back to try again shortly, a few times, then counted as unknown."""
        now = self.clock()
        later: list[WhatsAppInbox] = []
        async with self.sessions() as session, session.begin():
            sent = await store.sent_by_wamid(session, [str(row.item.get("id")) for row in rows])
            for row in rows:
                status = row.item
                outbox = sent.get(str(status.get("id")))
                if outbox is None and str(status.get("id")) in self.channel.untracked:
                    self._status_tries.pop(row.id, None)  # a direct reply's, come before its send returned
                    continue
                if outbox is None:
                    tries = self._status_tries[row.id] = self._status_tries.get(row.id, 0) + 1
                    if tries < STATUS_TRIES:
                        later.append(row)
                        continue
                    self.counters["unknown_statuses"] += 1
                else:
                    self.counters["statuses"] += 1
                    store.apply_status(outbox, str(status.get("status")))
                    if status.get("status") == "failed":
                        await self._failed(session, outbox, status, now)
                self._status_tries.pop(row.id, None)
        return later

    async def _failed(self, session: AsyncSession, outbox: Any, status: dict[str, Any], now: datetime) -> None:
        errors = status.get("errors")
        first = errors[0] if isinstance(errors, list) and errors else None
        code = first.get("code") if isinstance(first, dict) else None
        code = code if isinstance(code, int) and not isinstance(code, bool) else None  # a shape Meta never sent
        if code in NOT_REACHABLE:
            outbox.status, outbox.last_error = "unreachable", f"{code}"
            await queries.set_unreachable(session, channel=outbox.channel, address=outbox.address, now=now)
            await self.on_unreachable(session, outbox.channel, outbox.address, now)
            return
        if code == OUTSIDE_WINDOW:
            await store.close_window(session, outbox.address)
        delay = RATE_LIMITED.get(code, 0.0) if code in RATE_LIMITED else min(2 ** outbox.attempts, 600)
        if outbox.attempts >= self.max_attempts and code not in RATE_LIMITED:
            outbox.status, outbox.last_error = "failed", f"{code}"
            return
        outbox.status, outbox.last_error, outbox.external_id = "pending", f"{code}", None
        outbox.next_attempt_at = now + timedelta(seconds=delay)

