"""The membership facts an officer records: the KPJ (held by one worker only) and the BPJS start date, within the
enrolment (minus a configured tolerance) and today.

A start date years back made a worker owe hundreds of months and lapse at once; every date an officer records goes
through `checked_start`, whose errors give the allowed range and an example that fits the question.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from db.models import Sponsorship, Worker
from handlers.answers.date_parser import parse_date
from handlers.answers.days_and_rupiah import parse_event_date
from handlers.answers.parsers import parse_kpj
from handlers.engine.context import Ctx
from handlers.engine.format import format_date
from handlers.engine.forms import expect_text
from handlers.engine.types import Choice, Invalid, Payload

TODAY = "today"


def _since(ctx: Ctx, worker: Worker, sponsorship: Sponsorship | None) -> tuple[date, str]:
    """(the day the range is counted from, what happened that day): the enrolment, or the lapse when reactivating."""
    since, basis = ctx.local(worker.created_at).date(), "enrolled"
    if sponsorship is not None and sponsorship.lapsed_at is not None:
        lapsed = ctx.local(sponsorship.lapsed_at).date()
        if lapsed > since:
            since, basis = lapsed, "lapsed"
    return since, basis


def allowed_starts(ctx: Ctx, worker: Worker, sponsorship: Sponsorship | None = None) -> tuple[date, date]:
    """(earliest, latest) start dates: from the enrolment, or the lapse when reactivating, minus
    `[program] bpjs_start_tolerance_days`, through today (programme time zone)."""
    since, _ = _since(ctx, worker, sponsorship)
    return since - timedelta(days=ctx.program.bpjs_start_tolerance_days), ctx.today


def checked_start(ctx: Ctx, payload: Payload, worker: Worker, sponsorship: Sponsorship | None = None) -> date:
    """The start date typed as people write dates (`05-11-2026`, `5 nov`, `kemarin`, like a claim's date) or
    "today" chosen; Invalid with the allowed range (and the day it is counted from) when it is outside it."""
    first, last = allowed_starts(ctx, worker, sponsorship)
    since, basis = _since(ctx, worker, sponsorship)
    params = {"first": format_date(first, ctx.t.language), "last": format_date(last, ctx.t.language),
              "example": last.strftime("%d-%m-%Y"), "since": format_date(since, ctx.t.language),
              "days": ctx.program.bpjs_start_tolerance_days, "basis": ctx.t(f"journey.start.basis_{basis}")}
    if isinstance(payload, Choice) and payload.option == TODAY:
        when = ctx.today
    else:
        when = _typed_start(ctx, expect_text(payload), params)
    if not first <= when <= last:
        raise Invalid("journey.start.range", date=format_date(when, ctx.t.language), **params)
    return when


def _typed_start(ctx: Ctx, text: str, params: dict[str, object]) -> date:
    try:
        return parse_event_date(text, today=ctx.today)
    except Invalid as error:
        if error.key.startswith("input."):  # a photo, a sticker...: said as it is
            raise
        if error.key == "date.future":  # refused below with the allowed range, not as a birth date
            try:
                return parse_date(text, today=ctx.today + timedelta(days=3650))
            except Invalid:
                pass
        raise Invalid("journey.start.invalid", **params) from None


async def parse_worker_kpj(ctx: Ctx, payload: Payload) -> str:
    """The worker's BPJS membership number (KPJ), which no other worker holds (`answers["worker"]` is this one).
    Raises Invalid."""
    kpj = parse_kpj(expect_text(payload))
    holder = (await ctx.session.execute(select(Worker.id).where(Worker.kpj == kpj))).scalar_one_or_none()
    if holder is not None and holder != ctx.answers["worker"]:
        raise Invalid("officer.kpj_taken")
    return kpj
