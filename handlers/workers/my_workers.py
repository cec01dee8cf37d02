""""Pekerja saya": each sponsored worker's status, KPJ and the date the full JKM benefit applies."""

from __future__ import annotations

from db import claims as claim_data
from db import ledger, queries, standing
from db.models import Sponsorship, Worker
from db.rules.contributions import jkm_full_benefit_from
from db.rules.months import Month
from db.standing import Standing
from handlers.engine.core import Ctx
from handlers.engine.format import format_date, format_rupiah, month_name
from handlers.engine.masking import mask_nik
from handlers.engine.types import GLOBAL, Choice, Expect, Option, Payload, Reply
from handlers.workers.coverage import ledger_cover, today_line

MENU = "menu"


def worker_status(worker: Worker) -> str:
    if worker.consent_at is None:
        return "consent_review" if worker.consent_review else "awaiting_consent"
    return "active" if worker.status == "active" else "awaiting_bpjs"


async def contribution_lines(ctx: Ctx, sponsorship: Sponsorship, worker: Worker, state: Standing) -> list[str]:
    """Months paid, the next month due and its amount, and whether the worker is protected today
    (handlers.workers.coverage)."""
    first = ledger.first_month(worker)
    if first is None:
        return []
    rows = {row.period: row for row in await ledger.ledger(ctx.session, sponsorship.id)}
    rules, current = ctx.core.rules, Month.of(ctx.today)
    months = first.until(max(current, max(rows, default=current)))
    paid = {m for m in months if m in rows and rows[m].status == "paid"}
    waiting = {m for m in months if m in rows and rows[m].status == "paid_unverified"}
    language = ctx.t.language
    lines = [ctx.t("my_workers.paid", count=len(paid), waiting=len(waiting))]
    unpaid = [m for m in months if m not in paid and m not in waiting]
    following = unpaid[0] if unpaid else (max(months) + 1)
    amount = rows[following].amount if following in rows else rules.amount(following, worker.occupation,
                                                                              sponsorship.funding)
    due = rows[following].due_date if following in rows else rules.due_for(following, worker)
    lines.append(ctx.t("my_workers.next_due", month=month_name(following, language), amount=format_rupiah(amount),
                       due=format_date(due, language)))
    lines.append(ctx.t("trial.how_to_pay", instructions=ctx.program.contributions.instructions(language)))
    # Protected today from the months actually paid (the rule of a claim's estimate; db/standing.py agrees), with
    # the months the sponsor is late for from db/standing.py, like /tunggakan, tuwai stats and the exports.
    cover = await ledger_cover(ctx, worker, sponsorship, ctx.today, list(rows.values()))
    lines.append(today_line(ctx.t, cover, state.arrears))
    return lines


class MyWorkers:
    name = "my_workers"

    async def begin(self, ctx: Ctx, arg: str | None = None) -> list[Reply]:
        ctx.goto(self.name, "list")
        return [await self.prompt(ctx)]

    async def prompt(self, ctx: Ctx) -> Reply:
        asn = await ctx.asn()
        pairs = await queries.sponsorships_of_asn(ctx.session, asn.id) if asn else []
        deceased = await deceased_lines(ctx, asn.id) if asn else []
        lines = [ctx.t("my_workers.title")] if pairs or deceased else [ctx.t("my_workers.none")]
        options: list[Option] = []
        states = await standing.standings(ctx.session, [worker.id for _, worker in pairs], today=ctx.today,
                                          rules=ctx.core.rules)
        for sponsorship, worker in pairs:
            state = states[worker.id]
            status = state.status
            lines.append(ctx.t("my_workers.line", name=worker.name, nik=mask_nik(worker.nik),
                               status=ctx.t(f"status.{status}")))
            if worker.kpj:
                lines.append(ctx.t("my_workers.kpj", kpj=worker.kpj))
            if worker.bpjs_start:
                full = jkm_full_benefit_from(worker.bpjs_start, ctx.program.jkm_full_after_months)
                lines += await contribution_lines(ctx, sponsorship, worker, state)
                lines.append(ctx.t("my_workers.jkm_full", date=format_date(full, ctx.t.language)))
                if status in ("active", "in_arrears"):
                    options.append(Option(f"{GLOBAL}pay:{sponsorship.id}",
                                          ctx.t("my_workers.pay", name=worker.name.split()[0][:10])))
            if status == "awaiting_consent":
                first = worker.name.split()[0][:10]
                options.append(Option(f"{GLOBAL}w.link:{worker.id}", ctx.t("my_workers.new_link", name=first)))
                options.append(Option(f"{GLOBAL}w.paper:{worker.id}", ctx.t("my_workers.paper", name=first)))
        lines += deceased  # a worker who died stays in sight, with their claim
        options.append(Option(MENU, ctx.t("form.back_to_menu")))
        return Reply("\n".join(lines), tuple(options), Expect.OPTION)

    async def handle(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        if isinstance(payload, Choice) and payload.option == MENU:
            ctx.goto(None)
            return [await ctx.core.resume(ctx)]
        return [Reply(ctx.t("common.choose_option")), await self.prompt(ctx)]


async def deceased_lines(ctx: Ctx, asn_id: int) -> list[str]:
    """For "Pekerja saya": the sponsor's workers whose death was accepted, with their claim's reference and state."""
    return [ctx.t("claimfix.deceased_line", name=worker.name, reference=claim.reference or f"#{claim.id}",
                  state=ctx.t(f"claims.short_{claim.status}"))
            for claim, worker in await claim_data.deceased_of_asn(ctx.session, asn_id)]
