"""What the family and the sponsor read of the benefit (handlers/claims/common.py, db/rules/claims.py): Rp10 jt in
the first three months, nothing promised for an unpaid month, said kindly."""

from __future__ import annotations

from datetime import date

from bot.app import App
from db.rules.months import Month
from tests.claims.steps import report_as_sponsor, seed_worker
from tests.people import Person, any_text


async def test_a_death_in_the_first_three_months_is_estimated_at_rp10_jt(app: App, inbox, clock) -> None:
    _, asn = await seed_worker(app, start=date(2026, 10, 1), paid_through=Month(2026, 11))
    sponsor = Person(app, asn)
    await report_as_sponsor(sponsor, when="2 november 2026")
    assert any_text(sponsor.last, "Rp10.000.000") and any_text(sponsor.last, "belum 3 bulan")
    assert any_text(sponsor.last, "akan memastikannya")  # the uncertain rule is said to be confirmed


async def test_an_unpaid_month_means_not_covered_said_kindly(app: App, inbox, clock) -> None:
    _, asn = await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 9))
    sponsor = Person(app, asn)
    await report_as_sponsor(sponsor, when="20-11-2026")
    assert any_text(sponsor.last, "tidak terlindungi") and any_text(sponsor.last, "kami teruskan ke petugas")
    assert not any_text(sponsor.last, "BPJS Kesehatan")  # no medical-care advice after a death
    assert not any_text(sponsor.last, "Rp42.000.000")
