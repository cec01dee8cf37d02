"""The command line as an operator uses it: one clear sentence on a mistake, never a traceback."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from bot.cli.main import main
from bot.config import load_settings
from db.engine import create_engine, session_factory
from db.models import AuditEntry, Officer, RosterEntry
from tests.conftest import ROOT


@pytest.fixture
def config(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    path.write_text((ROOT / "config.toml").read_text())
    monkeypatch.setenv("TUWAI_DATABASE__URL", db_url)
    monkeypatch.delenv("TUWAI_TELEGRAM__TOKEN", raising=False)
    return path


def rows(db_url: str, model: type) -> list:
    async def read() -> list:
        engine = create_engine(db_url)
        async with session_factory(engine)() as session:
            result = (await session.execute(select(model))).scalars().all()
        await engine.dispose()
        return list(result)
    return asyncio.run(read())


def test_run_without_a_channel_points_to_chat(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config), "run"]) == 1
    assert "tuwai chat" in capsys.readouterr().err


def test_a_missing_config_file_is_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(tmp_path / "nope.toml"), "stats"]) == 1
    assert "Config file not found" in capsys.readouterr().err


def test_environment_overrides_every_key(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUWAI_PROGRAM__MAX_WORKERS_PER_ASN", "0")
    monkeypatch.setenv("TUWAI_TELEGRAM__API_BASE", "http://127.0.0.1:9")
    monkeypatch.setenv("TUWAI_TELEGRAM__TOKEN", "1:x")
    settings = load_settings(config)
    assert settings.program.max_workers_per_asn == 0 and settings.program.region == "13.77"
    assert settings.telegram.api_base == "http://127.0.0.1:9"
    assert "1:x" not in repr(settings)  # secrets never print


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
    entries = {r.nip: (r.name, r.opd) for r in rows(db_url, RosterEntry)}
    assert entries == {"198503172010011002": ("Rahmat Hidayat", "Dinas Sosial"),
                       "199001012015012003": ("Siti Rahma", "Dinas Kesehatan")}


def test_roster_without_the_needed_columns_is_refused(config: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,unit\nA,B\n")
    assert main(["--config", str(config), "import", "roster", str(bad)]) == 1
    assert "missing column(s) NIP in the header row (line 1" in " ".join(capsys.readouterr().err.split())


def test_officers_are_added_listed_removed_and_audited(config: Path, db_url: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config), "officer", "add", "telegram:12345"]) == 0
    assert main(["--config", str(config), "officer", "list"]) == 0
    assert "telegram:12345" in capsys.readouterr().out
    assert [(o.channel, o.address) for o in rows(db_url, Officer)] == [("telegram", "12345")]
    assert main(["--config", str(config), "officer", "remove", "telegram:12345"]) == 0
    assert rows(db_url, Officer) == []
    assert [a.action for a in rows(db_url, AuditEntry)] == ["officer_add", "officer_remove"]
    assert main(["--config", str(config), "officer", "add", "pigeon:1"]) == 1


def test_chat_in_the_terminal_as_a_newcomer_would(config: Path, tmp_path: Path) -> None:
    env = {**os.environ, "TUWAI_CONFIG": str(config)}
    script = "/start\n1\n1\n198503172010011002\nRahmat Hidayat\n7\n0812 3456 7890\n1\n"
    result = subprocess.run([sys.executable, "-m", "bot.cli", "chat"], input=script, capture_output=True,
                            text=True, env=env, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Pemberitahuan privasi" in result.stdout
    assert "menunggu persetujuan petugas" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
