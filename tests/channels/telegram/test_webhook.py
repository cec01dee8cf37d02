"""The Telegram webhook: the secret checked, nothing forged stored, bad bodies 400, a call with a file answered once
its event is committed."""

from __future__ import annotations

import json

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import App
from db.models import Chat, ProcessedEvent
from tests.chat_people import NOTICE, TgPerson, agree
from tests.conftest import free_port
from tests.people import JPEG
from tests.records import read_scalar, scalar
from tests.standins.apps import telegram_settings


@pytest.mark.standin_seed(telegram=7)
async def test_webhook_checks_the_secret_and_stores_nothing_forged(db_url, tmp_path, telegram) -> None:
    settings = telegram_settings(db_url, tmp_path, telegram)
    url = f"http://127.0.0.1:{settings.server.port}/telegram/webhook"
    settings = telegram_settings(db_url, tmp_path, telegram, telegram={
        "webhook_url": url, "webhook_secret": "s3cret-Token_value"}, server={"port": settings.server.port})
    telegram_app = App(settings)
    await telegram_app.start()
    try:
        assert telegram.webhook_url == url and telegram.webhook_secret == "s3cret-Token_value"
        person = TgPerson(telegram, 504)
        await person.say("/start", "Apakah Anda setuju?")
        forged = {"update_id": 999_999, "message": {"message_id": 1, "date": 0, "text": "/start",
                                                    "chat": {"id": 666, "type": "private"},
                                                    "from": {"id": 666, "is_bot": False, "first_name": "X"}}}
        assert await telegram.post_to_webhook(forged, secret="wrong") == 401
        assert await telegram.post_to_webhook(forged, secret=None) == 401
        assert await scalar(telegram_app, select(func.count()).select_from(Chat).where(Chat.address == "666")) == 0
        assert await scalar(telegram_app, select(func.count()).select_from(ProcessedEvent)) == 1
        assert await telegram.post_to_webhook(forged, secret="s3cret-Token_value") == 200
        assert await scalar(telegram_app, select(func.count()).select_from(Chat).where(Chat.address == "666")) == 1
    finally:
        await telegram_app.stop()


@pytest.mark.standin_seed(telegram=5)
async def test_bad_webhook_bodies_are_400_and_store_nothing(db_url, tmp_path, telegram) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    settings = telegram_settings(db_url, tmp_path, telegram, server={"port": port},
                                 telegram={"webhook_url": url, "webhook_secret": "s3cret"})
    app = App(settings)
    await app.start()
    message = {"message_id": 1, "date": 0, "text": "/start", "from": {"id": 66, "is_bot": False, "first_name": "X"}}
    bodies = [json.dumps({"update_id": 1, "message": message}),  # no chat
              json.dumps({"update_id": 2, "message": "a string where an object belongs"}),
              json.dumps({"update_id": 3, "callback_query": {"id": "1", "data": "1|x", "from": []}}),
              "[" * 100_000 + "]" * 100_000,  # deeply nested array
              '{"update_id": 4, "message": ' + "[" * 5000 + "]" * 5000 + "}",
              "not json at all"]
    try:
        async with aiohttp.ClientSession() as http:
            statuses = []
            for body in bodies:
                async with http.post(url, data=body, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret",
                                                              "Content-Type": "application/json"}) as response:
                    statuses.append(response.status)
        assert statuses == [400] * len(bodies)
        assert await read_scalar(app, select(func.count()).select_from(Chat)) == 0
        assert await read_scalar(app, select(func.count()).select_from(ProcessedEvent)) == 0
        await TgPerson(telegram, 813).say("/start", NOTICE)  # and the webhook still works
    finally:
        await app.stop()


@pytest.mark.standin_seed(telegram=5)
async def test_a_webhook_call_with_a_file_is_answered_after_its_event_is_committed(db_url, tmp_path, telegram) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    app = App(telegram_settings(db_url, tmp_path, telegram, server={"port": port}, telegram={"webhook_url": url}))
    await app.start()
    try:
        slow, other = TgPerson(telegram, 816), TgPerson(telegram, 817)
        await agree(slow)
        telegram.download_delay = 3.0
        photo = telegram.push_photo(816, JPEG)
        await telegram.wait_until(lambda: telegram.calls["getFile"] >= 1)  # the download starts
        await other.say("/start", NOTICE)  # another call is served meanwhile
        assert photo not in {delivery["update_id"] for delivery in telegram.webhook_deliveries}  # still held
        await telegram.wait_webhook_idle(timeout=30)
        committed = await read_scalar(app, select(func.count()).select_from(ProcessedEvent)
                                .where(ProcessedEvent.event_id == f"u{photo}"))
        await slow.say("/menu", "Menu utama")
    finally:
        await app.stop()
    assert [d["attempt"] for d in telegram.webhook_deliveries if d["update_id"] == photo] == [1]
    assert committed == 1
