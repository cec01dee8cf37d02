"""What the bot keeps of messages, and how long (issue 18): what people type on WhatsApp loses its text once
processed, direct replies once sent, one-time codes a day after sending, a notification's text once its "Buka"
button can no longer be pressed ([retention] open_days); ids of handled messages are kept for the de-duplication
window, so Meta's retries are still processed once, then deleted. Time passes with the Clock, over real HTTP
against the WhatsApp stand-in."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import housekeeping
from bot.app import App
from bot.config import Settings
from db.models import OutboxMessage, ProcessedEvent, WhatsAppInbox
from tests.chat_people import WaPerson, agree, register
from tests.conftest import Clock
from tests.people import NIP_PNS, Person, RecordingChannel, agree_privacy
from tests.records import rows
from tests.standins.apps import WHATSAPP_OFFICER as OFFICER
from tests.standins.apps import start_app, whatsapp_settings
from tests.standins.whatsapp import WhatsAppStandin

pytestmark = pytest.mark.standin_seed(whatsapp=18)


TYPED_NIK = "1377015507900002"  # typed at the menu, where nothing asks for it: only the chat ever held it


@pytest.fixture
async def app(db_url: str, tmp_path: Path, whatsapp: WhatsAppStandin, clock: Clock):
    settings = whatsapp_settings(db_url, tmp_path, whatsapp, officers={"whatsapp": [OFFICER], "telegram": []},
                                 scheduler={"heartbeat_seconds": 3600})
    app = await start_app(settings, clock=clock, whatsapp=whatsapp)
    app.add_channel(RecordingChannel())  # the terminal, for a person linking a second chat
    yield app
    await app.stop()


async def eventually(check: Callable[[], Any]) -> None:
    """Wait (in steps of 50 ms of real time, at most 5 s) until the async `check` returns true."""
    for _ in range(100):
        if await check():
            return
        await asyncio.sleep(0.05)
    assert await check()


async def bodies(app: App) -> str:
    """Every message body the database holds, outbox and inbox, as one text."""
    kept = await rows(app, select(OutboxMessage.payload)) + await rows(app, select(WhatsAppInbox.item))
    return json.dumps([body for body, in kept], ensure_ascii=False)


def database_bytes(app: App) -> bytes:
    """The SQLite file and its write-ahead log as they are on disk (b"" on PostgreSQL), once the log is written
    back into the file."""
    if app.engine.dialect.name != "sqlite":
        return b""
    path = Path(app.engine.url.database or "")
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


async def test_what_people_type_is_blanked_once_processed_and_a_retry_still_counts_once(
        app: App, whatsapp: WhatsAppStandin, clock: Clock) -> None:
    person = WaPerson(whatsapp, "6281255550000")
    await agree(person)
    wamid = whatsapp.send_text(person.phone, TYPED_NIK)
    await person.expect("pilih salah satu tombol")
    done = select(func.count()).select_from(WhatsAppInbox).where(WhatsAppInbox.processed_at.is_(None))
    await eventually(lambda: _is(rows(app, done), [(0,)]))
    assert TYPED_NIK not in await bodies(app)  # processed: the text is gone, the wamid stays
    assert await rows(app, select(WhatsAppInbox.item).where(WhatsAppInbox.item_key == wamid)) == [({},)]
    # Six days later Meta delivers the same message again: still recognised, not answered twice.
    clock.advance(days=6)
    await app.heartbeat()
    duplicates = app.whatsapp_inbox.counters["duplicates"]
    whatsapp.inbound(person.phone, {"type": "text", "text": {"body": TYPED_NIK}}, wamid=wamid)
    await whatsapp.idle()
    assert app.whatsapp_inbox.counters["duplicates"] == duplicates + 1
    assert sum("pilih salah satu tombol" in text for text in person.texts()) == 1
    # Past the de-duplication window ([retention] dedup_days = 10) the rows themselves go.
    clock.advance(days=5)
    await app.heartbeat()
    assert await rows(app, select(WhatsAppInbox.id).where(WhatsAppInbox.item_key == wamid)) == []
    assert await rows(app, select(ProcessedEvent.event_id).where(ProcessedEvent.event_id == wamid)) == []
    assert TYPED_NIK.encode() not in database_bytes(app)


async def test_buka_shows_a_notification_while_its_text_is_kept_and_says_when_it_is_not(
        app: App, whatsapp: WhatsAppStandin, clock: Clock) -> None:
    officer, asn = WaPerson(whatsapp, OFFICER), WaPerson(whatsapp, "6281234567890")
    await agree(officer)
    clock.advance(days=2)  # the officer's 24-hour window has closed: notices reach them as templates
    whatsapp.advance(hours=48)
    await register(asn)
    notice = await officer.find("menunggu persetujuan")
    assert notice["kind"] == "template" and notice["choices"][0]["title"] == "Buka"
    # The ASN's own replies (their NIP, their phone) lose their text as soon as they are sent.
    replies = select(OutboxMessage.status, OutboxMessage.payload).where(OutboxMessage.key.like("reply:%"))
    await eventually(lambda: _all(rows(app, replies), lambda row: row.status == "sent" and row.payload == {}))
    clock.advance(days=29)
    await app.heartbeat()
    await officer.press("Buka", NIP_PNS)  # within [retention] open_days: the whole notice, full NIP and buttons
    clock.advance(days=2)
    await app.heartbeat()
    assert NIP_PNS not in await bodies(app)
    gone = await officer.press("Buka", "sudah tidak kami simpan")
    assert "Menu utama" in gone["text"]  # and the question they were at, to go on from


async def test_a_one_time_code_is_kept_a_day_for_a_resend_then_blanked(app: App, whatsapp: WhatsAppStandin,
                                                                       clock: Clock) -> None:
    home = WaPerson(whatsapp, "6281234567890")
    await register(home)
    second = Person(app, "laptop")  # the same ASN, linking the terminal
    await agree_privacy(second)
    await second.press("🔗 Hubungkan akun")
    await second.say(NIP_PNS)
    message = await home.expect("Kodenya:")
    code = message["text"].split("Kodenya: ")[1][:6]
    await second.say(code)
    assert any("Kode benar" in reply.text for reply in second.last)
    sent = select(OutboxMessage.status).where(OutboxMessage.key.like("link_code:%"))
    await eventually(lambda: _is(rows(app, sent), [("sent",)]))
    clock.advance(hours=23)  # WhatsApp may still report a failed delivery: the code could be sent again
    await app.heartbeat()
    assert code in await bodies(app)
    clock.advance(hours=2)  # past [retention] resend_hours = 24
    await app.heartbeat()
    assert code not in await bodies(app)
    assert await rows(app, select(OutboxMessage.payload).where(OutboxMessage.key.like("link_code:%"))) == [({},)]


async def test_retention_works_in_bounded_batches(settings: Settings, clock: Clock,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(housekeeping, "BATCH", 3)
    monkeypatch.setattr(housekeeping, "MAX_BATCHES", 2)
    app = App(settings, clock=clock)
    await app.prepare()
    try:
        async with app.sessions() as session, session.begin():
            session.add_all(ProcessedEvent(channel="telegram", event_id=f"u{n}", processed_at=clock())
                            for n in range(10))
        clock.advance(days=9)
        assert (await app.housekeeping.prune(clock()))["event ids deleted"] == 0  # inside the window
        clock.advance(days=2)
        assert (await app.housekeeping.prune(clock()))["event ids deleted"] == 6  # two batches of three at most
        assert (await app.housekeeping.prune(clock()))["event ids deleted"] == 4  # the rest at the next pass
    finally:
        await app.engine.dispose()


async def _is(query: Any, expected: Any) -> bool:
    return await query == expected


async def _all(query: Any, test: Callable[[Any], bool]) -> bool:
    found = await query
    return bool(found) and all(test(row) for row in found)


async def test_a_message_blanked_then_due_again_is_given_up_not_sent_empty(settings: Settings, clock: Clock) -> None:
    # A late "failed" status can put a WhatsApp message back in the queue after its text was blanked.
    app = App(settings, clock=clock)
    await app.prepare()
    channel = RecordingChannel()
    app.add_channel(channel)
    try:
        async with app.sessions() as session, session.begin():
            session.add(OutboxMessage(key="notice:1", channel="console", address="asn", payload={},
                                      next_attempt_at=clock(), created_at=clock()))
        assert await app.deliverer.deliver_once() == 1
        assert channel.inbox == {}
        assert await rows(app, select(OutboxMessage.status, OutboxMessage.last_error)) == [
            ("failed", "body no longer kept")]
    finally:
        await app.engine.dispose()
