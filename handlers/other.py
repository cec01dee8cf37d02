"""What "Lainnya" (other) is: asked after choosing it as an occupation or an OPD, stored and exported."""

from __future__ import annotations

import unicodedata

from handlers.context import Ctx
from handlers.forms import expect_text
from handlers.parsers import Invalid
from handlers.types import Payload

OTHER_OPD = "Lainnya"  # the OPD list's own "other" entry ([program] opds in config.toml)
MAX_OTHER = 80


async def parse_other(ctx: Ctx, payload: Payload) -> str:
    """A few words (3 to 80 characters, with letters), spaces tidied."""
    text = " ".join(expect_text(payload).split())
    if any(unicodedata.category(ch).startswith("C") for ch in text):  # control and invisible characters
        raise Invalid("journey.other.length", max=MAX_OTHER)
    if not 3 <= len(text) <= MAX_OTHER or not any(ch.isalpha() for ch in text):
        raise Invalid("journey.other.length", max=MAX_OTHER)
    return text
