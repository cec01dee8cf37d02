"""The monthly contribution ledger: which months exist for a sponsorship, what they cost, when they are due."""

from __future__ import annotations

import functools
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import holidays as holiday_data
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Contribution, Sponsorship, Worker
from db.queries import _insert
from db.rules.contributions import FIRST_DUE_GRACE_DAYS, TariffSchedule, due_date, effective_due_date, first_due_date
from db.rules.months import Month


@functools.cache
def indonesian_holidays() -> Container[date]:
    """Indonesia's public holidays (the `holidays` package; years are filled in as they are asked for)."""
    return holiday_data.country_holidays("ID")


@dataclass(frozen=True)
class LedgerRules:
    schedule: TariffSchedule
    transport_occupations: frozenset[str]
    due_day: int = 15
    holidays: Container[date] = frozenset()
    first_due_grace_days: int = FIRST_DUE_GRACE_DAYS

    def sector(self, occupation: str) -> str:
        return "transport" if occupation in self.transport_occupations else "other"

    def amount(self, month: Month, occupation: str, funding: str) -> int:
        return self.schedule.amount(month, sector=self.sector(occupation), funding=funding)

    def due(self, month: Month) -> date:
        """The regular due date of `month` (the 15th or the next working day)."""
        return due_date(month, self.holidays, self.due_day)

    def first_due(self, active_since: date) -> date:
        """The first due date of a membership that became active on `active_since` (db.rules.first_due_date)."""
        return first_due_date(active_since, self.holidays, self.due_day, self.first_due_grace_days)

    def due_for(self, month: Month, worker: Worker) -> date:
        """When `month` is due for this worker: never before the worker's first due date (db.rules.contributions)."""
        return effective_due_date(month, self.holidays, self.due_day, first_due=worker.first_due)


def first_month(worker: Worker) -> Month | None:
    """Contributions start with the month BPJS membership started."""
    return Month.of(worker.bpjs_start) if worker.bpjs_start else None


async def ensure_months(session: AsyncSession, *, sponsorship: Sponsorship, worker: Worker, months: Iterable[Month],
                        rules: LedgerRules) -> None:
    """Create the ledger rows that do not exist yet (planning twice creates nothing twice)."""
    rows = [{"sponsorship_id": sponsorship.id, "period": month, "status": "due",
             "amount": rules.amount(month, worker.occupation, sponsorship.funding),
             "due_date": rules.due_for(month, worker)}
            for month in months]
    if rows:
        statement = _insert(session, Contribution).on_conflict_do_nothing(
            index_elements=["sponsorship_id", "period"])
        await session.execute(statement, rows)


async def ledger(session: AsyncSession, sponsorship_id: int) -> Sequence[Contribution]:
    query = select(Contribution).where(Contribution.sponsorship_id == sponsorship_id).order_by(Contribution.period)
    return (await session.execute(query)).scalars().all()


async def months_rows(session: AsyncSession, sponsorship_id: int, months: Iterable[Month]) -> list[Contribution]:
    wanted = list(months)
    query = (select(Contribution).where(Contribution.sponsorship_id == sponsorship_id,
                                        Contribution.period.in_(wanted)).order_by(Contribution.period))
    return list((await session.execute(query)).scalars().all())
