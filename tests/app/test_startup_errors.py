"""An operator's mistake at start-up is one sentence: an unreachable Bot API, a wrong token or address (never shown),
a taken port (everything started is stopped), a read-only SQLite URI."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, make_settings
from tests.standins.apps import bot_env, start_bot, stop_bot

pytestmark = pytest.mark.standin_seed(telegram=5)


def test_run_with_an_unreachable_bot_api_says_so_in_one_sentence(db_url, tmp_path) -> None:
    env = {**os.environ, "TUWAI_TELEGRAM__TOKEN": "123456:TEST-token",
           "TUWAI_TELEGRAM__API_BASE": f"http://127.0.0.1:{free_port()}", "TUWAI_DATABASE__URL": db_url,
           "TUWAI_SERVER__PORT": str(free_port()), "TUWAI_STORAGE__FILES_DIR": str(tmp_path / "files")}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env, capture_output=True,
                            timeout=120)
    output = (result.stdout + result.stderr).decode()
    assert result.returncode == 1, output
    assert "Could not reach the Telegram Bot API at http://127.0.0.1:" in output, output
    assert "Traceback" not in output and "Logging error" not in output, output
    assert len(output.strip().splitlines()) <= 3, output


@pytest.mark.parametrize(("token", "api_base", "said"), [
    ("garbage", "http://127.0.0.1:9", "TUWAI_TELEGRAM__TOKEN is not a bot token"),
    ("123456:SECRET-token", "notaurl", "Could not reach the Telegram Bot API at notaurl"),
])
def test_a_wrong_token_or_api_address_is_one_sentence_that_never_shows_the_token(db_url, tmp_path, token, api_base,
                                                                                  said) -> None:
    env = {**os.environ, "TUWAI_TELEGRAM__TOKEN": token, "TUWAI_TELEGRAM__API_BASE": api_base,
           "TUWAI_DATABASE__URL": db_url, "TUWAI_SERVER__PORT": str(free_port()),
           "TUWAI_STORAGE__FILES_DIR": str(tmp_path / "files")}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env, capture_output=True,
                            timeout=120)
    output = (result.stdout + result.stderr).decode()
    assert result.returncode == 1 and said in " ".join(output.split()), output
    assert "Traceback" not in output and "SECRET-token" not in output, output
    assert len(output.strip().splitlines()) <= 3, output


async def test_a_taken_port_is_one_sentence_and_everything_started_is_stopped(db_url, tmp_path, telegram) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = start_bot(bot_env(db_url, tmp_path, telegram, taken.getsockname()[1]))
        for _ in range(1200):  # the stand-in answers getMe meanwhile: polled, not waited on
            if process.poll() is not None:
                break
            await asyncio.sleep(0.05)
        output = stop_bot(process)
    assert process.returncode == 1, output
    assert "address already in use" in " ".join(output.split()), output
    assert "Traceback" not in output and "Unclosed" not in output, output
    assert len(output.strip().splitlines()) <= 3, output


def test_settings_for_a_read_only_sqlite_uri_keep_the_path(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///file:{tmp_path / 'x.sqlite3'}?mode=ro&uri=true"
    assert make_settings(url, tmp_path).database_url == url
