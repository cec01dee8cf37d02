"""Neutral message types: what comes in from any channel and what goes back out."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


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


@dataclass(frozen=True)
class Reply:
    """What the bot says. Channels render options within their limits; typing a number or label works too."""

    text: str
    options: tuple[Option, ...] = ()
    expect: Expect = Expect.TEXT
    token: int | None = None  # conversation version, stamped on buttons so old ones are recognised
    extra: dict[str, str] = field(default_factory=dict)  # e.g. {"contact_label": ...}


# Option ids that start with this are global actions (on notifications), valid whatever the conversation state.
GLOBAL = "!"
