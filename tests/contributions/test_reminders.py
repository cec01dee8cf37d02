"""Contribution reminders through the core, the clock moved by the test (handlers/contributions/reminders.py): on
the right days, once, in the morning, with the right amounts, snoozed to the next morning, planned once."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from bot.app import App
from db.models import Contribution, OutboxMessage
from handlers.engine.types import Choice
from tests.contributions.steps import at, seed, tick
from tests.people import Person, any_text
from tests.records import stored
from tests.seed import seed_sponsorships


async def test_reminders_come_on_the_right_days_once_and_skip_the_stale(app, inbox, clock) -> None:
    await seed(app, start=date(2026, 11, 1))
    asn = "100000"
    await tick(app, clock, at(date(2026, 11, 8)))
    assert inbox.inbox[asn] == []  # 8 days before the due date (Mon 16 Nov: the 15th is a Sunday)
    await tick(app, clock, at(date(2026, 11, 9)))
    first = inbox.inbox[asn][-1]
    assert "November 2026" in first.text and "Rp8.400" in first.text and "16 November 2026" in first.text
    assert [o.label for o in first.options] == ["Sudah bayar", "Ingatkan nanti"]
    await tick(app, clock, at(date(2026, 11, 9), 15))
    await tick(app, clock, at(date(2026, 11, 12)))
    assert len(inbox.inbox[asn]) == 1  # the same reminder is never sent twice
    await tick(app, clock, at(date(2026, 11, 13)))
    assert len(inbox.inbox[asn]) == 2 and "3 hari lagi" in inbox.inbox[asn][-1].text
    # The bot is down from the 14th to the 17th: the day-before reminder is stale and skipped.
    await tick(app, clock, at(date(2026, 11, 17)))
    assert len(inbox.inbox[asn]) == 3 and "TIDAK terlindungi" in inbox.inbox[asn][-1].text
    keys = sorted(row.key for row in await stored(app, OutboxMessage) if row.key.startswith("reminder:"))
    assert [k.rsplit(":", 1)[1] for k in keys] == ["-3", "-7", "1"]


async def test_reminders_wait_for_the_morning(app, inbox, clock) -> None:
    await seed(app, start=date(2026, 11, 1))
    await tick(app, clock, at(date(2026, 11, 9), 22))
    assert inbox.inbox["100000"] == []  # planned at night, held
    await tick(app, clock, at(date(2026, 11, 10), 7))
    assert inbox.inbox["100000"] == []
    await tick(app, clock, at(date(2026, 11, 10), 8))
    assert len(inbox.inbox["100000"]) == 1


async def test_discount_and_sector_in_the_amounts(app, inbox, clock) -> None:
    await seed(app, start=date(2027, 1, 1), count=1, occupation="tukang_ojek")
    async with app.sessions() as session, session.begin():
        await seed_sponsorships(session, 1, start=date(2027, 1, 1), occupation="petani", address_base=200_000)
    await tick(app, clock, at(date(2027, 1, 8)))
    assert "Rp8.400" in inbox.inbox["100000"][-1].text  # transport: discounted until March 2027
    assert "Rp16.800" in inbox.inbox["200000"][-1].text  # other sectors: back to the full tariff in 2027


async def test_remind_me_later_comes_back_tomorrow_morning(app, inbox, clock) -> None:
    await seed(app, start=date(2026, 11, 1))
    await tick(app, clock, at(date(2026, 11, 9), 19))
    asn = Person(app, "100000")
    await asn.send(Choice(inbox.inbox["100000"][-1].options[1].id))
    assert any_text(asn.last, "besok pukul 08:00")
    await tick(app, clock, at(date(2026, 11, 9), 21))
    assert len(inbox.inbox["100000"]) == 1
    await tick(app, clock, at(date(2026, 11, 10), 8))
    assert len(inbox.inbox["100000"]) == 2 and "Pengingat: iuran" in inbox.inbox["100000"][-1].text


async def test_two_planners_at_once_plan_nothing_twice(app, settings, clock) -> None:
    await seed(app, start=date(2026, 11, 1), count=50)
    other = App(settings, clock=clock)
    await other.prepare()
    moment = at(date(2026, 11, 9))
    import asyncio

    await asyncio.gather(app.planner.plan(moment), other.planner.plan(moment), app.planner.plan(moment))
    await other.stop()
    async with app.sessions() as session:
        count = (await session.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()
        months = (await session.execute(select(func.count()).select_from(Contribution))).scalar_one()
    assert (count, months) == (50, 50)
