"""Rosters and payment lists as offices really make them, through `tuwai import ...` as an officer runs it.

The files are made here: XLSX by openpyxl (title rows, merged cells, a sheet whose dimension says A1 as WPS Office
writes it), CSV in UTF-8 with and without BOM, semicolon-separated, in the Windows code page and in UTF-16.
"""

from __future__ import annotations

import asyncio
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from bot.app import App
from bot.cli.main import main
from bot.config import load_settings
from bot.files import payments_import
from bot.files.roster import read_roster
from db.engine import create_engine, session_factory
from db.models import Asn, AuditEntry, Chat, RosterEntry
from tests.conftest import ROOT
from tests.test_payments_import import NELAYAN, OJEK, SEEDED
from tests.test_payments_import import config as payments_config  # noqa: F401 (a fixture: the seeded database)
from tests.test_payments_import import ledger

TODAY = date(2026, 11, 22)
REGISTERED_NIP = "198404042008011008"


@pytest.fixture
def config(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty programme database, but for one ASN who registered in the chat already."""
    path = tmp_path / "config.toml"
    path.write_text((ROOT / "config.toml").read_text())
    monkeypatch.setenv("TUWAI_DATABASE__URL", db_url)
    monkeypatch.setattr(payments_import, "programme_today", lambda tz: TODAY)

    async def seed() -> None:
        app = App(load_settings(path))
        await app.prepare()
        async with app.sessions() as session, session.begin():
            chat = Chat(channel="console", address="asn")
            session.add(chat)
            await session.flush()
            session.add(Asn(chat_id=chat.id, nip=REGISTERED_NIP, nip_kind="pns", name="Sudah Daftar",
                            opd="Dinas Sosial", phone="+6281234567891", status="pending"))
        await app.engine.dispose()
    asyncio.run(seed())
    return path


def tuwai(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run the command; (exit code, everything it printed on one line)."""
    code = main(["--config", str(config), *args])
    captured = capsys.readouterr()
    text = " ".join((captured.out + captured.err).split())
    assert "Traceback" not in text
    return code, text


def roster(db_url: str) -> dict[str, tuple[str, str]]:
    async def read() -> dict[str, tuple[str, str]]:
        engine = create_engine(db_url)
        async with session_factory(engine)() as session:
            entries = (await session.execute(select(RosterEntry))).scalars().all()
        await engine.dispose()
        return {entry.nip: (entry.name, entry.opd) for entry in entries}
    return asyncio.run(read())


def dimension_a1(path: Path) -> None:
    """Rewrite the sheet's <dimension> to A1, as WPS Office does."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = re.sub(r'<dimension ref="[^"]+"\s*/>', '<dimension ref="A1"/>', sheet).encode()
    assert '<dimension ref="A1"/>' in parts["xl/worksheets/sheet1.xml"].decode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    sheet_rows = list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    assert len(sheet_rows) == 1  # what a reader that trusts the dimension sees


def bkpsdm_roster(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["DAFTAR ASN PEMERINTAH KOTA PARIAMAN TAHUN 2026"])
    sheet.merge_cells("A1:E1")
    sheet.append([])
    sheet.append(["No", "NIP/NI PPPK", "Nama Lengkap", "Unit Kerja", "No. HP"])
    for row in ([1, "198503172010011002", "Rahmat Hidayat", "DINAS  KESEHATAN", "0812 3456 7890"],
                [2, "199001012015012003", "Siti Rahma", None, "081298765432"],
                [3, "199203152019032004", "Nurul Aini", None, None],
                [4, "198807072014031005", "Andi Pratama", "Setda", None],
                [5, "198905052015041006", "Dedi Kurniawan", "Kecamatan Pariaman Utara", None],
                [6, "198606062010011007", "Yanto", "Dinas Rahasia", None],
                [7, REGISTERED_NIP, "Sudah Daftar", "Dinsos", None]):
        sheet.append(row)
    sheet.merge_cells("D4:D6")  # one OPD for the first three ASNs
    book.save(path)
    dimension_a1(path)


def test_a_bkpsdm_roster_with_title_merged_opd_and_a_wps_dimension(config: Path, db_url: str, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "daftar asn.xlsx"
    bkpsdm_roster(file)
    code, text = tuwai(config, capsys, "import", "roster", str(file))
    assert code == 0
    assert ("Roster: 5 row(s) imported (5 new, 0 already on the roster and updated), 1 ASN(s) already registered "
            "(not imported), 1 refused.") in text
    assert "already registered: line(s) 10" in text
    assert "line 9: «Dinas Rahasia» is not one of the programme's OPDs" in text
    assert "The configured OPDs ([program] opds): Sekretariat Daerah, Sekretariat DPRD," in text
    assert roster(db_url) == {"198503172010011002": ("Rahmat Hidayat", "Dinas Kesehatan"),
                              "199001012015012003": ("Siti Rahma", "Dinas Kesehatan"),
                              "199203152019032004": ("Nurul Aini", "Dinas Kesehatan"),
                              "198807072014031005": ("Andi Pratama", "Sekretariat Daerah"),
                              "198905052015041006": ("Dedi Kurniawan", "Kecamatan")}
    # The phone column is read like a typed phone and passed on with the entry.
    read = read_roster(file, today=TODAY, opds=load_settings(config).program.opds)
    assert [row.get("phone") for row in read.rows] == ["+6281234567890", "+6281298765432", None, None, None, None]
    if "phone" in RosterEntry.__table__.c:  # the roster's phone column (identity issue) stores it
        assert {r.nip: r.phone for r in asyncio.run(_entries(db_url))}["198503172010011002"] == "+6281234567890"

    code, text = tuwai(config, capsys, "import", "roster", str(file))  # the same file again
    assert code == 0 and "5 row(s) imported (0 new, 5 already on the roster and updated)" in text
    assert len(roster(db_url)) == 5


async def _entries(db_url: str) -> list[RosterEntry]:
    engine = create_engine(db_url)
    async with session_factory(engine)() as session:
        entries = list((await session.execute(select(RosterEntry))).scalars().all())
    await engine.dispose()
    return entries


@pytest.mark.parametrize(("name", "data"), [
    ("utf-8 with commas", "NIP,Nama,OPD\n198503172010011002,Ma’ruf Amin,Dinas Sosial\n".encode()),
    ("utf-8 with BOM and semicolons", "\ufeffNIP;Nama;OPD\n198503172010011002;Ma’ruf Amin;Dinas Sosial\n".encode()),
    ("windows code page", "Daftar ASN – Dinas Sosial\n\nNIP;Nama Lengkap;Perangkat Daerah\r\n"
                          "198503172010011002;Ma’ruf Amin;Dinsos\r\n".encode("cp1252")),
    ("excel unicode text", "NI PPPK\tNama\tOPD\n198503172010011002\tMa’ruf Amin\tDinas Sosial\n".encode("utf-16")),
])
def test_csv_in_every_encoding_and_separator_excel_writes(config: Path, db_url: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str], name: str,
                                                          data: bytes) -> None:
    file = tmp_path / "roster.csv"
    file.write_bytes(data)
    code, text = tuwai(config, capsys, "import", "roster", str(file))
    assert code == 0 and "1 row(s) imported" in text and "0 refused" in text
    assert roster(db_url) == {"198503172010011002": ("Ma’ruf Amin", "Dinas Sosial")}


@pytest.mark.parametrize(("data", "message"), [
    (b"NIP\n198503172010011002\n",
     'roster.csv: cannot tell how the columns are separated: every line has one column (line 1: "NIP")'),
    ("DAFTAR ASN 2026\nfoo;bar\n1;2\n".encode(),
     'roster.csv: no header row found in the first 20 rows (line 1 reads "DAFTAR ASN 2026"); the file needs the '
     "columns NIP, Nama, OPD"),
    ("Daftar;2026\nNIP;Nama Lengkap;Alamat\n1;2;3\n".encode(),
     'roster.csv: missing column(s) OPD in the header row (line 2: "NIP | Nama Lengkap | Alamat")'),
    (b"NIP;Nama;OPD\n198503172010011002;Ma\x81ruf;Dinas Sosial\n",
     'Save As > "CSV UTF-8 (Comma delimited) (*.csv)" and import that file'),
    ("NIP;Nama;OPD\n\"198503172010011002;Budi;Dinas Sosial\n".encode(),
     "roster.csv line 2: this line cannot be read as CSV (unexpected end of data); check for a quote mark"),
])
def test_a_file_that_cannot_be_a_roster_is_one_sentence(config: Path, db_url: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str], data: bytes,
                                                        message: str) -> None:
    file = tmp_path / "roster.csv"
    file.write_bytes(data)
    code, text = tuwai(config, capsys, "import", "roster", str(file))
    assert code == 1 and message in text
    assert roster(db_url) == {}


def test_a_row_with_more_fields_than_the_header_is_refused_with_its_line(config: Path, db_url: str, tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "roster.csv"
    file.write_text("NIP;Nama;OPD;;\n198503172010011002;Budi;Santoso;Dinas Sosial\n"
                    "199001012015012003;Siti Rahma;Dinkes;;\n")
    code, text = tuwai(config, capsys, "import", "roster", str(file))
    assert code == 0 and "1 row(s) imported" in text and "1 refused" in text
    assert "line 2: This line has 4 filled fields but the header has 3 columns" in text
    assert roster(db_url) == {"199001012015012003": ("Siti Rahma", "Dinas Kesehatan")}
    audit = asyncio.run(_audit(db_url))
    assert audit == [("roster_import", {"new": 1, "updated": 0, "registered": 0, "refused": 1})]


async def _audit(db_url: str) -> list[tuple[str, dict]]:
    engine = create_engine(db_url)
    async with session_factory(engine)() as session:
        rows = [(a.action, a.details) for a in (await session.execute(select(AuditEntry))).scalars()]
    await engine.dispose()
    return rows


# ---------------------------------------------------------------- payments, through the same reader


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


# ---------------------------------------------------------------- the command line explains itself


@pytest.mark.parametrize(("command", "fragments"), [
    (["import", "roster"], ["NIP (also: NI PPPK", "Nama (also: Nama Lengkap", "OPD (also: Unit Kerja, Perangkat Daerah",
                            "No HP (also: Nomor HP, HP, Telepon", "Example (CSV):", "198503172010011002;Rahmat"]),
    (["import", "payments"], ["NIK (also:", "KPJ (also:", "Bulan (also: Periode", "Jumlah (also: Iuran",
                              "Tanggal Bayar (also: Tgl Bayar", "Rp16.800", "1377010101900001;2026-11;8400"]),
    (["export", "workers"], ["--lang {id,en}", "data/exports/", "Bahasa Indonesia"]),
    (["export", "contributions"], ["--format {csv,xlsx}", "one row per worker and month"]),
    (["stats"], ["--lang"]),
])
def test_help_says_what_the_file_must_contain(capsys: pytest.CaptureFixture[str], command: list[str],
                                              fragments: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_code:
        main([*command, "--help"])
    assert exit_code.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for fragment in fragments:
        assert fragment in text


def test_removing_someone_who_is_not_an_officer_says_so(config: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    code, text = tuwai(config, capsys, "officer", "remove", "telegram:424242")
    assert code == 1 and "telegram:424242 is not an officer; nothing was removed" in text
    code, text = tuwai(config, capsys, "officer", "add", "telegram:424242")
    assert code == 0
    code, text = tuwai(config, capsys, "officer", "remove", "telegram:424242")
    assert code == 0 and "Officer telegram:424242 removed." in text
    monkeypatch.setenv("TUWAI_OFFICERS__TELEGRAM", '["777"]')
    code, text = tuwai(config, capsys, "officer", "remove", "telegram:777")
    assert code == 1 and "telegram:777 is listed as an officer in the config file ([officers]); remove them there" in text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=400),
                      st.text(alphabet=st.sampled_from(list('NIP;Nama,OPD\t"\n\r 1985’é|x')), max_size=200)
                      .map(lambda text: text.encode())))
def test_any_bytes_are_a_table_or_one_sentence(tmp_path: Path, data: bytes) -> None:
    from bot.files.roster import COLUMNS
    from bot.files.tables import TableError, read_table

    file = tmp_path / "any.csv"
    file.write_bytes(data)
    try:
        table = read_table(file, COLUMNS)
    except TableError as error:
        assert str(error).startswith("any.csv") and "\n" not in str(error)
    else:
        assert table.rows or table.refused
        assert all(set(row.fields) >= {"nip", "name", "opd"} for row in table.rows)
