"""An officer decides whether a reported death is a fact. A report is a claim, not a fact: until an officer has seen
the death certificate and accepts the death, nothing changes for the worker (sponsorship, ledger, reminders), and
the sponsor is told only that a report is being checked. Accepting ends the sponsorship's billing
(handlers.claim_after.after_death); an acceptance that was wrong is reversed, which restores them, audited.
"""

from __future__ import annotations

from datetime import date

from db import claims as claim_data
from db.models import Chat, Claim
from handlers.answers.date_parser import parse_date
from handlers.claims.after import after_death, restore_after_reversal, tell_sponsor, tell_worker
from handlers.claims.common import estimate_for, estimate_lines, load, tell
from handlers.claims.decisions import ClaimDecision, parse_note
from handlers.claims.report import earliest_date
from handlers.engine.core import Ctx
from handlers.engine.format import format_date
from handlers.engine.forms import Field, expect_text, prompt_text
from handlers.engine.i18n import Translator
from handlers.engine.types import Choice, Invalid, Option, Payload, Reply, record_id

DEATH_CERTIFICATE = "death_certificate"
AS_REPORTED = "as_reported"


async def has_certificate(ctx: Ctx, claim: Claim) -> bool:
    """A death certificate is among the documents the claim's reporters sent (earlier reporters' count too: an
    officer can look at it)."""
    return any(document.doc == DEATH_CERTIFICATE
               for document, _ in await claim_data.documents(ctx.session, claim.id, superseded=True))


async def prompt_died_on(ctx: Ctx) -> Reply:
    loaded = await load(ctx, ctx.answers.get("claim"))
    reported = format_date(loaded[0].event_date, ctx.t.language) if loaded else "-"
    return Reply(ctx.t("claimtrust.ask_died_on", date=reported),
                 (Option(AS_REPORTED, ctx.t("claimtrust.as_reported", date=reported)),))


async def parse_died_on(ctx: Ctx, payload: Payload) -> str:
    """The date of death as the certificate says (the reported one, or typed), not before enrolment."""
    loaded = await load(ctx, ctx.answers.get("claim"))
    if loaded is None:
        raise Invalid("officer.not_found")
    if isinstance(payload, Choice) and payload.option == AS_REPORTED:
        return loaded[0].event_date.isoformat()
    day = parse_date(expect_text(payload), today=ctx.today)
    if day < earliest_date(ctx, loaded[1]):
        raise Invalid("claims.before_enrolment", date=format_date(earliest_date(ctx, loaded[1]), ctx.t.language))
    return day.isoformat()


class AcceptDeath(ClaimDecision):
    """The officer saw the death certificate: the death is a fact, and the sponsorship stops billing after it."""

    name, title, action, audit_action = "claim_death", "claimtrust_accept", "dead", "claim_death_accepted"
    fields = (Field("died_on", prompt_died_on, parse_died_on, "claimtrust.field_died_on",
                    lambda ctx, v: format_date(date.fromisoformat(v), ctx.t.language)),)

    async def refuse(self, ctx: Ctx, arg: str | None) -> str | None:
        reason = await super().refuse(ctx, arg)
        if reason is not None:
            return reason
        loaded = await load(ctx, record_id(arg))
        return None if loaded and await has_certificate(ctx, loaded[0]) else "claimtrust.no_certificate"

    async def apply(self, ctx: Ctx, claim: Claim) -> tuple[str, str | None]:
        claim.death_confirmed_at, claim.death_confirmed_by = ctx.now, ctx.actor
        claim.event_date = date.fromisoformat(ctx.answers["died_on"])
        return claim.status, f"death accepted (certificate seen), died {claim.event_date.isoformat()}"

    async def announce(self, ctx: Ctx, claim: Claim, status: str) -> None:
        await tell(ctx, claim, "death_accepted", to_sponsor=False)
        await tell_estimate(ctx, claim)
        await after_death(ctx, claim)  # the sponsor's condolences, billing stopped, refunds to officers


async def tell_estimate(ctx: Ctx, claim: Claim) -> None:
    """The main reporter, when they said they are the heir, hears the worker's own estimate (months paid, amounts)
    once an officer has accepted the death with its documents seen (the family card and the heir letter among
    them): until then they read the rules in general terms only."""
    loaded = await load(ctx, claim.id)
    reporter = await ctx.session.get(Chat, claim.reporter_chat_id)
    if loaded is None or reporter is None:
        return
    if not claim.reporter_is_heir:  # a neighbour who reported: the heirs hear the estimate from the officer
        await ctx.notify_chat(reporter, key=f"claim:{claim.id}:estimate:{ctx.now.timestamp():.0f}",
                              text_key="claimtrust.accepted_general", reference=claim.reference or f"#{claim.id}")
        return
    _, result = await estimate_for(ctx, loaded[1], claim.kind, claim.event_date)
    claim.estimate, claim.scholarship = result.total, result.scholarship

    def lines(t: Translator) -> str:
        return "\n".join(estimate_lines(t, result))
    await ctx.notify_chat(reporter, key=f"claim:{claim.id}:estimate:{ctx.now.timestamp():.0f}",
                          text_key="claimtrust.accepted_estimate", reference=claim.reference or f"#{claim.id}",
                          estimate=lines)


class ReverseDeath(ClaimDecision):
    """An accepted death was wrong (the worker is alive): the claim is rejected with the reason, the acceptance
    undone, and the sponsorship, its ledger and its reminders restored."""

    name, title, action, audit_action = "claim_undo", "claimtrust_undo", "undo", "claim_death_reversed"
    fields = (Field("reason", prompt_text("claimtrust.ask_undo_reason"), parse_note, "claims.field_reason",
                    lambda ctx, v: v),)

    async def apply(self, ctx: Ctx, claim: Claim) -> tuple[str, str | None]:
        claim.death_confirmed_at, claim.death_confirmed_by = None, None
        claim.reason = ctx.answers["reason"]
        restored = await restore_after_reversal(ctx, claim)
        ctx.answers["_restored"] = restored
        return "rejected", f"death reversed: {claim.reason}" + ("" if restored else " (sponsorship not restored)")

    async def announce(self, ctx: Ctx, claim: Claim, status: str) -> None:
        await tell(ctx, claim, status, to_sponsor=False)
        restored = bool(ctx.answers.get("_restored"))
        await tell_sponsor(ctx, claim, "claimtrust.asn_death_reversed" if restored
                            else "claimtrust.asn_death_reversed_not_restored", reason=claim.reason or "-")
        await tell_worker(ctx, claim, "claimtrust.worker_death_reversed")
        if not restored:
            await ctx.notify_officers(key=f"claim:{claim.id}:not_restored", text_key="claimtrust.officer_not_restored",
                                      reference=claim.reference or f"#{claim.id}")
