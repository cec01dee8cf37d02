"""Parsers for claims: the date of an event as people type it, and a rupiah amount an officer records."""

from __future__ import annotations

import re
from datetime import date, timedelta

from handlers.answers.date_parser import parse_date
from handlers.answers.parsers import normalize_digits
from handlers.engine.types import Invalid

RELATIVE_DAYS = {"hari ini": 0, "tadi": 0, "today": 0, "kemarin": 1, "yesterday": 1, "kemarin lusa": 2,
                 "2 hari lalu": 2, "dua hari lalu": 2, "besok": -1, "tomorrow": -1}
_DAYS_AGO = re.compile(r"(\d{1,3}) hari (?:yang )?lalu|(\d{1,3}) days? ago")
MAX_AMOUNT = 10_000_000_000  # Rp10 miliar: far above any benefit of the programme


def parse_event_date(text: str, *, today: date) -> date:
    """ "kemarin", "hari ini", "3 hari lalu", "5 mei", "05-05", "5 Mei 2026", "05-05-2026" -> a date not after
    today. A date without a year is this year's, or last year's if this year's is still to come.
    Raises Invalid("date.invalid" | "date.future" | ...)."""
    cleaned = " ".join(normalize_digits(text).lower().split())
    if cleaned in RELATIVE_DAYS:
        if RELATIVE_DAYS[cleaned] < 0:
            raise Invalid("date.future")
        return today - timedelta(days=RELATIVE_DAYS[cleaned])
    ago = _DAYS_AGO.fullmatch(cleaned)
    if ago:
        return today - timedelta(days=int(ago[1] or ago[2]))
    try:
        return parse_date(text, today=today)
    except Invalid as error:
        if error.key != "date.invalid" or len(cleaned) > 20:
            raise
        original = error
    separator = " " if any(ch.isalpha() for ch in cleaned) else "-"
    for year in (today.year, today.year - 1):
        try:
            return parse_date(f"{cleaned}{separator}{year}", today=today)
        except Invalid as error:
            if error.key == "date.no_such_day":
                raise
            if error.key != "date.future":
                raise original from None
    raise original


def parse_rupiah(text: str) -> int:
    """ "Rp42.000.000", "42000000", "42 juta", "42 jt", "10,5 juta" -> whole rupiah. Raises Invalid("claims.amount")."""
    cleaned = normalize_digits(text).lower().replace("rp", "").replace(" ", "").rstrip(".,-")
    match = re.fullmatch(r"(\d{1,6}(?:[.,]\d{1,3})?)(juta|jt)", cleaned)
    if match:
        value = round(float(match[1].replace(",", ".")) * 1_000_000)
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+|\d{1,11}", cleaned):
        value = int(cleaned.replace(".", ""))
    else:
        raise Invalid("claims.amount")
    if not 0 < value <= MAX_AMOUNT:
        raise Invalid("claims.amount")
    return value
