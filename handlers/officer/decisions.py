"""Deliberate decisions: rejecting an ASN (or a receipt) asks for a reason, chosen or typed, and a confirmation.

The person rejected hears the reason. The form's summary is the confirmation ("✅ Simpan" rejects).
"""

from __future__ import annotations

from typing import Any

from db.models import Asn
from handlers.engine.access import back_to_officer, officer_origin, reason_options, reason_parser, refuse_non_officer
from handlers.engine.context import Ctx
from handlers.engine.forms import Field, Form
from handlers.engine.types import Expect, Reply, record_id
from handlers.officer.menu import decide_asn

ASN_REASONS = ("nip_unknown", "not_here", "data_mismatch")


async def _asn_reason_prompt(ctx: Ctx) -> Reply:
    asn = await ctx.session.get(Asn, ctx.answers.get("asn") or 0)
    return Reply(ctx.t("journey.reject.ask_asn_reason", name=asn.name if asn else ""),
                 reason_options(ctx, ASN_REASONS))


class RejectAsn(Form):
    """An officer rejects an ASN's registration, with the reason the ASN will read."""

    name = "reject_asn"
    title = "journey.reject_asn"
    fields = (Field("reason", _asn_reason_prompt, reason_parser(ASN_REASONS), "reject.field_reason",
                    lambda ctx, v: v),)

    async def refuse(self, ctx: Ctx, arg: str | None) -> str | None:
        ident = record_id(arg)
        asn = await ctx.session.get(Asn, ident) if ident is not None else None
        if asn is None:
            return "officer.not_found"
        return None

    async def initial(self, ctx: Ctx, arg: str | None) -> dict[str, Any]:
        return {"asn": record_id(arg) or 0, **officer_origin(ctx)}

    async def prompt(self, ctx: Ctx) -> Reply:
        reply = await super().prompt(ctx)
        asn = await ctx.session.get(Asn, ctx.answers.get("asn") or 0)
        if ctx.chat.step == "_summary" and asn is not None:  # say whom the confirmation is about
            return Reply(ctx.t("journey.reject_asn.confirm", name=asn.name, nip=asn.nip) + "\n" + reply.text,
                         reply.options, Expect.OPTION)
        return reply

    async def commit(self, ctx: Ctx) -> list[Reply]:
        answers = dict(ctx.answers)
        refusal = await refuse_non_officer(ctx, "asn_reject", f"asn:{answers['asn']}")
        back_to_officer(ctx)
        if refusal:
            return refusal
        replies = await decide_asn(ctx, str(answers["asn"]), approve=False, reason=answers["reason"])
        if not replies[-1].options:  # "already decided" by another officer: back to the list all the same
            replies.append(await ctx.core.resume(ctx))
        return replies
