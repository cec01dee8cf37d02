"""WhatsApp end to end, beyond the conversation: reminders as templates outside the 24-hour window and as normal
messages inside it, the daily limit, delivery statuses, throughput errors, one ASN on two channels, a restart."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import App
from db.models import Asn, Chat, ChatLink, OutboxMessage, WhatsAppInbox, Worker
from handlers.engine.types import Reply
from tests.conftest import Clock
from tests.seed import seed_sponsorships
from tests.standins.telegram import TelegramStandin
from tests.standins.whatsapp import WhatsAppStandin
from tests.telegram_people import TgPerson
from tests.telegram_people import register as tg_register
from tests.whatsapp_people import WaPerson, agree, enrol, standin_templates, whatsapp_settings

OFFICER = "6281100000001"
JPEG = b"\xff\xd8\xff\xe0" + b"3" * 400


@pytest.fixture
async def standin():
    async with WhatsAppStandin(seed=5) as server:
        yield server


async def start(db_url: str, tmp_path: Path, standin: WhatsAppStandin, clock: Clock | None = None,
                **extra) -> App:  # type: ignore[no-untyped-def]
    settings = whatsapp_settings(db_url, tmp_path, standin, officers={"whatsapp": [OFFICER]},
                                 scheduler={"heartbeat_seconds": 3600}, **extra)
    standin.templates = standin_templates(settings)
    app = App(settings, clock=clock)
    await app.start()
    standin.webhook_url = f"http://127.0.0.1:{settings.server.port}/whatsapp/webhook"
    return app


async def rows(app: App, query):  # type: ignore[no-untyped-def]
    async with app.sessions() as session:
        return (await session.execute(query)).all()


async def test_reminders_as_templates_outside_the_window_and_text_inside(db_url, tmp_path, standin) -> None:
    clock = Clock(datetime(2026, 11, 9, 2, 0, tzinfo=timezone.utc))  # 09:00 WIB, 7 days before 16 Nov
    app = await start(db_url, tmp_path, standin, clock)
    try:
        async with app.sessions() as session, session.begin():
            await seed_sponsorships(session, 2, start=date(2026, 11, 1), channel="whatsapp",
                                    address_base=6281300000000)
        inside, outside = WaPerson(standin, "6281300000001"), WaPerson(standin, "6281300000000")
        officer = WaPerson(standin, OFFICER)
        await agree(officer)
        await app.heartbeat()
        template = await outside.find("Pengingat iuran")
        assert template["kind"] == "template" and template["template"] == "tuwai_pengingat_iuran"
        assert "Rp8.400" in template["text"] and "\n" not in template["raw"]["template"]["components"][0][
            "parameters"][1]["text"]
        assert (await inside.find("Pengingat iuran"))["kind"] == "template"
        # Four days later one of them writes (the window opens); the next reminder reaches them as a normal message.
        clock.advance(days=4)
        standin.advance(hours=96)
        await inside.say("menu", "Menu utama")
        await app.heartbeat()
        normal = await inside.find("3 hari lagi")
        assert normal["kind"] == "button" and [c["title"] for c in normal["choices"]] == ["Sudah bayar",
                                                                                          "Ingatkan nanti"]
        assert (await outside.find("3 hari lagi"))["kind"] == "template"
        # The template's quick reply works like any button: the payment flow, a receipt photo, the officer.
        await outside.press("Sudah bayar", "Dipilih: 1 bulan")
        await outside.press("Selesai", "bukti bayar")
        standin.send_image(outside.phone, JPEG)
        await outside.expect("Periksa pembayaran")
        await outside.press("Simpan", "menunggu verifikasi")
        await officer.expect("Bukti bayar #1")  # four days after the officer last wrote: a template
        await officer.press("Buka", "Bukti bayar #1")  # shows the notice in full, with its own buttons
        assert [m["kind"] for m in officer.messages()][-2:] == ["image", "button"]  # the receipt itself, first
        assert standin.uploads[-1]["content"] == JPEG
        await officer.press("Terima", "diterima")
        await outside.expect("sudah diverifikasi")
        # Statuses reach the outbox rows.
        await standin.idle()
        deliveries = select(OutboxMessage.delivery).where(OutboxMessage.key.like("reminder:%"))
        for _ in range(50):
            if {delivery for delivery, in await rows(app, deliveries)} == {"delivered"}:
                break
            await asyncio.sleep(0.1)
        assert {delivery for delivery, in await rows(app, deliveries)} == {"delivered"}
    finally:
        await app.stop()


async def test_daily_limit_spreads_reminders_over_days(db_url, tmp_path, standin) -> None:
    clock = Clock(datetime(2026, 11, 9, 2, 0, tzinfo=timezone.utc))
    standin.tier = 3
    app = await start(db_url, tmp_path, standin, clock, whatsapp={"daily_limit": 3})
    try:
        async with app.sessions() as session, session.begin():
            await seed_sponsorships(session, 7, start=date(2026, 11, 1), channel="whatsapp",
                                    address_base=6281400000000)
        await app.heartbeat()
        await standin.wait_until(lambda: len([r for r in standin.sent if r["kind"] == "template"]) == 3)
        await asyncio.sleep(0.3)
        waiting = await rows(app, select(OutboxMessage.next_attempt_at).where(OutboxMessage.status == "pending"))
        assert len(waiting) == 4
        assert all(at >= clock.now + timedelta(hours=23) for at, in waiting)
        assert standin.errors_returned[131048] == 0  # the bot kept within the limit; the stand-in refused none
        clock.advance(hours=24, minutes=1)
        standin.advance(hours=24, seconds=60)
        app.deliverer.wake()
        await standin.wait_until(lambda: len([r for r in standin.sent if r["kind"] == "template"]) == 6)
        assert standin.errors_returned[131048] == 0
    finally:
        await app.stop()


async def test_permanent_failure_marks_unreachable_and_tells_an_officer(db_url, tmp_path, standin) -> None:
    clock = Clock(datetime(2026, 11, 9, 2, 0, tzinfo=timezone.utc))
    app = await start(db_url, tmp_path, standin, clock)
    try:
        officer = WaPerson(standin, OFFICER)
        await agree(officer)
        async with app.sessions() as session, session.begin():
            await seed_sponsorships(session, 1, start=date(2026, 11, 1), channel="whatsapp",
                                    address_base=6281500000000)
        standin.not_on_whatsapp.add("6281500000000")
        standin.fail_next.extend([130429, 131056])  # throughput and pair rate first: backed off, then sent
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
        assert standin.errors_returned[130429] == 1 and standin.errors_returned[131056] == 1
    finally:
        await app.stop()


async def test_an_asn_registered_on_telegram_links_whatsapp(db_url, tmp_path, standin) -> None:
    async with TelegramStandin(seed=9) as telegram:
        app = await start(db_url, tmp_path, standin, telegram={
            "token": telegram.token, "api_base": telegram.api_base, "polling_timeout": 1})
        try:
            async with app.sessions() as session, session.begin():
                from db.models import RosterEntry

                session.add(RosterEntry(nip="198503172010011002", name="Rahmat Hidayat", opd="Dinas Sosial"))
            on_telegram = TgPerson(telegram, 4242)
            await tg_register(on_telegram)
            on_whatsapp = WaPerson(standin, "6281234567890")
            await agree(on_whatsapp)
            await on_whatsapp.press("Hubungkan akun", "Ketik NIP")
            await on_whatsapp.say("198503172010011002", "kode 6 angka")
            message = await on_telegram.expect("kode untuk menghubungkan WhatsApp")
            code = message["text"].split("Kodenya: ")[1][:6]
            await on_whatsapp.say("000000" if code != "000000" else "111111", "Sisa percobaan: 4")
            await on_whatsapp.say(code, "tekan «Ya, hubungkan»")
            # The registered chat allows it, and moves reminders to WhatsApp (issue 18.5).
            await on_telegram.expect("sudah mengetik kode yang benar")
            await on_telegram.press("Ya, jadikan utama", "sekarang dikirim ke WhatsApp")
            await on_whatsapp.expect("terhubung dengan akun ASN Rahmat")
            # Either channel now acts as the same ASN; reminders and notices go to WhatsApp.
            await on_whatsapp.say("menu", "ASN terdaftar: Rahmat")
            await on_telegram.say("/menu", "ASN terdaftar: Rahmat")
            asn = (await rows(app, select(Asn.id, Chat.channel).join(Chat, Chat.id == Asn.chat_id)))[0]
            assert asn.channel == "whatsapp"
            links = await rows(app, select(ChatLink.asn_id, Chat.channel).join(Chat, Chat.id == ChatLink.chat_id))
            assert links == [(asn.id, "telegram")]
            # Registered on Telegram, the ASN finishes on WhatsApp: the worker's enrolment, and its notices there.
            await enrol(on_whatsapp)
            await on_whatsapp.expect("Tautan persetujuan")
            assert not any("Tautan persetujuan" in text for text in on_telegram.texts())
            assert (await rows(app, select(func.count()).select_from(Worker)))[0][0] == 1
        finally:
            await app.stop()


async def test_a_restart_in_the_middle_loses_nothing(db_url, tmp_path, standin) -> None:
    app = await start(db_url, tmp_path, standin)
    person = WaPerson(standin, "6281277770000")
    await agree(person)
    await person.press("Daftar sebagai ASN", "NIP")
    port = app.settings.server.port
    await app.stop()
    # Messages that arrive while the bot is down are retried by Meta until it answers again.
    standin.send_text(person.phone, "198503172010011002")
    await asyncio.sleep(0.3)
    app = await start(db_url, tmp_path, standin, server={"port": port})
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


async def test_an_image_over_whatsapps_5_mb_goes_to_the_officer_as_a_document(db_url, tmp_path, standin) -> None:
    app = await start(db_url, tmp_path, standin)
    try:
        officer = WaPerson(standin, OFFICER)
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
    assert standin.errors_returned[131053] == 0  # measured before sending: never refused
