"""Consent an officer has to check before the worker counts as "consent given": a signed paper form (the file is
sent to the officers, a photo shown, a PDF as a document), or a link opened without a worker phone on file.

Accepting makes the worker ready for BPJS; rejecting (with a reason) tells the sponsoring ASN, who can send a new
link or another form. Officers find what waits in their to-do list ("Persetujuan untuk diperiksa").
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from db import queries
from db.models import Chat, StoredFile, Worker
from handlers.engine.access import audit_notice, audit_view, reason_parser, refuse_non_officer
from handlers.engine.context import Ctx
from handlers.engine.forms import Field, Form
from handlers.engine.types import GLOBAL, Expect, Option, Reply, record_id

REVIEW_STEP = "consent_review"
PAPER, UNVERIFIED = "paper", "unverified"
LIST_LIMIT = 10


def attachment_of(ctx: Ctx, stored: StoredFile | None) -> dict[str, str] | None:
    """What the outbox needs to send a stored file along with a message (a photo is shown, a PDF is a document)."""
    if stored is None:
        return None
    return {"attachment": str(ctx.core.files_dir / stored.path), "attachment_mime": stored.mime_type}


async def ask_officers(ctx: Ctx, worker: Worker, kind: str) -> None:
    """The worker's consent waits for an officer: the officers are told, with the signed form attached."""
    worker.consent_review = kind
    stored = await ctx.session.get(StoredFile, worker.consent_file_id) if kind == PAPER else None
    sponsor = await queries.sponsor_of_worker(ctx.session, worker.id)
    await audit_notice(ctx, f"worker:{worker.id}", ["nik", "consent_form" if kind == PAPER else "phone"])
    await ctx.notify_officers(
        key=f"consent_review:{worker.id}:{ctx.event.event_id}", text_key=f"identity.review_{kind}", id=worker.id,
        name=worker.name, nik=worker.nik, phone=worker.consent_phone or "-", sponsor=sponsor.name if sponsor else "-",
        options=((f"{GLOBAL}cf.ok:{worker.id}", "identity.accept"), (f"{GLOBAL}cf.no:{worker.id}", "officer.reject")),
        attachment=attachment_of(ctx, stored))


async def notify_ready_for_bpjs(ctx: Ctx, worker: Worker) -> None:
    """The worker's consent is in (a link, or a paper form an officer accepted): officers record the KPJ next."""
    await ctx.notify_officers(key=f"ready_bpjs:{worker.id}", text_key="officer.worker_ready", id=worker.id,
                              name=worker.name, options=((f"!kpj:{worker.id}", "officer.record_kpj"),))


async def _reviewed_worker(ctx: Ctx, arg: str) -> Worker | None:
    ident = record_id(arg)
    worker = await ctx.session.get(Worker, ident) if ident is not None else None
    return worker if worker is not None and worker.consent_review is not None else None


async def _sponsor_chat(ctx: Ctx, worker: Worker) -> Chat | None:
    sponsor = await queries.sponsor_of_worker(ctx.session, worker.id)
    return await ctx.session.get(Chat, sponsor.chat_id) if sponsor is not None else None


async def accept_action(ctx: Ctx, arg: str) -> list[Reply]:
    """Global action "!cf.ok:<worker>": the officer accepts the consent; the worker is ready for BPJS."""
    refusal = await refuse_non_officer(ctx, "consent_accept", f"worker:{arg}")
    if refusal:
        return refusal
    worker = await _reviewed_worker(ctx, arg)
    if worker is None:
        return [Reply(ctx.t("identity.review_done")), await ctx.core.resume(ctx)]
    kind = worker.consent_review
    worker.consent_method = "paper" if kind == PAPER else "link"
    worker.consent_at, worker.consent_review = ctx.now, None
    await queries.audit(ctx.session, actor=ctx.actor, action="consent_accepted", target=f"worker:{worker.id}",
                        now=ctx.now, kind=kind)
    chat = await _sponsor_chat(ctx, worker)
    if chat is not None:
        await ctx.notify_chat(chat, key=f"consent_given:{worker.id}", text_key="consent.given_for_asn",
                              name=worker.name)
    await notify_ready_for_bpjs(ctx, worker)
    return [Reply(ctx.t("identity.accepted", name=worker.name)), await ctx.core.resume(ctx)]


async def reject_action(ctx: Ctx, arg: str) -> list[Reply]:
    refusal = await refuse_non_officer(ctx, "consent_reject", f"worker:{arg}")
    return refusal or await ctx.core.flows["reject_consent"].begin(ctx, arg)


class RejectConsent(Form):
    """An officer rejects a consent (an unreadable form, a number that is not the worker's), with the reason the
    sponsoring ASN will read."""

    name = "reject_consent"
    title = "identity.reject"
    fields = (Field("reason", lambda ctx: _reason_prompt(ctx), reason_parser(()), "identity.field_reason",
                    lambda ctx, v: v),)

    async def refuse(self, ctx: Ctx, arg: str | None) -> str | None:
        return None if await _reviewed_worker(ctx, arg or "") is not None else "identity.review_done"

    async def initial(self, ctx: Ctx, arg: str | None) -> dict[str, Any]:
        return {"worker": record_id(arg) or 0}

    async def commit(self, ctx: Ctx) -> list[Reply]:
        arg, reason = str(ctx.answers["worker"]), ctx.answers["reason"]
        ctx.goto(None)
        refusal = await refuse_non_officer(ctx, "consent_reject", f"worker:{arg}")
        if refusal:
            return refusal
        worker = await _reviewed_worker(ctx, arg)
        if worker is None:
            return [Reply(ctx.t("identity.review_done")), await ctx.core.resume(ctx)]
        kind = worker.consent_review
        worker.consent_review, worker.consent_file_id = None, None
        worker.consent_phone, worker.consent_chat_id = None, None
        await queries.audit(ctx.session, actor=ctx.actor, action="consent_rejected", target=f"worker:{worker.id}",
                            now=ctx.now, kind=kind, reason=reason)
        chat = await _sponsor_chat(ctx, worker)
        if chat is not None:
            await ctx.notify_chat(chat, key=f"consent_rejected:{worker.id}:{ctx.event.event_id}",
                                  text_key="identity.rejected_for_asn", name=worker.name, reason=reason)
        return [Reply(ctx.t("identity.rejected", name=worker.name)), await ctx.core.resume(ctx)]


async def _reason_prompt(ctx: Ctx) -> Reply:
    worker = await ctx.session.get(Worker, ctx.answers.get("worker", 0))
    return Reply(ctx.t("identity.ask_reason", name=worker.name if worker else ""))


# -- the officers' to-do entry ---------------------------------------------------------------------------------------

def _waiting() -> Any:
    return select(Worker).where(Worker.consent_review.is_not(None)).order_by(Worker.id)


async def count_waiting(ctx: Ctx) -> int:
    query = select(func.count()).select_from(Worker).where(Worker.consent_review.is_not(None))
    return (await ctx.session.execute(query)).scalar_one()


async def waiting_list(ctx: Ctx) -> Reply:
    workers = (await ctx.session.execute(_waiting().limit(LIST_LIMIT))).scalars().all()
    if not workers:
        return Reply(ctx.t("identity.review_none"))
    lines, options = [ctx.t("identity.review_title")], []
    for worker in workers:
        lines.append(ctx.t(f"identity.review_line_{worker.consent_review}", id=worker.id, name=worker.name,
                           nik=worker.nik, phone=worker.consent_phone or "-"))
        await audit_view(ctx, f"worker:{worker.id}", ["nik", "phone"] if worker.consent_phone else ["nik"])
        if worker.consent_review == PAPER:
            options.append(Option(f"{GLOBAL}cf.view:{worker.id}", ctx.t("identity.view_form_n", id=worker.id)))
        options += [Option(f"{GLOBAL}cf.ok:{worker.id}", ctx.t("identity.accept_n", id=worker.id)),
                    Option(f"{GLOBAL}cf.no:{worker.id}", ctx.t("officer.reject_n", id=worker.id))]
    return Reply("\n".join(lines), tuple(options), Expect.OPTION)


async def view_action(ctx: Ctx, arg: str) -> list[Reply]:
    """Global action "!cf.view:<worker>": the signed form again, as a file, for an officer (audited)."""
    refusal = await refuse_non_officer(ctx, "consent_view", f"worker:{arg}")
    if refusal:
        return refusal
    worker = await _reviewed_worker(ctx, arg)
    stored = await ctx.session.get(StoredFile, worker.consent_file_id) if worker and worker.consent_file_id else None
    if worker is None or stored is None:
        return [Reply(ctx.t("identity.review_done")), await ctx.core.resume(ctx)]
    await audit_view(ctx, f"worker:{worker.id}", ["consent_form"])
    text = ctx.t("identity.review_paper", id=worker.id, name=worker.name, nik=worker.nik, phone="-", sponsor="-")
    options = (Option(f"{GLOBAL}cf.ok:{worker.id}", ctx.t("identity.accept")),
               Option(f"{GLOBAL}cf.no:{worker.id}", ctx.t("officer.reject")))
    return [Reply(text, options, Expect.OPTION, extra=attachment_of(ctx, stored) or {})]
