"""Is this the ASN on the roster? Names compared as people write them, phones as numbers.

Automatic approval needs the typed name to match the roster's and, where the roster has a phone number, the
person's own shared contact to carry it. Everything else waits for an officer, who sees both side by side.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rapidfuzz.distance import Levenshtein

from db.models import Chat, RosterEntry
from handlers.answers.parsers import parse_phone
from handlers.engine.types import Invalid

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


# -- what officers read ----------------------------------------------------------------------------------------------

def comparison(t: Any, *, name: str, opd: str, phone: str, entry: RosterEntry | None,
               shared: bool | None = None) -> str:
    """Typed values beside the roster's, one line per field, for an officer deciding."""
    if entry is None:
        return "\n".join((t("identity.not_in_roster"), t("identity.compare_name", typed=name, roster="-"),
                          t("identity.compare_opd", typed=opd, roster="-"),
                          t("identity.compare_phone", typed=phone, roster="-", how=_how(t, shared))))
    return "\n".join((t("identity.compare_header"), t("identity.compare_name", typed=name, roster=entry.name),
                      t("identity.compare_opd", typed=opd, roster=entry.opd),
                      t("identity.compare_phone", typed=phone, roster=entry.phone or "-", how=_how(t, shared))))


def _how(t: Any, shared: bool | None) -> str:
    return "" if shared is None else t("identity.phone_shared" if shared else "identity.phone_typed")


def account(chat: Chat | None) -> str:
    """An account as officers read it: channel, id and the (sanitised) name the person uses there."""
    if chat is None:
        return "-"
    return f"{chat.channel} {chat.address} «{chat.display_name or '-'}»"
