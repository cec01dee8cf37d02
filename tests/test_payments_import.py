"""`tuwai import payments` and `tuwai export`: as an officer runs them, checked against the database rows."""

from __future__ import annotations

import asyncio
import csv
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from bot.app import App
from bot.cli.main import main
from bot.config import load_settings
from bot.files import payments_import
from bot.files.payments_import import PaymentsError, parse_amount, read_payments
from db.engine import create_engine, session_factory
from db.ledger import ensure_months
from db.models import Asn, Chat, Contribution, Sponsorship, Worker
from db.rules.months import Month
from handlers.engine.types import Invalid
from tests.conftest import ROOT

TODAY = date(2026, 11, 22)
NELAYAN, OJEK, WAITING, UNSPONSORED = "1377010101900001", "1377014101850002", "1377010202900003", "1377010303900004"
KPJ_NELAYAN, KPJ_OJEK = "12345678901", "12345678902"


@pytest.fixture
def config(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    path.write_text((ROOT / "config.toml").read_text())
    monkeypatch.setenv("TUWAI_DATABASE__URL", db_url)
    monkeypatch.delenv("TUWAI_TELEGRAM__TOKEN", raising=False)
    monkeypatch.setattr(payments_import, "programme_today", lambda tz: TODAY)
    asyncio.run(seed(path))
    return path


async def seed(config: Path) -> None:
    """An approved ASN sponsoring a fisherman and a motorbike-taxi driver (both active since September 2026), a worker
    still awaiting BPJS, and an active worker whose sponsorship ended. The fisherman's September is paid (receipt),
    October has a receipt waiting, November is due; nobody has rows beyond."""
    settings = load_settings(config)
    app = App(settings)
    await app.prepare()
    async with app.sessions() as session, session.begin():
        chat = Chat(channel="console", address="asn")
        session.add(chat)
        await session.flush()
        asn = Asn(chat_id=chat.id, nip="198503172010011002", nip_kind="pns", name="Rahmat Hidayat",
                  opd="Dinas Sosial", phone="+6281234567890", status="approved")
        session.add(asn)
        workers = {}
        for nik, name, occupation, kpj, start in (
                (NELAYAN, "Budi Nelayan", "nelayan", KPJ_NELAYAN, date(2026, 9, 1)),
                (OJEK, "Siti Ojek", "tukang_ojek", KPJ_OJEK, date(2026, 9, 1)),
                (WAITING, "Andi Menunggu", "petani", None, None),
                (UNSPONSORED, "Dedi Lepas", "petani", "12345678904", date(2026, 9, 1))):
            workers[nik] = Worker(nik=nik, name=name, birth_date=date(1990, 1, 1), sex="M", occupation=occupation,
                                  kecamatan_code="13.77.01", desa_code="13.77.01.1001", kpj=kpj, bpjs_start=start,
                                  status="active" if start else "awaiting_bpjs")
        session.add_all(workers.values())
        await session.flush()
        sponsorships = {nik: Sponsorship(asn_id=asn.id, worker_id=worker.id,
                                         ended_at=datetime(2026, 10, 1, tzinfo=timezone.utc)
                                         if nik == UNSPONSORED else None)
                        for nik, worker in workers.items()}
        session.add_all(sponsorships.values())
        await session.flush()
        await ensure_months(session, sponsorship=sponsorships[NELAYAN], worker=workers[NELAYAN],
                            months=Month(2026, 9).until(Month(2026, 11)), rules=settings.program.ledger_rules())
        for month, status, paid_on, source in ((Month(2026, 9), "paid", date(2026, 9, 10), "receipt"),
                                               (Month(2026, 10), "paid_unverified", None, None)):
            row = (await session.execute(select(Contribution).where(
                Contribution.sponsorship_id == sponsorships[NELAYAN].id, Contribution.period == month))).scalar_one()
            row.status, row.paid_on, row.source = status, paid_on, source
    await app.engine.dispose()


def ledger(db_url: str) -> dict[tuple[str, str], tuple[str, str | None, date | None, int]]:
    """(NIK, "2026-11") -> (status, source, paid_on, amount) for every ledger row."""
    async def read() -> dict[tuple[str, str], tuple[str, str | None, date | None, int]]:
        engine = create_engine(db_url)
        async with session_factory(engine)() as session:
            query = (select(Worker.nik, Contribution)
                     .join(Sponsorship, Contribution.sponsorship_id == Sponsorship.id)
                     .join(Worker, Sponsorship.worker_id == Worker.id))
            result = {(nik, str(c.period)): (c.status, c.source, c.paid_on, c.amount)
                      for nik, c in await session.execute(query)}
        await engine.dispose()
        return result
    return asyncio.run(read())


SEEDED = {(NELAYAN, "2026-09"): ("paid", "receipt", date(2026, 9, 10), 8400),
          (NELAYAN, "2026-10"): ("paid_unverified", None, None, 8400),
          (NELAYAN, "2026-11"): ("due", None, None, 8400)}


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def output(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    return " ".join((captured.out + captured.err).split())


# ---------------------------------------------------------------- import


def test_a_good_csv_with_bom_semicolons_and_three_date_formats(config: Path, db_url: str, tmp_path: Path,
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
    assert run(config, "import", "payments", str(file)) == 0
    assert "4 row(s) matched and applied, 1 already paid, 0 refused" in output(capsys)
    assert ledger(db_url) == {
        (NELAYAN, "2026-09"): ("paid", "receipt", date(2026, 9, 10), 8400),  # already paid: left as it was
        (NELAYAN, "2026-10"): ("paid", "import", date(2026, 11, 3), 8400),  # the receipt waiting is overtaken
        (NELAYAN, "2026-11"): ("paid", "import", date(2026, 11, 3), 8400),
        (NELAYAN, "2027-01"): ("paid", "import", date(2026, 11, 3), 16800),  # created; the discount has ended
        (OJEK, "2026-12"): ("paid", "import", date(2026, 11, 4), 8400),  # created; transport discount
    }
    # The same file again applies nothing twice.
    assert run(config, "import", "payments", str(file)) == 0
    assert "0 row(s) matched and applied, 5 already paid, 0 refused" in output(capsys)


def test_an_xlsx_with_kpj_instead_of_nik_and_excel_dates(config: Path, db_url: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    book = Workbook()
    book.active.append(["No KPJ", "Periode", "Nominal", "Tanggal"])
    book.active.append([int(KPJ_OJEK), datetime(2026, 11, 1), 8400, datetime(2026, 11, 5, 9, 30)])
    book.active.append([KPJ_NELAYAN, "2026-11", "Rp 8.400,-", date(2026, 11, 4)])
    book.active.append([KPJ_NELAYAN, "2026-12", 8400.0, "2026-11-04"])
    book.save(tmp_path / "bayar.xlsx")
    assert run(config, "import", "payments", str(tmp_path / "bayar.xlsx")) == 0
    assert "3 row(s) matched and applied, 0 already paid, 0 refused" in output(capsys)
    rows = ledger(db_url)
    assert rows[(OJEK, "2026-11")] == ("paid", "import", date(2026, 11, 5), 8400)
    assert rows[(NELAYAN, "2026-11")] == ("paid", "import", date(2026, 11, 4), 8400)
    assert rows[(NELAYAN, "2026-12")] == ("paid", "import", date(2026, 11, 4), 8400)


def test_every_refused_row_has_its_line_and_reason_and_nothing_is_wrongly_paid(
        config: Path, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
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
    assert run(config, "import", "payments", str(file)) == 0
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


def test_all_or_nothing_applies_nothing_when_one_row_is_bad(config: Path, db_url: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "bayar.csv"
    file.write_text(f"NIK\tbulan\tjumlah\ttanggal bayar\n{NELAYAN}\t2026-11\t8400\t2026-11-03\n"
                    f"{OJEK}\t2026-11\t16800\t2026-11-03\n")
    assert run(config, "import", "payments", str(file), "--all-or-nothing") == 1
    text = output(capsys)
    assert "nothing imported, because 1 row(s) were refused and --all-or-nothing was given" in text
    assert "line 3: The amount Rp16.800 is wrong" in text
    assert ledger(db_url) == SEEDED
    assert run(config, "import", "payments", str(file)) == 0
    assert "1 row(s) matched and applied, 0 already paid, 1 refused" in output(capsys)
    assert ledger(db_url)[(NELAYAN, "2026-11")] == ("paid", "import", date(2026, 11, 3), 8400)


@pytest.mark.parametrize(("content", "message"), [
    ("nik,amount\n1,2\n", 'missing column(s) Bulan, Tanggal Bayar in the header row (line 1: "nik | amount")'),
    ("bulan;jumlah;tanggal bayar\n2026-11;8400;2026-11-03\n", "missing column(s) NIK or KPJ"),
    ("", "bayar.csv is empty"),
    ("\n\n", "bayar.csv is empty"),
    ("\ufeffNIK;Bulan;Jumlah;Tanggal Bayar\n", "has a header row (line 1) but no rows under it"),
])
def test_a_file_that_is_not_a_payments_file_is_refused_whole(config: Path, db_url: str, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str], content: str,
                                                             message: str) -> None:
    file = tmp_path / "bayar.csv"
    file.write_bytes(content.encode())
    assert run(config, "import", "payments", str(file)) == 1
    text = output(capsys)
    assert message in text and "Traceback" not in text
    assert ledger(db_url) == SEEDED


def test_other_unreadable_files_are_one_sentence(config: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config, "import", "payments", str(tmp_path / "nope.csv")) == 1
    assert "File not found" in output(capsys)
    (tmp_path / "bayar.pdf").write_bytes(b"%PDF")
    assert run(config, "import", "payments", str(tmp_path / "bayar.pdf")) == 1
    assert "use a .csv or .xlsx file" in output(capsys)
    (tmp_path / "bayar.xlsx").write_bytes(b"not a zip")
    assert run(config, "import", "payments", str(tmp_path / "bayar.xlsx")) == 1
    assert "cannot be opened as an Excel workbook" in output(capsys)
    for garbled in (b"NIK;Bulan;Jumlah;Tanggal\n1;\x81\x8d;1;1\n", b"NIK;Bulan;Jumlah;Tanggal\n1;\xa4\xa6;1;1\n"):
        (tmp_path / "garbled.csv").write_bytes(garbled)  # bytes no Windows code page text would hold
        assert run(config, "import", "payments", str(tmp_path / "garbled.csv")) == 1
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


# ---------------------------------------------------------------- export


def test_export_contributions_as_csv_and_xlsx(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                             ) -> None:
    assert run(config, "export", "contributions") == 0  # default: data/exports/ next to the config, XLSX, Indonesian
    written = tmp_path / "data" / "exports" / "contributions-20261122.xlsx"
    assert f"Exported 3 contribution row(s) to {written}" in output(capsys)
    assert written.stat().st_mode & 0o777 == 0o600 and written.parent.stat().st_mode & 0o777 == 0o700
    book = load_workbook(written)
    sheet = book.active
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert table[0] == ["Nama pekerja", "NIK", "KPJ", "Penjamin (ASN)", "NIP", "OPD", "Kecamatan", "Desa/kelurahan",
                        "Bulan", "Iuran", "Jatuh tempo", "Status pembayaran", "Tanggal bayar", "Dicatat dari"]
    assert table[1] == ["Budi Nelayan", NELAYAN, KPJ_NELAYAN, "Rahmat Hidayat", "198503172010011002", "Dinas Sosial",
                        "Pariaman Tengah", "Karan Aur", datetime(2026, 9, 1), 8400, datetime(2026, 9, 15), "lunas",
                        datetime(2026, 9, 10), "bukti bayar"]
    # due 16 Nov (the 15th is a Sunday), past: in arrears, in words
    assert table[3][10:] == [datetime(2026, 11, 16), "lewat jatuh tempo, belum dibayar", None, None]
    assert table[2][11] == "bukti bayar menunggu verifikasi"
    assert sheet.freeze_panes == "A2" and sheet.column_dimensions["A"].width >= 20
    assert sheet["K4"].is_date and sheet["K4"].number_format == "dd/mm/yyyy" and sheet["J4"].data_type == "n"
    assert sheet["I2"].number_format == "mmm yyyy" and sheet["J2"].number_format == '"Rp"#,##0'
    assert not list(written.parent.glob("*.part"))

    out = tmp_path / "ledger.csv"
    assert run(config, "export", "contributions", "--output", str(out), "--lang", "en") == 0  # format from the name
    assert "Exported 3 contribution row(s)" in output(capsys)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0] == {"Worker name": "Budi Nelayan", "NIK": NELAYAN, "KPJ": KPJ_NELAYAN,
                       "Sponsor (ASN)": "Rahmat Hidayat", "NIP": "198503172010011002", "OPD": "Dinas Sosial",
                       "Kecamatan": "Pariaman Tengah", "Village (desa/kelurahan)": "Karan Aur", "Month": "2026-09-01",
                       "Contribution": "8400", "Due date": "2026-09-15", "Payment status": "paid",
                       "Paid on": "2026-09-10", "Recorded from": "receipt"}
    assert [r["Payment status"] for r in rows[1:]] == ["receipt awaiting verification", "past due, unpaid"]

    assert run(config, "export", "contributions", "--format", "xlsx", "--output", str(tmp_path / "x.csv")) == 1
    assert "--format xlsx does not match the output file x.csv" in output(capsys)
    assert run(config, "export", "contributions", "--output", str(tmp_path / "nope" / "x.csv")) == 1
    assert "does not exist" in output(capsys)


def test_an_imported_payment_shows_in_the_export_and_workers_export(config: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "bayar.csv"
    file.write_text(f"kpj,bulan,jumlah,tanggal bayar\n{KPJ_NELAYAN},2026-11,8400,2026-11-20\n")
    assert run(config, "import", "payments", str(file)) == 0
    out = tmp_path / "ledger.csv"
    assert run(config, "export", "contributions", "--format", "csv", "--output", str(out)) == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        last = list(csv.DictReader(handle))[-1]
    assert (last["Bulan"], last["Status pembayaran"], last["Tanggal bayar"], last["Dicatat dari"]) == (
        "2026-11-01", "lunas", "2026-11-20", "impor pembayaran")
    # The export's own columns (NIK, Bulan, Iuran, Tanggal bayar) import again: every paid month is "already paid".
    assert run(config, "import", "payments", str(out)) == 0
    assert "0 row(s) matched and applied, 2 already paid, 1 refused" in output(capsys)

    workers = tmp_path / "workers.xlsx"
    assert run(config, "export", "workers", "--output", str(workers), "--lang", "en") == 0
    assert "Exported 4 worker row(s)" in output(capsys)
    table = [list(r) for r in load_workbook(workers, read_only=True).active.iter_rows(values_only=True)]
    by_nik = {row[1]: dict(zip(table[0], row)) for row in table[1:]}
    assert set(by_nik) == {NELAYAN, OJEK, WAITING, UNSPONSORED}
    assert by_nik[OJEK]["Sponsor (ASN)"] == "Rahmat Hidayat" and by_nik[OJEK]["Occupation"] == "Ojek driver"
    assert by_nik[UNSPONSORED]["Sponsor (ASN)"] is None and by_nik[UNSPONSORED]["Status"] == "no sponsor"
    assert by_nik[WAITING]["Status"] == "awaiting the worker's consent"  # seeded without consent
    assert by_nik[OJEK]["BPJS membership start"] == datetime(2026, 9, 1) and by_nik[OJEK]["Sex"] == "male"
