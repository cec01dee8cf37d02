"""One death, one claim, any number of reporters. A later reporter of a death already reported joins its claim
(never blocked by a report someone else saved and left); an officer may make a further reporter the main one (who
sends the documents and whose account of the event the claim carries); when the main reporter withdraws or their
draft expires, the next reporter takes over. Documents of a reporter who left stay for the record, no longer
counted in the checklist.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from db import claims as claim_data
from db import queries
from db.models import Chat, Claim, ClaimReporter
from handlers.claims.common import accident_deadline, estimate_for, load
from handlers.claims.officer import open_action
from handlers.engine.access import refuse_non_officer
from handlers.engine.core import Ctx
from handlers.engine.types import Reply, record_id


def further_reporter(claim_id: int, chat_id: int, answers: dict[str, Any], *, now: datetime) -> ClaimReporter:
    """A report's answers (handlers.claims.report) as a further reporter of `claim_id`."""
    return ClaimReporter(claim_id=claim_id, chat_id=chat_id, name=answers["reporter"], relation=answers["relation"],
                         phone=answers["phone"], is_heir=bool(answers.get("heir")),
                         consent_at=datetime.fromisoformat(answers["consent"]), kind=answers["kind"],
                         event_date=date.fromisoformat(answers["when"]), place=answers["place"],
                         description=answers["description"], created_at=now)


async def join_claim(ctx: Ctx, claim: Claim) -> list[Reply]:
    """This report joins `claim` (the same death): saved as a further reporter, the officers told to decide."""
    ctx.session.add(further_reporter(claim.id, ctx.chat.id, ctx.answers, now=ctx.now))
    await claim_data.change_status(ctx.session, claim, claim.status, actor=ctx.actor, now=ctx.now,
                                   note="a further report of the same death")
    await queries.audit(ctx.session, actor=ctx.actor, action="claim_report_joined", target=f"claim:{claim.id}",
                        now=ctx.now)
    await ctx.notify_officers(key=f"claim:{claim.id}:joined:{ctx.chat.id}", text_key="claimtrust.officer_joined",
                              reference=claim.reference or f"#{claim.id}",
                              options=((f"!klm.open:{claim.id}", "claims.open"),))
    lines = [ctx.t("claimtrust.joined", reference=claim.reference or f"#{claim.id}")]
    if ctx.answers["kind"] != "jkm":  # a work accident: the 2 x 24 hours hold for this reporter too
        lines.append(accident_deadline(ctx, ctx.answers["kind"], date.fromisoformat(ctx.answers["when"])))
    ctx.goto(None)
    return [Reply("\n".join(lines)), await ctx.core.resume(ctx)]


async def swap_main(ctx: Ctx, claim: Claim, other: ClaimReporter, *, keep_former: bool) -> Chat | None:
    """`other` becomes the claim's main reporter, with their account of the event; the main reporter until now
    becomes a further reporter (`keep_former`) or leaves. A draft's documents were the former reporter's: they no
    longer count. Returns the former main reporter's chat."""
    former = ClaimReporter(claim_id=claim.id, chat_id=claim.reporter_chat_id, name=claim.reporter_name,
                           relation=claim.reporter_relation, phone=claim.reporter_phone,
                           is_heir=claim.reporter_is_heir, consent_at=claim.reporter_consent_at, kind=claim.kind,
                           event_date=claim.event_date, place=claim.place, description=claim.description,
                           created_at=claim.created_at)
    claim.reporter_chat_id, claim.reporter_name, claim.reporter_relation = other.chat_id, other.name, other.relation
    claim.reporter_phone, claim.reporter_is_heir = other.phone, other.is_heir
    claim.reporter_consent_at = other.consent_at
    if claim.death_confirmed_at is None:  # an accepted death keeps the date and kind the officer checked
        claim.kind, claim.event_date = other.kind, other.event_date
    claim.place, claim.description = other.place, other.description
    await ctx.session.delete(other)
    await ctx.session.flush()
    if keep_former:
        ctx.session.add(former)
    if claim.status == claim_data.DRAFT:
        await claim_data.supersede_documents(ctx.session, claim.id, now=ctx.now)
    loaded = await load(ctx, claim.id)
    if loaded is not None:
        _, result = await estimate_for(ctx, loaded[1], claim.kind, claim.event_date)
        claim.estimate, claim.scholarship = result.total, result.scholarship
    return await ctx.session.get(Chat, former.chat_id)


async def hand_over(ctx: Ctx, claim: Claim, why: str) -> bool:
    """The main reporter leaves (`why`: withdrawn | expired): the first further reporter takes over, told so.
    False when there is none (the claim closes)."""
    others = await claim_data.co_reporters(ctx.session, claim.id)
    if not others:
        return False
    await swap_main(ctx, claim, others[0], keep_former=False)
    await claim_data.change_status(ctx.session, claim, claim.status, actor=ctx.actor, now=ctx.now,
                                   note=f"main reporter {why}; the next reporter takes over")
    await _tell_new_main(ctx, claim, "claimtrust.you_are_main_now")
    return True


async def main_action(ctx: Ctx, arg: str) -> list[Reply]:
    """"!klm.main:<claim>:<reporter>": an officer makes a further reporter the claim's main reporter."""
    claim_arg, _, reporter_arg = arg.partition(":")
    refusal = await refuse_non_officer(ctx, "claim_main_reporter", f"claim:{claim_arg}")
    if refusal:
        return refusal
    loaded = await load(ctx, record_id(claim_arg))
    ident = record_id(reporter_arg)
    other = await ctx.session.get(ClaimReporter, ident) if ident is not None else None
    if loaded is None or other is None or other.claim_id != loaded[0].id or loaded[0].status in claim_data.CLOSED:
        return [Reply(ctx.t("claims.not_now")), await ctx.core.resume(ctx)]
    claim = loaded[0]
    former = await swap_main(ctx, claim, other, keep_former=True)
    await claim_data.change_status(ctx.session, claim, claim.status, actor=ctx.actor, now=ctx.now,
                                   note=f"main reporter is now {claim.reporter_name}")
    await queries.audit(ctx.session, actor=ctx.actor, action="claim_main_reporter", target=f"claim:{claim.id}",
                        now=ctx.now, reporter=claim.reporter_chat_id)
    await _tell_new_main(ctx, claim)
    if former is not None:
        await ctx.notify_chat(former, key=f"claim:{claim.id}:not_main:{ctx.now.timestamp():.0f}",
                              text_key="claimtrust.no_longer_main", reference=claim.reference or f"#{claim.id}")
    return [Reply(ctx.t("claimtrust.main_changed", name=claim.reporter_name)), *await open_action(ctx, str(claim.id))]


async def _tell_new_main(ctx: Ctx, claim: Claim, text_key: str = "claimtrust.you_are_main") -> None:
    chat = await ctx.session.get(Chat, claim.reporter_chat_id)
    if chat is None:
        return
    gathering = claim.status in ("documents", "more_docs")
    await ctx.notify_chat(chat, key=f"claim:{claim.id}:main:{chat.id}:{ctx.now.timestamp():.0f}",
                          text_key=text_key, reference=claim.reference or f"#{claim.id}",
                          options=((f"!klm.docs:{claim.id}", "claims.send_docs"),) if gathering else ())
