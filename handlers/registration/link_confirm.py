"""The ASN's registered chat decides about a new chat that typed the right code (`handlers.registration.link`).

Global actions, pressed only from the ASN's registered chat (`Asn.chat_id`); from any other chat they do nothing:
- "!lnk.ok:<chat>"   «Ya, hubungkan»: the new chat is linked; reminders and notifications stay in this chat;
- "!lnk.home:<chat>" «Ya, jadikan utama»: linked (if it was not yet), and reminders move there; this chat stays
  linked;
- "!lnk.cut:<chat>"  «Putuskan»: a linked chat no longer acts as the ASN.
A new chat can only be linked within `confirm_hours` of typing the right code, and not after a lock, an unlock or
an earlier answer about it. «Bukan saya» is `handlers.code_actions.not_me_action`.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from db import code_events, queries
from db.models import Asn, Chat, ChatLink
from handlers.engine.core import Ctx
from handlers.engine.types import GLOBAL, Expect, Option, Reply, record_id
from handlers.registration import code_guard
from handlers.registration.one_time_code import channel_name

CONFIRMED, MOVED, CUT = "link_confirmed", "link_home_moved", "link_cut"


async def allow_action(ctx: Ctx, arg: str) -> list[Reply]:
    return await _allow(ctx, arg, move_home=False)


async def allow_home_action(ctx: Ctx, arg: str) -> list[Reply]:
    return await _allow(ctx, arg, move_home=True)


async def _allow(ctx: Ctx, arg: str, *, move_home: bool) -> list[Reply]:
    asn, chat = await _home_and_other(ctx, arg)
    if asn is None or chat is None:
        return [Reply(ctx.t("linkguard.only_home")), await ctx.core.resume(ctx)]
    link = await ctx.session.get(ChatLink, chat.id)
    if link is None or link.asn_id != asn.id:
        refusal = await _refusal(ctx, asn, chat)
        if refusal is not None:
            return [Reply(ctx.t(refusal)), await ctx.core.resume(ctx)]
        ctx.session.add(ChatLink(chat_id=chat.id, asn_id=asn.id, linked_at=ctx.now))
        await _audit(ctx, CONFIRMED, asn, chat)
        await ctx.notify_chat(chat, key=f"link_ok:{asn.id}:{chat.id}:{ctx.event.event_id}"[:120],
                              text_key="linkguard.linked_there", name=asn.name, home=channel_name(ctx.chat.channel))
    where = channel_name(chat.channel)
    if move_home:
        await choose_home(ctx, asn, chat)
        await _audit(ctx, MOVED, asn, chat, before=ctx.chat.id)
        await ctx.notify_chat(chat, key=f"link_home:{asn.id}:{chat.id}:{ctx.event.event_id}"[:120],
                              text_key="linkguard.home_there")
        return [Reply(ctx.t("linkguard.home_moved", where=where)), await ctx.core.resume(ctx)]
    return [Reply(ctx.t("linkguard.linked_here", where=where),
                  (Option(f"{GLOBAL}lnk.home:{chat.id}", ctx.t("linkguard.make_home")),
                   Option(f"{GLOBAL}lnk.cut:{chat.id}", ctx.t("linkguard.cut"))), Expect.OPTION)]


async def _refusal(ctx: Ctx, asn: Asn, chat: Chat) -> str | None:
    """Why `chat` cannot be linked to `asn` now (a catalogue key), or None: it typed the right code within
    `confirm_hours`, with no lock, unlock, link or unlink of it since, and it is nobody's account yet."""
    target = f"asn:{asn.id}"
    if await code_guard.is_locked(ctx, target):
        return "linkguard.locked_home"
    if await queries.asn_of_chat(ctx.session, chat.id) is not None:
        return "linkguard.confirm_stale"
    after = ctx.now - timedelta(hours=ctx.program.codes.confirm_hours)
    actions = (code_guard.ACCEPTED, code_guard.LOCKED, code_guard.UNLOCKED, CONFIRMED, CUT)
    for row in await code_events.since(ctx.session, target=target, actions=actions, after=after):
        if row.action in (code_guard.LOCKED, code_guard.UNLOCKED):
            break
        if row.details.get("chat") == chat.id:
            return None if row.action == code_guard.ACCEPTED else "linkguard.confirm_stale"
    return "linkguard.confirm_stale"


async def cut_action(ctx: Ctx, arg: str) -> list[Reply]:
    """«Putuskan»: the linked chat no longer acts as the ASN, and is told so."""
    asn, chat = await _home_and_other(ctx, arg)
    if asn is None or chat is None:
        return [Reply(ctx.t("linkguard.only_home")), await ctx.core.resume(ctx)]
    if not await unlink(ctx, asn, chat):
        return [Reply(ctx.t("linkguard.not_linked")), await ctx.core.resume(ctx)]
    return [Reply(ctx.t("linkguard.cut_here", where=channel_name(chat.channel))), await ctx.core.resume(ctx)]


async def unlink(ctx: Ctx, asn: Asn, chat: Chat) -> bool:
    """Remove `chat`'s link to `asn` (audited, the chat told); False when it was not linked to them."""
    link = await ctx.session.get(ChatLink, chat.id)
    if link is None or link.asn_id != asn.id:
        return False
    await ctx.session.delete(link)
    await _audit(ctx, CUT, asn, chat)
    await ctx.notify_chat(chat, key=f"link_cut:{asn.id}:{chat.id}:{ctx.event.event_id}"[:120],
                          text_key="linkguard.cut_there")
    return True


async def choose_home(ctx: Ctx, asn: Asn, chat: Chat) -> None:
    """Reminders and notifications go to `chat` from now on; the ASN's other chat stays linked."""
    await ctx.session.execute(delete(ChatLink).where(ChatLink.chat_id == chat.id))
    ctx.session.add(ChatLink(chat_id=asn.chat_id, asn_id=asn.id, linked_at=ctx.now))
    asn.chat_id = chat.id
    await ctx.session.flush()


async def _home_and_other(ctx: Ctx, arg: str) -> tuple[Asn | None, Chat | None]:
    """(the ASN, the chat the button names) when pressed from the ASN's registered chat; else (None, None)."""
    asn = await ctx.asn()
    ident = record_id(arg)
    if asn is None or asn.chat_id != ctx.chat.id or ident is None or ident == ctx.chat.id:
        return None, None
    return asn, await ctx.session.get(Chat, ident)


async def _audit(ctx: Ctx, action: str, asn: Asn, chat: Chat, **details: object) -> None:
    await queries.audit(ctx.session, actor=ctx.actor, action=action, target=f"asn:{asn.id}", now=ctx.now,
                        chat=chat.id, **details)
