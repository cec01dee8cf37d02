"""Telegram through aiogram's Bot API client: long polling or webhook in, rendered replies out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError, TelegramBadRequest, TelegramForbiddenError, TelegramNetworkError, TelegramNotFound,
    TelegramRetryAfter, TelegramServerError,
)
from aiogram.types import (
    BotCommand, FSInputFile, InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, Message, ReplyKeyboardMarkup,
    ReplyKeyboardRemove, Update,
)
from aiogram.utils.backoff import Backoff, BackoffConfig

from bot.channels.base import RetryLater, Transient, Unreachable, merge_replies
from handlers.display_names import clean_display_name
from handlers.types import GLOBAL, Choice, Contact, Event, Expect, File, Location, Reply, Text, Unsupported

logger = logging.getLogger(__name__)
MAX_TEXT = 4096
CALLBACK_LIMIT = 64  # bytes of callback_data Telegram accepts
ALLOWED_UPDATES = ["message", "callback_query"]

EventSink = Callable[[Event], Awaitable[list[Reply] | None]]


def event_from_update(update: Update) -> Event | None:
    """The neutral event of a Telegram update; None for what the bot does not handle (groups, edits)."""
    if update.callback_query is not None:
        query = update.callback_query
        return Event("telegram", str(query.from_user.id), f"u{update.update_id}", parse_callback(query.data or ""),
                     clean_display_name(query.from_user.first_name))
    message = update.message
    if message is None or message.chat.type != "private":
        return None
    name = clean_display_name(message.from_user.first_name) if message.from_user else None
    return Event("telegram", str(message.chat.id), f"u{update.update_id}", payload_of(message), name)


def parse_callback(data: str) -> Choice:
    if data.startswith(GLOBAL):
        return Choice(data)
    token, _, option = data.partition("|")
    return Choice(option, int(token) if token.isdigit() else -1)


def callback_data(reply: Reply, option_id: str) -> str:
    data = option_id if option_id.startswith(GLOBAL) else f"{reply.token or 0}|{option_id}"
    if len(data.encode()) > CALLBACK_LIMIT:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def payload_of(message: Message) -> Any:
    if message.text is not None:
        return Text(message.text)
    if message.contact is not None:
        own = message.from_user is not None and message.contact.user_id == message.from_user.id
        return Contact(message.contact.phone_number, own)
    if message.photo:
        largest = message.photo[-1]
        return File(largest.file_id, None, "image/jpeg", largest.file_size, "photo")
    if message.document is not None:
        doc = message.document
        return File(doc.file_id, doc.file_name, doc.mime_type, doc.file_size, "document")
    for kind in ("sticker", "voice", "video", "audio", "video_note", "animation"):
        media = getattr(message, kind)
        if media is not None:
            return File(media.file_id, None, None, getattr(media, "file_size", None),
                        kind if kind in ("sticker", "voice", "video", "audio") else "video")
    if message.location is not None:
        return Location(message.location.latitude, message.location.longitude)
    if message.caption is not None:
        return Text(message.caption)
    return Unsupported(message.content_type)


def keyboard(reply: Reply) -> Any:
    """Inline buttons for options; a reply keyboard with "share my contact" when a phone number is asked."""
    if reply.expect == Expect.CONTACT:
        rows = [[KeyboardButton(text=reply.extra.get("contact_label", "📱"), request_contact=True)]]
        rows += [[KeyboardButton(text=option.label)] for option in reply.options]
        return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, one_time_keyboard=True)
    if not reply.options:
        return None
    buttons = [InlineKeyboardButton(text=o.label, callback_data=callback_data(reply, o.id)) for o in reply.options]
    width = 2 if all(len(o.label) <= 16 for o in reply.options) and len(buttons) > 3 else 1
    return InlineKeyboardMarkup(inline_keyboard=[buttons[i:i + width] for i in range(0, len(buttons), width)])


def chunks(text: str) -> list[str]:
    """Telegram's 4,096-character limit, split at line ends where possible."""
    parts: list[str] = []
    while len(text) > MAX_TEXT:
        cut = text.rfind("\n", 0, MAX_TEXT)
        cut = cut if cut > 0 else MAX_TEXT
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return parts + [text]


class TelegramChannel:
    name = "telegram"

    def __init__(self, token: str, api_base: str, *, polling_timeout: int = 25) -> None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_base.rstrip("/")))
        self.bot = Bot(token=token, session=session)
        self.polling_timeout = polling_timeout
        self.username: str | None = None
        self._keyboard_shown: set[str] = set()  # chats showing a reply keyboard, removed with the next message
        self._head_sent: dict[str, str] = {}  # chat -> reply whose first line went out alone (see send)
        self._background: set[asyncio.Task[None]] = set()
        self.sent = 0
        self.up = False

    async def start(self) -> None:
        me = await self.bot.get_me()
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

    async def fetch_file(self, ref: str, max_bytes: int) -> bytes:
        try:
            file = await self.bot.get_file(ref)
            buffer = await self.bot.download_file(file.file_path or "")
        except TelegramAPIError as error:
            raise Transient(str(error)) from error
        return buffer.read(max_bytes + 1) if buffer is not None else b""

    # -- sending ------------------------------------------------------------------------------------------------------
    async def send(self, address: str, reply: Reply) -> None:
        """One send; Telegram's failures mapped to RetryLater, Transient and Unreachable."""
        # A "share my contact" keyboard must not outlive its question (at the worker's phone step it would send the
        # ASN's own number): a message with inline buttons cannot remove it, so its first line goes apart and does.
        # If the rest then fails, the retry of the same reply sends only the rest.
        head_sent = self._head_sent.get(address) == reply.text
        text = reply.text.strip().split("\n", 1)[1] if head_sent else reply.text
        parts = chunks(text or "…")
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
                    self._head_sent[address] = reply.text
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
        self._head_sent.pop(address, None)
        self.sent += 1

    async def _send_file(self, chat_id: int, path: str, mime: str) -> None:
        """A stored upload (a receipt) shown to an officer: photos as photos, anything else as a document."""
        upload = FSInputFile(path)
        if mime.startswith("image/"):
            await self.bot.send_photo(chat_id=chat_id, photo=upload)
        else:
            await self.bot.send_document(chat_id=chat_id, document=upload)

    async def send_replies(self, address: str, replies: list[Reply], on_give_up: Callable[[list[Reply]], Awaitable[None]]) -> None:
        """Direct replies, in order, riding out 429s and 5xx; what still fails goes to the outbox."""
        replies = merge_replies(replies)
        for index, reply in enumerate(replies):
            for attempt in range(4):
                try:
                    await self.send(address, reply)
                    break
                except RetryLater as error:
                    await asyncio.sleep(min(error.seconds, 30))
                except Transient:
                    await asyncio.sleep(0.2 * 2 ** attempt)
                except Unreachable:
                    return
            else:
                await on_give_up(replies[index:])
                return

    def spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def answer_callback(self, update: Update) -> None:
        if update.callback_query is not None:
            try:
                await self.bot.answer_callback_query(update.callback_query.id)
            except TelegramAPIError:  # only stops the button's spinner; nothing to retry
                pass

    # -- receiving ----------------------------------------------------------------------------------------------------
    async def poll(self, on_updates: Callable[[list[Update]], Awaitable[None]]) -> None:
        """Long polling. The next getUpdates (which confirms the offset) waits until the batch is committed."""
        await self.bot.delete_webhook(drop_pending_updates=False)
        backoff = Backoff(BackoffConfig(min_delay=0.5, max_delay=10.0, factor=1.5, jitter=0.1))
        offset: int | None = None
        while True:
            try:
                updates = await self.bot.get_updates(offset=offset, timeout=self.polling_timeout,
                                                     allowed_updates=ALLOWED_UPDATES,
                                                     request_timeout=self.polling_timeout + 10)
            except TelegramRetryAfter as error:
                await asyncio.sleep(error.retry_after)
                continue
            except (TelegramServerError, TelegramNetworkError) as error:
                logger.warning("getUpdates failed (%s); retrying in %.1fs", type(error).__name__, backoff.next_delay)
                await backoff.asleep()
                continue
            backoff.reset()
            if updates:
                offset = updates[-1].update_id + 1
                await on_updates(updates)
