"""One person on two channels: an ASN registered on one channel links another chat with a one-time code.

The code goes to the ASN's registered chat (`Asn.chat_id`, through the outbox), with «Ini saya» / «Bukan saya», and is
typed in the new chat. The right code does not link yet: the registered chat is asked to allow it
(`handlers.registration.link_confirm`), and only then does the new chat act as the ASN (`queries.asn_of_chat` follows
the link) and see the workers, their NIK, KPJ and payments; reminders move there only if the registered chat says so. A
code, even the right one, is no proof the ASN gave it willingly: "I sent you a code by mistake, please send it back" is
how WhatsApp accounts are stolen. Codes are limited and revoked by `handlers.registration.code_guard`.
"""

from __future__ import annotations

from db import queries
from db.models import Asn, Chat
from handlers.answers.parsers import parse_nip
from handlers.engine.core import Ctx
from handlers.engine.types import GLOBAL, Invalid, Payload, Reply, Text
from handlers.registration import code_guard, one_time_code
from handlers.registration.one_time_code import CODE_MINUTES, asker, channel_name


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
        return Reply(ctx.t("link.ask_nip"))

    async def handle(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        if ctx.chat.step == "code":
            return await self._code(ctx, payload)
        return await self._nip(ctx, payload)

    async def _nip(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        try:
            nip = parse_nip(payload.text if isinstance(payload, Text) else "", today=ctx.today)
        except Invalid as error:
            return [Reply(ctx.t(error.key, **error.params)), await self.prompt(ctx)]
        wait = await code_guard.chat_wait(ctx)
        if wait is not None:  # counted whatever the NIP: this says nothing about it
            ctx.goto(None)
            return [Reply(ctx.t("linkguard.chat_limit", time=wait)), await ctx.core.resume(ctx)]
        asn = await queries.asn_by_nip(ctx.session, nip.value)
        asn = asn if asn is not None and asn.status != "rejected" else None
        code, answers = await code_guard.issue(ctx, f"asn:{asn.id}" if asn is not None else None)
        if code is not None and asn is not None:
            await _send_code(ctx, asn, code)
        # The same answer whether the NIP is registered or not, and whether a code went out or was withheld.
        ctx.goto(self.name, "code", answers)
        return [Reply(ctx.t("link.code_sent", minutes=CODE_MINUTES))]

    async def _code(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        verdict, left = await code_guard.check(ctx, payload)
        if verdict in (one_time_code.EXPIRED, one_time_code.TOO_MANY):
            ctx.goto(None)
            return [Reply(ctx.t(f"link.{verdict}")), await ctx.core.resume(ctx)]
        if verdict == one_time_code.WRONG:
            return [Reply(ctx.t("link.wrong_code", left=left))]
        asn = await ctx.session.get(Asn, int(ctx.answers["target"].partition(":")[2]))
        home = await ctx.session.get(Chat, asn.chat_id) if asn is not None else None
        ctx.goto(None)
        if asn is None or home is None:
            return [Reply(ctx.t("link.expired")), await ctx.core.resume(ctx)]
        await ctx.notify_chat(home, key=f"link_ask:{asn.id}:{ctx.chat.id}:{ctx.event.event_id}"[:120],
                              text_key="linkguard.confirm_ask", where=channel_name(ctx.chat.channel),
                              asker=asker(ctx.chat.channel, ctx.event.phone),
                              options=((f"{GLOBAL}lnk.ok:{ctx.chat.id}", "linkguard.allow"),
                                       (f"{GLOBAL}lnk.home:{ctx.chat.id}", "linkguard.allow_home"),
                                       (f"{GLOBAL}code.no:asn:{asn.id}:{ctx.chat.id}", "linkguard.not_me")))
        return [Reply(ctx.t("linkguard.code_right", there=channel_name(home.channel))), await ctx.core.resume(ctx)]


async def _send_code(ctx: Ctx, asn: Asn, code: str) -> None:
    """The code to the ASN's registered chat, saying who asks, with «Ini saya» / «Bukan saya»."""
    home = await ctx.session.get(Chat, asn.chat_id)
    if home is None:
        return
    target = f"asn:{asn.id}"
    await ctx.notify_chat(home, key=f"link_code:{asn.id}:{ctx.chat.id}:{ctx.event.event_id}"[:120],
                          text_key="linkguard.code_message", code=code, minutes=CODE_MINUTES,
                          where=channel_name(ctx.chat.channel), asker=asker(ctx.chat.channel, ctx.event.phone),
                          options=((f"{GLOBAL}code.me:{target}", "linkguard.mine"),
                                   (f"{GLOBAL}code.no:{target}:{ctx.chat.id}", "linkguard.not_me")))
