"""Planned from the database at each heartbeat: the officers' daily digest of untouched claims, and the yearly
scholarship reminder to families who may qualify (DOMAIN.md §2.1: the scholarship is claimed every year)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from db import claims as claim_data
from db import queries
from db.models import Chat, Claim
from handlers.claims.reporters import hand_over
from handlers.engine.core import Core, Ctx
from handlers.engine.format import format_date
from handlers.engine.i18n import Translator
from handlers.engine.types import Event, Reply, Text, reply_to_payload

REMIND_WITHIN_DAYS = 30  # after downtime, a yearly reminder older than this is skipped


async def plan_claims(core: Core, session: Any, today: date, now: datetime, digest: bool) -> int:
    """Queue what is due; returns how many digests were queued."""
    await scholarship_reminders(core, session, today, now)
    await expire_drafts(core, session, now)
    return await claims_digest(core, session, today, now) if digest else 0


def planner_ctx(core: Core, session: Any, chat: Chat, now: datetime) -> Ctx:
    """What a flow's helpers need to act for the programme itself (the actor "system"), about `chat`."""
    event = Event("system", "planner", f"planner:{now.isoformat()}", Text(""))
    return Ctx(core=core, session=session, chat=chat, event=event, now=now,
               t=Translator(core.catalog, chat.language), answers={}, acting_as="system")


async def expire_drafts(core: Core, session: Any, now: datetime) -> None:
    """Drafts nobody touched for `draft_days` close (a saved report never blocks the real family): the next reporter
    of the same event takes over if there is one, else the draft expires. A few days before, the reporter is
    reminded once."""
    settings = core.program.claims
    for claim in await claim_data.stale_drafts(session, before=now - timedelta(days=settings.draft_days)):
        chat = await session.get(Chat, claim.reporter_chat_id)
        ctx = planner_ctx(core, session, chat, now)
        if await hand_over(ctx, claim, "expired"):
            continue
        await claim_data.change_status(session, claim, "expired", actor="system", now=now,
                                       note=f"not submitted in {settings.draft_days} days")
        await ctx.notify_chat(chat, key=f"claim:{claim.id}:expired", text_key="claimtrust.draft_expired",
                              reference=claim.reference or f"#{claim.id}", days=settings.draft_days)
    warn_before = now - timedelta(days=settings.draft_days - settings.draft_warning_days)
    for claim in await claim_data.stale_drafts(session, before=warn_before):
        chat = await session.get(Chat, claim.reporter_chat_id)
        closes = (claim.updated_at + timedelta(days=settings.draft_days)).astimezone(core.zone).date()
        await planner_ctx(core, session, chat, now).notify_chat(
            chat, key=f"claim:{claim.id}:draft_warning:{claim.updated_at.timestamp():.0f}",
            text_key="claimtrust.draft_warning", reference=claim.reference or f"#{claim.id}",
            date=lambda t: format_date(closes, t.language), options=((f"!klm.docs:{claim.id}", "claims.send_docs"),))


async def claims_digest(core: Core, session: Any, today: date, now: datetime) -> int:
    """Once a day, each officer: submitted claims nobody has touched for `untouched_days` (none: no message)."""
    days = core.program.claims.untouched_days
    stale = await claim_data.untouched(session, before=now - timedelta(days=days))
    if not stale:
        return 0
    sent = 0
    for channel, address in sorted(await core.officers(session)):
        t = Translator(core.catalog, await queries.chat_language(session, channel=channel, address=address))
        lines = [t("claims.digest_title", days=days)]
        lines += [t("claims.officer_line", reference=c.reference, kind=t(f"claims.kind_long_{c.kind}"),
                    state=t(f"claims.short_{c.status}"), days=(now - c.updated_at).days) for c in stale]
        sent += await queries.enqueue(session, key=f"claims_digest:{today.isoformat()}:{channel}:{address}",
                                      channel=channel, address=address, now=now, quiet=True,
                                      payload=reply_to_payload(Reply("\n".join(lines))))
    return sent


def anniversary(paid_on: date, year: int) -> date:
    return paid_on.replace(year=year) if (paid_on.month, paid_on.day) != (2, 29) else date(year, 3, 1)


async def scholarship_reminders(core: Core, session: Any, today: date, now: datetime) -> None:
    """Each year on the payout's anniversary, remind the reporter to claim the children's scholarship."""
    query = (select(Claim, Chat.channel, Chat.address, Chat.language).join(Chat, Chat.id == Claim.reporter_chat_id)
             .where(Claim.status == "paid", Claim.scholarship.is_(True), Claim.paid_on.is_not(None)))
    for claim, channel, address, language in (await session.execute(query)).all():
        due = anniversary(claim.paid_on, today.year)
        if due.year <= claim.paid_on.year or not due <= today < due + timedelta(days=REMIND_WITHIN_DAYS):
            continue
        t = Translator(core.catalog, language)
        await queries.enqueue(session, key=f"scholarship:{claim.id}:{due.year}", channel=channel, address=address,
                              now=now, quiet=True, payload=reply_to_payload(Reply(
                                  t("claims.scholarship_yearly", reference=claim.reference or ""))))
