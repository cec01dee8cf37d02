"""The programme's settings that the conversation needs ([program] in config.toml)."""

from __future__ import annotations

from datetime import time

from pydantic import BaseModel, Field

from db.ledger import LedgerRules, indonesian_holidays
from db.rules.contributions import Discount, TariffSchedule
from db.rules.months import Month

# -- [program.claims] in config.toml: the document checklists, the BPJS branch, lookup limits, the digest ----------

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


# -- [program.codes]: how many one-time codes may be asked for and guessed (handlers/registration/code_guard.py) --

class CodeSettings(BaseModel):
    # Codes sent for one ASN account (or one claim) per hour, whoever asks; beyond it none is sent.
    per_target_per_hour: int = Field(3, ge=1)
    # Codes one chat may ask for per hour, for any NIP or claim.
    per_chat_per_hour: int = Field(3, ge=1)
    # Wrong codes typed for one account (or claim) from all chats together within `wrong_window_hours` before
    # codes for it are locked until an officer unlocks them.
    wrong_before_lock: int = Field(10, ge=1)
    wrong_window_hours: int = Field(24, ge=1)
    # How long the ASN's registered chat may still confirm a new chat that typed the right code.
    confirm_hours: int = Field(24, ge=1)


OCCUPATIONS = ["labai", "ubiyah", "lembaga_adat", "nelayan", "petani", "buruh_harian", "tukang_bangunan",
               "pkl_asongan", "tukang_ojek", "sopir_angkot", "art", "lainnya"]


class DiscountSettings(BaseModel):
    name: str = ""
    sector: str = "all"  # transport | other | all
    first_month: str  # "2026-01"
    last_month: str
    amount: int
    excluded_funding: list[str] = Field(default_factory=lambda: ["apbd", "apbn"])


class ContributionSettings(BaseModel):
    """[contributions]: the monthly ledger, its tariffs, and the reminders."""

    base_amount: int = 16_800  # JKK Rp10.000 + JKM Rp6.800 at the Rp1 jt income bracket
    discounts: list[DiscountSettings] = Field(default_factory=lambda: [
        DiscountSettings(name="PP 50/2025", sector="transport", first_month="2026-01", last_month="2027-03",
                         amount=8_400),
        DiscountSettings(name="PP 50/2025", sector="other", first_month="2026-04", last_month="2026-12",
                         amount=8_400)])
    funding: str = "personal"  # who pays: personal (an ASN's own money) | apbd | apbn
    due_day: int = 15
    reminder_days: list[int] = Field(default_factory=lambda: [-7, -3, -1, 1, 7])
    first_due_grace_days: int = 7  # a new membership's first month is due no sooner than this after activation
    send_from: time = time(8, 0)
    send_until: time = time(20, 0)
    digest_at: time = time(7, 0)
    prepay_months: int = 12
    payment_instructions_id: str = "Bayar lewat aplikasi JMO, kanal bank, atau kantor pos dengan NIK pekerja."
    payment_instructions_en: str = "Pay through the JMO app, a bank channel, or a post office with the worker's NIK."

    def schedule(self) -> TariffSchedule:
        return TariffSchedule(self.base_amount, tuple(
            Discount(d.sector, Month.parse(d.first_month), Month.parse(d.last_month), d.amount,
                     frozenset(d.excluded_funding)) for d in self.discounts))

    def instructions(self, language: str) -> str:
        return self.payment_instructions_en if language == "en" else self.payment_instructions_id


class ProgramSettings(BaseModel):
    name: str = "TuWai KeTan"
    region: str = "13.77"
    timezone: str = "Asia/Jakarta"
    language: str = "id"  # of the command line's tables and exports
    max_workers_per_asn: int = 1
    jkm_full_after_months: int = 3
    privacy_notice_version: int = 1
    retention_years: int = 5
    consent_link_days: int = 14
    # A worker's age from the NIK (or the confirmed KTP date) must be within these, in whole years (issue 8).
    worker_min_age: int = 18
    worker_max_age: int = 65
    # A BPJS start date may be at most this many days before the worker's enrolment (never after today).
    bpjs_start_tolerance_days: int = 31
    occupations: list[str] = Field(default_factory=lambda: list(OCCUPATIONS))
    transport_occupations: list[str] = Field(default_factory=lambda: ["tukang_ojek", "sopir_angkot"])
    opds: list[str] = Field(default_factory=lambda: ["Sekretariat Daerah", "Lainnya"])
    contributions: ContributionSettings = Field(default_factory=ContributionSettings)
    claims: ClaimSettings = Field(default_factory=ClaimSettings)
    codes: CodeSettings = Field(default_factory=CodeSettings)

    def ledger_rules(self) -> LedgerRules:
        return LedgerRules(self.contributions.schedule(), frozenset(self.transport_occupations),
                           self.contributions.due_day, indonesian_holidays(),
                           self.contributions.first_due_grace_days)
