"""`tuwai export`: tables an officer can hand to the head of office.

Each export is ONE small function registered with `@export(name, help)`: given the export's context (today, the
ledger rules, the translator, area names) it returns its columns, the query, and how a result row becomes a table
row. Column headers and words (statuses, occupations, relations) come from the message catalogues in the chosen
language (Bahasa Indonesia by default). Arrears and statuses come from db/standing.py, like every other figure.
The writing (CSV or XLSX, typed cells, frozen header, column widths) is bot/files/export_files.py's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select

from db import standing
from db.ledger import LedgerRules
from db.models import Asn, Contribution, Sponsorship, Worker
from db.wilayah import load_wilayah
from handlers.engine.i18n import Translator


@dataclass(frozen=True)
class ExportColumn:
    key: str  # catalogue key export.column.<key>: the header
    kind: str = "text"  # text | date | month | int | rupiah: how the cell is typed in XLSX
    width: int = 18  # characters, in XLSX


@dataclass(frozen=True)
class ExportTable:
    columns: tuple[ExportColumn, ...]
    query: Select[Any]
    row: Callable[[Any], list[Any]]


class ExportContext:
    def __init__(self, *, today: date, rules: LedgerRules, t: Translator, zone: ZoneInfo) -> None:
        self.today, self.rules, self.t, self.zone = today, rules, t, zone
        self.wilayah = load_wilayah()
        self._areas: dict[str, str] = {}

    def area(self, code: str | None) -> str:
        """An area code's name ("13.77.01" -> "Pariaman Selatan")."""
        if not code:
            return ""
        if code not in self._areas:
            area = self.wilayah.area(code)
            self._areas[code] = area.name if area is not None else code
        return self._areas[code]

    def day(self, moment: datetime | None) -> date | None:
        """The programme's calendar day (WIB) of a stored UTC moment."""
        return moment.astimezone(self.zone).date() if moment else None

    def word(self, prefix: str, value: str | None) -> str:
        """A stored code in words ("status", "active" -> "aktif"); the code itself when the catalogue has none."""
        if value is None:
            return ""
        key = f"{prefix}.{value}"
        return self.t(key) if self.t.catalog.has(key) else value


@dataclass(frozen=True)
class Export:
    name: str
    help: str
    build: Callable[[ExportContext], ExportTable]


EXPORTS: dict[str, Export] = {}


def export(name: str, help: str) -> Callable[[Callable[[ExportContext], ExportTable]],
                                             Callable[[ExportContext], ExportTable]]:
    """Register an export as `tuwai export <name>`."""
    def register(build: Callable[[ExportContext], ExportTable]) -> Callable[[ExportContext], ExportTable]:
        EXPORTS[name] = Export(name, help, build)
        return build
    return register


C = ExportColumn
PERSON = C("worker_name", width=28)
SPONSOR = (C("asn_name", width=28), C("nip", width=20), C("opd", width=26))


@export("workers", "the workers: status and arrears, area, BPJS membership, heir, sponsor")
def workers(ctx: ExportContext) -> ExportTable:
    arrears, status = standing.standing_columns(ctx.today, ctx.rules)
    query = (select(Worker, Asn.name.label("asn_name"), Asn.nip, Asn.opd, Asn.opd_other, Sponsorship.funding, arrears,
                    status)
             .outerjoin(Sponsorship, standing.open_sponsorship_join())
             .outerjoin(Asn, Sponsorship.asn_id == Asn.id)
             .order_by(Worker.name, Worker.id))

    def row(r: Any) -> list[Any]:
        w = r.Worker
        return [w.name, w.nik, w.kpj, ctx.word("status", r.standing), r.arrears, ctx.word("sex", w.sex), w.birth_date,
                ctx.word("occupation", w.occupation), ctx.area(w.kecamatan_code), ctx.area(w.desa_code), w.phone,
                w.bpjs_start, w.heir_name, ctx.word("relation", w.heir_relation), w.heir_phone, r.asn_name, r.nip,
                r.opd, ctx.word("export.funding", r.funding), w.occupation_other, r.opd_other,
                ctx.word("export.flag", "yes" if w.birth_date_differs else "no")]
    return ExportTable((PERSON, C("nik"), C("kpj", width=14), C("status", width=26), C("arrears", "int", 12),
                        C("sex", width=12), C("birth_date", "date", 14), C("occupation", width=22),
                        C("kecamatan", width=20), C("desa", width=22), C("phone", width=16),
                        C("bpjs_start", "date", 14), C("heir_name", width=26), C("heir_relation", width=16),
                        C("heir_phone", width=16), *SPONSOR, C("funding", width=14),
                        C("occupation_other", width=22), C("opd_other", width=22),
                        C("birth_date_differs", width=16)), query, row)


@export("contributions", "the contribution ledger, one row per worker and month")
def contributions(ctx: ExportContext) -> ExportTable:
    query = (select(Worker.name, Worker.nik, Worker.kpj, Asn.name.label("asn_name"), Asn.nip, Asn.opd,
                    Worker.kecamatan_code, Worker.desa_code, Contribution.period, Contribution.amount,
                    Contribution.due_date, Contribution.status, Contribution.paid_on, Contribution.source)
             .join(Sponsorship, Contribution.sponsorship_id == Sponsorship.id)
             .join(Worker, Sponsorship.worker_id == Worker.id)
             .join(Asn, Sponsorship.asn_id == Asn.id)
             .order_by(Worker.name, Sponsorship.id, Contribution.period))

    def row(r: Any) -> list[Any]:
        # "late" is what db/standing.py counts as a month in arrears: due, and its due date has passed
        state = "late" if r.status == "due" and r.due_date < ctx.today else r.status
        return [r.name, r.nik, r.kpj, r.asn_name, r.nip, r.opd, ctx.area(r.kecamatan_code), ctx.area(r.desa_code),
                r.period.first_day(), r.amount, r.due_date, ctx.word("export.contribution", state), r.paid_on,
                ctx.word("export.source", r.source)]
    return ExportTable((PERSON, C("nik"), C("kpj", width=14), *SPONSOR, C("kecamatan", width=20),
                        C("desa", width=22), C("month", "month", 14), C("amount", "rupiah", 12),
                        C("due_date", "date", 14), C("contribution_status", width=24), C("paid_on", "date", 14),
                        C("source", width=14)), query, row)
