"""`tuwai chat`: the terminal as a newcomer uses it, and Ctrl-C quits at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def test_chat_in_the_terminal_as_a_newcomer_would(config: Path, tmp_path: Path) -> None:
    env = {**os.environ, "TUWAI_CONFIG": str(config)}
    script = "/start\n1\n1\n198503172010011002\nRahmat Hidayat\n7\n0812 3456 7890\n1\n"
    result = subprocess.run([sys.executable, "-m", "bot.cli", "chat"], input=script, capture_output=True,
                            text=True, env=env, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Pemberitahuan privasi" in result.stdout
    assert "menunggu persetujuan petugas" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.standin_seed(telegram=5)
def test_ctrl_c_quits_chat_at_once(tmp_path: Path) -> None:
    env = {**os.environ, "TUWAI_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.sqlite3'}",
           "TUWAI_STORAGE__FILES_DIR": str(tmp_path / "files"), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "chat"], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert process.stdout is not None
        seen = b""
        while b"Ketik /start" not in seen:  # ready for the first line
            chunk = process.stdout.read1(4096)
            assert chunk, seen.decode()
            seen += chunk
        process.send_signal(signal.SIGINT)  # nobody pressed Enter: stdin stays open
        assert process.wait(timeout=10) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdin is not None:
            process.stdin.close()
