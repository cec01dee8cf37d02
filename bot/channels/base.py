"""What every channel offers the rest of the program, and how a send can fail."""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from handlers.engine.types import Reply

MERGE_LIMIT = 4096


class SendError(Exception):
    """A send that did not go through."""


class RetryLater(SendError):
    """The channel asked us to slow down (HTTP 429): try this chat again after `seconds`.

    `pause_chat` False: the wait is not about this chat (WhatsApp's daily limit of people reached), so only the
    message waits, not every other message to the same person."""

    def __init__(self, seconds: float, *, pause_chat: bool = True) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds
        self.pause_chat = pause_chat


class Transient(SendError):
    """A server error or a network failure: worth trying again later, with backoff."""


class Unreachable(SendError):
    """The person cannot be reached (blocked the bot, not on this channel): do not try again."""


class Channel(Protocol):
    name: str

    async def send(self, address: str, reply: Reply) -> None:
        """Deliver one message; raises RetryLater, Transient or Unreachable."""

    async def fetch_file(self, ref: str, max_bytes: int, *, sha256: str | None = None) -> bytes:
        """See handlers.context.Services.fetch_file."""

    def deep_link(self, payload: str) -> str | None: ...


def merge_replies(replies: list[Reply], limit: int = MERGE_LIMIT) -> list[Reply]:
    """Plain texts followed by a question become one message: fewer bubbles for the person, fewer API calls."""
    return [reply for reply, _ in merge_groups(replies, limit)]


def merge_groups(replies: list[Reply], limit: int = MERGE_LIMIT) -> list[tuple[Reply, list[int]]]:
    """`merge_replies`, each message with the outbox ids of the replies it carries (durable replies)."""
    merged: list[tuple[Reply, list[int]]] = []
    for reply in replies:
        ids = [reply.outbox_id] if reply.outbox_id is not None else []
        previous = merged[-1][0] if merged else None
        if (previous is not None and not previous.options and not previous.extra
                and len(previous.text) + 2 + len(reply.text) <= limit):
            merged[-1] = (replace(reply, text=f"{previous.text}\n\n{reply.text}"), merged[-1][1] + ids)
        else:
            merged.append((reply, ids))
    return merged


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters (a channel's message limit), cut at line ends where possible; an empty
    text is one "…"."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return parts + [text or "…"]
