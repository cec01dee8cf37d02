"""Reading the tables offices send (XLSX and CSV from Excel, WPS Office, LibreOffice) for every import.

Each import names its columns (`Column`: the field, the header variants it accepts, whether it is needed) and gets
back `Row`s whose `fields` map field -> cell value (typed from XLSX: int, float, datetime; text from CSV). What holds
for every import:

- the header row is looked for in the first `HEADER_SCAN` rows, so a title row ("DAFTAR ASN PEMERINTAH KOTA
  PARIAMAN TAHUN 2026") and blank rows above the header are skipped; header names are compared case-folded, with
  punctuation turned into spaces ("No. HP" = "no hp");
- a value merged over several cells (XLSX) applies to each of them;
- an XLSX whose sheet claims its dimension is A1 (WPS Office writes that) is read to its real last row;
- CSV: UTF-8 with or without BOM, UTF-16 with BOM (Excel's "Unicode Text"), and the Windows code page (cp1252)
  when it decodes to plausible text; the separator (`,` `;` tab `|`) is the one under which the header is found;
- a file that cannot be read at all raises TableError with one sentence (naming the line where it helps); a row
  with more filled fields than the header is refused with its line number, the other rows are still read.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.exceptions import InvalidFileException

HEADER_SCAN = 20  # rows searched for the header
DELIMITERS = (",", ";", "\t", "|")
Refusal = tuple[int, str, dict[str, object]]  # (line number, catalogue key, its parameters)
# Letters are plausible in names and OPDs, and so are the punctuation marks Windows keyboards produce.
_PLAUSIBLE_PUNCTUATION = set("’‘‚“”„–—…•·°´¨\u00a0«»")


class TableError(Exception):
    """The file cannot be read as a table at all: one sentence for the person importing it."""


@dataclass(frozen=True)
class Column:
    """A column an import reads: `names` are the header variants (the first is the one documented first);
    `need` groups alternatives ("NIK or KPJ"): the file must have at least one column of each group; None = optional."""

    field: str
    names: tuple[str, ...]
    need: str | None = None


@dataclass(frozen=True)
class Row:
    line: int  # the line of a CSV file, the row number of a sheet
    fields: dict[str, Any]


@dataclass
class Table:
    header_line: int
    columns: dict[str, int]  # field -> column index
    rows: list[Row] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


def header_name(text: str) -> str:
    """A header as compared: lower case, punctuation as spaces, single spaces ("No. HP" -> "no hp")."""
    return " ".join(re.sub(r"[_\-.:/()#*]", " ", text.casefold()).split())


def cell_text(cell: Any) -> str:
    """A cell as text: None -> "", 12.0 -> "12", else str() stripped."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 1e15:
        return str(int(cell))
    return str(cell).strip()


def describe_columns(columns: Sequence[Column]) -> str:
    """The columns a file needs, for messages and --help: "NIP (or NI PPPK), Nama (or Nama Lengkap), ..."."""
    groups: dict[str, list[str]] = {}
    for column in columns:
        if column.need is not None:
            groups.setdefault(column.need, []).append(column.names[0])
    return ", ".join(" or ".join(names) for names in groups.values())


def read_table(path: Path, columns: Sequence[Column]) -> Table:
    """Read the table in `path` (.xlsx, .csv, .txt, .tsv). Raises TableError when it cannot be read at all."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _from_rows(path.name, _xlsx_rows(path), columns, check_width=False)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path.name, _decode(path.read_bytes(), path.name), columns)
    if suffix == ".xls":
        raise TableError(f"{path.name} is an old Excel 97-2003 file: save it as .xlsx (Excel Workbook) or as "
                         "CSV UTF-8 and import that")
    raise TableError(f"{path.name}: use a .csv or .xlsx file")


# ---------------------------------------------------------------- XLSX


def _xlsx_rows(path: Path) -> list[list[Any]]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise TableError(f"{path.name} cannot be opened as an Excel workbook ({error})") from None
    try:
        sheet = book.active
        sheet.reset_dimensions()  # WPS Office writes dimension "A1": read to the real last row, not to the claim
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        merged = _merged_ranges(path, sheet._worksheet_path)  # read-only sheets do not parse merged cells
    finally:
        book.close()
    for min_col, min_row, max_col, max_row in merged:
        if min_row > len(rows):
            continue
        value = rows[min_row - 1][min_col - 1] if min_col <= len(rows[min_row - 1]) else None
        for number in range(min_row, min(max_row, len(rows)) + 1):
            row = rows[number - 1]
            row.extend([None] * (max_col - len(row)))
            for index in range(min_col - 1, max_col):
                if row[index] is None:
                    row[index] = value
    return rows


def _merged_ranges(path: Path, sheet_path: str) -> list[tuple[int, int, int, int]]:
    """(min_col, min_row, max_col, max_row) of every merged range of the sheet, from its XML."""
    ranges = []
    with zipfile.ZipFile(path) as archive, archive.open(sheet_path.lstrip("/")) as source:
        for _, element in ElementTree.iterparse(source):
            if element.tag.endswith("}mergeCell") and element.get("ref"):
                ranges.append(range_boundaries(element.get("ref")))
            element.clear()
    return ranges


# ---------------------------------------------------------------- CSV


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:  # Excel's plain "CSV" on Windows: the Windows code page, readable when every character is plausible
        text = data.decode("cp1252")
        if all(ch.isascii() or ch in _PLAUSIBLE_PUNCTUATION or unicodedata.category(ch).startswith("L")
               for ch in text):
            return text
    except UnicodeDecodeError:
        pass
    raise TableError(f"{name}: the characters of this file cannot be read with certainty; in Excel choose "
                     "File > Save As > \"CSV UTF-8 (Comma delimited) (*.csv)\" and import that file")


def _read_csv(name: str, text: str, columns: Sequence[Column]) -> Table:
    head = text.splitlines()[:HEADER_SCAN]
    found: list[tuple[int, str]] = []
    for delimiter in DELIMITERS:
        rows = list(csv.reader(head, delimiter=delimiter))
        if (header := _find_header(rows, columns)) is not None:
            found.append((len(_matches(rows[header], columns)), delimiter))
    if not found:
        widest = max(DELIMITERS, key=lambda d: max((len(r) for r in csv.reader(head, delimiter=d)), default=0))
        rows = list(csv.reader(head, delimiter=widest))
        first = next((i for i, row in enumerate(rows, start=1) if any(c.strip() for c in row)), None)
        if first is not None and all(len(row) <= 1 for row in rows):
            raise TableError(f"{name}: cannot tell how the columns are separated: every line has one column (line "
                             f"{first}: \"{head[first - 1][:60]}\"); separate the columns with commas or "
                             "semicolons, or save the sheet as CSV UTF-8")
        _header_error(name, rows, columns)
    delimiter = max(found)[1]  # the separator under which the header has the most known columns
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        rows = list(reader)
    except csv.Error as error:
        raise TableError(f"{name} line {reader.line_num}: this line cannot be read as CSV ({error}); check for a "
                         "quote mark (\") opened and not closed") from None
    return _from_rows(name, rows, columns, check_width=True)


# ---------------------------------------------------------------- header and rows


def _matches(cells: Sequence[Any], columns: Sequence[Column]) -> dict[str, int]:
    by_name = {header_name(name): column.field for column in columns for name in column.names}
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        column = by_name.get(header_name(cell_text(cell)))
        if column is not None and column not in found:
            found[column] = index
    return found


def _satisfied(found: dict[str, int], columns: Sequence[Column]) -> list[str]:
    """The needs (groups of alternatives) that a header row does not meet, in the columns' order."""
    met = {column.need for column in columns if column.field in found}
    return [need for need in dict.fromkeys(c.need for c in columns if c.need) if need not in met]


def _find_header(rows: Sequence[Sequence[Any]], columns: Sequence[Column]) -> int | None:
    for index, cells in enumerate(rows[:HEADER_SCAN]):
        if not _satisfied(_matches(cells, columns), columns):
            return index
    return None


def _header_error(name: str, rows: Sequence[Sequence[Any]], columns: Sequence[Column]) -> None:
    scanned = list(enumerate(rows[:HEADER_SCAN], start=1))
    best = max(scanned, key=lambda item: len(_matches(item[1], columns)), default=(0, []))
    if best[0] and _matches(best[1], columns):
        missing = _satisfied(_matches(best[1], columns), columns)
        raise TableError(f"{name}: missing column(s) {', '.join(missing)} in the header row (line {best[0]}: "
                         f"{_show(best[1])}); the file needs the columns {describe_columns(columns)}")
    first = next(((line, cells) for line, cells in scanned if any(cell_text(c) for c in cells)), None)
    if first is None:
        raise TableError(f"{name} is empty: it needs a header row with the columns {describe_columns(columns)} and "
                         "one row per record")
    raise TableError(f"{name}: no header row found in the first {HEADER_SCAN} rows (line {first[0]} reads "
                     f"{_show(first[1])}); the file needs the columns {describe_columns(columns)}")


def _show(cells: Iterable[Any]) -> str:
    return "\"" + " | ".join(cell_text(c) for c in cells if cell_text(c))[:80] + "\""


def _from_rows(name: str, rows: list[list[Any]], columns: Sequence[Column], *, check_width: bool) -> Table:
    header = _find_header(rows, columns)
    if header is None:
        _header_error(name, rows, columns)
        raise AssertionError("unreachable")
    table = Table(header + 1, _matches(rows[header], columns))
    width = max((i + 1 for i, cell in enumerate(rows[header]) if cell_text(cell)), default=0)
    for line, cells in enumerate(rows[header + 1:], start=header + 2):
        if not any(cell_text(c) for c in cells):
            continue
        extra = [c for c in cells[width:] if cell_text(c)]
        if check_width and extra:
            table.refused.append((line, "table.extra_fields", {"found": width + len(extra), "expected": width}))
            continue
        table.rows.append(Row(line, {key: (cells[i] if i < len(cells) else None)
                                     for key, i in table.columns.items()}))
    if not table.rows and not table.refused:
        raise TableError(f"{name} has a header row (line {header + 1}) but no rows under it")
    return table


def lost_digits(cell: Any, digits: int) -> bool:
    """Whether an identifier of `digits` digits (NIK 16, NIP 18) was kept by Excel as a number and may have lost its
    last digits: Excel keeps 15 significant digits, so a longer number ends in zeros that were digits before. A
    16-digit number that does not end in 0 was written by a program and is exact."""
    if isinstance(cell, bool):
        return False
    if isinstance(cell, (int, float)) and cell >= 1e15:
        return not float(cell).is_integer() or digits > 16 or int(cell) % 10 == 0
    return "e+" in cell_text(cell).lower()


def columns_help(columns: Sequence[Column], notes: dict[str, str]) -> str:
    """The columns for --help: one line each, with the header variants accepted and what the values look like."""
    lines = []
    for column in columns:
        also = f" (also: {', '.join(column.names[1:])})" if column.names[1:] else ""
        lines.append(f"  {column.names[0]}{also}: {notes.get(column.field, '')}")
    return "\n".join(lines)
