"""The factory that wires everything: database, conversation core, channels, outbox, scheduler, web server.

`tuwai run`, `tuwai chat`, the tests and the benchmarks all build the app here, with different settings.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import delete, func, select

from bot.channels.base import Channel
from bot.config import Settings
from bot.outbox import Deliverer, RateLimiter
from bot.web import build_web_app
from db import queries
from db.engine import create_engine, ping, session_factory, upgrade
from db.models import OutboxMessage, ProcessedEvent
from handlers.core import Core
from handlers.reminders import Planner
from handlers.i18n import Catalog
from handlers.registry import install
from handlers.types import Event, Reply, reply_to_payload

if TYPE_CHECKING:  # aiogram takes seconds to import: `tuwai chat` and the CLI commands never need it
    from aiogram.types import Update

    from bot.channels.telegram import TelegramChannel

logger = logging.getLogger(__name__)
LOCALES = Path(__file__).resolve().parent / "locales"
Clock = Callable[[], datetime]


class App:
    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.engine = create_engine(settings.database_url)
        self.sessions = session_factory(self.engine)
        self.read_sessions = session_factory(self.engine, readonly=True)
        self.catalog = Catalog(LOCALES)
        self.channels: dict[str, Channel] = {}
        self.telegram: TelegramChannel | None = None
        self.core = install(Core(
            sessions=self.sessions, catalog=self.catalog, program=settings.program, services=self,
            officers=settings.officers.addresses(), clock=self.clock, files_dir=settings.files_dir,
            max_file_bytes=settings.storage.max_file_mb * 1024 * 1024,
            lanes=1 if self.engine.dialect.name == "sqlite" else 4))
        self.planner = Planner(self.core, self.core.rules)
        out = settings.outbox
        self.deliverer = Deliverer(
            self.sessions, self.channels, max_attempts=out.max_attempts, lease_seconds=out.lease_seconds,
            poll_seconds=out.poll_seconds, clock=self.clock, sending_hours=self.planner.in_sending_hours,
            on_unreachable=self.tell_officers_unreachable,
            limiters={"telegram": RateLimiter(out.telegram_per_second, out.telegram_per_chat_per_second)})
        self.scheduler: AsyncIOScheduler | None = None
        self.runner: web.AppRunner | None = None
        self.webhook_secret: str | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self.replies_sent = 0

    # -- Services lent to the conversation core ---------------------------------------------------------------------
    async def fetch_file(self, channel: str, ref: str, max_bytes: int) -> bytes:
        return await self.channels[channel].fetch_file(ref, max_bytes)

    def deep_link(self, channel: str, payload: str) -> str | None:
        target = self.channels.get(channel)
        return target.deep_link(payload) if target is not None else None

    # -- life cycle -----------------------------------------------------------------------------------------------------
    async def prepare(self) -> None:
        """Check the database (fail loudly) and bring the schema up to date."""
        await ping(self.engine)
        await upgrade(self.engine)

    def add_channel(self, channel: Channel) -> None:
        self.channels[channel.name] = channel

    async def start(self, *, serve_web: bool = True) -> None:
        """Everything `tuwai run` runs: configured channels, outbox delivery, scheduler, web server."""
        await self.prepare()
        token = self.settings.telegram.token.get_secret_value()
        if token:
            from bot.channels.telegram import TelegramChannel

            self.telegram = TelegramChannel(token, self.settings.telegram.api_base,
                                            polling_timeout=self.settings.telegram.polling_timeout)
            await self.telegram.start()
            await self.telegram.set_commands({language: {name: self.catalog.text(language, f"commands.{name}")
                                                         for name in ("start", "menu", "batal", "bantuan", "bahasa")}
                                              for language in ("id", "en")})
            self.add_channel(self.telegram)
        self.start_delivery()
        if serve_web:
            await self._serve_web()
        if self.telegram is not None:
            if self.settings.telegram.webhook_url:
                await self.telegram.bot.set_webhook(self.settings.telegram.webhook_url, secret_token=self.webhook_secret,
                                                    allowed_updates=["message", "callback_query"])
            else:
                self._tasks.append(asyncio.create_task(self.telegram.poll(self.on_telegram_updates)))

    def start_delivery(self) -> None:
        self._tasks.append(asyncio.create_task(self.deliverer.run_forever(), name="tuwai-outbox"))
        self.scheduler = AsyncIOScheduler(timezone=self.settings.program.timezone)
        self.scheduler.add_job(self.heartbeat, "interval", seconds=self.settings.scheduler.heartbeat_seconds,
                               id="heartbeat", coalesce=True,
                               max_instances=1, next_run_time=datetime.now(timezone.utc))
        self.scheduler.start()

    async def _serve_web(self) -> None:
        secret = self.settings.telegram.webhook_secret.get_secret_value()
        self.webhook_secret = secret or (secrets.token_urlsafe(32) if self.settings.telegram.webhook_url else None)
        web_app = build_web_app(telegram_secret=self.webhook_secret, on_telegram_update=self.on_telegram_raw,
                                health=self.health, metrics=self.metrics)
        self.runner = web.AppRunner(web_app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.settings.server.host, self.settings.server.port)
        await site.start()

    async def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.core.close()
        if self.runner is not None:
            await self.runner.cleanup()
        for channel in self.channels.values():
            close = getattr(channel, "close", None)
            if close is not None:
                await close()
        await self.engine.dispose()

    async def heartbeat(self) -> None:
        """Plan what is due (from the database, the time passed in), wake the outbox, forget old event ids."""
        now = self.clock()
        try:
            report = await self.planner.plan(now)
            logger.info("planned: %d ledger rows, %d reminders due, %d lapsed, %d digests", report.ledger_rows,
                        report.reminders, report.lapsed, report.digests)
        finally:
            self.deliverer.wake()
        async with self.sessions() as session, session.begin():
            await session.execute(delete(ProcessedEvent).where(ProcessedEvent.processed_at < now - timedelta(days=7)))

    async def tell_officers_unreachable(self, session: Any, channel: str, address: str, now: datetime) -> None:
        """A person blocked the bot (or left the channel): the officers hear of it once a day at most."""
        who = await queries.describe_chat(session, channel=channel, address=address)
        for officer_channel, officer_address in sorted(await self.core.officers(session)):
            if (officer_channel, officer_address) == (channel, address):
                continue
            language = await queries.chat_language(session, channel=officer_channel, address=officer_address)
            text = self.catalog.text(language, "officer.unreachable", who=who, channel=channel)
            await queries.enqueue(session, key=f"unreachable:{channel}:{address}:{now.date().isoformat()}:"
                                               f"{officer_channel}:{officer_address}", channel=officer_channel,
                                  address=officer_address, payload=reply_to_payload(Reply(text)), now=now)

    # -- incoming -----------------------------------------------------------------------------------------------------
    async def handle_event(self, event: Event) -> list[Reply] | None:
        replies = await self.core.handle(event)
        self.deliverer.wake()  # the event may have queued notifications
        return replies

    async def on_telegram_updates(self, updates: list[Update]) -> None:
        """A batch from getUpdates: committed together (group commit), then the replies go out in the background."""
        await asyncio.gather(*(self._telegram_update(update) for update in updates))

    async def on_telegram_raw(self, data: dict[str, Any]) -> None:
        from aiogram.types import Update

        assert self.telegram is not None
        await self._telegram_update(Update.model_validate(data, context={"bot": self.telegram.bot}))

    async def _telegram_update(self, update: Update) -> None:
        from bot.channels.telegram import event_from_update

        telegram = self.telegram
        assert telegram is not None
        event = event_from_update(update)
        if update.callback_query is not None:
            telegram.spawn(telegram.answer_callback(update))
        if event is None:
            return
        replies = await self.handle_event(event)
        if replies:
            telegram.spawn(telegram.send_replies(event.address, replies, self._outbox_fallback(event)))

    def _outbox_fallback(self, event: Event):  # type: ignore[no-untyped-def]
        async def give_up(replies: list[Reply]) -> None:
            async with self.sessions() as session, session.begin():
                for index, reply in enumerate(replies):
                    await queries.enqueue(session, key=f"reply:{event.channel}:{event.event_id}:{index}",
                                          channel=event.channel, address=event.address,
                                          payload=reply_to_payload(reply), now=self.clock())
            self.deliverer.wake()
        return give_up

    # -- health and metrics -------------------------------------------------------------------------------------------
    async def health(self) -> dict[str, Any]:
        try:
            await ping(self.engine)
            database = True
        except Exception:  # any failure to reach it means "not healthy"; the reason goes to the log
            logger.exception("health check: database unreachable")
            database = False
        channels = {name: bool(getattr(channel, "up", True)) for name, channel in self.channels.items()}
        return {"ok": database and all(channels.values()), "database": database, "channels": channels}

    async def metrics(self) -> dict[str, float]:
        async with self.read_sessions() as session:
            depth = (await session.execute(select(func.count()).select_from(OutboxMessage)
                                           .where(OutboxMessage.status.in_(("pending", "sending"))))).scalar_one()
        figures: dict[str, float] = {
            "updates_handled_total": self.core.counters["events"],
            "updates_duplicate_total": self.core.counters["duplicates"],
            "errors_total": self.core.counters["errors"],
            "outbox_depth": depth,
            "outbox_sent_total": self.deliverer.counters["sent"],
            "outbox_failed_total": self.deliverer.counters["failed"],
            "outbox_rate_limited_total": self.deliverer.counters["rate_limited"],
        }
        if self.telegram is not None:
            figures["replies_sent_total"] = self.telegram.sent
            figures["telegram_up"] = 1.0 if self.telegram.up else 0.0
        return figures
