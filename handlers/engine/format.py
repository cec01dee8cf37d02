"""How the bot writes dates and money: as Indonesians write them (Babel), or in English."""

from __future__ import annotations

import functools
from datetime import date, datetime

from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from babel.numbers import format_decimal

from db.rules.months import Month

LOCALES = {"id": "id_ID", "en": "en_GB"}


@functools.lru_cache(maxsize=4096)  # Babel is slow and 100,000 reminders share a handful of dates
def format_date(value: date, language: str) -> str:
    """17 Agustus 1975 / 17 August 1975."""
    return babel_date(value, format="d MMMM y", locale=LOCALES.get(language, "id_ID"))


def warm_up() -> None:
    """Load Babel's locale data now (a few hundred ms), at start, rather than on the first person's message."""
    for language in LOCALES:
        babel_date(date(2000, 1, 1), format="d MMMM y", locale=LOCALES[language])
    format_decimal(1, locale="id_ID")


def format_datetime(value: datetime, language: str, tz: str) -> str:
    return babel_datetime(value, format="d MMMM y HH:mm", tzinfo=_zone(tz), locale=LOCALES.get(language, "id_ID"))


@functools.lru_cache(maxsize=1024)
def format_rupiah(amount: int) -> str:
    """Rp16.800, whatever the person's language: the programme's currency is always written the Indonesian way."""
    return "Rp" + format_decimal(amount, locale="id_ID")


MONTH_NAMES = {"id": ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
                      "Oktober", "November", "Desember"],
               "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                      "October", "November", "December"]}


def month_name(month: Month, language: str) -> str:
    """November 2026 (the programme's months are named, never numbered, in what the bot says)."""
    return f"{MONTH_NAMES.get(language, MONTH_NAMES['id'])[month.month - 1]} {month.year}"


def short_month(month: Month, language: str) -> str:
    return f"{MONTH_NAMES.get(language, MONTH_NAMES['id'])[month.month - 1][:3]} {month.year}"


def _zone(tz: str):  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)
