"""A reporter withdraws their report, after a confirmation, audited. A withdrawn report leaves the worker exactly
as before; the sponsor and (if they consented) the worker hear it was withdrawn, where they had heard of it.
When someone else reported the same event too, they take the claim over instead of it closing
(handlers.claims.reporters). A death an officer has accepted is not withdrawn by a reporter: an officer reverses it.
"""

from __future__ import annotations

from db import claims as claim_data
from db import queries
from db.models import Claim
from handlers.claims.after import tell_sponsor, tell_worker
from handlers.claims.common import access, load
from handlers.claims.reporters import hand_over
from handlers.engine.core import Ctx
from handlers.engine.types import Choice, Expect, Option, Payload, Reply, record_id

WITHDRAWABLE = ("documents", "review", "more_docs")  # once forwarded to BPJS, an officer handles it
YES, NO = "yes", "no"


async def may_withdraw(ctx: Ctx, claim: Claim) -> bool:
    """This chat reported the claim, and it can still be withdrawn (not with BPJS, no accepted death)."""
    if claim.status not in WITHDRAWABLE or claim.death_confirmed_at is not None:
        return False
    return await access(ctx, claim) in ("reporter", "co_reporter")


class ClaimWithdraw:
    name = "claim_withdraw"

    async def begin(self, ctx: Ctx, arg: str | None = None) -> list[Reply]:
        loaded = await load(ctx, record_id(arg))
        if loaded is None or not await may_withdraw(ctx, loaded[0]):
            return [Reply(ctx.t("claims.not_found")), await ctx.core.resume(ctx)]
        ctx.goto(self.name, "confirm", {"claim": loaded[0].id})
        return [await self.prompt(ctx)]

    async def prompt(self, ctx: Ctx) -> Reply:
        loaded = await load(ctx, ctx.answers.get("claim"))
        reference = (loaded[0].reference or f"#{loaded[0].id}") if loaded else "-"
        return Reply(ctx.t("claimtrust.withdraw_confirm", reference=reference),
                     (Option(YES, ctx.t("claimtrust.withdraw_yes")), Option(NO, ctx.t("claimtrust.withdraw_no"))),
                     Expect.OPTION)

    async def handle(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        choice = payload.option if isinstance(payload, Choice) else None
        if choice == NO:
            return await ctx.core.flows["claims"].begin(ctx)
        if choice != YES:
            return [Reply(ctx.t("common.choose_option")), await self.prompt(ctx)]
        loaded = await load(ctx, ctx.answers.get("claim"))
        if loaded is None or not await may_withdraw(ctx, loaded[0]):  # changed meanwhile (an officer acted)
            ctx.goto(None)
            return [Reply(ctx.t("claims.not_now")), await ctx.core.resume(ctx)]
        claim = loaded[0]
        await queries.audit(ctx.session, actor=ctx.actor, action="claim_report_withdrawn",
                            target=f"claim:{claim.id}", now=ctx.now)
        key = await self._withdraw(ctx, claim)
        ctx.goto(None)
        return [Reply(ctx.t(key, reference=claim.reference or f"#{claim.id}")), await ctx.core.resume(ctx)]

    async def _withdraw(self, ctx: Ctx, claim: Claim) -> str:
        """Withdraw this chat's report of `claim`; returns the catalogue key of what happened."""
        mine = await claim_data.co_reporter_of(ctx.session, claim.id, ctx.chat.id)
        if mine is not None:  # a further reporter leaves; the claim goes on
            await ctx.session.delete(mine)
            await claim_data.change_status(ctx.session, claim, claim.status, actor=ctx.actor, now=ctx.now,
                                           note="a further reporter withdrew their report")
            return "claimtrust.withdrawn_co"
        if await hand_over(ctx, claim, "withdrawn"):
            return "claimtrust.withdrawn_handed_over"
        announced = claim.submitted_at is not None  # the sponsor and officers heard of it when it was submitted
        await claim_data.change_status(ctx.session, claim, "withdrawn", actor=ctx.actor, now=ctx.now)
        if announced:
            await tell_sponsor(ctx, claim, "claimtrust.asn_report_withdrawn")
            await tell_worker(ctx, claim, "claimtrust.worker_report_withdrawn")
            await ctx.notify_officers(key=f"claim:{claim.id}:withdrawn", text_key="claimtrust.officer_withdrawn",
                                      reference=claim.reference or f"#{claim.id}")
        return "claimtrust.withdrawn"
