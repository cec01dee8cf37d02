"""handlers/answers/parsers.py: valid input round-trips, invalid input is refused with the right catalogue key, and
nothing typed can make a parser raise anything but Invalid."""

from __future__ import annotations

import re
import string
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from db.wilayah import load_wilayah
from handlers.answers.date_parser import parse_date
from handlers.answers.name_parser import parse_name
from handlers.answers.parsers import Nik, Nip, normalize_digits, parse_kpj, parse_nik, parse_nip, parse_phone
from handlers.engine.i18n import Catalog
from handlers.engine.masking import mask_nik, mask_nip, mask_phone
from handlers.engine.types import Invalid

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 3, 15)
PROVINCES = sorted(a.code for a in load_wilayah().provinces())
SEPARATORS = ["", "", " ", ".", "-", "  "]
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])


CATALOGUES = Catalog([ROOT / "handlers" / "answers" / "locales"]).messages  # the parsers' catalogue
PARSER_MODULES = ("answers/parsers.py", "answers/name_parser.py", "answers/date_parser.py")
RAISED_KEYS = {key for module in PARSER_MODULES for key in re.findall(
    r'Invalid\("([^"]+)"', (ROOT / "handlers" / module).read_text(encoding="utf-8"))}


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def assert_message_exists(error: Invalid) -> None:
    """The key is in both catalogues and the params fill every placeholder of both messages."""
    for lang, catalogue in CATALOGUES.items():
        assert error.key in catalogue, (lang, error.key)
        text = catalogue[error.key].format(**error.params)
        assert "{" not in text and text.strip(), (lang, error.key)


def refused(parser, text: str, **kwargs) -> Invalid:
    with pytest.raises(Invalid) as info:
        parser(text, **kwargs)
    assert_message_exists(info.value)
    return info.value


def spaced(digits: str, seps: list[str]) -> str:
    """The digits with a separator typed after each one (as people group numbers however they like)."""
    return "".join(d + s for d, s in zip(digits, seps))


# ---------------------------------------------------------------- catalogues


def test_every_raised_key_is_in_both_catalogues():
    assert len(RAISED_KEYS) >= 25  # the grep itself works
    for lang, catalogue in CATALOGUES.items():
        assert RAISED_KEYS <= set(catalogue), (lang, RAISED_KEYS - set(catalogue))


def test_catalogues_have_the_same_keys_and_placeholders():
    id_, en = CATALOGUES["id"], CATALOGUES["en"]
    assert set(id_) == set(en)
    for key in id_:
        assert set(re.findall(r"\{(\w+)\}", id_[key])) == set(re.findall(r"\{(\w+)\}", en[key])), key


# One input per key: every key can be reached, and the params it carries fill its messages.
EXAMPLES = {
    "nik.length": (parse_nik, "1377 0141 0385 000"),
    "nik.letters": (parse_nik, "1377 0141 O385 0003"),
    "nik.chars": (parse_nik, "1377/0141/0385/0003"),
    "nik.province": (parse_nik, "9977014103850003"),
    "nik.day": (parse_nik, "1377013203850003"),
    "nik.month": (parse_nik, "1377011513850003"),
    "nik.date": (parse_nik, "1377013102850003"),
    "nik.serial": (parse_nik, "1377014103850000"),
    "nip.length": (parse_nip, "19850312 201001 1 01"),
    "nip.letters": (parse_nip, "19850312 201001 l 001"),
    "nip.chars": (parse_nip, "19850312_201001_1_001"),
    "nip.birth_date": (parse_nip, "198502302010011001"),
    "nip.too_young": (parse_nip, "201001012010011001"),
    "nip.too_old": (parse_nip, "194001012010011001"),
    "nip.appointment_month": (parse_nip, "198503122010131001"),
    "nip.appointment_before_birth": (parse_nip, "198503121980011001"),
    "nip.appointment_too_early": (parse_nip, "198503122001011001"),
    "nip.appointment_future": (parse_nip, "198503122030011001"),  # 2030 is no PPPK year yet either
    "nip.sex_digit": (parse_nip, "198503122010013001"),
    "nip.serial": (parse_nip, "198503122010011000"),
    "phone.invalid": (parse_phone, "0812"),
    "phone.not_indonesian": (parse_phone, "+44 7911 123456"),
    "phone.not_mobile": (parse_phone, "(0751) 123 456"),
    "name.too_short": (parse_name, "A"),
    "name.too_long": (parse_name, "Siti " * 20),
    "name.chars": (parse_name, "Siti 🙂"),
    "date.invalid": (parse_date, "kemarin"),
    "date.no_such_day": (parse_date, "31-02-1975"),
    "date.future": (parse_date, "17-08-2030"),
    "date.too_old": (parse_date, "17-08-1890"),
    "kpj.invalid": (parse_kpj, "1234"),
}
DATED = {parse_nik, parse_nip, parse_date}


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_each_key_is_reachable_with_fitting_params(key: str):
    parser, text = EXAMPLES[key]
    kwargs = {"today": TODAY} if parser in DATED else {}
    assert refused(parser, text, **kwargs).key == key


def test_examples_cover_every_raised_key():
    assert set(EXAMPLES) == RAISED_KEYS


# ---------------------------------------------------------------- NIK


@st.composite
def niks(draw):
    """(today, typed NIK, expected Nik) for a real province, date and serial."""
    today = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
    born = draw(st.dates(min_value=years_before(today, 100) + timedelta(days=1), max_value=today))
    sex = draw(st.sampled_from("MF"))
    pp = draw(st.sampled_from(PROVINCES))
    kk, cc = draw(st.integers(1, 99)), draw(st.integers(1, 99))
    serial = draw(st.integers(1, 9999))
    day = born.day + (40 if sex == "F" else 0)
    digits = f"{pp}{kk:02d}{cc:02d}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"
    typed = draw(st.sampled_from(["", " ", "\t"])) + spaced(digits, draw(st.lists(
        st.sampled_from(SEPARATORS), min_size=16, max_size=16))) + draw(st.sampled_from(["", " ", "\n"]))
    expected = Nik(value=digits, birth_date=born, sex=sex, province=pp, regency=f"{pp}.{kk:02d}",
                   kecamatan=f"{pp}.{kk:02d}.{cc:02d}",
                   kecamatan_known=load_wilayah().kecamatan_known(pp, f"{kk:02d}", f"{cc:02d}"))
    return today, typed, expected


@settings(max_examples=300, deadline=None)
@given(niks())
def test_valid_nik_round_trips(case):
    today, typed, expected = case
    assert parse_nik(typed, today=today) == expected


def test_nik_example():
    nik = parse_nik(" 1377 0141 0385 0003 ", today=TODAY)
    assert nik.value == "1377014103850003"
    assert nik.birth_date == date(1985, 3, 1) and nik.sex == "F"
    assert (nik.province, nik.regency, nik.kecamatan, nik.kecamatan_known) == ("13", "13.77", "13.77.01", True)
    assert parse_nik("1377.0101.0385.0003", today=TODAY).sex == "M"
    assert parse_nik("1377-0171-0385-0003", today=TODAY).birth_date == date(1985, 3, 31)


def test_unknown_kecamatan_is_only_a_flag():
    nik = parse_nik("1377990101850003", today=TODAY)
    assert nik.kecamatan == "13.77.99" and nik.kecamatan_known is False


@pytest.mark.parametrize(("typed", "key", "params"), [
    ("137701410385000", "nik.length", {"got": 15}),
    ("13770141038500031", "nik.length", {"got": 17}),
    ("", "nik.length", {"got": 0}),
    ("   ", "nik.length", {"got": 0}),
    ("1377 0141 0385 00O3", "nik.letters", {}),
    ("NIK 1377014103850003", "nik.letters", {}),
    ("1377,0141,0385,0003", "nik.chars", {}),
    ("1377013201850003", "nik.day", {"day": "32"}),
    ("1377010001850003", "nik.day", {"day": "00"}),
    ("1377014001850003", "nik.day", {"day": "40"}),
    ("1377017201850003", "nik.day", {"day": "72"}),
    ("1377011513850003", "nik.month", {"month": "13"}),
    ("1377011500850003", "nik.month", {"month": "00"}),
    ("9977011501850003", "nik.province", {"code": "99"}),
    ("0077011501850003", "nik.province", {"code": "00"}),
    ("1377011501850000", "nik.serial", {}),
    ("1377013102850003", "nik.date", {"day": "31", "month": "02", "year": 1985}),
    ("1377017102850003", "nik.date", {"day": "31", "month": "02", "year": 1985}),
    ("1377012902010003", "nik.date", {"day": "29", "month": "02", "year": 2001}),
    ("1377013104850003", "nik.date", {"day": "31", "month": "04", "year": 1985}),
])
def test_invalid_nik_is_refused_with_the_right_key(typed: str, key: str, params: dict):
    error = refused(parse_nik, typed, today=TODAY)
    assert (error.key, error.params) == (key, params)


def test_nik_29_february_only_in_leap_years():
    assert parse_nik("1377012902000003", today=TODAY).birth_date == date(2000, 2, 29)
    assert parse_nik("1377016902960003", today=TODAY).birth_date == date(1996, 2, 29)
    assert refused(parse_nik, "1377012902970003", today=TODAY).key == "nik.date"


def test_nik_year_is_never_in_the_future():
    # "26" with a birthday after TODAY cannot be 2026: it is 1926, within 100 years.
    assert parse_nik("1377011503260003", today=TODAY).birth_date == date(2026, 3, 15)
    assert parse_nik("1377011603260003", today=TODAY).birth_date == date(1926, 3, 16)
    assert parse_nik("1377010101300003", today=TODAY).birth_date == date(1930, 1, 1)
    # So 29-02-28 is 1928 (a leap year), while 2028 would be in the future.
    assert parse_nik("1377012902280003", today=TODAY).birth_date == date(1928, 2, 29)


@settings(max_examples=300, deadline=None)
@given(today=st.dates(min_value=date(1950, 1, 1), max_value=date(2150, 1, 1)),
       digits=st.text(alphabet=string.digits, min_size=16, max_size=16))
def test_any_16_digits_parse_to_a_past_date_or_a_known_key(today: date, digits: str):
    try:
        nik = parse_nik(digits, today=today)
    except Invalid as error:
        assert error.key in {"nik.province", "nik.day", "nik.month", "nik.date", "nik.serial"}
        assert_message_exists(error)
    else:
        assert years_before(today, 100) < nik.birth_date <= today
        assert nik.sex == ("F" if int(digits[6:8]) > 40 else "M")
        assert nik.value == digits


# ---------------------------------------------------------------- NIP


@st.composite
def pns_nips(draw):
    today = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
    born = draw(st.dates(min_value=years_before(today, 71) + timedelta(days=1), max_value=years_before(today, 18)))
    year = draw(st.integers(born.year + 17, today.year))
    month = draw(st.integers(1, 12))
    assume((born.year + 17, born.month) <= (year, month) <= (today.year, today.month))
    sex = draw(st.sampled_from("MF"))
    serial = draw(st.integers(1, 999))
    digits = f"{born:%Y%m%d}{year:04d}{month:02d}{'1' if sex == 'M' else '2'}{serial:03d}"
    typed = spaced(digits, draw(st.lists(st.sampled_from(SEPARATORS), min_size=18, max_size=18)))
    return today, typed, Nip(value=digits, kind="pns", birth_date=born, sex=sex, appointed=(year, month))


@settings(max_examples=300, deadline=None)
@given(pns_nips())
def test_valid_pns_nip_round_trips(case):
    today, typed, expected = case
    assert parse_nip(typed, today=today) == expected


@st.composite
def pppk_nis(draw):
    """NI PPPK whose digits 13-14 (number of work agreements) cannot be a PNS appointment month."""
    today = draw(st.dates(min_value=date(2019, 1, 1), max_value=date(2099, 12, 31)))
    born = draw(st.dates(min_value=years_before(today, 71) + timedelta(days=1), max_value=years_before(today, 18)))
    year = draw(st.integers(2019, today.year))
    agreements = draw(st.integers(13, 99))
    sex = draw(st.sampled_from("MF"))
    serial = draw(st.integers(1, 999))
    digits = f"{born:%Y%m%d}{year:04d}{agreements:02d}{'1' if sex == 'M' else '2'}{serial:03d}"
    return today, " ".join([digits[:8], digits[8:]]), Nip(value=digits, kind="pppk", birth_date=born, sex=sex,
                                                          appointed=None)


@settings(max_examples=200, deadline=None)
@given(pppk_nis())
def test_valid_ni_pppk_round_trips(case):
    today, typed, expected = case
    assert parse_nip(typed, today=today) == expected


def test_nip_examples():
    nip = parse_nip("19850312 201001 1 001", today=TODAY)
    assert (nip.kind, nip.birth_date, nip.sex, nip.appointed) == ("pns", date(1985, 3, 12), "M", (2010, 1))
    pppk = parse_nip("19900101 2022 21 2 015", today=TODAY)
    assert (pppk.kind, pppk.birth_date, pppk.sex, pppk.appointed) == ("pppk", date(1990, 1, 1), "F", None)
    # A future PNS appointment that also reads as an NI PPPK of this year (4 work agreements) is taken as PPPK.
    assert parse_nip("198503122026041001", today=TODAY).kind == "pppk"
    # A PPPK layout whose sex digit is not 1/2 does not fit either layout: the PNS error is shown.
    assert refused(parse_nip, "199001012022213015", today=TODAY).key == "nip.appointment_month"


@pytest.mark.parametrize(("typed", "key"), [
    ("19850312201001100", "nip.length"),
    ("1985031220100110011", "nip.length"),
    ("", "nip.length"),
    ("19850312 201001 1 OO1", "nip.letters"),
    ("19850312/201001/1/001", "nip.chars"),
    ("198513122010011001", "nip.birth_date"),  # month 13
    ("198502292010011001", "nip.birth_date"),  # 1985 is not a leap year
    ("198503322010011001", "nip.birth_date"),  # day 32
    ("203001012010011001", "nip.birth_date"),  # future year of birth
    ("000001012010011001", "nip.birth_date"),
    ("201001012028011001", "nip.too_young"),
    ("195001012010011001", "nip.too_old"),
    ("198503122010001001", "nip.appointment_month"),  # month 00
    ("198503122010131001", "nip.appointment_month"),  # 2010 is before the first PPPK year
    ("198503122022002001", "nip.appointment_month"),  # a PPPK year, but 00 work agreements
    ("198503121984121001", "nip.appointment_before_birth"),
    ("198503122002021001", "nip.appointment_too_early"),
    ("198503122027011001", "nip.appointment_future"),
    ("198503122010010001", "nip.sex_digit"),
    ("198503122010019001", "nip.sex_digit"),
    ("198503122010011000", "nip.serial"),
])
def test_invalid_nip_is_refused_with_the_right_key(typed: str, key: str):
    assert refused(parse_nip, typed, today=TODAY).key == key


def test_nip_age_limits_are_inclusive():
    assert parse_nip("200803152026031001", today=TODAY).birth_date == date(2008, 3, 15)  # 18 today
    assert refused(parse_nip, "200803162026031001", today=TODAY).key == "nip.too_young"  # 18 tomorrow
    assert parse_nip("195503161980011001", today=TODAY).birth_date == date(1955, 3, 16)  # 70, 71 tomorrow
    assert refused(parse_nip, "195503151980011001", today=TODAY).key == "nip.too_old"  # 71 today


def test_nip_appointment_17_years_after_birth_is_accepted():
    assert parse_nip("198503122002031001", today=TODAY).appointed == (2002, 3)
    assert refused(parse_nip, "198503122002021001", today=TODAY).key == "nip.appointment_too_early"


# ---------------------------------------------------------------- phone


@pytest.mark.parametrize("typed", [
    "0812-3456-7890", "081234567890", "6281234567890", "62812 3456 7890", "+62 812 3456 7890",
    "+62-812-3456-7890", "(0812) 345 678 90", "+62 (812) 3456 7890", " 0812 3456 7890 ", "0062 812 3456 7890",
    "+62 0812 3456 7890", "٠٨١٢٣٤٥٦٧٨٩٠",
])
def test_phone_is_normalised_to_e164(typed: str):
    assert parse_phone(typed) == "+6281234567890"


@pytest.mark.parametrize(("typed", "expected"), [
    ("0811 234 567", "+62811234567"),
    ("0895 1234 5678", "+6289512345678"),
    ("0881 2345 6789", "+6288123456789"),
])
def test_other_mobile_ranges(typed: str, expected: str):
    assert parse_phone(typed) == expected


@pytest.mark.parametrize(("typed", "key"), [
    ("+1 202 555 0123", "phone.not_indonesian"),
    ("+44 7911 123456", "phone.not_indonesian"),
    ("+60 12 345 6789", "phone.not_indonesian"),
    ("021 1234 5678", "phone.not_mobile"),
    ("+62 21 1234 5678", "phone.not_mobile"),
    ("(0751) 123456", "phone.not_mobile"),
    ("0800 123 4567", "phone.not_mobile"),
    ("0804 1234 567", "phone.not_mobile"),
    ("0841 2345 678", "phone.not_mobile"),
    ("0812", "phone.invalid"),
    ("0812 3456 7890 1234", "phone.invalid"),
    ("", "phone.invalid"),
    ("+", "phone.invalid"),
    ("0812-FLOWERS", "phone.invalid"),
    ("0812 3456 7890 ext 5", "phone.invalid"),
    ("0812+3456+7890", "phone.invalid"),
    ("nomor saya 0812 3456 7890", "phone.invalid"),
    ("0812🙂3456", "phone.invalid"),
])
def test_bad_phone_is_refused_with_the_right_key(typed: str, key: str):
    assert refused(parse_phone, typed).key == key


# ---------------------------------------------------------------- name


@pytest.mark.parametrize(("typed", "expected"), [
    ("SITI AMINAH", "Siti Aminah"),
    ("muhammad al-fatih", "Muhammad Al-Fatih"),
    ("  siti    nur'aini  ", "Siti Nur'aini"),
    ("ma'ruf amin", "Ma'ruf Amin"),
    ("M. YUSUF, S.PD", "M. Yusuf, S.Pd"),
    ("McDonald Siregar", "McDonald Siregar"),
    ("Dr. h.c. Ir. Soekarno", "Dr. h.c. Ir. Soekarno"),
    ("José Ramos-Horta", "José Ramos-Horta"),
    ("Jose\u0301 Ramos", "José Ramos"),  # decomposed accent is composed
    ("Ngô Bảo Châu", "Ngô Bảo Châu"),
    ("Yo", "Yo"),
    ("siti\taminah\nputri", "Siti Aminah Putri"),
    # Invisible and control characters go, as from every typed text (handlers/engine/text_clean.py): nothing reversed
    ("\u202eSiti Aminah\u202c", "Siti Aminah"),  # right-to-left override
    ("Siti\u200b Aminah\ufeff", "Siti Aminah"),  # zero-width space, BOM
    ("Siti\u200bAminah", "SitiAminah"),  # invisible inside a word: the word as it looks
    ("Siti\x00 Ami\x1bnah", "Siti Aminah"),
])
def test_name_is_cleaned(typed: str, expected: str):
    assert parse_name(typed) == expected


@pytest.mark.parametrize(("typed", "key"), [
    ("", "name.too_short"),
    ("   ", "name.too_short"),
    ("A", "name.too_short"),
    ("A.", "name.too_short"),
    ("--", "name.too_short"),
    ("a" * 81, "name.too_long"),
    ("a" * 5000, "name.too_long"),
    ("Siti " * 1000, "name.too_long"),
    ("🙂" * 5000, "name.too_long"),
    ("Siti Aminah 🙂", "name.chars"),
    ("🙂🙂", "name.chars"),
    ("محمد علي", "name.chars"),
    ("Siti محمد", "name.chars"),
    ("שרה", "name.chars"),
    ("Дмитрий", "name.chars"),
    ("王小明", "name.chars"),
    ("Agent 007", "name.chars"),
    ("Siti_Aminah", "name.chars"),
    ("Siti <b>Aminah</b>", "name.chars"),
])
def test_bad_name_is_refused_with_the_right_key(typed: str, key: str):
    assert refused(parse_name, typed).key == key


def test_name_length_limit_is_80():
    assert len(parse_name("A" + "b" * 79)) == 80
    assert refused(parse_name, "A" + "b" * 80).params == {"max": 80}


# ---------------------------------------------------------------- date


@pytest.mark.parametrize("typed", [
    "17-08-1975", "17/8/1975", "17.08.1975", "1975-08-17", "1975/8/17", "17 8 1975", "17 Agustus 1975",
    "17 agustus 1975", "17 agu 1975", "17 Agt 1975", "17-Agu-1975", "17 August 1975", "17 aug. 1975",
    "August 17, 1975", "  17   AGUSTUS   1975 ",
])
def test_date_formats(typed: str):
    assert parse_date(typed, today=TODAY) == date(1975, 8, 17)


@pytest.mark.parametrize(("typed", "expected"), [
    ("1 Januari 2000", date(2000, 1, 1)), ("1 jan 2000", date(2000, 1, 1)),
    ("2 Februari 2000", date(2000, 2, 2)), ("2 Pebruari 2000", date(2000, 2, 2)), ("2 February 2000", date(2000, 2, 2)),
    ("3 Maret 2000", date(2000, 3, 3)), ("3 March 2000", date(2000, 3, 3)), ("3 mar 2000", date(2000, 3, 3)),
    ("4 April 2000", date(2000, 4, 4)), ("4 apr 2000", date(2000, 4, 4)),
    ("5 Mei 2000", date(2000, 5, 5)), ("5 May 2000", date(2000, 5, 5)),
    ("6 Juni 2000", date(2000, 6, 6)), ("6 June 2000", date(2000, 6, 6)), ("6 jun 2000", date(2000, 6, 6)),
    ("7 Juli 2000", date(2000, 7, 7)), ("7 July 2000", date(2000, 7, 7)), ("7 jul 2000", date(2000, 7, 7)),
    ("9 September 2000", date(2000, 9, 9)), ("9 sep 2000", date(2000, 9, 9)),
    ("10 Oktober 2000", date(2000, 10, 10)), ("10 October 2000", date(2000, 10, 10)),
    ("10 okt 2000", date(2000, 10, 10)), ("10 oct 2000", date(2000, 10, 10)),
    ("11 November 2000", date(2000, 11, 11)), ("11 Nopember 2000", date(2000, 11, 11)),
    ("11 nov 2000", date(2000, 11, 11)),
    ("12 Desember 2000", date(2000, 12, 12)), ("12 December 2000", date(2000, 12, 12)),
    ("12 des 2000", date(2000, 12, 12)), ("12 dec 2000", date(2000, 12, 12)),
    ("29 Februari 2024", date(2024, 2, 29)),
    ("15-03-2026", TODAY), ("15-03-1906", date(1906, 3, 15)),
])
def test_month_names(typed: str, expected: date):
    assert parse_date(typed, today=TODAY) == expected


@pytest.mark.parametrize(("typed", "key"), [
    ("16-03-2026", "date.future"),
    ("17-08-2030", "date.future"),
    ("14-03-1906", "date.too_old"),
    ("01-01-1800", "date.too_old"),
    ("31-02-1975", "date.no_such_day"),
    ("29-02-2023", "date.no_such_day"),
    ("31 April 1975", "date.no_such_day"),
    ("32-01-1975", "date.invalid"),
    ("17-13-1975", "date.invalid"),
    ("00-01-1975", "date.invalid"),
    ("17-08-75", "date.invalid"),  # a two-digit year is ambiguous
    ("17 Agustos 1975", "date.invalid"),
    ("17081975", "date.invalid"),
    ("0000-01-01", "date.invalid"),
    ("kemarin", "date.invalid"),
    ("", "date.invalid"),
    ("17-08-1975 🙂", "date.invalid"),
    ("17-08-1975" * 500, "date.invalid"),
])
def test_bad_date_is_refused_with_the_right_key(typed: str, key: str):
    assert refused(parse_date, typed, today=TODAY).key == key


@settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=years_before(TODAY, 120), max_value=TODAY),
       style=st.sampled_from(["{d:%d-%m-%Y}", "{d.day}/{d.month}/{d:%Y}", "{d:%Y-%m-%d}", "{d:%d %B %Y}",
                              "{d:%d %b %Y}", "{d:%d.%m.%Y}"]))
def test_any_past_date_round_trips(day: date, style: str):
    assert parse_date(style.format(d=day), today=TODAY) == day


# ---------------------------------------------------------------- KPJ


@pytest.mark.parametrize(("typed", "expected"), [("12345678901", "12345678901"), ("1234 5678 901", "12345678901"),
                                                 (" 123-4567-8901 ", "12345678901")])
def test_kpj(typed: str, expected: str):
    assert parse_kpj(typed) == expected


@pytest.mark.parametrize("typed", ["1234567890", "123456789012", "1234567890A", "", "KPJ", "1" * 5000])
def test_bad_kpj(typed: str):
    assert refused(parse_kpj, typed).key == "kpj.invalid"


# ---------------------------------------------------------------- never anything but Invalid


def _all_parsers():
    return [
        ("nik", lambda t: parse_nik(t, today=TODAY)), ("nip", lambda t: parse_nip(t, today=TODAY)),
        ("phone", parse_phone), ("name", parse_name), ("date", lambda t: parse_date(t, today=TODAY)),
        ("kpj", parse_kpj),
    ]


def _only_invalid(parse, text: str) -> None:
    try:
        parse(text)
    except Invalid as error:
        assert_message_exists(error)


@FUZZ
@given(text=st.one_of(st.text(max_size=50), st.text(max_size=5000)))
def test_any_text_raises_only_invalid(text: str):
    for _, parse in _all_parsers():
        _only_invalid(parse, text)


@FUZZ
@given(text=st.text(alphabet="0123456789 .-+()/,", max_size=40))
def test_any_number_like_text_raises_only_invalid(text: str):
    for _, parse in _all_parsers():
        _only_invalid(parse, text)


# Drawing 5,000 characters one by one is slow; repeating a random piece gives long texts of any content quickly.
@FUZZ
@given(text=st.text(min_size=1, max_size=60).map(lambda piece: (piece * (5000 // len(piece) + 1))[:5000]))
def test_long_text_raises_only_invalid(text: str):
    for _, parse in _all_parsers():
        _only_invalid(parse, text)


HOSTILE = ["", " ", "\x00", "\u202e", "🙂" * 5000, "1" * 5000, "9" * 5000 + "a", "(" * 5000, "+" * 5000,
           "1 " * 2500, "محمد" * 1250, "a" * 5000, "a " * 2500, "\n" * 5000, "١" * 5000, "\ud800"]


@pytest.mark.parametrize("name", [n for n, _ in _all_parsers()])
def test_hostile_input_is_refused_quickly(name: str):
    parse = dict(_all_parsers())[name]
    started = time.perf_counter()
    for text in HOSTILE:
        with pytest.raises(Invalid) as info:
            parse(text)
        assert_message_exists(info.value)
    assert time.perf_counter() - started < 1.0


# ---------------------------------------------------------------- helpers and masking


def test_normalize_digits():
    assert normalize_digits("١٢٣ ۴۵۶ １２３") == "123 456 123"
    assert normalize_digits("abc 123") == "abc 123"
    assert normalize_digits("²") == "²"  # a superscript is not a decimal digit


def test_masks():
    assert mask_nik("1377010101010003") == "1377********0003"
    assert mask_nip("198503122010011001") == "1985**********1001"
    assert mask_phone("+6281234567890") == "+62812*****890"
    assert mask_nik("1377 0101 0101 0003") == "1377********0003"


@pytest.mark.parametrize("value", ["", "1", "123", "1234567", "1234567890", "+62", "+6281", "+62812345", "abc", None, 7])
def test_masks_on_short_or_odd_input_reveal_nothing(value):
    for mask in (mask_nik, mask_nip, mask_phone):
        masked = mask(value)
        assert set(masked) == {"*"}, (mask.__name__, value, masked)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200))
def test_masks_never_raise_and_never_reveal_more(text: str):
    assert sum(ch != "*" for ch in mask_nik(text)) <= 8
    assert sum(ch != "*" for ch in mask_nip(text)) <= 8
    assert sum(ch != "*" for ch in mask_phone(text)) <= 1 + 3 + 3 + 3  # "+", country code, 3 digits, last 3


@settings(max_examples=100, deadline=None)
@given(niks())
def test_masked_nik_hides_birth_date_and_region(case):
    today, typed, _ = case
    nik = parse_nik(typed, today=today)
    masked = mask_nik(nik.value)
    assert masked == nik.value[:4] + "********" + nik.value[-4:]
    assert nik.value[4:12] not in masked
