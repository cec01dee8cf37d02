"""Worker enrolment by an approved ASN: NIK, name, birth date, occupation, area, phone, heir; then consent."""

from __future__ import annotations

from datetime import date
from typing import Any

from db import queries
from db.models import Sponsorship, Worker
from db.wilayah import Area, load_wilayah
from handlers.asn import parse_phone_or_contact
from handlers.consent import send_consent_link
from handlers.core import Ctx
from handlers.format import format_date
from handlers.forms import Field, Form, Redo, expect_choice, expect_text, prompt_text
from handlers.identity import same_phone
from handlers.parsers import Invalid, mask_nik, mask_phone, parse_date, parse_name, parse_nik
from handlers.types import Choice, Expect, Option, Payload, Reply

YES, NO, SKIP, CHANGE_NIK = "yes", "no", "skip", "nik"
RELATIONS = ("spouse", "child", "parent", "sibling", "other")


# -- NIK and birth date ----------------------------------------------------------------------------------------------

async def parse_worker_nik(ctx: Ctx, payload: Payload) -> str:
    nik = parse_nik(expect_text(payload), today=ctx.today)
    existing = await queries.worker_by_nik(ctx.session, nik.value)
    if existing is not None:
        sponsor = await queries.sponsor_of_worker(ctx.session, existing.id)
        asn = await ctx.asn()
        # Never say who sponsors someone else's worker: that is personal data too.
        raise Invalid("worker.nik_yours" if sponsor is not None and asn is not None and sponsor.id == asn.id
                      else "worker.nik_taken")
    ctx.answers["_birth"] = nik.birth_date.isoformat()
    ctx.answers["_sex"] = nik.sex
    return nik.value


async def prompt_birth(ctx: Ctx) -> Reply:
    born = date.fromisoformat(ctx.answers["_birth"])
    text = ctx.t("worker.ask_birth", date=format_date(born, ctx.t.language), sex=ctx.t(f"sex.{ctx.answers['_sex']}"))
    return Reply(text, (Option(YES, ctx.t("worker.birth_right")), Option(CHANGE_NIK, ctx.t("worker.change_nik"))))


async def parse_birth(ctx: Ctx, payload: Payload) -> str:
    from_nik = date.fromisoformat(ctx.answers["_birth"])
    if isinstance(payload, Choice):
        if payload.option == CHANGE_NIK:
            raise Redo("nik")
        return from_nik.isoformat()
    typed = parse_date(expect_text(payload), today=ctx.today)
    if typed != from_nik:
        raise Invalid("worker.birth_mismatch", typed=format_date(typed, ctx.t.language),
                      nik_date=format_date(from_nik, ctx.t.language))
    return typed.isoformat()


# -- occupation and area ---------------------------------------------------------------------------------------------

def occupation_options(ctx: Ctx) -> tuple[Option, ...]:
    return tuple(Option(f"occ:{o}", ctx.t(f"occupation.{o}")) for o in ctx.program.occupations)


async def parse_occupation(ctx: Ctx, payload: Payload) -> str:
    choice = expect_choice(payload)
    if not choice.startswith("occ:") or choice[4:] not in ctx.program.occupations:
        raise Invalid("common.choose_option")
    return choice[4:]


def _areas(ctx: Ctx, field: str) -> list[Area]:
    wilayah = load_wilayah()
    if field == "kecamatan":
        return wilayah.kecamatan_of(ctx.program.region)
    return wilayah.desa_of(ctx.answers["kecamatan"])


def area_prompt(field: str):  # type: ignore[no-untyped-def]
    async def make(ctx: Ctx) -> Reply:
        areas = _areas(ctx, field)
        suggested = ctx.answers.get(f"_suggest_{field}")
        if suggested:
            shown = [a for a in areas if a.code in suggested]
            options = tuple(Option(a.code, a.name[:24]) for a in shown)
            return Reply(ctx.t("area.did_you_mean"), options + (Option("all", ctx.t("area.show_all")),))
        parent = load_wilayah().area(ctx.answers["kecamatan"]) if field == "desa" else None
        text = ctx.t(f"area.ask_{field}", kecamatan=parent.name if parent else "")
        return Reply(text, tuple(Option(a.code, a.name[:24]) for a in areas))
    return make


def area_parser(field: str):  # type: ignore[no-untyped-def]
    async def parse(ctx: Ctx, payload: Payload) -> str:
        areas = _areas(ctx, field)
        ctx.answers.pop(f"_suggest_{field}", None)
        if isinstance(payload, Choice):
            if payload.option == "all":
                raise Invalid("area.pick_from_all")
            if any(a.code == payload.option for a in areas):
                return payload.option
            raise Invalid("common.choose_option")
        matches = load_wilayah().match(areas, expect_text(payload))
        if len(matches) == 1 and matches[0][1] >= 100:
            return matches[0][0].code
        if not matches:
            raise Invalid(f"area.unknown_{field}")
        # A near match is confirmed by the person, never taken silently.
        ctx.answers[f"_suggest_{field}"] = [area.code for area, _ in matches]
        raise Invalid("area.not_exact")
    return parse


def show_area(ctx: Ctx, code: Any) -> str:
    area = load_wilayah().area(str(code))
    return area.name if area else str(code)


# -- phones and heir -------------------------------------------------------------------------------------------------

def skip_option(ctx: Ctx) -> tuple[Option, ...]:
    return (Option(SKIP, ctx.t("form.skip")),)


def optional_phone(ctx_key: str):  # type: ignore[no-untyped-def]
    async def parse(ctx: Ctx, payload: Payload) -> str | None:
        if isinstance(payload, Choice) and payload.option == SKIP:
            return None
        phone = await parse_phone_or_contact(ctx, payload)
        asn = await ctx.asn()
        if asn is not None and same_phone(phone, asn.phone):  # the worker's consent is checked against this number
            raise Invalid("identity.own_number")
        return phone
    return parse


def yes_no(ctx: Ctx) -> tuple[Option, ...]:
    return (Option(YES, ctx.t("form.yes")), Option(NO, ctx.t("form.no")))


async def parse_yes_no(ctx: Ctx, payload: Payload) -> bool:
    choice = expect_choice(payload)
    if choice not in (YES, NO):
        raise Invalid("common.choose_option")
    return choice == YES


def relation_options(ctx: Ctx) -> tuple[Option, ...]:
    return tuple(Option(f"rel:{r}", ctx.t(f"relation.{r}")) for r in RELATIONS)


async def parse_relation(ctx: Ctx, payload: Payload) -> str:
    choice = expect_choice(payload)
    if not choice.startswith("rel:") or choice[4:] not in RELATIONS:
        raise Invalid("common.choose_option")
    return choice[4:]


async def _name(ctx: Ctx, payload: Payload) -> str:
    return parse_name(expect_text(payload))


def _has_heir(answers: dict[str, Any]) -> bool:
    return bool(answers.get("heir"))


def _show_phone(ctx: Ctx, value: Any) -> str:
    return mask_phone(value) if value else ctx.t("form.skipped")


class WorkerEnrolment(Form):
    name = "enrol"
    title = "worker"
    fields = (
        Field("nik", prompt_text("worker.ask_nik"), parse_worker_nik, "worker.field_nik",
              lambda ctx, v: mask_nik(v), resets=("birth",)),
        Field("name", prompt_text("worker.ask_name"), _name, "worker.field_name", lambda ctx, v: v),
        Field("birth", prompt_birth, parse_birth, "worker.field_birth",
              lambda ctx, v: format_date(date.fromisoformat(v), ctx.t.language), editable=False),
        Field("occupation", prompt_text("worker.ask_occupation", options=occupation_options, expect=Expect.OPTION),
              parse_occupation, "worker.field_occupation", lambda ctx, v: ctx.t(f"occupation.{v}")),
        Field("kecamatan", area_prompt("kecamatan"), area_parser("kecamatan"), "worker.field_kecamatan", show_area,
              resets=("desa",)),
        Field("desa", area_prompt("desa"), area_parser("desa"), "worker.field_desa", show_area),
        # No "share my contact" button: Telegram would send the ASN's own number, not the worker's.
        Field("phone", prompt_text("worker.ask_phone", options=skip_option),
              optional_phone("phone"), "worker.field_phone", _show_phone),
        Field("heir", prompt_text("worker.ask_heir", options=yes_no, expect=Expect.OPTION), parse_yes_no,
              "worker.field_heir", lambda ctx, v: ctx.t("form.yes" if v else "form.no"),
              resets=("heir_name", "heir_relation", "heir_phone")),
        Field("heir_name", prompt_text("worker.ask_heir_name"), _name, "worker.field_heir_name", lambda ctx, v: v,
              when=_has_heir),
        Field("heir_relation", prompt_text("worker.ask_heir_relation", options=relation_options,
                                           expect=Expect.OPTION),
              parse_relation, "worker.field_heir_relation", lambda ctx, v: ctx.t(f"relation.{v}"), when=_has_heir),
        Field("heir_phone", prompt_text("worker.ask_heir_phone", options=skip_option), optional_phone("heir_phone"),
              "worker.field_heir_phone", _show_phone, when=_has_heir),
    )

    async def refuse(self, ctx: Ctx, arg: str | None) -> str | None:
        asn = await ctx.asn()
        if asn is None or asn.status == "rejected":
            return "worker.need_asn"
        if asn.status != "approved":
            return "worker.asn_pending"
        limit = ctx.program.max_workers_per_asn
        if limit and await queries.count_workers_of_asn(ctx.session, asn.id) >= limit:
            return "worker.limit"
        return None

    async def commit(self, ctx: Ctx) -> list[Reply]:
        reason = await self.refuse(ctx, None)
        if reason is not None:
            ctx.goto(None)
            return [Reply(ctx.t(reason)), await ctx.core.resume(ctx)]
        a = ctx.answers
        if await queries.worker_by_nik(ctx.session, a["nik"]) is not None:
            raise Invalid("worker.nik_taken", field="nik")
        asn = await ctx.asn()
        assert asn is not None  # refuse() said so
        worker = Worker(
            nik=a["nik"], name=a["name"], birth_date=date.fromisoformat(a["birth"]), sex=a["_sex"],
            occupation=a["occupation"], kecamatan_code=a["kecamatan"], desa_code=a["desa"], phone=a.get("phone"),
            heir_name=a.get("heir_name"), heir_relation=a.get("heir_relation"), heir_phone=a.get("heir_phone"),
            status="awaiting_bpjs", created_at=ctx.now)
        ctx.session.add(worker)
        await ctx.session.flush()
        ctx.session.add(Sponsorship(asn_id=asn.id, worker_id=worker.id, created_at=ctx.now))
        await send_consent_link(ctx, worker)
        ctx.goto(None)
        return [Reply(ctx.t("worker.saved", name=worker.name)), await ctx.core.resume(ctx)]

