"""One-time codes that prove a new chat belongs to someone already known on another chat.

The code goes to the chat the person already uses (through the outbox) and is typed in the new one: 6 digits,
`CODE_MINUTES` minutes, `MAX_TRIES` tries. Only its hash (bound to the new chat) is kept, in the chat's answers,
with a nonce that names it in the audit log (`handlers.registration.code_guard` limits codes, and revokes them).
Used to link an ASN's second chat (`handlers.registration.link`) and to follow a claim from another chat
(`handlers.claims.follow`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from handlers.answers.parsers import parse_phone
from handlers.engine.core import Ctx
from handlers.engine.i18n import Translator
from handlers.engine.masking import mask_phone
from handlers.engine.types import Invalid, Payload, Text

CODE_MINUTES, MAX_TRIES = 10, 5
CHANNEL_NAMES = {"telegram": "Telegram", "whatsapp": "WhatsApp", "console": "terminal"}
OK, WRONG, TOO_MANY, EXPIRED = "ok", "wrong", "too_many", "expired"


def channel_name(channel: str) -> str:
    return CHANNEL_NAMES.get(channel, channel)


def asker(channel: str, phone: str | None) -> Callable[[Translator], str]:
    """How the owner's chat is told who asks for a code: "WhatsApp (nomor +62812*****432)", or just "Telegram"
    where the channel vouches for no number (a parameter of `Ctx.notify`, translated in the owner's language)."""
    if not phone:
        return lambda t: channel_name(channel)
    return lambda t: t("linkguard.asker", where=channel_name(channel), phone=masked_number(phone))


def masked_number(phone: str | None) -> str:
    """A chat's number as someone else may read it: "+62812*****432" (or "-" when the channel gave none)."""
    if not phone:
        return "-"
    try:
        return mask_phone(parse_phone(phone))
    except Invalid:  # a foreign number: masked as it came
        return mask_phone(phone)


def code_hash(code: str, chat_id: int) -> str:
    return hashlib.sha256(f"{chat_id}:{code}".encode()).hexdigest()


def blank(ctx: Ctx) -> dict[str, Any]:
    """The answers of a code step with no code behind it: every code typed is wrong, as if one had been sent."""
    return {"tries": 0, "expires": (ctx.now + timedelta(minutes=CODE_MINUTES)).isoformat()}


def issue(ctx: Ctx) -> tuple[str, dict[str, Any]]:
    """A new code, and the answers that remember it (hashed for this chat, with its nonce) until it expires."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    return code, {**blank(ctx), "code": code_hash(code, ctx.chat.id), "nonce": secrets.token_hex(6)}


def check(ctx: Ctx, payload: Payload, *, live: bool = True) -> tuple[str, int]:
    """(verdict, tries left) for what was typed; a wrong code counts a try in `ctx.answers`.

    `live` False: the code was revoked (a newer one, a lock, «Bukan saya»), so every code typed is wrong, said as
    any wrong code is: whoever types learns nothing from it."""
    answers = ctx.answers
    if datetime.fromisoformat(answers["expires"]) <= ctx.now:
        return EXPIRED, 0
    typed = "".join(payload.text.split()) if isinstance(payload, Text) else ""
    expected = (answers.get("code") or "") if live else ""
    if expected and hmac.compare_digest(code_hash(typed[:12], ctx.chat.id), expected):
        return OK, 0
    tries = int(answers.get("tries", 0)) + 1
    if tries >= MAX_TRIES:
        return TOO_MANY, 0
    ctx.answers = {**answers, "tries": tries}
    return WRONG, MAX_TRIES - tries
