"""After an officer accepts a death: the sponsorship stops billing from the following month, reminders stop,
prepaid later months are listed for refund (DOMAIN.md §1.3), and the ASN is offered to sponsor a new worker.
After an officer reverses an acceptance that was wrong: the sponsorship, its ledger and its reminders come back.

A report alone never gets here: until an officer has seen the death certificate, nothing changes for the worker.
"""

from __future__ import annotations

from db import claims as claim_data
from db import ledger, queries
from db.models import Chat, Claim, Sponsorship, Worker
from db.rules.claims import billing_ends
from db.rules.months import Month
from handlers.claims.common import sponsor_chat
from handlers.engine.core import Ctx
from handlers.engine.format import format_date, format_rupiah, month_name
from handlers.engine.i18n import Translator
from handlers.workers.coverage import month_ranges


async def after_death(ctx: Ctx, claim: Claim) -> None:
    """End the worker's open sponsorship after an accepted death; the ASN and officers are told."""
    sponsorship = await ctx.session.get(Sponsorship, claim.sponsorship_id) if claim.sponsorship_id else None
    worker = await ctx.session.get(Worker, claim.worker_id)
    if sponsorship is None or sponsorship.ended_at is not None or worker is None:
        return
    sponsorship.ended_at = ctx.now  # no more ledger months, no more reminders (both skip ended sponsorships)
    last = billing_ends(claim.event_date)
    prepaid = [row for row in await claim_data.stop_billing_after(ctx.session, sponsorship.id, last)
               if row.status in ("paid", "paid_unverified")]
    total = format_rupiah(sum(row.amount for row in prepaid))

    def months(t: Translator) -> str:
        return ", ".join(month_name(row.period, t.language) for row in prepaid) or "-"

    def prepaid_line(t: Translator) -> str:  # said only when something was prepaid
        return t("claimfix.prepaid", months=months(t), total=total) if prepaid else ""
    owed = [row.period for row in await ledger.ledger(ctx.session, sponsorship.id)
            if row.period <= last and row.status not in ("paid", "paid_unverified")]

    def unpaid_line(t: Translator) -> str:  # months still owed up to the death: paying them may help the claim
        return t("claimtrust.unpaid_before_death", months=month_ranges(owed, t.language)) if owed else ""
    chat = await sponsor_chat(ctx, claim)
    if chat is not None:
        await ctx.notify_chat(chat, key=f"claim:{claim.id}:billing_stopped", text_key="claims.asn_after_death",
                              name=worker.name, last=lambda t: month_name(last, t.language),
                              prepaid=prepaid_line, unpaid=unpaid_line)
    if prepaid:
        await ctx.notify_officers(key=f"claim:{claim.id}:refund", text_key="claims.officer_refund",
                                  reference=claim.reference or "", name=worker.name, months=months, total=total)


async def restore_after_reversal(ctx: Ctx, claim: Claim) -> bool:
    """Undo `after_death`: the sponsorship that the accepted death ended is open again and its ledger months after
    the death are planned again (reminders follow from them). False when it cannot be: the worker has another open
    sponsorship now (an officer sorts that out)."""
    sponsorship = await ctx.session.get(Sponsorship, claim.sponsorship_id) if claim.sponsorship_id else None
    worker = await ctx.session.get(Worker, claim.worker_id)
    if sponsorship is None or worker is None or sponsorship.ended_at is None:
        return sponsorship is not None
    if await queries.open_sponsorship(ctx.session, worker.id) is not None:
        return False
    sponsorship.ended_at = None
    await ctx.session.flush()
    first = billing_ends(claim.event_date) + 1
    if worker.status == "active" and worker.bpjs_start is not None:
        start = max(first, Month.of(worker.bpjs_start))
        await ledger.ensure_months(ctx.session, sponsorship=sponsorship, worker=worker,
                                   months=start.until(Month.of(ctx.today)), rules=ctx.core.rules)
    return True


async def tell_worker(ctx: Ctx, claim: Claim, text_key: str, **params: object) -> None:
    """The worker hears what was said about them, where they consented to the programme from their own chat."""
    worker = await ctx.session.get(Worker, claim.worker_id)
    if worker is None or worker.consent_at is None or worker.consent_chat_id is None:
        return
    chat = await ctx.session.get(Chat, worker.consent_chat_id)
    if chat is not None:
        await ctx.notify_chat(chat, key=f"claim:{claim.id}:worker:{text_key}:{ctx.now.timestamp():.0f}",
                              text_key=text_key, reference=claim.reference or "",
                              kind=lambda t: t(f"claims.kind_long_{claim.kind}"), program=ctx.program.name, **params)


async def tell_sponsor(ctx: Ctx, claim: Claim, text_key: str, **params: object) -> None:
    """The sponsor hears, in the words of `text_key`, about a report on their worker that nobody has accepted yet
    (received, rejected, withdrawn) or about an accepted death reversed: never as news of a death."""
    chat = await sponsor_chat(ctx, claim)
    worker = await ctx.session.get(Worker, claim.worker_id)
    if chat is not None and worker is not None:
        await ctx.notify_chat(chat, key=f"claim:{claim.id}:asn:{text_key}:{ctx.now.timestamp():.0f}",
                              text_key=text_key, reference=claim.reference or f"#{claim.id}", name=worker.name,
                              kind=lambda t: t(f"claims.kind_long_{claim.kind}"),
                              date=lambda t: format_date(claim.event_date, t.language), **params)
