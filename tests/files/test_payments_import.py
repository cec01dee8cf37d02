"""`tuwai import payments` as an officer runs it, checked against the database rows: the formats offices use, every
refused row with its line and reason, all or nothing, and a receipt waiting closed by the import."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from bot.app import App
from bot.files.payments_import import PaymentsError, parse_amount, read_payments
from db.models import Receipt, Worker
from handlers.engine.types import Invalid
from tests.cli.steps import tuwai
from tests.contributions.steps import a_receipt_waiting
from tests.files.steps import (KPJ_NELAYAN, KPJ_OJEK, NELAYAN, OJEK, SEEDED, TODAY, UNSPONSORED, WAITING, dimension_a1,
                               ledger, output, run)
from tests.people import NIK_MALE, RecordingChannel, an_officer, deliver
from tests.records import stored


def test_a_good_csv_with_bom_semicolons_and_three_date_formats(payments_config: Path, db_url: str, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert ledger(db_url) == SEEDED
    file = tmp_path / "bayar.csv"
    file.write_bytes(("\ufeffNIK;Bulan;Jumlah;Tanggal Bayar\n"
                      f"{NELAYAN};2026-10;Rp8.400;2026-11-03\n"
                      f"{NELAYAN};Nov 2026;8.400;03/11/2026\n"
                      f"{NELAYAN};2027-01;16.800;3 Nopember 2026\n"
                      f"{OJEK};12/2026;8400;4 Nov 2026\n"
                      f"{NELAYAN};2026-09;8400;2026-09-10\n"
                      ";;;\n").encode())
    assert run(payments_config, "import", "payments", str(file)) == 0
    assert "4 row(s) matched and applied, 1 already paid, 0 refused" in output(capsys)
    assert ledger(db_url) == {
        (NELAYAN, "2026-09"): ("paid", "receipt", date(2026, 9, 10), 8400),  # already paid: left as it was
        (NELAYAN, "2026-10"): ("paid", "import", date(2026, 11, 3), 8400),  # the receipt waiting is overtaken
        (NELAYAN, "2026-11"): ("paid", "import", date(2026, 11, 3), 8400),
        (NELAYAN, "2027-01"): ("paid", "import", date(2026, 11, 3), 16800),  # created; the discount has ended
        (OJEK, "2026-12"): ("paid", "import", date(2026, 11, 4), 8400),  # created; transport discount
    }
    # The same file again applies nothing twice.
    assert run(payments_config, "import", "payments", str(file)) == 0
    assert "0 row(s) matched and applied, 5 already paid, 0 refused" in output(capsys)


def test_an_xlsx_with_kpj_instead_of_nik_and_excel_dates(payments_config: Path, db_url: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    book = Workbook()
    book.active.append(["No KPJ", "Periode", "Nominal", "Tanggal"])
    book.active.append([int(KPJ_OJEK), datetime(2026, 11, 1), 8400, datetime(2026, 11, 5, 9, 30)])
    book.active.append([KPJ_NELAYAN, "2026-11", "Rp 8.400,-", date(2026, 11, 4)])
    book.active.append([KPJ_NELAYAN, "2026-12", 8400.0, "2026-11-04"])
    book.save(tmp_path / "bayar.xlsx")
    assert run(payments_config, "import", "payments", str(tmp_path / "bayar.xlsx")) == 0
    assert "3 row(s) matched and applied, 0 already paid, 0 refused" in output(capsys)
    rows = ledger(db_url)
    assert rows[(OJEK, "2026-11")] == ("paid", "import", date(2026, 11, 5), 8400)
    assert rows[(NELAYAN, "2026-11")] == ("paid", "import", date(2026, 11, 4), 8400)
    assert rows[(NELAYAN, "2026-12")] == ("paid", "import", date(2026, 11, 4), 8400)


def test_every_refused_row_has_its_line_and_reason_and_nothing_is_wrongly_paid(
        payments_config: Path, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "bayar.csv"
    file.write_text("nik,kpj,month,amount,paid date\n"
                    "9999010101900009,,2026-11,8400,2026-11-03\n"  # 2 unknown NIK
                    "13770101019,,2026-11,8400,2026-11-03\n"  # 3 not 16 digits
                    ",99999999999,2026-11,8400,2026-11-03\n"  # 4 unknown KPJ
                    f"{NELAYAN},,2026-11,-8400,2026-11-03\n"  # 5 negative
                    f"{NELAYAN},,2026-11,abc,2026-11-03\n"  # 6 not a number
                    f"{NELAYAN},,2026-12,16.800,2026-11-03\n"  # 7 the discount still runs in December
                    f"{NELAYAN},,2027-01,\"8,400\",2026-11-03\n"  # 8 ... and has ended in January
                    f"{NELAYAN},,2026-08,8400,2026-11-03\n"  # 9 before BPJS membership started
                    f"{NELAYAN},,2027-12,16800,2026-11-03\n"  # 10 beyond November 2026 + 12 months
                    f"{NELAYAN},,2026-11,8400,2026-12-01\n"  # 11 paid tomorrow
                    f"{WAITING},,2026-11,8400,2026-11-03\n"  # 12 no BPJS start yet
                    f"{UNSPONSORED},,2026-11,8400,2026-11-03\n"  # 13 sponsorship ended
                    f"{NELAYAN},,2026-11,8400,2026-11-03\n"  # 14 good
                    f"{NELAYAN},,2026-11,8400,2026-11-04\n"  # 15 the same month again
                    f"{NELAYAN},,2026-13,8400,2026-11-03\n"  # 16 no such month
                    f"{NELAYAN},{KPJ_OJEK},2026-11,8400,2026-11-03\n"  # 17 NIK and KPJ of two people
                    f"{NELAYAN},,2026-11,8400,\n"  # 18 no paid date
                    f"{NELAYAN},,2026-11,8400,31/02/2026\n")  # 19 no such day
    assert run(payments_config, "import", "payments", str(file)) == 0
    text = output(capsys)
    assert "1 row(s) matched and applied, 0 already paid, 17 refused" in text
    for expected in (
            "line 2: No worker is registered with NIK 9999010101900009.",
            "line 3: A NIK has 16 digits; «13770101019» is not a NIK.",
            "line 4: No worker is registered with KPJ 99999999999.",
            "line 5: The amount «-8400» is negative.",
            "line 6: «abc» is not an amount in rupiah",
            "line 7: The amount Rp16.800 is wrong: this worker's contribution for 2026-12 is Rp8.400.",
            "line 8: The amount Rp8.400 is wrong: this worker's contribution for 2027-01 is Rp16.800.",
            "line 9: The month 2026-08 is before the membership started (2026-09).",
            "line 10: The month 2027-12 is too far ahead: 2027-11 at the latest.",
            "line 11: The paid date 2026-12-01 is in the future.",
            "line 12: Andi Menunggu is not active yet",
            "line 13: Dedi Lepas is not sponsored by any ASN",
            "line 15: This worker's month 2026-11 appears more than once",
            "line 16: «2026-13» is not a month",
            f"line 17: NIK {NELAYAN} and KPJ {KPJ_OJEK} do not belong to the same worker.",
            "line 18: The paid date column is empty.",
            "line 19: «31/02/2026» is not a date"):
        assert expected in text, expected
    assert "line 14" not in text
    assert ledger(db_url) == {**SEEDED, (NELAYAN, "2026-11"): ("paid", "import", date(2026, 11, 3), 8400)}


def test_all_or_nothing_applies_nothing_when_one_row_is_bad(payments_config: Path, db_url: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "bayar.csv"
    file.write_text(f"NIK\tbulan\tjumlah\ttanggal bayar\n{NELAYAN}\t2026-11\t8400\t2026-11-03\n"
                    f"{OJEK}\t2026-11\t16800\t2026-11-03\n")
    assert run(payments_config, "import", "payments", str(file), "--all-or-nothing") == 1
    text = output(capsys)
    assert "nothing imported, because 1 row(s) were refused and --all-or-nothing was given" in text
    assert "line 3: The amount Rp16.800 is wrong" in text
    assert ledger(db_url) == SEEDED
    assert run(payments_config, "import", "payments", str(file)) == 0
    assert "1 row(s) matched and applied, 0 already paid, 1 refused" in output(capsys)
    assert ledger(db_url)[(NELAYAN, "2026-11")] == ("paid", "import", date(2026, 11, 3), 8400)


@pytest.mark.parametrize(("content", "message"), [
    ("nik,amount\n1,2\n", 'missing column(s) Bulan, Tanggal Bayar in the header row (line 1: "nik | amount")'),
    ("bulan;jumlah;tanggal bayar\n2026-11;8400;2026-11-03\n", "missing column(s) NIK or KPJ"),
    ("", "bayar.csv is empty"),
    ("\n\n", "bayar.csv is empty"),
    ("\ufeffNIK;Bulan;Jumlah;Tanggal Bayar\n", "has a header row (line 1) but no rows under it"),
])
def test_a_file_that_is_not_a_payments_file_is_refused_whole(payments_config: Path, db_url: str, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str], content: str,
                                                             message: str) -> None:
    file = tmp_path / "bayar.csv"
    file.write_bytes(content.encode())
    assert run(payments_config, "import", "payments", str(file)) == 1
    text = output(capsys)
    assert message in text and "Traceback" not in text
    assert ledger(db_url) == SEEDED


def test_other_unreadable_files_are_one_sentence(payments_config: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert run(payments_config, "import", "payments", str(tmp_path / "nope.csv")) == 1
    assert "File not found" in output(capsys)
    (tmp_path / "bayar.pdf").write_bytes(b"%PDF")
    assert run(payments_config, "import", "payments", str(tmp_path / "bayar.pdf")) == 1
    assert "use a .csv or .xlsx file" in output(capsys)
    (tmp_path / "bayar.xlsx").write_bytes(b"not a zip")
    assert run(payments_config, "import", "payments", str(tmp_path / "bayar.xlsx")) == 1
    assert "cannot be opened as an Excel workbook" in output(capsys)
    for garbled in (b"NIK;Bulan;Jumlah;Tanggal\n1;\x81\x8d;1;1\n", b"NIK;Bulan;Jumlah;Tanggal\n1;\xa4\xa6;1;1\n"):
        (tmp_path / "garbled.csv").write_bytes(garbled)  # bytes no Windows code page text would hold
        assert run(payments_config, "import", "payments", str(tmp_path / "garbled.csv")) == 1
        assert 'Save As > "CSV UTF-8 (Comma delimited) (*.csv)"' in output(capsys)


def test_amounts_and_files_without_a_database(tmp_path: Path) -> None:
    for text, value in (("Rp16.800", 16800), ("16800", 16800), ("16.800", 16800), ("8,400", 8400), ("8.400", 8400),
                        ("Rp 16.800,00", 16800), ("16800.00", 16800), (16800, 16800)):
        assert parse_amount(text) == value
    for text, key in (("-8400", "payments.amount_negative"), ("(8.400)", "payments.amount_negative"),
                      ("abc", "payments.amount_invalid"), ("8,40", "payments.amount_invalid"),
                      ("1.2.3", "payments.amount_invalid"), (8400.5, "payments.amount_invalid")):
        with pytest.raises(Invalid) as error:
            parse_amount(text)
        assert error.value.key == key
    file = tmp_path / "p.xlsx"
    book = Workbook()
    book.active.append(["NIK", "bulan", "jumlah", "tanggal bayar"])
    book.active.append([1377010101900000, "2026-11", 8400, "2026-11-03"])  # Excel kept 15 digits of a NIK
    book.active.append([1377010101900001, "2026-11", 8400, "2026-11-03"])  # exact: a program wrote it
    book.save(file)
    parsed = read_payments(file, today=TODAY)
    assert parsed.refused == [(2, "payments.nik_as_number", {})]
    assert [(row.line, row.nik) for row in parsed.rows] == [(3, NELAYAN)]
    with pytest.raises(PaymentsError):
        read_payments(tmp_path / "p.ods", today=TODAY)


def test_a_payments_sheet_with_a_title_a_merged_month_and_a_wps_dimension(
        payments_config: Path, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["REKAP PEMBAYARAN IURAN BPU KOTA PARIAMAN"])
    sheet.merge_cells("A1:D1")
    sheet.append(["NIK Peserta", "Periode", "Iuran", "Tgl Bayar"])
    sheet.append([NELAYAN, "Nov 2026", 8400, datetime(2026, 11, 3)])
    sheet.append([OJEK, None, "Rp8.400", datetime(2026, 11, 4)])
    sheet.merge_cells("B3:B4")  # one month for both rows
    file = tmp_path / "bayar.xlsx"
    book.save(file)
    dimension_a1(file)
    code, text = tuwai(payments_config, capsys, "import", "payments", str(file))
    assert code == 0 and "2 row(s) matched and applied, 0 already paid, 0 refused" in text
    paid = ledger(db_url)
    assert paid[(NELAYAN, "2026-11")] == ("paid", "import", date(2026, 11, 3), 8400)
    assert paid[(OJEK, "2026-11")] == ("paid", "import", date(2026, 11, 4), 8400)


def test_a_payments_csv_in_the_windows_code_page_with_a_title_row(
        payments_config: Path, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "bayar.csv"
    file.write_bytes(f"Rekap pembayaran – November 2026;;;\r\nNIK;Bulan;Jumlah;Tanggal Bayar\r\n"
                     f"{NELAYAN};11/2026;8.400;03/11/2026\r\n{OJEK};11/2026;8.400;1/1/2027\r\n".encode("cp1252"))
    code, text = tuwai(payments_config, capsys, "import", "payments", str(file))
    assert code == 0 and "1 row(s) matched and applied, 0 already paid, 1 refused" in text
    assert "line 4: The paid date 1/1/2027 is in the future" in text
    assert ledger(db_url) == {**SEEDED, (NELAYAN, "2026-11"): ("paid", "import", date(2026, 11, 3), 8400)}


def test_a_month_paid_by_import_closes_its_pending_receipt_and_the_asn_is_told(settings, clock, tmp_path,
                                                                                monkeypatch) -> None:
    import asyncio

    from bot.cli.main import main
    from bot.files import payments_import
    from tests.conftest import ROOT

    async def receipt_then_stop() -> None:
        app = App(settings, clock=clock)
        await app.prepare()
        app.add_channel(RecordingChannel())
        try:
            await a_receipt_waiting(app, app.channels["console"], clock)
            async with app.sessions() as session, session.begin():
                (await session.execute(select(Worker))).scalar_one().nik = NIK_MALE
        finally:
            await app.stop()

    asyncio.run(receipt_then_stop())
    monkeypatch.setenv("TUWAI_DATABASE__URL", settings.database_url)
    monkeypatch.setattr(payments_import, "programme_today", lambda tz: date(2026, 11, 22))
    file = tmp_path / "bayar.csv"
    file.write_text(f"nik,bulan,jumlah,tanggal bayar\n{NIK_MALE},2026-11,8400,2026-11-10\n")
    assert main(["--config", str(ROOT / "config.toml"), "import", "payments", str(file)]) == 0

    async def check() -> None:
        app = App(settings, clock=clock)
        await app.prepare()
        channel = RecordingChannel()
        app.add_channel(channel)
        try:
            [receipt] = await stored(app, Receipt)
            assert (receipt.status, receipt.decided_by) == ("verified", "import")
            clock.now = datetime.now(timezone.utc)  # the import ran on the real clock
            await deliver(app)
            assert "sudah tercatat lunas dari data pembayaran BPJS" in channel.inbox["100000"][-1].text
            officer = await an_officer(app)
            await officer.say("/petugas")
            assert "Bukti bayar (0)" in [o.label for o in officer.last[-1].options]
        finally:
            await app.stop()

    asyncio.run(check())
