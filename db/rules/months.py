"""A contribution month as a proper type: (year, month), ordered, with arithmetic; stored as its first day."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date
from sqlalchemy.types import TypeDecorator

_MONTH_NAMES = {
    "jan": 1, "januari": 1, "january": 1, "feb": 2, "februari": 2, "february": 2, "peb": 2, "mar": 3, "maret": 3,
    "march": 3, "apr": 4, "april": 4, "mei": 5, "may": 5, "jun": 6, "juni": 6, "june": 6, "jul": 7, "juli": 7,
    "july": 7, "agu": 8, "agt": 8, "agustus": 8, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "okt": 10, "oktober": 10, "oct": 10, "october": 10, "nov": 11, "nopember": 11, "november": 11, "des": 12,
    "desember": 12, "dec": 12, "december": 12,
}


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1900 <= self.year <= 9999:
            raise ValueError(f"not a month: {self.year}-{self.month}")

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Month:
        """"2026-11", "11/2026", "11-2026", "Nov 2026", "November 2026", "2026/11"; ValueError otherwise."""
        cleaned = text.strip().lower()
        numeric = re.fullmatch(r"(\d{4})[-/.](\d{1,2})|(\d{1,2})[-/.](\d{4})", cleaned)
        if numeric:
            year, month = (numeric[1], numeric[2]) if numeric[1] else (numeric[4], numeric[3])
            return cls(int(year), int(month))
        named = re.fullmatch(r"([a-z]+)\.?[\s-]+(\d{4})", cleaned)
        if named and named[1] in _MONTH_NAMES:
            return cls(int(named[2]), _MONTH_NAMES[named[1]])
        raise ValueError(f"not a month: {text!r}")

    @property
    def index(self) -> int:
        return self.year * 12 + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> Month:
        return cls(index // 12, index % 12 + 1)

    def __add__(self, months: int) -> Month:
        return Month.from_index(self.index + months)

    def __sub__(self, other: int) -> Month:
        return Month.from_index(self.index - other)

    def until(self, last: Month) -> list[Month]:
        """This month through `last`, inclusive."""
        return [Month.from_index(i) for i in range(self.index, last.index + 1)]

    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def key(self) -> str:
        """A stable text form for keys and callback data: 202611."""
        return f"{self.year:04d}{self.month:02d}"

    @classmethod
    def from_key(cls, key: str) -> Month:
        return cls(int(key[:4]), int(key[4:6]))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def month_number(text: str) -> int | None:
    """The month a name or number alone stands for ("nov", "November", "11", "nopember") -> 11; None otherwise."""
    cleaned = text.strip().lower().rstrip(".")
    if cleaned.isdigit():
        return int(cleaned) if 1 <= int(cleaned) <= 12 else None
    return _MONTH_NAMES.get(cleaned)


class MonthType(TypeDecorator[Month]):
    """A Month in the database: the first day of the month, so it sorts and compares in SQL too."""

    impl = Date
    cache_ok = True

    def process_bind_param(self, value: Month | None, dialect: Any) -> date | None:
        return value.first_day() if value is not None else None

    def process_result_value(self, value: date | None, dialect: Any) -> Month | None:
        return Month.of(value) if value is not None else None
