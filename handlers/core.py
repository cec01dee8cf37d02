"""The channel-neutral conversation core: one event in, replies out, state in the database.

Events are processed in batches by one writer (group commit): every event of a batch runs in its own savepoint
inside one transaction, and the replies are released only after that transaction commits. Durability is kept,
and the per-transaction cost of SQLite is shared by every person who wrote in the same instant.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import logging
import os
import secrets
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import queries
from db.models import Asn, Chat, StoredFile
from handlers.i18n import Catalog, Translator
from handlers.parsers import Invalid
from handlers.settings import ProgramSettings
from handlers.types import GLOBAL, Choice, Event, Expect, File, Option, Payload, Reply, Text, record_id, reply_to_payload

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
COMMANDS = {"start": "start", "mulai": "start", "menu": "menu", "batal": "cancel", "cancel": "cancel",
            "bantuan": "help", "help": "help", "bahasa": "language", "language": "language",
            "petugas": "officer", "officer": "officer", "tunggakan": "arrears", "arrears": "arrears"}
# Words that work as commands when typed alone, for channels without slash commands (WhatsApp).
PLAIN_WORDS = {"menu", "batal", "cancel", "bantuan", "help", "bahasa", "language"}
MAX_TEXT = 4096


class Services(Protocol):
    """What the channels lend the core: files and deep links."""

    async def fetch_file(self, channel: str, ref: str, max_bytes: int) -> bytes: ...

    def deep_link(self, channel: str, payload: str) -> str | None: ...


class Flow(Protocol):
    name: str

    async def begin(self, ctx: Ctx, arg: str | None = None) -> list[Reply]: ...

    async def prompt(self, ctx: Ctx) -> Reply: ...

    async def handle(self, ctx: Ctx, payload: Payload) -> list[Reply]: ...


Action = Callable[["Ctx", str], Awaitable[list[Reply]]]


@dataclass
class Ctx:
    """Everything a flow needs for one event: the transaction, the person, the clock and the catalogue."""

    core: Core
    session: AsyncSession
    chat: Chat
    event: Event
    now: datetime
    t: Translator
    answers: dict[str, Any]
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def program(self) -> ProgramSettings:
        return self.core.program

    @property
    def today(self) -> date:
        return self.now.astimezone(self.core.zone).date()

    @property
    def actor(self) -> str:
        return f"{self.chat.channel}:{self.chat.address}"

    def goto(self, flow: str | None, step: str | None = None, answers: dict[str, Any] | None = None) -> None:
        self.chat.flow, self.chat.step = flow, step
        self.answers = dict(answers or {})

    async def asn(self) -> Asn | None:
        if "asn" not in self._cache:
            self._cache["asn"] = await queries.asn_of_chat(self.session, self.chat.id)
        return self._cache["asn"]

    def remember_asn(self, asn: Asn) -> None:
        self._cache["asn"] = asn

    async def is_officer(self) -> bool:
        return await self.core.is_officer(self.session, self.chat.channel, self.chat.address)

    async def notify(self, *, key: str, channel: str, address: str, text_key: str,
                     options: tuple[tuple[str, str], ...] = (), attachment: dict[str, str] | None = None,
                     not_before: datetime | None = None, quiet: bool = False, **params: Any) -> None:
        """Queue a message for someone else, in their language, through the outbox."""
        language = await queries.chat_language(self.session, channel=channel, address=address)
        t = Translator(self.core.catalog, language)
        text = t(text_key, **{k: (v(t) if callable(v) else v) for k, v in params.items()})
        reply = Reply(text, tuple(Option(oid, t(lkey)) for oid, lkey in options),
                      Expect.OPTION if options else Expect.NOTHING, extra=attachment or {})
        await queries.enqueue(self.session, key=key, channel=channel, address=address,
                              payload=reply_to_payload(reply), now=self.now, not_before=not_before, quiet=quiet)

    async def notify_chat(self, chat: Chat, **kwargs: Any) -> None:
        await self.notify(channel=chat.channel, address=chat.address, **kwargs)

    async def notify_officers(self, *, key: str, text_key: str, options: tuple[tuple[str, str], ...] = (),
                              **params: Any) -> None:
        for channel, address in sorted(await self.core.officers(self.session)):
            await self.notify(key=f"{key}:{channel}:{address}", channel=channel, address=address,
                              text_key=text_key, options=options, **params)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.core.zone)

    async def save_file(self, upload: File, purpose: str) -> StoredFile:
        """Download an upload from the channel and keep it outside anything served, under a random name."""
        return await self.core.save_file(self, upload, purpose)

    def deep_link(self, payload: str) -> str | None:
        return self.core.services.deep_link(self.chat.channel, payload)


class Core:
    """Routes each event to its flow, keeps state in the database, and releases replies after commit."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], catalog: Catalog, program: ProgramSettings,
                 services: Services, officers: set[tuple[str, str]] | None = None, clock: Clock | None = None,
                 files_dir: Path = Path("data/files"), max_file_bytes: int = 10 * 1024 * 1024,
                 max_batch: int = 64, lanes: int = 1) -> None:
        self.sessions = sessions
        self.catalog = catalog
        self.program = program
        self.services = services
        self.config_officers = officers or set()
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.zone = ZoneInfo(program.timezone)
        self.rules = program.ledger_rules()
        self.files_dir = files_dir
        self.max_file_bytes = max_file_bytes
        self.max_batch = max_batch
        self.flows: dict[str, Flow] = {}
        self.actions: dict[str, Action] = {}
        self.commands: dict[str, Action] = {}  # commands that flows add (e.g. /tunggakan for officers)
        # One writer per lane; a person always lands in the same lane, so their events keep their order. SQLite has
        # one writer anyway (1 lane); PostgreSQL commits several batches at once.
        self._queues: list[asyncio.Queue[tuple[Event, asyncio.Future[list[Reply] | None]]]] = [
            asyncio.Queue() for _ in range(max(1, lanes))]
        self._writers: list[asyncio.Task[None]] = []
        self.counters = {"events": 0, "duplicates": 0, "errors": 0, "batches": 0}

    # -- registration of flows and global actions ------------------------------------------------------------------
    def add_flow(self, flow: Flow) -> None:
        self.flows[flow.name] = flow

    def add_action(self, prefix: str, action: Action) -> None:
        self.actions[prefix] = action

    def add_command(self, name: str, action: Action) -> None:
        self.commands[name] = action

    async def officers(self, session: AsyncSession) -> set[tuple[str, str]]:
        """Officers from config and from the database, read once per transaction."""
        if "officers" not in session.info:
            session.info["officers"] = self.config_officers | await queries.db_officers(session)
        return session.info["officers"]

    async def is_officer(self, session: AsyncSession, channel: str, address: str) -> bool:
        return (channel, address) in await self.officers(session)

    # -- the writer: group commit ----------------------------------------------------------------------------------
    async def handle(self, event: Event) -> list[Reply] | None:
        """Process one event; None when it was a duplicate. Returns after the state change is committed."""
        loop = asyncio.get_running_loop()
        if not self._writers or any(writer.done() for writer in self._writers):
            for writer in self._writers:
                writer.cancel()
            self._writers = [loop.create_task(self._write_loop(queue), name=f"tuwai-writer-{lane}")
                             for lane, queue in enumerate(self._queues)]
        future: asyncio.Future[list[Reply] | None] = loop.create_future()
        lane = zlib.crc32(f"{event.channel}:{event.address}".encode()) % len(self._queues)
        await self._queues[lane].put((event, future))
        return await future

    async def close(self) -> None:
        for writer in self._writers:
            writer.cancel()
        await asyncio.gather(*self._writers, return_exceptions=True)
        self._writers = []

    async def _write_loop(self, queue: asyncio.Queue[tuple[Event, asyncio.Future[list[Reply] | None]]]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            await self._run_batch(batch)

    async def _run_batch(self, batch: list[tuple[Event, asyncio.Future[list[Reply] | None]]]) -> None:
        self.counters["batches"] += 1
        events = [event for event, _ in batch]
        try:
            async with self.sessions() as session, session.begin():
                results = await self._process_batch(session, events)
        except Exception:
            # One event failed (a bug, a conflict) or the commit did: nothing of the batch was kept. Run each
            # event again on its own, so only the one that fails gets the apology.
            if len(events) == 1:
                results = [await self._failed(events[0])]
            else:
                logger.warning("a batch of %d events failed; processing them one by one", len(events))
                results = [await self._process_alone(event) for event in events]
        self.counters["events"] += sum(1 for result in results if result is not None)
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    async def _process_batch(self, session: AsyncSession, events: list[Event]) -> list[list[Reply] | None]:
        """Every event of the batch in one transaction: few statements per event, one commit for all."""
        now = self.clock()
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
            results.append(await self._process(session, event, chats[key], now))
        await queries.mark_processed(session, [(e.channel, e.event_id) for e, r in zip(events, results, strict=True)
                                               if r is not None], now=now)
        return results

    async def _process_alone(self, event: Event) -> list[Reply] | None:
        try:
            async with self.sessions() as session, session.begin():
                return (await self._process_batch(session, [event]))[0]
        except Exception:
            return await self._failed(event)

    async def _failed(self, event: Event) -> list[Reply]:
        """The event cannot be processed: log it (masked), keep the person's state as it was, apologise."""
        logger.exception("event %s/%s failed", event.channel, event.event_id)
        self.counters["errors"] += 1
        return [self._sorry(event)]

    def _sorry(self, event: Event) -> Reply:
        return Reply(self.catalog.text("id", "common.error") + "\n\n" + self.catalog.text("en", "common.error"))

    # -- one event ---------------------------------------------------------------------------------------------------
    async def _process(self, session: AsyncSession, event: Event, chat: Chat, now: datetime) -> list[Reply]:
        if event.display_name and chat.display_name != event.display_name[:80]:
            chat.display_name = event.display_name[:80]
        ctx = Ctx(core=self, session=session, chat=chat, event=event, now=now,
                  t=Translator(self.catalog, chat.language), answers=copy.deepcopy(chat.answers or {}))
        before = (chat.flow, chat.step, _canonical(ctx.answers))
        replies = await self._route(ctx)
        if (chat.flow, chat.step, _canonical(ctx.answers)) != before:
            chat.version = (chat.version or 0) + 1
            chat.answers = ctx.answers
        if chat.unreachable_at is not None:  # they wrote to us, so they can be reached again
            chat.unreachable_at = None
        return [replace(reply, token=chat.version) for reply in replies]

    async def _route(self, ctx: Ctx) -> list[Reply]:
        payload = ctx.event.payload
        if isinstance(payload, Text):
            command = parse_command(payload.text)
            if command is not None:
                return await self._command(ctx, *command)
        if isinstance(payload, Choice) and payload.option.startswith(GLOBAL):
            return await self._global_action(ctx, payload.option)
        if not self._privacy_agreed(ctx.chat) and ctx.chat.flow not in ("privacy", "worker_consent"):
            return await self.flows["privacy"].begin(ctx)
        flow = self.current_flow(ctx)
        if isinstance(payload, Choice) and payload.token != ctx.chat.version:
            return [Reply(ctx.t("common.stale_button")), await flow.prompt(ctx)]
        if isinstance(payload, Text):
            if len(payload.text) > MAX_TEXT:
                return [Reply(ctx.t("common.too_long", max=MAX_TEXT)), await flow.prompt(ctx)]
            prompt = await flow.prompt(ctx)
            if prompt.options:
                chosen = match_option(prompt.options, payload.text)
                if chosen is not None and chosen.id.startswith(GLOBAL):
                    return await self._global_action(ctx, chosen.id)
                if chosen is not None:
                    payload = Choice(chosen.id, ctx.chat.version)
                elif prompt.expect == Expect.OPTION:
                    return [Reply(ctx.t("common.choose_option")), prompt]
        return await flow.handle(ctx, payload)

    def current_flow(self, ctx: Ctx) -> Flow:
        flow = self.flows.get(ctx.chat.flow or "menu")
        if flow is None:  # a flow from an older version of the bot: start over at the menu
            ctx.goto(None)
            flow = self.flows["menu"]
        return flow

    def _privacy_agreed(self, chat: Chat) -> bool:
        return (chat.privacy_version or 0) >= self.program.privacy_notice_version

    async def _command(self, ctx: Ctx, name: str, arg: str | None) -> list[Reply]:
        if name == "unknown":
            return [Reply(ctx.t("common.unknown_command")), await self.resume(ctx)]
        if name == "start" and arg and arg.startswith("c_"):
            return await self.flows["worker_consent"].begin(ctx, arg[2:])
        if name == "language":
            return await self.switch_language(ctx, arg)
        if name == "help":
            return [Reply(ctx.t("common.help", program=self.program.name)), await self.resume(ctx)]
        if not self._privacy_agreed(ctx.chat):
            return await self.flows["privacy"].begin(ctx)
        if name == "officer":
            return await self.flows["officer"].begin(ctx)
        if name in self.commands:
            return await self.commands[name](ctx, arg or "")
        in_form = ctx.chat.flow not in (None, "menu", "privacy")
        if name == "cancel":
            ctx.goto(None)
            replies = await self.flows["menu"].begin(ctx)
            return ([Reply(ctx.t("common.cancelled"))] + replies) if in_form else replies
        # /menu or /start in the middle of a form keeps what was entered: the menu offers to continue it.
        draft = {"flow": ctx.chat.flow, "step": ctx.chat.step, "answers": ctx.answers} if in_form else None
        ctx.goto(None, answers={"_resume": draft} if draft else None)
        return await self.flows["menu"].begin(ctx)

    async def switch_language(self, ctx: Ctx, arg: str | None = None) -> list[Reply]:
        """Bahasa Indonesia <-> English, remembered for this person; the current question is asked again."""
        ctx.chat.language = _other_language(ctx.chat.language, arg)
        ctx.t = Translator(self.catalog, ctx.chat.language)
        return [Reply(ctx.t("common.language_set")), await self.resume(ctx)]

    async def resume(self, ctx: Ctx) -> Reply:
        """The prompt of wherever the person is now: asked again after help, language, or a refusal."""
        if not self._privacy_agreed(ctx.chat) and ctx.chat.flow not in ("privacy", "worker_consent"):
            return await self.flows["privacy"].prompt(ctx)
        return await self.current_flow(ctx).prompt(ctx)

    async def _global_action(self, ctx: Ctx, option: str) -> list[Reply]:
        prefix, _, arg = option[len(GLOBAL):].partition(":")
        action = self.actions.get(prefix)
        if action is None or not self._privacy_agreed(ctx.chat):
            return [Reply(ctx.t("common.stale_button")), await self.resume(ctx)]
        return await action(ctx, arg)

    # -- files --------------------------------------------------------------------------------------------------------
    async def save_file(self, ctx: Ctx, upload: File, purpose: str) -> StoredFile:
        if upload.size is not None and upload.size > self.max_file_bytes:
            raise Invalid("file.too_big", max_mb=self.max_file_bytes // (1024 * 1024))
        content = await self.services.fetch_file(ctx.chat.channel, upload.ref, self.max_file_bytes)
        if len(content) > self.max_file_bytes:
            raise Invalid("file.too_big", max_mb=self.max_file_bytes // (1024 * 1024))
        mime = sniff_mime(content)
        if mime is None:
            raise Invalid("file.type")
        self.files_dir.mkdir(parents=True, exist_ok=True)
        name = secrets.token_hex(16) + {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}[mime]
        path = self.files_dir / name
        await asyncio.to_thread(_write_private, path, content)
        stored = StoredFile(chat_id=ctx.chat.id, purpose=purpose, path=name, mime_type=mime, size=len(content),
                            sha256=hashlib.sha256(content).hexdigest(), created_at=ctx.now)
        ctx.session.add(stored)
        await ctx.session.flush()
        return stored


def _write_private(path: Path, content: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)


def sniff_mime(content: bytes) -> str | None:
    """The real type of an upload, from its first bytes: a photo or a PDF, whatever its name claims."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _canonical(answers: dict[str, Any]) -> str:
    return json.dumps(answers, sort_keys=True, default=str)


def _other_language(current: str, arg: str | None) -> str:
    if arg and arg.strip().lower()[:2] in ("id", "en"):
        return arg.strip().lower()[:2]
    return "en" if current == "id" else "id"


def parse_command(text: str) -> tuple[str, str | None] | None:
    """('/start', 'c_abc') from "/start c_abc" or "/START@TuWaiBot"; plain "batal" counts on WhatsApp."""
    stripped = text.strip()
    if stripped.startswith("/"):
        word, _, arg = stripped[1:].partition(" ")
        name = COMMANDS.get(word.split("@", 1)[0].lower())
        return (name, arg.strip() or None) if name else ("unknown", None) if word else None
    if stripped.lower() in PLAIN_WORDS:
        return COMMANDS[stripped.lower()], None
    return None


def match_option(options: tuple[Option, ...], text: str) -> Option | None:
    """An option chosen by typing its number ("2", "2.") or its label (any case)."""
    typed = text.strip().rstrip(".").strip()
    number = record_id(typed)
    if number is not None and 1 <= number <= len(options):
        return options[number - 1]
    folded = typed.casefold()
    for option in options:
        if option.label.casefold() == folded:
            return option
    return None
