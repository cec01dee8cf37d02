"""Who the programme can enrol: the worker's age at enrolment (pure functions, the date passed in).

The limits come from config ([program] worker_min_age, worker_max_age): BPJS Ketenagakerjaan registers BPU members
as adults of working age, and a NIK that makes a fisherman eleven years old is a typo, not a member.
"""

from __future__ import annotations

from datetime import date


def age_in_years(born: date, today: date) -> int:
    """Whole years from `born` to `today` (a birthday on 29 February counts from 1 March in other years)."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def age_problem(born: date, today: date, *, min_age: int, max_age: int) -> str | None:
    """"too_young", "too_old" or None for a worker born on `born`, on `today`; limits in whole years, inclusive."""
    age = age_in_years(born, today)
    if age < min_age:
        return "too_young"
    if age > max_age:
        return "too_old"
    return None
