"""Telegram's shapes and ours: updates read as neutral events, replies rendered as messages and keyboards."""

from __future__ import annotations

from typing import Any

from aiogram.types import (InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, Message, ReplyKeyboardMarkup,
                           Update)

from handlers.answers.display_names import clean_display_name
from handlers.engine.types import (GLOBAL, Choice, Contact, Event, Expect, File, Location, Reply, Text, Unsupported,
                                   record_id)

MAX_TEXT = 4096
CALLBACK_LIMIT = 64  # bytes of callback_data Telegram accepts


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
    version = record_id(token)  # strict: "²|x" is a forged button, not a crash
    return Choice(option, version if version is not None else -1)


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
