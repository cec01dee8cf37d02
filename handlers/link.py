"""One person on two channels: an ASN registered on one channel links another chat with a one-time code.

The code goes to the chat the ASN already uses (through the outbox), and is typed in the new one. Once linked,
both chats act as the ASN (`queries.asn_of_chat` follows the link); `Asn.chat_id` is the chat that gets reminders
and notifications, and the ASN chooses it at the end.
"""

from __future__ import annotations

from sqlalchemy import delete

from db import queries
from db.models import Asn, Chat, ChatLink
from handlers import one_time_code
from handlers.core import Ctx
from handlers.one_time_code import CHANNEL_NAMES, CODE_MINUTES
from handlers.parsers import Invalid, parse_nip
from handlers.types import Choice, Expect, Option, Payload, Reply, Text

HERE, THERE = "here", "there"


class LinkFlow:
    name = "link"

    async def begin(self, ctx: Ctx, arg: str | None = None) -> list[Reply]:
        if await ctx.asn() is not None:
            ctx.goto(None)
            return [Reply(ctx.t("link.already")), await ctx.core.resume(ctx)]
        ctx.goto(self.name, "nip")
        return [await self.prompt(ctx)]

    async def prompt(self, ctx: Ctx) -> Reply:
        if ctx.chat.step == "code":
            return Reply(ctx.t("link.ask_code"))
        if ctx.chat.step == "channel":
            asn = await ctx.asn()
            old = await ctx.session.get(Chat, asn.chat_id) if asn else None
            there = CHANNEL_NAMES.get(old.channel if old else "", "")
            here = CHANNEL_NAMES.get(ctx.chat.channel, ctx.chat.channel)
            return Reply(ctx.t("link.ask_channel"), (Option(HERE, ctx.t("link.here", channel=here)),
                                                     Option(THERE, ctx.t("link.there", channel=there))), Expect.OPTION)
        return Reply(ctx.t("link.ask_nip"))

    async def handle(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        if ctx.chat.step == "code":
            return await self._code(ctx, payload)
        if ctx.chat.step == "channel":
            return await self._channel(ctx, payload)
        return await self._nip(ctx, payload)

    async def _nip(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        try:
            nip = parse_nip(payload.text if isinstance(payload, Text) else "", today=ctx.today)
        except Invalid as error:
            return [Reply(ctx.t(error.key, **error.params)), await self.prompt(ctx)]
        asn = await queries.asn_by_nip(ctx.session, nip.value)
        answers = one_time_code.blank(ctx)
        if asn is not None and asn.status != "rejected":
            code, answers = one_time_code.issue(ctx)
            answers["asn"] = asn.id
            home = await ctx.session.get(Chat, asn.chat_id)
            if home is not None:
                await ctx.notify_chat(home, key=f"link_code:{asn.id}:{ctx.chat.id}:{ctx.event.event_id}"[:120],
                                      text_key="link.code_message", code=code, minutes=CODE_MINUTES,
                                      where=CHANNEL_NAMES.get(ctx.chat.channel, ctx.chat.channel))
        # The same answer whether or not the NIP is registered: nobody learns who is an ASN by trying NIPs.
        ctx.goto(self.name, "code", answers)
        return [Reply(ctx.t("link.code_sent", minutes=CODE_MINUTES))]

    async def _code(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        verdict, left = one_time_code.check(ctx, payload)
        if verdict in (one_time_code.EXPIRED, one_time_code.TOO_MANY):
            ctx.goto(None)
            return [Reply(ctx.t(f"link.{verdict}")), await ctx.core.resume(ctx)]
        if verdict == one_time_code.WRONG:
            return [Reply(ctx.t("link.wrong_code", left=left))]
        asn = await ctx.session.get(Asn, ctx.answers["asn"])
        if asn is None:
            ctx.goto(None)
            return [Reply(ctx.t("link.expired")), await ctx.core.resume(ctx)]
        ctx.session.add(ChatLink(chat_id=ctx.chat.id, asn_id=asn.id, linked_at=ctx.now))
        await ctx.session.flush()
        ctx.remember_asn(asn)
        ctx.goto(self.name, "channel")
        return [Reply(ctx.t("link.linked", name=asn.name)), await self.prompt(ctx)]

    async def _channel(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        choice = payload.option if isinstance(payload, Choice) else None
        asn = await ctx.asn()
        if choice not in (HERE, THERE) or asn is None:
            return [Reply(ctx.t("common.choose_option")), await self.prompt(ctx)]
        if choice == HERE and asn.chat_id != ctx.chat.id:
            await choose_home(ctx, asn, ctx.chat)
        home = await ctx.session.get(Chat, asn.chat_id)
        ctx.goto(None)
        channel = CHANNEL_NAMES.get(home.channel if home else "", "")
        return [Reply(ctx.t("link.channel_set", channel=channel)), await ctx.core.resume(ctx)]


async def choose_home(ctx: Ctx, asn: Asn, chat: Chat) -> None:
    """Reminders and notifications go to `chat` from now on; the ASN's other chat stays linked."""
    await ctx.session.execute(delete(ChatLink).where(ChatLink.chat_id == chat.id))
    ctx.session.add(ChatLink(chat_id=asn.chat_id, asn_id=asn.id, linked_at=ctx.now))
    asn.chat_id = chat.id
    await ctx.session.flush()
