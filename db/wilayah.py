"""Indonesian administrative areas (Kemendagri codes) read from db/data/wilayah.csv, with fuzzy name matching.

Pure lookups: the CSV is read once, on the first call of load_wilayah(). See db/data/README.md for the source.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

CSV_PATH = Path(__file__).with_name("data") / "wilayah.csv"

PROVINCE = "provinsi"
REGENCY = "kabupaten_kota"
KECAMATAN = "kecamatan"
VILLAGE_LEVELS = frozenset({"desa", "kelurahan"})

# At or below this a suggestion is more likely noise than the place the person meant.
MIN_SCORE = 60.0
# Nobody types a place name this long; longer text is not worth scoring.
MAX_QUERY_CHARS = 200
# One or two letters are a substring of almost every name: only an exact match is meaningful then.
MIN_FUZZY_CHARS = 3

# Local usage writes numbered villages as words or digits ("Naras Satu", "naras 1", Minang "Jawa Duo"); the dataset
# uses Roman numerals.
_NUMBER_WORDS = {
    "satu": "i", "ciek": "i", "1": "i", "dua": "ii", "duo": "ii", "2": "ii", "tiga": "iii", "tigo": "iii",
    "3": "iii", "empat": "iv", "ampek": "iv", "4": "iv", "lima": "v", "limo": "v", "5": "v",
}
# People often prefix the kind of area ("desa Apar", "kec. Pariaman Tengah"); names in the dataset do not.
_AREA_PREFIXES = frozenset({"desa", "ds", "kelurahan", "kel", "nagari", "kecamatan", "kec"})
_ABBREVIATIONS = {"kab": "kabupaten"}
_NON_WORD = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Area:
    code: str  # dotted Kemendagri code, e.g. "13.77.01.1013"
    name: str
    level: str  # provinsi, kabupaten_kota, kecamatan, kelurahan or desa


def normalize_name(text: str) -> str:
    """Lower-case, accent-free, punctuation-free form of a place name with numbers as Roman numerals."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = _NON_WORD.sub(" ", ascii_text.lower()).split()
    words = [_ABBREVIATIONS.get(w, _NUMBER_WORDS.get(w, w)) for w in words]
    return " ".join(words)


def normalize_query(text: str) -> str:
    """What a person typed, normalised like a name, without a leading "kecamatan", "desa" and the like."""
    words = normalize_name(text).split()
    if len(words) > 1 and words[0] in _AREA_PREFIXES:
        words = words[1:]
    return " ".join(words)


def _dotted(code: str) -> str:
    """Accept "137701" as well as "13.77.01": people and NIKs write codes without dots."""
    code = code.strip()
    if "." in code or not code.isascii() or not code.isdigit():
        return code
    if len(code) in (2, 4, 6):
        return ".".join(code[i:i + 2] for i in range(0, len(code), 2))
    if len(code) == 10:
        return f"{code[0:2]}.{code[2:4]}.{code[4:6]}.{code[6:]}"
    return code


class Wilayah:
    """All areas of the dataset, indexed by code and by parent code."""

    def __init__(self, areas: list[Area]) -> None:
        self._by_code = {a.code: a for a in areas}
        children: dict[str, list[Area]] = defaultdict(list)
        for a in sorted(areas, key=lambda a: a.code):
            parent, _, _ = a.code.rpartition(".")
            if parent:
                children[parent].append(a)
        self._children = dict(children)

    @classmethod
    def from_csv(cls, path: Path = CSV_PATH) -> Wilayah:
        with path.open(encoding="utf-8", newline="") as f:
            return cls([Area(row["code"], row["name"], row["level"]) for row in csv.DictReader(f)])

    def _has(self, code: str, level: str) -> bool:
        area = self._by_code.get(code)
        return area is not None and area.level == level

    def province_exists(self, pp: str) -> bool:
        return len(pp) == 2 and self._has(pp, PROVINCE)

    def kecamatan_known(self, pp: str, kk: str, cc: str) -> bool:
        return self._has(f"{pp}.{kk}.{cc}", KECAMATAN)

    def area(self, code: str) -> Area | None:
        return self._by_code.get(_dotted(code))

    def provinces(self) -> list[Area]:
        return sorted((a for a in self._by_code.values() if a.level == PROVINCE), key=lambda a: a.code)

    def regencies_of(self, province_code: str) -> list[Area]:
        return [a for a in self._children.get(_dotted(province_code), []) if a.level == REGENCY]

    def kecamatan_of(self, region_code: str) -> list[Area]:
        return [a for a in self._children.get(_dotted(region_code), []) if a.level == KECAMATAN]

    def desa_of(self, kecamatan_code: str) -> list[Area]:
        """Desa, kelurahan and nagari (stored as desa) of a kecamatan, in code order."""
        return [a for a in self._children.get(_dotted(kecamatan_code), []) if a.level in VILLAGE_LEVELS]

    @staticmethod
    def match(candidates: list[Area], text: str, limit: int = 3,
              min_score: float = MIN_SCORE) -> list[tuple[Area, float]]:
        """Best candidates for what the person typed, score 0-100, best first, each above `min_score`; [] if none.

        An exact match after normalisation wins outright, so "Kampung Jawa 2" never offers "Kampung Jawa I" too.
        """
        if limit < 1 or len(text) > MAX_QUERY_CHARS:
            return []
        query = normalize_query(text)
        if not query:
            return []
        names = [normalize_name(a.name) for a in candidates]
        exact = [(a, 100.0) for a, n in zip(candidates, names) if n == query]
        if exact:
            return exact[:limit]
        if len(query.replace(" ", "")) < MIN_FUZZY_CHARS:
            return []
        scored = [(_score(query, name), i) for i, name in enumerate(names)]
        best = sorted((s for s in scored if s[0] > min_score), key=lambda s: (-s[0], s[1]))[:limit]
        return [(candidates[i], score) for score, i in best]


def _score(query: str, name: str) -> float:
    """Similarity 0-100 of two normalised names, tolerant of misspelling, word order and extra or missing words.

    Like rapidfuzz's WRatio, but a partial match only counts when the person typed less than the name ("naras" for
    "Naras Hilir"): the other way round, a short name hidden in a long query ("Apar" in "Jakarta") is noise.
    """
    score = max(fuzz.ratio(query, name), fuzz.token_sort_ratio(query, name),
                0.95 * fuzz.token_set_ratio(query, name))
    if len(query) < len(name):
        score = max(score, 0.9 * fuzz.partial_ratio(query, name))
    return float(score)


@functools.cache
def load_wilayah() -> Wilayah:
    return Wilayah.from_csv()
