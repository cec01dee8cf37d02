"""Incoming events from every channel: processed by the conversation core (group commit), their replies sent at once.

A person's events wait behind their own download (a photo, a PDF), nobody else's do. Whatever makes a Telegram update
raise, in parsing or handling, is logged once and skipped: no update can stop the bot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from bot.channels.base import Channel
from bot.delivery.outbox import Deliverer
from bot.delivery.replies import DirectReplies
from handlers.engine.core import Core
from handlers.engine.types import Event, File

if TYPE_CHECKING:  # aiogram takes seconds to import: `tuwai chat` and the CLI commands never need it
    from aiogram.types import Update

    from bot.channels.telegram import TelegramChannel

logger = logging.getLogger(__name__)


class Intake:
    def __init__(self, core: Core, deliverer: Deliverer, direct: DirectReplies, channels: dict[str, Channel]) -> None:
        self.core, self.deliverer, self.direct, self.channels = core, deliverer, direct, channels
        self._chains: dict[tuple[str, str], asyncio.Task[None]] = {}  # a person's events waiting on a download

    async def answer(self, event: Event) -> None:
        """Process the event (its replies kept in the outbox, held by this process), then send them at once."""
        replies = await self.core.handle(event, hold_for=self.deliverer.owner)
        self.deliverer.wake()
        if replies:
            channel = self.channels[event.channel]
            sending = self.direct.send(channel, event.address, replies)
            if hasattr(channel, "spawn"):  # in the background: the next updates need not wait for the API
                channel.spawn(sending)
            else:
                await sending

    async def telegram_updates(self, updates: list[Update]) -> dict[int, asyncio.Task[None]]:
        """A batch from getUpdates: committed together (group commit), then the replies go out in the background.

        Returns the updates still being handled in the background (a download), by update id: the polling loop
        confirms them to Telegram only once their task has ended."""
        telegram = self._telegram()
        running = await asyncio.gather(*(self._telegram_update(telegram, update) for update in updates))
        return {update.update_id: task for update, task in zip(updates, running) if task is not None}

    async def telegram_raw(self, data: dict[str, Any]) -> None:
        """A webhook call. Raises ValueError (answered 400) when the body is not a Telegram update."""
        from aiogram.types import Update

        telegram = self._telegram()
        update = Update.model_validate(data, context={"bot": telegram.bot})
        telegram.last_receive = time.time()
        running = await self._telegram_update(telegram, update)
        if running is not None:  # answered once the event is committed: Telegram sends it again after a crash
            await asyncio.wait([running])  # not cancelled with this call

    def _telegram(self) -> TelegramChannel:
        return self.channels["telegram"]  # type: ignore[return-value]

    async def _telegram_update(self, telegram: TelegramChannel, update: Update) -> asyncio.Task[None] | None:
        """One update; the task still handling it in the background (a download), if any."""
        from bot.channels.telegram_render import event_from_update

        try:
            event = event_from_update(update)
            if update.callback_query is not None:
                telegram.spawn(telegram.answer_callback(update))
            if event is None:
                return None
            key = (event.channel, event.address)
            previous = self._chains.get(key)
            if isinstance(event.payload, File) or (previous is not None and not previous.done()):
                # A download may be slow: this person's later events wait for it, nobody else's do.
                task = telegram.spawn(self._after(previous, event))
                self._chains[key] = task
                task.add_done_callback(lambda done: self._chains.pop(key) if self._chains.get(key) is done else None)
                return task
            await self.answer(event)
        except Exception:
            logger.exception("telegram update %s could not be handled; skipped", update.update_id)
        return None

    async def _after(self, previous: asyncio.Task[None] | None, event: Event) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        try:
            await self.answer(event)
        except Exception:
            logger.exception("event %s/%s could not be handled; skipped", event.channel, event.event_id)
