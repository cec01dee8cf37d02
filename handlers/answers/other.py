"""What "Lainnya" (other) is: asked after choosing it as an occupation or an OPD, stored and exported."""

from __future__ import annotations

from handlers.engine.context import Ctx
from handlers.engine.forms import expect_text
from handlers.engine.types import Invalid, Payload

OTHER_OPD = "Lainnya"  # the OPD list's own "other" entry ([program] opds in config.toml)
MAX_OTHER = 80


async def parse_other(ctx: Ctx, payload: Payload) -> str:
    """A few words (3 to 80 characters, with letters); invisible characters and extra spaces are gone already
    (the core cleans every typed text, handlers/engine/text_clean.py)."""
    text = expect_text(payload)
    if not 3 <= len(text) <= MAX_OTHER or not any(ch.isalpha() for ch in text):
        raise Invalid("journey.other.length", max=MAX_OTHER)
    return text
