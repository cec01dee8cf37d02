"""An officer's decisions on a claim that take answers: asking for a document, recording the payout, rejecting.
Each is a form on one claim; `ClaimDecision` checks the officer and the claim's state again at commit, writes the
claim's history and the audit log, and tells those concerned. A death's own decisions are in handlers.claims.death.
"""

from __future__ import annotations

import abc
from datetime import date
from typing import Any

from db import claims as claim_data
from db import queries
from db.models import Claim
from handlers.answers.date_parser import parse_date
from handlers.answers.days_and_rupiah import parse_rupiah
from handlers.claims.after import tell_sponsor, tell_worker
from handlers.claims.common import load, tell, unconfirmed_death
from handlers.claims.officer import after_action, allowed_actions
from handlers.engine.core import Ctx
from handlers.engine.format import format_date, format_rupiah
from handlers.engine.forms import Field, Form, expect_choice, expect_text, prompt_text
from handlers.engine.types import Choice, Expect, Invalid, Option, Payload, Reply, record_id


class ClaimDecision(Form):
    """An officer's decision on one claim; subclasses give the fields, the action and what to store."""

    action: str
    audit_action: str | None = None  # None: "claim_<new status>"

    async def refuse(self, ctx: Ctx, arg: str | None) -> str | None:
        if not await ctx.is_officer():
            await queries.audit(ctx.session, actor=ctx.actor, action="denied", target=f"claim:{arg}", now=ctx.now,
                                attempted=self.name)
            return "officer.denied"
        loaded = await load(ctx, record_id(arg))
        return None if loaded and self.action in allowed_actions(loaded[0]) else "claims.not_now"

    async def initial(self, ctx: Ctx, arg: str | None) -> dict[str, Any]:
        return {"claim": record_id(arg) or 0}

    @abc.abstractmethod
    async def apply(self, ctx: Ctx, claim: Claim) -> tuple[str, str | None]:
        """Store the decision; returns (new status, history note)."""

    async def announce(self, ctx: Ctx, claim: Claim, status: str) -> None:
        """Tell the reporters and the sponsor (the claim's new state)."""
        await tell(ctx, claim, status)

    async def commit(self, ctx: Ctx) -> list[Reply]:
        reason = await self.refuse(ctx, str(ctx.answers["claim"]))
        loaded = await load(ctx, ctx.answers["claim"])
        if reason is not None or loaded is None:
            ctx.goto(None)
            return [Reply(ctx.t(reason or "officer.not_found")), await ctx.core.resume(ctx)]
        claim = loaded[0]
        status, note = await self.apply(ctx, claim)
        await claim_data.change_status(ctx.session, claim, status, actor=ctx.actor, now=ctx.now, note=note)
        await queries.audit(ctx.session, actor=ctx.actor, action=self.audit_action or f"claim_{status}",
                            target=f"claim:{claim.id}", now=ctx.now, note=note)
        await self.announce(ctx, claim, status)
        return await after_action(ctx, Reply(ctx.t("claims.done", reference=claim.reference or f"#{claim.id}")))


def doc_options(ctx: Ctx) -> tuple[Option, ...]:
    claim_kind = ctx.answers.get("_kind", "jkm")
    required, optional = ctx.program.claims.checklist(claim_kind)
    return tuple(Option(f"d:{doc}", ctx.t(f"claims.doc_{doc}")) for doc in required + optional)


async def parse_doc(ctx: Ctx, payload: Payload) -> str:
    choice = expect_choice(payload)
    if choice not in {o.id for o in doc_options(ctx)}:
        raise Invalid("common.choose_option")
    return choice[2:]


async def parse_note(ctx: Ctx, payload: Payload) -> str:
    note = expect_text(payload)  # cleaned by the core (handlers/engine/text_clean.py)
    if not 3 <= len(note) <= 200:
        raise Invalid("officer.reason_length", max=200)
    return note


class AskDocument(ClaimDecision):
    name, title, action = "claim_ask", "claims_ask", "ask"
    fields = (
        Field("doc", prompt_text("claims.ask_which_doc", options=doc_options, expect=Expect.OPTION), parse_doc,
              "claims.field_doc", lambda ctx, v: ctx.t(f"claims.doc_{v}")),
        Field("note", prompt_text("claims.ask_note"), parse_note, "claims.field_note", lambda ctx, v: v),
    )

    async def initial(self, ctx: Ctx, arg: str | None) -> dict[str, Any]:
        loaded = await load(ctx, record_id(arg))
        return {"claim": record_id(arg) or 0, "_kind": loaded[0].kind if loaded else "jkm"}

    async def apply(self, ctx: Ctx, claim: Claim) -> tuple[str, str | None]:
        doc, note = ctx.answers["doc"], ctx.answers["note"]
        claim.requested = {**claim.requested, doc: note}
        return "more_docs", f"{doc}: {note}"


async def prompt_paid_on(ctx: Ctx) -> Reply:
    return Reply(ctx.t("claims.ask_paid_on"), (Option("today", ctx.t("officer.today")),))


async def parse_paid_on(ctx: Ctx, payload: Payload) -> str:
    if isinstance(payload, Choice) and payload.option == "today":
        return ctx.today.isoformat()
    return parse_date(expect_text(payload), today=ctx.today).isoformat()


async def parse_amount(ctx: Ctx, payload: Payload) -> int:
    return parse_rupiah(expect_text(payload))


class RecordPayout(ClaimDecision):
    name, title, action = "claim_payout", "claims_payout", "pay"
    fields = (
        Field("amount", prompt_text("claims.ask_amount"), parse_amount, "claims.field_amount",
              lambda ctx, v: format_rupiah(v)),
        Field("paid_on", prompt_paid_on, parse_paid_on, "claims.field_paid_on",
              lambda ctx, v: format_date(date.fromisoformat(v), ctx.t.language)),
    )

    async def apply(self, ctx: Ctx, claim: Claim) -> tuple[str, str | None]:
        claim.paid_amount, claim.paid_on = ctx.answers["amount"], date.fromisoformat(ctx.answers["paid_on"])
        return "paid", format_rupiah(claim.paid_amount)


class RejectClaim(ClaimDecision):
    name, title, action = "claim_reject", "claims_reject", "rej"
    fields = (Field("reason", prompt_text("claims.ask_reject_reason"), parse_note, "claims.field_reason",
                    lambda ctx, v: v),)

    async def apply(self, ctx: Ctx, claim: Claim) -> tuple[str, str | None]:
        claim.reason = ctx.answers["reason"]
        return "rejected", claim.reason

    async def announce(self, ctx: Ctx, claim: Claim, status: str) -> None:
        """A rejected report of a death nobody accepted changed nothing: the sponsor and the worker hear so in those
        words (not as news of a death)."""
        if claim.death_confirmed_at is not None:  # BPJS refused to pay, the death stands: the sponsor hears so
            await tell(ctx, claim, status, to_sponsor=False)
            await tell_sponsor(ctx, claim, "claimtrust.asn_claim_rejected_death_stands", reason=claim.reason or "-")
            return
        if not unconfirmed_death(claim):
            await tell(ctx, claim, status)
            return
        await tell(ctx, claim, status, to_sponsor=False)
        await tell_sponsor(ctx, claim, "claimtrust.asn_report_rejected", reason=claim.reason or "-")
        await tell_worker(ctx, claim, "claimtrust.worker_report_rejected")

