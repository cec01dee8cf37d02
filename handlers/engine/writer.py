"""Group commit: one writer per lane runs each batch of events in one transaction, replies released after commit.

Every event of a batch runs in the same transaction; the replies are handed back only after it commits. Durability
is kept, and the per-transaction cost of SQLite is shared by every person who wrote in the same instant.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import queries
from db.held_chats import hold_chat_writes, write_held_chats
from db.models import Chat
from db.sqlite_driver import statements_inline
from handlers.engine.types import Event, Reply, reply_to_payload

logger = logging.getLogger(__name__)

Process = Callable[[AsyncSession, Event, Chat, datetime], Awaitable[list[Reply]]]
# An event, the process that will send its replies at once and keeps them in the outbox until then (None: the
# caller shows them itself, as the terminal does), and the future its result goes to.
Pending = tuple[Event, str | None, "asyncio.Future[list[Reply] | None]"]


def reply_key(event: Event, index: int) -> str:
    """The outbox key of an event's index-th reply (unique: an event is processed once)."""
    return f"reply:{event.channel}:{event.event_id}:{index}"


class GroupWriter:
    """Batches events by lane (a person always lands in the same lane, so their events keep their order)."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], process: Process, clock: Callable[[], datetime],
                 sorry: Callable[[Event], Reply], counters: dict[str, int], max_batch: int = 64,
                 lanes: int = 1) -> None:
        self.sessions = sessions
        self.process = process
        self.clock = clock
        self.sorry = sorry
        self.counters = counters
        self.max_batch = max_batch
        # SQLite has one writer anyway (1 lane); PostgreSQL commits several batches at once.
        self._queues: list[asyncio.Queue[Pending]] = [asyncio.Queue() for _ in range(max(1, lanes))]
        self._writers: list[asyncio.Task[None]] = []

    async def handle(self, event: Event, *, hold_for: str | None = None) -> list[Reply] | None:
        """Process one event; None when it was a duplicate. Returns after the state change is committed.

        With `hold_for` (the sending process's claim token), the replies are written to the outbox in the same
        transaction, held by that process, and carry their row's `outbox_id`: a reply whose sending is never
        confirmed is delivered by the outbox after the lease, so a crash between commit and send loses none."""
        loop = asyncio.get_running_loop()
        if not self._writers or any(writer.done() for writer in self._writers):
            for writer in self._writers:
                writer.cancel()
            self._writers = [loop.create_task(self._write_loop(queue), name=f"tuwai-writer-{lane}")
                             for lane, queue in enumerate(self._queues)]
        future: asyncio.Future[list[Reply] | None] = loop.create_future()
        lane = zlib.crc32(f"{event.channel}:{event.address}".encode()) % len(self._queues)
        await self._queues[lane].put((event, hold_for, future))
        return await future

    async def close(self) -> None:
        for writer in self._writers:
            writer.cancel()
        await asyncio.gather(*self._writers, return_exceptions=True)
        self._writers = []

    async def _write_loop(self, queue: asyncio.Queue[Pending]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            await self._run_batch(batch)

    async def _run_batch(self, batch: list[Pending]) -> None:
        self.counters["batches"] += 1
        events = [(event, hold_for) for event, hold_for, _ in batch]
        try:
            async with self.sessions() as session, session.begin():
                with statements_inline():  # each event's few small statements (SQLite; see db/sqlite_driver.py)
                    results = await self._process_batch(session, events)
        except Exception as error:
            # One event failed (a bug, a conflict) or the commit did: nothing of the batch was kept. Run each
            # event again on its own, so only the one that fails gets the apology. A lone event that met a unique
            # constraint raced a concurrent transaction (another lane) that has committed since: run again, it now
            # sees that row (e.g. a second report of the same death joins the first's claim).
            if len(events) == 1 and not isinstance(error, IntegrityError):
                results = [self._failed(events[0][0])]
            else:
                logger.warning("a batch of %d events failed (%s); processing them one by one", len(events),
                               type(error).__name__)
                results = [await self._process_alone(event) for event in events]
        self.counters["events"] += sum(1 for result in results if result is not None)
        for (_, _, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    async def _process_batch(self, session: AsyncSession,
                             batch: list[tuple[Event, str | None]]) -> list[list[Reply] | None]:
        """Every event of the batch in one transaction: few statements per event, one commit for all."""
        now = self.clock()
        hold_chat_writes(session)  # each chat's row written once, at the end (db/held_chats.py)
        events = [event for event, _ in batch]
        seen = await queries.processed_among(session, [(e.channel, e.event_id) for e in events])
        chats = await queries.chats_for_update(session, [(e.channel, e.address) for e in events])
        results: list[list[Reply] | None] = []
        for event in events:
            if (event.channel, event.event_id) in seen:  # delivered twice: processed once
                self.counters["duplicates"] += 1
                results.append(None)
                continue
            seen.add((event.channel, event.event_id))
            key = (event.channel, event.address)
            if key not in chats:
                chats[key] = await queries.create_chat(session, channel=event.channel, address=event.address, now=now)
            results.append(await self.process(session, event, chats[key], now))
        await write_held_chats(session, now=now)
        await queries.mark_processed(session, [(e.channel, e.event_id) for e, r in zip(events, results, strict=True)
                                               if r is not None], now=now)
        return await self._hold_replies(session, batch, results, now)

    async def _hold_replies(self, session: AsyncSession, batch: list[tuple[Event, str | None]],
                            results: list[list[Reply] | None], now: datetime) -> list[list[Reply] | None]:
        """The durable replies of the batch as outbox rows, in one statement (per sending process)."""
        by_owner: dict[str, list[dict[str, object]]] = {}
        for (event, owner), replies in zip(batch, results, strict=True):
            for index, reply in enumerate((replies or []) if owner else []):
                by_owner.setdefault(str(owner), []).append(queries.outbox_row(
                    key=reply_key(event, index), channel=event.channel, address=event.address,
                    payload=reply_to_payload(reply), now=now))
        ids: dict[str, int] = {}
        for owner, rows in by_owner.items():
            ids |= await queries.hold_replies(session, rows, owner=owner, now=now)
        if not ids:
            return results
        return [[replace(reply, outbox_id=ids.get(reply_key(event, index))) for index, reply in enumerate(replies)]
                if replies else replies for (event, _), replies in zip(batch, results, strict=True)]

    async def _process_alone(self, event: tuple[Event, str | None]) -> list[Reply] | None:
        try:
            async with self.sessions() as session, session.begin():
                with statements_inline():
                    return (await self._process_batch(session, [event]))[0]
        except Exception:
            return self._failed(event[0])

    def _failed(self, event: Event) -> list[Reply]:
        """The event cannot be processed: log it (masked), keep the person's state as it was, apologise."""
        logger.exception("event %s/%s failed", event.channel, event.event_id)
        self.counters["errors"] += 1
        return [self.sorry(event)]
