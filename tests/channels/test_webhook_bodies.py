"""Signed webhook bodies in shapes Meta never documented are answered 200 (or 400 when not JSON at all) with one log
line, never 500 and never a traceback: a 500 makes Meta send the call again for days (issue 18, item 6: a body
nested 100,000 deep gave a RecursionError traceback, `{"entry":[1]}` gave 500). The Telegram webhook is probed
with the same kind of bodies. Through the real web server on 127.0.0.1; `items_of` and `payload_of` are checked
on arbitrary JSON."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import App
from bot.channels.whatsapp_render import payload_of
from bot.channels.whatsapp_webhook import items_of
from db.models import OutboxMessage, WhatsAppInbox
from tests.chat_people import WaPerson
from tests.conftest import Clock
from tests.seed import seed_sponsorships
from tests.standins.apps import start_app, whatsapp_settings
from tests.standins.telegram import TelegramStandin
from tests.standins.whatsapp import WhatsAppStandin

pytestmark = pytest.mark.standin_seed(whatsapp=6, telegram=6)


NOW = datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc)
PHONE = "6281277770000"
SECRET = "s3cret"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def call(*, messages: Any = None, contacts: Any = None, statuses: Any = None) -> dict[str, Any]:
    value: dict[str, Any] = {"messaging_product": "whatsapp"}
    for key, given_value in (("messages", messages), ("contacts", contacts), ("statuses", statuses)):
        if given_value is not None:
            value[key] = given_value
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"value": value}]}]}


def text(wamid: Any, body: Any = "halo", **extra: Any) -> dict[str, Any]:
    return {"from": PHONE, "id": wamid, "timestamp": "1", "type": "text", "text": {"body": body}, **extra}


# Each: a signed body, and the status it must get.
WHATSAPP_BODIES: list[tuple[str, bytes | dict[str, Any], int]] = [
    ("nested 100,000 deep", nested(100_000).encode(), 400),
    ("entry nested 100,000 deep", ('{"entry":' + nested(100_000) + "}").encode(), 400),
    ("not JSON", b"{not json", 400),
    ("not UTF-8", b'{"entry": "\xff"}', 400),
    ("entry of a number", {"entry": [1]}, 200),
    ("messages of wrong things", {"entry": [{"changes": [{"value": {"messages": [1, "x", {"id": 5}]}}]}]}, 200),
    ("a list", [1, 2], 200),
    ("a string", "entry", 200),
    ("null", None, 200),
    ("entry a dict", {"entry": {"changes": []}}, 200),
    ("changes a string", {"entry": [{"changes": "x"}]}, 200),
    ("changes of numbers", {"entry": [{"changes": [1, None, [2]]}]}, 200),
    ("value a list", {"entry": [{"changes": [{"value": [1]}]}]}, 200),
    ("messages a dict", call(messages={"id": "wamid.X"}), 200),
    ("contacts a string", call(messages=[text("wamid.c1")], contacts="x"), 200),
    ("contacts of wrong things", call(messages=[text("wamid.c2")], contacts=[1, {"wa_id": [1], "profile": "x"}]),
     200),
    ("profile name a dict", call(messages=[text("wamid.c3")],
                                 contacts=[{"wa_id": PHONE, "profile": {"name": {"first": "A"}}}]), 200),
    ("id a list", call(messages=[text(["wamid.L"])]), 200),
    ("id true", call(messages=[text(True)]), 200),
    ("from a dict", call(messages=[{**text("wamid.f"), "from": {"n": 1}}]), 200),
    ("type a list", call(messages=[{**text("wamid.t"), "type": ["text"]}]), 200),
    ("text a string", call(messages=[{**text("wamid.s"), "text": "halo"}]), 200),
    ("interactive of numbers", call(messages=[{**text("wamid.i"), "type": "interactive", "interactive": 5}]), 200),
    ("interactive type a list", call(messages=[{**text("wamid.i2"), "type": "interactive",
                                                "interactive": {"type": ["a"], "a": 1}}]), 200),
    ("image a string", call(messages=[{**text("wamid.m"), "type": "image", "image": "x"}]), 200),
    ("contacts message of numbers", call(messages=[{**text("wamid.k"), "type": "contacts", "contacts": [1, {
        "phones": "x"}]}]), 200),
    ("location of words", call(messages=[{**text("wamid.g"), "type": "location",
                                          "location": {"latitude": "north", "longitude": []}}]), 200),
    ("a message nested 900 deep", ('{"entry":[{"changes":[{"value":{"messages":[{"from":"' + PHONE
                                   + '","id":"wamid.deep","type":"text","text":{"body":' + nested(900)
                                   + "}}]}}]}]}").encode(), 200),
    ("statuses of wrong things", call(statuses=[1, {"id": ["x"], "status": "sent"}, {"id": "w", "status": 5},
                                                {"id": "wamid.unknown", "status": "failed", "errors": {"code": 1},
                                                 "recipient_id": PHONE}]), 200),
]


@pytest.fixture
async def app(db_url: str, tmp_path: Path, whatsapp: WhatsAppStandin, telegram: TelegramStandin) -> AsyncIterator[App]:
    settings = whatsapp_settings(db_url, tmp_path, whatsapp, scheduler={"heartbeat_seconds": 3600})
    port = settings.server.port
    settings = whatsapp_settings(db_url, tmp_path, whatsapp, scheduler={"heartbeat_seconds": 3600},
                                 server={"port": port},
                                 telegram={"token": telegram.token, "api_base": telegram.api_base,
                                           "webhook_url": f"http://127.0.0.1:{port}/telegram/webhook",
                                           "webhook_secret": SECRET})
    # a week before a due date
    app = await start_app(settings, clock=Clock(datetime(2026, 11, 9, 2, 0, tzinfo=timezone.utc)), whatsapp=whatsapp)
    yield app
    await app.stop()


async def test_malformed_signed_whatsapp_bodies_get_200_or_400_and_one_log_line(
        app: App, whatsapp: WhatsAppStandin, caplog: pytest.LogCaptureFixture) -> None:
    person = WaPerson(whatsapp, PHONE)
    whatsapp._last_inbound[PHONE] = whatsapp.now()  # the window is open for the answers to the odd messages
    caplog.set_level(logging.WARNING)
    for name, body, status in WHATSAPP_BODIES:
        caplog.clear()
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        assert (name, await whatsapp.post(raw)) == (name, status)
        from_web = [r for r in caplog.records if r.name == "bot.web"]
        assert len(from_web) <= 1, (name, [r.getMessage() for r in from_web])
        assert not any(r.exc_info for r in caplog.records), (name, caplog.text)
    await whatsapp.idle()
    # The odd messages that had an id and a sender were stored and answered politely; the rest was skipped.
    await person.say("halo", "Apakah Anda setuju?")
    await whatsapp.idle()
    assert not any(r.exc_info or r.levelno >= logging.ERROR for r in caplog.records), caplog.text
    assert app.core.counters["errors"] == 0
    for _ in range(100):  # every stored message was processed (done marks are written in batches, just after)
        if not await unprocessed_messages(app):
            break
        await asyncio.sleep(0.05)
    assert await unprocessed_messages(app) == []


async def unprocessed_messages(app: App) -> list[str]:
    async with app.sessions() as session:
        return list((await session.execute(select(WhatsAppInbox.item_key).where(
            WhatsAppInbox.kind == "message", WhatsAppInbox.processed_at.is_(None)))).scalars().all())


@pytest.mark.parametrize("errors", [{"code": 131026}, "x", [{"code": [131026]}], [{"code": "131026"}]])
async def test_a_failed_status_with_odd_errors_is_applied_without_a_traceback(
        app: App, whatsapp: WhatsAppStandin, caplog: pytest.LogCaptureFixture, errors: Any) -> None:
    """A reminder's failure status whose "errors" is not Meta's list of {code}: the send is retried like any
    failure of unknown cause (the old code raised, and the statuses batch was never applied)."""
    async with app.sessions() as session, session.begin():
        await seed_sponsorships(session, 1, start=date(2026, 11, 1), channel="whatsapp", address_base=6281500000000)
    whatsapp.post_statuses = False
    await app.heartbeat()
    wamid = await whatsapp.wait_until(lambda: next((r["wamid"] for r in whatsapp.sent
                                                    if r["to"] == "6281500000000"), None))
    caplog.set_level(logging.WARNING)
    assert await whatsapp.post(whatsapp.envelope("statuses", statuses=[{
        "id": wamid, "status": "failed", "timestamp": "1", "recipient_id": "6281500000000", "errors": errors}])) == 200
    for _ in range(100):
        async with app.sessions() as session:
            reminder = select(OutboxMessage).where(OutboxMessage.key.like("reminder:%"))
            row = (await session.execute(reminder)).scalar_one()
        if row.delivery == "failed":
            break
        await asyncio.sleep(0.05)
    assert (row.delivery, row.status) == ("failed", "pending")  # tried again later, not given up or unreachable
    assert not any(r.exc_info for r in caplog.records), caplog.text


async def test_a_numeric_message_id_is_taken_as_its_text(app: App, whatsapp: WhatsAppStandin) -> None:
    person = WaPerson(whatsapp, PHONE)
    whatsapp._last_inbound[PHONE] = whatsapp.now()
    assert await whatsapp.post(call(messages=[text(5)], contacts=[{"wa_id": PHONE, "profile": {"name": "A"}}])) \
        == 200
    await person.expect("Apakah Anda setuju?")
    async with app.sessions() as session:
        keys = (await session.execute(select(WhatsAppInbox.item_key)
                                      .where(WhatsAppInbox.kind == "message"))).scalars().all()
    assert keys == ["5"]


async def test_odd_telegram_webhook_bodies_are_never_500(app: App, caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{app.settings.server.port}/telegram/webhook"
    message = {"message_id": 1, "date": 0, "chat": {"id": 66, "type": "private"},
               "from": {"id": 66, "is_bot": False, "first_name": "X"}}
    bodies = [nested(100_000), '{"update_id": 1, "message": ' + nested(900) + "}",
              '{"update_id": 2, "x": ' + nested(900) + "}", json.dumps({"update_id": True}),
              json.dumps({"update_id": 10 ** 30}), json.dumps({"update_id": 3, "message": {**message, "text": []}}),
              json.dumps({"update_id": 4, "message": {**message, "chat": {"id": "abc", "type": "private"}}}),
              json.dumps({"update_id": 5, "callback_query": {"id": "1", "data": {"a": 1}, "chat_instance": "1",
                                                             "from": message["from"]}}),
              json.dumps({"update_id": 6, "message": {**message, "document": {"file_id": 1}}}),
              json.dumps([1]), json.dumps("x"), "\xff"]
    caplog.set_level(logging.WARNING)
    async with aiohttp.ClientSession() as http:
        for body in bodies:
            async with http.post(url, data=body.encode("utf-8", "surrogateescape"),
                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                assert response.status in (200, 400), (body[:60], response.status)
    assert not any(r.exc_info for r in caplog.records), caplog.text


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["entry", "changes", "value", "messages", "contacts", "statuses", "id",
                                         "from", "from_user_id", "wa_id", "user_id", "profile", "name", "status",
                                         "recipient_id", "type", "text", "body", "x"]) | st.text(max_size=4),
                        inner, max_size=5),
                    max_leaves=40)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_items_of_never_raises_on_any_json(data: Any) -> None:
    for row in items_of(data, NOW):
        assert isinstance(row["item_key"], str) and row["item_key"] and isinstance(row["item"], dict)
        assert isinstance(row["address"], str) and (row["address"] or row["kind"] == "status")
        assert row["phone"] is None or isinstance(row["phone"], str)
        assert row["name"] is None or isinstance(row["name"], str)
        json.dumps(row["item"])


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(JSON, st.sampled_from(["text", "interactive", "button", "image", "document", "sticker", "voice",
                              "contacts", "location", "reaction", "order"]))
def test_payload_of_never_raises_on_any_message(data: Any, kind: str) -> None:
    message = {"id": "wamid.P", "from": PHONE, "type": kind}
    if isinstance(data, dict):
        message.update(data)
    else:
        message[kind] = data
    payload_of(message, PHONE)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_items_of_finds_the_messages_in_a_well_formed_call_whatever_surrounds_them(noise: Any) -> None:
    data = call(messages=[text("wamid.keep"), noise], contacts=[noise, {"wa_id": PHONE, "profile": {"name": "A"}}])
    keys = [row["item_key"] for row in items_of(data, NOW)]
    assert "wamid.keep" in keys
