"""`tuwai export claims`: one row per claim, for officers, with the export writers of `tuwai export`."""

from __future__ import annotations

import argparse
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select

from bot import payments_import
from bot.app import App
from bot.config import Settings
from db.engine import session_factory
from db.models import Asn, Claim, ClaimDocument, Sponsorship, Worker

CLAIM_COLUMNS = ["reference", "status", "kind", "event_date", "place", "worker_name", "nik", "kpj", "desa",
                 "asn_name", "nip", "opd", "reporter_name", "reporter_relation", "reporter_phone", "reporter_is_heir",
                 "estimate", "documents", "reported_on", "submitted_on", "paid_amount", "paid_on", "reason"]


def claims_query() -> Select[Any]:
    documents = (select(func.count(ClaimDocument.id)).where(ClaimDocument.claim_id == Claim.id)
                 .correlate(Claim).scalar_subquery())
    return (select(Claim, Worker.name, Worker.nik, Worker.kpj, Worker.desa_code, Asn.name.label("asn_name"), Asn.nip,
                   Asn.opd, documents.label("documents"))
            .join(Worker, Worker.id == Claim.worker_id)
            .outerjoin(Sponsorship, Sponsorship.id == Claim.sponsorship_id)
            .outerjoin(Asn, Asn.id == Sponsorship.asn_id)
            .order_by(Claim.id))


def claim_row(row: Any, area: Any, zone: ZoneInfo) -> list[Any]:
    claim: Claim = row[0]

    def day(moment: datetime | None) -> date | None:
        return moment.astimezone(zone).date() if moment else None
    return [claim.reference, claim.status, claim.kind, claim.event_date, claim.place, row.name, row.nik, row.kpj,
            area(row.desa_code), row.asn_name, row.nip, row.opd, claim.reporter_name, claim.reporter_relation,
            claim.reporter_phone, "yes" if claim.reporter_is_heir else "no", claim.estimate, row.documents,
            day(claim.created_at), day(claim.submitted_at), claim.paid_amount, claim.paid_on, claim.reason]


async def export_claims(settings: Settings, args: argparse.Namespace) -> int:
    from bot.cli import EXPORT_FORMATS, UserError, _AreaNames, _CsvSink, _reading_engine, _XlsxSink, console

    suffix = args.output.suffix.lower().lstrip(".") if args.output is not None else ""
    fmt = args.format or (suffix if suffix in EXPORT_FORMATS else "csv")
    if args.output is not None and suffix in EXPORT_FORMATS and suffix != fmt:
        raise UserError(f"--format {fmt} does not match the output file {args.output.name}; use a .{fmt} name")
    today = payments_import.programme_today(settings.program.timezone)
    output: Path = args.output or Path(f"claims-{today:%Y%m%d}.{fmt}")
    if output.is_dir():
        raise UserError(f"{output} is a folder; give a file name with --output")
    partial = output.with_name(output.name + ".part")
    app = App(settings)
    reader = _reading_engine(app)
    area, zone = _AreaNames(), ZoneInfo(settings.program.timezone)
    written = 0
    try:
        await app.prepare()
        sink = _CsvSink(partial, CLAIM_COLUMNS) if fmt == "csv" else _XlsxSink(partial, CLAIM_COLUMNS, "claims")
        try:
            async with session_factory(reader)() as session:
                for row in await session.execute(claims_query()):
                    sink.write(claim_row(row, area, zone))
                    written += 1
            sink.close()
            os.replace(partial, output)
        finally:
            partial.unlink(missing_ok=True)
    finally:
        if reader is not app.engine:
            await reader.dispose()
        await app.engine.dispose()
    console.print(f"Exported {written} claim row(s) to {output.resolve()}", soft_wrap=True)
    return 0
