"""Officers' reads of personal data are audited, not only their actions (UU PDP Pasal 31: record all processing).

Every screen that shows an officer a full NIK, phone number or a document writes one audit row per person shown:
who looked (the officer), whose data (the target), which fields, when. `tuwai audit` lists and exports them.
"""

from __future__ import annotations

from db import queries
from handlers.context import Ctx

VIEW = "view"


async def audit_view(ctx: Ctx, target: str, fields: list[str]) -> None:
    """One audit row: this officer was shown these fields of this person ("worker:12", "asn:3")."""
    await queries.audit(ctx.session, actor=ctx.actor, action=VIEW, target=target, now=ctx.now, fields=fields)


async def audit_notice(ctx: Ctx, target: str, fields: list[str]) -> None:
    """A notice that shows the officers a full NIP, NIK, phone or a document: one row per officer it goes to."""
    for channel, address in sorted(await ctx.core.officers(ctx.session)):
        await queries.audit(ctx.session, actor=f"{channel}:{address}", action=VIEW, target=target, now=ctx.now,
                            fields=fields, via="notice")
