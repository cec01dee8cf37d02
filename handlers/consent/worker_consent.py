"""The worker's own consent (UU PDP: the ASN cannot consent for them): by one-time link, or a signed paper form.

The link asks the person to share their own contact first: the sponsor's number is never accepted, and where the
ASN gave the worker's number at enrolment the shared one must match it; without one, an officer confirms the
consent. A paper form is "consent given" only once an officer has seen the file and accepted it.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import update

from db import queries
from db.models import Asn, Chat, ConsentToken, Worker
from handlers.answers.parsers import parse_phone
from handlers.consent import consent_review
from handlers.engine.core import Ctx
from handlers.engine.format import format_date
from handlers.engine.forms import Field, Form
from handlers.engine.masking import mask_nik, mask_phone
from handlers.engine.types import GLOBAL, Choice, Contact, Expect, File, Invalid, Option, Payload, Reply, record_id
from handlers.registration.identity import same_phone

AGREE, DISAGREE, CONTACT = "agree", "disagree", "contact"


class WorkerConsentFlow:
    """Opened from the deep link `/start c_<token>` the ASN forwarded to the worker."""

    name = "worker_consent"

    async def begin(self, ctx: Ctx, arg: str | None = None) -> list[Reply]:
        token = await queries.consent_token(ctx.session, arg or "")
        worker = await ctx.session.get(Worker, token.worker_id) if token is not None else None
        refusal = _link_refusal(ctx, token, worker)
        if refusal is not None:
            ctx.goto(None)
            return await _refuse_link(ctx, refusal)
        sponsor = await queries.sponsor_of_worker(ctx.session, worker.id)
        if sponsor is not None and await _is_sponsor(ctx, sponsor):  # UU PDP: the ASN cannot consent for the worker
            ctx.goto(None)
            return [Reply(ctx.t("consent.sponsor.refused")), await ctx.core.resume(ctx)]
        if worker.consent_review is not None:
            ctx.goto(None)
            return [Reply(ctx.t("identity.consent_in_review")), await ctx.core.resume(ctx)]
        ctx.goto(self.name, CONTACT, {"token": token.token_hash, "worker": worker.id,
                                      "by_phone": bool(ctx.event.phone)})
        if ctx.event.phone:  # the channel vouches for the sender's number (WhatsApp): that is their own contact
            return await self._contact(ctx, Contact(ctx.event.phone, own=True))
        return [await self.prompt(ctx)]

    async def prompt(self, ctx: Ctx) -> Reply:
        if ctx.chat.step == CONTACT:
            return Reply(ctx.t("identity.consent_ask_contact"), expect=Expect.CONTACT,
                         extra={"contact_label": ctx.t("asn.share_contact")})
        worker = await ctx.session.get(Worker, ctx.answers.get("worker", 0))
        sponsor = await queries.sponsor_of_worker(ctx.session, worker.id) if worker else None
        if worker is None or sponsor is None:
            ctx.goto(None)
            return await ctx.core.resume(ctx)
        text = ctx.t("consent.notice", name=worker.name, nik=mask_nik(worker.nik), sponsor=sponsor.name,
                     opd=sponsor.opd, program=ctx.program.name, years=ctx.program.retention_years,
                     born=format_date(worker.birth_date, ctx.t.language))
        return Reply(text, (Option(AGREE, ctx.t("consent.agree")), Option(DISAGREE, ctx.t("consent.disagree"))),
                     Expect.OPTION)

    async def handle(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        if ctx.chat.step == CONTACT:
            return await self._contact(ctx, payload)
        choice = payload.option if isinstance(payload, Choice) else None
        if choice not in (AGREE, DISAGREE):
            return [Reply(ctx.t("common.choose_option")), await self.prompt(ctx)]
        token = await ctx.session.get(ConsentToken, ctx.answers["token"])
        worker = await ctx.session.get(Worker, ctx.answers["worker"])
        sponsor = await queries.sponsor_of_worker(ctx.session, worker.id) if worker else None
        phone, verified, by_phone = ctx.answers.get("phone"), ctx.answers.get("verified"), ctx.answers.get("by_phone")
        if (token is None or token.used_at is not None or token.expires_at <= ctx.now or worker is None
                or sponsor is None or await _is_sponsor(ctx, sponsor)):
            ctx.goto(None)
            return await _refuse_link(ctx, _link_refusal(ctx, token, worker) or "consent.link_invalid")
        sponsor_chat = await ctx.session.get(Chat, sponsor.chat_id)
        if choice == DISAGREE:  # they stay with the worker's notice (not the ASN's) and may still agree
            await ctx.notify_chat(sponsor_chat, key=f"consent_declined:{worker.id}:{token.token_hash[:16]}",
                                  text_key="consent.declined_for_asn", name=worker.name)
            return [Reply(ctx.t("consent.declined", days=ctx.program.consent_link_days))]
        ctx.goto(None)
        token.used_at = ctx.now
        # The notice the worker agreed to covers this chat too: no second notice before the menu.
        ctx.chat.privacy_version = ctx.program.privacy_notice_version
        ctx.chat.privacy_agreed_at = ctx.now
        worker.consent_phone, worker.consent_chat_id = phone, ctx.chat.id
        if not verified:  # no worker phone on file to check the number against
            await consent_review.ask_officers(ctx, worker, "unverified")
            await ctx.notify_chat(sponsor_chat, key=f"consent_unverified:{worker.id}",
                                  text_key="identity.consent_unverified_for_asn", name=worker.name)
            return [Reply(ctx.t("identity.consent_thanks_unverified", name=worker.name))]
        # On WhatsApp the answer comes from the worker's own number (the consent request is a template there).
        record_consent(ctx, worker, "template" if by_phone else "link")
        await ctx.notify_chat(sponsor_chat, key=f"consent_given:{worker.id}", text_key="consent.given_for_asn",
                              name=worker.name)
        await consent_review.notify_ready_for_bpjs(ctx, worker)
        return [Reply(ctx.t("consent.thanks", name=worker.name))]

    async def _contact(self, ctx: Ctx, payload: Payload) -> list[Reply]:
        """The person shares their own number: never the sponsor's; the worker's, where one was given. Only the
        button works here (a typed number vouches for nothing), so no refusal suggests typing one."""
        if not isinstance(payload, Contact) or not payload.own:
            key = "contact_step.consent_not_own" if isinstance(payload, Contact) else "identity.consent_need_contact"
            return [Reply(ctx.t(key)), await self.prompt(ctx)]
        try:
            phone: str | None = parse_phone(payload.phone)
        except Invalid:  # the account's own number is foreign or not a mobile: sharing it again cannot help
            phone = None
        worker = await ctx.session.get(Worker, ctx.answers["worker"])
        sponsor = await queries.sponsor_of_worker(ctx.session, worker.id) if worker else None
        if worker is None or sponsor is None:
            ctx.goto(None)
            return [Reply(ctx.t("consent.link_invalid")), await ctx.core.resume(ctx)]
        refusal = ("contact_step.consent_number_unusable" if phone is None
                   else "consent.sponsor.refused" if same_phone(phone, sponsor.phone)
                   else "identity.consent_wrong_phone" if worker.phone and not same_phone(phone, worker.phone)
                   else None)
        if refusal is not None:
            ctx.goto(None)
            await queries.audit(ctx.session, actor=ctx.actor, action="consent_refused", target=f"worker:{worker.id}",
                                now=ctx.now, reason=refusal)
            return [Reply(ctx.t(refusal)), await ctx.core.resume(ctx)]
        ctx.goto(self.name, "agree", {**ctx.answers, "phone": phone, "verified": bool(worker.phone)})
        return [await self.prompt(ctx)]


def _link_refusal(ctx: Ctx, token: ConsentToken | None, worker: Worker | None) -> str | None:
    """Why a consent link cannot be used now (a catalogue key), or None: each case said as it is."""
    if token is None or worker is None:
        return "journey.consent.link_unknown"
    if worker.consent_at is not None or token.used_at is not None:
        # Only the chat that gave the consent hears "your consent": anyone else opening the link learns nothing.
        own = worker.consent_method == "link" and worker.consent_chat_id == ctx.chat.id
        return "journey.consent.already_given" if own else "trial.consent_link_used"
    return "consent.link_invalid" if token.expires_at <= ctx.now else None


async def _refuse_link(ctx: Ctx, key: str) -> list[Reply]:
    """A worker who never agreed to the bot's notice is not shown the ASN's notice (NIP, OPD): a word for them."""
    if (ctx.chat.privacy_version or 0) < ctx.program.privacy_notice_version:
        return [Reply(ctx.t(key) + "\n\n" + ctx.t("journey.consent.for_workers"))]
    return [Reply(ctx.t(key)), await ctx.core.resume(ctx)]


async def _is_sponsor(ctx: Ctx, sponsor: Asn) -> bool:
    """Whether this chat is the sponsoring ASN's (their own chat or one they linked on another channel)."""
    mine = await ctx.asn()
    return sponsor.chat_id == ctx.chat.id or (mine is not None and mine.id == sponsor.id)


def record_consent(ctx: Ctx, worker: Worker, method: str, file_id: int | None = None) -> None:
    worker.consent_method, worker.consent_at, worker.consent_file_id = method, ctx.now, file_id
    worker.consent_chat_id = ctx.chat.id


async def owned_worker(ctx: Ctx, arg: str | None) -> Worker | None:
    """The worker `arg` names, only if this person's ASN sponsors them now: checked on every request."""
    asn = await ctx.asn()
    ident = record_id(arg)
    if asn is None or ident is None:
        return None
    worker = await ctx.session.get(Worker, ident)
    sponsor = await queries.sponsor_of_worker(ctx.session, worker.id) if worker else None
    return worker if sponsor is not None and sponsor.id == asn.id else None


async def parse_consent_file(ctx: Ctx, payload: Payload) -> int:
    if not isinstance(payload, File) or payload.kind not in ("photo", "document"):
        raise Invalid("consent.want_file")
    stored = await ctx.save_file(payload, "consent_form")
    return stored.id


async def prompt_consent_file(ctx: Ctx) -> Reply:
    worker = await ctx.session.get(Worker, ctx.answers["worker"])
    return Reply(ctx.t("consent.ask_file", name=worker.name if worker else ""),
                 (Option(f"{GLOBAL}w.form:0", ctx.t("identity.blank_form")),), expect=Expect.FILE)


class PaperConsent(Form):
    """The ASN sends a photo or PDF of the consent form the worker signed on paper."""

    name = "paper_consent"
    title = "paper"
    fields = (Field("file", prompt_consent_file, parse_consent_file, "paper.field_file",
                    lambda ctx, v: ctx.t("paper.received")),)

    async def refuse(self, ctx: Ctx, arg: str | None) -> str | None:
        worker = await owned_worker(ctx, arg)
        if worker is None:
            return "consent.not_yours"
        if worker.consent_review is not None:
            return "identity.consent_in_review"
        return "consent.already" if worker.consent_at is not None else None

    async def initial(self, ctx: Ctx, arg: str | None) -> dict[str, object]:
        return {"worker": record_id(arg) or 0}

    async def commit(self, ctx: Ctx) -> list[Reply]:
        answers = ctx.answers
        worker = await owned_worker(ctx, str(answers["worker"]))
        ctx.goto(None)
        if worker is None or worker.consent_at is not None or worker.consent_review is not None:
            return [Reply(ctx.t("consent.already")), await ctx.core.resume(ctx)]
        # The worker is "consent given" only once an officer has looked at the form and accepted it.
        worker.consent_file_id = answers["file"]
        await consent_review.ask_officers(ctx, worker, "paper")
        return [Reply(ctx.t("identity.paper_waits", name=worker.name)), await ctx.core.resume(ctx)]


async def new_link_action(ctx: Ctx, arg: str) -> list[Reply]:
    """Global action "!w.link:<worker>": another one-time consent link, for the sponsoring ASN only."""
    worker = await owned_worker(ctx, arg)
    if worker is None:
        return [Reply(ctx.t("consent.not_yours")), await ctx.core.resume(ctx)]
    if worker.consent_at is not None:
        return [Reply(ctx.t("consent.already")), await ctx.core.resume(ctx)]
    if worker.consent_review is not None:
        return [Reply(ctx.t("identity.consent_in_review")), await ctx.core.resume(ctx)]
    await send_consent_link(ctx, worker)
    return [Reply(ctx.t("consent.link_sent")), await ctx.core.resume(ctx)]


async def paper_action(ctx: Ctx, arg: str) -> list[Reply]:
    return await ctx.core.flows["paper_consent"].begin(ctx, arg)


async def send_consent_link(ctx: Ctx, worker: Worker, *, first: bool = False) -> None:
    """A new one-time link for the worker's own consent, sent to the ASN through the outbox to forward. `first`: the
    worker was enrolled in this event, so there is no earlier link to revoke."""
    token = secrets.token_urlsafe(18)
    if not first:  # a new link revokes the earlier ones: only the latest one the ASN forwarded can be used
        await ctx.session.execute(update(ConsentToken).where(
            ConsentToken.worker_id == worker.id, ConsentToken.used_at.is_(None), ConsentToken.expires_at > ctx.now)
            .values(expires_at=ctx.now))
    ctx.session.add(ConsentToken(token_hash=queries.token_hash(token), worker_id=worker.id, created_at=ctx.now,
                                 expires_at=ctx.now + timedelta(days=ctx.program.consent_link_days)))
    link = ctx.deep_link(f"c_{token}") or f"/start c_{token}"
    await ctx.notify_chat(ctx.chat, key=f"consent_link:{worker.id}:{token[:8]}", text_key="consent.link_for_asn",
                          name=worker.name, link=link, days=ctx.program.consent_link_days)
    if worker.phone and ctx.core.services.has_channel("whatsapp"):
        await send_consent_request(ctx, worker, token)


async def send_consent_request(ctx: Ctx, worker: Worker, token: str) -> None:
    """The consent request straight to the worker's WhatsApp number: an approved template outside the 24-hour
    window, whose button opens the notice (the answer must come from that number)."""
    asn = await ctx.asn()
    address = "".join(ch for ch in worker.phone or "" if ch.isdigit())
    await ctx.notify(key=f"consent_request:{worker.id}:{token[:8]}", channel="whatsapp", address=address,
                     text_key="wa.consent_request", options=((f"/start c_{token}", "wa.consent_read"),),
                     name=worker.name, sponsor=asn.name if asn else "", program=ctx.program.name)
    await ctx.notify_chat(ctx.chat, key=f"consent_request_sent:{worker.id}:{token[:8]}", text_key="wa.consent_sent",
                          name=worker.name, phone=mask_phone(worker.phone or ""))
