"""`tuwai export claims`: one row per claim, for officers (registered with the other exports of
bot/files/exports.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.files.exports import PERSON, SPONSOR, ExportColumn, ExportContext, ExportTable, export
from db.models import Asn, Claim, ClaimDocument, Sponsorship, Worker

C = ExportColumn


@export("claims", "the claims, one row per claim: state, worker, reporter, estimate, payout")
def claims(ctx: ExportContext) -> ExportTable:
    documents = (select(func.count(ClaimDocument.id)).where(ClaimDocument.claim_id == Claim.id)
                 .correlate(Claim).scalar_subquery())
    query = (select(Claim, Worker.name, Worker.nik, Worker.kpj, Worker.desa_code, Asn.name.label("asn_name"), Asn.nip,
                    Asn.opd, documents.label("documents"))
             .join(Worker, Worker.id == Claim.worker_id)
             .outerjoin(Sponsorship, Sponsorship.id == Claim.sponsorship_id)
             .outerjoin(Asn, Asn.id == Sponsorship.asn_id)
             .order_by(Claim.id))

    def row(r: Any) -> list[Any]:
        c: Claim = r.Claim
        return [c.reference, ctx.t(f"claims.short_{c.status}"), ctx.t(f"claims.kind_long_{c.kind}"), c.event_date,
                c.place, r.name, r.nik, r.kpj, ctx.area(r.desa_code), r.asn_name, r.nip, r.opd, c.reporter_name,
                ctx.t(f"claims.rel_{c.reporter_relation}"), c.reporter_phone,
                ctx.word("export.flag", "yes" if c.reporter_is_heir else "no"), c.estimate, r.documents,
                ctx.day(c.created_at), ctx.day(c.submitted_at), c.paid_amount, c.paid_on, c.reason]
    return ExportTable((C("reference", width=18), C("claim_status", width=22), C("claim_kind", width=30),
                        C("event_date", "date", 14), C("place", width=22), PERSON, C("nik"), C("kpj", width=14),
                        C("desa", width=22), *SPONSOR, C("reporter_name", width=24), C("reporter_relation", width=16),
                        C("reporter_phone", width=16), C("reporter_is_heir", width=12), C("estimate", "rupiah", 14),
                        C("documents", "int", 10), C("reported_on", "date", 14), C("submitted_on", "date", 14),
                        C("paid_amount", "rupiah", 14), C("paid_on", "date", 14), C("reason", width=30)), query, row)
