"""Logging that never carries a full NIK, NIP, phone number or token (UU PDP)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

_TOKEN = re.compile(r"\d{6,12}:[A-Za-z0-9_-]{30,}")
_NIP = re.compile(r"(?<!\d)(\d{4})\d{10}(\d{4})(?!\d)")
_NIK = re.compile(r"(?<!\d)(\d{4})\d{8}(\d{4})(?!\d)")
_PHONE = re.compile(r"(?<![\d])(\+?62|0)(8\d{2})\d{3,7}(\d{3})(?!\d)")
_LONG_DIGITS = re.compile(r"(?<!\d)(\d{3})\d{7,}(\d{2})(?!\d)")


def mask_text(text: str) -> str:
    """Mask every personal number in a line of text, whatever its source."""
    text = _TOKEN.sub("<token>", text)
    text = _NIP.sub(r"\1**********\2", text)
    text = _NIK.sub(r"\1********\2", text)
    text = _PHONE.sub(r"\1\2****\3", text)
    return _LONG_DIGITS.sub(r"\1*****\2", text)


class MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record))


class RepeatFilter(logging.Filter):
    """The same warning or error (same place, same message template, same exception) is logged once per `interval`
    seconds; the next one after the interval says how many were left out. A database that refuses every write
    must not fill the disk with one traceback per second."""

    def __init__(self, interval: float = 60.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval = interval
        self.monotonic = monotonic
        self._seen: dict[tuple[object, ...], list[float]] = {}  # key -> [last time logged, left out since]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        error = record.exc_info[1] if record.exc_info else None
        first_line = (str(error).splitlines() or [""])[0][:200]  # the SQL and parameters below it vary
        key = (record.name, record.levelno, str(record.msg), type(error).__name__, first_line)
        now = self.monotonic()
        seen = self._seen.get(key)
        if seen is not None and now - seen[0] < self.interval:
            seen[1] += 1
            return False
        if len(self._seen) > 1000:  # forget what has not come back for an interval
            self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.interval}
        if seen is not None and seen[1]:
            # Counted since this was last logged, which may be long ago (the ones left out came within the interval)
            since = now - seen[0]
            record.msg = f"{record.msg} [{int(seen[1])} more like this since it was last logged {since:.0f}s ago]"
        self._seen[key] = [now, 0]
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RepeatFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiohttp's access log and aiogram's update log would print chat ids and texts on every request.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    # aiosqlite's debug lines carry each statement's parameters (names, NIKs, NIPs, phone numbers).
    for chatty in ("alembic.runtime.migration", "apscheduler", "aiosqlite"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
