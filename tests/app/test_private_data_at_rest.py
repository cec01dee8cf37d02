"""Personal data at rest and in logs (UU PDP): the database, exports and uploads private whatever the umask, and a
failed commit logs no personal data."""

from __future__ import annotations

import logging
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app import App
from bot.cli.main import main
from db.models import AuditEntry
from tests.chat_people import TgPerson, agree
from tests.conftest import ROOT, Clock, free_port, make_settings
from tests.people import NIK_MALE, RecordingChannel
from tests.records import file_mode, read_stored
from tests.registration.steps import approved_asn
from tests.standins.apps import wait_healthy
from tests.workers.steps import enrol


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_fresh_database_and_an_export_are_private_whatever_the_umask(
        umask_022: None, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "data"
    url = f"sqlite+aiosqlite:///{folder / 'tuwai.sqlite3'}"
    monkeypatch.setenv("TUWAI_DATABASE__URL", url)
    assert main(["--config", str(config_file), "db", "upgrade"]) == 0
    assert main(["--config", str(config_file), "officer", "add", "telegram:1"]) == 0  # a write: -wal and -shm exist
    files = sorted(folder.iterdir())
    assert {p.name for p in files} >= {"tuwai.sqlite3"}
    assert file_mode(folder) == 0o700 and all(file_mode(p) == 0o600 for p in files), [
        (p.name, oct(file_mode(p))) for p in files]
    for fmt in ("csv", "xlsx"):
        output = tmp_path / f"workers.{fmt}"
        assert main(["--config", str(config_file), "export", "workers", "--output", str(output)]) == 0
        assert file_mode(output) == 0o600
    exports = [a for a in read_stored(url, AuditEntry) if a.action == "export"]
    assert [(a.target, a.details["rows"], a.details["format"]) for a in exports] == [("workers", 0, "csv"),
                                                                                   ("workers", 0, "xlsx")]
    assert all(a.actor.startswith("cli:") for a in exports)


@pytest.mark.standin_seed(telegram=11)
async def test_tuwai_run_under_umask_022_keeps_the_database_private(tmp_path: Path, telegram) -> None:
    """The real `tuwai run` in its own process, started with the usual umask 022, on a fresh SQLite file."""
    folder, port = tmp_path / "data", free_port()
    env = {**os.environ, "TUWAI_TELEGRAM__TOKEN": telegram.token, "TUWAI_TELEGRAM__API_BASE": telegram.api_base,
           "TUWAI_TELEGRAM__POLLING_TIMEOUT": "1", "TUWAI_DATABASE__URL": f"sqlite+aiosqlite:///{folder}/t.sqlite3",
           "TUWAI_SERVER__PORT": str(port), "TUWAI_STORAGE__FILES_DIR": str(tmp_path / "files"),
           "TUWAI_LOGGING__LEVEL": "WARNING"}
    bot = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, preexec_fn=lambda: os.umask(0o022))
    try:
        await wait_healthy(port, bot)
        await agree(TgPerson(telegram, 615))  # writes: the -wal and -shm files exist now
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
        assert {"t.sqlite3", "t.sqlite3-wal", "t.sqlite3-shm"} <= set(modes)
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and set(modes.values()) == {0o600}, modes
    finally:
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(timeout=20) == 0


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
        assert file_mode(files) == 0o700 and [file_mode(p) for p in files.iterdir() if p.is_file()] == [0o600]
        assert file_mode(files / "forms") == 0o700 and [file_mode(p) for p in (files / "forms").iterdir()] == [0o600]
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
