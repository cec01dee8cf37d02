"""The command line as an operator uses it: one clear sentence on a mistake, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.main import main
from bot.config import load_settings
from db.models import AuditEntry, Officer
from tests.cli.steps import tuwai
from tests.records import read_stored


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


def test_officers_are_added_listed_removed_and_audited(config: Path, db_url: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config), "officer", "add", "telegram:12345"]) == 0
    assert main(["--config", str(config), "officer", "list"]) == 0
    assert "telegram:12345" in capsys.readouterr().out
    assert [(o.channel, o.address) for o in read_stored(db_url, Officer)] == [("telegram", "12345")]
    assert main(["--config", str(config), "officer", "remove", "telegram:12345"]) == 0
    assert read_stored(db_url, Officer) == []
    assert [a.action for a in read_stored(db_url, AuditEntry)] == ["officer_add", "officer_remove"]
    assert main(["--config", str(config), "officer", "add", "pigeon:1"]) == 1


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
