"""ASN registration: NIP or NI PPPK, name, OPD, phone; approved at once only when the roster vouches for the person
(the NIP is on it, the name matches and, where the roster has a phone, the person shared their own contact with it).
"""

from __future__ import annotations

from typing import Any

from db import queries
from db.models import Asn
from handlers.answers.name_parser import parse_name
from handlers.answers.opds import match_opd
from handlers.answers.other import OTHER_OPD, parse_other
from handlers.answers.parsers import parse_nip, parse_phone
from handlers.engine.access import audit_notice
from handlers.engine.core import Ctx
from handlers.engine.forms import Field, Form, expect_choice, expect_text, prompt_text
from handlers.engine.types import Contact, Expect, Invalid, Option, Payload, Reply, Text, record_id
from handlers.registration import nip_claims
from handlers.registration.identity import account, comparison, roster_verifies


async def parse_asn_nip(ctx: Ctx, payload: Payload) -> str:
    # An NIP registered from another account is refused at the end (commit), with what the person typed, so the
    # officers can check the new account's details and move the NIP if its owner really changed phone.
    nip = parse_nip(expect_text(payload), today=ctx.today)
    ctx.answers["_nip_kind"] = nip.kind
    return nip.value


def opd_options(ctx: Ctx) -> tuple[Option, ...]:
    return tuple(Option(f"opd{i}", name[:24]) for i, name in enumerate(ctx.program.opds))


async def parse_opd(ctx: Ctx, payload: Payload) -> str:
    """A button, or a name typed as offices write it ("dinkes", "Dinas Kesehatan Kota"), as in the roster import."""
    if isinstance(payload, Text):  # typed, and no option's label matched
        found = match_opd(payload.text, ctx.program.opds)
        if found is None:
            raise Invalid("common.choose_option")
        return found
    choice = expect_choice(payload)
    index = record_id(choice[3:]) if choice.startswith("opd") else None
    if index is None or not 0 <= index < len(ctx.program.opds):
        raise Invalid("common.choose_option")
    return ctx.program.opds[index]


async def parse_phone_or_contact(ctx: Ctx, payload: Payload) -> str:
    if isinstance(payload, Contact):
        return parse_phone(payload.phone)
    return parse_phone(expect_text(payload))


async def parse_own_phone(ctx: Ctx, payload: Payload) -> str:
    """The ASN's own number: a shared contact must be the sender's own (Telegram's request_contact); a typed
    number is accepted but never vouches for the person against the roster."""
    if isinstance(payload, Contact) and not payload.own:
        raise Invalid("identity.contact_not_own")
    phone = await parse_phone_or_contact(ctx, payload)
    ctx.answers["_phone_shared"] = isinstance(payload, Contact)
    return phone


async def _name(ctx: Ctx, payload: Payload) -> str:
    return parse_name(expect_text(payload))


def _plain(ctx: Ctx, value: Any) -> str:
    """In full: a summary goes only to the person who typed it (UU PDP masking is for messages to others)."""
    return str(value)


class AsnRegistration(Form):
    name = "asn_register"
    title = "asn"
    fields = (
        Field("nip", prompt_text("asn.ask_nip"), parse_asn_nip, "asn.field_nip", _plain),
        Field("name", prompt_text("asn.ask_name"), _name, "asn.field_name", _plain),
        Field("opd", prompt_text("asn.ask_opd", options=opd_options, expect=Expect.OPTION), parse_opd,
              "asn.field_opd", _plain, resets=("opd_other",), typed=True),
        Field("opd_other", prompt_text("journey.other.ask_opd"), parse_other, "journey.other.field_opd", _plain,
              when=lambda answers: answers.get("opd") == OTHER_OPD),
        Field("phone", prompt_text("asn.ask_phone", expect=Expect.CONTACT, contact_label="asn.share_contact"),
              parse_own_phone, "asn.field_phone", _plain),
    )

    async def refuse(self, ctx: Ctx, arg: str | None) -> str | None:
        asn = await ctx.asn()
        if asn is not None and asn.status != "rejected":
            return "asn.already_registered"
        return None

    async def commit(self, ctx: Ctx) -> list[Reply]:
        answers = ctx.answers
        entry = await queries.roster_entry(ctx.session, answers["nip"])
        shared = bool(answers.get("_phone_shared"))
        verified = roster_verifies(entry, name=answers["name"], phone=answers["phone"], phone_shared=shared)
        holder = await queries.asn_by_nip(ctx.session, answers["nip"])
        if holder is not None and holder.chat_id != ctx.chat.id:
            if holder.status == "approved" or (holder.status == "pending" and not verified):
                # One NIP, one ASN: told nothing about who holds it; the officers hear of it with both accounts.
                await nip_claims.record_claim(ctx, holder, name=answers["name"], opd=answers["opd"],
                                              phone=answers["phone"], shared=shared)
                raise Invalid("identity.nip_elsewhere", field="nip")
            await nip_claims.supersede(ctx, holder, verified=verified)
        asn = await ctx.asn() or Asn(chat_id=ctx.chat.id, created_at=ctx.now)
        asn.nip, asn.nip_kind, asn.name = answers["nip"], answers["_nip_kind"], answers["name"]
        asn.opd, asn.phone = answers["opd"], answers["phone"]
        asn.opd_other = answers.get("opd_other") if answers["opd"] == OTHER_OPD else None
        asn.status = "approved" if verified else "pending"
        asn.decided_by = "roster" if verified else None
        asn.decided_at = ctx.now if verified else None
        ctx.session.add(asn)
        await ctx.session.flush()
        ctx.remember_asn(asn)
        ctx.goto(None)
        if verified:
            await queries.audit(ctx.session, actor="roster", action="asn_approved", target=f"asn:{asn.id}",
                                now=ctx.now)
            return [Reply(ctx.t("asn.approved_by_roster", name=asn.name)), await ctx.core.resume(ctx)]
        await audit_notice(ctx, f"asn:{asn.id}", ["nip", "phone"])
        await ctx.notify_officers(
            key=f"asn_pending:{asn.id}:{ctx.chat.version}", text_key="identity.asn_pending", id=asn.id,
            name=asn.name, nip=asn.nip, account=account(ctx.chat),
            comparison=lambda t: comparison(t, name=asn.name, opd=asn.opd, phone=asn.phone, entry=entry,
                                            shared=shared),
            options=((f"!asn.ok:{asn.id}", "officer.approve"), (f"!asn.no:{asn.id}", "officer.reject")))
        return [Reply(ctx.t("asn.pending")), await ctx.core.resume(ctx)]
