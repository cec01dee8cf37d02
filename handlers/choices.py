"""Options chosen by typing, for text channels (the terminal, WhatsApp) and for people who type on Telegram too."""

from __future__ import annotations

from handlers.types import Option, record_id


def match_option(options: tuple[Option, ...], text: str) -> Option | None:
    """An option chosen by typing its number ("2", "2.") or its label (any case)."""
    typed = text.strip().rstrip(".").strip()
    number = record_id(typed)
    if number is not None and 1 <= number <= len(options):
        return options[number - 1]
    folded = typed.casefold()
    for option in options:
        if option.label.casefold() == folded:
            return option
    return None
