"""Text people type or choose (answers, names, display names), made safe to store and to show to others.

One cleaning for every kind of text, because each can try the same tricks: a right-to-left override that makes an
officer read "Jaka" where "akaJ" is stored, zero-width characters that make two equal-looking texts differ, control
characters, lone surrogates (which no database or log can encode).

What goes:
- bidi controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C) and zero-width characters (U+200B, U+200C,
  U+2060, U+FEFF): they are format characters (Unicode category Cf), like the soft hyphen and the tag characters;
  every Cf character goes;
- control characters (Cc) other than whitespace; whitespace of every kind (tabs, newlines, no-break spaces, line and
  paragraph separators) becomes one space between words: no answer of the bot keeps lines.
What stays: letters of every script, punctuation, symbols and emoji. The zero-width joiner (U+200D) stays only
between two pictographs, where it builds one emoji (👨‍👩‍👧, 🏳️‍🌈, 👩🏽‍⚕️); anywhere else it goes. A subdivision flag
(🏴 and tag characters) becomes a plain black flag: tags can carry invisible text, and no answer needs such a flag.
Lone surrogates become U+FFFD, then the text is NFC-normalised (an "é" typed as e + accent is stored as one letter).
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace

from handlers.engine.types import Choice, Event, Text, Unsupported

INVISIBLE = "invisible"  # Unsupported.what of a text that held nothing visible
ZERO_WIDTH_JOINER = "\u200d"
REPLACEMENT = "\ufffd"
_EMOJI_MODIFIERS = frozenset("\ufe0f\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")  # VS16, skin tones


def clean_text(text: str) -> str:
    """`text` without invisible and control characters, NFC, words separated by single spaces, no leading or trailing
    space. May be "" (the text held nothing visible): callers refuse that."""
    kept: list[str] = []
    for index, ch in enumerate(text):
        category = unicodedata.category(ch)
        if category == "Cs":  # a lone surrogate: replaced, so the rest of the text survives
            kept.append(REPLACEMENT)
        elif ch == ZERO_WIDTH_JOINER:
            if kept and _ends_pictograph(kept[-1]) and _is_pictograph(text[index + 1:index + 2]):
                kept.append(ch)
        elif category == "Cf" or (category == "Cc" and not ch.isspace()):
            continue
        else:
            kept.append(ch)
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).split())


def clean_event(event: Event) -> Event:
    """The event with its typed text cleaned (`clean_text`), once for every flow, before any flow reads it. A text of
    only invisible characters becomes Unsupported("invisible"): every step refuses it politely and asks again, as it
    does any message it cannot read. A pressed button's data loses its control characters (a forged callback may
    carry a NUL, which PostgreSQL refuses in any text it stores); other payloads are returned as they are."""
    if isinstance(event.payload, Choice):
        option = "".join(ch for ch in event.payload.option if unicodedata.category(ch) != "Cc")
        return event if option == event.payload.option else replace(event, payload=replace(event.payload,
                                                                                            option=option))
    if not isinstance(event.payload, Text):
        return event
    cleaned = clean_text(event.payload.text)
    if not cleaned and event.payload.text.strip():
        return replace(event, payload=Unsupported(INVISIBLE))
    return replace(event, payload=Text(cleaned))


def _is_pictograph(ch: str) -> bool:
    """Emoji are "other symbols" (So): 👨 U+1F468, ♀ U+2640, 🌈 U+1F308, ⚕ U+2695."""
    return bool(ch) and unicodedata.category(ch) == "So"


def _ends_pictograph(ch: str) -> bool:
    return ch in _EMOJI_MODIFIERS or _is_pictograph(ch)
