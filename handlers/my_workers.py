""""Pekerja saya": each sponsored worker's status, KPJ and the date the full JKM benefit applies."""

from __future__ import annotations

from db import queries
from db.models import Worker
from db.rules import jkm_full_benefit_from
from handlers.core import Ctx
from handlers.format import format_date
from handlers.parsers import mask_nik
from handlers.types import GLOBAL, Choice, Expect, Option, Payload, Reply

MENU = "menu"


def worker_status(worker: Worker) -> str:
    if worker.consent_at is None:
        return "awaiting_consent"
    return "active" if worker.status == "active" else "awaiting_bpjs"


class MyWorkers:
    name = "my_workers"

    async def begin(self, ctx: Ctx, arg: str | None = None) -> list[Reply]:
        ctx.goto(self.name, "list")
        return [await self.prompt(ctx)]

    async def prompt(self, ctx: Ctx) -> Reply:
        asn = await ctx.asn()
        workers = await queries.workers_of_asn(ctx.session, asn.id) if asn else []
        lines = [ctx.t("my_workers.title")] if workers else [ctx.t("my_workers.none")]
        options: list[Option] = []
        for worker in workers:
            status = worker_status(worker)
            lines.append(ctx.t("my_workers.line", name=worker.name, nik=mask_nik(worker.nik),
                               status=ctx.t(f"status.{status}")))
            if worker.kpj:
                lines.append(ctx.t("my_workers.kpj", kpj=worker.kpj))
            if worker.bpjs_start:
                full = jkm_full_benefit_from(worker.bpjs_start, ctx.program.jkm_full_after_months)
                lines.append(ctx.t("my_workers.jkm_full", date=format_date(full, ctx.t.language)))
            if status == "awaiting_consent":
                first = worker.name.split()[0][:10]
                options.append(Option(f"{GLOBAL}w.link:{worker.id}", ctx.t("my_workers.new_link", name=first)))
                options.append(Option(f"{GLOBAL}w.paper:{worker.id}", ctx.t("my_workers.paper", name=first)))
        options.append(Option(MENU, ctx.t("form.back_to_menu")))
        return Reply("\n".join(lines), tuple(options), Expect.OPTION)

    async def handle(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        if isinstance(payload, Choice) and payload.option == MENU:
            ctx.goto(None)
            return [await ctx.core.resume(ctx)]
        return [Reply(ctx.t("common.choose_option")), await self.prompt(ctx)]
