"""The Bot API's errors lose nothing: 429s and 500s retried, a long retry_after moves the reply to the outbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import App
from db.models import Asn, OutboxMessage
from tests.chat_people import NOTICE, TgPerson, register
from tests.conftest import Clock
from tests.records import scalar
from tests.standins.apps import telegram_settings
from tests.standins.telegram import TelegramStandin


@pytest.mark.standin_seed(telegram=7)
async def test_nothing_is_lost_when_the_api_answers_429_and_500(telegram_app: App, telegram: TelegramStandin) -> None:
    telegram.fail_share_429, telegram.fail_share_500 = 0.3, 0.2
    telegram.retry_after_seconds = 1
    # Half of all calls fail, and a reply that fails four times in a row waits for the outbox's backoff (2, 4, 8 s
    # ...): what this test proves is that nothing is lost, however long it takes on a busy machine.
    people = [TgPerson(telegram, 600 + i, patience=90) for i in range(3)]
    await asyncio.gather(*(register(p, nip) for p, nip in zip(people, (
        "198503172010011002", "199001012015012003", "197805202005011001"))))
    assert telegram.errors_returned[429] > 0 and telegram.errors_returned[500] > 0
    assert await scalar(telegram_app, select(func.count()).select_from(Asn)) == 3
    for person in people:  # every reply arrived once, in order
        texts = person.texts()
        assert sum("Periksa data Anda" in t for t in texts) == 1
        assert texts.index(next(t for t in texts if "Periksa data Anda" in t)) < len(texts) - 1


@pytest.mark.standin_seed(telegram=5)
async def test_a_retry_after_of_an_hour_moves_the_reply_to_the_outbox_due_in_an_hour(
        db_url, tmp_path, telegram) -> None:
    clock = Clock()
    app = App(telegram_settings(db_url, tmp_path, telegram), clock=clock)
    await app.start()
    person = TgPerson(telegram, 812)
    try:
        telegram.fail_share_429, telegram.retry_after_seconds = 1.0, 3600
        telegram.push_text(812, "/start")

        async def deferred() -> list[OutboxMessage]:
            async with app.read_sessions() as session:
                return list((await session.execute(select(OutboxMessage).where(
                    OutboxMessage.address == "812", OutboxMessage.status == "pending"))).scalars())
        for _ in range(400):
            rows = await deferred()
            if rows:
                break
            await asyncio.sleep(0.05)  # polls the bot's progress, not a schedule
        assert rows and all(row.key.startswith("reply:telegram:") for row in rows)
        assert {row.next_attempt_at for row in rows} == {clock.now + timedelta(seconds=3600)}
        telegram.fail_share_429 = 0.0
        assert await app.deliverer.deliver_once() == 0  # not due before the hour
        assert not any(NOTICE in text for text in person.texts())
        clock.advance(seconds=3601)
        app.deliverer.wake()
        await person.expect(NOTICE)
    finally:
        await app.stop()
    # The 429, then the deferred replies once each, an hour later.
    assert telegram.calls["sendMessage"] == 1 + len(rows)
    assert sum(NOTICE in text for text in person.texts()) == 1
