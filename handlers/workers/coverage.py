"""Cover from the ledger, said the same way everywhere: a claim's estimate and the ASN's "Pekerja saya".

Whether a worker was protected on a day is decided by ONE rule, `db.claim_rules.cover_on` (from the months actually
paid); this module feeds it the ledger and writes its months as people read them ("Juni–Oktober 2026").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from db import ledger
from db.models import Contribution, Sponsorship, Worker
from db.rules.claims import Cover, cover_on
from db.rules.months import Month
from db.standing import COVERED
from handlers.engine.context import Ctx
from handlers.engine.format import MONTH_NAMES, format_date, month_name
from handlers.engine.i18n import Translator


def paid_months(rows: Iterable[Contribution]) -> set[Month]:
    """The months of these ledger rows that count as paid: verified, or a receipt awaiting verification."""
    return {row.period for row in rows if row.status in COVERED}


async def ledger_cover(ctx: Ctx, worker: Worker, sponsorship: Sponsorship | None, day: date,
                       rows: Sequence[Contribution] | None = None) -> Cover:
    """`cover_on(day)` for this worker from the sponsorship's ledger (read unless `rows` are given), its end and its
    lapse (local dates), and the regular due dates (`LedgerRules.due`, see `cover_on`)."""
    if rows is None:
        rows = await ledger.ledger(ctx.session, sponsorship.id) if sponsorship is not None else []

    def local_day(moment: datetime | None) -> date | None:
        return ctx.local(moment).date() if moment is not None else None
    return cover_on(day, bpjs_start=worker.bpjs_start, paid=paid_months(rows), due_date=ctx.core.rules.due,
                    ended_on=local_day(sponsorship.ended_at) if sponsorship else None,
                    lapsed_on=local_day(sponsorship.lapsed_at) if sponsorship else None)


def month_ranges(months: Iterable[Month], language: str) -> str:
    """Months as runs: "Juni–Oktober 2026", "Juli 2026, September–November 2026", "November 2026–Februari 2027";
    "" for none."""
    runs: list[list[Month]] = []
    for month in sorted(set(months)):
        if runs and runs[-1][-1] + 1 == month:
            runs[-1].append(month)
        else:
            runs.append([month])
    return ", ".join(_run(run[0], run[-1], language) for run in runs)


def _run(first: Month, last: Month, language: str) -> str:
    if first == last:
        return month_name(first, language)
    if first.year == last.year:
        return f"{MONTH_NAMES.get(language, MONTH_NAMES['id'])[first.month - 1]}–{month_name(last, language)}"
    return f"{month_name(first, language)}–{month_name(last, language)}"


def months_lines(t: Translator, cover: Cover) -> list[str]:
    """Which months up to the date were paid, which not, and the month still payable; nothing before membership."""
    if cover.reason == "not_yet_member":
        return []
    lines = [t("coverage.paid", months=month_ranges(cover.paid, t.language)) if cover.paid
             else t("coverage.paid_none")]
    if cover.unpaid:
        lines.append(t("coverage.unpaid", months=month_ranges(cover.unpaid, t.language)))
    if cover.payable is not None and cover.payable_until is not None:
        lines.append(t("coverage.payable", month=month_name(cover.payable, t.language),
                       due=format_date(cover.payable_until, t.language)))
    return lines


def today_line(t: Translator, cover: Cover, arrears: int) -> str:
    """ "Hari ini: terlindungi" or not, for the sponsor, from `cover` (today's cover). `arrears`: the months the
    sponsor is late for (db.standing); a membership whose first due date has not come yet has unpaid months that
    are not protected although nothing is late."""
    if cover.covered:
        return t("my_workers.protected")
    unpaid = month_ranges(cover.unpaid, t.language)
    if unpaid and not arrears:
        return t("coverage.not_protected_unpaid", months=unpaid)
    late = t("my_workers.not_protected", months=arrears)
    return late + "\n" + t("coverage.unpaid_list", months=unpaid) if unpaid else late
