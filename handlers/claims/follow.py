"""Following a claim from another chat: a family member who reported on Telegram writes on WhatsApp (or the other
way round, or from a new phone), types the claim's reference, and the claim moves to the new chat.

The new chat proves it is the reporter's by its own number as the channel vouches for it (WhatsApp: the sender's number;
Telegram: the person's own shared contact), equal to the number given in the report; otherwise by a one-time code sent
to the chat the claim was reported from (`handlers.registration.one_time_code`), limited as the ASN's codes are
(`handlers.registration.code_guard`: per claim and per asking chat per hour, wrong codes per claim from all chats lock
it until an officer unlocks it; the reporter's «Bukan saya» locks it too). Anyone else learns nothing: a reference that
does not exist, a number that does not match and a code withheld get the same answer, and the same "wrong code" after
it. Each reference tried from a chat without access counts toward the lookup limit.
"""

from __future__ import annotations

from typing import Any

from db import claims as claim_data
from db import queries
from db.models import Chat, Claim
from handlers.claims.common import GATHERING, access, load, status_text
from handlers.claims.find_worker import count_lookup
from handlers.claims.officer import open_action
from handlers.engine.core import Ctx
from handlers.engine.types import GLOBAL, Choice, Contact, Expect, Invalid, Option, Payload, Reply, Text
from handlers.registration import code_guard, one_time_code
from handlers.registration.identity import same_phone
from handlers.registration.one_time_code import CODE_MINUTES, asker, channel_name, masked_number

CONTACT, CODE, CODE_INSTEAD = "contact", "code", "code_instead"


async def status_or_follow(ctx: Ctx, typed: str) -> list[Reply] | None:
    """A reference typed in the claims menu: its status for whoever may see it (reporter, sponsor, officer);
    from any other chat, the start of following it here. None: not a reference at all (nothing was looked up)."""
    reference = claim_data.normalize_reference(typed)
    if reference is None:
        return None
    claim = await claim_data.by_reference(ctx.session, reference)
    loaded = await load(ctx, claim.id) if claim is not None else None
    who = await access(ctx, loaded[0]) if loaded is not None else None
    if loaded is not None and who == "officer":  # the claim itself, with its actions
        return await open_action(ctx, str(loaded[0].id))
    if loaded is not None and who is not None:
        return [Reply(status_text(ctx.t, *loaded, full_name=who == "asn")), await ctx.core.resume(ctx)]
    return await ctx.core.flows[ClaimFollow.name].begin(ctx, reference)


class ClaimFollow:
    """The reference is known to the flow; the step is the contact (Telegram) or the one-time code."""

    name = "claim_follow"

    async def begin(self, ctx: Ctx, arg: str | None = None) -> list[Reply]:
        try:
            await count_lookup(ctx, "claimfollow.limit")
        except Invalid as error:
            return [Reply(ctx.t(error.key, **error.params)), await ctx.core.resume(ctx)]
        claim = await claim_data.by_reference(ctx.session, arg or "")
        await queries.audit(ctx.session, actor=ctx.actor, action="claim_follow_asked", target=(arg or "")[:60],
                            now=ctx.now)
        answers = {"claim": claim.id if claim is not None else None}
        if ctx.event.phone:  # the channel vouches for the sender's number (WhatsApp)
            return await self._phone(ctx, answers, ctx.event.phone)
        ctx.goto(self.name, CONTACT, answers)
        return [await self.prompt(ctx)]

    async def prompt(self, ctx: Ctx) -> Reply:
        if ctx.chat.step == CONTACT:
            return Reply(ctx.t("claimfollow.ask_contact"), (Option(CODE_INSTEAD, ctx.t("claimfollow.code_instead")),),
                         Expect.CONTACT, extra={"contact_label": ctx.t("asn.share_contact")})
        return Reply(ctx.t("claimfollow.ask_code", minutes=CODE_MINUTES))

    async def handle(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        if ctx.chat.step == CONTACT:
            return await self._contact(ctx, payload)
        return await self._code(ctx, payload)

    async def _contact(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        """Telegram: the person's own contact (a typed number vouches for nothing), or a code straight away."""
        if isinstance(payload, Choice) and payload.option == CODE_INSTEAD:
            return await self._phone(ctx, ctx.answers, "")
        if isinstance(payload, Contact) and payload.own:
            return await self._phone(ctx, ctx.answers, payload.phone)
        key = "claimfollow.contact_not_own" if isinstance(payload, Contact) else "claimfollow.need_contact"
        return [Reply(ctx.t(key)), await self.prompt(ctx)]

    async def _phone(self, ctx: Ctx, answers: dict[str, Any], phone: str) -> list[Reply]:
        """The reporter's own number moves the claim here; anything else: a code to the reporter's chat, if any."""
        claim = await ctx.session.get(Claim, answers["claim"]) if answers.get("claim") else None
        if claim is not None and same_phone(phone, claim.reporter_phone):
            return await self._move(ctx, claim, phone, "phone")
        wait = await code_guard.chat_wait(ctx)
        if wait is not None:  # counted whatever the reference: this says nothing about it
            ctx.goto(None)
            return [Reply(ctx.t("linkguard.chat_limit", time=wait)), await ctx.core.resume(ctx)]
        reporter = await ctx.session.get(Chat, claim.reporter_chat_id) if claim is not None else None
        target = f"claim:{claim.id}" if claim is not None and reporter is not None else None
        code, code_answers = await code_guard.issue(ctx, target)
        if code is not None and claim is not None and reporter is not None:
            await ctx.notify_chat(reporter, key=f"claim_code:{claim.id}:{ctx.chat.id}:{ctx.event.event_id}"[:120],
                                  text_key="linkguard.claim_code_message", code=code, minutes=CODE_MINUTES,
                                  reference=claim.reference or "",
                                  asker=asker(ctx.chat.channel, phone or ctx.event.phone),
                                  options=((f"{GLOBAL}code.me:{target}", "linkguard.mine"),
                                           (f"{GLOBAL}code.no:{target}:{ctx.chat.id}", "linkguard.not_me")))
        ctx.goto(self.name, CODE, {**answers, **code_answers, "phone": phone})
        # The same words whether or not the reference exists, and whether a code went out or was withheld.
        return [Reply(ctx.t("claimfollow.code_sent", minutes=CODE_MINUTES))]

    async def _code(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        if not isinstance(payload, Text):  # a photo or a sticker is not a try
            return [Reply(ctx.t("claimfollow.type_code")), await self.prompt(ctx)]
        verdict, left = await code_guard.check(ctx, payload)
        if verdict == one_time_code.WRONG:
            return [Reply(ctx.t("link.wrong_code", left=left))]
        claim = await ctx.session.get(Claim, ctx.answers["claim"]) if ctx.answers.get("claim") else None
        if verdict != one_time_code.OK or claim is None:
            await queries.audit(ctx.session, actor=ctx.actor, action="claim_follow_refused", now=ctx.now,
                                target=f"claim:{claim.id}" if claim is not None else None, reason=verdict)
            ctx.goto(None)
            return [Reply(ctx.t(f"link.{verdict}" if verdict != one_time_code.OK else "link.expired")),
                    await ctx.core.resume(ctx)]
        return await self._move(ctx, claim, ctx.answers.get("phone") or "", "code")

    async def _move(self, ctx: Ctx, claim: Claim, phone: str, method: str) -> list[Reply]:
        """The claim is followed from this chat now; the chat it was followed from hears so (masked)."""
        before = await ctx.session.get(Chat, claim.reporter_chat_id)
        await claim_data.move_reporter(ctx.session, claim, ctx.chat.id, actor=ctx.actor, now=ctx.now,
                                       note=f"reporter follows from {ctx.chat.channel} ({method})")
        await queries.audit(ctx.session, actor=ctx.actor, action="claim_followed", target=f"claim:{claim.id}",
                            now=ctx.now, method=method, before=before.id if before is not None else None)
        if before is not None and before.id != ctx.chat.id:
            masked = masked_number(phone)
            await ctx.notify_chat(before, key=f"claim:{claim.id}:moved:{ctx.chat.id}:{ctx.now.timestamp():.0f}",
                                  text_key="claimfollow.moved_away", reference=claim.reference or "",
                                  where=channel_name(ctx.chat.channel), phone=masked)
        ctx.goto(None)
        loaded = await load(ctx, claim.id)
        assert loaded is not None  # the claim was just read
        replies = [Reply(ctx.t("claimfollow.moved_here", reference=claim.reference or "")),
                   Reply(status_text(ctx.t, *loaded))]
        if claim.status in GATHERING:  # documents to send: the checklist, here
            return [*replies, *await ctx.core.flows["claim_docs"].begin(ctx, str(claim.id))]
        return [*replies, await ctx.core.resume(ctx)]

