"""Academic degrees and titles in names typed in capitals: "BUDI SANTOSO, SE" keeps "SE", not "Se".

Indonesian names carry degrees after a comma (S.E., S.Pd., M.M.) and titles before the name (Dr., Drs., H., Hj.,
Ir., Prof.). Each keeps its conventional form; the dots are kept as typed ("SE" stays "SE", "s.e." becomes "S.E.").
"""

from __future__ import annotations

# Conventional forms, with dots; looked up by their letters in lower case ("spd" -> "S.Pd.").
_DEGREES = ("S.E.", "S.Pd.", "S.Pd.I.", "S.H.", "S.Sos.", "S.IP.", "S.Kom.", "S.T.", "S.ST.", "S.Si.", "S.Ag.",
            "S.Kep.", "S.Kes.", "S.K.M.", "S.Farm.", "S.Psi.", "S.P.", "S.Pt.", "S.Hut.", "S.Ak.", "S.S.", "S.Ked.",
            "S.Sy.", "S.H.I.", "S.E.I.", "S.Th.I.", "S.Tr.", "A.Md.", "A.Ma.", "A.Md.Kep.", "Ns.", "Apt.", "Ak.",
            "M.M.", "M.Pd.", "M.Si.", "M.H.", "M.Kes.", "M.Kom.", "M.T.", "M.Ag.", "M.A.", "M.Sc.", "M.Ak.",
            "M.AP.", "M.E.", "MBA", "Ph.D.", "Sp.A.", "Sp.PD.", "Sp.OG.", "Sp.B.", "Dr.", "Lc.")
_PREFIXES = ("Dr.", "Drs.", "Dra.", "Ir.", "H.", "Hj.", "Prof.", "K.H.", "Tgk.")
_BY_LETTERS = {"".join(ch for ch in form if ch.isalpha()).lower(): form for form in _DEGREES}
_PREFIX_BY_LETTERS = {"".join(ch for ch in form if ch.isalpha()).lower(): form for form in _PREFIXES}


def _letters(word: str) -> str:
    return "".join(ch for ch in word if ch.isalpha()).lower()


def _conventional(word: str, forms: dict[str, str]) -> str:
    form = forms.get(_letters(word))
    if form is None:
        return word
    if "." not in word:  # typed without dots: keep it so ("SE", "SPd")
        return form.replace(".", "")
    return form if word.endswith(".") else form.rstrip(".")  # "S.PD" -> "S.Pd", "S.PD." -> "S.Pd."


def keep_titles(name: str) -> str:
    """`name` (already title-cased) with its degrees after the first comma and its leading titles in their
    conventional form. Words before the comma that are not leading titles are left alone."""
    head, comma, tail = name.partition(",")
    words = head.split(" ")
    for index, word in enumerate(words[:-1]):  # the last word before the comma is a name, never a title
        fixed = _conventional(word, _PREFIX_BY_LETTERS)
        if fixed == word and _letters(word) not in _PREFIX_BY_LETTERS:
            break
        words[index] = fixed
    if not comma:
        return " ".join(words)
    degrees = [" ".join(_conventional(w, _BY_LETTERS) for w in piece.split()) for piece in tail.split(",")]
    return " ".join(words) + ", " + ", ".join(d for d in degrees if d)
