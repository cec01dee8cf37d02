"""Matching an OPD (organisational unit) as people and offices write it to one of the configured OPDs.

Rosters from BKPSDM write "DINAS KESEHATAN", "Dinkes", "Dinas Pendidikan dan Kebudayaan" or "Kecamatan Pariaman
Utara" where the programme's list ([program] opds in config.toml) says "Dinas Kesehatan", "Dinas Pendidikan" and
"Kecamatan". `match_opd` folds case, accents, punctuation and spacing, knows the common abbreviations of Indonesian
regional government units, and accepts a longer official name that starts with exactly one configured name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# Common abbreviations (folded) -> the configured name (folded) they stand for. Only names that are configured count.
ALIASES = {
    "setda": "sekretariat daerah", "setdako": "sekretariat daerah", "setdakab": "sekretariat daerah",
    "sekretariat daerah kota": "sekretariat daerah", "sekretariat daerah kabupaten": "sekretariat daerah",
    "setwan": "sekretariat dprd", "sekwan": "sekretariat dprd", "setdprd": "sekretariat dprd",
    "itda": "inspektorat", "inspektorat daerah": "inspektorat",
    "badan perencanaan pembangunan daerah": "bappeda",
    "badan kepegawaian dan pengembangan sumber daya manusia": "bkpsdm", "bkd": "bkpsdm", "bkpsdmd": "bkpsdm",
    "badan pengelola keuangan daerah": "bpkd", "bpkad": "bpkd",
    "disdik": "dinas pendidikan", "disdikbud": "dinas pendidikan", "dikbud": "dinas pendidikan",
    "dinkes": "dinas kesehatan",
    "dpupr": "dinas pupr", "dinas pu": "dinas pupr", "pupr": "dinas pupr", "dinas pekerjaan umum": "dinas pupr",
    "dinas pekerjaan umum dan penataan ruang": "dinas pupr",
    "dinsos": "dinas sosial",
    "dpmptsp": "dpmptsp dan naker", "dpmptspnaker": "dpmptsp dan naker", "disnaker": "dpmptsp dan naker",
    "dinas penanaman modal pelayanan terpadu satu pintu dan tenaga kerja": "dpmptsp dan naker",
    "diskominfo": "dinas kominfo", "kominfo": "dinas kominfo", "dinas komunikasi dan informatika": "dinas kominfo",
    "dishub": "dinas perhubungan",
    "diskan": "dinas perikanan", "dkp": "dinas perikanan", "dinas kelautan dan perikanan": "dinas perikanan",
    "distan": "dinas pertanian", "dispertan": "dinas pertanian",
    "disdukcapil": "dinas dukcapil", "dukcapil": "dinas dukcapil",
    "dinas kependudukan dan pencatatan sipil": "dinas dukcapil",
    "satpol": "satpol pp", "satuan polisi pamong praja": "satpol pp",
    "rumah sakit umum daerah": "rsud", "rsud kota": "rsud",
    "camat": "kecamatan",
}


def fold_opd(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, single spaces: "Dinas  P.U.P.R." -> "dinas p u p r"."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def _squeezed(folded: str) -> str:
    return folded.replace(" ", "")


def match_opd(text: str, opds: Sequence[str]) -> str | None:
    """The configured OPD that `text` names, or None. "Lainnya" (other) is only matched when typed as such."""
    folded = fold_opd(text)
    if not folded:
        return None
    by_fold = {fold_opd(name): name for name in opds}
    by_squeezed = {_squeezed(key): name for key, name in by_fold.items()}  # "P.U.P.R." and "PUPR" alike
    if folded in by_fold:
        return by_fold[folded]
    if _squeezed(folded) in by_squeezed:
        return by_squeezed[_squeezed(folded)]
    alias = ALIASES.get(folded) or ALIASES.get(_squeezed(folded))
    if alias is not None and alias in by_fold:
        return by_fold[alias]
    # "Dinas Pendidikan dan Kebudayaan", "Kecamatan Pariaman Utara": the longest configured name it starts with
    starts = [key for key in by_fold if key != "lainnya" and folded.startswith(key + " ")]
    if starts:
        return by_fold[max(starts, key=len)]
    first = folded.split()[0]
    alias = ALIASES.get(first)  # "Dinkes Kota Pariaman"
    if alias is not None and alias in by_fold and first != folded:
        return by_fold[alias]
    return None
