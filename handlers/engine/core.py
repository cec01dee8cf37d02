"""The channel-neutral conversation core: routing each event to its flow, and the commands that work anywhere.

The reply path, top to bottom: `Core.handle` hands the event to the group-commit writer (`handlers.engine.writer`),
which calls `Core._process` inside the batch's transaction; `_process` routes the event (`_route`: commands, global
buttons, the privacy notice, stale buttons, typed choices) to the person's current flow and returns its replies, which
the writer releases once the transaction has committed.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db import queries
from db.models import Chat, StoredFile
from handlers.engine.choices import NARROWED, match_option, typed_choice
from handlers.engine.context import Action, Ctx, Flow, Planning, Services, Todo
from handlers.engine.i18n import Catalog, Translator
from handlers.engine.settings import ProgramSettings
from handlers.engine.text_clean import clean_event
from handlers.engine.types import GLOBAL, Choice, Event, Expect, File, Invalid, Reply, Text
from handlers.engine.uploads import FileNotWhole, FileTooBig, check_upload, store_upload, too_big
from handlers.engine.writer import GroupWriter

__all__ = ["Core", "Ctx", "Flow", "Services", "Action", "Todo", "Planning", "match_option", "parse_command", "MAX_TEXT"]

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
COMMANDS = {"start": "start", "mulai": "start", "menu": "menu", "batal": "cancel", "cancel": "cancel",
            "bantuan": "help", "help": "help", "bahasa": "language", "language": "language",
            "petugas": "officer", "officer": "officer", "tunggakan": "arrears", "arrears": "arrears",
            "klaim": "claim", "claim": "claim"}
# Words that work as commands when typed alone, for channels without slash commands (WhatsApp).
PLAIN_WORDS = {"menu", "batal", "cancel", "bantuan", "help", "bahasa", "language"}
MAX_TEXT = 4096


class Core:
    """Routes each event to its flow, keeps state in the database, and releases replies after commit."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], catalog: Catalog, program: ProgramSettings,
                 services: Services, officers: set[tuple[str, str]] | None = None, clock: Clock | None = None,
                 files_dir: Path = Path("data/files"), max_file_bytes: int = 10 * 1024 * 1024,
                 max_files_per_day: int = 60, max_batch: int = 64, lanes: int = 1) -> None:
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
        self.max_files_per_day = max_files_per_day
        self.max_batch = max_batch
        self.flows: dict[str, Flow] = {}
        self.actions: dict[str, Action] = {}
        self.commands: dict[str, Action] = {}  # commands that flows add (e.g. /tunggakan for officers)
        self.todos: dict[str, Todo] = {}  # the officers' to-do list, in the order flows add them
        self.planners: list[Planning] = []  # what features plan at each heartbeat besides the reminders
        self.counters = {"events": 0, "duplicates": 0, "errors": 0, "batches": 0}
        # Uploads downloaded and checked before their event's transaction, by (channel, event id).
        self._prefetched: dict[tuple[str, str], tuple[bytes, str] | Exception] = {}
        self.writer = GroupWriter(sessions=sessions, process=self._process, clock=self.clock, sorry=self._sorry,
                                  counters=self.counters, max_batch=max_batch, lanes=lanes)

    # -- registration of flows and global actions ------------------------------------------------------------------
    def add_flow(self, flow: Flow) -> None:
        self.flows[flow.name] = flow

    def add_action(self, prefix: str, action: Action) -> None:
        self.actions[prefix] = action

    def add_command(self, name: str, action: Action) -> None:
        self.commands[name] = action

    def add_todo(self, todo: Todo) -> None:
        self.todos[todo.key] = todo

    def add_planner(self, planning: Planning) -> None:
        self.planners.append(planning)

    async def officers(self, session: AsyncSession) -> set[tuple[str, str]]:
        """Officers from config and from the database, read once per transaction."""
        if "officers" not in session.info:
            session.info["officers"] = self.config_officers | await queries.db_officers(session)
        return session.info["officers"]

    async def is_officer(self, session: AsyncSession, channel: str, address: str) -> bool:
        return (channel, address) in await self.officers(session)

    # -- the writer: group commit ----------------------------------------------------------------------------------
    async def handle(self, event: Event, *, hold_for: str | None = None) -> list[Reply] | None:
        """Process one event; None when it was a duplicate. Returns after the state change is committed.

        A file is downloaded and checked first, outside the transaction: a slow download delays only its sender.
        `hold_for`: see `GroupWriter.handle` (durable replies)."""
        key = (event.channel, event.event_id)
        if isinstance(event.payload, File):
            self._prefetched[key] = await self._fetch(event.channel, event.payload)
        try:
            return await self.writer.handle(event, hold_for=hold_for)
        finally:
            self._prefetched.pop(key, None)

    async def close(self) -> None:
        await self.writer.close()

    def _sorry(self, event: Event) -> Reply:
        return Reply(self.catalog.text("id", "common.error") + "\n\n" + self.catalog.text("en", "common.error"))

    # -- one event ---------------------------------------------------------------------------------------------------
    async def _process(self, session: AsyncSession, event: Event, chat: Chat, now: datetime) -> list[Reply]:
        event = clean_event(event)  # typed text without invisible characters, for every flow
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
        narrowed = ctx.answers.pop(NARROWED, None)  # the options shown after an ambiguous typed answer
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
                found = typed_choice(prompt, payload.text, narrowed)
                if len(found) == 1 and found[0].id.startswith(GLOBAL):
                    return await self._global_action(ctx, found[0].id)
                if len(found) == 1:
                    payload = Choice(found[0].id, ctx.chat.version)
                elif len(found) > 1:  # only those: numbered 1, 2, ... and remembered for a typed number
                    ctx.answers[NARROWED] = [option.id for option in found]
                    return [Reply(ctx.t("choices.which"), tuple(found), Expect.OPTION)]
                elif prompt.expect == Expect.OPTION and not getattr(flow, "takes_typed", lambda _: False)(ctx):
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
            text = ctx.t("common.help", program=self.program.name)
            if await ctx.is_officer():  # the officers' own commands
                text += "\n" + ctx.t("trial.help_officer")
            return [Reply(text), await self.resume(ctx)]
        if not self._privacy_agreed(ctx.chat):
            replies = await self.flows["privacy"].begin(ctx)
            if name in ("officer", "claim"):  # the notice first, then what was asked for
                ctx.answers["_then"] = name if name == "officer" or not arg else f"{name} {arg}"
            return replies
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
        draft = ({"flow": ctx.chat.flow, "step": ctx.chat.step, "answers": ctx.answers}
                 if in_form and self._unfinished(ctx) else None)
        ctx.goto(None, answers={"_resume": draft} if draft else None)
        return await self.flows["menu"].begin(ctx)

    def _unfinished(self, ctx: Ctx) -> bool:
        """A form with at least one answer given: worth offering "Lanjutkan isian" (a list or an empty form is not)."""
        fields = getattr(self.flows.get(ctx.chat.flow or ""), "fields", None)
        return fields is not None and any(getattr(f, "name", None) in ctx.answers for f in fields)

    async def switch_language(self, ctx: Ctx, arg: str | None = None) -> list[Reply]:
        """Bahasa Indonesia <-> English, remembered for this person; the current question is asked again."""
        ctx.chat.language = _other_language(ctx.chat.language, arg)
        ctx.t = Translator(self.catalog, ctx.chat.language)
        return [Reply(ctx.t("common.language_set")), await self.resume(ctx)]

    async def resume(self, ctx: Ctx) -> Reply:
        """The prompt of wherever the person is now: asked again after help, language, or a refusal."""
        if not self._privacy_agreed(ctx.chat) and ctx.chat.flow not in ("privacy", "worker_consent"):
            ctx.goto("privacy", "notice", ctx.answers)  # so that the answer to the notice shown is taken as one
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
        fetched = self._prefetched.get((ctx.event.channel, ctx.event.event_id))
        if fetched is None or ctx.event.payload != upload:  # not the event's own upload: fetched here, as before
            fetched = await self._fetch(ctx.chat.channel, upload)
        if isinstance(fetched, Exception):
            raise fetched
        if await queries.files_since(ctx.session, ctx.chat.id, ctx.now - timedelta(days=1)) >= self.max_files_per_day:
            raise Invalid("file.daily_limit", max=self.max_files_per_day)
        content, mime = fetched
        return await store_upload(ctx.session, self.files_dir, content, mime, chat_id=ctx.chat.id, purpose=purpose,
                                  now=ctx.now)

    async def _fetch(self, channel: str, upload: File) -> tuple[bytes, str] | Exception:
        """An upload's content and real type, or why it cannot be kept (Invalid: too big, wrong type, not arrived
        whole: the flow asks for the file again)."""
        if upload.size is not None and upload.size > self.max_file_bytes:
            return too_big(self.max_file_bytes)
        try:
            content = await self.services.fetch_file(channel, upload.ref, self.max_file_bytes, sha256=upload.sha256)
            return content, check_upload(content, self.max_file_bytes)
        except FileTooBig:
            return too_big(self.max_file_bytes)
        except FileNotWhole as error:
            logger.warning("a %s file did not arrive whole (%s); asked for again", channel, error)
            return Invalid("media.send_again")
        except Exception as error:  # raised again by save_file, inside the flow that asked for the file
            return error


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
