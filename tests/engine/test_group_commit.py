"""Group commit writes each changed chat row once per batch, and the rows hold every event's last state."""

from __future__ import annotations

import asyncio

from sqlalchemy import event, select

from db.models import Chat
from tests.people import NIP_PNS, Person, agree_privacy


def count_chat_updates(app) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    @event.listens_for(app.engine.sync_engine, "before_cursor_execute")
    def _seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE CHATS"):
            seen.append(statement)

    return seen


async def test_a_batch_writes_each_chat_once_and_keeps_every_change(app) -> None:
    people = [Person(app, f"held-{i}") for i in range(20)]
    await asyncio.gather(*(person.say("/start") for person in people))
    updates = count_chat_updates(app)
    batches = app.core.counters["batches"]
    await asyncio.gather(*(person.press("Saya setuju") for person in people))
    batches = app.core.counters["batches"] - batches
    # Each person's chat moved on (agreed, menu shown): one statement per set of changed columns and batch, not one
    # or two per person.
    assert 1 <= len(updates) <= 3 * batches < len(people)
    async with app.read_sessions() as session:
        rows = {row.address: row for row in (await session.execute(select(Chat))).scalars()}
    for person in people:
        assert rows[person.address].privacy_agreed_at is not None
        assert rows[person.address].version == person.last[-1].token  # the buttons just sent are current


async def test_a_second_message_in_the_same_batch_sees_the_first(app) -> None:
    person = Person(app, "held-twice")
    await agree_privacy(person)
    await person.press("Daftar sebagai ASN")
    batches = app.core.counters["batches"]
    nip, name = await asyncio.gather(person.say(NIP_PNS), person.say("Rahmat Hidayat"))
    assert app.core.counters["batches"] == batches + 1  # both in one transaction
    assert "Nama lengkap Anda" in nip[-1].text
    assert "OPD" in name[-1].text  # the name was taken as the name: the NIP's step change was seen
    async with app.read_sessions() as session:
        chat = (await session.execute(select(Chat).where(Chat.address == "held-twice"))).scalar_one()
    assert (chat.flow, chat.step) == ("asn_register", "opd")
    assert chat.answers["nip"] == NIP_PNS and chat.answers["name"] == "Rahmat Hidayat"
