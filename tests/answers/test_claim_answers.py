"""What people type in a claim: the date of the event, an amount, a reference number."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.claims import normalize_reference, reference_of
from handlers.answers.days_and_rupiah import parse_event_date, parse_rupiah
from handlers.engine.types import Invalid

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(("typed", "expected"), [
    ("kemarin", date(2026, 11, 21)), ("Hari ini", date(2026, 11, 22)), ("3 hari lalu", date(2026, 11, 19)),
    ("5 mei", date(2026, 5, 5)), ("5 Mei 2026", date(2026, 5, 5)), ("05-05-2026", date(2026, 5, 5)),
    ("05-05", date(2026, 5, 5)), ("25 des", date(2025, 12, 25)),  # no year and still to come: last year's
    ("٠٥-٠٥-٢٠٢٦", date(2026, 5, 5)),
])
def test_event_dates_as_people_type_them(typed: str, expected: date) -> None:
    assert parse_event_date(typed, today=TODAY) == expected


@pytest.mark.parametrize(("typed", "key"), [
    ("besok", "date.future"), ("30-12-2030", "date.future"), ("31 feb 2026", "date.no_such_day"),
    ("31 feb", "date.no_such_day"), ("tadi pagi sekali", "date.invalid"), ("🙂", "date.invalid"),
])
def test_bad_event_dates_say_why(typed: str, key: str) -> None:
    with pytest.raises(Invalid) as error:
        parse_event_date(typed, today=TODAY)
    assert error.value.key == key


@given(st.text(max_size=60))
def test_event_dates_never_crash(typed: str) -> None:
    try:
        assert parse_event_date(typed, today=TODAY) <= TODAY
    except Invalid:
        pass


@pytest.mark.parametrize(("typed", "expected"), [
    ("Rp42.000.000", 42_000_000), ("42000000", 42_000_000), ("42 juta", 42_000_000), ("10,5 jt", 10_500_000),
    ("Rp 70.000.000,-", 70_000_000),
])
def test_amounts(typed: str, expected: int) -> None:
    assert parse_rupiah(typed) == expected


@pytest.mark.parametrize("typed", ["", "0", "abc", "42.00.000", "-5", "99999999999999"])
def test_bad_amounts(typed: str) -> None:
    with pytest.raises(Invalid):
        parse_rupiah(typed)


def test_references_as_people_type_them() -> None:
    assert reference_of(123, 2026) == "KLM-2026-000123"
    for typed in ("KLM-2026-000123", "klm-2026-000123", "KLM 2026 123", " klm-2026-123 "):
        assert normalize_reference(typed) == "KLM-2026-000123"
    for typed in ("KLM-26-000123", "ABC-2026-000123", "KLM-2026", "KLM-2026-12a", "KLM-２０２６-1"):
        assert normalize_reference(typed) is None
