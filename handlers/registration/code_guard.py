"""Limits on one-time codes (`handlers.registration.one_time_code`), kept as audit rows: no table of their own.

A code proves a new chat belongs to whoever owns a target ("asn:<id>": an ASN's account, linked from another chat;
"claim:<id>": a claim, followed from another chat) by reaching the owner's chat. Every request, code sent, code
withheld, wrong code, right code, lock and unlock is an audit_log row (actor "channel:address"); counting them is
the limit ([program.codes] in config.toml):
- a chat asks for at most `per_chat_per_hour` codes, whatever it types (so that refusal tells it nothing);
- a target gets at most `per_target_per_hour` codes, whoever asks: beyond it, or while it is locked, the code is
  withheld and the asker hears the same words as when one is sent, or when the NIP or reference does not exist;
- `wrong_before_lock` wrong codes for a target within `wrong_window_hours`, from all chats together, lock it until
  an officer unlocks it (officers and the owner are told); the owner's «Bukan saya» locks it too;
- only the target's newest code works: a newer code, a lock or an unlock after it revokes it (`_is_live`).
An officer's unlock starts every count afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from db import code_events, queries
from db.models import Asn, Chat, Claim
from handlers.engine.core import Ctx
from handlers.engine.i18n import Translator
from handlers.engine.masking import mask_nip
from handlers.engine.types import GLOBAL, Payload, record_id
from handlers.registration import one_time_code

ASKED, SENT, WITHHELD, WRONG, ACCEPTED = "code_asked", "code_sent", "code_withheld", "code_wrong", "code_accepted"
LOCKED, UNLOCKED = "code_locked", "code_unlocked"
Naming = Callable[[Translator], str]


async def chat_wait(ctx: Ctx) -> str | None:
    """None when this chat may ask for another code now; else the local time ("14:05") from which it may."""
    limit = ctx.program.codes.per_chat_per_hour
    asked = await code_events.times(ctx.session, action=ASKED, actor=ctx.actor, since=ctx.now - timedelta(hours=1))
    if len(asked) < limit:
        return None
    return ctx.local(asked[-limit] + timedelta(hours=1)).strftime("%H:%M")


async def issue(ctx: Ctx, target: str | None) -> tuple[str | None, dict[str, Any]]:
    """A request for a code for `target` (None: the NIP or reference typed does not exist), recorded: (the code to
    send to the owner, or None when it is withheld; the answers of the code step, which look alike either way)."""
    await queries.audit(ctx.session, actor=ctx.actor, action=ASKED, target=target, now=ctx.now)
    answers = {**one_time_code.blank(ctx), "target": target}
    if target is None:
        return None, answers
    refusal = await _refusal(ctx, target)
    if refusal is not None:
        await queries.audit(ctx.session, actor=ctx.actor, action=WITHHELD, target=target, now=ctx.now,
                            reason=refusal)
        return None, answers
    code, issued = one_time_code.issue(ctx)
    await queries.audit(ctx.session, actor=ctx.actor, action=SENT, target=target, now=ctx.now,
                        nonce=issued["nonce"], chat=ctx.chat.id)
    return code, {**issued, "target": target}


async def _refusal(ctx: Ctx, target: str) -> str | None:
    if await is_locked(ctx, target):
        return "locked"
    start = await _window_start(ctx, target, hours=1)
    sent = await code_events.times(ctx.session, action=SENT, target=target, since=start)
    return "limit" if len(sent) >= ctx.program.codes.per_target_per_hour else None


async def check(ctx: Ctx, payload: Payload) -> tuple[str, int]:
    """`one_time_code.check` for the code step's answers, with the code revoked unless it is its target's newest,
    and the verdict recorded: a wrong code counts toward the target's lock."""
    target = ctx.answers.get("target")
    live = target is not None and await _is_live(ctx, target, ctx.answers.get("nonce"))
    verdict, left = one_time_code.check(ctx, payload, live=live)
    if verdict in (one_time_code.WRONG, one_time_code.TOO_MANY):
        await _record_wrong(ctx, target)
    elif verdict == one_time_code.OK:
        await queries.audit(ctx.session, actor=ctx.actor, action=ACCEPTED, target=target, now=ctx.now,
                            chat=ctx.chat.id)
    return verdict, left


async def _is_live(ctx: Ctx, target: str, nonce: str | None) -> bool:
    newest = await code_events.latest(ctx.session, target=target, actions=(SENT, LOCKED, UNLOCKED))
    return nonce is not None and newest is not None and newest.action == SENT and newest.details.get("nonce") == nonce


async def _record_wrong(ctx: Ctx, target: str | None) -> None:
    await queries.audit(ctx.session, actor=ctx.actor, action=WRONG, target=target, now=ctx.now)
    if target is None or await is_locked(ctx, target):
        return
    settings = ctx.program.codes
    start = await _window_start(ctx, target, hours=settings.wrong_window_hours)
    wrong = await code_events.times(ctx.session, action=WRONG, target=target, since=start)
    if len(wrong) >= settings.wrong_before_lock:
        await lock(ctx, target, "wrong_codes")


async def _window_start(ctx: Ctx, target: str, *, hours: int) -> datetime:
    """`hours` ago, or the target's last unlock if that is later: an unlock starts the counts afresh."""
    unlocked = await code_events.latest(ctx.session, target=target, actions=(UNLOCKED,))
    start = ctx.now - timedelta(hours=hours)
    return max(start, unlocked.at) if unlocked is not None else start


async def is_locked(ctx: Ctx, target: str) -> bool:
    newest = await code_events.latest(ctx.session, target=target, actions=(LOCKED, UNLOCKED))
    return newest is not None and newest.action == LOCKED


async def lock(ctx: Ctx, target: str, reason: str, **details: Any) -> None:
    """No code for `target` is sent or accepted until an officer unlocks it; officers (with an unlock button) and
    the owner's chat are told. `reason`: "wrong_codes" | "not_me"."""
    await queries.audit(ctx.session, actor=ctx.actor, action=LOCKED, target=target, now=ctx.now, reason=reason,
                        **details)
    owner, naming = await subject(ctx, target)
    stamp = f"{ctx.now.timestamp():.0f}"
    await ctx.notify_officers(key=f"code_lock:{target}:{stamp}", text_key="linkguard.locked_officer",
                              options=((f"{GLOBAL}code.unlock:{target}", "linkguard.unlock"),),
                              who=naming, reason=lambda t: t(f"linkguard.reason_{reason}"))
    if owner is not None and reason == "wrong_codes":  # after «Bukan saya» the owner has their answer already
        await ctx.notify_chat(owner, key=f"code_lock:{target}:{stamp}:owner",
                              text_key=f"linkguard.locked_owner_{target.partition(':')[0]}")


async def unlock(ctx: Ctx, target: str) -> None:
    """Codes for `target` may be asked for again (the caller checked that an officer asks); the owner is told."""
    await queries.audit(ctx.session, actor=ctx.actor, action=UNLOCKED, target=target, now=ctx.now)
    owner, _ = await subject(ctx, target)
    if owner is not None:
        await ctx.notify_chat(owner, key=f"code_unlock:{target}:{ctx.now.timestamp():.0f}",
                              text_key="linkguard.unlocked_owner")


async def subject(ctx: Ctx, target: str) -> tuple[Chat | None, Naming]:
    """The chat that owns a target (its codes go there: the ASN's registered chat, the claim's reporter) and how
    officers name it; (None, "-") for a target that does not exist."""
    kind, _, raw = target.partition(":")
    ident = record_id(raw)
    if kind == "asn" and ident is not None and (asn := await ctx.session.get(Asn, ident)) is not None:
        return await ctx.session.get(Chat, asn.chat_id), lambda t: t("linkguard.who_asn", name=asn.name,
                                                                     nip=mask_nip(asn.nip))
    if kind == "claim" and ident is not None and (claim := await ctx.session.get(Claim, ident)) is not None:
        return (await ctx.session.get(Chat, claim.reporter_chat_id),
                lambda t: t("linkguard.who_claim", reference=claim.reference or f"#{claim.id}"))
    return None, lambda t: "-"
