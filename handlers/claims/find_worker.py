"""Who the claim is about: the reporter's consent to the claim notice, then the worker, found by NIK, by name and
desa/kelurahan, or among the sponsor's own workers. Matches are shown masked (initials, desa, masked NIK) and each
person may search only a few times an hour, so nobody can fish for who is enrolled."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rapidfuzz import fuzz, utils
from sqlalchemy import select

from db import claims as claim_data
from db import queries
from db.models import Worker
from db.wilayah import load_wilayah
from handlers.answers.name_parser import parse_name
from handlers.answers.parsers import parse_nik
from handlers.claims.common import initials, masked_worker
from handlers.engine.core import Ctx
from handlers.engine.forms import Redo, expect_choice, expect_text
from handlers.engine.types import Expect, Invalid, Option, Payload, Reply, record_id

YES, NO, NONE = "yes", "no", "none"
MAX_MATCHES = 5


# -- consent and the worker ------------------------------------------------------------------------------------------

async def prompt_consent(ctx: Ctx) -> Reply:
    options = (Option(YES, ctx.t("claims.agree")), Option(NO, ctx.t("privacy.disagree")))
    return Reply(ctx.t("claims.notice", years=ctx.program.retention_years), options, Expect.OPTION)


async def parse_consent(ctx: Ctx, payload: Payload) -> str:
    if expect_choice(payload) != YES:
        raise Invalid("common.choose_option")
    return ctx.now.isoformat()


async def prompt_how(ctx: Ctx) -> Reply:
    options = [Option("nik", ctx.t("claims.by_nik")), Option("name", ctx.t("claims.by_name"))]
    asn = await ctx.asn()
    for worker in await queries.workers_of_asn(ctx.session, asn.id) if asn and asn.status == "approved" else []:
        options.insert(0, Option(f"w:{worker.id}", ctx.t("claims.my_worker", name=worker.name.split()[0][:10])))
    return Reply(ctx.t("claims.ask_how"), tuple(options), Expect.OPTION)


async def parse_how(ctx: Ctx, payload: Payload) -> str:
    choice = expect_choice(payload)
    if choice in ("nik", "name"):
        return choice
    asn = await ctx.asn()
    ident = record_id(choice[2:]) if choice.startswith("w:") else None
    mine = {w.id for w in await queries.workers_of_asn(ctx.session, asn.id)} if asn and asn.status == "approved" \
        else set()
    if ident is None or ident not in mine:  # a forged button, or no longer their worker
        raise Invalid("common.choose_option")
    return choice


async def count_lookup(ctx: Ctx, refusal: str = "claims.lookup_limit") -> None:
    """A few worker searches (or claim references tried from another chat) per person per hour, then a polite wait:
    nobody can fish for who is enrolled, or for claims."""
    limit = ctx.program.claims.lookups_per_hour
    recent = await claim_data.lookups_since(ctx.session, ctx.chat.id, ctx.now - timedelta(hours=1))
    if len(recent) >= limit:
        again = ctx.local(recent[0] + timedelta(hours=1)).strftime("%H:%M")
        raise Invalid(refusal, time=again)
    await claim_data.record_lookup(ctx.session, ctx.chat.id, ctx.now)


async def parse_nik_lookup(ctx: Ctx, payload: Payload) -> str:
    nik = parse_nik(expect_text(payload), today=ctx.today).value
    await count_lookup(ctx)
    worker = await queries.worker_by_nik(ctx.session, nik)
    if worker is None:
        raise Invalid("claims.nik_not_enrolled")
    ctx.answers["_matches"] = [worker.id]
    return nik


async def parse_search_name(ctx: Ctx, payload: Payload) -> str:
    ctx.answers.pop("_no_match", None)
    return parse_name(expect_text(payload))


async def prompt_search_name(ctx: Ctx) -> Reply:
    text = ctx.t("claims.ask_name")
    if ctx.answers.get("_no_match"):
        text = ctx.t("claims.no_match") + "\n\n" + text
    return Reply(text)


async def parse_search_desa(ctx: Ctx, payload: Payload) -> str:
    typed = expect_text(payload)
    wilayah = load_wilayah()
    desas = [d for k in wilayah.kecamatan_of(ctx.program.region) for d in wilayah.desa_of(k.code)]
    areas = wilayah.match(desas, typed)
    if not areas:
        raise Invalid("area.unknown_desa")
    await count_lookup(ctx)
    codes = [area.code for area, _ in areas]
    workers = (await ctx.session.execute(select(Worker).where(Worker.desa_code.in_(codes)))).scalars().all()
    wanted = ctx.answers["search_name"]
    matches = [w for w in workers
               if fuzz.token_set_ratio(wanted, w.name, processor=utils.default_process) >= 85][:MAX_MATCHES]
    if not matches:
        ctx.answers["_no_match"] = True
        raise Redo("search_name")
    ctx.answers["_matches"] = [w.id for w in matches]
    return areas[0][0].name


async def prompt_pick(ctx: Ctx) -> Reply:
    workers = [await ctx.session.get(Worker, ident) for ident in ctx.answers.get("_matches", [])]
    lines = [ctx.t("claims.matches")]
    options = []
    for number, worker in enumerate((w for w in workers if w is not None), 1):
        lines.append(f"{number}. {masked_worker(worker)}")
        # Numbered by the list above; the console numbers options itself, so the label carries no number.
        options.append(Option(f"p:{worker.id}", f"{initials(worker.name)[:12]} …{worker.nik[-4:]}"))
    options.append(Option(NONE, ctx.t("claims.none_of_them")))
    return Reply("\n".join(lines), tuple(options), Expect.OPTION)


async def parse_pick(ctx: Ctx, payload: Payload) -> int:
    choice = expect_choice(payload)
    if choice == NONE:
        raise Redo("how")
    ident = record_id(choice[2:]) if choice.startswith("p:") else None
    if ident is None or ident not in ctx.answers.get("_matches", []):
        raise Invalid("common.choose_option")
    return ident


def worker_id(answers: dict[str, Any]) -> int:
    how = answers.get("how", "")
    return int(how[2:]) if how.startswith("w:") else int(answers.get("pick", 0))


async def the_worker(ctx: Ctx) -> Worker:
    worker = await ctx.session.get(Worker, worker_id(ctx.answers))
    if worker is None:
        raise Redo("how")
    return worker
