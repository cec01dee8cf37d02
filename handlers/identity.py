"""Is this the ASN on the roster? Names compared as people write them, phones as numbers.

Automatic approval needs the typed name to match the roster's and, where the roster has a phone number, the
person's own shared contact to carry it. Everything else waits for an officer, who sees both side by side.
"""

from __future__ import annotations

import unicodedata

from rapidfuzz.distance import Levenshtein

from db.models import RosterEntry
from handlers.parsers import Invalid, parse_phone

# Honorifics and degrees written before a name ("Dr. H. Rahmat", "Ir. Hj. Siti"): ignored when comparing.
PREFIX_TITLES = frozenset({"dr", "drs", "dra", "drg", "drh", "ir", "h", "hj", "prof", "kh", "ns", "apt", "bapak",
                           "bpk", "ibu", "tn", "ny", "nn", "sdr", "sdri"})
MAX_TYPOS = 1


def fold_name(name: str) -> str:
    """"Dr. H. Rahmat  Hidayat, S.Pd., M.Si." -> "rahmat hidayat": titles and degrees dropped, case, accents,
    spacing and punctuation folded."""
    plain = unicodedata.normalize("NFKD", name.split(",", 1)[0])  # degrees follow the first comma
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    words = []
    for raw in plain.split():
        word = "".join(ch for ch in raw if ch.isalnum())
        if not word or (word in PREFIX_TITLES and not words) or _is_degree(raw):
            continue
        words.append(word)
    return " ".join(words)


def _is_degree(word: str) -> bool:
    """"S.Pd", "M.Si.", "A.Md.Kep": a short word with a dot inside, as degrees are written without a comma."""
    inner = word.strip(".")
    return "." in inner and len(inner) <= 10


def names_match(typed: str, roster: str) -> bool:
    """The same name, allowing one typing mistake; spaces do not count ("Nur Aini" = "Nuraini")."""
    a, b = fold_name(typed).replace(" ", ""), fold_name(roster).replace(" ", "")
    return bool(a) and Levenshtein.distance(a, b, score_cutoff=MAX_TYPOS) <= MAX_TYPOS


def same_phone(a: str | None, b: str | None) -> bool:
    """Two numbers are the same line however they were written ("0812...", "+62812...", "62812...")."""
    if not a or not b:
        return False
    try:
        return parse_phone(a) == parse_phone(b)
    except Invalid:
        return False


def roster_verifies(entry: RosterEntry | None, *, name: str, phone: str, phone_shared: bool) -> bool:
    """True when the registration can be approved without an officer: the NIP is on the roster, the name matches
    and, where the roster has a phone, the person shared their own contact with that number."""
    if entry is None or not names_match(name, entry.name):
        return False
    return entry.phone is None or (phone_shared and same_phone(phone, entry.phone))
