"""The claim rules as pure functions, checked against the worked cases of DOMAIN.md §2.1-§2.2 and §1.2-§1.3."""

from __future__ import annotations

from datetime import date

import pytest

from db.rules.claims import (JKK_DEATH, JKK_INJURY, JKM, Cover, cover_on, estimate, full_jkm_from, refundable_months,
                             report_deadline, reported_late, scholarship_eligible)
from db.rules.contributions import due_date, first_due_date
from db.rules.months import Month

COVERED = Cover(True, "covered")


def due(month: Month) -> date:
    return due_date(month, frozenset())  # the 15th, or the next weekday


def cover(day: date, start: date, paid: set[Month], ended: date | None = None, lapsed: date | None = None) -> Cover:
    return cover_on(day, bpjs_start=start, ended_on=ended, lapsed_on=lapsed, paid=paid, due_date=due)


# -- cover on the date of the event ------------------------------------------------------------------------------------

def test_a_worker_with_every_month_paid_is_covered() -> None:
    paid = set(Month(2026, 1).until(Month(2026, 6)))
    assert cover(date(2026, 6, 20), date(2026, 1, 10), paid).reason == "covered"


def test_an_event_before_membership_started_is_not_covered() -> None:
    assert cover(date(2026, 1, 9), date(2026, 1, 10), set(Month(2026, 1).until(Month(2026, 3)))).reason == \
        "not_yet_member"
    assert cover_on(date(2026, 1, 9), bpjs_start=None, ended_on=None, lapsed_on=None, paid=set(),
                    due_date=due).reason == "not_yet_member"


def test_a_death_before_the_due_date_of_an_unpaid_month_is_covered() -> None:
    # May 2026 unpaid; its due date is Friday 15 May. A death on the 10th, or on the due date itself, is covered.
    paid = set(Month(2026, 1).until(Month(2026, 4)))
    assert due(Month(2026, 5)) == date(2026, 5, 15)
    assert cover(date(2026, 5, 10), date(2026, 1, 5), paid).covered
    assert cover(date(2026, 5, 15), date(2026, 1, 5), paid).covered
    assert cover(date(2026, 5, 16), date(2026, 1, 5), paid).reason == "unpaid"


def test_an_unpaid_earlier_month_means_not_covered() -> None:
    paid = set(Month(2026, 1).until(Month(2026, 6))) - {Month(2026, 3)}
    assert cover(date(2026, 6, 1), date(2026, 1, 5), paid).reason == "unpaid"


def test_an_ended_or_lapsed_sponsorship_is_not_covered() -> None:
    paid = set(Month(2026, 1).until(Month(2026, 12)))
    assert cover(date(2026, 6, 2), date(2026, 1, 5), paid, ended=date(2026, 6, 1)).reason == "sponsorship_ended"
    assert cover(date(2026, 6, 2), date(2026, 1, 5), paid, lapsed=date(2026, 5, 20)).reason == "lapsed"
    assert cover(date(2026, 6, 1), date(2026, 1, 5), paid, ended=date(2026, 6, 1)).covered  # the same day


def test_a_month_due_before_the_kpj_was_recorded_is_not_protected_until_paid() -> None:
    """BPJS start 1 Nov 2026, KPJ recorded 30 Nov: Nov is due with Dec on 15 Dec for the sponsor's reminders, but
    that pays nothing (issue 18 item 7, which replaced "covered until the first due date"): cover_on takes the
    regular due dates, so with nothing paid a death after 16 Nov is unpaid."""
    assert first_due_date(date(2026, 11, 30), frozenset()) == date(2026, 12, 15)
    assert cover(date(2026, 11, 16), date(2026, 11, 1), set()).reason == "unpaid"  # nothing ever paid: no cover
    assert cover(date(2026, 11, 30), date(2026, 11, 1), set()).reason == "unpaid"
    assert cover(date(2026, 12, 16), date(2026, 11, 1), {Month(2026, 12)}).reason == "unpaid"  # Nov still owed
    assert cover(date(2026, 12, 16), date(2026, 11, 1), {Month(2026, 11), Month(2026, 12)}).covered


# -- JKM: the 3-month rule from the BPJS start date ----------------------------------------------------------------

def test_fadli_registered_24_april_died_5_may_2025_gets_rp10_jt() -> None:
    # DOMAIN.md §2.1: Labai A.T. Fadli, registered 24 Apr 2025, died 5 May 2025 (not at work): Rp10 jt.
    result = estimate(JKM, date(2025, 5, 5), cover=COVERED, bpjs_start=date(2025, 4, 24), paid_months=1)
    assert result.total == 10_000_000 and result.early
    assert "three_months" in result.to_confirm  # "registered" vs "paid" months is unconfirmed: said so


def test_a_death_after_three_months_pays_rp42_jt_in_three_parts() -> None:
    # DOMAIN.md §2.1: Aznul, a Pariaman fisherman whose premium had been paid for long: Rp42 jt.
    result = estimate(JKM, date(2023, 9, 1), cover=COVERED, bpjs_start=date(2023, 1, 2), paid_months=8)
    assert result.parts == (("death_lump_sum", 20_000_000), ("periodic", 12_000_000), ("funeral", 10_000_000))
    assert result.total == 42_000_000 and not result.early and result.to_confirm == ()


def test_the_exact_boundary_day_pays_in_full_and_the_day_before_does_not() -> None:
    start = date(2026, 1, 31)
    boundary = full_jkm_from(start)
    assert boundary == date(2026, 4, 30)  # 31 Jan + 3 months, clamped to the month's end
    assert estimate(JKM, boundary, cover=COVERED, bpjs_start=start, paid_months=3).total == 42_000_000
    before = date(2026, 4, 29)
    assert estimate(JKM, before, cover=COVERED, bpjs_start=start, paid_months=3).total == 10_000_000


def test_a_work_accident_death_pays_rp70_jt_at_the_rp1_jt_bracket() -> None:
    # DOMAIN.md §2.2: 48 × Rp1 jt + Rp12 jt + Rp10 jt = Rp70 jt ("up to Rp70 jt", Pariaman mayor), from day one.
    result = estimate(JKK_DEATH, date(2026, 2, 1), cover=COVERED, bpjs_start=date(2026, 1, 20), paid_months=1)
    assert result.parts == (("jkk_death", 48_000_000), ("periodic", 12_000_000), ("funeral", 10_000_000))
    assert result.total == 70_000_000 and not result.early and result.scholarship


def test_a_work_injury_has_no_ceiling_and_no_total() -> None:
    result = estimate(JKK_INJURY, date(2026, 2, 1), cover=COVERED, bpjs_start=date(2026, 1, 20), paid_months=1)
    assert result.total is None and dict(result.parts)["stmb"] == 1_000_000 and not result.scholarship


def test_not_covered_means_no_benefit() -> None:
    result = estimate(JKM, date(2026, 5, 20), cover=Cover(False, "unpaid"), bpjs_start=date(2026, 1, 5),
                      paid_months=3)
    assert not result.covered and result.total == 0 and result.parts == ()


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        estimate("jht", date(2026, 1, 1), cover=COVERED, bpjs_start=date(2025, 1, 1), paid_months=0)


# -- scholarship ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "months", "expected"), [
    (JKM, 35, False), (JKM, 36, True), (JKM, 120, True),  # three years of contributions
    (JKK_DEATH, 0, True), (JKK_DEATH, 1, True),  # at once after a work-accident death
    (JKK_INJURY, 60, False),
])
def test_scholarship_thresholds(kind: str, months: int, expected: bool) -> None:
    assert scholarship_eligible(kind, months) is expected


def test_the_scholarship_shows_in_the_estimate() -> None:
    start = date(2023, 1, 1)
    assert estimate(JKM, date(2026, 2, 1), cover=COVERED, bpjs_start=start, paid_months=36).scholarship
    assert not estimate(JKM, date(2026, 2, 1), cover=COVERED, bpjs_start=start, paid_months=35).scholarship


# -- reporting a work accident; refunds after a death --------------------------------------------------------------

def test_a_work_accident_reported_after_two_days_is_late() -> None:
    accident = date(2026, 11, 20)
    assert report_deadline(accident) == date(2026, 11, 22)
    assert not reported_late(accident, date(2026, 11, 22))
    assert reported_late(accident, date(2026, 11, 23))


def test_prepaid_months_after_the_death_month_are_refunded() -> None:
    paid = set(Month(2026, 1).until(Month(2026, 12)))
    assert refundable_months(paid, date(2026, 9, 30)) == [Month(2026, 10), Month(2026, 11), Month(2026, 12)]
    assert refundable_months(paid, date(2026, 12, 1)) == []
