"""The contribution rules as pure functions: tariffs (PP 50/2025), due dates, reminders, cover, and the Month type.

No database, no clock: every date is passed in (DOMAIN.md 1.1-1.4).
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import load_settings
from db.ledger import LedgerRules, indonesian_holidays
from db.rules.contributions import (LAPSE_AFTER, PP_50_2025, TariffSchedule, add_months, cover_status, due_date,
                                    effective_due_date, first_due_date, is_working_day, jkm_full_benefit_from,
                                    latest_reminder, unpaid_streak)
from db.rules.months import Month, MonthType
from handlers.engine.settings import ContributionSettings, ProgramSettings
from tests.conftest import ROOT

FULL = 16_800  # JKK Rp10.000 + JKM Rp6.800 at the Rp1 jt bracket
HALF = 8_400  # PP 50/2025: 50 % off

MONTHS_2026_2027 = Month(2026, 1).until(Month(2027, 12))

# The tariff written out by hand, month by month: (transport, other). Transport: Jan 2026 - Mar 2027 discounted;
# other sectors: Apr - Dec 2026 discounted (DOMAIN.md 1.4).
EXPECTED_TARIFF: dict[str, tuple[int, int]] = {
    "2026-01": (8_400, 16_800),
    "2026-02": (8_400, 16_800),
    "2026-03": (8_400, 16_800),
    "2026-04": (8_400, 8_400),
    "2026-05": (8_400, 8_400),
    "2026-06": (8_400, 8_400),
    "2026-07": (8_400, 8_400),
    "2026-08": (8_400, 8_400),
    "2026-09": (8_400, 8_400),
    "2026-10": (8_400, 8_400),
    "2026-11": (8_400, 8_400),
    "2026-12": (8_400, 8_400),
    "2027-01": (8_400, 16_800),
    "2027-02": (8_400, 16_800),
    "2027-03": (8_400, 16_800),
    "2027-04": (16_800, 16_800),
    "2027-05": (16_800, 16_800),
    "2027-06": (16_800, 16_800),
    "2027-07": (16_800, 16_800),
    "2027-08": (16_800, 16_800),
    "2027-09": (16_800, 16_800),
    "2027-10": (16_800, 16_800),
    "2027-11": (16_800, 16_800),
    "2027-12": (16_800, 16_800),
}


@pytest.fixture(scope="module")
def schedules() -> list[TariffSchedule]:
    """The built-in defaults, the repo's config.toml (without any TUWAI_* environment override), and the constant
    PP_50_2025 in db/rules/contributions.py."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("TUWAI_")}
    for key in saved:
        del os.environ[key]
    try:
        from_config = load_settings(ROOT / "config.toml").program.contributions.schedule()
    finally:
        os.environ.update(saved)
    return [ContributionSettings().schedule(), from_config, PP_50_2025]


# -- tariffs ----------------------------------------------------------------------------------------------------------

def test_expected_table_covers_every_month_of_2026_and_2027() -> None:
    assert sorted(EXPECTED_TARIFF) == [str(m) for m in MONTHS_2026_2027]


@pytest.mark.parametrize("month", MONTHS_2026_2027, ids=str)
def test_tariff_every_month_both_sectors(schedules: list[TariffSchedule], month: Month) -> None:
    transport, other = EXPECTED_TARIFF[str(month)]
    for schedule in schedules:
        for funding in ("personal", "donor"):
            got_transport = schedule.amount(month, sector="transport", funding=funding)
            got_other = schedule.amount(month, sector="other", funding=funding)
            assert (got_transport, got_other) == (transport, other), (month, funding)
            assert type(got_transport) is int and type(got_other) is int
        # APBD/APBN-funded contributions are excluded from PP 50/2025: always the full amount.
        for funding in ("apbd", "apbn"):
            for sector in ("transport", "other"):
                amount = schedule.amount(month, sector=sector, funding=funding)
                assert amount == FULL and type(amount) is int, (month, sector, funding)
    # The defaults in code and the repo's config.toml agree month by month.
    defaults, from_config, _ = schedules
    for sector in ("transport", "other"):
        for funding in ("personal", "apbd", "apbn"):
            assert (defaults.amount(month, sector=sector, funding=funding)
                    == from_config.amount(month, sector=sector, funding=funding))


@pytest.mark.parametrize("month", [Month(2020, 1), Month(2025, 11), Month(2025, 12), Month(2027, 4), Month(2028, 1),
                                   Month(2030, 6)], ids=str)
def test_full_tariff_before_2026_and_after_the_windows(schedules: list[TariffSchedule], month: Month) -> None:
    for schedule in schedules:
        for sector in ("transport", "other"):
            assert schedule.amount(month, sector=sector) == FULL


def test_window_edges(schedules: list[TariffSchedule]) -> None:
    for schedule in schedules:
        assert schedule.amount(Month(2025, 12), sector="transport") == FULL
        assert schedule.amount(Month(2026, 1), sector="transport") == HALF
        assert schedule.amount(Month(2027, 3), sector="transport") == HALF
        assert schedule.amount(Month(2027, 4), sector="transport") == FULL
        assert schedule.amount(Month(2026, 3), sector="other") == FULL
        assert schedule.amount(Month(2026, 4), sector="other") == HALF
        assert schedule.amount(Month(2026, 12), sector="other") == HALF
        assert schedule.amount(Month(2027, 1), sector="other") == FULL


@given(st.builds(Month, st.integers(1990, 2100), st.integers(1, 12)))
def test_tariff_outside_the_windows_is_always_full(month: Month) -> None:
    schedule = ContributionSettings().schedule()
    if not Month(2026, 1) <= month <= Month(2027, 3):
        assert schedule.amount(month, sector="transport") == FULL
        assert schedule.amount(month, sector="other") == FULL
    if not Month(2026, 4) <= month <= Month(2026, 12):
        assert schedule.amount(month, sector="other") == FULL
    for funding in ("apbd", "apbn"):
        assert schedule.amount(month, sector="transport", funding=funding) == FULL


def test_occupation_decides_the_sector() -> None:
    program = ProgramSettings()
    rules = LedgerRules(program.contributions.schedule(), frozenset(program.transport_occupations))
    assert rules.sector("tukang_ojek") == "transport" and rules.sector("sopir_angkot") == "transport"
    assert rules.sector("nelayan") == "other" and rules.sector("labai") == "other"
    assert rules.amount(Month(2026, 2), "tukang_ojek", "personal") == HALF
    assert rules.amount(Month(2026, 2), "nelayan", "personal") == FULL
    assert rules.amount(Month(2026, 5), "nelayan", "personal") == HALF
    assert rules.amount(Month(2026, 5), "nelayan", "apbd") == FULL
    assert rules.amount(Month(2027, 2), "sopir_angkot", "personal") == HALF


# -- due dates --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("month", MONTHS_2026_2027, ids=str)
def test_due_date_is_the_next_working_day_from_the_15th(month: Month) -> None:
    holidays = indonesian_holidays()
    due = due_date(month, holidays)
    fifteenth = date(month.year, month.month, 15)
    assert (due.year, due.month) == (month.year, month.month)  # the contribution month itself
    assert due >= fifteenth
    assert due.weekday() < 5
    assert due not in holidays
    day = fifteenth
    while day < due:  # every day skipped is a weekend or a holiday
        assert day.weekday() >= 5 or day in holidays, (month, day)
        day += timedelta(days=1)


@pytest.mark.parametrize(("month", "expected"), [
    (Month(2026, 8), date(2026, 8, 18)),  # 15 Sat, 16 Sun, 17 Independence Day
    (Month(2026, 11), date(2026, 11, 16)),  # 15 is a Sunday
    (Month(2026, 2), date(2026, 2, 16)),  # 15 is a Sunday
    (Month(2026, 3), date(2026, 3, 16)),  # 15 is a Sunday
    (Month(2026, 4), date(2026, 4, 15)),  # a plain Wednesday
    (Month(2027, 5), date(2027, 5, 18)),  # 15 Sat, 16 Sun, 17 Eid al-Adha (estimated)
    (Month(2028, 2), date(2028, 2, 15)),  # leap year: a Tuesday
], ids=str)
def test_due_date_explicit(month: Month, expected: date) -> None:
    assert due_date(month, indonesian_holidays()) == expected


def test_holiday_data_as_assumed() -> None:
    holidays = indonesian_holidays()
    assert date(2026, 8, 17) in holidays
    # The holidays package gives Eid al-Adha 2027 as an estimate on Monday 17 May.
    assert date(2027, 5, 17) in holidays
    assert "Adha" in holidays.get(date(2027, 5, 17))  # type: ignore[attr-defined]
    assert date(2026, 11, 16) not in holidays
    # Without holidays, Aug 2026 falls on Monday the 17th; May 2027 on the 17th.
    assert due_date(Month(2026, 8), frozenset()) == date(2026, 8, 17)
    assert due_date(Month(2027, 5), frozenset()) == date(2027, 5, 17)


def test_a_fake_holiday_set_shifts_the_due_date() -> None:
    april = Month(2026, 4)  # 15 Apr 2026 is a Wednesday
    assert due_date(april, frozenset()) == date(2026, 4, 15)
    assert due_date(april, {date(2026, 4, 15)}) == date(2026, 4, 16)
    assert due_date(april, {date(2026, 4, 15), date(2026, 4, 16), date(2026, 4, 17)}) == date(2026, 4, 20)
    assert due_date(april, {date(2026, 4, 14)}) == date(2026, 4, 15)  # a holiday before the 15th changes nothing
    assert due_date(april, frozenset(), due_day=10) == date(2026, 4, 10)


@given(st.builds(Month, st.integers(1990, 2100), st.integers(1, 12)),
       st.sets(st.integers(0, 20), max_size=12), st.integers(1, 8))
def test_due_date_property_with_any_holidays(month: Month, holiday_offsets: set[int], due_day: int) -> None:
    start = date(month.year, month.month, due_day)
    holidays = frozenset(start + timedelta(days=n) for n in holiday_offsets)
    due = due_date(month, holidays, due_day)
    assert due >= start and is_working_day(due, holidays)
    assert all(not is_working_day(start + timedelta(days=n), holidays) for n in range((due - start).days))


# -- reminders --------------------------------------------------------------------------------------------------------

OFFSETS = [-7, -3, -1, 1, 7]
DUE = date(2026, 11, 16)


def day(offset: int) -> date:
    return DUE + timedelta(days=offset)


def test_no_reminder_before_the_first_offset() -> None:
    assert latest_reminder(DUE, day(-8), OFFSETS) is None
    assert latest_reminder(DUE, day(-30), OFFSETS) is None
    assert latest_reminder(DUE, day(100), []) is None


@pytest.mark.parametrize("offset", OFFSETS)
def test_each_reminder_on_its_day(offset: int) -> None:
    assert latest_reminder(DUE, day(offset), OFFSETS) == offset


def test_between_offsets_the_last_reached_stays() -> None:
    assert latest_reminder(DUE, day(-5), OFFSETS) == -7
    assert latest_reminder(DUE, day(-2), OFFSETS) == -3
    assert latest_reminder(DUE, DUE, OFFSETS) == -1
    assert latest_reminder(DUE, day(3), OFFSETS) == 1


def test_after_downtime_only_the_latest_is_returned() -> None:
    # Down from day -8 to day +2: the -7, -3 and -1 reminders are stale, only +1 is current.
    assert latest_reminder(DUE, day(2), OFFSETS) == 1
    assert latest_reminder(DUE, day(2), list(reversed(OFFSETS))) == 1  # order of the offsets does not matter


def test_past_the_last_offset_it_stays_the_last() -> None:
    for n in (7, 8, 30, 365):
        assert latest_reminder(DUE, day(n), OFFSETS) == 7


def test_simulated_days_with_downtime_send_each_point_once() -> None:
    """A daily job with the bot down days -6..+3: the outbox key (due, offset) makes each point go out once."""
    down = set(range(-6, 4))
    sent: list[int] = []
    for n in range(-20, 40):
        if n in down:
            continue
        offset = latest_reminder(DUE, day(n), OFFSETS)
        if offset is not None and offset not in sent:
            sent.append(offset)
    # -3 and -1 fell in the downtime and are skipped; back on day +4 the current point is +1, then +7 once.
    assert sent == [-7, 1, 7]


@given(st.lists(st.integers(-30, 30), max_size=6), st.integers(-60, 60))
def test_latest_reminder_is_the_greatest_offset_reached(offsets: list[int], n: int) -> None:
    reached = [o for o in offsets if DUE + timedelta(days=o) <= day(n)]
    assert latest_reminder(DUE, day(n), offsets) == (max(reached) if reached else None)


# -- cover: unpaid months, streaks, lapse -----------------------------------------------------------------------------

def status(months: list[Month], paid: set[Month], today: date) -> tuple[bool, int]:
    due_dates = {m: due_date(m, indonesian_holidays()) for m in months}
    return cover_status(paid=paid, months=months, due_dates=due_dates, today=today)


def test_lapse_constant() -> None:
    assert LAPSE_AFTER == 3


def test_nothing_past_due_is_protected() -> None:
    months = Month(2026, 11).until(Month(2027, 2))
    assert status(months, set(), date(2026, 11, 10)) == (True, 0)
    assert status(months, set(), date(2026, 11, 16)) == (True, 0)  # the due date itself is not late yet
    assert status(months, set(months), date(2027, 3, 1)) == (True, 0)


def test_one_unpaid_month_past_due_is_not_protected() -> None:
    months = Month(2026, 10).until(Month(2026, 12))  # Nov 2026 is due Monday 16 Nov
    paid = {Month(2026, 10), Month(2026, 12)}
    assert status(months, paid, date(2026, 11, 16)) == (True, 0)
    assert status(months, paid, date(2026, 11, 17)) == (False, 1)
    # Aug 2026 is due 18 Aug (weekend + Independence Day): on the 17th it is not late yet.
    august = [Month(2026, 8)]
    assert status(august, set(), date(2026, 8, 17)) == (True, 0)
    assert status(august, set(), date(2026, 8, 19)) == (False, 1)


def test_streak_counts_across_the_year_boundary() -> None:
    months = Month(2026, 10).until(Month(2027, 2))
    paid = {Month(2026, 10)}
    assert status(months, paid, date(2026, 12, 20)) == (False, 2)  # Nov, Dec
    assert status(months, paid, date(2027, 1, 10)) == (False, 2)  # Jan not due yet
    assert status(months, paid, date(2027, 1, 16)) == (False, LAPSE_AFTER)  # Nov, Dec, Jan (due Fri 15 Jan)
    assert unpaid_streak([Month(2026, 11), Month(2026, 12), Month(2027, 1)], Month(2027, 1)) == 3
    assert unpaid_streak([Month(2027, 1), Month(2026, 11), Month(2026, 12), Month(2026, 12)], Month(2027, 2)) == 3


def test_a_paid_month_breaks_the_streak() -> None:
    months = Month(2026, 6).until(Month(2026, 12))
    paid = {Month(2026, 6), Month(2026, 9)}  # Jul, Aug unpaid; Sep paid; Oct, Nov, Dec unpaid
    assert status(months, paid, date(2026, 12, 20)) == (False, 3)
    assert status(months, paid, date(2026, 11, 20)) == (False, 2)
    assert status(months, paid, date(2026, 10, 20)) == (False, 1)
    assert unpaid_streak([Month(2026, 7), Month(2026, 8), Month(2026, 10), Month(2026, 11)], Month(2026, 12)) == 2


def test_paying_the_latest_past_due_month_ends_the_streak() -> None:
    """Nov and Dec unpaid, Jan paid: once January's due date has passed, the streak ending with it is 0."""
    months = Month(2026, 10).until(Month(2027, 1))
    paid = {Month(2026, 10), Month(2027, 1)}
    assert status(months, paid, date(2027, 1, 10)) == (False, 2)  # Jan not yet due: Nov, Dec is the streak
    assert status(months, paid, date(2027, 1, 20)) == (False, 0)  # Jan past due and paid


def test_old_unpaid_month_then_paid_months() -> None:
    months = Month(2026, 1).until(Month(2026, 12))
    paid = set(months) - {Month(2026, 1)}
    assert status(months, paid, date(2026, 12, 20)) == (False, 0)  # still not protected: Jan is owed
    assert unpaid_streak([Month(2026, 1)], Month(2026, 12)) == 0
    assert unpaid_streak([], Month(2026, 12)) == 0


def test_leap_year_february() -> None:
    months = Month(2028, 1).until(Month(2028, 3))
    assert due_date(Month(2028, 2), indonesian_holidays()) == date(2028, 2, 15)
    paid = {Month(2028, 1)}
    assert status(months, paid, date(2028, 2, 15)) == (True, 0)
    assert status(months, paid, date(2028, 2, 29)) == (False, 1)


@given(st.sets(st.integers(0, 23)), st.integers(0, 800))
def test_cover_status_properties(paid_indexes: set[int], days: int) -> None:
    months = MONTHS_2026_2027
    paid = {months[i] for i in paid_indexes}
    today = date(2026, 1, 1) + timedelta(days=days)
    due_dates = {m: due_date(m, frozenset()) for m in months}
    protected, streak = cover_status(paid=paid, months=months, due_dates=due_dates, today=today)
    late = [m for m in months if m not in paid and due_dates[m] < today]
    assert protected == (not late)
    assert 0 <= streak <= len(late)
    if streak:  # the streak is a run of consecutive unpaid, past-due months ending at the latest past-due month
        past_due = [m for m in months if due_dates[m] < today]
        run = past_due[-1].index - streak + 1
        assert all(Month.from_index(i) in late for i in range(run, past_due[-1].index + 1))
        assert run == months[0].index or Month.from_index(run - 1) not in late


# -- month ends and the JKM 3-month rule ------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
    (date(2026, 10, 31), 1, date(2026, 11, 30)),
    (date(2026, 11, 30), 2, date(2027, 1, 30)),
    (date(2028, 2, 29), 12, date(2029, 2, 28)),
    (date(2026, 5, 15), 0, date(2026, 5, 15)),
], ids=str)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@given(st.dates(date(1950, 1, 1), date(2200, 12, 31)), st.integers(-600, 600))
def test_add_months_property(start: date, months: int) -> None:
    result = add_months(start, months)
    assert Month.of(result) == Month.of(start) + months
    assert result.day == start.day or (result.day < start.day and (result + timedelta(days=1)).day == 1)


def test_jkm_full_benefit_from() -> None:
    # Labai A.T. Fadli: registered 24 Apr 2025, died 5 May 2025 -> before the full benefit (Rp10 jt).
    assert jkm_full_benefit_from(date(2025, 4, 24)) == date(2025, 7, 24)
    assert date(2025, 5, 5) < jkm_full_benefit_from(date(2025, 4, 24))
    assert jkm_full_benefit_from(date(2025, 11, 30)) == date(2026, 2, 28)
    assert jkm_full_benefit_from(date(2027, 11, 30)) == date(2028, 2, 29)
    assert jkm_full_benefit_from(date(2026, 1, 31), months=1) == date(2026, 2, 28)


# -- Month ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11", Month(2026, 11)),
    ("11/2026", Month(2026, 11)),
    ("11-2026", Month(2026, 11)),
    ("Nov 2026", Month(2026, 11)),
    ("November 2026", Month(2026, 11)),
    ("nopember 2026", Month(2026, 11)),
    ("Agustus 2026", Month(2026, 8)),
    ("  desember 2027 ", Month(2027, 12)),
    ("Mei 2027", Month(2027, 5)),
    ("2026/1", Month(2026, 1)),
    ("1/2027", Month(2027, 1)),
])
def test_month_parse(text: str, expected: Month) -> None:
    assert Month.parse(text) == expected


@pytest.mark.parametrize("text", ["2026-13", "2026-0", "13/2026", "", "   ", "abc", "🙂", "🙂 2026", "Nov", "2026",
                                  "Novembre 2026", "2026-11-05"])
def test_month_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        Month.parse(text)


def test_month_constructor_rejects() -> None:
    for year, month in ((2026, 0), (2026, 13), (1, 1)):
        with pytest.raises(ValueError):
            Month(year, month)


def test_month_ordering_and_arithmetic() -> None:
    assert Month(2026, 12) < Month(2027, 1) < Month(2027, 2)
    assert sorted([Month(2027, 1), Month(2026, 12), Month(2026, 2)]) == [Month(2026, 2), Month(2026, 12),
                                                                        Month(2027, 1)]
    assert max(Month(2026, 9), Month(2026, 10)) == Month(2026, 10)
    assert Month(2026, 11) + 2 == Month(2027, 1)
    assert Month(2027, 1) - 1 == Month(2026, 12)
    assert Month(2026, 1) - 13 == Month(2024, 12)
    assert Month(2026, 12) + 25 == Month(2029, 1)
    assert Month(2026, 5) + 0 == Month(2026, 5)
    assert Month.of(date(2028, 2, 29)) == Month(2028, 2)
    assert Month(2026, 11).first_day() == date(2026, 11, 1)
    assert str(Month(2026, 1)) == "2026-01"


def test_month_until() -> None:
    assert Month(2026, 11).until(Month(2027, 2)) == [Month(2026, 11), Month(2026, 12), Month(2027, 1), Month(2027, 2)]
    assert Month(2026, 11).until(Month(2026, 11)) == [Month(2026, 11)]
    assert Month(2026, 11).until(Month(2026, 10)) == []
    assert len(MONTHS_2026_2027) == 24


months_strategy = st.builds(Month, st.integers(1900, 9999), st.integers(1, 12))


@given(months_strategy)
def test_month_key_round_trip(month: Month) -> None:
    key = month.key()
    assert len(key) == 6 and key.isdigit()
    assert Month.from_key(key) == month
    assert Month.parse(str(month)) == month


@given(months_strategy, months_strategy)
def test_key_order_is_month_order(a: Month, b: Month) -> None:
    assert (a.key() < b.key()) == (a < b)


@given(st.builds(Month, st.integers(2000, 2200), st.integers(1, 12)), st.integers(-1200, 1200))
def test_month_arithmetic_property(month: Month, n: int) -> None:
    assert (month + n) - n == month
    assert (month + n).index - month.index == n
    assert (month + n > month) == (n > 0)
    assert len(month.until(month + n)) == max(n + 1, 0)


@given(months_strategy, st.integers(1, 28))
def test_month_type_round_trip(month: Month, day_of_month: int) -> None:
    column = MonthType()
    stored = column.process_bind_param(month, None)
    assert stored == date(month.year, month.month, 1)
    assert column.process_result_value(stored, None) == month
    # Any day of the month reads back as that month.
    assert column.process_result_value(date(month.year, month.month, day_of_month), None) == month


def test_month_type_none() -> None:
    column = MonthType()
    assert column.process_bind_param(None, None) is None
    assert column.process_result_value(None, None) is None


# -- a new membership's first due date (DOMAIN.md 1.2, 1.3) ------------------------------------------------------------

@pytest.mark.parametrize(("active_since", "expected"), [
    (date(2026, 11, 1), date(2026, 11, 16)),  # Nov is due Mon 16 Nov, more than a week after activation
    (date(2026, 11, 9), date(2026, 11, 16)),  # exactly the grace (7 days) before Nov's due date: still Nov's
    (date(2026, 11, 10), date(2026, 12, 15)),  # one day less than the grace: the next due point, Tue 15 Dec
    (date(2026, 11, 30), date(2026, 12, 15)),  # activated after Nov fell due: Nov falls due with Dec
    (date(2026, 12, 9), date(2027, 1, 15)),  # across the year boundary (15 Dec - 7 = 8 Dec)
    (date(2026, 8, 10), date(2026, 8, 18)),  # Aug is due Tue 18 Aug (weekend + Independence Day): 17 Aug is in time
    (date(2026, 8, 12), date(2026, 9, 15)),
])
def test_first_due_date(active_since: date, expected: date) -> None:
    assert first_due_date(active_since, indonesian_holidays()) == expected


def test_first_due_date_grace_is_a_setting() -> None:
    assert first_due_date(date(2026, 11, 16), indonesian_holidays(), grace_days=0) == date(2026, 11, 16)
    assert first_due_date(date(2026, 11, 17), indonesian_holidays(), grace_days=0) == date(2026, 12, 15)


@given(st.dates(date(2025, 1, 1), date(2028, 12, 1)), st.integers(0, 20))
def test_first_due_date_is_the_next_due_point_after_the_grace(active_since: date, grace: int) -> None:
    holidays = indonesian_holidays()
    first = first_due_date(active_since, holidays, grace_days=grace)
    assert first >= active_since + timedelta(days=grace)
    month = Month.of(first)
    assert first == due_date(month, holidays)  # a regular due date
    assert due_date(month - 1, holidays) < active_since + timedelta(days=grace)  # and the first one in reach


def test_no_month_is_due_before_the_first_due_date() -> None:
    holidays = indonesian_holidays()
    first = date(2026, 12, 15)
    assert effective_due_date(Month(2026, 10), holidays, first_due=first) == first
    assert effective_due_date(Month(2026, 11), holidays, first_due=first) == first
    assert effective_due_date(Month(2026, 12), holidays, first_due=first) == first
    assert effective_due_date(Month(2027, 1), holidays, first_due=first) == date(2027, 1, 15)
    assert effective_due_date(Month(2026, 11), holidays) == date(2026, 11, 16)  # recorded before the rule


def test_a_worker_activated_after_a_month_fell_due_is_protected_until_the_first_due_date() -> None:
    """BPJS start 1 Nov, KPJ recorded 30 Nov: Nov and Dec are both due 15 Dec."""
    holidays = indonesian_holidays()
    first = first_due_date(date(2026, 11, 30), holidays)
    months = [Month(2026, 11), Month(2026, 12)]
    due_dates = {m: effective_due_date(m, holidays, first_due=first) for m in months}
    assert cover_status(paid=set(), months=months, due_dates=due_dates, today=date(2026, 11, 30)) == (True, 0)
    assert cover_status(paid=set(), months=months, due_dates=due_dates, today=date(2026, 12, 15)) == (True, 0)
    assert cover_status(paid=set(), months=months, due_dates=due_dates, today=date(2026, 12, 16)) == (False, 2)
    assert cover_status(paid=set(months), months=months, due_dates=due_dates, today=date(2026, 12, 16)) == (True, 0)
