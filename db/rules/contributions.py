"""The programme's rules as pure functions: no I/O, the date passed in."""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from db.rules.months import Month


def add_months(start: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def jkm_full_benefit_from(registered: date, months: int = 3) -> date:
    """From this date a death not at work pays the full JKM (Rp42 jt); before it, Rp10 jt (Permenaker 1/2025)."""
    return add_months(registered, months)


# -- contributions (iuran): tariffs, due dates, reminders, cover -------------------------------------------------------

@dataclass(frozen=True)
class Discount:
    """A temporary tariff for one sector over a range of contribution months (PP 50/2025)."""

    sector: str  # "transport" | "other" | "all"
    first: Month
    last: Month
    amount: int
    excluded_funding: frozenset[str] = frozenset({"apbd", "apbn"})


@dataclass(frozen=True)
class TariffSchedule:
    base: int  # JKK Rp10.000 (1% of the Rp1 jt bracket) + JKM Rp6.800
    discounts: tuple[Discount, ...] = ()

    def amount(self, month: Month, *, sector: str, funding: str = "personal") -> int:
        """What one month of JKK + JKM costs, in whole rupiah."""
        for discount in self.discounts:
            if (discount.sector in (sector, "all") and discount.first <= month <= discount.last
                    and funding not in discount.excluded_funding):
                return discount.amount
        return self.base


PP_50_2025 = TariffSchedule(16_800, (
    Discount("transport", Month(2026, 1), Month(2027, 3), 8_400),
    Discount("other", Month(2026, 4), Month(2026, 12), 8_400),
))


def is_working_day(day: date, holidays: Container[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def due_date(month: Month, holidays: Container[date], due_day: int = 15) -> date:
    """The 15th of the contribution month itself, or the next working day (DOMAIN.md 1.2)."""
    day = date(month.year, month.month, due_day)
    while not is_working_day(day, holidays):
        day += timedelta(days=1)
    return day


FIRST_DUE_GRACE_DAYS = 7  # the first reminder comes a week before a due date (config.toml reminder_days)


def first_due_date(active_since: date, holidays: Container[date], due_day: int = 15,
                   grace_days: int = FIRST_DUE_GRACE_DAYS) -> date:
    """The first regular due date (see `due_date`) on or after `active_since` + `grace_days`.

    `active_since` is the day the sponsorship became active (the officer recorded the KPJ). DOMAIN.md 1.3: a donor's
    worker is a member from the day the registration is accepted, and the BPJS start date may lie before it; DOMAIN.md
    1.2: a BPU month is due on the 15th of the month itself. A month that fell due before the worker was active (or
    within the grace after it) could never have been paid in time, and the ASN could not have been reminded of it
    (reminders start `grace_days` before a due date), so it falls due with the next due point instead.
    """
    floor = active_since + timedelta(days=grace_days)
    month = Month.of(floor)
    due = due_date(month, holidays, due_day)
    return due if due >= floor else due_date(month + 1, holidays, due_day)


def effective_due_date(month: Month, holidays: Container[date], due_day: int = 15, *,
                       first_due: date | None = None) -> date:
    """When `month` is due for one membership: its regular due date, never before the membership's first due date
    (`first_due_date`); None for `first_due` (memberships recorded before the rule) means the regular date."""
    due = due_date(month, holidays, due_day)
    return max(due, first_due) if first_due is not None else due


def latest_reminder(due: date, today: date, offsets: Sequence[int]) -> int | None:
    """The reminder (days relative to the due date) that is current today, or None.

    Only the latest point reached is sent: after downtime the stale earlier ones are skipped, and each point is
    sent once (the outbox key carries it).
    """
    reached = [offset for offset in sorted(offsets) if due + timedelta(days=offset) <= today]
    return reached[-1] if reached else None


def unpaid_streak(unpaid_past_due: Sequence[Month], today_month: Month) -> int:
    """Consecutive months, ending with the latest month whose due date has passed, that are unpaid."""
    months = sorted(set(unpaid_past_due), reverse=True)
    if not months:
        return 0
    streak, expected = 0, months[0]
    for month in months:
        if month != expected:
            break
        streak += 1
        expected = month - 1
    return streak if months[0] >= today_month - 1 else 0


LAPSE_AFTER = 3  # consecutive unpaid months (DOMAIN.md 1.2: BPJS PROBIS, "more than 3 months" in arrears)


def cover_status(*, paid: Container[Month], months: Sequence[Month], due_dates: dict[Month, date],
                 today: date) -> tuple[bool, int]:
    """(protected today, consecutive unpaid months past due). Any unpaid month past its due date = not protected.
    `due_dates` are the membership's own (`effective_due_date`: never before its first due date)."""
    past_due = [m for m in months if due_dates[m] < today]
    unpaid = [m for m in past_due if m not in paid]
    # The streak ends with the latest month past its due date: if that month is paid, there is no current streak.
    streak = unpaid_streak(unpaid, Month.of(today)) if unpaid and max(unpaid) == max(past_due) else 0
    return (not unpaid, streak)
