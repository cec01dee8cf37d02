"""What the claim flows share: who may see a claim, the estimate from the database, and how a claim reads."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from db import claims as claim_data
from db.models import Asn, Chat, Claim, Sponsorship, Worker
from db.rules.claims import (BENEFITS, DEATHS, KINDS, BenefitTable, Cover, Estimate, estimate, report_deadline,
                             reported_late)
from db.wilayah import load_wilayah
from handlers.engine.core import Ctx
from handlers.engine.format import format_date, format_rupiah
from handlers.engine.i18n import Translator
from handlers.engine.masking import mask_nik
from handlers.workers.coverage import ledger_cover, months_lines

GATHERING = ("documents", "more_docs")  # the reporter sends documents: a draft, or one an officer asked for


def initials(name: str) -> str:
    """ "Syafrizal Rahman" -> "S. R.": a name is never shown in full to someone who did not type it."""
    return " ".join(f"{word[0]}." for word in name.split() if word[:1].isalpha()) or "-"


def desa_name(worker: Worker) -> str:
    area = load_wilayah().area(worker.desa_code)
    return area.name if area else worker.desa_code


def masked_worker(worker: Worker) -> str:
    return f"{initials(worker.name)}, {desa_name(worker)}, NIK {mask_nik(worker.nik)}"


async def sponsorship_of(ctx: Ctx, worker: Worker) -> Sponsorship | None:
    """The worker's open sponsorship, else the latest one."""
    query = (select(Sponsorship).where(Sponsorship.worker_id == worker.id)
             .order_by(Sponsorship.ended_at.is_not(None), Sponsorship.id.desc()).limit(1))
    return (await ctx.session.execute(query)).scalar_one_or_none()


async def estimate_for(ctx: Ctx, worker: Worker, kind: str, day: date) -> tuple[Cover, Estimate]:
    """Cover on `day` (from the months actually paid: handlers.workers.coverage, db.claim_rules.cover_on) and the
    estimated benefit."""
    cover = await ledger_cover(ctx, worker, await sponsorship_of(ctx, worker), day)
    return cover, estimate(kind, day, cover=cover, bpjs_start=worker.bpjs_start)


def estimate_lines(t: Translator, result: Estimate, reason: str | None = None, *,
                   death: bool = True) -> list[str]:
    """The full estimate, for the sponsoring ASN, officers and a verified heir: which months were paid up to the
    event and which not, then either the amounts (stated as an estimate that BPJS decides) or, when the event fell
    in an unpaid, lapsed or ended period, why no amount is promised and what can still be done. Medical care advice
    (BPJS Kesehatan) only for an injury that is not covered. `reason` defaults to `result.cover.reason`."""
    months = months_lines(t, result.cover)
    if not result.covered:
        reason = reason or result.cover.reason
        lines = [t(f"claims.not_covered_{reason}"), *months]
        if reason in ("unpaid", "lapsed"):
            lines.append(t("coverage.arrears_meaning"))
        return [*lines, t("claims.still_possible_death" if death else "claims.still_possible")]
    lines = [t("claims.estimate_title")]
    for part, amount in result.parts:
        lines.append(t(f"claims.part_{part}", amount=format_rupiah(amount)))
    if result.total is not None:
        lines.append(t("claims.estimate_total", amount=format_rupiah(result.total)))
    if result.early:
        lines.append(t("claims.early_death"))
    if result.scholarship:
        lines.append(t("claims.scholarship"))
    lines += [t(f"claims.confirm_{key}") for key in result.to_confirm]
    return [*lines, *months, t("claims.estimate_disclaimer")]


def general_estimate_lines(t: Translator, kind: str, table: BenefitTable = BENEFITS) -> list[str]:
    """The benefit rules in general terms, for a reporter whose right to see this worker's record is not checked
    (an unverified reporter): nothing specific to the worker (no months paid, nothing about whether the sponsor
    paid). A death: Rp42 jt when a member for at least 3 months with contributions paid, Rp10 jt in the first 3
    months, Rp70 jt after a work accident; an injury: medical care and income while unable to work. Then: an
    unpaid month is not protected, and an officer checks the cover and tells them. Raises ValueError for an
    unknown kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown claim kind {kind!r}")
    jkk_death = table.jkk_death_multiplier * table.reported_income + table.periodic + table.funeral
    rules = [t("coverage.general_jkm", full=format_rupiah(table.death_lump_sum + table.periodic + table.funeral),
               early=format_rupiah(table.early_death), months=table.full_after_months),
             t("coverage.general_jkk_death", amount=format_rupiah(jkk_death))] if kind in DEATHS \
        else [t("coverage.general_jkk_injury"), t("coverage.general_health")]
    return [t("coverage.general_title"), *rules, t("coverage.general_unpaid"), t("coverage.general_officer"),
            t("claims.estimate_disclaimer")]


async def access(ctx: Ctx, claim: Claim) -> str | None:
    """Who this person is for the claim: reporter (its main reporter), co_reporter (reported the same event),
    officer or asn (the sponsor: status only); None: nobody."""
    if claim.reporter_chat_id == ctx.chat.id:
        return "reporter"
    if await ctx.is_officer():
        return "officer"
    if await claim_data.co_reporter_of(ctx.session, claim.id, ctx.chat.id) is not None:
        return "co_reporter"
    asn = await ctx.asn()
    if asn is not None and claim.sponsorship_id is not None:
        sponsorship = await ctx.session.get(Sponsorship, claim.sponsorship_id)
        if sponsorship is not None and sponsorship.asn_id == asn.id:
            return "asn"
    return None


def status_text(t: Translator, claim: Claim, worker: Worker, *, full_name: bool = False,
                documents_complete: bool = False) -> str:
    """Where a claim stands, for the reporter, the sponsor and officers (those two read the worker's full name).
    `documents_complete`: a draft whose required documents are all in, waiting to be sent."""
    params = {"reference": claim.reference or f"#{claim.id}", "kind": t(f"claims.kind_long_{claim.kind}"),
              "worker": worker.name if full_name else initials(worker.name), "id": claim.id,
              "date": format_date(claim.event_date, t.language),
              "amount": format_rupiah(claim.paid_amount or 0), "reason": claim.reason or "-",
              "docs": ", ".join(t(f"claims.doc_{d}") for d in claim.requested) or "-",
              "paid_on": format_date(claim.paid_on, t.language) if claim.paid_on else "-"}
    state = "ready" if claim.status == "documents" and documents_complete else claim.status
    # A death nobody has confirmed yet is said to be reported, never stated as a fact.
    head = "claimtrust.status_head_reported" if unconfirmed_death(claim) else "claims.status_head"
    return t(head, **params) + "\n" + t(f"claims.state_{state}", **params)


def accident_deadline(ctx: Ctx, kind: str, day: date) -> str:
    """For a work accident (JKK): the 2 x 24 hours to report it to the branch or a PLKK (DOMAIN.md §3.2), said as
    still open or already late; after a death, without the words about treatment."""
    late = "late" if reported_late(day, ctx.today) else "within"
    key = f"claimfix.report_death_{late}" if kind in DEATHS else f"claims.report_{late}"
    return ctx.t(key, deadline=format_date(report_deadline(day), ctx.t.language), branch=ctx.program.claims.branch())


def unconfirmed_death(claim: Claim) -> bool:
    """A reported death that no officer has accepted (the certificate seen): a claim, not a fact."""
    return claim.kind in DEATHS and claim.death_confirmed_at is None


async def tell(ctx: Ctx, claim: Claim, event: str, *, to_sponsor: bool = True, **params: object) -> None:
    """Announce a change of the claim to its reporters and (unless not `to_sponsor`) to the sponsoring ASN, through
    the outbox."""
    worker = await ctx.session.get(Worker, claim.worker_id)
    assert worker is not None  # a claim always has its worker
    key = f"claim:{claim.id}:{event}:{ctx.now.timestamp():.0f}"

    def text(t: Translator) -> str:
        return status_text(t, claim, worker)

    def text_for_sponsor(t: Translator) -> str:  # the sponsor knows the worker by name
        return status_text(t, claim, worker, full_name=True)
    reporter = await ctx.session.get(Chat, claim.reporter_chat_id)
    options = ((f"!klm.docs:{claim.id}", "claims.send_docs"),) if claim.status == "more_docs" else ()
    if reporter is not None:
        await ctx.notify_chat(reporter, key=f"{key}:reporter", text_key="claims.update", status=text,
                              options=options, **params)
    told = {claim.reporter_chat_id}
    for other in await claim_data.co_reporters(ctx.session, claim.id):  # the state in a word, nothing more
        chat = await ctx.session.get(Chat, other.chat_id)
        if chat is not None and chat.id not in told:
            told.add(chat.id)
            await ctx.notify_chat(chat, key=f"{key}:reporter:{other.id}", text_key="claimtrust.update_co",
                                  reference=claim.reference or f"#{claim.id}",
                                  state=lambda t: t(f"claims.short_{claim.status}"))
    sponsor = await sponsor_chat(ctx, claim) if to_sponsor else None
    if sponsor is not None and sponsor.id not in told:
        await ctx.notify_chat(sponsor, key=f"{key}:asn", text_key="claims.update_for_asn",
                              status=text_for_sponsor, **params)


async def sponsor_chat(ctx: Ctx, claim: Claim) -> Chat | None:
    if claim.sponsorship_id is None:
        return None
    sponsorship = await ctx.session.get(Sponsorship, claim.sponsorship_id)
    asn = await ctx.session.get(Asn, sponsorship.asn_id) if sponsorship else None
    return await ctx.session.get(Chat, asn.chat_id) if asn else None


async def load(ctx: Ctx, claim_id: int | None) -> tuple[Claim, Worker] | None:
    claim = await ctx.session.get(Claim, claim_id) if claim_id is not None else None
    worker = await ctx.session.get(Worker, claim.worker_id) if claim else None
    return (claim, worker) if claim is not None and worker is not None else None

