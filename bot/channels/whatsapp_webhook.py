"""The WhatsApp webhook's calls: the signature check, and the items (messages, statuses) a call carries.

Payload shapes as in Meta's documentation: entry[].changes[].value with messages[] (and contacts[] naming the
sender: wa_id, and user_id, the business-scoped user id, where WhatsApp gives one) or statuses[].
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from handlers.answers.display_names import clean_display_name

MAX_DEPTH = 32  # levels of nesting in one message or status; Meta's go about 5 deep


def signature_ok(body: bytes, header: str | None, secret: str) -> bool:
    """X-Hub-Signature-256 is "sha256=" + HMAC-SHA256(app secret, raw body), compared in constant time."""
    if not secret or not header:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def items_of(data: Any, now: datetime) -> list[dict[str, Any]]:
    """Inbox rows of one webhook call: one per message (key: wamid) and per status (key: status:wamid:status).
    Total: any JSON value gives a list; parts not in Meta's shapes are left out (see `read_call`)."""
    return read_call(data, now)[0]


def read_call(data: Any, now: datetime) -> tuple[list[dict[str, Any]], int]:
    """(inbox rows, how many parts were left out): entries, changes, messages, contacts or statuses of the wrong
    type, messages without an id or a sender, statuses without an id or a status, and items nested deeper than
    any of Meta's (which the database's JSON encoder could not write). Never raises."""
    reader = _Reader(now)
    if not isinstance(data, dict):
        reader.skipped += 1
        return [], reader.skipped
    for entry in reader.dicts(data.get("entry")):
        for change in reader.dicts(entry.get("changes")):
            value = change.get("value")
            if not isinstance(value, dict):
                reader.skipped += 1
                continue
            contacts = reader.dicts(value.get("contacts"))
            for message in reader.dicts(value.get("messages")):
                reader.message(message, contacts)
            for status in reader.dicts(value.get("statuses")):
                reader.status(status)
    return reader.rows, reader.skipped


class _Reader:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.rows: list[dict[str, Any]] = []
        self.skipped = 0

    def dicts(self, value: Any) -> list[dict[str, Any]]:
        """The objects of a list; anything else (in it, or instead of it) is counted as left out."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.skipped += 1
            return []
        found = [item for item in value if isinstance(item, dict)]
        self.skipped += len(value) - len(found)
        return found

    def message(self, message: dict[str, Any], contacts: list[dict[str, Any]]) -> None:
        ident = _text(message.get("id"))
        contact = _contact_of(contacts, message)
        phone = _text(message.get("from")) or _text(contact.get("wa_id"))
        address = _text(message.get("from_user_id")) or _text(contact.get("user_id")) or phone
        if not ident or not address or _too_deep(message):
            self.skipped += 1
            return
        profile = contact.get("profile")
        name = clean_display_name(_text(profile.get("name")) or "") if isinstance(profile, dict) else None
        self.rows.append({"item_key": ident[:160], "kind": "message", "address": address[:140],
                          "phone": phone[:20] if phone else None, "item": {**message, "id": ident},
                          "received_at": self.now, "name": name[:80] if name else None})

    def status(self, status: dict[str, Any]) -> None:
        ident, state = _text(status.get("id")), _text(status.get("status"))
        if not ident or not state or _too_deep(status):
            self.skipped += 1
            return
        address = _text(status.get("recipient_user_id")) or _text(status.get("recipient_id")) or ""
        self.rows.append({"item_key": f"status:{ident}:{state}"[:160], "kind": "status", "received_at": self.now,
                          "phone": None, "name": None, "item": {**status, "id": ident, "status": state},
                          "address": address[:140]})


def _text(value: Any) -> str | None:
    """A string or a number as text (Meta's ids are strings; a number is taken as its digits); else None."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Nested deeper than `limit` lists and objects (checked without recursion)."""
    level: list[Any] = [value]
    for _ in range(limit):
        level = [child for item in level if isinstance(item, (dict, list))
                 for child in (item.values() if isinstance(item, dict) else item)]
        if not level:
            return False
    return any(isinstance(item, (dict, list)) for item in level)


def _contact_of(contacts: list[dict[str, Any]], message: dict[str, Any]) -> dict[str, Any]:
    """The contact naming the message's sender (by wa_id or user id); the only one if there is one."""
    sender, user = _text(message.get("from")), _text(message.get("from_user_id"))
    for contact in contacts:
        if (sender and _text(contact.get("wa_id")) == sender) or (user and _text(contact.get("user_id")) == user):
            return contact
    return contacts[0] if len(contacts) == 1 else {}
