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

import handlers
from bot.channels.base import Channel
from bot.config import Settings
from bot.delivery.outbox import Deliverer, RateLimiter
from bot.delivery.replies import DirectReplies
from bot.delivery.supervisor import Supervisor
from bot.health import Health, Limits
from bot.housekeeping import Housekeeping
from bot.intake import Intake
from bot.web import WhatsAppWebhook, build_web_app
from db import queries
from db.engine import create_engine, ping, session_factory, upgrade
from db.wilayah import load_wilayah
from handlers.contributions.reminders import Planner
from handlers.engine.core import Core
from handlers.engine.format import warm_up as format_warm_up
from handlers.engine.i18n import Catalog, catalogue_folders
from handlers.engine.types import Event, Reply, reply_to_payload
from handlers.registry import install

if TYPE_CHECKING:  # aiogram takes seconds to import: `tuwai chat` and the CLI commands never need it
    from bot.channels.telegram import TelegramChannel
    from bot.channels.whatsapp import WhatsAppChannel
    from bot.channels.whatsapp_inbox import Inbox

logger = logging.getLogger(__name__)
LOCALES = catalogue_folders(Path(handlers.__file__).resolve().parent, Path(__file__).resolve().parent)
Clock = Callable[[], datetime]


class StartupError(Exception):
    """What `tuwai run` could not do at start (reach the Bot API, ...), in one sentence for the operator."""


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
        self.whatsapp: WhatsAppChannel | None = None
        self.whatsapp_inbox: Inbox | None = None
        self.core = install(Core(
            sessions=self.sessions, catalog=self.catalog, program=settings.program, services=self,
            officers=settings.officers.addresses(), clock=self.clock, files_dir=settings.files_dir,
            max_file_bytes=settings.storage.max_file_mb * 1024 * 1024,
            max_files_per_day=settings.storage.max_files_per_day,
            lanes=1 if self.engine.dialect.name == "sqlite" else 4))
        self.planner = Planner(self.core, self.core.rules)
        out = settings.outbox
        self.deliverer = Deliverer(
            self.sessions, self.channels, max_attempts=out.max_attempts, lease_seconds=out.lease_seconds,
            poll_seconds=out.poll_seconds, clock=self.clock, sending_hours=self.planner.in_sending_hours,
            on_unreachable=self.tell_officers_unreachable,
            limiters={"telegram": RateLimiter(out.telegram_per_second, out.telegram_per_chat_per_second),
                      # the number's overall throughput is the channel's own gate (replies share it)
                      "whatsapp": RateLimiter(0, settings.whatsapp.per_person_per_second)})
        self.direct = DirectReplies(self.deliverer, self.clock)
        self.intake = Intake(self.core, self.deliverer, self.direct, self.channels)
        self.supervisor = Supervisor(max_failures=settings.supervisor.max_failures,
                                     max_delay=settings.supervisor.max_backoff_seconds)
        self.healthcheck = Health(
            engine=self.engine, read_sessions=self.read_sessions, channels=self.channels, supervisor=self.supervisor,
            clock=self.clock, sending_hours=self.planner.in_sending_hours,
            limits=Limits(receive_seconds=settings.telegram.polling_timeout + 60,
                          outbox_seconds=settings.outbox.max_due_age_seconds))
        self.housekeeping = Housekeeping(
            sessions=self.sessions, read_sessions=self.read_sessions, files_dir=settings.files_dir,
            orphan_grace=timedelta(hours=settings.storage.orphan_grace_hours), retention_settings=settings.retention)
        self.scheduler: AsyncIOScheduler | None = None
        self._heartbeats: set[asyncio.Task[None]] = set()
        self.runner: web.AppRunner | None = None
        self.webhook_secret: str | None = None

    # -- Services lent to the conversation core ---------------------------------------------------------------------
    async def fetch_file(self, channel: str, ref: str, max_bytes: int, *, sha256: str | None = None) -> bytes:
        return await self.channels[channel].fetch_file(ref, max_bytes, sha256=sha256)

    def has_channel(self, channel: str) -> bool:
        return channel in self.channels

    def deep_link(self, channel: str, payload: str) -> str | None:
        target = self.channels.get(channel)
        return target.deep_link(payload) if target is not None else None

    # -- life cycle ----------------------------------------------------------------------------------------------------
    async def prepare(self) -> None:
        """Check the database (fail loudly) and bring the schema up to date."""
        await ping(self.engine)
        await upgrade(self.engine)
        # Data the first messages would otherwise load while a person waits: Babel's locales, the wilayah codes.
        format_warm_up()
        load_wilayah()

    def add_channel(self, channel: Channel) -> None:
        self.channels[channel.name] = channel

    async def start(self, *, serve_web: bool = True) -> None:
        """Everything `tuwai run` runs: configured channels, outbox delivery, scheduler, web server."""
        await self.prepare()
        token = self.settings.telegram.token.get_secret_value()
        if token:
            self.telegram = self._telegram_channel(token)
            await self._connect_telegram(self.telegram)
            self.add_channel(self.telegram)
        if self.settings.whatsapp.configured:
            self._start_whatsapp()
        self.start_delivery()
        if serve_web:
            await self._serve_web()
        if self.telegram is not None:
            if self.settings.telegram.webhook_url:
                await self.telegram.bot.set_webhook(self.settings.telegram.webhook_url, secret_token=self.webhook_secret,
                                                    allowed_updates=["message", "callback_query"])
            else:
                telegram = self.telegram
                self.supervisor.spawn("telegram-polling", lambda: telegram.poll(self.intake.telegram_updates))

    def _telegram_channel(self, token: str) -> TelegramChannel:
        from aiogram.utils.token import TokenValidationError

        from bot.channels.telegram import TelegramChannel

        try:
            return TelegramChannel(token, self.settings.telegram.api_base,
                                   polling_timeout=self.settings.telegram.polling_timeout)
        except TokenValidationError:
            raise StartupError("TUWAI_TELEGRAM__TOKEN is not a bot token (it looks like 123456789:AAF..., as "
                               "@BotFather gave it).") from None

    async def _connect_telegram(self, telegram: TelegramChannel) -> None:
        """getMe and the command menu; what goes wrong is one sentence (StartupError), not a traceback."""
        from aiogram.exceptions import AiogramError, TelegramUnauthorizedError

        base = self.settings.telegram.api_base
        try:
            await telegram.start()
            await telegram.set_commands({language: {name: self.catalog.text(language, f"commands.{name}")
                                                    for name in ("start", "menu", "batal", "bantuan", "bahasa")}
                                         for language in ("id", "en")})
        except TelegramUnauthorizedError:
            await telegram.close()
            raise StartupError(f"The Telegram Bot API at {base} refused the token (check TUWAI_TELEGRAM__TOKEN).") \
                from None
        except (AiogramError, OSError, asyncio.TimeoutError) as error:
            await telegram.close()
            # The token is part of every Bot API address, and so of some errors: never printed.
            reason = (str(error).splitlines() or [type(error).__name__])[0].replace(telegram.bot.token, "<token>")[:160]
            raise StartupError(f"Could not reach the Telegram Bot API at {base} ({reason}).") from None

    def _start_whatsapp(self) -> None:
        from bot.channels.whatsapp import WhatsAppChannel
        from bot.channels.whatsapp_inbox import Inbox

        self.whatsapp = WhatsAppChannel(self.settings.whatsapp, sessions=self.sessions, clock=self.clock,
                                        program=self.settings.program.name)
        self.add_channel(self.whatsapp)
        self.whatsapp_inbox = Inbox(sessions=self.sessions, channel=self.whatsapp, handle=self.intake.answer,
                                    on_unreachable=self.tell_officers_unreachable,
                                    clock=self.clock, max_file_bytes=self.core.max_file_bytes,
                                    max_attempts=self.settings.outbox.max_attempts)
        self.supervisor.spawn("whatsapp-inbox", self.whatsapp_inbox.run_forever)

    def start_delivery(self) -> None:
        """Outbox delivery and its lease renewal (supervised tasks), and the scheduler's heartbeat."""
        self.supervisor.spawn("outbox", self.deliverer.run_forever)
        self.supervisor.spawn("outbox-lease", self.deliverer.renew_forever)
        self.scheduler = AsyncIOScheduler(timezone=self.settings.program.timezone)
        self.scheduler.add_job(self._heartbeat_job, "interval", seconds=self.settings.scheduler.heartbeat_seconds,
                               id="heartbeat", coalesce=True,
                               max_instances=1, next_run_time=datetime.now(timezone.utc))
        self.scheduler.start()

    async def _heartbeat_job(self) -> None:
        self._heartbeats.add(asyncio.current_task())  # type: ignore[arg-type]
        try:
            await self.heartbeat()
        except Exception as error:  # reported to the supervisor: logged, and too many in a row stop the bot
            self.supervisor.report("heartbeat", error)
        except asyncio.CancelledError:  # the bot is stopping (App.stop awaits this task): not an error to log
            return
        else:
            self.supervisor.report("heartbeat", None)
        finally:
            self._heartbeats.discard(asyncio.current_task())  # type: ignore[arg-type]

    async def _serve_web(self) -> None:
        secret = self.settings.telegram.webhook_secret.get_secret_value()
        self.webhook_secret = secret or (secrets.token_urlsafe(32) if self.settings.telegram.webhook_url else None)
        whatsapp = None
        if self.whatsapp_inbox is not None:
            settings = self.settings.whatsapp
            whatsapp = WhatsAppWebhook(verify_token=settings.verify_token.get_secret_value(),
                                       app_secret=settings.app_secret.get_secret_value(),
                                       on_items=self.whatsapp_inbox.receive, clock=self.clock)
        web_app = build_web_app(telegram_secret=self.webhook_secret, on_telegram_update=self.intake.telegram_raw,
                                health=self.healthcheck.check, metrics=self.metrics, whatsapp=whatsapp)
        self.runner = web.AppRunner(web_app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.settings.server.host, self.settings.server.port)
        await site.start()

    async def stop(self) -> None:
        if self.scheduler is not None:
            # The scheduler cancels a heartbeat under way and leaves it; it is awaited here so that its database
            # connection closes now: cancelled again by the event loop's shutdown, an aiosqlite connection can wait
            # forever for its thread, which has already stopped.
            self.scheduler.shutdown(wait=False)
            await asyncio.gather(*self._heartbeats, return_exceptions=True)
        await self.supervisor.stop()
        if self.telegram is not None:
            await self.telegram.drain(timeout=5.0)  # replies being sent; a reply cut off here is sent after restart
        try:
            await self.deliverer.flush_marks()
        except Exception:  # the database is gone: those replies may be sent once more after the restart
            logger.exception("could not mark the last replies sent")
        await self.core.close()
        if self.runner is not None:
            await self.runner.cleanup()
        for channel in self.channels.values():
            close = getattr(channel, "close", None)
            if close is not None:
                await close()
        await self.engine.dispose()

    async def heartbeat(self) -> None:
        """Plan what is due (from the database, the time passed in), wake the outbox, keep house (housekeeping)."""
        now = self.clock()
        try:
            report = await self.planner.plan(now)
            logger.info("planned: %d ledger rows, %d reminders due, %d lapsed, %d digests", report.ledger_rows,
                        report.reminders, report.lapsed, report.digests)
        finally:
            self.deliverer.wake()
        await self.housekeeping.run(now)  # message bodies past their retention, files without rows

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
        """An event whose replies the caller shows itself (the terminal, tests)."""
        replies = await self.core.handle(event)
        self.deliverer.wake()  # the event may have queued notifications
        return replies

    # -- health and metrics -------------------------------------------------------------------------------------------
    async def health(self) -> dict[str, Any]:
        return await self.healthcheck.check()

    async def metrics(self) -> dict[str, float]:
        figures: dict[str, float] = {
            "updates_handled_total": self.core.counters["events"],
            "updates_duplicate_total": self.core.counters["duplicates"],
            "errors_total": self.core.counters["errors"],
            "outbox_sent_total": self.deliverer.counters["sent"],
            "outbox_failed_total": self.deliverer.counters["failed"],
            "outbox_rate_limited_total": self.deliverer.counters["rate_limited"],
            "outbox_leases_lost_total": self.deliverer.counters["lost"],
            **await self.healthcheck.figures(),
        }
        if self.telegram is not None:
            figures["replies_sent_total"] = self.telegram.sent
        if self.whatsapp is not None and self.whatsapp_inbox is not None:
            figures["whatsapp_sent_total"] = self.whatsapp.sent
            figures["whatsapp_templates_sent_total"] = self.whatsapp.templates_sent
            figures["whatsapp_webhook_duplicates_total"] = self.whatsapp_inbox.counters["duplicates"]
        return figures
