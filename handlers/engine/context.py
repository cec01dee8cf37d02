"""What a flow sees of one event: the transaction, the person, the clock and the catalogue (`Ctx`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from db import queries
from db.ledger import LedgerRules
from db.models import Asn, Chat, StoredFile
from handlers.engine.i18n import Catalog, Translator
from handlers.engine.settings import ProgramSettings
from handlers.engine.types import Event, Expect, File, Option, Payload, Reply, reply_to_payload


class Services(Protocol):
    """What the channels lend the core: files and deep links."""

    async def fetch_file(self, channel: str, ref: str, max_bytes: int, *, sha256: str | None = None) -> bytes:
        """The whole file, or more than max_bytes of it when it is bigger (refused as too big). Raises
        handlers.uploads.FileTooBig (over the limit, not downloaded whole) or FileNotWhole (cut short, or not the
        declared length or `sha256`)."""

    def deep_link(self, channel: str, payload: str) -> str | None: ...

    def has_channel(self, channel: str) -> bool: ...


class Flow(Protocol):
    name: str

    async def begin(self, ctx: Ctx, arg: str | None = None) -> list[Reply]: ...

    async def prompt(self, ctx: Ctx) -> Reply: ...

    async def handle(self, ctx: Ctx, payload: Payload) -> list[Reply]: ...


Action = Callable[["Ctx", str], Awaitable[list[Reply]]]
# What a feature plans at each heartbeat (handlers.reminders.Planner calls it in a transaction of its own):
# (core, session, today, now, digest: whether the daily digests are due) -> how many digests it queued.
Planning = Callable[[Any, AsyncSession, date, datetime, bool], Awaitable[int]]


@dataclass(frozen=True)
class Todo:
    """One entry of the officers' to-do list: a count shown in the officer menu and the screen it opens.

    Flows add their own (`Core.add_todo`): ASNs to approve, workers ready for BPJS, receipts, claims, ...
    """

    key: str  # the officer menu's step name while this screen is open
    label_key: str  # catalogue key of the menu entry; the count is shown after it
    count: Callable[["Ctx"], Awaitable[int]]
    screen: Callable[["Ctx"], Awaitable[Reply]]  # the list, with its options; "back" is added by the menu


class Engine(Protocol):
    """What a flow reaches of the conversation core through `Ctx.core` (handlers.core.Core is the one): the
    programme's settings and rules, the flows, commands and to-do entries registered, and the few services a flow
    asks of the core. Declared here so that this module need not import the core (the core imports it)."""

    program: ProgramSettings
    zone: ZoneInfo
    catalog: Catalog
    services: Services
    rules: LedgerRules
    files_dir: Path
    max_file_bytes: int
    flows: dict[str, Flow]
    commands: dict[str, Action]
    todos: dict[str, Todo]

    async def resume(self, ctx: Ctx) -> Reply: ...

    async def is_officer(self, session: AsyncSession, channel: str, address: str) -> bool: ...

    async def officers(self, session: AsyncSession) -> set[tuple[str, str]]: ...

    async def save_file(self, ctx: Ctx, upload: File, purpose: str) -> StoredFile: ...

    async def switch_language(self, ctx: Ctx, arg: str | None = None) -> list[Reply]: ...

    def current_flow(self, ctx: Ctx) -> Flow: ...


@dataclass
class Ctx:
    """Everything a flow needs for one event: the transaction, the person, the clock and the catalogue."""

    core: Engine
    session: AsyncSession
    chat: Chat
    event: Event
    now: datetime
    t: Translator
    answers: dict[str, Any]
    _cache: dict[str, Any] = field(default_factory=dict)
    acting_as: str | None = None  # the actor of what the programme does by itself (the planner), not the chat's

    @property
    def program(self) -> ProgramSettings:
        return self.core.program

    @property
    def today(self) -> date:
        return self.now.astimezone(self.core.zone).date()

    @property
    def actor(self) -> str:
        return self.acting_as or f"{self.chat.channel}:{self.chat.address}"

    def goto(self, flow: str | None, step: str | None = None, answers: dict[str, Any] | None = None) -> None:
        self.chat.flow, self.chat.step = flow, step
        self.answers = dict(answers or {})

    async def asn(self) -> Asn | None:
        if "asn" not in self._cache:
            self._cache["asn"] = await queries.asn_of_chat(self.session, self.chat.id)
        return self._cache["asn"]

    async def asn_with_workers(self) -> tuple[Asn | None, int]:
        """The ASN and the number of workers they sponsor now, in one statement where the menu needs both (not
        cached: an enrolment in the same event changes the number)."""
        asn, workers = await queries.asn_of_chat_with_workers(self.session, self.chat.id)
        self._cache.setdefault("asn", asn)
        return self._cache["asn"], workers

    def remember_asn(self, asn: Asn) -> None:
        self._cache["asn"] = asn

    async def is_officer(self) -> bool:
        """Listed by this chat's address, or by the phone number the channel vouches for (a WhatsApp officer is
        listed by number, though WhatsApp may identify them by a business-scoped user id)."""
        if await self.core.is_officer(self.session, self.chat.channel, self.chat.address):
            return True
        return bool(self.event.phone) and await self.core.is_officer(self.session, self.chat.channel,
                                                                     self.event.phone or "")

    async def notify(self, *, key: str, channel: str, address: str, text_key: str,
                     options: tuple[tuple[str, str], ...] = (), attachment: dict[str, str] | None = None,
                     not_before: datetime | None = None, quiet: bool = False, language: str | None = None,
                     **params: Any) -> None:
        """Queue a message for someone else, in their language (read from the database unless given), through the
        outbox."""
        language = language or await queries.chat_language(self.session, channel=channel, address=address)
        t = Translator(self.core.catalog, language)
        text = t(text_key, **{k: (v(t) if callable(v) else v) for k, v in params.items()})
        reply = Reply(text, tuple(Option(oid, t(lkey)) for oid, lkey in options),
                      Expect.OPTION if options else Expect.NOTHING, extra=attachment or {})
        await queries.enqueue(self.session, key=key, channel=channel, address=address,
                              payload=reply_to_payload(reply), now=self.now, not_before=not_before, quiet=quiet)

    async def notify_chat(self, chat: Chat, **kwargs: Any) -> None:
        await self.notify(channel=chat.channel, address=chat.address, language=chat.language, **kwargs)

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
