"""BPJS start dates an officer records: within the enrolment (minus a configured tolerance) and today.

A start date years back made a worker owe hundreds of months and lapse at once; every date an officer records goes
through `checked_start`, whose errors give the allowed range and an example that fits the question.
"""

from __future__ import annotations

from datetime import date, timedelta

from db.models import Sponsorship, Worker
from handlers.context import Ctx
from handlers.format import format_date
from handlers.forms import expect_text
from handlers.parsers import Invalid, parse_date
from handlers.types import Choice, Payload

TODAY = "today"


def allowed_starts(ctx: Ctx, worker: Worker, sponsorship: Sponsorship | None = None) -> tuple[date, date]:
    """(earliest, latest) start dates: from the enrolment, or the lapse when reactivating, minus
    `[program] bpjs_start_tolerance_days`, through today (programme time zone)."""
    since = ctx.local(worker.created_at).date()
    if sponsorship is not None and sponsorship.lapsed_at is not None:
        since = max(since, ctx.local(sponsorship.lapsed_at).date())
    return since - timedelta(days=ctx.program.bpjs_start_tolerance_days), ctx.today


def checked_start(ctx: Ctx, payload: Payload, worker: Worker, sponsorship: Sponsorship | None = None) -> date:
    """The start date typed (or "today" chosen); Invalid with the allowed range when it is outside it."""
    first, last = allowed_starts(ctx, worker, sponsorship)
    params = {"first": format_date(first, ctx.t.language), "last": format_date(last, ctx.t.language),
              "example": last.strftime("%d-%m-%Y")}
    if isinstance(payload, Choice) and payload.option == TODAY:
        when = ctx.today
    else:
        try:
            # A far "today", so that a future date is refused below with the allowed range, not as a birth date.
            when = parse_date(expect_text(payload), today=ctx.today + timedelta(days=3650))
        except Invalid as error:
            if error.key.startswith("input."):  # a photo, a sticker...: said as it is
                raise
            raise Invalid("journey.start.invalid", **params) from None
    if not first <= when <= last:
        raise Invalid("journey.start.range", date=format_date(when, ctx.t.language), **params)
    return when
