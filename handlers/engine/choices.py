"""Options chosen by typing, for text channels (the terminal, WhatsApp) and for people who type on Telegram too.

A typed answer chooses an option by its number, by its whole label or by a word of it (case, accents, emoji and
punctuation ignored), by a yes/no word on a yes/no question (on a summary: yes saves, no cancels), or by a small
typo (rapidfuzz). When several options match, the caller shows just those.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

from handlers.engine.types import Expect, Option, Reply, record_id

YES_WORDS = frozenset({"ya", "iya", "y", "yes", "benar", "betul", "ok", "oke", "setuju", "agree"})
NO_WORDS = frozenset({"tidak", "tdk", "gak", "nggak", "enggak", "no", "n", "bukan", "not", "dont", "don"})
YES_IDS = frozenset({"yes", "agree"})
NO_IDS = frozenset({"no", "disagree"})
# On a summary or a confirmation without yes/no options ("Simpan / Ubah / Batal"), "ya" saves and "tidak" cancels.
CONFIRM_IDS = frozenset({"confirm"})
CANCEL_IDS = frozenset({"cancel"})
# Words that make a label negative ("Tidak setuju"): typing "setuju" alone means the positive option.
NEGATIONS = frozenset({"tidak", "bukan", "no", "not", "dont", "don", "t"})
# Words too common to choose an option by themselves ("Saya setuju" is not chosen by "saya").
STOP_WORDS = frozenset({"saya", "i", "di", "ke", "dan", "the", "a", "of", "to", "my", "n"})
# A typo is forgiven at or above this rapidfuzz ratio, for words of at least MIN_TYPO_CHARS letters.
TYPO_SCORE = 80.0
MIN_TYPO_CHARS = 4
MAX_TYPED_CHARS = 100
# The answers key holding the option ids shown after an ambiguous typed answer (a typed number then picks among them).
NARROWED = "_narrowed"
_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower case, without accents, emoji or punctuation: "✅ Simpan!" -> "simpan", "Don't" -> "dont"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(_NON_WORD.sub(" ", ascii_text.replace("'", "")).split())


def match_options(options: tuple[Option, ...], text: str, *, loose: bool = True) -> list[Option]:
    """The options a typed answer chooses: one when it is clear, several when it is ambiguous, [] when none.

    `loose` (prompts that expect a button) also allows a word of a label and small typos; a prompt that parses
    typed text itself (names of places, dates) only gives up its number, its whole label and yes/no words.
    """
    typed = text.strip().rstrip(".").strip()
    number = record_id(typed)
    if number is not None:
        return [options[number - 1]] if 1 <= number <= len(options) else []
    if len(typed) > MAX_TYPED_CHARS:
        return []
    words = fold(typed)
    if not words:
        return []
    for test in (_whole_label, _yes_no, *((_words, _typo) if loose else ())):
        found = test(options, words)
        if found:
            return found
    return []


def match_option(options: tuple[Option, ...], text: str) -> Option | None:
    """The one option a typed answer chooses, or None (nothing, or several)."""
    found = match_options(options, text)
    return found[0] if len(found) == 1 else None


def _whole_label(options: tuple[Option, ...], typed: str) -> list[Option]:
    found = [o for o in options if fold(o.label) == typed]
    return found or [o for o in options if o.words and typed in (fold(p) for p in o.words.split(","))]


def _vocabulary(option: Option) -> set[str]:
    """The words of an option's label and of its hidden words."""
    return set(fold(f"{option.label} {option.words}").split())


def _yes_no(options: tuple[Option, ...], typed: str) -> list[Option]:
    if typed in YES_WORDS:
        wanted, words, fallback = YES_IDS, YES_WORDS, CONFIRM_IDS
    elif typed in NO_WORDS or typed == "batal":
        wanted, words, fallback = NO_IDS, NO_WORDS, CANCEL_IDS
    else:
        return []
    # By id ("yes", "agree"), or by a label that is, or starts with, such a word ("Ya, tanggal KTP").
    found = [o for o in options if o.id in wanted or fold(o.label).split()[:1] in ([w] for w in words)]
    if found:
        return found[:1]
    # Else the confirming or cancelling option of a summary, when no option speaks of yes or no at all.
    if any(o.id in YES_IDS | NO_IDS for o in options):
        return []
    return [o for o in options if o.id in fallback][:1]


def _words(options: tuple[Option, ...], typed: str) -> list[Option]:
    """Options whose label holds every typed word ("istri" for "Istri / suami"), negation respected."""
    wanted = set(typed.split()) - STOP_WORDS
    if not wanted:
        return []
    found = [o for o in options if wanted <= _vocabulary(o)]
    return _respect_negation(found, typed)


def _typo(options: tuple[Option, ...], typed: str) -> list[Option]:
    """Options whose label, or a word of it, is within a small typo of what was typed ("nelyan", "setju")."""
    if len(typed.replace(" ", "")) < MIN_TYPO_CHARS:
        return []
    scored = []
    for option in options:
        label = fold(option.label)
        pieces = [label] + [w for w in label.split() if len(w) >= MIN_TYPO_CHARS and w not in STOP_WORDS]
        score = max(fuzz.ratio(typed, piece) for piece in pieces)
        if score >= TYPO_SCORE:
            scored.append((score, option))
    if not scored:
        return []
    best = max(score for score, _ in scored)
    # A clearly better match wins; close ones are all shown.
    found = [option for score, option in scored if score >= best - 5]
    return _respect_negation(found, typed)


def _respect_negation(found: list[Option], typed: str) -> list[Option]:
    if len(found) < 2:
        return found
    negative = bool(set(typed.split()) & NEGATIONS)
    same = [o for o in found if bool(set(fold(o.label).split()) & NEGATIONS) == negative]
    return same or found



def typed_choice(prompt: Reply, text: str, narrowed: list[str] | None = None) -> list[Option]:
    """What a typed answer chooses on `prompt`; a number counts among `narrowed` when those were just shown."""
    options = prompt.options
    if narrowed and record_id(text.strip().rstrip(".").strip()) is not None:
        shown = tuple(o for o in options if o.id in narrowed)
        if len(shown) == len(narrowed):
            options = shown
    return match_options(options, text, loose=prompt.expect == Expect.OPTION)
