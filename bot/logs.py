"""Logging that never carries a full NIK, NIP, phone number or token (UU PDP)."""

from __future__ import annotations

import logging
import re

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


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiohttp's access log and aiogram's update log would print chat ids and texts on every request.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    for chatty in ("alembic.runtime.migration", "apscheduler"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
