"""An officer corrects a worker's KPJ number or BPJS start date, and reactivates a lapsed sponsorship.

Audited, and the sponsoring ASN is told. Unpaid ledger months before a corrected start date are dropped: nobody
owed them. A lapsed sponsorship is reactivated with the new start date of its re-registration at BPJS.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete

from db import queries
from db.models import Chat, Contribution, Sponsorship, Worker
from db.rules.months import Month
from db.todo_queries import worker_by_nik_or_kpj
from handlers.answers.parsers import normalize_digits
from handlers.engine.access import back_to_officer, officer_origin
from handlers.engine.context import Ctx
from handlers.engine.format import format_date
from handlers.engine.forms import Field, Form, expect_text
from handlers.engine.types import Choice, Invalid, Option, Payload, Reply, record_id
from handlers.workers.start_dates import TODAY, allowed_starts, checked_start, parse_worker_kpj

KEEP = "keep"


async def _worker(ctx: Ctx) -> tuple[Worker, Sponsorship | None]:
    worker = await ctx.session.get(Worker, ctx.answers.get("worker") or 0)
    if worker is None or worker.status != "active":
        raise Invalid("journey.fix.not_active")
    return worker, await queries.open_sponsorship(ctx.session, worker.id)


async def prompt_worker(ctx: Ctx) -> Reply:
    return Reply(ctx.t("journey.fix.ask_worker"))


async def parse_worker(ctx: Ctx, payload: Payload) -> int:
    digits = "".join(ch for ch in normalize_digits(expect_text(payload)) if ch.isdigit())
    worker = await worker_by_nik_or_kpj(ctx.session, digits) if len(digits) in (11, 16) else None
    if worker is None:
        raise Invalid("journey.fix.unknown_worker")
    if worker.status != "active":
        raise Invalid("journey.fix.not_active")
    return worker.id


async def prompt_kpj(ctx: Ctx) -> Reply:
    worker, _ = await _worker(ctx)
    return Reply(ctx.t("journey.fix.ask_kpj", name=worker.name, kpj=worker.kpj or "-"),
                 (Option(KEEP, ctx.t("journey.fix.keep")),))


async def parse_kpj(ctx: Ctx, payload: Payload) -> str:
    worker, _ = await _worker(ctx)
    if isinstance(payload, Choice) and payload.option == KEEP and worker.kpj:
        return worker.kpj
    return await parse_worker_kpj(ctx, payload)


async def prompt_start(ctx: Ctx) -> Reply:
    worker, sponsorship = await _worker(ctx)
    first, last = allowed_starts(ctx, worker, sponsorship)
    params = {"name": worker.name, "first": format_date(first, ctx.t.language),
              "last": format_date(last, ctx.t.language),
              "start": format_date(worker.bpjs_start, ctx.t.language) if worker.bpjs_start else "-"}
    if sponsorship is not None and sponsorship.lapsed_at is not None:  # re-registered: a new start date
        return Reply(ctx.t("journey.fix.ask_new_start", lapsed=format_date(ctx.local(sponsorship.lapsed_at).date(),
                                                                              ctx.t.language), **params),
                     (Option(TODAY, ctx.t("officer.today")),))
    return Reply(ctx.t("journey.fix.ask_start", **params),
                 (Option(KEEP, ctx.t("journey.fix.keep")), Option(TODAY, ctx.t("officer.today"))))


async def parse_start(ctx: Ctx, payload: Payload) -> str:
    worker, sponsorship = await _worker(ctx)
    lapsed = sponsorship is not None and sponsorship.lapsed_at is not None
    if isinstance(payload, Choice) and payload.option == KEEP and not lapsed and worker.bpjs_start:
        return worker.bpjs_start.isoformat()
    return checked_start(ctx, payload, worker, sponsorship).isoformat()


def _show_date(ctx: Ctx, value: Any) -> str:
    return format_date(date.fromisoformat(value), ctx.t.language)


class FixMembership(Form):
    """Correct the KPJ or the start date of an active worker; reactivate a lapsed sponsorship."""

    name = "fix_membership"
    title = "journey.fix"
    fields = (
        Field("worker", prompt_worker, parse_worker, "journey.fix.field_worker", None, editable=False),
        Field("kpj", prompt_kpj, parse_kpj, "kpj.field_kpj", lambda ctx, v: v),
        Field("start", prompt_start, parse_start, "kpj.field_start", _show_date),
    )

    async def refuse(self, ctx: Ctx, arg: str | None) -> str | None:
        if not await ctx.is_officer():
            await queries.audit(ctx.session, actor=ctx.actor, action="denied", target=f"worker:{arg}", now=ctx.now,
                                attempted="fix_membership")
            return "officer.denied"
        if arg is None:
            return None
        ident = record_id(arg)
        worker = await ctx.session.get(Worker, ident) if ident is not None else None
        if worker is None:
            return "officer.not_found"
        return None if worker.status == "active" else "journey.fix.not_active"

    async def initial(self, ctx: Ctx, arg: str | None) -> dict[str, Any]:
        answers = officer_origin(ctx)
        if arg is not None:
            answers["worker"] = record_id(arg) or 0
        return answers

    async def commit(self, ctx: Ctx) -> list[Reply]:
        answers = dict(ctx.answers)
        reason = await self.refuse(ctx, str(answers["worker"]))
        if reason is not None:
            back_to_officer(ctx)
            return [Reply(ctx.t(reason)), await ctx.core.resume(ctx)]
        worker, sponsorship = await _worker(ctx)
        before = {"kpj": worker.kpj, "start": worker.bpjs_start.isoformat() if worker.bpjs_start else None}
        worker.kpj, worker.bpjs_start = answers["kpj"], date.fromisoformat(answers["start"])
        reactivated = sponsorship is not None and sponsorship.lapsed_at is not None
        # A membership started again: nothing is due before its new first due date (db.rules.contributions).
        if reactivated:
            worker.first_due = ctx.core.rules.first_due(ctx.today)
        if sponsorship is not None:
            sponsorship.lapsed_at = None
            # Unpaid months before the (new) start were never owed.
            await ctx.session.execute(delete(Contribution).where(
                Contribution.sponsorship_id == sponsorship.id, Contribution.status == "due",
                Contribution.period < Month.of(worker.bpjs_start)))
        await queries.audit(ctx.session, actor=ctx.actor, action="membership_fixed", target=f"worker:{worker.id}",
                            now=ctx.now, before=before, kpj=worker.kpj, start=answers["start"], reactivated=reactivated)
        await _tell_sponsor(ctx, worker, reactivated)
        back_to_officer(ctx)
        key = "journey.fix.reactivated" if reactivated else "journey.fix.saved"
        return [Reply(ctx.t(key, name=worker.name, kpj=worker.kpj, start=_show_date(ctx, answers["start"]))),
                await ctx.core.resume(ctx)]


async def _tell_sponsor(ctx: Ctx, worker: Worker, reactivated: bool) -> None:
    sponsor = await queries.sponsor_of_worker(ctx.session, worker.id)
    chat = await ctx.session.get(Chat, sponsor.chat_id) if sponsor else None
    if chat is None or worker.bpjs_start is None:
        return
    start = worker.bpjs_start
    await ctx.notify_chat(chat, key=f"membership_fixed:{worker.id}:{ctx.event.event_id}",
                          text_key="journey.fix.reactivated_for_asn" if reactivated else "journey.fix.fixed_for_asn",
                          name=worker.name, kpj=worker.kpj, start=lambda t: format_date(start, t.language))


async def fix_action(ctx: Ctx, arg: str) -> list[Reply]:
    """Global action "!fix:<worker>": the correction form for that worker (officers only)."""
    return await ctx.core.flows["fix_membership"].begin(ctx, arg)
