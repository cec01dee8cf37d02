"""Officers and claims: the to-do list entry, opening a claim (its documents sent as files, each view audited),
asking for a document, forwarding to BPJS, recording payout or rejection.
Every action is checked against the officer list on every request and written to the claim's history."""

from __future__ import annotations

import abc
from datetime import date
from typing import Any

from db import claims as claim_data
from db import queries
from db.models import Claim
from handlers.claim_common import load, status_text, tell
from handlers.claim_parsers import parse_rupiah
from handlers.core import Ctx
from handlers.date_parser import parse_date
from handlers.format import format_date, format_datetime, format_rupiah
from handlers.forms import Field, Form, expect_choice, expect_text, prompt_text
from handlers.officer import refuse_non_officer
from handlers.parsers import Invalid
from handlers.types import GLOBAL, Choice, Expect, Option, Payload, Reply, record_id

BACK = "back"
# Which officer actions each state allows.
ACTIONS = {"review": ("ask", "fwd", "pay", "rej"), "more_docs": ("ask", "rej"), "forwarded": ("ask", "pay", "rej")}


async def count_claims(ctx: Ctx) -> int:
    return await claim_data.count_for_officers(ctx.session)


def age_days(ctx: Ctx, claim: Claim) -> int:
    return (ctx.today - ctx.local(claim.updated_at).date()).days


async def claims_screen(ctx: Ctx) -> Reply:
    """Submitted claims not yet closed, by state and age (the longest waiting first)."""
    claims = await claim_data.for_officers(ctx.session)
    if not claims:
        return Reply(ctx.t("claims.officer_none"))
    lines, options = [ctx.t("claims.officer_title")], []
    for claim in claims:
        lines.append(ctx.t("claims.officer_line", reference=claim.reference, kind=ctx.t(f"claims.kind_long_{claim.kind}"),
                           state=ctx.t(f"claims.short_{claim.status}"), days=age_days(ctx, claim)))
        options.append(Option(f"{GLOBAL}klm.open:{claim.id}", ctx.t("claims.open_n", id=claim.id)))
    return Reply("\n".join(lines), tuple(options), Expect.OPTION)


async def open_action(ctx: Ctx, arg: str) -> list[Reply]:
    refusal = await refuse_non_officer(ctx, "claim_open", f"claim:{arg}")
    if refusal:
        return refusal
    loaded = await load(ctx, record_id(arg))
    if loaded is None:
        return [Reply(ctx.t("officer.not_found")), await ctx.core.resume(ctx)]
    claim, worker = loaded
    lines = [status_text(ctx.t, claim, worker, full_name=True),
             ctx.t("claims.officer_detail", name=worker.name, nik=worker.nik, kpj=worker.kpj or "-",
                   place=claim.place, description=claim.description, reporter=claim.reporter_name,
                   relation=ctx.t(f"claims.rel_{claim.reporter_relation}"), phone=claim.reporter_phone,
                   heir=ctx.t("form.yes" if claim.reporter_is_heir else "form.no"),
                   estimate=format_rupiah(claim.estimate) if claim.estimate is not None else "-")]
    for event in await claim_data.history(ctx.session, claim.id):
        before = ctx.t(f"claims.short_{event.from_status}") if event.from_status else "-"
        lines.append(f"· {format_datetime(event.at, ctx.t.language, ctx.program.timezone)} {before} → "
                     f"{ctx.t(f'claims.short_{event.to_status}')} ({event.actor}) {event.note or ''}".rstrip())
    replies = [Reply("\n".join(lines))]
    for document, stored in await claim_data.documents(ctx.session, claim.id):
        await queries.audit(ctx.session, actor=ctx.actor, action="claim_document_viewed",
                            target=f"claim_document:{document.id}", now=ctx.now, claim=claim.id)
        replies.append(Reply(f"📎 {ctx.t(f'claims.doc_{document.doc}')}", expect=Expect.NOTHING,
                             extra={"attachment": str(ctx.core.files_dir / stored.path),
                                    "attachment_mime": stored.mime_type}))
    # The actions are a screen of their own, so a typed number, label or word chooses among them (not the list).
    ctx.goto(ClaimView.name, "open", {"claim": claim.id})
    return [*replies, await ClaimView().prompt(ctx)]


class ClaimView:
    """One claim open for an officer: its actions (as global buttons, also pressed from notifications) and back."""

    name = "claim_view"

    async def begin(self, ctx: Ctx, arg: str | None = None) -> list[Reply]:
        return await open_action(ctx, arg or "")

    async def prompt(self, ctx: Ctx) -> Reply:
        loaded = await load(ctx, ctx.answers.get("claim"))
        actions = ACTIONS.get(loaded[0].status, ()) if loaded else ()
        options = tuple(Option(f"{GLOBAL}klm.{action}:{loaded[0].id}", ctx.t(f"claims.action_{action}"))
                        for action in actions if loaded is not None)
        text = ctx.t("claims.officer_what_next") if options else ctx.t("claimfix.nothing_to_do")
        return Reply(text, options + (Option(BACK, ctx.t("claimfix.back_to_claims")),), Expect.OPTION)

    async def handle(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        refusal = await refuse_non_officer(ctx, "claim_view", f"claim:{ctx.answers.get('claim')}")
        if refusal:  # no longer an officer
            ctx.goto(None)
            return [refusal[0], await ctx.core.resume(ctx)]
        if isinstance(payload, Choice) and payload.option == BACK:
            back_to_claims(ctx)
            return [await ctx.core.resume(ctx)]
        return [Reply(ctx.t("common.choose_option")), await self.prompt(ctx)]


def back_to_claims(ctx: Ctx) -> None:
    """To the officer's claims list (the officer menu's own screen), after an action or "back"."""
    ctx.goto("officer", "claims")


async def after_action(ctx: Ctx, done: Reply) -> list[Reply]:
    back_to_claims(ctx)
    return [done, await ctx.core.resume(ctx)]


async def forward_action(ctx: Ctx, arg: str) -> list[Reply]:
    refusal = await refuse_non_officer(ctx, "claim_forward", f"claim:{arg}")
    if refusal:
        return refusal
    loaded = await load(ctx, record_id(arg))
    if loaded is None or "fwd" not in ACTIONS.get(loaded[0].status, ()):
        return [Reply(ctx.t("claims.not_now")), await ctx.core.resume(ctx)]
    claim = loaded[0]
    await claim_data.change_status(ctx.session, claim, "forwarded", actor=ctx.actor, now=ctx.now)
    await queries.audit(ctx.session, actor=ctx.actor, action="claim_forwarded", target=f"claim:{claim.id}",
                        now=ctx.now)
    await tell(ctx, claim, "forwarded")
    return await after_action(ctx, Reply(ctx.t("claims.done", reference=claim.reference)))


def form_action(flow: str):  # type: ignore[no-untyped-def]
    async def action(ctx: Ctx, arg: str) -> list[Reply]:
        return await ctx.core.flows[flow].begin(ctx, arg)
    return action


class ClaimDecision(Form):
    """An officer's decision on one claim; subclasses give the fields, the action and what to store."""

    action: str

    async def refuse(self, ctx: Ctx, arg: str | None) -> str | None:
        if not await ctx.is_officer():
            await queries.audit(ctx.session, actor=ctx.actor, action="denied", target=f"claim:{arg}", now=ctx.now,
                                attempted=self.name)
            return "officer.denied"
        loaded = await load(ctx, record_id(arg))
        return None if loaded and self.action in ACTIONS.get(loaded[0].status, ()) else "claims.not_now"

    async def initial(self, ctx: Ctx, arg: str | None) -> dict[str, Any]:
        return {"claim": record_id(arg) or 0}

    @abc.abstractmethod
    async def apply(self, ctx: Ctx, claim: Claim) -> tuple[str, str | None]:
        """Store the decision; returns (new status, history note)."""

    async def commit(self, ctx: Ctx) -> list[Reply]:
        reason = await self.refuse(ctx, str(ctx.answers["claim"]))
        loaded = await load(ctx, ctx.answers["claim"])
        if reason is not None or loaded is None:
            ctx.goto(None)
            return [Reply(ctx.t(reason or "officer.not_found")), await ctx.core.resume(ctx)]
        claim = loaded[0]
        status, note = await self.apply(ctx, claim)
        await claim_data.change_status(ctx.session, claim, status, actor=ctx.actor, now=ctx.now, note=note)
        await queries.audit(ctx.session, actor=ctx.actor, action=f"claim_{status}", target=f"claim:{claim.id}",
                            now=ctx.now, note=note)
        await tell(ctx, claim, status)
        return await after_action(ctx, Reply(ctx.t("claims.done", reference=claim.reference)))


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
    note = expect_text(payload)  # cleaned by the core (handlers/text_clean.py)
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
