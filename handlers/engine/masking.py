"""Masking personal numbers in what others see and in logs (UU PDP, DOMAIN.md): NIK, NIP and phone numbers."""

from __future__ import annotations

import phonenumbers


def _plain(value: object) -> str:
    return value if isinstance(value, str) else str(value) if isinstance(value, int) else ""


def _mask(digits: str, head: int, tail: int, stars: int) -> str:
    """Keep head and tail around a fixed run of stars; star everything if fewer than 4 characters would be hidden."""
    if len(digits) < head + tail + 4:
        return "*" * stars
    return digits[:head] + "*" * stars + digits[len(digits) - tail:]


def mask_nik(value: str) -> str:
    """ "1377010101010003" -> "1377********0003". """
    return _mask("".join(ch for ch in _plain(value) if "0" <= ch <= "9"), 4, 4, 8)


def mask_nip(value: str) -> str:
    """First 4 and last 4 digits around 10 stars."""
    return _mask("".join(ch for ch in _plain(value) if "0" <= ch <= "9"), 4, 4, 10)


def mask_phone(value: str) -> str:
    """ "+6281234567890" -> "+62812*****890": country code and 3 digits, then the last 3."""
    text = _plain(value).strip()
    digits = "".join(ch for ch in text if "0" <= ch <= "9")
    plus = "+" if text.startswith("+") else ""
    head = _country_code_length(digits) + 3 if plus else 4
    hidden = len(digits) - head - 3
    if hidden < 4:
        return "*" * 8
    return plus + digits[:head] + "*" * hidden + digits[-3:]


def _country_code_length(digits: str) -> int:
    for length in (1, 2, 3):
        if digits[:length].isdigit() and int(digits[:length]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return length
    return 3
