"""Reporting a death or a work accident: anyone may (family, neighbour, the sponsor), without registering.

Fields: the reporter's consent to the claim notice, the worker (by NIK, by name and desa, or the sponsor's own
workers; matches shown masked; a few lookups per hour), what happened and when, who reports. The commit creates the
claim (documents still to come), shows the estimate and opens the document checklist (handlers.claims.docs).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from db import claims as claim_data
from db.models import Claim, Worker
from db.rules.claims import DEATHS, KINDS, Cover, Estimate
from handlers.answers.days_and_rupiah import parse_event_date
from handlers.answers.name_parser import parse_name
from handlers.claims.common import (GATHERING, accident_deadline, estimate_for, estimate_lines, general_estimate_lines,
                                    initials, load, masked_worker, sponsorship_of, status_text)
from handlers.claims.find_worker import (NO, YES, parse_consent, parse_how, parse_nik_lookup, parse_pick,
                                         parse_search_desa, parse_search_name, prompt_consent, prompt_how, prompt_pick,
                                         prompt_search_name, the_worker, worker_id)
from handlers.claims.reporters import join_claim
from handlers.engine.core import Ctx
from handlers.engine.format import format_date
from handlers.engine.forms import Field, Form, expect_choice, expect_text, prompt_text
from handlers.engine.masking import mask_phone
from handlers.engine.types import Choice, Contact, Expect, Invalid, Option, Payload, Reply
from handlers.registration.asn import parse_phone_or_contact
from handlers.registration.identity import same_phone

RELATIONS = ("spouse", "child", "parent", "grandparent", "sibling", "in_law", "self", "other")  # DOMAIN.md §3.3
SPONSOR = "sponsor"  # the worker's own sponsoring ASN reports (offered only to them)
IS_SPONSOR = "_is_sponsor"
VOUCHED = "_phone_vouched"  # the reporter's phone is theirs as the channel vouches for it


def yes_no(ctx: Ctx) -> tuple[Option, ...]:
    return (Option(YES, ctx.t("form.yes")), Option(NO, ctx.t("form.no")))


async def parse_yes_no(ctx: Ctx, payload: Payload) -> bool:
    choice = expect_choice(payload)
    if choice not in (YES, NO):
        raise Invalid("common.choose_option")
    return choice == YES


def _show_yes_no(ctx: Ctx, value: Any) -> str:
    return ctx.t("form.yes" if value else "form.no")


# -- what happened -------------------------------------------------------------------------------------------------

def kind_options(ctx: Ctx) -> tuple[Option, ...]:
    return tuple(Option(kind, ctx.t(f"claims.kind_{kind}"), ctx.t(f"claimfix.kind_words_{kind}")) for kind in KINDS)


async def parse_kind(ctx: Ctx, payload: Payload) -> str:
    kind = expect_choice(payload)
    if kind not in KINDS:
        raise Invalid("common.choose_option")
    return kind


def earliest_date(ctx: Ctx, worker: Worker) -> date:
    enrolled = ctx.local(worker.created_at).date()
    return min(enrolled, worker.bpjs_start) if worker.bpjs_start else enrolled


async def parse_when(ctx: Ctx, payload: Payload) -> str:
    try:
        day = parse_event_date(expect_text(payload), today=ctx.today)
    except Invalid as error:
        if error.key != "date.future":
            raise
        example = (ctx.today - timedelta(days=1)).strftime("%d-%m-%Y")  # an example that fits: yesterday
        raise Invalid("claimfix.date_future", example=example) from None
    worker = await the_worker(ctx)
    if day < earliest_date(ctx, worker) and ctx.answers.get(IS_SPONSOR):
        raise Invalid("claims.before_enrolment", date=format_date(earliest_date(ctx, worker), ctx.t.language))
    if day < earliest_date(ctx, worker):  # anyone else learns no date of the worker's record
        raise Invalid("claimtrust.before_enrolment")
    return day.isoformat()


def free_text(low: int, high: int):  # type: ignore[no-untyped-def]
    async def parse(ctx: Ctx, payload: Payload) -> str:
        value = expect_text(payload)  # cleaned by the core (handlers/engine/text_clean.py)
        if not low <= len(value) <= high:
            raise Invalid("claims.text_length", min=low, max=high)
        return value
    return parse


def _accident(answers: dict[str, Any]) -> bool:
    return answers.get("kind") in ("jkk_injury", "jkk_death")


# -- who reports ---------------------------------------------------------------------------------------------------

def relation_options(ctx: Ctx) -> tuple[Option, ...]:
    relations = RELATIONS if ctx.answers.get("kind") == "jkk_injury" else tuple(r for r in RELATIONS if r != "self")
    if ctx.answers.get(IS_SPONSOR):
        relations = (SPONSOR, *relations)
    return tuple(Option(f"rel:{r}", ctx.t(f"claims.rel_{r}")) for r in relations)


async def parse_relation(ctx: Ctx, payload: Payload) -> str:
    choice = expect_choice(payload)
    if choice not in {o.id for o in relation_options(ctx)}:
        raise Invalid("common.choose_option")
    return choice[4:]


async def parse_reporter_phone(ctx: Ctx, payload: Payload) -> str:
    """The reporter's number; remembered as vouched for when the channel vouches for it (their own shared contact,
    WhatsApp's sender number), so that it can prove them the heir recorded at enrolment."""
    phone = await parse_phone_or_contact(ctx, payload)
    own_contact = isinstance(payload, Contact) and payload.own
    ctx.answers[VOUCHED] = own_contact or same_phone(ctx.event.phone, phone)
    return phone


def may_see_record(ctx: Ctx, worker: Worker) -> bool:
    """Whether this reporter may read the worker's own record (months paid, the estimate from them): the sponsor,
    the worker from the chat they consented from, or the heir (or the worker's phone) recorded at enrolment on a
    number the channel vouches for. Anyone else, who may know no more than a NIK, reads the rules in general."""
    if ctx.answers.get(IS_SPONSOR) or worker.consent_chat_id == ctx.chat.id:
        return True
    phone = ctx.answers.get("phone")
    return bool(ctx.answers.get(VOUCHED)) and (same_phone(phone, worker.heir_phone) or same_phone(phone, worker.phone))


async def prompt_heir(ctx: Ctx) -> Reply:
    """Only the sponsor reads the heir recorded at enrolment: anyone else who knows a NIK learns nothing of it."""
    if not ctx.answers.get(IS_SPONSOR):
        return Reply(ctx.t("claimtrust.ask_heir"), yes_no(ctx), Expect.OPTION)
    worker = await the_worker(ctx)
    if worker.heir_name:
        recorded = ctx.t("claims.heir_recorded", name=initials(worker.heir_name),
                         relation=ctx.t(f"relation.{worker.heir_relation}") if worker.heir_relation else "-",
                         phone=mask_phone(worker.heir_phone) if worker.heir_phone else "-")
    else:
        recorded = ctx.t("claims.heir_none")
    return Reply(recorded + "\n" + ctx.t("claims.ask_heir"), yes_no(ctx), Expect.OPTION)


async def _name(ctx: Ctx, payload: Payload) -> str:
    return parse_name(expect_text(payload))


def _show_worker(ctx: Ctx, value: Any) -> str:
    return str(ctx.answers.get("_worker_label", ""))


def _show_date(ctx: Ctx, value: Any) -> str:
    return format_date(date.fromisoformat(value), ctx.t.language)


class ClaimReport(Form):
    name = "claim_report"
    title = "claims"
    fields = (
        Field("consent", prompt_consent, parse_consent, "claims.field_consent", editable=False),
        Field("how", prompt_how, parse_how, "claims.field_worker", _show_worker,
              resets=("nik", "search_name", "search_desa", "pick", "kind", "when")),
        Field("nik", prompt_text("claims.ask_nik"), parse_nik_lookup, "claims.field_nik",
              when=lambda a: a.get("how") == "nik", resets=("pick",), editable=False),
        Field("search_name", prompt_search_name, parse_search_name, "claims.field_name",
              when=lambda a: a.get("how") == "name", resets=("search_desa", "pick"), editable=False),
        Field("search_desa", prompt_text("claims.ask_desa"), parse_search_desa, "claims.field_desa",
              when=lambda a: a.get("how") == "name", resets=("pick",), editable=False),
        Field("pick", prompt_pick, parse_pick, "claims.field_worker",
              when=lambda a: a.get("how") in ("nik", "name"), resets=("kind", "when"), editable=False),
        Field("kind", prompt_text("claims.ask_kind", options=kind_options, expect=Expect.OPTION), parse_kind,
              "claims.field_kind", lambda ctx, v: ctx.t(f"claims.kind_long_{v}")),
        Field("when", prompt_text("claims.ask_date"), parse_when, "claims.field_date", _show_date),
        Field("place", prompt_text("claims.ask_place"), free_text(3, 120), "claims.field_place", lambda ctx, v: v),
        Field("description", prompt_text("claims.ask_description"), free_text(3, 500), "claims.field_description",
              lambda ctx, v: v),
        Field("traffic", prompt_text("claims.ask_traffic", options=yes_no, expect=Expect.OPTION), parse_yes_no,
              "claims.field_traffic", _show_yes_no, when=_accident, resets=("police",)),
        Field("police", prompt_text("claims.ask_police", options=yes_no, expect=Expect.OPTION), parse_yes_no,
              "claims.field_police", _show_yes_no, when=lambda a: _accident(a) and bool(a.get("traffic"))),
        Field("reporter", prompt_text("claims.ask_reporter"), _name, "claims.field_reporter", lambda ctx, v: v),
        Field("relation", prompt_text("claims.ask_relation", options=relation_options, expect=Expect.OPTION),
              parse_relation, "claims.field_relation", lambda ctx, v: ctx.t(f"claims.rel_{v}")),
        Field("phone", prompt_text("claims.ask_phone", expect=Expect.CONTACT, contact_label="worker.share_contact"),
              parse_reporter_phone, "claims.field_phone", lambda ctx, v: mask_phone(v)),
        # Heirs matter for a death only: the injured worker claims for themself.
        Field("heir", prompt_heir, parse_yes_no, "claims.field_heir", _show_yes_no,
              when=lambda a: a.get("kind") in DEATHS),
    )

    async def initial(self, ctx: Ctx, arg: str | None) -> dict[str, Any]:
        """An approved ASN reporting: their name and phone from their registration (changeable at the summary)."""
        asn = await ctx.asn()
        return {"reporter": asn.name, "phone": asn.phone} if asn is not None and asn.status == "approved" else {}

    async def handle(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        if ctx.chat.step == "consent" and isinstance(payload, Choice) and payload.option == NO:
            ctx.goto(None)
            return [Reply(ctx.t("claims.declined")), await ctx.core.resume(ctx)]
        if ctx.chat.step == "kind" and isinstance(payload, Choice) and payload.option in DEATHS:
            existing = await claim_data.live_death_claim(ctx.session, worker_id(ctx.answers))
            if existing is not None and await _reported_here(ctx, existing):
                return await self._already_theirs(ctx, existing)
            if existing is not None:  # reported by someone else: this report joins it (never refused)
                replies = await super().handle(ctx, payload)
                return [Reply(ctx.t("claimtrust.already_reported")), *replies]
        return await super().handle(ctx, payload)

    async def _already_theirs(self, ctx: Ctx, claim: Claim) -> list[Reply]:
        """This person reported the same death before: their claim, to go on with, instead of a second report."""
        loaded = await load(ctx, claim.id)
        assert loaded is not None  # the claim was just read
        lines = [ctx.t("claimtrust.already_yours"), status_text(ctx.t, *loaded)]
        if claim.reporter_chat_id == ctx.chat.id and claim.status in GATHERING:
            return [Reply("\n".join(lines)), *await ctx.core.flows["claim_docs"].begin(ctx, str(claim.id))]
        ctx.goto(None)
        return [Reply("\n".join(lines)), await ctx.core.resume(ctx)]

    async def _advance(self, ctx: Ctx, replies: list[Reply]) -> list[Reply]:
        if worker_id(ctx.answers):  # the summary names the worker masked, whoever they were found by
            worker = await ctx.session.get(Worker, worker_id(ctx.answers))
            ctx.answers["_worker_label"] = masked_worker(worker) if worker else ""
            ctx.answers[IS_SPONSOR] = worker is not None and await self._sponsors(ctx, worker)
        return await super()._advance(ctx, replies)

    @staticmethod
    async def _sponsors(ctx: Ctx, worker: Worker) -> bool:
        asn = await ctx.asn()
        sponsorship = await sponsorship_of(ctx, worker)
        return asn is not None and sponsorship is not None and sponsorship.asn_id == asn.id

    async def commit(self, ctx: Ctx) -> list[Reply]:
        worker = await the_worker(ctx)
        existing = (await claim_data.live_death_claim(ctx.session, worker.id)
                    if ctx.answers["kind"] in DEATHS else None)
        if existing is not None and await _reported_here(ctx, existing):
            return await self._already_theirs(ctx, existing)
        if existing is not None:  # one death, one claim (models.LIVE_DEATH_CLAIM): this report joins it
            return await join_claim(ctx, existing)
        claim, cover, result = await _open_claim(ctx, worker)
        kind, day = claim.kind, claim.event_date
        death = kind in DEATHS
        # Those who may read the worker's record get the estimate from it; anyone else the rules in general.
        known = may_see_record(ctx, worker)
        estimate = (estimate_lines(ctx.t, result, cover.reason, death=death) if known
                    else general_estimate_lines(ctx.t, kind))
        lines = [ctx.t("claims.saved" if death else "claims.saved_injury"),
                 ctx.t("claimfollow.draft_reference", reference=claim.reference), *estimate]
        if kind != "jkm" and (result.covered or not known):  # report within 2 x 24 hours
            lines.append(accident_deadline(ctx, kind, day))
        return [Reply("\n".join(lines)), *await ctx.core.flows["claim_docs"].begin(ctx, str(claim.id))]


async def _reported_here(ctx: Ctx, claim: Claim) -> bool:
    """This chat already reported `claim` (as its main reporter or a further one)."""
    return (claim.reporter_chat_id == ctx.chat.id
            or await claim_data.co_reporter_of(ctx.session, claim.id, ctx.chat.id) is not None)


async def _open_claim(ctx: Ctx, worker: Worker) -> tuple[Claim, Cover, Estimate]:
    """The report's answers as a new claim (documents still to come), with its reference and estimate."""
    a = ctx.answers
    day = date.fromisoformat(a["when"])
    cover, result = await estimate_for(ctx, worker, a["kind"], day)
    sponsorship = await sponsorship_of(ctx, worker)
    claim = Claim(worker_id=worker.id, sponsorship_id=sponsorship.id if sponsorship else None, kind=a["kind"],
                  event_date=day, place=a["place"], description=a["description"], traffic=a.get("traffic"),
                  police_report=a.get("police"), reporter_chat_id=ctx.chat.id, reporter_name=a["reporter"],
                  reporter_relation=a["relation"], reporter_phone=a["phone"], reporter_is_heir=bool(a.get("heir")),
                  reporter_consent_at=datetime.fromisoformat(a["consent"]), estimate=result.total,
                  scholarship=result.scholarship, status="documents", requested={}, created_at=ctx.now,
                  updated_at=ctx.now)
    # A second report of the same death committed at the same moment elsewhere makes this insert fail on the unique
    # index: the writer runs the event again on its own, and it then joins that claim (ClaimReport.commit).
    await claim_data.open_claim(ctx.session, claim, actor=ctx.actor, now=ctx.now)
    # The reference from the start: with it the family can go on from another chat (handlers.claims.follow).
    claim.reference = claim_data.reference_of(claim.id, ctx.today.year)
    return claim, cover, result
