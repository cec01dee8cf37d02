"""A person's name as typed: letters (Latin script), spaces and name punctuation, 2-80 characters; all lower or
upper case is title-cased, keeping academic titles (handlers/answers/titles.py). Invisible and control characters are
removed first, as from every typed text (handlers/engine/text_clean.py). Raises Invalid like every parser
(handlers/answers/parsers.py)."""

from __future__ import annotations

import unicodedata

from handlers.answers.titles import keep_titles
from handlers.engine.text_clean import clean_text
from handlers.engine.types import Invalid

NAME_MIN, NAME_MAX = 2, 80
MAX_NAME_INPUT = 400  # refused before any work: it cannot shrink to NAME_MAX by collapsing spaces in real life
_NAME_PUNCTUATION = frozenset(" '\u2019\u02bc.,-")  # apostrophes: ASCII, typographic, modifier letter
_WORD_BREAKS = frozenset(" -.,")


def parse_name(text: str) -> str:
    if len(text) > MAX_NAME_INPUT:
        raise Invalid("name.too_long", max=NAME_MAX)
    name = clean_text(text)
    if not all(_is_name_char(ch) for ch in name):
        raise Invalid("name.chars")
    if len(name) < NAME_MIN or sum(1 for ch in name if ch.isalpha()) < NAME_MIN:
        raise Invalid("name.too_short", min=NAME_MIN)
    if len(name) > NAME_MAX:
        raise Invalid("name.too_long", max=NAME_MAX)
    return keep_titles(_title_case(name)) if name in (name.lower(), name.upper()) else name


def _is_name_char(ch: str) -> bool:
    if ch in _NAME_PUNCTUATION:
        return True
    if ch.isalpha():
        return unicodedata.name(ch, "").startswith("LATIN ")
    # A combining accent left over when no precomposed letter exists (NFC already merged the others).
    return "\u0300" <= ch <= "\u036f"


def _title_case(name: str) -> str:
    """Capitalise each word after a space, hyphen, dot or comma, not after an apostrophe ("Ma'ruf", not "Ma'Ruf")."""
    out: list[str] = []
    at_start = True
    for ch in name.lower():
        if ch.isalpha():
            out.append(ch.upper() if at_start else ch)
            at_start = False
        else:
            out.append(ch)
            at_start = ch in _WORD_BREAKS or (at_start and ch in _NAME_PUNCTUATION)
    return "".join(out)
