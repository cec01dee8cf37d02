"""`tuwai audit`: the audit log listed and exported, filtered by officer, person, action and date."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App
from bot.cli.main import main
from db.models import AuditEntry
from handlers.engine.types import Choice
from tests.conftest import ROOT
from tests.people import JPEG, NIK_MALE, Person, RecordingChannel, deliver
from tests.records import file_mode
from tests.registration.steps import approved_asn
from tests.workers.steps import enrol


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
    config_file = tmp_path / "audit-config.toml"
    config_file.write_text((ROOT / "config.toml").read_text())
    monkeypatch.setenv("TUWAI_DATABASE__URL", app.settings.database_url)

    def run(*args: str) -> int:
        return asyncio.get_running_loop().run_in_executor(None, main, ["--config", str(config_file), "audit", *args])

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
    assert file_mode(output) == 0o600
    async with app.sessions() as session:
        last = (await session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()))).scalars().first()
    assert (last.action, last.target, last.details["rows"]) == ("export", "audit", len(exported))
