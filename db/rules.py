"""The programme's rules as pure functions: no I/O, the date passed in."""

from __future__ import annotations

from datetime import date


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
