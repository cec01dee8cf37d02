"""After a reported death: the sponsorship stops billing from the following month, reminders stop, prepaid later
months are listed for refund (DOMAIN.md §1.3), and the ASN is offered to sponsor a new worker."""

from __future__ import annotations

from db import claims as claim_data
from db.claim_rules import billing_ends
from db.models import Claim, Sponsorship, Worker
from handlers.claim_common import sponsor_chat
from handlers.core import Ctx
from handlers.format import format_rupiah, month_name
from handlers.i18n import Translator
from handlers.types import Reply


async def after_death(ctx: Ctx, claim: Claim) -> list[Reply]:
    """End the worker's open sponsorship; returns nothing to say to the reporter (the ASN and officers are told)."""
    sponsorship = await ctx.session.get(Sponsorship, claim.sponsorship_id) if claim.sponsorship_id else None
    worker = await ctx.session.get(Worker, claim.worker_id)
    if sponsorship is None or sponsorship.ended_at is not None or worker is None:
        return []
    sponsorship.ended_at = ctx.now  # no more ledger months, no more reminders (both skip ended sponsorships)
    last = billing_ends(claim.event_date)
    prepaid = [row for row in await claim_data.stop_billing_after(ctx.session, sponsorship.id, last)
               if row.status in ("paid", "paid_unverified")]
    total = format_rupiah(sum(row.amount for row in prepaid))

    def months(t: Translator) -> str:
        return ", ".join(month_name(row.period, t.language) for row in prepaid) or "-"

    def prepaid_line(t: Translator) -> str:  # said only when something was prepaid
        return t("claimfix.prepaid", months=months(t), total=total) if prepaid else ""
    chat = await sponsor_chat(ctx, claim)
    if chat is not None:
        await ctx.notify_chat(chat, key=f"claim:{claim.id}:billing_stopped", text_key="claims.asn_after_death",
                              name=worker.name, last=lambda t: month_name(last, t.language),
                              prepaid=prepaid_line)
    if prepaid:
        await ctx.notify_officers(key=f"claim:{claim.id}:refund", text_key="claims.officer_refund",
                                  reference=claim.reference or "", name=worker.name, months=months, total=total)
    return []


async def deceased_lines(ctx: Ctx, asn_id: int) -> list[str]:
    """For "Pekerja saya": the sponsor's workers who died, with their claim's reference and state."""
    return [ctx.t("claimfix.deceased_line", name=worker.name, reference=claim.reference or f"#{claim.id}",
                  state=ctx.t(f"claims.short_{claim.status}"))
            for claim, worker in await claim_data.deceased_of_asn(ctx.session, asn_id)]
