"""The bot pointed at the stand-ins: its settings, the App started in this process, or `tuwai run` in a process of
its own (as an operator starts it) and waited for until /healthz answers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import App
from bot.config import Settings
from tests.conftest import ROOT, Clock, make_settings
from tests.standins.telegram import TelegramStandin
from tests.standins.whatsapp import WhatsAppStandin

TELEGRAM_OFFICER = 9001  # listed as a Telegram officer by make_settings
WHATSAPP_OFFICER = "6281100000001"


def telegram_section(standin: TelegramStandin, **extra: Any) -> dict[str, Any]:
    """[telegram] for the Bot API stand-in, polling with a one-second timeout."""
    return {"token": standin.token, "api_base": standin.api_base, "polling_timeout": 1, **extra}


def telegram_settings(db_url: str, tmp_path: Path, standin: TelegramStandin, **extra: Any) -> Settings:
    """make_settings on the Telegram stand-in; `extra` sections override (a `telegram` one is merged)."""
    return make_settings(db_url, tmp_path, telegram=telegram_section(standin, **extra.pop("telegram", {})), **extra)


def standin_templates(settings: Settings) -> dict[str, dict[str, Any]]:
    """The templates of config.toml, as Meta would hold them once approved."""
    return {t.name: {"language": {code: {"body": body, "buttons": t.buttons.get(code, [])}
                                  for code, body in t.body.items()}}
            for t in settings.whatsapp.templates.values()}


def whatsapp_settings(db_url: str, tmp_path: Path, standin: WhatsAppStandin, **extra: Any) -> Settings:
    """make_settings on the WhatsApp stand-in; `extra` sections override (a `whatsapp` one is merged)."""
    whatsapp = {"phone_number_id": standin.phone_number_id, "access_token": standin.token,
                "app_secret": standin.app_secret, "verify_token": "verify-me", "graph_base": standin.api_base,
                "api_version": standin.api_version, "business_number": "15550783881", **extra.pop("whatsapp", {})}
    return make_settings(db_url, tmp_path, whatsapp=whatsapp, **extra)


async def start_app(settings: Settings, *, clock: Clock | None = None, whatsapp: WhatsAppStandin | None = None
                    ) -> App:
    """The App started in this process (what `tuwai run` starts). With `whatsapp`, the stand-in holds config.toml's
    templates and posts its webhook calls to this app."""
    if whatsapp is not None:
        whatsapp.templates = standin_templates(settings)
    app = App(settings, clock=clock)
    await app.start()
    if whatsapp is not None:
        whatsapp.webhook_url = f"http://127.0.0.1:{settings.server.port}/whatsapp/webhook"
    return app


def bot_env(db_url: str, tmp_path: Path, standin: TelegramStandin, port: int, **extra: str) -> dict[str, str]:
    """The environment of a `tuwai run` process on the Telegram stand-in: quick to deliver and to notice a lost
    lease."""
    return {**os.environ, "TUWAI_TELEGRAM__TOKEN": standin.token, "TUWAI_TELEGRAM__API_BASE": standin.api_base,
            "TUWAI_TELEGRAM__POLLING_TIMEOUT": "1", "TUWAI_DATABASE__URL": db_url, "TUWAI_SERVER__PORT": str(port),
            "TUWAI_STORAGE__FILES_DIR": str(tmp_path / "files"), "TUWAI_OFFICERS__TELEGRAM": "[]",
            "TUWAI_LOGGING__LEVEL": "WARNING", "TUWAI_OUTBOX__LEASE_SECONDS": "5",
            "TUWAI_OUTBOX__TELEGRAM_PER_SECOND": "0", "TUWAI_OUTBOX__POLL_SECONDS": "0.2",
            # Real time runs these processes: reminders may go out at any hour of the test run.
            "TUWAI_PROGRAM__CONTRIBUTIONS__SEND_FROM": "00:00", "TUWAI_PROGRAM__CONTRIBUTIONS__SEND_UNTIL": "23:59:59",
            "TUWAI_PROGRAM__CONTRIBUTIONS__DIGEST_AT": "23:59:59", **extra}


def start_bot(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`tuwai run` in a process of its own; its log goes to its stdout."""
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def stop_bot(process: subprocess.Popen[bytes], how: int = signal.SIGTERM) -> str:
    """Stop a bot process (SIGTERM, or `how`); returns what it logged."""
    if process.poll() is None:
        process.send_signal(how)
    process.wait(timeout=30)
    return process.stdout.read().decode(errors="replace") if process.stdout else ""


async def wait_healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    """Until the process's /healthz answers 200; AssertionError with its log if it exits first."""
    async with aiohttp.ClientSession() as http:
        for _ in range(1200):
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)  # polling a child process's start-up, not waiting for a schedule
    raise AssertionError("the bot did not become healthy")
