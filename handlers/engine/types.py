"""Neutral message types: what comes in from any channel and what goes back out."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Invalid(ValueError):
    """What the person typed is not acceptable; key and params select and fill the message to show (a message
    catalogue key and its {placeholders}). Parsers raise it, a form asks again with the message."""

    def __init__(self, key: str, **params: object):
        self.key = key
        self.params = params
        super().__init__(key)


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Choice:
    """A pressed button. `token` is the conversation version the button was shown at (None: a global action)."""

    option: str
    token: int | None = None


@dataclass(frozen=True)
class Contact:
    phone: str
    own: bool = True


@dataclass(frozen=True)
class File:
    ref: str  # the channel's own file reference
    name: str | None
    mime_type: str | None
    size: int | None
    kind: str = "document"  # photo | document | sticker | voice | video | audio
    sha256: str | None = None  # the file's SHA-256 as the channel declares it (WhatsApp: base64 or hex)


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Unsupported:
    """Anything else a channel delivers (a poll, a game, ...): answered politely, never an error."""

    what: str


Payload = Text | Choice | Contact | File | Location | Unsupported


@dataclass(frozen=True)
class Event:
    """One incoming event. `event_id` is unique per channel and makes processing happen at most once."""

    channel: str
    address: str
    event_id: str
    payload: Payload
    display_name: str | None = None
    phone: str | None = None  # the sender's phone number as the channel vouches for it (WhatsApp's wa_id)


class Expect(str, Enum):
    TEXT = "text"
    OPTION = "option"
    FILE = "file"
    CONTACT = "contact"
    NOTHING = "nothing"


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    # More words that choose this option when typed, not shown (a short button label's full phrase).
    words: str = field(default="", compare=False)


@dataclass(frozen=True)
class Reply:
    """What the bot says. Channels render options within their limits; typing a number or label works too."""

    text: str
    options: tuple[Option, ...] = ()
    expect: Expect = Expect.TEXT
    token: int | None = None  # conversation version, stamped on buttons so old ones are recognised
    extra: dict[str, str] = field(default_factory=dict)  # e.g. {"contact_label": ...}
    outbox_id: int | None = None  # a durable reply: its outbox row, marked sent once delivery is confirmed


def reply_to_payload(reply: Reply) -> dict[str, Any]:
    """A reply as stored in the outbox (JSON), so that a later delivery renders exactly the same message."""
    return {"text": reply.text, "options": [{"id": o.id, "label": o.label} for o in reply.options],
            "expect": reply.expect.value, "token": reply.token, "extra": dict(reply.extra)}


def reply_from_payload(payload: dict[str, Any]) -> Reply:
    options = tuple(Option(str(o["id"]), str(o["label"])) for o in payload.get("options", []))
    expect = Expect(payload.get("expect") or (Expect.OPTION if options else Expect.NOTHING))
    return Reply(str(payload.get("text", "")), options, expect, payload.get("token"), dict(payload.get("extra") or {}))


def record_id(text: str | None) -> int | None:
    """A database id from a button or a typed number: ASCII digits within 64 bits, else None (never raises).

    str.isdigit() alone also accepts "²" and "١", which int() or the database refuse."""
    if text and text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return None


# Option ids that start with this are global actions (on notifications), valid whatever the conversation state.
GLOBAL = "!"
