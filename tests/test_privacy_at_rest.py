"""Personal data at rest and in logs: private files whatever the umask, audited exports, `tuwai audit`, and
statement parameters never in a log line (UU PDP)."""

from __future__ import annotations

import asyncio
import csv
import logging
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.app import App
from bot.cli.main import main
from db.models import AuditEntry, RosterEntry
from handlers.engine.types import Choice
from tests.conftest import ROOT, Clock, make_settings
from tests.people import JPEG, NIK_MALE, Person, RecordingChannel
from tests.test_cli import rows
from tests.test_flows import approved_asn, deliver, enrol


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    path.write_text((ROOT / "config.toml").read_text())
    monkeypatch.delenv("TUWAI_TELEGRAM__TOKEN", raising=False)
    return path


def test_a_fresh_database_and_an_export_are_private_whatever_the_umask(
        umask_022: None, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "data"
    url = f"sqlite+aiosqlite:///{folder / 'tuwai.sqlite3'}"
    monkeypatch.setenv("TUWAI_DATABASE__URL", url)
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    assert main(["--config", str(config), "officer", "add", "telegram:1"]) == 0  # a write: -wal and -shm exist
    files = sorted(folder.iterdir())
    assert {p.name for p in files} >= {"tuwai.sqlite3"}
    assert mode(folder) == 0o700 and all(mode(p) == 0o600 for p in files), [(p.name, oct(mode(p))) for p in files]
    for fmt in ("csv", "xlsx"):
        output = tmp_path / f"workers.{fmt}"
        assert main(["--config", str(config), "export", "workers", "--output", str(output)]) == 0
        assert mode(output) == 0o600
    exports = [a for a in rows(url, AuditEntry) if a.action == "export"]
    assert [(a.target, a.details["rows"], a.details["format"]) for a in exports] == [("workers", 0, "csv"),
                                                                                   ("workers", 0, "xlsx")]
    assert all(a.actor.startswith("cli:") for a in exports)


async def test_uploads_folder_is_private(umask_022: None, db_url: str, tmp_path: Path, clock: Clock) -> None:
    app = App(make_settings(db_url, tmp_path), clock=clock)
    await app.prepare()
    inbox = RecordingChannel()
    app.add_channel(inbox)
    try:
        asn = await approved_asn(app, inbox)
        await enrol(asn)
        await asn.say("/menu")
        await asn.press("Pekerja saya")
        await asn.press("Formulir")
        await asn.press("Formulir kosong")  # the blank form is kept private too
        assert asn.last[0].extra["attachment_mime"] == "application/pdf"
        await asn.upload(inbox, b"%PDF-1.4\n" + b"0" * 100, kind="document")
        files = Path(app.settings.files_dir)
        assert mode(files) == 0o700 and [mode(p) for p in files.iterdir() if p.is_file()] == [0o600]
        assert mode(files / "forms") == 0o700 and [mode(p) for p in (files / "forms").iterdir()] == [0o600]
    finally:
        await app.stop()


async def test_a_failed_commit_logs_no_personal_data(app: App, inbox: RecordingChannel,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    asn = await approved_asn(app, inbox)
    async with app.engine.begin() as connection:  # the database refuses every new worker
        if app.engine.dialect.name == "sqlite":
            await connection.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON workers "
                                          "BEGIN SELECT RAISE(ABORT, 'refused'); END"))
        else:
            await connection.execute(text("CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                                          "RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql"))
            await connection.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON workers "
                                          "FOR EACH ROW EXECUTE FUNCTION refuse()"))
    caplog.set_level(logging.INFO)
    await enrol(asn)
    assert any("Maaf" in reply.text for reply in asn.last)  # the person gets the apology
    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records) + caplog.text
    assert "refused" in logged  # the failure itself is logged ...
    for secret in ("Syafrizal", NIK_MALE, "1975-08-17", "13.77.01"):  # ... without the worker's data
        assert secret not in logged


async def test_tuwai_audit_lists_and_exports_filtered(app: App, inbox: RecordingChannel, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    asn = await approved_asn(app, inbox)
    await enrol(asn)
    await asn.send(Choice("!w.paper:1"))  # consent on paper, accepted: the worker is in "Menunggu BPJS"
    await asn.upload(inbox, JPEG)
    await asn.press("✅")
    officer = Person(app, "officer")
    await officer.send(Choice("!cf.ok:1"))
    await officer.say("/petugas")
    await officer.press("Menunggu BPJS")
    await officer.press("Detail #1")
    await deliver(app)
    config = tmp_path / "audit-config.toml"
    config.write_text((ROOT / "config.toml").read_text())
    monkeypatch.setenv("TUWAI_DATABASE__URL", app.settings.database_url)

    def run(*args: str) -> int:
        return asyncio.get_running_loop().run_in_executor(None, main, ["--config", str(config), "audit", *args])

    assert await run("list", "--officer", "console:officer", "--person", NIK_MALE, "--action", "view") == 0
    out = capsys.readouterr().out
    # one view row per screen that showed worker 1 to the officer (with the paper form accepted: four)
    assert out.count("worker:1") == 4 and "asn_approve" not in out
    assert await run("list", "--since", "2030-01-01") == 0
    assert "worker:1" not in capsys.readouterr().out
    assert await run("list", "--person", "9999") == 1
    assert "worker:ID" in capsys.readouterr().err
    output = tmp_path / "audit.csv"
    assert await run("export", "--person", "worker:1", "--output", str(output)) == 0
    with output.open(encoding="utf-8-sig") as handle:
        exported = list(csv.DictReader(handle))
    assert {row["target"] for row in exported} == {"worker:1"} and len(exported) >= 3
    assert mode(output) == 0o600
    async with app.sessions() as session:
        last = (await session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()))).scalars().first()
    assert (last.action, last.target, last.details["rows"]) == ("export", "audit", len(exported))


def test_the_roster_takes_an_optional_phone_column(config: Path, db_url: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TUWAI_DATABASE__URL", db_url)
    roster = tmp_path / "roster.csv"
    roster.write_text("NIP,Nama,OPD,No HP\n198503172010011002,Rahmat Hidayat,Dinas Sosial,0812-3456-7890\n"
                      "199001012015012003,Siti Rahma,Dinas Kesehatan,\n"
                      "197805202005011001,Budi,Dinas Sosial,12345\n")
    assert main(["--config", str(config), "import", "roster", str(roster)]) == 0
    report = " ".join(capsys.readouterr().err.split())
    # A phone that is not a number is left out (and reported); the ASN is still on the roster (the journeys issue).
    assert "Roster: 3 row(s) imported" in report and "0 refused" in report
    assert {r.nip: r.phone for r in rows(db_url, RosterEntry)} == {"198503172010011002": "+6281234567890",
                                                                   "199001012015012003": None,
                                                                   "197805202005011001": None}
