"""Officers only, and seen to be: every officer action is checked against the officer list on every request (a
refusal is audited), officers' reads of personal data are audited, not only their actions (UU PDP Pasal 31: record
all processing), and an officer's deliberate decision (a rejection) takes a reason the person will read.

Every screen that shows an officer a full NIK, phone number or a document writes one audit row per person shown:
who looked (the officer), whose data (the target), which fields, when. `tuwai audit` lists and exports them.
"""

from __future__ import annotations

from db import queries
from handlers.engine.context import Ctx
from handlers.engine.forms import expect_text
from handlers.engine.types import Choice, Invalid, Option, Payload, Reply

MAX_REASON = 300
VIEW = "view"


async def audit_view(ctx: Ctx, target: str, fields: list[str]) -> None:
    """One audit row: this officer was shown these fields of this person ("worker:12", "asn:3")."""
    await queries.audit(ctx.session, actor=ctx.actor, action=VIEW, target=target, now=ctx.now, fields=fields)


async def audit_notice(ctx: Ctx, target: str, fields: list[str]) -> None:
    """A notice that shows the officers a full NIP, NIK, phone or a document: one row per officer it goes to."""
    for channel, address in sorted(await ctx.core.officers(ctx.session)):
        await queries.audit(ctx.session, actor=f"{channel}:{address}", action=VIEW, target=target, now=ctx.now,
                            fields=fields, via="notice")


def officer_origin(ctx: Ctx) -> dict[str, str]:
    """Where an officer's form was opened from (a to-do list or the officer menu), to go back there after it."""
    here = ctx.chat.step if ctx.chat.flow == "officer" and ctx.chat.step in ctx.core.todos else "menu"
    return {"_back": here}


def back_to_officer(ctx: Ctx) -> None:
    """After an officer's action: back to the list or officer menu it came from (the main menu for others)."""
    back = ctx.answers.get("_back")
    if back is None:
        ctx.goto(None)
    else:
        ctx.goto("officer", back if back in ctx.core.todos else "menu")


async def refuse_non_officer(ctx: Ctx, action: str, target: str | None = None) -> list[Reply] | None:
    """None for an officer; otherwise a polite refusal, and the attempt goes in the audit log."""
    if await ctx.is_officer():
        return None
    await queries.audit(ctx.session, actor=ctx.actor, action="denied", target=target, now=ctx.now,
                        attempted=action)
    return [Reply(ctx.t("officer.denied")), await ctx.core.resume(ctx)]


def reason_options(ctx: Ctx, reasons: tuple[str, ...]) -> tuple[Option, ...]:
    return tuple(Option(f"r:{key}", ctx.t(f"journey.reason.{key}")) for key in reasons)


def reason_parser(reasons: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """A chosen reason (its text in the officer's language) or a typed one (3 to 300 characters)."""
    async def parse(ctx: Ctx, payload: Payload) -> str:
        if isinstance(payload, Choice):
            key = payload.option[2:] if payload.option.startswith("r:") else ""
            if key not in reasons:
                raise Invalid("common.choose_option")
            return ctx.t(f"journey.reason.{key}")
        reason = expect_text(payload)  # cleaned by the core (handlers/engine/text_clean.py)
        if not 3 <= len(reason) <= MAX_REASON:
            raise Invalid("officer.reason_length", max=MAX_REASON)
        return reason
    return parse
