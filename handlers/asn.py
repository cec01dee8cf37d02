"""ASN registration: NIP or NI PPPK, name, OPD, phone; approved at once when the NIP is in the imported roster."""

from __future__ import annotations

from typing import Any

from db import queries
from db.models import Asn
from handlers.core import Ctx
from handlers.forms import Field, Form, expect_choice, expect_text, prompt_text
from handlers.opds import match_opd
from handlers.other import OTHER_OPD, parse_other
from handlers.parsers import Invalid, parse_name, parse_nip, parse_phone
from handlers.types import Contact, Expect, Option, Payload, Reply, Text, record_id


async def parse_asn_nip(ctx: Ctx, payload: Payload) -> str:
    nip = parse_nip(expect_text(payload), today=ctx.today)
    holder = await queries.asn_by_nip(ctx.session, nip.value)
    if holder is not None and holder.chat_id != ctx.chat.id:
        # One NIP, one ASN: a second chat claiming it is refused, and the officers hear of it.
        await ctx.notify_officers(key=f"nip_claim:{nip.value}:{ctx.chat.id}", text_key="officer.nip_claimed",
                                  nip=nip.value, name=holder.name, via=ctx.chat.channel)
        raise Invalid("asn.nip_taken")
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
              parse_phone_or_contact, "asn.field_phone", _plain),
    )

    async def refuse(self, ctx: Ctx, arg: str | None) -> str | None:
        asn = await ctx.asn()
        if asn is not None and asn.status != "rejected":
            return "asn.already_registered"
        return None

    async def commit(self, ctx: Ctx) -> list[Reply]:
        answers = ctx.answers
        holder = await queries.asn_by_nip(ctx.session, answers["nip"])
        if holder is not None and holder.chat_id != ctx.chat.id:
            raise Invalid("asn.nip_taken", field="nip")
        in_roster = await queries.roster_entry(ctx.session, answers["nip"]) is not None
        asn = await ctx.asn() or Asn(chat_id=ctx.chat.id, created_at=ctx.now)
        asn.nip, asn.nip_kind, asn.name = answers["nip"], answers["_nip_kind"], answers["name"]
        asn.opd, asn.phone = answers["opd"], answers["phone"]
        asn.opd_other = answers.get("opd_other") if answers["opd"] == OTHER_OPD else None
        asn.status = "approved" if in_roster else "pending"
        asn.decided_by = "roster" if in_roster else None
        asn.decided_at = ctx.now if in_roster else None
        ctx.session.add(asn)
        await ctx.session.flush()
        ctx.remember_asn(asn)
        ctx.goto(None)
        if in_roster:
            await queries.audit(ctx.session, actor="roster", action="asn_approved", target=f"asn:{asn.id}",
                                now=ctx.now)
            return [Reply(ctx.t("asn.approved_by_roster", name=asn.name)), await ctx.core.resume(ctx)]
        await ctx.notify_officers(
            key=f"asn_pending:{asn.id}:{ctx.chat.version}", text_key="officer.asn_pending", id=asn.id,
            name=asn.name, nip=asn.nip, opd=asn.opd, phone=asn.phone,
            options=((f"!asn.ok:{asn.id}", "officer.approve"), (f"!asn.no:{asn.id}", "officer.reject")))
        return [Reply(ctx.t("asn.pending")), await ctx.core.resume(ctx)]
