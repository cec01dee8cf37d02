"""Parsers of what people type: NIK, NIP / NI PPPK, phone, KPJ (names: handlers/answers/name_parser.py,
dates: handlers/answers/date_parser.py).

Every parser accepts any str and either returns a clean value or raises Invalid(key, **params): key is a message
catalogue key (handlers/answers/locales/*.toml) and params fill its {placeholders}. No other exception escapes, so a
conversation can re-ask with the message instead of crashing. Formats: /work/shared/DOMAIN.md section 4.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from db.wilayah import load_wilayah
from handlers.engine.types import Invalid

NIK_DIGITS = 16
NIP_DIGITS = 18
KPJ_DIGITS = 11
ASN_MIN_AGE, ASN_MAX_AGE = 18, 70
# A PNS is appointed as an adult; 17 rather than 18 years leaves room for the month-only precision of the NIP.
PNS_MIN_YEARS_AT_APPOINTMENT = 17
# NI PPPK numbers exist since the first PPPK intake.
PPPK_FIRST_YEAR = 2019

# Refuse longer input before doing any work: a 16/18-digit number with separators, a phone number or a date never
# comes near these.
MAX_NUMBER_INPUT = 64
MAX_PHONE_INPUT = 40

# What people put between digit groups ("1377 0141 0385 0003", "1377.0141...", "1377-0141-...").
_NUMBER_SEPARATORS = frozenset(" .-")
_PHONE_CHARS = frozenset("0123456789+-(). ")
_SEX_DIGIT: dict[str, Literal["M", "F"]] = {"1": "M", "2": "F"}


@dataclass(frozen=True)
class Nik:
    value: str  # 16 digits
    birth_date: date
    sex: Literal["M", "F"]
    province: str  # "13"
    regency: str  # "13.77"
    kecamatan: str  # "13.77.01"
    kecamatan_known: bool  # False is only a warning: the NIK keeps the code of its first registration


@dataclass(frozen=True)
class Nip:
    value: str  # 18 digits
    kind: Literal["pns", "pppk"]
    birth_date: date
    sex: Literal["M", "F"] | None
    appointed: tuple[int, int] | None  # (year, month) of CPNS appointment; None for PPPK (no month encoded)


# ---------------------------------------------------------------- digits


def normalize_digits(text: str) -> str:
    """Turn any Unicode decimal digit (Arabic-Indic, full-width...) into its ASCII digit; keep everything else."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(ch, ch)) if unicodedata.category(ch) == "Nd" else ch for ch in text)


def _count_ascii_digits(text: str) -> int:
    return sum(1 for ch in text if "0" <= ch <= "9")


def _split_number(text: str) -> tuple[str, str | None]:
    """The digits of a typed number, and "letters" or "chars" when more than digits and separators was typed.

    Letters are reported in preference: O for 0 and l for 1 are the usual typos and deserve their own hint.
    """
    digits: list[str] = []
    problem: str | None = None
    for ch in normalize_digits(text):
        if "0" <= ch <= "9":
            digits.append(ch)
        elif ch in _NUMBER_SEPARATORS or ch.isspace():
            continue
        elif ch.isalpha():
            problem = "letters"
        elif problem is None:
            problem = "chars"
    return "".join(digits), problem


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


# ---------------------------------------------------------------- NIK


def parse_nik(text: str, *, today: date) -> Nik:
    if len(text) > MAX_NUMBER_INPUT:
        raise Invalid("nik.length", got=_count_ascii_digits(text))
    digits, problem = _split_number(text)
    if problem == "letters":
        raise Invalid("nik.letters")
    if problem == "chars":
        raise Invalid("nik.chars")
    if len(digits) != NIK_DIGITS:
        raise Invalid("nik.length", got=len(digits))
    pp, kk, cc = digits[0:2], digits[2:4], digits[4:6]
    wilayah = load_wilayah()
    if not wilayah.province_exists(pp):
        raise Invalid("nik.province", code=pp)
    birth, sex = _nik_birth(digits[6:12], today)
    if digits[12:] == "0000":
        raise Invalid("nik.serial")
    return Nik(value=digits, birth_date=birth, sex=sex, province=pp, regency=f"{pp}.{kk}",
               kecamatan=f"{pp}.{kk}.{cc}", kecamatan_known=wilayah.kecamatan_known(pp, kk, cc))


def _nik_birth(ddmmyy: str, today: date) -> tuple[date, Literal["M", "F"]]:
    day, month, yy = int(ddmmyy[0:2]), int(ddmmyy[2:4]), int(ddmmyy[4:6])
    sex: Literal["M", "F"] = "F" if day > 40 else "M"
    if sex == "F":
        day -= 40
    if not 1 <= day <= 31:
        raise Invalid("nik.day", day=ddmmyy[0:2])
    if not 1 <= month <= 12:
        raise Invalid("nik.month", month=ddmmyy[2:4])
    year = _nik_year(yy, month, day, today)
    try:
        return date(year, month, day), sex
    except ValueError:
        raise Invalid("nik.date", day=f"{day:02d}", month=f"{month:02d}", year=year) from None


def _nik_year(yy: int, month: int, day: int, today: date) -> int:
    """The century that puts the birthday within the 100 years up to today (a NIK only has two year digits)."""
    year = today.year - today.year % 100 + yy
    if (year, month, day) > (today.year, today.month, today.day):
        year -= 100
    return year


# ---------------------------------------------------------------- NIP / NI PPPK


def parse_nip(text: str, *, today: date) -> Nip:
    if len(text) > MAX_NUMBER_INPUT:
        raise Invalid("nip.length", got=_count_ascii_digits(text))
    digits, problem = _split_number(text)
    if problem == "letters":
        raise Invalid("nip.letters")
    if problem == "chars":
        raise Invalid("nip.chars")
    if len(digits) != NIP_DIGITS:
        raise Invalid("nip.length", got=len(digits))
    birth = _nip_birth(digits[0:8], today)
    sex = _SEX_DIGIT.get(digits[14])
    try:
        appointed = _pns_appointment(digits[8:14], birth, today)
        if sex is None:
            raise Invalid("nip.sex_digit", digit=digits[14])
        kind: Literal["pns", "pppk"] = "pns"
    except Invalid:
        # Not a PNS layout; an NI PPPK has the same length and birth date but other fields after it.
        if not _fits_pppk(digits, today):
            raise
        appointed, kind = None, "pppk"
    if digits[15:] == "000":
        raise Invalid("nip.serial")
    return Nip(value=digits, kind=kind, birth_date=birth, sex=sex, appointed=appointed)


def _nip_birth(yyyymmdd: str, today: date) -> date:
    try:
        born = date(int(yyyymmdd[0:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        raise Invalid("nip.birth_date", digits=yyyymmdd) from None
    if born > today:
        raise Invalid("nip.birth_date", digits=yyyymmdd)
    age = _age(born, today)
    if age < ASN_MIN_AGE:
        raise Invalid("nip.too_young", age=age, min=ASN_MIN_AGE)
    if age > ASN_MAX_AGE:
        raise Invalid("nip.too_old", age=age, max=ASN_MAX_AGE)
    return born


def _pns_appointment(yyyymm: str, born: date, today: date) -> tuple[int, int]:
    """Year and month of CPNS appointment (TMT), checked against birth and today."""
    year, month = int(yyyymm[0:4]), int(yyyymm[4:6])
    if not 1 <= month <= 12:
        raise Invalid("nip.appointment_month", month=yyyymm[4:6])
    appointed = f"{month:02d}/{year:04d}"
    if (year, month) < (born.year, born.month):
        raise Invalid("nip.appointment_before_birth", appointed=appointed)
    earliest = (born.year + PNS_MIN_YEARS_AT_APPOINTMENT, born.month)
    if (year, month) < earliest:
        raise Invalid("nip.appointment_too_early", appointed=appointed,
                      earliest=f"{earliest[1]:02d}/{earliest[0]:04d}")
    if (year, month) > (today.year, today.month):
        raise Invalid("nip.appointment_future", appointed=appointed)
    return year, month


def _fits_pppk(digits: str, today: date) -> bool:
    """NI PPPK: birth YYYYMMDD + first PPPK year YYYY + work agreements NN (01-99) + sex + serial NNN."""
    year, agreements = int(digits[8:12]), int(digits[12:14])
    return PPPK_FIRST_YEAR <= year <= today.year and agreements >= 1 and digits[14] in _SEX_DIGIT


# ---------------------------------------------------------------- phone


def parse_phone(text: str) -> str:
    """An Indonesian mobile number in E.164 ("+628...")."""
    if len(text) > MAX_PHONE_INPUT:
        raise Invalid("phone.invalid")
    raw = " ".join(normalize_digits(text).split())
    if not raw or any(ch not in _PHONE_CHARS for ch in raw) or "+" in raw[1:]:
        raise Invalid("phone.invalid")
    number = _parse_phone_number(raw)
    if number.country_code != 62:
        raise Invalid("phone.not_indonesian")
    national = str(number.national_number)
    if national.startswith(("80", "84")):  # 080x toll-free and 084x are not mobile ranges
        raise Invalid("phone.not_mobile")
    if not phonenumbers.is_valid_number(number):
        raise Invalid("phone.invalid")
    if phonenumbers.number_type(number) not in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise Invalid("phone.not_mobile")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _parse_phone_number(raw: str) -> phonenumbers.PhoneNumber:
    digits = "".join(ch for ch in raw if "0" <= ch <= "9")
    # People write the country code without "+" ("62812...", "0062 812..."); an Indonesian national number never
    # starts with 62, so these can only be the country code.
    if not raw.startswith("+"):
        if digits.startswith("62"):
            raw = "+" + digits
        elif digits.startswith("0062"):
            raw = "+" + digits[2:]
    try:
        return phonenumbers.parse(raw, "ID")
    except NumberParseException:
        raise Invalid("phone.invalid") from None


# ---------------------------------------------------------------- KPJ


def parse_kpj(text: str) -> str:
    """BPJS Ketenagakerjaan membership number: 11 digits (no public check digit exists)."""
    if len(text) > MAX_NUMBER_INPUT:
        raise Invalid("kpj.invalid")
    digits, problem = _split_number(text)
    if problem is not None or len(digits) != KPJ_DIGITS:
        raise Invalid("kpj.invalid")
    return digits
