"""[program.claims] in config.toml: the document checklists, the BPJS branch, lookup limits, the digest."""

from __future__ import annotations

from pydantic import BaseModel, Field

# Checklists per claim type (DOMAIN.md §3.1 JKM, §3.2 JKK). Labels are in the catalogues under claims.doc_*.
JKM_DOCS = ["kpj_card", "ktp_worker", "ktp_heir", "death_certificate", "family_card", "heir_letter", "bank_book"]
JKK_INJURY_DOCS = ["kpj_card", "ktp_worker", "chronology", "doctor_statement"]
JKK_DEATH_DOCS = ["kpj_card", "ktp_worker", "ktp_heir", "chronology", "death_certificate", "family_card",
                  "heir_letter", "bank_book"]
OPTIONAL_DOCS = {"jkm": ["marriage_book"],
                 "jkk_injury": ["police_report", "witness_ktp", "treatment_receipts", "transport_receipts",
                                "referral_letter"],
                 "jkk_death": ["marriage_book", "police_report", "witness_ktp", "doctor_statement"]}
ALL_DOCS = sorted({*JKM_DOCS, *JKK_INJURY_DOCS, *JKK_DEATH_DOCS, *(d for docs in OPTIONAL_DOCS.values() for d in docs)})


class ClaimSettings(BaseModel):
    # Documents needed before a claim can be submitted, per claim type, and those that help but are optional.
    documents: dict[str, list[str]] = Field(default_factory=lambda: {
        "jkm": list(JKM_DOCS), "jkk_injury": list(JKK_INJURY_DOCS), "jkk_death": list(JKK_DEATH_DOCS)})
    optional: dict[str, list[str]] = Field(default_factory=lambda: {k: list(v) for k, v in OPTIONAL_DOCS.items()})
    branch_name: str = "BPJS Ketenagakerjaan"
    branch_address: str = ""
    branch_phone: str = "175"
    lookups_per_hour: int = 5  # worker searches per person per hour
    untouched_days: int = 3  # a submitted claim unchanged this long appears in the officers' daily digest
    draft_days: int = 14  # a report saved and left this long (not submitted) expires; its reporter is told
    draft_warning_days: int = 3  # the reporter is reminded this many days before their draft expires
    max_pages_per_document: int = 10  # files (pages) one document of the checklist may have
    max_files_per_claim: int = 40  # files one claim may have, all documents together

    def checklist(self, kind: str) -> tuple[list[str], list[str]]:
        """(required, optional) document keys of a claim type."""
        return list(self.documents.get(kind, [])), list(self.optional.get(kind, []))

    def branch(self) -> str:
        return ", ".join(part for part in (self.branch_name, self.branch_address, self.branch_phone and
                                           f"tel. {self.branch_phone}") if part)
