"""WhatsApp beyond the conversation, end to end: reminders as templates outside the 24-hour window and as normal
messages inside it, the daily limit, delivery statuses, throughput errors, a restart, an image too big for a photo."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import App
from db.models import Chat, OutboxMessage, WhatsAppInbox
from handlers.engine.types import Reply
from tests.chat_people import WaPerson, agree
from tests.conftest import Clock
from tests.records import rows
from tests.seed import seed_sponsorships
from tests.standins.apps import WHATSAPP_OFFICER as OFFICER
from tests.standins.apps import start_app, whatsapp_settings
from tests.standins.whatsapp import WhatsAppStandin

pytestmark = pytest.mark.standin_seed(whatsapp=5)


JPEG = b"\xff\xd8\xff\xe0" + b"3" * 400


async def start(db_url: str, tmp_path: Path, standin: WhatsAppStandin, clock: Clock | None = None,
                **extra) -> App:  # type: ignore[no-untyped-def]
    """The app on the WhatsApp stand-in with an officer there; the heartbeat only when the test calls it. `extra`:
    sections of settings (a `whatsapp` one is merged)."""
    settings = whatsapp_settings(db_url, tmp_path, standin, officers={"whatsapp": [OFFICER]},
                                 scheduler={"heartbeat_seconds": 3600}, **extra)
    return await start_app(settings, clock=clock, whatsapp=standin)


async def test_reminders_as_templates_outside_the_window_and_text_inside(db_url, tmp_path, whatsapp) -> None:
    clock = Clock(datetime(2026, 11, 9, 2, 0, tzinfo=timezone.utc))  # 09:00 WIB, 7 days before 16 Nov
    app = await start(db_url, tmp_path, whatsapp, clock)
    try:
        async with app.sessions() as session, session.begin():
            await seed_sponsorships(session, 2, start=date(2026, 11, 1), channel="whatsapp",
                                    address_base=6281300000000)
        inside, outside = WaPerson(whatsapp, "6281300000001"), WaPerson(whatsapp, "6281300000000")
        officer = WaPerson(whatsapp, OFFICER)
        await agree(officer)
        await app.heartbeat()
        template = await outside.find("Pengingat iuran")
        assert template["kind"] == "template" and template["template"] == "tuwai_pengingat_iuran"
        assert "Rp8.400" in template["text"] and "\n" not in template["raw"]["template"]["components"][0][
            "parameters"][1]["text"]
        assert (await inside.find("Pengingat iuran"))["kind"] == "template"
        # Four days later one of them writes (the window opens); the next reminder reaches them as a normal message.
        clock.advance(days=4)
        whatsapp.advance(hours=96)
        await inside.say("menu", "Menu utama")
        await app.heartbeat()
        normal = await inside.find("3 hari lagi")
        assert normal["kind"] == "button" and [c["title"] for c in normal["choices"]] == ["Sudah bayar",
                                                                                          "Ingatkan nanti"]
        assert (await outside.find("3 hari lagi"))["kind"] == "template"
        # The template's quick reply works like any button: the payment flow, a receipt photo, the officer.
        await outside.press("Sudah bayar", "Dipilih: 1 bulan")
        await outside.press("Selesai", "bukti bayar")
        whatsapp.send_image(outside.phone, JPEG)
        await outside.expect("Periksa pembayaran")
        await outside.press("Simpan", "menunggu verifikasi")
        await officer.expect("Bukti bayar #1")  # four days after the officer last wrote: a template
        await officer.press("Buka", "Bukti bayar #1")  # shows the notice in full, with its own buttons
        assert [m["kind"] for m in officer.messages()][-2:] == ["image", "button"]  # the receipt itself, first
        assert whatsapp.uploads[-1]["content"] == JPEG
        await officer.press("Terima", "diterima")
        await outside.expect("sudah diverifikasi")
        # Statuses reach the outbox rows.
        await whatsapp.idle()
        deliveries = select(OutboxMessage.delivery).where(OutboxMessage.key.like("reminder:%"))
        for _ in range(50):
            if {delivery for delivery, in await rows(app, deliveries)} == {"delivered"}:
                break
            await asyncio.sleep(0.1)
        assert {delivery for delivery, in await rows(app, deliveries)} == {"delivered"}
    finally:
        await app.stop()


async def test_daily_limit_spreads_reminders_over_days(db_url, tmp_path, whatsapp) -> None:
    clock = Clock(datetime(2026, 11, 9, 2, 0, tzinfo=timezone.utc))
    whatsapp.tier = 3
    app = await start(db_url, tmp_path, whatsapp, clock, whatsapp={"daily_limit": 3})
    try:
        async with app.sessions() as session, session.begin():
            await seed_sponsorships(session, 7, start=date(2026, 11, 1), channel="whatsapp",
                                    address_base=6281400000000)
        await app.heartbeat()
        await whatsapp.wait_until(lambda: len([r for r in whatsapp.sent if r["kind"] == "template"]) == 3)
        await asyncio.sleep(0.3)
        waiting = await rows(app, select(OutboxMessage.next_attempt_at).where(OutboxMessage.status == "pending"))
        assert len(waiting) == 4
        assert all(at >= clock.now + timedelta(hours=23) for at, in waiting)
        assert whatsapp.errors_returned[131048] == 0  # the bot kept within the limit; the stand-in refused none
        clock.advance(hours=24, minutes=1)
        whatsapp.advance(hours=24, seconds=60)
        app.deliverer.wake()
        await whatsapp.wait_until(lambda: len([r for r in whatsapp.sent if r["kind"] == "template"]) == 6)
        assert whatsapp.errors_returned[131048] == 0
    finally:
        await app.stop()


async def test_permanent_failure_marks_unreachable_and_tells_an_officer(db_url, tmp_path, whatsapp) -> None:
    clock = Clock(datetime(2026, 11, 9, 2, 0, tzinfo=timezone.utc))
    app = await start(db_url, tmp_path, whatsapp, clock)
    try:
        officer = WaPerson(whatsapp, OFFICER)
        await agree(officer)
        async with app.sessions() as session, session.begin():
            await seed_sponsorships(session, 1, start=date(2026, 11, 1), channel="whatsapp",
                                    address_base=6281500000000)
        whatsapp.not_on_whatsapp.add("6281500000000")
        whatsapp.fail_next.extend([130429, 131056])  # throughput and pair rate first: backed off, then sent
        await app.heartbeat()
        for _ in range(100):  # time passes for the backed-off message (the clock is the test's)
            if any("tidak dapat dikirim" in text for text in officer.texts()):
                break
            clock.advance(seconds=2)
            app.deliverer.wake()
            await asyncio.sleep(0.2)
        await officer.expect("tidak dapat dikirim")
        failed = await rows(app, select(OutboxMessage.status, OutboxMessage.delivery)
                            .where(OutboxMessage.key.like("reminder:%")))
        assert failed == [("unreachable", "failed")]
        chat = await rows(app, select(Chat.unreachable_at).where(Chat.address == "6281500000000"))
        assert chat[0][0] is not None
        assert whatsapp.errors_returned[130429] == 1 and whatsapp.errors_returned[131056] == 1
    finally:
        await app.stop()


async def test_a_restart_in_the_middle_loses_nothing(db_url, tmp_path, whatsapp) -> None:
    app = await start(db_url, tmp_path, whatsapp)
    person = WaPerson(whatsapp, "6281277770000")
    await agree(person)
    await person.press("Daftar sebagai ASN", "NIP")
    port = app.settings.server.port
    await app.stop()
    # Messages that arrive while the bot is down are retried by Meta until it answers again.
    whatsapp.send_text(person.phone, "198503172010011002")
    await asyncio.sleep(0.3)
    app = await start(db_url, tmp_path, whatsapp, server={"port": port})
    try:
        await person.expect("Nama lengkap Anda", timeout=20)
        await person.say("Rahmat Hidayat", "OPD")
        left = select(func.count()).select_from(WhatsAppInbox).where(WhatsAppInbox.processed_at.is_(None))
        for _ in range(50):  # the items are marked done just after their replies went out
            if await rows(app, left) == [(0,)]:
                break
            await asyncio.sleep(0.1)
        assert await rows(app, left) == [(0,)]
        assert sum("Nama lengkap Anda" in text for text in person.texts()) == 1
    finally:
        await app.stop()


async def test_an_image_over_whatsapps_5_mb_goes_to_the_officer_as_a_document(db_url, tmp_path, whatsapp) -> None:
    app = await start(db_url, tmp_path, whatsapp)
    try:
        officer = WaPerson(whatsapp, OFFICER)
        await agree(officer)  # the officer wrote: inside the 24-hour window
        big, small = tmp_path / "big.jpg", tmp_path / "small.jpg"
        big.write_bytes(JPEG + b"0" * (5 * 1024 * 1024))  # a 5 MB phone photo of a receipt
        small.write_bytes(JPEG)
        channel = app.channels["whatsapp"]
        for path in (big, small):
            await channel.show(OFFICER, Reply("📎 Bukti bayar", extra={"attachment": str(path),
                                                                       "attachment_mime": "image/jpeg"}))
    finally:
        await app.stop()
    files = [m for m in officer.messages() if m["kind"] in ("image", "document")]
    assert [m["kind"] for m in files] == ["document", "image"]
    assert whatsapp.errors_returned[131053] == 0  # measured before sending: never refused
