"""A date as people type it: 17-08-1975, 17/8/1975, 1975-08-17, 17 Agustus 1975, Agt 17 1975 (Indonesian and English
month names, old spellings too). Raises Invalid like every parser (handlers/answers/parsers.py)."""

from __future__ import annotations

import re
from datetime import date

from handlers.answers.parsers import normalize_digits
from handlers.engine.types import Invalid

MAX_DATE_AGE_YEARS = 120
MAX_DATE_INPUT = 40  # refused before any work: no typed date comes near it
_DATE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789 -/.,")
_DATE_TOKEN = re.compile(r"[0-9]+|[a-z]+")  # two disjoint classes: linear time whatever the input

_MONTHS = {
    # Indonesian, with the old spellings still common in older documents (Pebruari, Nopember).
    "januari": 1, "februari": 2, "pebruari": 2, "maret": 3, "april": 4, "mei": 5, "juni": 6, "juli": 7,
    "agustus": 8, "september": 9, "oktober": 10, "november": 11, "nopember": 11, "desember": 12,
    "jan": 1, "feb": 2, "peb": 2, "mar": 3, "mrt": 3, "apr": 4, "jun": 6, "jul": 7, "agu": 8, "agt": 8, "ags": 8,
    "sep": 9, "sept": 9, "okt": 10, "nov": 11, "nop": 11, "des": 12,
    # English.
    "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7, "august": 8, "october": 10,
    "december": 12, "aug": 8, "oct": 10, "dec": 12,
}


def parse_date(text: str, *, today: date) -> date:
    if len(text) > MAX_DATE_INPUT:
        raise Invalid("date.invalid")
    cleaned = " ".join(normalize_digits(text).lower().split())
    if not cleaned or any(ch not in _DATE_CHARS for ch in cleaned):
        raise Invalid("date.invalid")
    year, month, day = _date_parts(_DATE_TOKEN.findall(cleaned))
    try:
        value = date(year, month, day)
    except ValueError:
        if 1 <= month <= 12 and 1 <= day <= 31 and year >= 1:
            raise Invalid("date.no_such_day", date=f"{day:02d}-{month:02d}-{year:04d}") from None
        raise Invalid("date.invalid") from None
    if value > today:
        raise Invalid("date.future")
    if value < _years_before(today, MAX_DATE_AGE_YEARS):
        raise Invalid("date.too_old", years=MAX_DATE_AGE_YEARS)
    return value


def _date_parts(tokens: list[str]) -> tuple[int, int, int]:
    """(year, month, day) from D M Y, Y M D (numbers), D Month Y or Month D Y; the year always has 4 digits."""
    shape = "".join("n" if t.isdigit() else "w" for t in tokens)
    if shape == "nnn":
        a, b, c = tokens
        if len(a) == 4 and len(b) <= 2 and len(c) <= 2:
            return int(a), int(b), int(c)
        if len(c) == 4 and len(a) <= 2 and len(b) <= 2:
            return int(c), int(b), int(a)
    elif shape in ("nwn", "wnn"):
        day, word, year = (tokens[0], tokens[1], tokens[2]) if shape == "nwn" else (tokens[1], tokens[0], tokens[2])
        month = _MONTHS.get(word)
        if month is not None and len(day) <= 2 and len(year) == 4:
            return int(year), month, int(day)
    raise Invalid("date.invalid")


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year - years, day=28)
