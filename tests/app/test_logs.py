"""Logs never carry a full NIK, NIP, phone number or token (UU PDP)."""

from __future__ import annotations

import logging

from bot.logs import MaskingFormatter, mask_text


def test_personal_numbers_are_masked_in_any_line() -> None:
    line = ("nik 1377011708750003 nip 198503172010011002 hp +6281234567890 / 081234567890 "
            "token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0 in /bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0/x")
    masked = mask_text(line)
    for secret in ("1377011708750003", "198503172010011002", "6281234567890", "081234567890",
                   "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"):
        assert secret not in masked
    assert "1377********0003" in masked and "1985**********1002" in masked


def test_the_formatter_masks_messages_arguments_and_tracebacks() -> None:
    formatter = MaskingFormatter("%(message)s")
    try:
        raise KeyError("1377011708750003")
    except KeyError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "worker %s phone %s", ("1377011708750003",
                                   "+6281234567890"), sys.exc_info())
    output = formatter.format(record)
    assert "1377011708750003" not in output and "6281234567890" not in output
    assert "KeyError" in output  # the traceback is still there, only the numbers are masked


def test_statement_parameters_never_reach_the_log_even_at_debug() -> None:
    from bot.logs import setup_logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        setup_logging("DEBUG")
        assert not logging.getLogger("aiosqlite").isEnabledFor(logging.DEBUG)
    finally:
        root.handlers[:], root.level = handlers, level
        logging.getLogger("aiosqlite").setLevel(logging.NOTSET)
