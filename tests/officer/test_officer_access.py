"""Officers only, and seen to be (handlers/engine/access.py): a non-officer is refused and the attempt audited."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from db.models import AuditEntry
from handlers.engine.types import Choice
from tests.people import Person, agree_privacy, any_text


async def test_non_officers_are_refused_and_the_attempt_audited(app: App) -> None:
    person = Person(app, "curious")
    await agree_privacy(person)
    await person.say("/petugas")
    assert any_text(person.last, "hanya untuk petugas")
    await person.send(Choice("!asn.ok:1"))  # a forged button
    assert any_text(person.last, "hanya untuk petugas")
    async with app.sessions() as session:
        denied = (await session.execute(select(AuditEntry).where(AuditEntry.action == "denied"))).scalars().all()
    assert [d.actor for d in denied] == ["console:curious", "console:curious"]
