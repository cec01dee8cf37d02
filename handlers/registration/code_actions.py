"""What the owner of a one-time code and the officers do about codes (`handlers.registration.code_guard`).

Global actions:
- "!code.me:<target>"              «Ini saya», on the message with the code: nothing more is needed;
- "!code.no:<target>[:<chat>]"     «Bukan saya», from the owner's chat only: every code of the target is revoked,
                                   codes are locked until an officer unlocks them, officers are told, and the chat
                                   that asked (if it was linked meanwhile) is unlinked;
- "!code.unlock:<target>"          an officer lifts a lock (from the notice, or the to-do list «Kode dikunci»).
"""

from __future__ import annotations

from db import code_events, queries
from db.models import AuditEntry, Chat
from handlers.engine.access import refuse_non_officer
from handlers.engine.core import Ctx
from handlers.engine.format import format_date
from handlers.engine.types import GLOBAL, Expect, Option, Reply, record_id
from handlers.registration import code_guard
from handlers.registration.link_confirm import unlink

LOCKS = "code_locks"


async def mine_action(ctx: Ctx, arg: str) -> list[Reply]:
    if not await _is_owner(ctx, arg):
        return [Reply(ctx.t("common.stale_button")), await ctx.core.resume(ctx)]
    await queries.audit(ctx.session, actor=ctx.actor, action="code_mine", target=arg[:60], now=ctx.now)
    return [Reply(ctx.t("linkguard.mine_done")), await ctx.core.resume(ctx)]


async def not_me_action(ctx: Ctx, arg: str) -> list[Reply]:
    kind, _, rest = arg.partition(":")
    ident, _, asked_from = rest.partition(":")
    target = f"{kind}:{ident}"
    if not await _is_owner(ctx, target):
        return [Reply(ctx.t("common.stale_button")), await ctx.core.resume(ctx)]
    chat_id = record_id(asked_from)
    asker = await ctx.session.get(Chat, chat_id) if chat_id is not None else None
    asn = await ctx.asn() if kind == "asn" else None
    if asker is not None and asn is not None:  # linked already by mistake: not any more
        await unlink(ctx, asn, asker)
    if await code_guard.is_locked(ctx, target):
        await queries.audit(ctx.session, actor=ctx.actor, action="code_not_me", target=target, now=ctx.now,
                            chat=chat_id)
    else:
        await code_guard.lock(ctx, target, "not_me", chat=chat_id)
    return [Reply(ctx.t("linkguard.not_me_done")), await ctx.core.resume(ctx)]


async def _is_owner(ctx: Ctx, target: str) -> bool:
    owner, _ = await code_guard.subject(ctx, target)
    return owner is not None and owner.id == ctx.chat.id


async def unlock_action(ctx: Ctx, arg: str) -> list[Reply]:
    target = arg[:60]
    refusal = await refuse_non_officer(ctx, "code_unlock", target)
    if refusal:
        return refusal
    if not await code_guard.is_locked(ctx, target):
        return [Reply(ctx.t("linkguard.not_locked")), await ctx.core.resume(ctx)]
    await code_guard.unlock(ctx, target)
    _, naming = await code_guard.subject(ctx, target)
    return [Reply(ctx.t("linkguard.unlocked", who=naming(ctx.t))), await ctx.core.resume(ctx)]


async def count_locks(ctx: Ctx) -> int:
    return len(await _locks(ctx))


async def locks_screen(ctx: Ctx) -> Reply:
    """The officers' to-do list «Kode dikunci»: every lock in force, its reason and since when, to unlock."""
    locks = await _locks(ctx)
    if not locks:
        return Reply(ctx.t("linkguard.no_locks"))
    lines, options = [ctx.t("linkguard.locks_title")], []
    for number, row in enumerate(locks, 1):
        _, naming = await code_guard.subject(ctx, row.target or "")
        at = ctx.local(row.at)
        lines.append(ctx.t("linkguard.lock_line", n=number, who=naming(ctx.t),
                           since=f"{format_date(at.date(), ctx.t.language)} {at:%H:%M}",
                           reason=ctx.t(f"linkguard.reason_{row.details.get('reason', 'wrong_codes')}")))
        options.append(Option(f"{GLOBAL}code.unlock:{row.target}", ctx.t("linkguard.unlock_n", n=number)))
    return Reply("\n".join(lines), tuple(options), Expect.OPTION)


async def _locks(ctx: Ctx) -> list[AuditEntry]:
    return await code_events.standing_locks(ctx.session, lock=code_guard.LOCKED, unlock=code_guard.UNLOCKED)
