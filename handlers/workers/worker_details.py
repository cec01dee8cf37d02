""""Detail" on an officer's worker list: everything the programme holds about one worker (an audited read)."""

from __future__ import annotations

from db import queries
from db.models import Chat, Worker
from handlers.engine.access import audit_view, refuse_non_officer
from handlers.engine.context import Ctx
from handlers.engine.format import format_date
from handlers.engine.types import GLOBAL, Expect, Option, Reply, record_id
from handlers.registration.identity import account


async def worker_details_action(ctx: Ctx, arg: str) -> list[Reply]:
    """Global action "!w.view:<worker>": everything the programme holds about one worker, for an officer."""
    refusal = await refuse_non_officer(ctx, "worker_view", f"worker:{arg}")
    if refusal:
        return refusal
    ident = record_id(arg)
    worker = await ctx.session.get(Worker, ident) if ident is not None else None
    if worker is None:
        return [Reply(ctx.t("officer.not_found")), await ctx.core.resume(ctx)]
    sponsor = await queries.sponsor_of_worker(ctx.session, worker.id)
    consent_chat = await ctx.session.get(Chat, worker.consent_chat_id) if worker.consent_chat_id else None
    fields = ["nik", "birth_date"] + [f for f in ("phone", "heir_phone", "consent_phone") if getattr(worker, f)]
    await audit_view(ctx, f"worker:{worker.id}", fields)
    consent = (ctx.t(f"identity.consent_{worker.consent_method}") if worker.consent_at is not None
               else ctx.t(f"identity.consent_review_{worker.consent_review}") if worker.consent_review
               else ctx.t("status.awaiting_consent"))
    text = ctx.t("identity.worker_details", id=worker.id, name=worker.name, nik=worker.nik,
                 born=format_date(worker.birth_date, ctx.t.language), phone=worker.phone or "-",
                 heir=worker.heir_name or "-", heir_phone=worker.heir_phone or "-", kpj=worker.kpj or "-",
                 consent=consent, consent_phone=worker.consent_phone or "-",
                 consent_account=account(consent_chat),
                 sponsor=f"{sponsor.name} (NIP {sponsor.nip})" if sponsor else "-")
    options = ((Option(f"{GLOBAL}cf.view:{worker.id}", ctx.t("identity.view_form")),)
               if worker.consent_review == "paper" else ())
    return [Reply(text, options, Expect.OPTION if options else Expect.TEXT), await ctx.core.resume(ctx)]
