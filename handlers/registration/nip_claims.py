"""One NIP, one ASN: what happens when a second account claims an NIP, and how an officer moves an NIP to a new
account (a new phone) after checking.

The second account is told only that the NIP cannot be registered from this account (never whether it exists or who
holds it); the officers hear of it with both accounts' details. A registration still waiting for an officer does not
lock the NIP: the roster-verified owner replaces it (the waiting one is told, the officers too).
"""

from __future__ import annotations

from db import queries
from db.models import Asn, AuditEntry, Chat
from handlers.engine.access import audit_notice, refuse_non_officer
from handlers.engine.context import Ctx
from handlers.engine.masking import mask_nip
from handlers.engine.types import Reply, record_id
from handlers.registration.identity import account

CLAIM, MOVED, SUPERSEDED = "nip_claim", "nip_moved", "asn_superseded"


async def record_claim(ctx: Ctx, holder: Asn, *, name: str, opd: str, phone: str, shared: bool) -> None:
    """A second account tried to register `holder`'s NIP: audited with what it typed (the claim an officer may act
    on), and the officers told with both accounts."""
    claim = AuditEntry(at=ctx.now, actor=ctx.actor, action=CLAIM, target=f"asn:{holder.id}",
                       details={"chat": ctx.chat.id, "name": name, "opd": opd, "phone": phone, "shared": shared})
    ctx.session.add(claim)
    await ctx.session.flush()
    holder_chat = await ctx.session.get(Chat, holder.chat_id)
    await audit_notice(ctx, f"asn:{holder.id}", ["nip", "phone"])
    await ctx.notify_officers(
        key=f"nip_claim:{holder.nip}:{ctx.chat.id}", text_key="identity.nip_claim", nip=holder.nip,
        holder=holder.name, holder_status=lambda t: t(f"status.asn_{holder.status}"),
        holder_account=account(holder_chat), holder_phone=holder.phone, claimant=account(ctx.chat),
        typed=lambda t: t("identity.claim_typed", name=name, opd=opd, phone=phone,
                          how=t("identity.phone_shared" if shared else "identity.phone_typed")),
        options=((f"!nip.move:{claim.id}", "identity.move_nip"),))


async def supersede(ctx: Ctx, holder: Asn, *, verified: bool) -> None:
    """A waiting or rejected registration of another account gives way to this one (verified by the roster, or
    the old one was rejected anyway): audited, and the other account and the officers are told."""
    holder_chat = await ctx.session.get(Chat, holder.chat_id)
    await queries.audit(ctx.session, actor=ctx.actor, action=SUPERSEDED, target=f"asn:{holder.id}", now=ctx.now,
                        chat=holder.chat_id, name=holder.name, opd=holder.opd, phone=holder.phone,
                        status=holder.status)
    if holder.status == "pending" and holder_chat is not None:
        await ctx.notify_chat(holder_chat, key=f"asn_superseded:{holder.id}", text_key="identity.superseded")
        await ctx.notify_officers(key=f"asn_superseded:{holder.id}", text_key="identity.superseded_officer",
                                  nip=holder.nip, name=holder.name, account=account(holder_chat),
                                  verified=lambda t: t("form.yes" if verified else "form.no"))
    await ctx.session.delete(holder)
    await ctx.session.flush()


async def move_action(ctx: Ctx, arg: str) -> list[Reply]:
    """Global action "!nip.move:<claim>": an officer moves the NIP to the account that claimed it."""
    refusal = await refuse_non_officer(ctx, "nip_move", f"claim:{arg}")
    if refusal:
        return refusal
    ident = record_id(arg)
    claim = await ctx.session.get(AuditEntry, ident) if ident is not None else None
    holder = await _holder(ctx, claim)
    new_chat = await ctx.session.get(Chat, claim.details.get("chat", 0)) if claim is not None else None
    if claim is None or holder is None or new_chat is None or holder.chat_id == new_chat.id:
        return [Reply(ctx.t("identity.move_stale")), await ctx.core.resume(ctx)]
    if await queries.asn_of_chat(ctx.session, new_chat.id) is not None:
        return [Reply(ctx.t("identity.move_blocked")), await ctx.core.resume(ctx)]
    old_chat = await ctx.session.get(Chat, holder.chat_id)
    holder.chat_id = new_chat.id
    holder.name, holder.opd, holder.phone = claim.details["name"], claim.details["opd"], claim.details["phone"]
    holder.status, holder.decided_by, holder.decided_at = "approved", ctx.actor, ctx.now
    await queries.audit(ctx.session, actor=ctx.actor, action=MOVED, target=f"asn:{holder.id}", now=ctx.now,
                        from_chat=old_chat.id if old_chat else None, to_chat=new_chat.id, claim=claim.id)
    await ctx.notify_chat(new_chat, key=f"nip_moved_here:{claim.id}", text_key="identity.nip_moved_here",
                          name=holder.name)
    if old_chat is not None:
        await ctx.notify_chat(old_chat, key=f"nip_moved_away:{claim.id}", text_key="identity.nip_moved_away",
                              nip=mask_nip(holder.nip))
    return [Reply(ctx.t("identity.moved", nip=holder.nip, name=holder.name)), await ctx.core.resume(ctx)]


async def _holder(ctx: Ctx, claim: AuditEntry | None) -> Asn | None:
    if claim is None or claim.action != CLAIM or not (claim.target or "").startswith("asn:"):
        return None
    ident = record_id(claim.target[4:])
    return await ctx.session.get(Asn, ident) if ident is not None else None
