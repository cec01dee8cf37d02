""""Sudah bayar": the ASN says which month(s) were paid and sends the receipt; an officer verifies or rejects it
(handlers/contributions/receipt_review.py).

Also "Ingatkan nanti" (remind me tomorrow) on a reminder.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from db import ledger
from db.models import Contribution, Receipt, Sponsorship, StoredFile, Worker
from db.rules.months import Month, month_number
from handlers.contributions.receipt_checks import same_receipt
from handlers.engine.access import audit_notice
from handlers.engine.core import Ctx
from handlers.engine.format import format_date, format_rupiah, month_name, short_month
from handlers.engine.forms import SUMMARY, Field, Form, Stay, expect_text
from handlers.engine.types import Choice, Expect, File, Invalid, Option, Payload, Reply, record_id
from handlers.engine.uploads import forget_upload

DONE = "done"
MAX_OPTIONS = 12


async def owned_sponsorship(ctx: Ctx, sponsorship_id: int) -> tuple[Sponsorship, Worker] | None:
    """The sponsorship and its worker, only if this person's ASN holds it now: checked on every request."""
    asn = await ctx.asn()
    sponsorship = await ctx.session.get(Sponsorship, sponsorship_id) if asn else None
    if sponsorship is None or asn is None or sponsorship.asn_id != asn.id or sponsorship.ended_at is not None:
        return None
    worker = await ctx.session.get(Worker, sponsorship.worker_id)
    return (sponsorship, worker) if worker is not None else None


async def statuses(ctx: Ctx, sponsorship_id: int) -> dict[Month, Contribution]:
    return {row.period: row for row in await ledger.ledger(ctx.session, sponsorship_id)}


def last_payable(ctx: Ctx) -> Month:
    return Month.of(ctx.today) + ctx.program.contributions.prepay_months


async def payable_months(ctx: Ctx, sponsorship: Sponsorship, worker: Worker) -> list[Month]:
    """Unpaid months from the first month of cover through the prepay limit (arrears first)."""
    first = ledger.first_month(worker)
    if first is None:
        return []
    rows = await statuses(ctx, sponsorship.id)
    return [m for m in first.until(last_payable(ctx)) if m not in rows or rows[m].status == "due"][:MAX_OPTIONS]


async def check_month(ctx: Ctx, month: Month, sponsorship: Sponsorship, worker: Worker) -> None:
    first = ledger.first_month(worker)
    if first is None or month < first:
        raise Invalid("payment.before_start", first=month_name(first or month, ctx.t.language))
    if month > last_payable(ctx):
        raise Invalid("payment.beyond_prepay", last=month_name(last_payable(ctx), ctx.t.language),
                      months=ctx.program.contributions.prepay_months)
    row = (await statuses(ctx, sponsorship.id)).get(month)
    if row is not None and row.status != "due":
        raise Invalid("payment.already_paid", month=month_name(month, ctx.t.language))


def label(ctx: Ctx, month: Month, amount: int, selected: bool) -> str:
    return f"{'✅ ' if selected else ''}{short_month(month, ctx.t.language)} {format_rupiah(amount)}"


async def _context(ctx: Ctx) -> tuple[Sponsorship, Worker]:
    owned = await owned_sponsorship(ctx, ctx.answers["sponsorship"])
    if owned is None:
        raise Invalid("payment.not_yours")
    return owned


async def prompt_months(ctx: Ctx) -> Reply:
    sponsorship, worker = await _context(ctx)
    selected = {Month.from_key(k) for k in ctx.answers.get("_selected", [])}
    rules = ctx.core.rules
    options = [Option(f"m:{m.key()}", label(ctx, m, rules.amount(m, worker.occupation, sponsorship.funding),
                                            m in selected))
               for m in await payable_months(ctx, sponsorship, worker)]
    total = sum(rules.amount(m, worker.occupation, sponsorship.funding) for m in selected)
    text = ctx.t("payment.ask_months", name=worker.name, count=len(selected), total=format_rupiah(total))
    skipped = await overdue_skipped(ctx, sponsorship, worker, selected)
    if skipped:  # a later month chosen while an earlier one is overdue: cover needs every month
        text += "\n\n" + ctx.t("trial.overdue_skipped", months=", ".join(month_name(m, ctx.t.language)
                                                                          for m in skipped), name=worker.name)
    return Reply(text, tuple(options) + (Option(DONE, ctx.t("payment.done")),))


async def overdue_skipped(ctx: Ctx, sponsorship: Sponsorship, worker: Worker, selected: set[Month]) -> list[Month]:
    """Unpaid months past their due date, earlier than a month selected, and not selected themselves."""
    if not selected:
        return []
    rows = await statuses(ctx, sponsorship.id)
    latest = max(selected)
    return [m for m in await payable_months(ctx, sponsorship, worker) if m < latest and m not in selected
            and (rows[m].due_date if m in rows else ctx.core.rules.due_for(m, worker)) < ctx.today]


async def parse_months(ctx: Ctx, payload: Payload) -> list[str]:
    sponsorship, worker = await _context(ctx)
    selected = set(ctx.answers.get("_selected", []))
    if isinstance(payload, Choice) and payload.option == DONE:
        if not selected:
            raise Invalid("payment.none_selected")
        return sorted(selected)
    if isinstance(payload, Choice) and payload.option.startswith("m:"):
        try:
            month = Month.from_key(payload.option[2:])
        except ValueError:  # a forged button
            raise Invalid("common.choose_option") from None
    else:
        month = await _typed_month(ctx, expect_text(payload), sponsorship, worker)
    if month.key() not in selected:
        await check_month(ctx, month, sponsorship, worker)
    ctx.answers["_selected"] = sorted(selected ^ {month.key()})
    raise Stay


async def _typed_month(ctx: Ctx, text: str, sponsorship: Sponsorship, worker: Worker) -> Month:
    """"Nov 2026", or a month alone ("nov", "november", "11") when just one such month is listed."""
    try:
        return Month.parse(text)
    except ValueError:
        pass
    number = month_number(text)
    listed = [m for m in await payable_months(ctx, sponsorship, worker) if m.month == number]
    if len(listed) == 1:
        return listed[0]
    raise Invalid("payment.month_invalid")


async def prompt_receipt(ctx: Ctx) -> Reply:
    return Reply(ctx.t("payment.ask_receipt", max_mb=ctx.core.max_file_bytes // (1024 * 1024)), expect=Expect.FILE)


async def parse_receipt(ctx: Ctx, payload: Payload) -> int:
    if not isinstance(payload, File) or payload.kind not in ("photo", "document"):
        raise Invalid("payment.want_receipt")
    stored = await ctx.save_file(payload, "receipt")
    earlier = await same_receipt(ctx.session, stored)
    if earlier is not None:  # the same file (SHA-256) again: one payment is not two
        await forget_upload(ctx.session, ctx.core.files_dir, stored)
        raise Invalid("journey.receipt.same_again", id=earlier.id, status=ctx.t(f"status.receipt_{earlier.status}"),
                      date=format_date(ctx.local(earlier.created_at).date(), ctx.t.language))
    return stored.id


async def total_of(ctx: Ctx, month_keys: list[str]) -> str:
    sponsorship, worker = await _context(ctx)
    return format_rupiah(sum(ctx.core.rules.amount(Month.from_key(k), worker.occupation, sponsorship.funding)
                             for k in month_keys))


def show_months(ctx: Ctx, value: Any) -> str:
    return ", ".join(month_name(Month.from_key(k), ctx.t.language) for k in value)


class PaymentForm(Form):
    name = "pay"
    title = "payment"
    fields = (
        Field("months", prompt_months, parse_months, "payment.field_months", show_months),
        Field("receipt", prompt_receipt, parse_receipt, "payment.field_receipt", lambda ctx, v: ctx.t("paper.received")),
    )

    async def refuse(self, ctx: Ctx, arg: str | None) -> str | None:
        sponsorship_id = await self._sponsorship_of(ctx, arg)
        owned = await owned_sponsorship(ctx, sponsorship_id) if sponsorship_id else None
        if owned is None:
            return "payment.not_yours"
        return None if owned[1].status == "active" else "payment.not_active"

    async def _sponsorship_of(self, ctx: Ctx, arg: str | None) -> int | None:
        kind, _, text = (arg or "").partition(":")
        ident = record_id(text)
        if ident is None:
            return None
        if kind == "s":
            return ident
        row = await ctx.session.get(Contribution, ident)
        return row.sponsorship_id if row else None

    async def initial(self, ctx: Ctx, arg: str | None) -> dict[str, Any]:
        sponsorship_id = await self._sponsorship_of(ctx, arg)
        answers: dict[str, Any] = {"sponsorship": sponsorship_id, "_selected": []}
        contribution_id = record_id((arg or "")[2:]) if (arg or "").startswith("c:") else None
        if contribution_id is not None:
            row = await ctx.session.get(Contribution, contribution_id)
            if row is not None and row.status == "due":
                answers["_selected"] = [row.period.key()]
        return answers

    async def prompt(self, ctx: Ctx) -> Reply:
        if ctx.chat.step == SUMMARY:
            reply = self._summary(ctx)
            total = ctx.t("payment.total", total=await total_of(ctx, ctx.answers.get("months", [])))
            return Reply(f"{reply.text}\n{total}", reply.options, reply.expect)
        return await super().prompt(ctx)

    async def commit(self, ctx: Ctx) -> list[Reply]:
        answers = ctx.answers
        sponsorship, worker = await _context(ctx)
        months = [Month.from_key(k) for k in answers["months"]]
        for month in months:  # still unpaid and within the limits now, at the moment of saving
            await check_month(ctx, month, sponsorship, worker)
        await ledger.ensure_months(ctx.session, sponsorship=sponsorship, worker=worker, months=months,
                                   rules=ctx.core.rules)
        asn = await ctx.asn()
        assert asn is not None  # owned_sponsorship() said so
        receipt = Receipt(asn_id=asn.id, sponsorship_id=sponsorship.id, file_id=answers["receipt"],
                          status="pending", created_at=ctx.now)
        ctx.session.add(receipt)
        await ctx.session.flush()
        await ctx.session.execute(update(Contribution).where(
            Contribution.sponsorship_id == sponsorship.id, Contribution.period.in_(months),
            Contribution.status == "due").values(status="paid_unverified", receipt_id=receipt.id, updated_at=ctx.now))
        stored = await ctx.session.get(StoredFile, answers["receipt"])
        total = await total_of(ctx, answers["months"])
        await audit_notice(ctx, f"asn:{asn.id}", ["receipt"])  # the officers are shown the receipt file
        await ctx.notify_officers(
            key=f"receipt:{receipt.id}", text_key="officer.receipt", id=receipt.id, asn=asn.name, opd=asn.opd,
            name=worker.name, total=total, months=lambda t: ", ".join(month_name(m, t.language) for m in months),
            options=((f"!rcpt.ok:{receipt.id}", "officer.verify"), (f"!rcpt.no:{receipt.id}", "officer.reject")),
            attachment={"attachment": str(ctx.core.files_dir / stored.path), "attachment_mime": stored.mime_type}
            if stored else None)
        ctx.goto(None)
        return [Reply(ctx.t("payment.sent", name=worker.name, months=show_months(ctx, answers["months"]),
                            total=total)), await ctx.core.resume(ctx)]


# -- global actions on reminders and notifications -------------------------------------------------------------------

async def paid_action(ctx: Ctx, arg: str) -> list[Reply]:
    """"Sudah bayar" on a reminder: the payment form with that month already chosen."""
    return await ctx.core.flows["pay"].begin(ctx, f"c:{arg}")


async def pay_action(ctx: Ctx, arg: str) -> list[Reply]:
    return await ctx.core.flows["pay"].begin(ctx, f"s:{arg}")


async def later_action(ctx: Ctx, arg: str) -> list[Reply]:
    """"Ingatkan nanti": the same reminder again tomorrow morning (within the sending hours)."""
    ident = record_id(arg)
    row = await ctx.session.get(Contribution, ident) if ident is not None else None
    owned = await owned_sponsorship(ctx, row.sponsorship_id) if row else None
    if row is None or owned is None:
        return [Reply(ctx.t("payment.not_yours")), await ctx.core.resume(ctx)]
    if row.status != "due":
        return [Reply(ctx.t("payment.already_paid", month=month_name(row.period, ctx.t.language)))]
    settings = ctx.program.contributions
    tomorrow = ctx.today + timedelta(days=1)
    at = datetime.combine(tomorrow, settings.send_from, tzinfo=ctx.core.zone)
    await ctx.notify_chat(ctx.chat, key=f"snooze:{row.id}:{tomorrow.isoformat()}", text_key="reminder.again",
                          name=owned[1].name, month=lambda t: month_name(row.period, t.language),
                          amount=format_rupiah(row.amount), due=lambda t: format_date(row.due_date, t.language),
                          options=((f"!paid:{row.id}", "reminder.paid"), (f"!later:{row.id}", "reminder.later")),
                          not_before=at, quiet=True)
    return [Reply(ctx.t("reminder.snoozed", time=settings.send_from.strftime("%H:%M"))), await ctx.core.resume(ctx)]
