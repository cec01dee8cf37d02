"""Neutral replies as WhatsApp messages within WhatsApp's limits, and WhatsApp messages as neutral payloads.

Options: up to 3 reply buttons (titles ≤ 20 characters, unique); up to 10 as a list (row titles ≤ 24, the full
label in the row's description); more as pages of a list ("Berikutnya"), rows numbered so typing the number works
too. Outside the 24-hour window a message goes as an approved template (see `template_message`).
"""

from __future__ import annotations

from typing import Any

from bot.channels.base import split_text
from handlers.engine.types import GLOBAL, Choice, Contact, File, Location, Payload, Reply, Text, Unsupported

TEXT_MAX, BODY_MAX, BUTTONS_MAX, BUTTON_TITLE, ROWS_MAX, ROW_TITLE, ROW_DESC = 4096, 1024, 3, 20, 10, 24, 72
OWN_PHONE = "~phone"  # the button "use this WhatsApp number" where a phone number is asked
PAGE = "~page:"  # list pages beyond ten options
OPEN = "~open:"  # a template's "open" button: the outbox message it carried, shown again in full
LIST_BUTTON = "Pilih / Choose"
NEXT, PREVIOUS = "Berikutnya ›", "‹ Sebelumnya"
PAGE_SIZE = ROWS_MAX - 2
PARAM_MAX = 700  # characters of a message put into one template parameter


def option_id(reply: Reply, option: str) -> str:
    return option if option.startswith((GLOBAL, "~", "/")) else f"{reply.token or 0}|{option}"


def parse_option_id(data: str, phone: str | None) -> Payload:
    if data == OWN_PHONE:
        return Contact(phone or "", own=True) if phone else Text("")
    if data.startswith(GLOBAL):
        return Choice(data)
    if data.startswith("/"):  # a command carried by a button (a template's "read the consent notice")
        return Text(data)
    token, separator, option = data.partition("|")
    if not separator:
        return Text(data)
    return Choice(option, int(token) if token.isascii() and token.isdigit() and len(token) < 12 else -1)


def _choices(reply: Reply) -> list[tuple[str, str]]:
    """(id, label) pairs: the reply's options, and "use this number" first where a phone number is asked."""
    pairs = [(option_id(reply, o.id), o.label) for o in reply.options]
    if reply.expect.value == "contact":
        pairs.insert(0, (OWN_PHONE, reply.extra.get("contact_label") or "Nomor ini / This number"))
    return pairs


def render(reply: Reply, page: int = 0) -> list[dict[str, Any]]:
    """The messages (without recipient) that show `reply`; `page` picks the list page when options overflow."""
    choices = _choices(reply)
    if not choices:
        return [{"type": "text", "text": {"body": part, "preview_url": False}} for part in split_text(reply.text,
                                                                                                     TEXT_MAX)]
    *lead, body = split_text(reply.text, BODY_MAX)
    messages = [{"type": "text", "text": {"body": part}} for part in lead]
    labels = [label for _, label in choices]
    if len(choices) <= BUTTONS_MAX and all(len(label) <= BUTTON_TITLE for label in labels) \
            and len(set(labels)) == len(labels):
        buttons = [{"type": "reply", "reply": {"id": ident, "title": label}} for ident, label in choices]
        messages.append({"type": "interactive", "interactive": {
            "type": "button", "body": {"text": body}, "action": {"buttons": buttons}}})
        return messages
    messages.append({"type": "interactive", "interactive": {
        "type": "list", "body": {"text": body}, "action": {"button": LIST_BUTTON, "sections": [
            {"rows": _rows(choices, page)}]}}})
    return messages


def _rows(choices: list[tuple[str, str]], page: int) -> list[dict[str, str]]:
    numbered = len(choices) > ROWS_MAX
    items = [(ident, f"{n}. {label}" if numbered else label) for n, (ident, label) in enumerate(choices, 1)]
    if numbered:  # eight options a page, with "previous" and "next" rows: never more than ten rows
        pages = [items[start:start + PAGE_SIZE] for start in range(0, len(items), PAGE_SIZE)]
        page = max(0, min(page, len(pages) - 1))
        items = list(pages[page])
        if page > 0:
            items.insert(0, (f"{PAGE}{page - 1}", PREVIOUS))
        if page < len(pages) - 1:
            items.append((f"{PAGE}{page + 1}", NEXT))
    rows, seen = [], set()
    for ident, label in items:
        title = label if len(label) <= ROW_TITLE else label[:ROW_TITLE - 1].rstrip() + "…"
        while title in seen:  # titles must differ to be told apart
            title = title[:ROW_TITLE - 2] + "·" + str(len(seen) % 10)
        seen.add(title)
        row = {"id": ident, "title": title}
        if title != label:
            row["description"] = label[:ROW_DESC]
        rows.append(row)
    return rows


def one_line(text: str, limit: int = PARAM_MAX) -> str:
    """A message as a template parameter: no line breaks, tabs or runs of spaces (Meta refuses them)."""
    flat = " · ".join(part.strip() for part in text.replace("\t", " ").splitlines() if part.strip())
    flat = " ".join(flat.split())
    return flat if len(flat) <= limit else flat[:limit - 1].rstrip() + "…"


def template_message(reply: Reply, *, name: str, language: str, params: list[str], program: str,
                     buttons: int, opens: str | None = None) -> dict[str, Any]:
    """An approved template carrying `reply`: body parameters by name, quick-reply payloads from its options (or,
    with `opens`, one button that shows the outbox message with that key again)."""
    values = {"program": program, "text": one_line(reply.text)}
    components: list[dict[str, Any]] = [{"type": "body", "parameters": [
        {"type": "text", "text": values.get(param, program)} for param in params]}]
    idents = [OPEN + opens] if opens else [ident for ident, _ in _choices(reply)]
    for index, ident in enumerate(idents[:buttons]):
        components.append({"type": "button", "sub_type": "quick_reply", "index": str(index),
                           "parameters": [{"type": "payload", "payload": ident}]})
    return {"type": "template", "template": {"name": name, "language": {"code": language},
                                             "components": components}}


def payload_of(message: dict[str, Any], phone: str | None) -> Payload | None:
    """The neutral payload of one webhook message; None for what needs no answer (a reaction). Total: a part in a
    shape Meta never sends reads as empty (an empty text, an unsupported message), never as an error."""
    kind = message.get("type")
    if not isinstance(kind, str):
        return Unsupported("unknown")
    body = _obj(message.get(kind))
    if kind == "text":
        return Text(_str(body.get("body")))
    if kind == "interactive":
        chosen = _obj(body.get(_str(body.get("type"))))
        return parse_option_id(_str(chosen.get("id")), phone) if _str(chosen.get("id")) else Unsupported(kind)
    if kind == "button":  # a template's quick-reply button
        data = _str(body.get("payload"))
        return parse_option_id(data, phone) if data.startswith((GLOBAL, "~", "/")) or "|" in data \
            else Text(_str(body.get("text")) or data)
    if kind in ("image", "document", "sticker", "audio", "voice", "video"):
        file_kind = {"image": "photo", "voice": "voice", "audio": "voice"}.get(kind, kind)
        return File(_str(body.get("id")), _str(body.get("filename")) or None, _str(body.get("mime_type")) or None,
                    None, file_kind, sha256=_str(body.get("sha256")) or None)
    if kind == "contacts":
        return _contact(message.get("contacts"), phone)
    if kind == "location":
        return Location(_number(body.get("latitude")), _number(body.get("longitude")))
    if kind == "reaction":
        return None
    return Unsupported(kind[:40] or "unknown")


def _contact(contacts: Any, phone: str | None) -> Payload:
    """The first phone number of a shared contact card; own=True when it is the sender's own number."""
    cards = contacts if isinstance(contacts, list) else []
    phones = [_obj(p) for card in cards for p in (_obj(card).get("phones") or []) if isinstance(p, dict)]
    if not phones:
        return Unsupported("contacts")
    first = phones[0]
    return Contact(_str(first.get("phone")) or _str(first.get("wa_id")),
                   own=bool(phone) and _str(first.get("wa_id")) == phone)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    """A string, or a number as text; anything else (a list, an object) as ""."""
    if isinstance(value, str):
        return value
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else ""


def _number(value: Any) -> float:
    try:
        return float(value) if isinstance(value, (int, float, str)) and not isinstance(value, bool) else 0.0
    except (ValueError, OverflowError):
        return 0.0
