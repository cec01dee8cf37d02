"""The programme's settings that the conversation needs ([program] in config.toml)."""

from __future__ import annotations

from pydantic import BaseModel, Field

OCCUPATIONS = ["labai", "ubiyah", "lembaga_adat", "nelayan", "petani", "buruh_harian", "tukang_bangunan",
               "pkl_asongan", "tukang_ojek", "sopir_angkot", "art", "lainnya"]


class ProgramSettings(BaseModel):
    name: str = "TuWai KeTan"
    region: str = "13.77"
    timezone: str = "Asia/Jakarta"
    max_workers_per_asn: int = 1
    jkm_full_after_months: int = 3
    privacy_notice_version: int = 1
    retention_years: int = 5
    consent_link_days: int = 14
    occupations: list[str] = Field(default_factory=lambda: list(OCCUPATIONS))
    transport_occupations: list[str] = Field(default_factory=lambda: ["tukang_ojek", "sopir_angkot"])
    opds: list[str] = Field(default_factory=lambda: ["Sekretariat Daerah", "Lainnya"])
