"""Cover follows the money (issue 18 item 7, DOMAIN.md §1.2): `cover_on` and `estimate` as tables, and how the full
and the general estimate read. Pure functions: no database, the day passed in."""

from __future__ import annotations

from datetime import date

import pytest

from bot.app import LOCALES
from db.rules.claims import DEATHS, JKK_DEATH, JKM, KINDS, Cover, cover_on, estimate
from db.rules.contributions import due_date
from db.rules.months import Month
from handlers.claims.common import estimate_lines, general_estimate_lines
from handlers.engine.i18n import Catalog, Translator
from handlers.workers.coverage import month_ranges, today_line

JUN, JUL, AUG, SEP, OCT, NOV = (Month(2026, m) for m in range(6, 12))
START = date(2026, 6, 1)
catalog = Catalog(LOCALES)


def due(month: Month) -> date:
    return due_date(month, frozenset())  # the 15th, or the next weekday: 15 Nov 2026 is a Sunday -> 16 Nov


def cover(day: date, paid: set[Month], *, start: date | None = START, ended: date | None = None,
          lapsed: date | None = None) -> Cover:
    return cover_on(day, bpjs_start=start, ended_on=ended, lapsed_on=lapsed, paid=paid, due_date=due)


# (case, day, paid, start, ended, lapsed) -> (reason, paid, unpaid, payable month)
CASES = [
    ("nothing paid, back-dated start", date(2026, 11, 21), set(), START, None, None,
     ("unpaid", (), (JUN, JUL, AUG, SEP, OCT, NOV), None)),
    ("paid through last month, dying before this month's due date", date(2026, 11, 10), {JUN, JUL, AUG, SEP, OCT},
     START, None, None, ("covered", (JUN, JUL, AUG, SEP, OCT), (), NOV)),
    ("... on the due date itself", date(2026, 11, 16), {JUN, JUL, AUG, SEP, OCT}, START, None, None,
     ("covered", (JUN, JUL, AUG, SEP, OCT), (), NOV)),
    ("... the day after it", date(2026, 11, 17), {JUN, JUL, AUG, SEP, OCT}, START, None, None,
     ("unpaid", (JUN, JUL, AUG, SEP, OCT), (NOV,), None)),
    ("a gap month", date(2026, 11, 20), {JUN, JUL, SEP, OCT, NOV}, START, None, None,
     ("unpaid", (JUN, JUL, SEP, OCT, NOV), (AUG,), None)),
    ("lapsed", date(2026, 11, 21), {JUN, JUL}, START, None, date(2026, 10, 20),
     ("lapsed", (JUN, JUL), (AUG, SEP, OCT, NOV), None)),
    ("lapsed the same day: not yet", date(2026, 10, 20), {JUN, JUL, AUG, SEP, OCT}, START, None, date(2026, 10, 20),
     ("covered", (JUN, JUL, AUG, SEP, OCT), (), None)),
    ("sponsorship ended, every month paid", date(2026, 10, 2), {JUN, JUL, AUG, SEP, OCT}, START,
     date(2026, 10, 1), None, ("sponsorship_ended", (JUN, JUL, AUG, SEP, OCT), (), None)),
    ("new member, nothing paid, before the first month's due date", date(2026, 11, 10), set(), date(2026, 11, 1),
     None, None, ("unpaid", (), (NOV,), None)),  # nothing ever paid: no cover to continue, nothing promised
    ("new member after the 15th, nothing paid", date(2026, 11, 21), set(), date(2026, 11, 20), None, None,
     ("unpaid", (), (NOV,), None)),
    ("before membership started", date(2026, 5, 31), {JUN}, START, None, None, ("not_yet_member", (), (), None)),
    ("no BPJS start date", date(2026, 11, 1), {JUN}, None, None, None, ("not_yet_member", (), (), None)),
]


@pytest.mark.parametrize(("case", "day", "paid", "start", "ended", "lapsed", "expected"), CASES,
                         ids=[case[0] for case in CASES])
def test_cover_on_decides_from_the_months_paid(case: str, day: date, paid: set[Month], start: date | None,
                                               ended: date | None, lapsed: date | None,
                                               expected: tuple[str, tuple[Month, ...], tuple[Month, ...], Month | None]
                                               ) -> None:
    result = cover(day, paid, start=start, ended=ended, lapsed=lapsed)
    assert (result.reason, result.paid, result.unpaid, result.payable) == expected
    assert result.covered is (expected[0] == "covered")
    assert result.payable_until == (due(result.payable) if result.payable else None)


# (case, kind, day, start, paid) -> (total, early)
ESTIMATES = [
    ("nothing paid, back-dated: no promise", JKM, date(2026, 11, 21), START, set(), (0, False)),
    ("nothing paid, work-accident death: no promise", JKK_DEATH, date(2026, 11, 21), START, set(), (0, False)),
    ("paid through last month, before this month's due date", JKM, date(2026, 11, 10), START,
     {JUN, JUL, AUG, SEP, OCT}, (42_000_000, False)),
    ("a gap month", JKM, date(2026, 11, 20), START, {JUN, JUL, SEP, OCT, NOV}, (0, False)),
    ("early death, first month paid", JKM, date(2026, 7, 20), START, {JUN, JUL}, (10_000_000, True)),
    ("early death, nothing paid yet, before the due date", JKM, date(2026, 6, 10), START, set(), (0, False)),
    ("the day before three months", JKM, date(2026, 8, 31), START, {JUN, JUL, AUG}, (10_000_000, True)),
    ("three months to the day", JKM, date(2026, 9, 1), START, {JUN, JUL, AUG}, (42_000_000, False)),
    ("a work-accident death in the first month", JKK_DEATH, date(2026, 6, 20), START, {JUN}, (70_000_000, False)),
]


@pytest.mark.parametrize(("case", "kind", "day", "start", "paid", "expected"), ESTIMATES,
                         ids=[case[0] for case in ESTIMATES])
def test_the_estimate_promises_nothing_for_an_unpaid_month(case: str, kind: str, day: date, start: date,
                                                           paid: set[Month], expected: tuple[int, bool]) -> None:
    result = estimate(kind, day, cover=cover(day, paid, start=start), bpjs_start=start)
    assert (result.total, result.early) == expected
    assert result.cover.paid == tuple(sorted(paid))
    assert (result.parts == ()) is (result.total == 0)


def test_the_scholarship_counts_the_months_paid_by_default() -> None:
    start = date(2023, 1, 1)
    day = date(2026, 1, 10)  # 37 months of membership, January still payable
    every = set(Month(2023, 1).until(Month(2025, 12)))
    assert estimate(JKM, day, cover=cover(day, every, start=start), bpjs_start=start).scholarship  # 36 paid
    short = every - {Month(2023, 1)}  # ... one unpaid: not covered at all
    assert not estimate(JKM, day, cover=cover(day, short, start=start), bpjs_start=start).scholarship


# -- how it reads ------------------------------------------------------------------------------------------------

def text(lines: list[str]) -> str:
    return "\n".join(lines)


@pytest.mark.parametrize(("months", "expected"), [
    ([], ""), ([NOV], "November 2026"), ([JUN, JUL, AUG, SEP, OCT], "Juni–Oktober 2026"),
    ([JUL, SEP, OCT, NOV], "Juli 2026, September–November 2026"),
    ([NOV, Month(2026, 12), Month(2027, 1)], "November 2026–Januari 2027"), ([OCT, OCT], "Oktober 2026"),
])
def test_months_read_as_runs(months: list[Month], expected: str) -> None:
    assert month_ranges(months, "id") == expected


@pytest.mark.parametrize("language", ["id", "en"])
def test_an_unpaid_death_says_which_months_and_that_bpjs_decides(language: str) -> None:
    t = Translator(catalog, language)
    day = date(2026, 11, 21)
    full = text(estimate_lines(t, estimate(JKM, day, cover=cover(day, {JUN, JUL}), bpjs_start=START)))
    assert "Rp42" not in full and "Rp10" not in full and "Rp70" not in full
    paid, unpaid = ("Juni–Juli 2026", "Agustus–November 2026") if language == "id" else \
        ("June–July 2026", "August–November 2026")
    assert paid in full and unpaid in full
    assert ("3 bulan" if language == "id" else "3 months") in full  # the grace of BPJS's rules
    assert ("mungkin" if language == "id" else "may") in full  # said as a possibility, never a promise


def test_a_covered_death_names_the_months_paid_and_the_month_still_payable() -> None:
    t = Translator(catalog, "id")
    day = date(2026, 11, 10)
    full = text(estimate_lines(t, estimate(JKM, day, cover=cover(day, {JUN, JUL, AUG, SEP, OCT}), bpjs_start=START)))
    assert "Rp42.000.000" in full and "dibayar: Juni–Oktober 2026" in full
    assert "Iuran November 2026 belum tercatat dibayar" in full and "16 November 2026" in full


def test_an_early_death_says_rp10_jt_and_the_three_month_rule() -> None:
    t = Translator(catalog, "id")
    day = date(2026, 7, 20)
    full = text(estimate_lines(t, estimate(JKM, day, cover=cover(day, {JUN, JUL}), bpjs_start=START)))
    assert "Rp10.000.000" in full and "belum 3 bulan" in full and "Rp42 juta berlaku setelah 3 bulan" in full


def test_a_lapsed_death_says_so_and_promises_nothing() -> None:
    t = Translator(catalog, "id")
    day = date(2026, 11, 21)
    result = estimate(JKM, day, cover=cover(day, {JUN, JUL}, lapsed=date(2026, 10, 20)), bpjs_start=START)
    full = text(estimate_lines(t, result))
    assert "kepesertaan pekerja berakhir" in full and "BPJS Ketenagakerjaan yang memutuskan" in full
    assert "Rp42" not in full and "Agustus–November 2026" in full


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", ["id", "en"])
def test_the_general_estimate_tells_the_rules_in_general_terms(kind: str, language: str) -> None:
    """It takes no worker, so it cannot tell anything of one: the amounts come with their conditions."""
    t = Translator(catalog, language)
    general = text(general_estimate_lines(t, kind))
    if kind in DEATHS:
        assert "Rp42.000.000" in general and "Rp10.000.000" in general and "Rp70.000.000" in general
    else:
        assert "Rp" not in general
    assert ("belum dibayar tidak terlindungi" if language == "id" else "unpaid is not protected") in general
    assert ("Petugas akan memeriksa" if language == "id" else "An officer will check") in general


def test_the_general_estimate_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError):
        general_estimate_lines(Translator(catalog, "id"), "jht")


def test_the_sponsor_reads_not_protected_although_nothing_is_late_yet() -> None:
    t = Translator(catalog, "id")
    unpaid = cover(date(2026, 11, 22), set(), start=date(2026, 10, 22))
    assert today_line(t, unpaid, 0) == ("   Hari ini: TIDAK terlindungi ⚠️ (iuran belum dibayar: Oktober–November "
                                        "2026). Perlindungan hanya berlaku untuk bulan yang iurannya sudah dibayar.")
    late = today_line(t, cover(date(2026, 11, 22), {JUN, AUG}), 4)
    assert late.splitlines() == ["   Hari ini: TIDAK terlindungi ⚠️ (4 bulan lewat jatuh tempo belum dibayar)",
                                 "   Belum dibayar: Juli 2026, September–November 2026"]
    assert today_line(t, cover(date(2026, 11, 10), {JUN, JUL, AUG, SEP, OCT}), 0) == "   Hari ini: terlindungi ✅"
