"""Worker enrolment by an approved ASN: NIK, name, birth date, occupation, area, phone, heir; then consent."""

from __future__ import annotations

from datetime import date
from typing import Any

from db import claims as claim_data
from db import queries
from db.models import Sponsorship, Worker
from db.rules.eligibility import age_in_years, age_problem
from handlers.answers.areas import area_parser, area_prompt, show_area
from handlers.answers.date_parser import parse_date
from handlers.answers.name_parser import parse_name
from handlers.answers.other import parse_other
from handlers.answers.parsers import parse_nik
from handlers.consent.worker_consent import send_consent_link
from handlers.engine.core import Ctx
from handlers.engine.format import format_date
from handlers.engine.forms import Field, Form, Redo, Stay, expect_choice, expect_text, prompt_text
from handlers.engine.types import Choice, Expect, Invalid, Option, Payload, Reply
from handlers.registration.asn import parse_phone_or_contact
from handlers.registration.identity import same_phone

YES, NO, SKIP, CHANGE_NIK, NIK_DATE = "yes", "no", "skip", "nik", "nik_date"
KTP_BIRTH, BIRTH_DIFFERS = "_ktp_birth", "_birth_differs"  # answers: a typed KTP date awaiting confirmation
RELATIONS = ("spouse", "child", "parent", "sibling", "other")


# -- NIK and birth date ----------------------------------------------------------------------------------------------

async def _sponsored_by_me(ctx: Ctx, sponsorship_id: int | None) -> bool:
    asn = await ctx.asn()
    sponsorship = await ctx.session.get(Sponsorship, sponsorship_id) if sponsorship_id else None
    return asn is not None and sponsorship is not None and sponsorship.asn_id == asn.id


async def parse_worker_nik(ctx: Ctx, payload: Payload) -> str:
    nik = parse_nik(expect_text(payload), today=ctx.today)
    existing = await queries.worker_by_nik(ctx.session, nik.value)
    death = await claim_data.confirmed_death(ctx.session, existing.id) if existing is not None else None
    if death is not None and await _sponsored_by_me(ctx, death.sponsorship_id):  # not "another sponsor"
        raise Invalid("claimfix.nik_deceased", reference=death.reference or f"#{death.id}")
    if existing is not None:
        sponsor = await queries.sponsor_of_worker(ctx.session, existing.id)
        asn = await ctx.asn()
        # Never say who sponsors someone else's worker: that is personal data too.
        raise Invalid("worker.nik_yours" if sponsor is not None and asn is not None and sponsor.id == asn.id
                      else "worker.nik_taken")
    check_age(ctx, nik.birth_date, "journey.age.nik")
    ctx.answers["_birth"] = nik.birth_date.isoformat()
    ctx.answers["_sex"] = nik.sex
    return nik.value


def check_age(ctx: Ctx, born: date, prefix: str) -> None:
    """Refuses a worker outside the configured ages ([program] worker_min_age, worker_max_age)."""
    program = ctx.program
    problem = age_problem(born, ctx.today, min_age=program.worker_min_age, max_age=program.worker_max_age)
    if problem is not None:
        raise Invalid(f"{prefix}_{problem}", age=age_in_years(born, ctx.today), min=program.worker_min_age,
                      max=program.worker_max_age, date=format_date(born, ctx.t.language))


async def prompt_birth(ctx: Ctx) -> Reply:
    born = date.fromisoformat(ctx.answers["_birth"])
    typed = ctx.answers.get(KTP_BIRTH)
    if typed:  # one confirmation: the KTP date may lawfully differ from the NIK's digits
        text = ctx.t("journey.birth.differs", typed=format_date(date.fromisoformat(typed), ctx.t.language),
                     nik_date=format_date(born, ctx.t.language))
        options = (Option(YES, ctx.t("journey.birth.use_ktp")), Option(NIK_DATE, ctx.t("journey.birth.use_nik")),
                   Option(CHANGE_NIK, ctx.t("worker.change_nik")))
        return Reply(text, options, Expect.OPTION)
    text = ctx.t("worker.ask_birth", date=format_date(born, ctx.t.language), sex=ctx.t(f"sex.{ctx.answers['_sex']}"))
    return Reply(text, (Option(YES, ctx.t("worker.birth_right")), Option(CHANGE_NIK, ctx.t("worker.change_nik"))))


async def parse_birth(ctx: Ctx, payload: Payload) -> str:
    from_nik = date.fromisoformat(ctx.answers["_birth"])
    typed = ctx.answers.pop(KTP_BIRTH, None)
    ctx.answers[BIRTH_DIFFERS] = False
    if isinstance(payload, Choice):
        if payload.option == CHANGE_NIK:
            raise Redo("nik")
        if payload.option == YES and typed:
            ctx.answers[BIRTH_DIFFERS] = True
            return typed
        return from_nik.isoformat()
    when = parse_date(expect_text(payload), today=ctx.today)
    if when == from_nik:
        return when.isoformat()
    check_age(ctx, when, "journey.age.ktp")
    ctx.answers[KTP_BIRTH] = when.isoformat()
    raise Stay


def show_birth(ctx: Ctx, value: Any) -> str:
    """The birth date with the sex derived from the NIK, and a note when it is the KTP date, not the NIK's."""
    text = ctx.t("journey.birth.summary", date=format_date(date.fromisoformat(value), ctx.t.language),
                 sex=ctx.t(f"sex.{ctx.answers.get('_sex', 'M')}"))
    return text + (ctx.t("journey.birth.differs_note") if ctx.answers.get(BIRTH_DIFFERS) else "")


# -- occupation and area ---------------------------------------------------------------------------------------------

def occupation_options(ctx: Ctx) -> tuple[Option, ...]:
    return tuple(Option(f"occ:{o}", ctx.t(f"occupation.{o}")) for o in ctx.program.occupations)


async def parse_occupation(ctx: Ctx, payload: Payload) -> str:
    choice = expect_choice(payload)
    if not choice.startswith("occ:") or choice[4:] not in ctx.program.occupations:
        raise Invalid("common.choose_option")
    return choice[4:]


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


def _other_occupation(answers: dict[str, Any]) -> bool:
    return answers.get("occupation") == "lainnya"


def _has_heir(answers: dict[str, Any]) -> bool:
    return bool(answers.get("heir"))


def _show_phone(ctx: Ctx, value: Any) -> str:
    """In full on the summary: only the ASN who typed it sees it there."""
    return str(value) if value else ctx.t("form.skipped")


class WorkerEnrolment(Form):
    name = "enrol"
    title = "worker"
    fields = (
        Field("nik", prompt_text("worker.ask_nik"), parse_worker_nik, "worker.field_nik",
              lambda ctx, v: v, resets=("birth",)),
        Field("name", prompt_text("worker.ask_name"), _name, "worker.field_name", lambda ctx, v: v),
        Field("birth", prompt_birth, parse_birth, "worker.field_birth", show_birth, editable=False),
        Field("occupation", prompt_text("worker.ask_occupation", options=occupation_options, expect=Expect.OPTION),
              parse_occupation, "worker.field_occupation", lambda ctx, v: ctx.t(f"occupation.{v}"),
              resets=("occupation_other",)),
        Field("occupation_other", prompt_text("journey.other.ask_occupation"), parse_other,
              "journey.other.field_occupation", lambda ctx, v: v, when=_other_occupation),
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
        asn, workers = await ctx.asn_with_workers()
        if asn is None or asn.status == "rejected":
            return "worker.need_asn"
        if asn.status != "approved":
            return "worker.asn_pending"
        limit = ctx.program.max_workers_per_asn
        if limit and workers >= limit:
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
            birth_date_differs=bool(a.get(BIRTH_DIFFERS)), occupation=a["occupation"],
            occupation_other=a.get("occupation_other") if _other_occupation(a) else None,
            kecamatan_code=a["kecamatan"], desa_code=a["desa"], phone=a.get("phone"),
            heir_name=a.get("heir_name"), heir_relation=a.get("heir_relation"), heir_phone=a.get("heir_phone"),
            status="awaiting_bpjs", created_at=ctx.now)
        ctx.session.add(worker)
        await ctx.session.flush()
        ctx.session.add(Sponsorship(asn_id=asn.id, worker_id=worker.id, created_at=ctx.now))
        await send_consent_link(ctx, worker, first=True)
        ctx.goto(None)
        return [Reply(ctx.t("worker.saved", name=worker.name)), await ctx.core.resume(ctx)]

