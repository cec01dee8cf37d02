"""Writing an export (bot/files/exports.py) to CSV or XLSX, streamed, private on disk (it holds NIKs and phone numbers).

CSV: UTF-8 with a BOM (so Excel shows accents), dates as ISO (2026-11-03, which every Excel reads as a date).
XLSX: dates and months as date cells, counts and rupiah as numbers, the header row frozen, sensible column widths.
In both, text is never a formula, whoever typed it (bot/files/sheet_cells.py).
The file is written under a temporary name and renamed at the end, so a half-written export never looks finished.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.files.exports import ExportColumn, ExportTable
from bot.files.sheet_cells import csv_text, looks_like_formula, xlsx_text
from handlers.engine.i18n import Translator

FORMATS = ("csv", "xlsx")
NUMBER_FORMATS = {"date": "dd/mm/yyyy", "month": "mmm yyyy", "int": "0", "rupiah": '"Rp"#,##0'}


class CsvSink:
    def __init__(self, path: Path, columns: tuple[ExportColumn, ...], header: list[str]) -> None:
        self.handle = _private_open(path, encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.handle, quoting=csv.QUOTE_NONNUMERIC)  # every text quoted, numbers not
        self.writer.writerow(header)

    def write(self, row: list[Any]) -> None:
        self.writer.writerow(["" if v is None else v.isoformat() if isinstance(v, date)
                              else csv_text(v) if isinstance(v, str) else v for v in row])

    def close(self) -> None:
        self.handle.close()


class XlsxSink:
    """openpyxl's write-only mode: rows go to disk as they come, whatever the size of the ledger."""

    def __init__(self, path: Path, columns: tuple[ExportColumn, ...], header: list[str], title: str) -> None:
        self.path, self.columns = path, columns
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet(title[:31])
        self.sheet.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = max(column.width, len(header[index - 1]) + 2)
        bold = Font(bold=True)
        self.sheet.append([self._cell(text, font=bold) for text in header])

    def _cell(self, value: Any, *, font: Font | None = None, number_format: str | None = None) -> WriteOnlyCell:
        if isinstance(value, str):
            cell = WriteOnlyCell(self.sheet, value=xlsx_text(value))
            cell.data_type = "s"  # a string cell, never a formula (openpyxl makes "=..." a formula)
            cell.quotePrefix = looks_like_formula(value)  # and Excel keeps it text when the cell is edited
        else:
            cell = WriteOnlyCell(self.sheet, value=value)
        if font is not None:
            cell.font = font
        if number_format is not None and value is not None:
            cell.number_format = number_format
        return cell

    def write(self, row: list[Any]) -> None:
        self.sheet.append([self._cell(value, number_format=NUMBER_FORMATS.get(column.kind))
                           for column, value in zip(self.columns, row, strict=True)])

    def close(self) -> None:
        with _private_open(self.path, mode="wb") as handle:
            self.book.save(handle)


def open_sink(fmt: str, path: Path, columns: tuple[ExportColumn, ...], header: list[str],
              title: str) -> CsvSink | XlsxSink:
    """A private (0600) CSV or XLSX file at `path` with its header row written; `write` rows, then `close`."""
    return CsvSink(path, columns, header) if fmt == "csv" else XlsxSink(path, columns, header, title)


def _private_open(path: Path, mode: str = "w", **kwargs: Any) -> Any:
    """Open for writing, readable by the owner only (0600): exports hold personal data (UU PDP)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(descriptor, mode, **kwargs)


async def write_export(session: AsyncSession, table: ExportTable, *, t: Translator, fmt: str, output: Path,
                       title: str, progress: Callable[[int | None, int], None]) -> int:
    """Stream the table's rows into `output` (replaced only when complete). Returns the number of rows written.
    `progress(total, done)` is called with the total first, then with each batch written."""
    header = [t(f"export.column.{column.key}") for column in table.columns]
    total = (await session.execute(select(func.count()).select_from(table.query.order_by(None).subquery())))
    progress(total.scalar_one(), 0)
    partial = output.with_name(output.name + ".part")
    written = 0
    try:
        sink = open_sink(fmt, partial, table.columns, header, title)
        result = await session.stream(table.query.execution_options(yield_per=1000))
        async for partition in result.partitions():
            for row in partition:
                sink.write(table.row(row))
            written += len(partition)
            progress(None, len(partition))
        sink.close()
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return written
