"""Names that channels report (a Telegram first name, a WhatsApp profile name) made safe to store and show.

A display name is chosen by the person, so it can try to spoof: right-to-left overrides that reverse what an officer
reads, zero-width characters, control characters, lone surrogates (which no database or log can encode), or a
name thousands of characters long. Every channel passes the name through `clean_display_name` before the core
sees it; the cleaning is the one of every typed text (handlers/engine/text_clean.py).
"""

from __future__ import annotations

from handlers.engine.text_clean import clean_text

MAX_DISPLAY_NAME = 64


def clean_display_name(name: str | None) -> str | None:
    """The name cleaned by `clean_text` (no bidi controls, zero-width or other invisible characters, lone
    surrogates replaced by U+FFFD, spaces collapsed), at most 64 characters; None when nothing is left."""
    if not name:
        return None
    return clean_text(name)[:MAX_DISPLAY_NAME].rstrip() or None
