"""Work accidents: an injury reads as one, a family joining a work-accident death hears the 2 x 24 hours, and such a
death brings a yearly scholarship reminder."""

from __future__ import annotations

from datetime import date

import pytest

from bot.app import App
from db.models import Claim
from db.rules.months import Month
from handlers.engine.types import Choice
from tests.claims.steps import report_death, seed_worker, start_report
from tests.people import NIK_MALE, Person, agree_privacy, an_officer, any_text, deliver
from tests.seed import T0


async def _chat(session, address: str) -> int:  # type: ignore[no-untyped-def]
    from db import queries

    chat = await queries.create_chat(session, channel="console", address=address, now=T0)
    return chat.id


async def test_a_work_accident_reads_as_an_injury(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 9))  # October unpaid: not covered
    family = Person(app, "family")
    await agree_privacy(family)
    await family.say("/klaim")
    await family.press("Laporkan musibah")
    await family.press("Setuju")
    await family.press("Dengan NIK")
    await family.say(NIK_MALE)
    assert not any(o.label[:1].isdigit() for o in family.prompt().options)  # no "1. 1. S. R." on the terminal
    await family.press("S. R.")
    await family.say("kecelakaan kerja")
    await family.say("besok")
    assert any_text(family.last, "21-11-2026") and not any_text(family.last, "1975")  # an example that fits
    for answer in ("kemarin", "Di laut", "Jari terjepit jaring."):
        await family.say(answer)
    await family.say("tidak")  # not a traffic accident
    await family.say("Yusnidar")
    await family.say("istri")
    await family.say("0812-9876-5432")
    assert any_text(family.last, "Periksa laporan")  # no heir question for an injury
    await family.say("simpan")
    assert not any_text(family.last, "berduka") and any_text(family.last, "lekas pulih")
    assert any_text(family.last, "BPJS Kesehatan") and any_text(family.last, "2 × 24 jam")  # whatever the cover


@pytest.mark.standin_seed(telegram=18)
async def test_a_family_joining_a_work_accident_death_hears_the_2x24_hours(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    first = Person(app, "first")
    await report_death(first)
    second = Person(app, "second")
    await start_report(second)
    await second.press("Meninggal krn kerja")
    for answer in ("kemarin", "Di laut", "Perahu terbalik."):
        await second.say(answer)
    await second.press("Tidak")  # not a traffic accident
    await second.say("Rahmat")
    await second.press("Anak")
    await second.say("0813-1111-2222")
    await second.press("Ya")
    await second.press("✅")
    assert any_text(second.last, "digabungkan") and any_text(second.last, "2 × 24 jam")


async def test_a_work_accident_death_brings_a_yearly_scholarship_reminder(app: App, inbox, clock) -> None:
    await seed_worker(app, start=date(2026, 6, 1), paid_through=Month(2026, 12))
    async with app.sessions() as session, session.begin():
        session.add(Claim(worker_id=1, sponsorship_id=1, kind="jkk_death", event_date=date(2026, 11, 1), place="Laut",
                          description="Perahu terbalik", reporter_chat_id=await _chat(session, "family"),
                          reporter_name="Yusnidar", reporter_relation="spouse", reporter_phone="+6281298765432",
                          reporter_is_heir=True, reporter_consent_at=clock.now, estimate=70_000_000, scholarship=True,
                          status="forwarded", requested={}, reference="KLM-2026-000001", created_at=clock.now,
                          updated_at=clock.now, death_confirmed_at=clock.now, death_confirmed_by="console:officer"))
    officer = await an_officer(app)
    await officer.send(Choice("!klm.pay:1"))
    await officer.say("70.000.000")
    await officer.press("Hari ini")
    await officer.press("✅")

    async def reminders() -> list[str]:
        await app.heartbeat()
        await deliver(app)
        return [r.text for r in inbox.inbox["family"] if "beasiswa" in r.text]
    assert await reminders() == []
    clock.advance(days=364)
    assert await reminders() == []
    clock.advance(days=1)  # a year after payout, and again the year after; once each
    assert len(await reminders()) == 1
    clock.advance(days=2)
    assert len(await reminders()) == 1
    clock.advance(days=365)
    assert len(await reminders()) == 2
