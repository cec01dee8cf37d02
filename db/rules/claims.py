"""The programme's claim rules as pure functions (no I/O, the date passed in): cover on a date, benefit estimates,
the scholarship, the JKK reporting deadline and refunds after a death. Sources: DOMAIN.md §1.2, §1.3, §2, §3.2.

Every amount is whole rupiah (int). Every figure is an estimate: BPJS Ketenagakerjaan decides the claim.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from db.rules.contributions import add_months
from db.rules.months import Month

JKM, JKK_INJURY, JKK_DEATH = "jkm", "jkk_injury", "jkk_death"
KINDS = (JKM, JKK_INJURY, JKK_DEATH)
DEATHS = (JKM, JKK_DEATH)


@dataclass(frozen=True)
class BenefitTable:
    """The benefit figures (PP 82/2019, Permenaker 1/2025; DOMAIN.md §2.1, §2.2)."""

    death_lump_sum: int = 20_000_000  # santunan kematian
    periodic: int = 12_000_000  # santunan berkala, 24 months paid at once
    funeral: int = 10_000_000  # biaya pemakaman
    early_death: int = 10_000_000  # a death in the first months of membership (Permenaker 1/2025)
    full_after_months: int = 3
    jkk_death_multiplier: int = 48  # × the reported monthly income
    reported_income: int = 1_000_000  # the BPU bracket of the programme (DOMAIN.md §1.1)
    scholarship_min_months: int = 36  # masa iur for a death not at work
    scholarship_children: int = 2
    scholarship_max_total: int = 174_000_000
    report_within_days: int = 2  # JKK: report within 2 × 24 hours (DOMAIN.md §3.2)


BENEFITS = BenefitTable()


@dataclass(frozen=True)
class Cover:
    """Whether the worker was protected on a date, why not (a catalogue-friendly reason), and the months behind it.

    `paid` and `unpaid` run from the month BPJS membership started through the month of the date, in order.
    `payable` is that last month when it is unpaid but the date is on or before its due date `payable_until` (it
    may still be paid, so it is protected); it is in neither `paid` nor `unpaid`.
    """

    covered: bool
    reason: str  # covered | not_yet_member | sponsorship_ended | lapsed | unpaid
    paid: tuple[Month, ...] = ()
    unpaid: tuple[Month, ...] = ()
    payable: Month | None = None
    payable_until: date | None = None


def cover_on(day: date, *, bpjs_start: date | None, ended_on: date | None, lapsed_on: date | None,
             paid: Container[Month], due_date: Callable[[Month], date]) -> Cover:
    """Was the worker protected on `day`, from the money actually paid?

    The rule (DOMAIN.md §1.2, "Bot design: treat *any* unpaid month as not protected"): a month of membership is
    protected only when it is paid (`paid`: verified, or a receipt awaiting verification). One exception: the month
    of `day` itself, unpaid, is protected up to and including its due date, because a BPU month may still be paid
    until then (the 15th of the month itself, or the next working day) -- but only for a membership with a month
    paid before it: with nothing ever paid there is no cover to continue, and nothing is promised (issue 18: "with
    no month ever paid ... the family is promised Rp10 jt"). `due_date` must be that regular due date
    (`db.ledger.LedgerRules.due`), NOT the membership's own due date (`LedgerRules.due_for`): the first due date
    after the KPJ was recorded (`db.rules.first_due_date`) only spares the sponsor reminders and arrears; it pays
    no month. So a membership back-dated to June with nothing ever paid is "unpaid" on any day after June's 15th,
    however far away its first due date is.

    The grace: BPJS lets a BPU participant pay arrears of at most 3 months, counted from the date protection ended
    (DOMAIN.md §1.2, PROBIS (a)); whether a claim in an unpaid month is then paid is for BPJS to decide. This
    function does not model the grace: a day in an unpaid month is NOT covered, and the caller says that BPJS
    decides and that the arrears may still be paid.

    Reasons, first match wins: `not_yet_member` (no BPJS start, or `day` before it; no months), `sponsorship_ended`
    (`ended_on` < day), `lapsed` (`lapsed_on` < day), `unpaid` (a month in `unpaid`), else `covered`.
    """
    if bpjs_start is None or day < bpjs_start:
        return Cover(False, "not_yet_member")
    months = Month.of(bpjs_start).until(Month.of(day))
    last = months[-1]
    continuing = any(month in paid for month in months[:-1])
    payable = last if last not in paid and day <= due_date(last) and continuing else None
    paid_months = tuple(month for month in months if month in paid)
    unpaid = tuple(month for month in months if month not in paid and month != payable)
    if ended_on is not None and ended_on < day:
        reason = "sponsorship_ended"
    elif lapsed_on is not None and lapsed_on < day:
        reason = "lapsed"
    else:
        reason = "unpaid" if unpaid else "covered"
    return Cover(reason == "covered", reason, paid_months, unpaid, payable,
                 due_date(payable) if payable is not None else None)


@dataclass(frozen=True)
class Estimate:
    """What a claim may pay. `parts` are (catalogue key, rupiah); `total` is None where there is no ceiling, 0 when
    not covered. `cover` says which months were paid and which not (see `Cover`)."""

    kind: str
    cover: Cover
    parts: tuple[tuple[str, int], ...]
    total: int | None
    early: bool  # a death within the first `full_after_months` of membership
    scholarship: bool
    to_confirm: tuple[str, ...]  # rules DOMAIN.md marks as uncertain, said to be confirmed by BPJS

    @property
    def covered(self) -> bool:
        return self.cover.covered


def full_jkm_from(bpjs_start: date, table: BenefitTable = BENEFITS) -> date:
    """The first day a death not at work pays the full JKM: `full_after_months` after the BPJS start date."""
    return add_months(bpjs_start, table.full_after_months)


def scholarship_eligible(kind: str, paid_months: int, table: BenefitTable = BENEFITS) -> bool:
    """Scholarship for up to two children: at once after a work-accident death; after a death not at work only
    with at least three years (36 months) of contributions (DOMAIN.md §2.1). An injury does not qualify here."""
    if kind == JKK_DEATH:
        return True
    return kind == JKM and paid_months >= table.scholarship_min_months


def estimate(kind: str, day: date, *, cover: Cover, bpjs_start: date | None, paid_months: int | None = None,
             table: BenefitTable = BENEFITS) -> Estimate:
    """The estimated benefit of a claim of `kind` for an event on `day` (DOMAIN.md §2.1, §2.2).

    - JKM (death not at work): Rp42 jt (20 + 12 + 10) from `full_after_months` after the BPJS start date,
      Rp10 jt before it (the boundary day itself pays in full).
    - JKK death: 48 × reported income + Rp12 jt + Rp10 jt (Rp70 jt at the Rp1 jt bracket).
    - JKK injury: medical care without a ceiling and 100% of the reported income while unable to work for
      the first 12 months; no total.
    Not covered (an unpaid month, lapsed, ended, not yet a member): no parts, total 0, nothing promised.
    `paid_months` (for the scholarship's masa iur) defaults to the months `cover` counts as paid.
    Raises ValueError for an unknown kind.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown claim kind {kind!r}")
    if not cover.covered:
        return Estimate(kind, cover, (), 0, False, False, ())
    scholarship = scholarship_eligible(kind, len(cover.paid) if paid_months is None else paid_months, table)
    if kind == JKM:
        early = bpjs_start is not None and day < full_jkm_from(bpjs_start, table)
        if early:
            return Estimate(kind, cover, (("early_death", table.early_death),), table.early_death, True, scholarship,
                            ("three_months", "early_breakdown"))
        parts = (("death_lump_sum", table.death_lump_sum), ("periodic", table.periodic), ("funeral", table.funeral))
        return Estimate(kind, cover, parts, sum(a for _, a in parts), False, scholarship, ())
    if kind == JKK_DEATH:
        parts = (("jkk_death", table.jkk_death_multiplier * table.reported_income), ("periodic", table.periodic),
                 ("funeral", table.funeral))
        return Estimate(kind, cover, parts, sum(a for _, a in parts), False, scholarship, ())
    parts = (("medical", 0), ("stmb", table.reported_income))
    return Estimate(kind, cover, parts, None, False, False, ("jkk_bpu_filing",))


def report_deadline(accident_day: date, table: BenefitTable = BENEFITS) -> date:
    """The last day to report a work accident to the branch or a PLKK (2 × 24 hours, counted in days)."""
    return accident_day + timedelta(days=table.report_within_days)


def reported_late(accident_day: date, today: date, table: BenefitTable = BENEFITS) -> bool:
    """True when today is past the 2 × 24 hour reporting window of a work accident (DOMAIN.md §3.2)."""
    return today > report_deadline(accident_day, table)


def billing_ends(death_day: date) -> Month:
    """The last month billed after a death: the month of the death; billing stops from the following month."""
    return Month.of(death_day)


def refundable_months(paid: Iterable[Month], death_day: date) -> list[Month]:
    """Prepaid months after the month of the death, refunded with the claim (DOMAIN.md §1.3), in order."""
    last = billing_ends(death_day)
    return sorted(month for month in set(paid) if month > last)
