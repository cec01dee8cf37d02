"""`tuwai export` of contributions, workers and claims, in CSV and XLSX, as officers open them."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.app import App
from tests.claims.steps import submit_death_claim
from tests.files.steps import KPJ_NELAYAN, NELAYAN, OJEK, UNSPONSORED, WAITING, output, run
from tests.people import NIK_MALE, RecordingChannel
from tests.registration.steps import approved_asn
from tests.workers.steps import start_enrolment


def test_export_contributions_as_csv_and_xlsx(payments_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                              ) -> None:
    # default: data/exports/ next to the config, XLSX, Indonesian
    assert run(payments_config, "export", "contributions") == 0
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
    # the format from the name
    assert run(payments_config, "export", "contributions", "--output", str(out), "--lang", "en") == 0
    assert "Exported 3 contribution row(s)" in output(capsys)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0] == {"Worker name": "Budi Nelayan", "NIK": NELAYAN, "KPJ": KPJ_NELAYAN,
                       "Sponsor (ASN)": "Rahmat Hidayat", "NIP": "198503172010011002", "OPD": "Dinas Sosial",
                       "Kecamatan": "Pariaman Tengah", "Village (desa/kelurahan)": "Karan Aur", "Month": "2026-09-01",
                       "Contribution": "8400", "Due date": "2026-09-15", "Payment status": "paid",
                       "Paid on": "2026-09-10", "Recorded from": "receipt"}
    assert [r["Payment status"] for r in rows[1:]] == ["receipt awaiting verification", "past due, unpaid"]

    assert run(payments_config, "export", "contributions", "--format", "xlsx", "--output", str(tmp_path / "x.csv")) == 1
    assert "--format xlsx does not match the output file x.csv" in output(capsys)
    assert run(payments_config, "export", "contributions", "--output", str(tmp_path / "nope" / "x.csv")) == 1
    assert "does not exist" in output(capsys)


def test_an_imported_payment_shows_in_the_export_and_workers_export(payments_config: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "bayar.csv"
    file.write_text(f"kpj,bulan,jumlah,tanggal bayar\n{KPJ_NELAYAN},2026-11,8400,2026-11-20\n")
    assert run(payments_config, "import", "payments", str(file)) == 0
    out = tmp_path / "ledger.csv"
    assert run(payments_config, "export", "contributions", "--format", "csv", "--output", str(out)) == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        last = list(csv.DictReader(handle))[-1]
    assert (last["Bulan"], last["Status pembayaran"], last["Tanggal bayar"], last["Dicatat dari"]) == (
        "2026-11-01", "lunas", "2026-11-20", "impor pembayaran")
    # The export's own columns (NIK, Bulan, Iuran, Tanggal bayar) import again: every paid month is "already paid".
    assert run(payments_config, "import", "payments", str(out)) == 0
    assert "0 row(s) matched and applied, 2 already paid, 1 refused" in output(capsys)

    workers = tmp_path / "workers.xlsx"
    assert run(payments_config, "export", "workers", "--output", str(workers), "--lang", "en") == 0
    assert "Exported 4 worker row(s)" in output(capsys)
    table = [list(r) for r in load_workbook(workers, read_only=True).active.iter_rows(values_only=True)]
    by_nik = {row[1]: dict(zip(table[0], row)) for row in table[1:]}
    assert set(by_nik) == {NELAYAN, OJEK, WAITING, UNSPONSORED}
    assert by_nik[OJEK]["Sponsor (ASN)"] == "Rahmat Hidayat" and by_nik[OJEK]["Occupation"] == "Ojek driver"
    assert by_nik[UNSPONSORED]["Sponsor (ASN)"] is None and by_nik[UNSPONSORED]["Status"] == "no sponsor"
    assert by_nik[WAITING]["Status"] == "awaiting the worker's consent"  # seeded without consent
    assert by_nik[OJEK]["BPJS membership start"] == datetime(2026, 9, 1) and by_nik[OJEK]["Sex"] == "male"


def test_what_lainnya_is_and_a_differing_birth_date_are_exported(settings, clock, tmp_path, monkeypatch) -> None:
    import asyncio
    import csv

    from bot.cli.main import main
    from tests.conftest import ROOT

    async def enrol_other() -> None:
        app = App(settings, clock=clock)
        await app.prepare()
        app.add_channel(RecordingChannel())
        try:
            asn = await approved_asn(app, app.channels["console"])
            await start_enrolment(asn)
            await asn.say("18-08-1975")
            await asn.press("Ya, tanggal KTP")
            await asn.press("Lainnya")
            await asn.say("Penjahit")
            await asn.say("pariaman tengah")
            await asn.say("Taratak")
            await asn.press("Lewati")
            await asn.press("Tidak")
            await asn.press("✅")
        finally:
            await app.stop()

    asyncio.run(enrol_other())
    monkeypatch.setenv("TUWAI_DATABASE__URL", settings.database_url)
    out = tmp_path / "workers.csv"
    assert main(["--config", str(ROOT / "config.toml"), "export", "workers", "--lang", "en", "--output", str(out)]) == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert (row["Occupation"], row["Occupation (other)"], row["KTP birth date differs from NIK"]) == (
        "Other", "Penjahit", "yes")
    assert row["Date of birth"] == "1975-08-18"


async def test_export_claims_as_csv_and_xlsx(app: App, inbox: RecordingChannel, clock, tmp_path) -> None:
    import csv

    from openpyxl import load_workbook

    from bot.cli.main import build_parser

    async def run_command(settings, argv: list[str]) -> int:
        args = build_parser().parse_args(argv)
        return await args.func(settings, args)

    await submit_death_claim(app, inbox)
    out = tmp_path / "claims.csv"
    assert await run_command(app.settings, ["export", "claims", "--lang", "en", "--output", str(out)]) == 0
    with out.open(encoding="utf-8-sig") as handle:
        [row] = list(csv.DictReader(handle))
    assert (row["Claim no."], row["Claim status"], row["NIK"], row["Village (desa/kelurahan)"], row["Documents"],
            row["Estimated benefit"], row["Date of event"]) == ("KLM-2026-000001", "under review", NIK_MALE,
                                                               "Taratak", "7", "42000000", "2026-11-21")
    assert row["Claim type"].startswith("death")
    book = tmp_path / "claims.xlsx"
    assert await run_command(app.settings, ["export", "claims", "--output", str(book)]) == 0
    sheet = load_workbook(book).active
    assert [cell.value for cell in sheet[1]][:3] == ["No. klaim", "Status klaim", "Jenis klaim"]
    assert [cell.value for cell in sheet[2]][:2] == ["KLM-2026-000001", "diperiksa"]
    assert sheet.cell(2, 4).is_date and sheet.cell(2, 17).value == 42_000_000
    assert sheet.title == "Klaim"
