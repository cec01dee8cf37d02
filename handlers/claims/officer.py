"""Officers and claims: the to-do list entry (submitted claims, then drafts nobody finished), opening a claim (its
reporters, its history, its documents sent as files, each view audited), the actions its state allows, forwarding
to BPJS. The decisions that take answers are forms (handlers.claims.decisions, handlers.claims.death).
Every action is checked against the officer list on every request and written to the claim's history."""

from __future__ import annotations

from db import claims as claim_data
from db import queries
from db.models import Claim, ClaimReporter, Worker
from db.rules.claims import DEATHS
from handlers.claims.common import load, status_text, tell
from handlers.engine.access import refuse_non_officer
from handlers.engine.core import Ctx
from handlers.engine.format import format_datetime, format_rupiah
from handlers.engine.types import GLOBAL, Choice, Expect, Option, Payload, Reply, record_id

BACK = "back"
# Which officer actions each state allows; a death claim's own actions depend on whether the death was accepted.
ACTIONS = {"documents": ("rej",), "review": ("ask", "fwd", "pay", "rej"), "more_docs": ("ask", "rej"),
           "forwarded": ("ask", "pay", "rej")}
NEEDS_ACCEPTED_DEATH = ("fwd", "pay")  # a death goes to BPJS and is paid only once an officer accepted it


def allowed_actions(claim: Claim) -> tuple[str, ...]:
    """The officer actions a claim allows now: by its state; for a death, "dead" (accept it) until accepted and
    "undo" (reverse the acceptance) after."""
    actions = ACTIONS.get(claim.status, ())
    if claim.kind not in DEATHS:
        return actions
    if claim.death_confirmed_at is None:
        accept = ("dead",) if claim.status in claim_data.WITH_OFFICERS else ()
        return accept + tuple(a for a in actions if a not in NEEDS_ACCEPTED_DEATH)
    return actions + ("undo",)


async def count_claims(ctx: Ctx) -> int:
    return await claim_data.count_for_officers(ctx.session)


def age_days(ctx: Ctx, claim: Claim) -> int:
    return (ctx.today - ctx.local(claim.updated_at).date()).days


async def claims_screen(ctx: Ctx) -> Reply:
    """Submitted claims not yet closed, by state and age (the longest waiting first), then the drafts."""
    claims = await claim_data.for_officers(ctx.session)
    if not claims:
        return Reply(ctx.t("claims.officer_none"))
    lines, options = [ctx.t("claims.officer_title")], []
    for claim in claims:
        lines.append(ctx.t("claims.officer_line", reference=claim.reference or f"#{claim.id}",
                           kind=ctx.t(f"claims.kind_long_{claim.kind}"), state=ctx.t(f"claims.short_{claim.status}"),
                           days=age_days(ctx, claim)))
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
    lines = [status_text(ctx.t, claim, worker, full_name=True), _detail(ctx, claim, worker)]
    lines += [_co_reporter_line(ctx, other) for other in await claim_data.co_reporters(ctx.session, claim.id)]
    lines.append(ctx.t("claimtrust.history"))
    for event in await claim_data.history(ctx.session, claim.id):
        before = ctx.t(f"claims.short_{event.from_status}") if event.from_status else "-"
        lines.append(f"· {format_datetime(event.at, ctx.t.language, ctx.program.timezone)} {before} → "
                     f"{ctx.t(f'claims.short_{event.to_status}')} ({event.actor}) {event.note or ''}".rstrip())
    replies = [Reply("\n".join(lines)), *await send_documents(ctx, claim, again=False)]
    # The actions are a screen of their own, so a typed number, label or word chooses among them (not the list).
    ctx.goto(ClaimView.name, "open", {"claim": claim.id})
    return [*replies, await ClaimView().prompt(ctx)]


async def send_documents(ctx: Ctx, claim: Claim, *, again: bool) -> list[Reply]:
    """The claim's documents as a list, and the files themselves, each view audited: only those this officer has
    not been sent yet, unless `again` (a burst of thirty photos is not sent at every opening)."""
    documents = await claim_data.documents(ctx.session, claim.id, superseded=True)
    if not documents:
        return []
    seen = set() if again else await claim_data.documents_seen_by(ctx.session, ctx.actor, claim.id)
    pages: dict[tuple[str, bool], int] = {}
    for document, _ in documents:
        key = (document.doc, document.superseded_at is not None)
        pages[key] = pages.get(key, 0) + 1
    lines = [ctx.t("claimtrust.documents_list", count=len(documents))]
    lines += [ctx.t("claimtrust.document_line", doc=ctx.t(f"claims.doc_{doc}"), pages=count,
                    earlier=ctx.t("claimtrust.earlier_reporter") if earlier else "")
              for (doc, earlier), count in pages.items()]
    if seen:
        lines.append(ctx.t("claimtrust.already_sent"))
    replies = [Reply("\n".join(lines))]
    for document, stored in documents:
        if document.id in seen:
            continue
        await queries.audit(ctx.session, actor=ctx.actor, action="claim_document_viewed",
                            target=f"claim_document:{document.id}", now=ctx.now, claim=claim.id)
        earlier = ctx.t("claimtrust.earlier_reporter") if document.superseded_at is not None else ""
        replies.append(Reply(f"📎 {ctx.t(f'claims.doc_{document.doc}')}{earlier}", expect=Expect.NOTHING,
                             extra={"attachment": str(ctx.core.files_dir / stored.path),
                                    "attachment_mime": stored.mime_type}))
    return replies


async def files_action(ctx: Ctx, arg: str) -> list[Reply]:
    """"📎 Kirim ulang berkas": every document of the claim sent again to this officer (each view audited)."""
    refusal = await refuse_non_officer(ctx, "claim_files", f"claim:{arg}")
    if refusal:
        return refusal
    loaded = await load(ctx, record_id(arg))
    if loaded is None:
        return [Reply(ctx.t("officer.not_found")), await ctx.core.resume(ctx)]
    ctx.goto(ClaimView.name, "open", {"claim": loaded[0].id})
    return [*await send_documents(ctx, loaded[0], again=True), await ClaimView().prompt(ctx)]


def _detail(ctx: Ctx, claim: Claim, worker: Worker) -> str:
    return ctx.t("claims.officer_detail", name=worker.name, nik=worker.nik, kpj=worker.kpj or "-",
                 place=claim.place, description=claim.description, reporter=claim.reporter_name,
                 relation=ctx.t(f"claims.rel_{claim.reporter_relation}"), phone=claim.reporter_phone,
                 heir=ctx.t("form.yes" if claim.reporter_is_heir else "form.no"),
                 estimate=format_rupiah(claim.estimate) if claim.estimate is not None else "-")


def _co_reporter_line(ctx: Ctx, other: ClaimReporter) -> str:
    return ctx.t("claimtrust.co_reporter_line", name=other.name, relation=ctx.t(f"claims.rel_{other.relation}"),
                 phone=other.phone, heir=ctx.t("form.yes" if other.is_heir else "form.no"),
                 kind=ctx.t(f"claims.kind_long_{other.kind}"), place=other.place, description=other.description,
                 date=format_datetime(other.created_at, ctx.t.language, ctx.program.timezone))


def first_name(name: str) -> str:
    """The first word of a name that has a letter, without punctuation, short enough for a button."""
    words = ["".join(ch for ch in word if ch.isalnum()) for word in name.split()]
    return next((word for word in words if any(ch.isalpha() for ch in word)), "-")[:12]


class ClaimView:
    """One claim open for an officer: its actions (as global buttons, also pressed from notifications) and back."""

    name = "claim_view"

    async def begin(self, ctx: Ctx, arg: str | None = None) -> list[Reply]:
        return await open_action(ctx, arg or "")

    async def prompt(self, ctx: Ctx) -> Reply:
        loaded = await load(ctx, ctx.answers.get("claim"))
        options: list[Option] = []
        if loaded is not None:
            claim = loaded[0]
            options = [Option(f"{GLOBAL}klm.{action}:{claim.id}", ctx.t(f"claims.action_{action}"))
                       for action in allowed_actions(claim)]
            if claim.status not in claim_data.CLOSED:  # a further reporter can be made the main one
                options += [Option(f"{GLOBAL}klm.main:{claim.id}:{other.id}",
                                   ctx.t("claims.action_main", name=first_name(other.name)))
                            for other in await claim_data.co_reporters(ctx.session, claim.id)]
            options.append(Option(f"{GLOBAL}klm.files:{claim.id}", ctx.t("claimtrust.resend")))
        text = ctx.t("claims.officer_what_next") if len(options) > 1 else ctx.t("claimfix.nothing_to_do")
        return Reply(text, (*options, Option(BACK, ctx.t("claimfix.back_to_claims"))), Expect.OPTION)

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
    if loaded is None or "fwd" not in allowed_actions(loaded[0]):
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
