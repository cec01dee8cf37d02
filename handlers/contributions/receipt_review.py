"""The officer's side of payments: verifying or rejecting an ASN's receipt (with the reason the ASN reads), and
/tunggakan, the months in arrears by OPD and by kecamatan."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from db import queries, standing
from db.models import Asn, Chat, Contribution, Receipt, Sponsorship, Worker
from db.wilayah import load_wilayah
from handlers.engine.access import back_to_officer, officer_origin, reason_options, reason_parser, refuse_non_officer
from handlers.engine.core import Ctx
from handlers.engine.format import format_date, month_name
from handlers.engine.forms import Field, Form
from handlers.engine.types import Reply, record_id

RECEIPT_REASONS = ("unreadable", "amount", "not_receipt")  # why an officer rejects a receipt


async def decide_receipt(ctx: Ctx, arg: str, *, verified: bool, reason: str | None = None) -> list[Reply]:
    ident = record_id(arg)
    receipt = await ctx.session.get(Receipt, ident) if ident is not None else None
    if receipt is None:
        return [Reply(ctx.t("officer.not_found"))]
    if receipt.status != "pending":  # a second tap, or another officer was quicker
        return [Reply(ctx.t("officer.receipt_already", id=receipt.id,
                            status=ctx.t(f"status.receipt_{receipt.status}"), by=receipt.decided_by or "-"))]
    receipt.status = "verified" if verified else "rejected"
    receipt.reason, receipt.decided_by, receipt.decided_at = reason, ctx.actor, ctx.now
    months = [row.period for row in (await ctx.session.execute(
        select(Contribution).where(Contribution.receipt_id == receipt.id))).scalars()]
    values: dict[str, Any] = ({"status": "paid", "source": "receipt", "paid_on": receipt.created_at.astimezone(
        ctx.core.zone).date()} if verified else {"status": "due", "receipt_id": None})
    await ctx.session.execute(update(Contribution).where(Contribution.receipt_id == receipt.id)
                              .values(updated_at=ctx.now, **values))
    await queries.audit(ctx.session, actor=ctx.actor, action=f"receipt_{receipt.status}", target=f"receipt:{receipt.id}",
                        now=ctx.now, reason=reason)
    asn = await ctx.session.get(Asn, receipt.asn_id)
    chat = await ctx.session.get(Chat, asn.chat_id) if asn else None
    worker = await ctx.session.get(Worker, (await ctx.session.get(Sponsorship, receipt.sponsorship_id)).worker_id)
    if chat is not None and worker is not None:
        await ctx.notify_chat(chat, key=f"receipt_{receipt.status}:{receipt.id}",
                              text_key=f"payment.{receipt.status}_for_asn", name=worker.name, reason=reason or "",
                              months=lambda t: ", ".join(month_name(m, t.language) for m in months))
    return [Reply(ctx.t(f"officer.receipt_{receipt.status}", id=receipt.id))]  # the caller adds the prompt


async def verify_action(ctx: Ctx, arg: str) -> list[Reply]:
    refusal = await refuse_non_officer(ctx, "receipt_verify", f"receipt:{arg}")
    return refusal or [*await decide_receipt(ctx, arg, verified=True), await ctx.core.resume(ctx)]


async def reject_action(ctx: Ctx, arg: str) -> list[Reply]:
    refusal = await refuse_non_officer(ctx, "receipt_reject", f"receipt:{arg}")
    return refusal or await ctx.core.flows["reject_receipt"].begin(ctx, arg)


class RejectReceipt(Form):
    """An officer rejects a receipt, with the reason the ASN will read."""

    name = "reject_receipt"
    title = "reject"
    fields = (Field("reason", lambda ctx: _reason_prompt(ctx), reason_parser(RECEIPT_REASONS), "reject.field_reason",
                    lambda ctx, v: v),)

    async def refuse(self, ctx: Ctx, arg: str | None) -> str | None:
        ident = record_id(arg)
        receipt = await ctx.session.get(Receipt, ident) if ident is not None else None
        if receipt is None:
            return "officer.not_found"
        return None

    async def initial(self, ctx: Ctx, arg: str | None) -> dict[str, Any]:
        return {"receipt": record_id(arg) or 0, **officer_origin(ctx)}

    async def commit(self, ctx: Ctx) -> list[Reply]:
        answers = dict(ctx.answers)
        refusal = await refuse_non_officer(ctx, "receipt_reject", f"receipt:{answers['receipt']}")
        back_to_officer(ctx)
        if refusal:
            return refusal
        return [*await decide_receipt(ctx, str(answers["receipt"]), verified=False, reason=answers["reason"]),
                await ctx.core.resume(ctx)]


async def _reason_prompt(ctx: Ctx) -> Reply:
    return Reply(ctx.t("officer.ask_reason", id=ctx.answers.get("receipt", "")),
                 reason_options(ctx, RECEIPT_REASONS))


async def arrears_command(ctx: Ctx, arg: str) -> list[Reply]:
    """/tunggakan: unpaid months past their due date, by OPD and by kecamatan."""
    refusal = await refuse_non_officer(ctx, "arrears")
    if refusal:
        return refusal
    by_opd = await standing.arrears_by(ctx.session, Asn.opd, today=ctx.today, rules=ctx.core.rules)
    by_kecamatan = await standing.arrears_by(ctx.session, Worker.kecamatan_code, today=ctx.today,
                                             rules=ctx.core.rules)
    wilayah = load_wilayah()
    lines = [ctx.t("officer.arrears_title", date=format_date(ctx.today, ctx.t.language)), ctx.t("officer.by_opd")]
    lines += [ctx.t("officer.digest_line", group=name, sponsorships=count, months=months)
              for name, count, months in by_opd] or [ctx.t("officer.digest_none")]
    lines.append(ctx.t("officer.by_kecamatan"))
    lines += [ctx.t("officer.digest_line", group=(wilayah.area(code).name if wilayah.area(code) else code),
                    sponsorships=count, months=months) for code, count, months in by_kecamatan] or [
        ctx.t("officer.digest_none")]
    return [Reply("\n".join(lines))]



