"""`tuwai import roster` as offices make rosters: CSV and XLSX, BKPSDM's title rows, merged OPD cells and a WPS
dimension, every encoding and separator Excel writes, an optional phone column; a file that cannot be a roster is
one sentence."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import select

from bot.app import App
from bot.cli.main import main
from bot.config import load_settings
from bot.files.roster import read_roster
from db.engine import create_engine, session_factory
from db.models import Asn, AuditEntry, Chat, RosterEntry
from tests.cli.steps import tuwai
from tests.files.steps import TODAY, dimension_a1
from tests.records import read_stored

REGISTERED_NIP = "198404042008011008"


@pytest.fixture
def registered_config(config: Path, programme_day: date) -> Path:
    """`config` on an empty programme database, but for one ASN who registered in the chat already."""
    async def seed() -> None:
        app = App(load_settings(config))
        await app.prepare()
        async with app.sessions() as session, session.begin():
            chat = Chat(channel="console", address="asn")
            session.add(chat)
            await session.flush()
            session.add(Asn(chat_id=chat.id, nip=REGISTERED_NIP, nip_kind="pns", name="Sudah Daftar",
                            opd="Dinas Sosial", phone="+6281234567891", status="pending"))
        await app.engine.dispose()
    asyncio.run(seed())
    return config


def roster(db_url: str) -> dict[str, tuple[str, str]]:
    async def read() -> dict[str, tuple[str, str]]:
        engine = create_engine(db_url)
        async with session_factory(engine)() as session:
            entries = (await session.execute(select(RosterEntry))).scalars().all()
        await engine.dispose()
        return {entry.nip: (entry.name, entry.opd) for entry in entries}
    return asyncio.run(read())


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


async def _entries(db_url: str) -> list[RosterEntry]:
    engine = create_engine(db_url)
    async with session_factory(engine)() as session:
        entries = list((await session.execute(select(RosterEntry))).scalars().all())
    await engine.dispose()
    return entries


async def _audit(db_url: str) -> list[tuple[str, dict]]:
    engine = create_engine(db_url)
    async with session_factory(engine)() as session:
        rows = [(a.action, a.details) for a in (await session.execute(select(AuditEntry))).scalars()]
    await engine.dispose()
    return rows


def test_roster_import_from_csv_and_xlsx(config: Path, db_url: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    csv_file = tmp_path / "roster.csv"
    csv_file.write_bytes("\ufeffNIP;Nama;OPD\n198503172010011002;RAHMAT HIDAYAT;Dinas Sosial\n"
                         "19850317201001100;Pendek;Dinsos\n198503172010011002;Duplikat;Dinsos\n\n".encode())
    assert main(["--config", str(config), "import", "roster", str(csv_file)]) == 0
    out = " ".join(capsys.readouterr().err.split())
    assert "1 row(s) imported (1 new, 0 already on the roster and updated)" in out and "2 refused" in out
    assert "line 3: A NIP or NI PPPK has 18 digits" in out and "line 4: This NIP appears more than once" in out
    book = Workbook()
    book.active.append(["nip", "nama", "opd"])
    book.active.append(["199001012015012003", "Siti Rahma", "Dinas Kesehatan"])
    book.active.append([199001012015012004, "Angka Excel", "Dinkes"])  # a NIP typed as a number loses digits
    book.save(tmp_path / "roster.xlsx")
    assert main(["--config", str(config), "import", "roster", str(tmp_path / "roster.xlsx")]) == 0
    assert "format the NIP column as text" in capsys.readouterr().err
    entries = {r.nip: (r.name, r.opd) for r in read_stored(db_url, RosterEntry)}
    assert entries == {"198503172010011002": ("Rahmat Hidayat", "Dinas Sosial"),
                       "199001012015012003": ("Siti Rahma", "Dinas Kesehatan")}


def test_roster_without_the_needed_columns_is_refused(config: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,unit\nA,B\n")
    assert main(["--config", str(config), "import", "roster", str(bad)]) == 1
    assert "missing column(s) NIP in the header row (line 1" in " ".join(capsys.readouterr().err.split())


def test_the_roster_takes_an_optional_phone_column(config_file: Path, db_url: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TUWAI_DATABASE__URL", db_url)
    roster = tmp_path / "roster.csv"
    roster.write_text("NIP,Nama,OPD,No HP\n198503172010011002,Rahmat Hidayat,Dinas Sosial,0812-3456-7890\n"
                      "199001012015012003,Siti Rahma,Dinas Kesehatan,\n"
                      "197805202005011001,Budi,Dinas Sosial,12345\n")
    assert main(["--config", str(config_file), "import", "roster", str(roster)]) == 0
    report = " ".join(capsys.readouterr().err.split())
    # A phone that is not a number is left out (and reported); the ASN is still on the roster (the journeys issue).
    assert "Roster: 3 row(s) imported" in report and "0 refused" in report
    assert {r.nip: r.phone for r in read_stored(db_url, RosterEntry)} == {"198503172010011002": "+6281234567890",
                                                                   "199001012015012003": None,
                                                                   "197805202005011001": None}


def test_a_roster_row_with_an_invalid_optional_phone_is_imported_without_it(config, db_url, tmp_path, capsys) -> None:
    """Trial item 25: `08123` does not reject the whole row; the report says the phone was left out."""
    roster = tmp_path / "roster.csv"
    roster.write_text("NIP;Nama;OPD;No HP\n198503172010011002;Rahmat Hidayat;Dinsos;08123\n"
                      "199001012015012003;Siti Rahma;Dinkes;0812-3456-7000\n")
    assert main(["--config", str(config), "import", "roster", str(roster)]) == 0
    out = " ".join(capsys.readouterr().err.split())
    assert "2 row(s) imported" in out and "0 refused" in out
    assert "line 2: Imported without the phone number: «08123»" in out
    assert {r.nip for r in read_stored(db_url, RosterEntry)} == {"198503172010011002", "199001012015012003"}


def test_a_bkpsdm_roster_with_title_merged_opd_and_a_wps_dimension(registered_config: Path, db_url: str, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "daftar asn.xlsx"
    bkpsdm_roster(file)
    code, text = tuwai(registered_config, capsys, "import", "roster", str(file))
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
    read = read_roster(file, today=TODAY, opds=load_settings(registered_config).program.opds)
    assert [row.get("phone") for row in read.rows] == ["+6281234567890", "+6281298765432", None, None, None, None]
    if "phone" in RosterEntry.__table__.c:  # the roster's phone column (identity issue) stores it
        assert {r.nip: r.phone for r in asyncio.run(_entries(db_url))}["198503172010011002"] == "+6281234567890"

    code, text = tuwai(registered_config, capsys, "import", "roster", str(file))  # the same file again
    assert code == 0 and "5 row(s) imported (0 new, 5 already on the roster and updated)" in text
    assert len(roster(db_url)) == 5


@pytest.mark.parametrize(("name", "data"), [
    ("utf-8 with commas", "NIP,Nama,OPD\n198503172010011002,Ma’ruf Amin,Dinas Sosial\n".encode()),
    ("utf-8 with BOM and semicolons", "\ufeffNIP;Nama;OPD\n198503172010011002;Ma’ruf Amin;Dinas Sosial\n".encode()),
    ("windows code page", "Daftar ASN – Dinas Sosial\n\nNIP;Nama Lengkap;Perangkat Daerah\r\n"
                          "198503172010011002;Ma’ruf Amin;Dinsos\r\n".encode("cp1252")),
    ("excel unicode text", "NI PPPK\tNama\tOPD\n198503172010011002\tMa’ruf Amin\tDinas Sosial\n".encode("utf-16")),
])
def test_csv_in_every_encoding_and_separator_excel_writes(registered_config: Path, db_url: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str], name: str,
                                                          data: bytes) -> None:
    file = tmp_path / "roster.csv"
    file.write_bytes(data)
    code, text = tuwai(registered_config, capsys, "import", "roster", str(file))
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
def test_a_file_that_cannot_be_a_roster_is_one_sentence(registered_config: Path, db_url: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str], data: bytes,
                                                        message: str) -> None:
    file = tmp_path / "roster.csv"
    file.write_bytes(data)
    code, text = tuwai(registered_config, capsys, "import", "roster", str(file))
    assert code == 1 and message in text
    assert roster(db_url) == {}


def test_a_row_with_more_fields_than_the_header_is_refused_with_its_line(registered_config: Path, db_url: str,
                                                                         tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "roster.csv"
    file.write_text("NIP;Nama;OPD;;\n198503172010011002;Budi;Santoso;Dinas Sosial\n"
                    "199001012015012003;Siti Rahma;Dinkes;;\n")
    code, text = tuwai(registered_config, capsys, "import", "roster", str(file))
    assert code == 0 and "1 row(s) imported" in text and "1 refused" in text
    assert "line 2: This line has 4 filled fields but the header has 3 columns" in text
    assert roster(db_url) == {"199001012015012003": ("Siti Rahma", "Dinas Kesehatan")}
    audit = asyncio.run(_audit(db_url))
    assert audit == [("roster_import", {"new": 1, "updated": 0, "registered": 0, "refused": 1})]


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
