"""Message catalogues: one per feature package, every key in both languages and in one catalogue only, placeholders
that match, labels that fit WhatsApp."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from bot.app import LOCALES
from handlers.engine.i18n import Catalog, CatalogError
from handlers.engine.settings import OCCUPATIONS

ROOT = Path(__file__).resolve().parents[2]
catalog = Catalog(LOCALES)
BUTTON, LIST_ROW = 20, 24  # WhatsApp: reply-button title, list-row title


def used_keys() -> set[str]:
    """Every literal catalogue key the code uses (ctx.t("..."), Invalid("..."), text_key="...", labels)."""
    keys: set[str] = set()
    pattern = re.compile(r"""(?:t|Invalid|prompt_text|Reply\(ctx\.t)\(\s*"([a-z_]+(?:\.[a-zA-Z_]+)+)"|"""
                         r"""(?:text_key|label)=\s*"([a-z_]+(?:\.[a-zA-Z_]+)+)"|"""
                         r"""\(\s*f?"!?[^"]*",\s*"([a-z_]+\.[a-z_]+)"\)""")
    for path in list((ROOT / "handlers").rglob("*.py")) + list((ROOT / "bot").rglob("*.py")):
        for match in pattern.finditer(path.read_text()):
            keys.add(next(group for group in match.groups() if group))
    return keys


def button_keys() -> set[str]:
    """Keys whose text becomes an option label: in Option(..., ctx.t("key")) or ("!id", "key") pairs."""
    keys: set[str] = set()
    for path in (ROOT / "handlers").rglob("*.py"):
        source = path.read_text()
        keys |= set(re.findall(r'Option\([^()]*?ctx\.t\("([a-z_.]+)"', source))
        keys |= set(re.findall(r'\(f?"![^"]*",\s*"([a-z_]+\.[a-z_]+)"\)', source))
    return keys


def test_every_feature_package_has_its_catalogue() -> None:
    found = {folder.relative_to(ROOT).as_posix() for folder in LOCALES}
    features = ("engine", "answers", "registration", "consent", "workers", "contributions", "claims", "officer")
    assert {f"handlers/{feature}/locales" for feature in features} <= found
    assert all((folder / "id.toml").is_file() and (folder / "en.toml").is_file() for folder in LOCALES)


def test_a_key_defined_twice_is_refused_naming_both_files(tmp_path: Path) -> None:
    claims, officer = tmp_path / "claims" / "locales", tmp_path / "officer" / "locales"
    for folder, id_toml, en_toml in (
            (claims, '[menu]\nclaims = "Klaim"\n', '[menu]\nclaims = "Claims"\n'),
            (officer, '[menu]\nofficer = "Petugas"\nclaims = "Klaim lagi"\n', '[menu]\nofficer = "Officer"\n')):
        folder.mkdir(parents=True)
        (folder / "id.toml").write_text(id_toml)
        (folder / "en.toml").write_text(en_toml)
    assert Catalog([claims]).messages["id"] == {"menu.claims": "Klaim"}  # each catalogue alone loads
    assert Catalog([officer]).messages["id"] == {"menu.officer": "Petugas", "menu.claims": "Klaim lagi"}
    with pytest.raises(CatalogError) as refused:
        Catalog([claims, officer])
    assert "'menu.claims' is defined twice" in str(refused.value)
    assert str(claims / "id.toml") in str(refused.value) and str(officer / "id.toml") in str(refused.value)


def test_both_languages_have_the_same_keys() -> None:
    assert catalog.keys("id") == catalog.keys("en")
    assert len(catalog.keys("id")) > 200


@pytest.mark.parametrize("key", sorted(catalog.keys("id")))
def test_placeholders_match_between_languages(key: str) -> None:
    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    assert fields(catalog.messages["id"][key]) == fields(catalog.messages["en"][key])
    assert catalog.messages["id"][key].strip() and catalog.messages["en"][key].strip()


def test_every_key_the_code_uses_exists() -> None:
    keys = used_keys()
    assert len(keys) > 100  # the scan found the code's keys; it cannot pass by finding none
    assert sorted(k for k in keys if not catalog.has(k)) == []


# Options of the main menu, which always has more than 3 entries: WhatsApp shows it as a list (rows of 24).
MENU_LIST_ROWS = {"menu.claims"}


def test_button_labels_fit_whatsapp() -> None:
    keys = button_keys() - MENU_LIST_ROWS
    assert {"form.confirm", "menu.asn_register", "officer.approve", "privacy.agree"} <= keys
    for language in ("id", "en"):
        for key in sorted(keys):
            label = catalog.text(language, key, id=99999, name="Abcdefghij")  # the longest that is shown
            assert len(label) <= BUTTON, (language, key, label)
        for prefix, ids in (("occupation", OCCUPATIONS), ("relation", ["spouse", "child", "parent", "sibling",
                                                                        "other"])):
            for ident in ids:
                assert len(catalog.text(language, f"{prefix}.{ident}")) <= LIST_ROW


def test_claim_labels_fit_a_list_row() -> None:
    from handlers.claims.report import RELATIONS
    from handlers.engine.settings import ALL_DOCS

    keys = {*MENU_LIST_ROWS, *(f"claims.doc_{d}" for d in ALL_DOCS), *(f"claims.rel_{r}" for r in RELATIONS)}
    for language in ("id", "en"):
        for key in keys:
            assert len(catalog.text(language, key)) <= LIST_ROW, (language, key)
        for kind in ("jkm", "jkk_injury", "jkk_death"):  # three options: WhatsApp reply buttons
            assert len(catalog.text(language, f"claims.kind_{kind}")) <= BUTTON, (language, kind)


def test_field_names_fit_a_list_row() -> None:
    labels = set(re.findall(r'"([a-z_]+\.field_[a-z_]+)"', "".join(
        p.read_text() for p in (ROOT / "handlers").rglob("*.py"))))
    assert len(labels) >= 15
    for language in ("id", "en"):
        for key in labels:
            assert len(catalog.text(language, key)) <= LIST_ROW, (language, key)


def test_config_labels_fit_a_list_row() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "config.toml").read_text())
    assert all(len(opd) <= LIST_ROW for opd in config["program"]["opds"])
    assert set(config["program"]["occupations"]) <= set(OCCUPATIONS)
