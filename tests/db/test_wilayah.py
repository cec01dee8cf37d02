"""db/wilayah.py: the area dataset as shipped, lookups, and fuzzy matching of place names as people type them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from db.wilayah import Area, Wilayah, load_wilayah
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def wilayah() -> Wilayah:
    return load_wilayah()


@pytest.fixture(scope="module")
def pariaman_villages(wilayah: Wilayah) -> list[Area]:
    return [d for k in wilayah.kecamatan_of("13.77") for d in wilayah.desa_of(k.code)]


def test_load_is_cached():
    assert load_wilayah() is load_wilayah()


def test_dataset_sizes(wilayah: Wilayah):
    provinces = wilayah.provinces()
    assert len(provinces) == 38
    regencies = [r for p in provinces for r in wilayah.regencies_of(p.code)]
    assert len(regencies) == 514
    assert sum(len(wilayah.kecamatan_of(r.code)) for r in regencies) == 7285


def test_pariaman_has_4_kecamatan_in_code_order(wilayah: Wilayah):
    kecamatan = wilayah.kecamatan_of("13.77")
    assert [(k.code, k.name) for k in kecamatan] == [
        ("13.77.01", "Pariaman Tengah"), ("13.77.02", "Pariaman Utara"),
        ("13.77.03", "Pariaman Selatan"), ("13.77.04", "Pariaman Timur"),
    ]
    assert all(k.level == "kecamatan" for k in kecamatan)


def test_pariaman_has_71_desa_and_kelurahan(wilayah: Wilayah, pariaman_villages: list[Area]):
    assert len(pariaman_villages) == 71
    assert sum(a.level == "kelurahan" for a in pariaman_villages) == 16
    assert sum(a.level == "desa" for a in pariaman_villages) == 55
    per_kecamatan = {k.name: len(wilayah.desa_of(k.code)) for k in wilayah.kecamatan_of("13.77")}
    assert per_kecamatan == {"Pariaman Tengah": 22, "Pariaman Utara": 17, "Pariaman Selatan": 16,
                             "Pariaman Timur": 16}


def test_desa_are_in_code_order(wilayah: Wilayah):
    codes = [a.code for a in wilayah.desa_of("13.77.01")]
    assert codes == sorted(codes)
    assert codes[0] == "13.77.01.1001" and codes[-1] == "13.77.01.2025"


def test_pasaman_barat_has_11_kecamatan_and_90_nagari(wilayah: Wilayah):
    kecamatan = wilayah.kecamatan_of("13.12")
    assert len(kecamatan) == 11
    assert kecamatan[0].name == "Sungai Beremas" and kecamatan[-1].name == "Sasak Ranah Pasisie"
    assert sum(len(wilayah.desa_of(k.code)) for k in kecamatan) == 90


def test_lookups(wilayah: Wilayah):
    assert wilayah.area("13.77.01.1013") == Area("13.77.01.1013", "Taratak", "kelurahan")
    assert wilayah.area("1377011013") == wilayah.area("13.77.01.1013")
    assert wilayah.area("1377") == Area("13.77", "Kota Pariaman", "kabupaten_kota")
    assert wilayah.area("13.77.09") is None
    assert wilayah.area("") is None
    assert wilayah.province_exists("13") and wilayah.province_exists("11")
    assert not wilayah.province_exists("99")
    assert not wilayah.province_exists("1")
    assert not wilayah.province_exists("13.77")  # a regency is not a province
    assert wilayah.kecamatan_known("13", "77", "04")
    assert not wilayah.kecamatan_known("13", "77", "05")
    assert not wilayah.kecamatan_known("13", "77", "")


def test_children_of_unknown_or_wrong_level_are_empty(wilayah: Wilayah):
    assert wilayah.kecamatan_of("99.99") == []
    assert wilayah.desa_of("13.77") == []  # a regency's children are kecamatan, not desa
    assert wilayah.kecamatan_of("13") == []  # a province's children are regencies


@pytest.mark.parametrize(("typed", "expected"), [
    ("Mangguang", "Manggung"),
    ("naras satu", "Naras I"),
    ("Naras Satu", "Naras I"),
    ("naras 1", "Naras I"),
    ("kampung jawa 2", "Kampung Jawa II"),
    ("Kampuang Jawa Duo", "Kampung Jawa II"),
    ("jawi-jawi 2", "Jawi Jawi II"),
    ("JAWI JAWI I", "Jawi Jawi I"),
    ("desa Apar", "Apar"),
    ("talago sarick", "Talago Sarik"),
    ("padang birik-birik", "Padang Birik Birik"),
    ("air santok pariaman timur", "Air Santok"),
    ("Batang Kabuang", "Batang Kabung"),
])
def test_match_finds_the_place_first(wilayah: Wilayah, pariaman_villages: list[Area], typed: str, expected: str):
    found = wilayah.match(pariaman_villages, typed)
    assert found, typed
    assert found[0][0].name == expected
    assert 60 < found[0][1] <= 100


@pytest.mark.parametrize("typed", ["kampung jawa 2", "Naras Satu", "jawi-jawi 2", "  RAWANG  "])
def test_exact_match_returns_only_that_place(wilayah: Wilayah, pariaman_villages: list[Area], typed: str):
    found = wilayah.match(pariaman_villages, typed)
    assert len(found) == 1
    assert found[0][1] == 100


def test_kampung_jawa_1_and_2_are_not_confused(wilayah: Wilayah, pariaman_villages: list[Area]):
    assert [a.code for a, _ in wilayah.match(pariaman_villages, "kampung jawa 1")] == ["13.77.01.1007"]
    assert [a.code for a, _ in wilayah.match(pariaman_villages, "kampung jawa 2")] == ["13.77.01.1008"]


def test_ambiguous_text_offers_several_best_first(wilayah: Wilayah, pariaman_villages: list[Area]):
    found = wilayah.match(pariaman_villages, "sungai", limit=3)
    assert len(found) == 3
    assert all(a.name.startswith("Sungai") for a, _ in found)
    scores = [s for _, s in found]
    assert scores == sorted(scores, reverse=True)
    assert len(wilayah.match(pariaman_villages, "sungai", limit=1)) == 1


@pytest.mark.parametrize("typed", ["", "   ", "xyz", "qqqqqq", "a", "!!", "🙂🙂", "x" * 5000, "Surabaya", "pariaman"])
def test_nonsense_matches_nothing(wilayah: Wilayah, pariaman_villages: list[Area], typed: str):
    assert wilayah.match(pariaman_villages, typed) == []


def test_match_on_kecamatan(wilayah: Wilayah):
    found = wilayah.match(wilayah.kecamatan_of("13.77"), "kec. pariaman timur")
    assert found == [(Area("13.77.04", "Pariaman Timur", "kecamatan"), 100.0)]


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_match_never_raises_and_scores_are_sane(pariaman_villages: list[Area], text: str):
    found = Wilayah.match(pariaman_villages, text)
    assert len(found) <= 3
    assert all(a in pariaman_villages and 60 < s <= 100 for a, s in found)
    assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)


def test_module_is_pure():
    source = (ROOT / "db" / "wilayah.py").read_text(encoding="utf-8")
    assert "import bot" not in source and "from bot" not in source
    assert "handlers" not in source
    assert "shared" not in source  # never reads the shared folder at run time


def test_csv_is_shipped_with_licence_note():
    assert (ROOT / "db" / "data" / "wilayah.csv").read_text(encoding="utf-8").startswith("code,name,level\n")
    assert "MIT" in (ROOT / "db" / "data" / "README.md").read_text(encoding="utf-8")
