"""`tuwai` as an operator runs it, in this process."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.main import main


def tuwai(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run the command; (exit code, everything it printed on one line). Never a traceback."""
    code = main(["--config", str(config), *args])
    captured = capsys.readouterr()
    text = " ".join((captured.out + captured.err).split())
    assert "Traceback" not in text
    return code, text
