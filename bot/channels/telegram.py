"""Telegram through aiogram's Bot API client: long polling or webhook in, rendered replies out."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (ClientDecodeError, TelegramAPIError, TelegramBadRequest, TelegramConflictError,
                                TelegramForbiddenError, TelegramNetworkError, TelegramNotFound, TelegramRetryAfter,
                                TelegramServerError)
from aiogram.types import (BotCommand, FSInputFile, InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove,
                           Update)
from aiogram.utils.backoff import Backoff, BackoffConfig

from bot.channels.base import RetryLater, Transient, Unreachable, split_text
from bot.channels.downloads import check_whole, collect
from bot.channels.image_limits import fits_telegram_photo
from bot.channels.telegram_render import MAX_TEXT, keyboard
from bot.channels.telegram_session import LeanSession
from handlers.engine.types import Event, Reply
from handlers.engine.uploads import FileNotWhole, FileTooBig

logger = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "callback_query"]

BATCH_LIMIT = 100  # updates getUpdates returns at most (its default limit)
PAUSE = 0.25  # seconds between getUpdates while only updates already handed over come back
START_TIMEOUT = 15  # seconds: getMe at start-up
# Telegram's refusals of a file as a photo (PHOTO_INVALID_DIMENSIONS, PHOTO_SAVE_FILE_INVALID, IMAGE_PROCESS_FAILED):
# the same file then goes as a document.
PHOTO_REFUSALS = ("PHOTO_", "IMAGE_PROCESS_FAILED")
DOWNLOAD_TIMEOUT = 30  # seconds: one file download, whole (aiogram's own default)

EventSink = Callable[[Event], Awaitable[list[Reply] | None]]
Running = dict[int, asyncio.Future[None]]  # updates still being handled in the background, by update id


class Confirmations:
    """What getUpdates' offset may confirm to Telegram: every update before the lowest one still being handled.

    A file update is handled in a background task (its download may be slow); it is confirmed only once that task has
    ended with its event committed, so a kill -9 during the download brings it back after the restart. Meanwhile the
    updates after it come back with every getUpdates: those already handed over are skipped here (after a restart, the
    database's de-duplication of processed events skips the ones that had committed)."""

    def __init__(self) -> None:
        self.last: int | None = None  # the highest update id handed over (or skipped as invalid)
        self.running: Running = {}

    def offset(self) -> int | None:
        self.running = {update_id: task for update_id, task in self.running.items() if not task.done()}
        if self.running:
            return min(self.running)
        return None if self.last is None else self.last + 1

    def fresh(self, updates: list[Update]) -> list[Update]:
        return [update for update in updates if self.last is None or update.update_id > self.last]

    def seen(self, last_id: int | None) -> None:
        if last_id is not None and (self.last is None or last_id > self.last):
            self.last = last_id

    async def pause(self, *, window_full: bool) -> None:
        """Wait for a running update to end, at most PAUSE seconds: the loop must not spin on the same updates.

        When a whole batch is updates already handed over, newer ones cannot be seen without confirming the running
        ones: then they are confirmed (not kept across a kill -9) so that nobody else waits for a slow download."""
        if not self.running:
            return
        if window_full:
            logger.warning("getUpdates: %d updates wait behind %d still being handled; confirming those now",
                           BATCH_LIMIT, len(self.running))
            self.running.clear()
        else:
            await asyncio.wait(list(self.running.values()), timeout=PAUSE, return_when=asyncio.FIRST_COMPLETED)


class TelegramChannel:
    name = "telegram"

    def __init__(self, token: str, api_base: str, *, polling_timeout: int = 25) -> None:
        session = LeanSession(api=TelegramAPIServer.from_base(api_base.rstrip("/")))
        self.bot = Bot(token=token, session=session)
        self.polling_timeout = polling_timeout
        self.username: str | None = None
        self._keyboard_shown: set[str] = set()  # chats showing a reply keyboard, removed with the next message
        # (chat, reply text) of replies whose first line went out alone and whose rest is still to send (see send).
        # Keyed by the reply, not only the chat: an older reply delivered meanwhile by the outbox must not make the
        # retry of this one send its first line twice.
        self._head_sent: set[tuple[str, str]] = set()
        self._background: set[asyncio.Task[None]] = set()
        self.sent = 0
        self.up = False
        self.last_receive: float | None = None  # time.time() of the last successful getUpdates or webhook call
        self.polling = False  # long polling (a receive loop that must stay alive) rather than a webhook

    async def start(self) -> None:
        """getMe: the Bot API is reachable and the token valid. A server that takes the connection and never answers
        is given up on after START_TIMEOUT seconds (aiogram's default wait is a minute of silence at start-up)."""
        me = await self.bot.get_me(request_timeout=START_TIMEOUT)
        self.username = me.username
        self.up = True

    async def set_commands(self, descriptions: dict[str, dict[str, str]]) -> None:
        """The command menu Telegram shows, per language (Indonesian is the default for everyone else)."""
        for language, texts in descriptions.items():
            commands = [BotCommand(command=name, description=text) for name, text in texts.items()]
            await self.bot.set_my_commands(commands, language_code=None if language == "id" else language)

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        await self.bot.session.close()
        self.up = False

    def deep_link(self, payload: str) -> str | None:
        return f"https://t.me/{self.username}?start={payload}" if self.username else None

    async def fetch_file(self, ref: str, max_bytes: int, *, sha256: str | None = None) -> bytes:
        """The whole file, checked against getFile's file_size (Telegram declares no hash). Raises FileTooBig,
        FileNotWhole (cut short, or not file_size bytes), Transient (the Bot API refused or was unreachable)."""
        try:
            file = await self.bot.get_file(ref)
        except (TelegramAPIError, aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise Transient(f"getFile: {error}") from error
        if file.file_size is not None and file.file_size > max_bytes:
            raise FileTooBig(f"file_size {file.file_size}")
        url = self.bot.session.api.file_url(self.bot.token, file.file_path or "")
        chunks = self.bot.session.stream_content(url, timeout=DOWNLOAD_TIMEOUT, raise_for_status=True)
        try:
            content = await collect(chunks, max_bytes)
        except aiohttp.ClientResponseError as error:  # an HTTP error status, before any of the body
            raise Transient(f"download: HTTP {error.status}") from error
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise FileNotWhole(f"download cut short: {type(error).__name__}") from error
        finally:
            await chunks.aclose()  # a download stopped early closes its connection now, not when collected
        check_whole(content, sizes=(file.file_size,), hashes=(sha256,))
        return content

    # -- sending ------------------------------------------------------------------------------------------------------
    async def send(self, address: str, reply: Reply) -> None:
        """One send; Telegram's failures mapped to RetryLater, Transient and Unreachable."""
        # A "share my contact" keyboard must not outlive its question (at the worker's phone step it would send the
        # ASN's own number): a message with inline buttons cannot remove it, so its first line goes apart and does.
        # If the rest then fails, the retry of the same reply sends only the rest.
        head_sent = (address, reply.text) in self._head_sent
        text = reply.text.strip().split("\n", 1)[1] if head_sent else reply.text
        parts = split_text(text, MAX_TEXT)
        markup = keyboard(reply)
        if markup is None and address in self._keyboard_shown:
            markup = ReplyKeyboardRemove()
        removing = isinstance(markup, InlineKeyboardMarkup) and address in self._keyboard_shown
        if removing and len(parts) == 1 and "\n" in parts[0].strip():
            parts = list(parts[0].strip().split("\n", 1))
        try:
            if reply.extra.get("attachment") and not head_sent:
                await self._send_file(int(address), reply.extra["attachment"], reply.extra.get("attachment_mime", ""))
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                extra_markup = ReplyKeyboardRemove() if removing and index == 0 else None
                await self.bot.send_message(chat_id=int(address), text=part,
                                            reply_markup=markup if last else extra_markup)
                if extra_markup is not None:
                    self._keyboard_shown.discard(address)
                    self._head_sent.add((address, reply.text))
        except TelegramRetryAfter as error:
            raise RetryLater(error.retry_after) from error
        except TelegramForbiddenError as error:
            raise Unreachable(error.message) from error
        except (TelegramNotFound, TelegramBadRequest) as error:
            if "chat not found" in error.message.lower() or "user not found" in error.message.lower():
                raise Unreachable(error.message) from error
            raise
        except (TelegramServerError, TelegramNetworkError) as error:
            raise Transient(str(error)) from error
        if isinstance(markup, ReplyKeyboardMarkup):
            self._keyboard_shown.add(address)
        elif isinstance(markup, ReplyKeyboardRemove):
            self._keyboard_shown.discard(address)
        self._head_sent.discard((address, reply.text))
        self.sent += 1

    async def _send_file(self, chat_id: int, path: str, mime: str) -> None:
        """A stored upload (a receipt, a claim document) shown to an officer: an image as a photo where Telegram takes
        it as one (bot/channels/image_limits.py); anything else, and an image Telegram refuses as a photo, as a
        document, so that no file is ever missing."""
        if mime.startswith("image/") and await asyncio.to_thread(fits_telegram_photo, Path(path)):
            try:
                await self.bot.send_photo(chat_id=chat_id, photo=FSInputFile(path))
                return
            except TelegramBadRequest as error:
                if not any(refusal in error.message for refusal in PHOTO_REFUSALS):
                    raise
                logger.info("sendPhoto refused the file (%s): sent as a document", error.message)
        await self.bot.send_document(chat_id=chat_id, document=FSInputFile(path))

    def spawn(self, coroutine: Awaitable[None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def drain(self, timeout: float) -> None:
        """Let the replies being sent finish (at shutdown), for at most `timeout` seconds."""
        if self._background:
            await asyncio.wait(list(self._background), timeout=timeout)

    async def answer_callback(self, update: Update) -> None:
        if update.callback_query is not None:
            try:
                await self.bot.answer_callback_query(update.callback_query.id)
            except TelegramAPIError:  # only stops the button's spinner; nothing to retry
                pass

    # -- receiving ----------------------------------------------------------------------------------------------------
    async def poll(self, on_updates: Callable[[list[Update]], Awaitable[Running]]) -> None:
        """Long polling. The next getUpdates (which confirms the offset) waits until the batch is committed; an update
        still handled in the background (`on_updates` returns their tasks by update id) is confirmed when its task ends.

        What the Bot API (or a proxy in front of it) answers wrongly is survived with one log line and a backoff:
        5xx, network errors, 409 Conflict (a second instance, or a webhook set), pages that are not JSON. An update
        that does not validate is skipped (its id still confirmed), so it can never stop the bot."""
        self.polling, self.last_receive = True, self.last_receive or time.time()
        await self.bot.delete_webhook(drop_pending_updates=False)
        backoff = Backoff(BackoffConfig(min_delay=0.5, max_delay=10.0, factor=1.5, jitter=0.1))
        confirmations = Confirmations()
        while True:
            try:
                updates = await self.bot.get_updates(offset=confirmations.offset(), timeout=self.polling_timeout,
                                                     allowed_updates=ALLOWED_UPDATES,
                                                     request_timeout=self.polling_timeout + 10)
                last_id = updates[-1].update_id if updates else None
            except TelegramRetryAfter as error:
                logger.warning("getUpdates: 429, waiting %ds as asked", error.retry_after)
                await asyncio.sleep(error.retry_after)
                continue
            except ClientDecodeError as error:
                salvaged = self._salvage(error.data, confirmations.last)
                if salvaged is None:
                    logger.warning("getUpdates: the Bot API answered something that is not JSON (a proxy's error "
                                   "page?); retrying in %.1fs", backoff.next_delay)
                    await backoff.asleep()
                    continue
                updates, last_id = salvaged
            except TelegramConflictError:
                logger.warning("getUpdates: 409 Conflict, another process is polling with this bot's token (or a "
                               "webhook is set); retrying in %.1fs", backoff.next_delay)
                await backoff.asleep()
                continue
            except (TelegramServerError, TelegramNetworkError) as error:
                logger.warning("getUpdates failed (%s); retrying in %.1fs", type(error).__name__, backoff.next_delay)
                await backoff.asleep()
                continue
            backoff.reset()
            self.last_receive = time.time()
            fresh = confirmations.fresh(updates)
            if fresh:
                confirmations.running.update(await on_updates(fresh))
            elif last_id is not None:  # only updates already handed over came back: one before them still runs
                await confirmations.pause(window_full=len(updates) >= BATCH_LIMIT)
            confirmations.seen(last_id)

    def _salvage(self, data: Any, known: int | None) -> tuple[list[Update], int | None] | None:
        """The valid updates of a batch in which some did not validate, and the highest id (skipped ones included);
        None when the answer is not a batch of updates at all. Updates up to `known` were handed over already."""
        batch = data.get("result") if isinstance(data, dict) and data.get("ok") is True else None
        if not isinstance(batch, list):
            return None
        updates: list[Update] = []
        last_id: int | None = None
        for raw in batch:
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            if not isinstance(update_id, int):
                continue
            last_id = max(update_id, last_id if last_id is not None else update_id)
            if known is not None and update_id <= known:
                continue
            try:
                updates.append(Update.model_validate(raw, context={"bot": self.bot}))
            except ValueError:  # pydantic's ValidationError
                logger.warning("update %d is not a valid Telegram update; skipped", update_id)
        return updates, last_id
