"""Contribution steps: sponsorships seeded from a start date, the heartbeat at a moment, a receipt waiting."""

from __future__ import annotations

from datetime import date, datetime, timezone

from bot.app import App
from handlers.engine.types import Choice
from tests.conftest import Clock
from tests.people import JPEG, Person, RecordingChannel, deliver
from tests.seed import seed_sponsorships

WIB = 7  # hours ahead of UTC


def at(day: date, hour: int = 9) -> datetime:
    """`hour` o'clock in the programme's time zone (WIB) on `day`, as UTC."""
    return datetime(day.year, day.month, day.day, hour - WIB if hour >= WIB else 0, tzinfo=timezone.utc)


async def seed(app: App, start: date, count: int = 1, occupation: str = "nelayan") -> list[int]:
    """`count` approved ASNs (addresses "100000", ...) each sponsoring an active worker; the sponsorship ids."""
    async with app.sessions() as session, session.begin():
        return await seed_sponsorships(session, count, start=start, occupation=occupation)


async def tick(app: App, clock: Clock, moment: datetime) -> None:
    """The heartbeat at `moment`: plan, then deliver everything that may go out now."""
    clock.now = moment
    await app.planner.plan(moment)
    await deliver(app)


async def a_receipt_waiting(app: App, inbox: RecordingChannel, clock: Clock) -> Person:
    """The ASN "100000" paid November 2026 from the reminder of 9 November and sent a photo: it waits for an
    officer."""
    await seed(app, start=date(2026, 11, 1))
    await tick(app, clock, at(date(2026, 11, 9)))
    asn = Person(app, "100000")
    await asn.send(Choice(inbox.inbox["100000"][-1].options[0].id))
    await asn.press("Selesai")
    await asn.upload(inbox, JPEG, kind="photo")
    await asn.press("✅")
    await deliver(app)
    return asn
