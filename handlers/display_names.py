"""Names that channels report (a Telegram first name, a WhatsApp profile name) made safe to store and show.

A display name is chosen by the person, so it can try to spoof: right-to-left overrides that reverse what an officer
reads, zero-width characters, control characters, lone surrogates (which no database or log can encode), or a
name thousands of characters long. Every channel passes the name through `clean_display_name` before the core
sees it.
"""

from __future__ import annotations

import unicodedata

MAX_DISPLAY_NAME = 64
REPLACEMENT = "\ufffd"


def clean_display_name(name: str | None) -> str | None:
    """The name without bidi controls (U+202A-U+202E, U+2066-U+2069), zero-width and other control or format
    characters, lone surrogates replaced by U+FFFD, spaces collapsed, at most 64 characters; None when nothing
    is left."""
    if not name:
        return None
    kept: list[str] = []
    for ch in name:
        category = unicodedata.category(ch)
        if category == "Cs":  # a lone surrogate: replaced, so the rest of the name survives
            kept.append(REPLACEMENT)
        elif category in ("Zl", "Zp") or (category.startswith("C") and category != "Co"):
            kept.append(" " if ch in "\t\n\r\x0b\x0c" else "")  # Cc, Cf (bidi, zero-width), Cn
        else:
            kept.append(ch)
    cleaned = " ".join(unicodedata.normalize("NFC", "".join(kept)).split())
    return cleaned[:MAX_DISPLAY_NAME].rstrip() or None
