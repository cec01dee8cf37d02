"""Programme officers: approve ASNs, record KPJ numbers, see counts. Every action is checked and audited."""

from __future__ import annotations

from datetime import date

from db import queries, standing
from db.models import Asn, Chat, Worker
from db.rules.contributions import jkm_full_benefit_from
from handlers.answers.other import OTHER_OPD
from handlers.engine.access import audit_view, back_to_officer, officer_origin, refuse_non_officer
from handlers.engine.core import Ctx
from handlers.engine.format import format_date
from handlers.engine.forms import Field, Form
from handlers.engine.types import GLOBAL, Choice, Expect, Invalid, Option, Payload, Reply, record_id
from handlers.registration.identity import comparison
from handlers.workers.my_workers import worker_status
from handlers.workers.start_dates import TODAY, allowed_starts, checked_start, parse_worker_kpj

PENDING, BPJS, ARREARS, STATS, MENU, OFFICER_MENU = "pending", "bpjs", "arrears", "stats", "menu", "officer_menu"
FIX = "fix"


class OfficerMenu:
    name = "officer"

    async def begin(self, ctx: Ctx, arg: str | None = None) -> list[Reply]:
        refusal = await refuse_non_officer(ctx, "officer_menu")
        if refusal:
            return refusal
        ctx.goto(self.name, "menu")
        return [await self.prompt(ctx)]

    async def prompt(self, ctx: Ctx) -> Reply:
        # The lists are screens of their own, so their buttons can also be chosen by number on text channels.
        todos = ctx.core.todos
        if ctx.chat.step in todos:
            listing = await todos[ctx.chat.step].screen(ctx)
            return Reply(listing.text, listing.options + (Option(OFFICER_MENU, ctx.t("officer.nav.back")),),
                         Expect.OPTION)
        entries = [Option(todo.key, f"{ctx.t(todo.label_key)} ({await todo.count(ctx)})") for todo in todos.values()]
        options = (*entries, Option(ARREARS, ctx.t("officer.arrears")), Option(STATS, ctx.t("officer.stats")),
                   Option(FIX, ctx.t("journey.fix.menu")), Option(MENU, ctx.t("form.back_to_menu")))
        return Reply(ctx.t("officer.menu"), options, Expect.OPTION)

    async def handle(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        refusal = await refuse_non_officer(ctx, "officer_menu")
        if refusal:
            ctx.goto(None)
            return refusal
        choice = payload.option if isinstance(payload, Choice) else None
        if choice == MENU:
            ctx.goto(None)
            return [await ctx.core.resume(ctx)]
        if choice == OFFICER_MENU or choice in ctx.core.todos:
            ctx.chat.step = "menu" if choice == OFFICER_MENU else choice
            return [await self.prompt(ctx)]
        if choice == ARREARS:
            return [*await ctx.core.commands["arrears"](ctx, ""), await self.prompt(ctx)]
        if choice == FIX:
            return await ctx.core.flows["fix_membership"].begin(ctx)
        if choice == STATS:
            figures = await standing.figures(ctx.session, today=ctx.today, rules=ctx.core.rules)
            return [Reply(ctx.t("officer.stats_text", **figures)), await self.prompt(ctx)]
        return [Reply(ctx.t("common.choose_option")), await self.prompt(ctx)]


async def count_pending(ctx: Ctx) -> int:
    return len(await queries.pending_asns(ctx.session))


async def count_awaiting_bpjs(ctx: Ctx) -> int:
    return await queries.count_awaiting_bpjs(ctx.session)


async def pending_list(ctx: Ctx) -> Reply:
    asns = await queries.pending_asns(ctx.session)
    if not asns:
        return Reply(ctx.t("officer.no_pending"))
    lines, options = [ctx.t("officer.pending_title")], []
    for asn in asns:
        # Typed values beside the roster's, so the officer sees what did not match.
        entry = await queries.roster_entry(ctx.session, asn.nip)
        opd = ctx.t("trial.opd_other", other=asn.opd_other) if asn.opd == OTHER_OPD and asn.opd_other else asn.opd
        lines.append(ctx.t("identity.pending_line", id=asn.id, nip=asn.nip, comparison=comparison(
            ctx.t, name=asn.name, opd=opd, phone=asn.phone, entry=entry)))
        await audit_view(ctx, f"asn:{asn.id}", ["nip", "phone"])
        options += [Option(f"{GLOBAL}asn.ok:{asn.id}", ctx.t("officer.approve_n", id=asn.id)),
                    Option(f"{GLOBAL}asn.no:{asn.id}", ctx.t("officer.reject_n", id=asn.id))]
    return Reply("\n".join(lines), tuple(options), Expect.OPTION)


async def bpjs_list(ctx: Ctx) -> Reply:
    workers = await queries.workers_awaiting_bpjs(ctx.session)
    if not workers:
        return Reply(ctx.t("officer.no_awaiting"))
    lines, options = [ctx.t("officer.awaiting_title")], []
    for worker in workers:
        status = worker_status(worker)
        lines.append(ctx.t("officer.worker_line", id=worker.id, name=worker.name, nik=worker.nik,
                           status=ctx.t(f"status.{status}")))
        if worker.birth_date_differs:  # BPJS registers the KTP date: the officer checks it against the KTP
            lines.append(ctx.t("journey.birth.officer_note", date=format_date(worker.birth_date, ctx.t.language)))
        await audit_view(ctx, f"worker:{worker.id}", ["nik"])
        options.append(Option(f"{GLOBAL}w.view:{worker.id}", ctx.t("identity.details_n", id=worker.id)))
        if status == "awaiting_bpjs":
            options.append(Option(f"{GLOBAL}kpj:{worker.id}", ctx.t("officer.kpj_n", id=worker.id)))
    return Reply("\n".join(lines), tuple(options), Expect.OPTION)


async def decide_asn(ctx: Ctx, arg: str, approve: bool, reason: str | None = None) -> list[Reply]:
    action = "asn_approve" if approve else "asn_reject"
    refusal = await refuse_non_officer(ctx, action, f"asn:{arg}")
    if refusal:
        return refusal
    ident = record_id(arg)
    asn = await ctx.session.get(Asn, ident) if ident is not None else None
    if asn is None:
        return [Reply(ctx.t("officer.not_found")), await ctx.core.resume(ctx)]
    if asn.status != "pending":  # a second tap, or another officer was quicker
        return [Reply(ctx.t("officer.already_decided", name=asn.name, status=ctx.t(f"status.asn_{asn.status}"),
                            by=asn.decided_by or "-"))]
    asn.status = "approved" if approve else "rejected"
    asn.decided_by, asn.decided_at = ctx.actor, ctx.now
    await queries.audit(ctx.session, actor=ctx.actor, action=action, target=f"asn:{asn.id}", now=ctx.now,
                        reason=reason)
    chat = await ctx.session.get(Chat, asn.chat_id)
    await ctx.notify_chat(chat, key=f"asn_decided:{asn.id}:{asn.status}:{ctx.now.timestamp():.0f}",
                          text_key="journey.reject.asn_for_asn" if reason else f"asn.{asn.status}_by_officer",
                          name=asn.name, reason=reason or "")
    return [Reply(ctx.t(f"officer.asn_{asn.status}", name=asn.name)), await ctx.core.resume(ctx)]


async def approve_action(ctx: Ctx, arg: str) -> list[Reply]:
    return await decide_asn(ctx, arg, approve=True)


async def reject_action(ctx: Ctx, arg: str) -> list[Reply]:
    """"Tolak": a reason (chosen or typed) and a confirmation first (handlers/officer/decisions.py)."""
    refusal = await refuse_non_officer(ctx, "asn_reject", f"asn:{arg}")
    return refusal or await ctx.core.flows["reject_asn"].begin(ctx, arg)


async def kpj_action(ctx: Ctx, arg: str) -> list[Reply]:
    return await ctx.core.flows["record_kpj"].begin(ctx, arg)


async def prompt_start(ctx: Ctx) -> Reply:
    worker = await ctx.session.get(Worker, ctx.answers["worker"])
    if worker is None:
        return Reply(ctx.t("officer.ask_start"), (Option(TODAY, ctx.t("officer.today")),))
    first, last = allowed_starts(ctx, worker)
    return Reply(ctx.t("journey.start.ask", first=format_date(first, ctx.t.language),
                       last=format_date(last, ctx.t.language), example=last.strftime("%d-%m-%Y")),
                 (Option(TODAY, ctx.t("officer.today")),))


async def parse_start(ctx: Ctx, payload: Payload) -> str:
    worker = await ctx.session.get(Worker, ctx.answers["worker"])
    if worker is None:
        raise Invalid("officer.not_found")
    return checked_start(ctx, payload, worker).isoformat()


async def prompt_kpj(ctx: Ctx) -> Reply:
    worker = await ctx.session.get(Worker, ctx.answers["worker"])
    if worker is not None:
        await audit_view(ctx, f"worker:{worker.id}", ["nik"])
    return Reply(ctx.t("officer.ask_kpj", name=worker.name if worker else "", nik=worker.nik if worker else ""))


class RecordKpj(Form):
    """An officer records the BPJS membership number and start date; the worker becomes active."""

    name = "record_kpj"
    title = "kpj"
    fields = (
        Field("kpj", prompt_kpj, parse_worker_kpj, "kpj.field_kpj", lambda ctx, v: v),
        Field("start", prompt_start, parse_start, "kpj.field_start",
              lambda ctx, v: format_date(date.fromisoformat(v), ctx.t.language)),
    )

    async def refuse(self, ctx: Ctx, arg: str | None) -> str | None:
        if not await ctx.is_officer():
            await queries.audit(ctx.session, actor=ctx.actor, action="denied", target=f"worker:{arg}", now=ctx.now,
                                attempted="record_kpj")
            return "officer.denied"
        ident = record_id(arg)
        worker = await ctx.session.get(Worker, ident) if ident is not None else None
        if worker is None:
            return "officer.not_found"
        if worker.consent_at is None:
            return "officer.no_consent_yet"
        return "officer.already_active" if worker.status == "active" else None

    async def initial(self, ctx: Ctx, arg: str | None) -> dict[str, object]:
        return {"worker": record_id(arg) or 0, **officer_origin(ctx)}

    async def commit(self, ctx: Ctx) -> list[Reply]:
        answers = ctx.answers
        reason = await self.refuse(ctx, str(answers["worker"]))
        back_to_officer(ctx)
        if reason is not None:
            return [Reply(ctx.t(reason)), await ctx.core.resume(ctx)]
        worker = await ctx.session.get(Worker, answers["worker"])
        assert worker is not None  # refuse() looked it up
        worker.kpj, worker.bpjs_start = answers["kpj"], date.fromisoformat(answers["start"])
        worker.status = "active"
        worker.first_due = ctx.core.rules.first_due(ctx.today)
        await queries.audit(ctx.session, actor=ctx.actor, action="kpj_recorded", target=f"worker:{worker.id}",
                            now=ctx.now, kpj=worker.kpj, start=answers["start"])
        full = format_date(jkm_full_benefit_from(worker.bpjs_start, ctx.program.jkm_full_after_months),
                           ctx.t.language)
        sponsor = await queries.sponsor_of_worker(ctx.session, worker.id)
        if sponsor is not None:
            chat = await ctx.session.get(Chat, sponsor.chat_id)
            language = chat.language if chat else "id"
            await ctx.notify_chat(chat, key=f"worker_active:{worker.id}", text_key="worker.active_for_asn",
                                  name=worker.name, kpj=worker.kpj,
                                  start=format_date(worker.bpjs_start, language),
                                  full=format_date(jkm_full_benefit_from(worker.bpjs_start,
                                                                         ctx.program.jkm_full_after_months), language))
        await tell_worker_cover_starts(ctx, worker)
        return [Reply(ctx.t("officer.kpj_saved", name=worker.name, kpj=worker.kpj, full=full)),
                await ctx.core.resume(ctx)]


async def tell_worker_cover_starts(ctx: Ctx, worker: Worker) -> None:
    """The worker hears, in the chat where they gave consent, from when they are protected."""
    chat = await ctx.session.get(Chat, worker.consent_chat_id) if worker.consent_chat_id else None
    sponsor = await queries.sponsor_of_worker(ctx.session, worker.id)
    if chat is None or worker.bpjs_start is None or (sponsor is not None and sponsor.chat_id == chat.id):
        return  # paper consent: the ASN sent the form from their own chat and was told already
    start = worker.bpjs_start
    full = jkm_full_benefit_from(start, ctx.program.jkm_full_after_months)
    await ctx.notify_chat(chat, key=f"cover_starts:{worker.id}:{start.isoformat()}",
                          text_key="journey.worker.cover_starts", name=worker.name, kpj=worker.kpj,
                          start=lambda t: format_date(start, t.language), full=lambda t: format_date(full, t.language))
