"""Fixtures of the programme files' tests: the imports' day, and a database seeded for payments."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest

from bot.files import payments_import
from tests.files.steps import TODAY, seed_payments


@pytest.fixture
def programme_day(monkeypatch: pytest.MonkeyPatch) -> date:
    """The imports' day (payments_import.programme_today) is TODAY, whatever the real date."""
    monkeypatch.setattr(payments_import, "programme_today", lambda tz: TODAY)
    return TODAY


@pytest.fixture
def payments_config(config: Path, programme_day: date) -> Path:
    """`config` on a database seeded by seed_payments."""
    asyncio.run(seed_payments(config))
    return config
