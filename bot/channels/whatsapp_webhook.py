"""The WhatsApp webhook's calls: the signature check, and the items (messages, statuses) a call carries.

Payload shapes as in Meta's documentation: entry[].changes[].value with messages[] (and contacts[] naming the
sender: wa_id, and user_id, the business-scoped user id, where WhatsApp gives one) or statuses[].
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from handlers.display_names import clean_display_name


def signature_ok(body: bytes, header: str | None, secret: str) -> bool:
    """X-Hub-Signature-256 is "sha256=" + HMAC-SHA256(app secret, raw body), compared in constant time."""
    if not secret or not header:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def items_of(data: Any, now: datetime) -> list[dict[str, Any]]:
    """Inbox rows of one webhook call: one per message (key: wamid) and per status (key: status:wamid:status)."""
    rows: list[dict[str, Any]] = []
    entries = data.get("entry") if isinstance(data, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        for change in (entry or {}).get("changes") or []:
            value = (change or {}).get("value") or {}
            contacts = value.get("contacts") or []
            for message in value.get("messages") or []:
                if not isinstance(message, dict) or not message.get("id"):
                    continue
                contact = _contact_of(contacts, message)
                phone = str(message.get("from") or contact.get("wa_id") or "") or None
                address = str(message.get("from_user_id") or contact.get("user_id") or phone or "")
                if address:
                    rows.append({"item_key": str(message["id"])[:160], "kind": "message", "address": address[:140],
                                 "phone": phone[:20] if phone else None, "item": message, "received_at": now,
                                 "name": clean_display_name(str((contact.get("profile") or {}).get("name") or ""))})
            for status in value.get("statuses") or []:
                if isinstance(status, dict) and status.get("id") and status.get("status"):
                    key = f"status:{status['id']}:{status['status']}"[:160]
                    rows.append({"item_key": key, "kind": "status", "received_at": now, "phone": None,
                                 "name": None, "item": status,
                                 "address": str(status.get("recipient_user_id") or status.get("recipient_id") or "")})
    return rows


def _contact_of(contacts: list[Any], message: dict[str, Any]) -> dict[str, Any]:
    for contact in contacts:
        if isinstance(contact, dict) and (contact.get("wa_id") == message.get("from")
                                          or contact.get("user_id") == message.get("from_user_id")):
            return contact
    return contacts[0] if len(contacts) == 1 and isinstance(contacts[0], dict) else {}
