"""The Telegram Bot API stand-in, exercised with a real aiogram Bot over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
import time

import aiohttp
import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from PIL import Image

from tests.standins.telegram import TelegramStandin

TOKEN = "123456:TEST-token"
USER = 1001

pytestmark = pytest.mark.asyncio


def make_bot(standin: TelegramStandin, token: str = TOKEN) -> Bot:
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(standin.api_base)))


@pytest_asyncio.fixture
async def standin():
    async with TelegramStandin(TOKEN, seed=1) as s:
        yield s


@pytest_asyncio.fixture
async def bot(standin: TelegramStandin):
    b = make_bot(standin)
    yield b
    await b.session.close()


async def _local_app(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


async def test_get_me(bot: Bot, standin: TelegramStandin) -> None:
    me = await bot.get_me()
    assert me.id == 123456 and me.is_bot and me.username == "tuwai_test_bot"
    assert standin.calls["getMe"] == 1


async def test_wrong_token_and_unknown_method(standin: TelegramStandin) -> None:
    bad = make_bot(standin, "123456:WRONG")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await bad.get_me()
    finally:
        await bad.session.close()
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{standin.api_base}/bot{TOKEN}/noSuchMethod") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        async with http.post(f"{standin.api_base}/bot123:nope/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        # JSON and urlencoded bodies are accepted too.
        async with http.post(f"{standin.api_base}/bot{TOKEN}/sendMessage", json={"chat_id": 7, "text": "json",
                             "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}}) as resp:
            body = await resp.json()
            assert body["ok"] and body["result"]["text"] == "json"
            assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
        async with http.post(f"{standin.api_base}/bot{TOKEN}/sendMessage", data={"chat_id": "7", "text": "form"}) as resp:
            body = await resp.json()
            assert body["ok"] and body["result"]["chat"] == {"id": 7, "type": "private", "first_name": "Test"}
    assert [m["text"] for m in standin.messages_to(7)] == ["json", "form"]
    assert standin.errors_returned[404] == 1 and standin.errors_returned[401] == 2


async def test_send_message_with_inline_keyboard(bot: Bot, standin: TelegramStandin) -> None:
    markup = InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text="Ya", callback_data="consent:yes"),
         InlineKeyboardButton(text="Tidak", callback_data="consent:no")],
        [InlineKeyboardButton(text="Info", url="https://example.org")],
    ])
    msg = await bot.send_message(USER, "Setuju?", reply_markup=markup)
    assert isinstance(msg, Message) and msg.text == "Setuju?" and msg.chat.id == USER
    assert msg.from_user is not None and msg.from_user.is_bot
    assert msg.reply_markup is not None and msg.reply_markup.model_dump() == markup.model_dump()
    rec = standin.last_message(USER)
    assert rec is not None and rec["method"] == "sendMessage" and rec["message_id"] == msg.message_id
    assert isinstance(rec["reply_markup"], dict)
    assert standin.buttons(rec) == [("Ya", "consent:yes"), ("Tidak", "consent:no"), ("Info", "https://example.org")]
    assert standin.buttons(msg) == standin.buttons(rec)

    kb = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Bagikan nomor", request_contact=True)]],
                             resize_keyboard=True, one_time_keyboard=True)
    msg2 = await bot.send_message(USER, "Nomor HP?", reply_markup=kb)
    assert msg2.reply_markup is None  # Telegram echoes only inline keyboards
    assert standin.reply_keyboard(standin.last_message(USER)) == [{"text": "Bagikan nomor", "request_contact": True}]
    assert standin.current_reply_keyboard(USER)[0]["request_contact"] is True
    assert standin.calls["sendMessage"] == 2 and len(standin.messages_to(USER)) == 2


async def test_html_is_checked_and_rendered(bot: Bot, standin: TelegramStandin) -> None:
    await bot.send_message(USER, "<b>Halo</b> Siti &amp; <i>Budi</i> &lt;3", parse_mode="HTML")
    rec = standin.last_message(USER)
    assert rec["text"] == "Halo Siti & Budi <3" and rec["raw_text"].startswith("<b>Halo</b>")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(USER, "line<br>break", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(USER, "<b>unclosed", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "x", reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="long", callback_data="x" * 65)]]))
    assert len(standin.messages_to(USER)) == 1 and standin.errors_returned[400] == 4


async def test_push_text_and_get_updates_offset(bot: Bot, standin: TelegramStandin) -> None:
    u1 = standin.push_text(USER, "/start ref_abc", first_name="Siti")
    u2 = standin.push_text(USER, "halo")
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [u1, u2]
    first = updates[0].message
    assert first is not None and first.text == "/start ref_abc" and first.from_user.first_name == "Siti"
    assert first.entities is not None and first.entities[0].type == "bot_command" and first.entities[0].length == 6
    # Without a new offset the same updates come again; with offset they are forgotten.
    assert len(await bot.get_updates(timeout=0)) == 2
    assert await bot.get_updates(offset=u2 + 1, timeout=0) == []
    assert standin.pending_update_count == 0
    # Redelivery of an already confirmed update, and a duplicate update_id pushed twice.
    standin.redeliver(u1)
    again = await bot.get_updates(offset=u2 + 1, timeout=0)
    assert [u.update_id for u in again] == [u1]
    dup = {"update_id": u2 + 5, "message": {"message_id": 99, "date": int(time.time()),
                                            "chat": {"id": USER, "type": "private", "first_name": "Siti"},
                                            "text": "dup"}}
    standin.push_raw(dup)
    standin.push_raw(dup)
    got = await bot.get_updates(offset=u1 + 1, timeout=0)
    assert [u.update_id for u in got] == [u2 + 5, u2 + 5]
    assert await bot.get_updates(offset=u2 + 6, timeout=0) == []
    # Fresh ids continue above the raw ones.
    assert standin.push_text(USER, "next") == u2 + 6


async def test_long_poll_wakes_on_push(bot: Bot, standin: TelegramStandin) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=20))
    await standin.wait_until(lambda: standin.calls["getUpdates"] >= 1, timeout=5)
    await asyncio.sleep(0.05)
    assert not poll.done()
    uid = standin.push_text(USER, "bangun")
    updates = await asyncio.wait_for(poll, 5)
    assert [u.update_id for u in updates] == [uid]
    assert time.monotonic() - started < 3
    # An empty long poll returns after its timeout.
    started = time.monotonic()
    assert await bot.get_updates(offset=uid + 1, timeout=1) == []
    assert 0.8 < time.monotonic() - started < 3


async def test_dispatcher_polling_echo_and_callbacks(bot: Bot, standin: TelegramStandin) -> None:
    dp = Dispatcher()

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(
            f"echo: {message.text}",
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="OK", callback_data="ok")]]),
        )

    @dp.callback_query(F.data == "ok")
    async def pressed(query: CallbackQuery) -> None:
        await query.answer("Tersimpan")
        assert isinstance(query.message, Message)
        await query.message.edit_text(f"done: {query.message.text}")

    task = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, polling_timeout=1, close_bot_session=False)
    )
    try:
        users = [2001, 2002, 2003]
        for n, user in enumerate(users):
            standin.push_text(user, f"hai {n}")
        for n, user in enumerate(users):
            msgs = await standin.wait_for_messages(user, 1, timeout=10)
            assert msgs[0]["text"] == f"echo: hai {n}"
        standin.push_text(2001, "lagi")
        more = await standin.wait_for_messages(2001, 1, after=1, timeout=10)
        assert [m["text"] for m in more] == ["echo: lagi"]

        standin.press(2001, "OK")
        await standin.wait_until(lambda: standin.edits_to(2001), timeout=10)
        edit = standin.edits_to(2001)[0]
        assert edit["text"] == "done: echo: lagi" and edit["message_id"] == more[0]["message_id"]
        assert standin.message(2001, edit["message_id"])["text"] == "done: echo: lagi"
        assert standin.buttons(standin.message(2001, edit["message_id"])) == []
        assert [a["text"] for a in standin.callback_answers.values()] == ["Tersimpan"]

        with pytest.raises(AssertionError, match="Conversation so far"):
            await standin.wait_for_messages(2002, 1, after=1, timeout=0.3)
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(task, 10)
    assert standin.calls["getUpdates"] >= 1


async def test_429_injection_and_rate_limits(bot: Bot, standin: TelegramStandin) -> None:
    standin.fail_share_429 = 1.0
    standin.retry_after_seconds = 7
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(USER, "hi")
    assert info.value.retry_after == 7
    assert standin.errors_returned[429] == 1 and standin.messages_to(USER) == []

    standin.fail_share_429 = 0.0
    standin.fail_share_500 = 1.0
    with pytest.raises(TelegramServerError):
        await bot.send_message(USER, "hi")
    standin.fail_share_500 = 0.0

    standin.enforce_rate_limits(per_second=30, per_chat_per_second=1)
    await bot.send_message(USER, "one")
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(USER, "two")
    assert info.value.retry_after == 1 and standin.rate_limited == 1
    await bot.send_message(USER + 1, "another chat is fine")
    assert [m["text"] for m in standin.messages_to(USER)] == ["one"]


async def test_fault_injection_is_seeded(standin: TelegramStandin) -> None:
    async def run() -> list[int]:
        async with TelegramStandin(TOKEN, seed=5) as s:
            s.fail_share_429 = 0.3
            s.fail_share_500 = 0.2
            s.retry_after_seconds = 1
            b = make_bot(s)
            out = []
            try:
                for _ in range(20):
                    try:
                        await b.send_message(USER, "x")
                        out.append(200)
                    except TelegramRetryAfter:
                        out.append(429)
                    except TelegramServerError:
                        out.append(500)
            finally:
                await b.session.close()
            return out

    a, b = await run(), await run()
    assert a == b and 429 in a and 500 in a and 200 in a


async def test_forbidden_chat(bot: Bot, standin: TelegramStandin) -> None:
    standin.forbidden_chats.add(4242)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(4242, "hi")
    assert standin.errors_returned[403] == 1 and standin.messages_to(4242) == []


async def test_webhook_mode(bot: Bot, standin: TelegramStandin) -> None:
    received: list[tuple[dict, str | None]] = []
    fail_first = {"left": 1}

    async def hook(request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        if secret != "s3cr3t-TOKEN":
            return web.Response(status=401)
        if fail_first["left"]:
            fail_first["left"] -= 1
            return web.Response(status=500)
        received.append((await request.json(), secret))
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/telegram/webhook", hook)
    runner, base = await _local_app(app)
    try:
        before = standin.push_text(USER, "queued before setWebhook")
        assert await bot.set_webhook(f"{base}/telegram/webhook", secret_token="s3cr3t-TOKEN")
        info = await bot.get_webhook_info()
        assert info.url == f"{base}/telegram/webhook"
        after = standin.push_text(USER, "after")
        await standin.wait_until(lambda: len(received) >= 2, timeout=10)
        await standin.wait_webhook_idle(timeout=5)
        assert [u["update_id"] for u, _ in received] == [before, after]  # in order per chat, despite a retry
        assert received[1][0]["message"]["text"] == "after"
        assert any(d["status"] == 500 for d in standin.webhook_deliveries)
        with pytest.raises(TelegramConflictError):
            await bot.get_updates(timeout=0)
        # Forged requests.
        update = {"update_id": 999, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}}
        assert await standin.post_to_webhook(update, secret="wrong") == 401
        assert await standin.post_to_webhook(update, secret=None) == 401
        assert await standin.post_to_webhook(update, secret="s3cr3t-TOKEN") == 200
        # Back to polling: new updates are queued for getUpdates again.
        assert await bot.delete_webhook()
        uid = standin.push_text(USER, "polling again")
        assert [u.update_id for u in await bot.get_updates(timeout=0)] == [uid]
    finally:
        await runner.cleanup()


async def test_webhook_with_aiogram_handler_and_reply_in_webhook(bot: Bot, standin: TelegramStandin) -> None:
    dp = Dispatcher()

    @dp.message(F.text)
    async def echo(message: Message):  # noqa: ANN202 - returns a method: answered inside the webhook reply
        return message.answer(f"wh: {message.text}")

    app = web.Application()
    SimpleRequestHandler(dp, bot, secret_token="abc", handle_in_background=False).register(app, path="/wh")
    runner, base = await _local_app(app)
    try:
        await bot.set_webhook(f"{base}/wh", secret_token="abc")
        standin.push_text(3001, "satu")
        msgs = await standin.wait_for_messages(3001, 1, timeout=10)
        assert msgs[0]["text"] == "wh: satu"
        assert await standin.post_to_webhook({"update_id": 1}, secret="nope") == 401
    finally:
        await bot.delete_webhook()
        await runner.cleanup()


async def test_files_download_and_upload(bot: Bot, standin: TelegramStandin) -> None:
    content = b"\xff\xd8\xff\xe0 not really a jpeg \xff\xd9"
    uid = standin.push_photo(USER, content, caption="KTP")
    photo = standin.get_update(uid)["message"]["photo"]
    assert len(photo) == 3 and all({"file_id", "file_unique_id", "file_size", "width", "height"} <= set(p) for p in photo)
    updates = await bot.get_updates(timeout=0)
    message = updates[0].message
    assert message is not None and message.caption == "KTP"
    data = await bot.download(message.photo[-1].file_id)
    assert data is not None and data.read() == content

    uid = standin.push_document(USER, b"%PDF-1.4 hello", "surat.pdf", "application/pdf")
    doc = standin.get_update(uid)["message"]["document"]
    assert (await bot.download(doc["file_id"])).read() == b"%PDF-1.4 hello"

    sent = await bot.send_document(USER, BufferedInputFile(b"a,b\n1,2\n", filename="laporan.csv"), caption="Laporan")
    rec = standin.last_message(USER)
    assert rec["method"] == "sendDocument" and rec["content"] == b"a,b\n1,2\n" and rec["file_name"] == "laporan.csv"
    assert sent.document is not None and sent.document.file_name == "laporan.csv" and sent.caption == "Laporan"
    assert (await bot.download(sent.document)).read() == b"a,b\n1,2\n"

    file = await bot.get_file(doc["file_id"])
    assert file.file_path and file.file_size == len(b"%PDF-1.4 hello")
    with pytest.raises(TelegramBadRequest):
        await bot.get_file("no-such-file")


def png(width: int, height: int) -> bytes:
    """A real PNG of that size (white, so it compresses to a few kilobytes)."""
    buffer = io.BytesIO()
    Image.new("L", (width, height), 255).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(("width", "height"), [(1080, 9500), (5001, 5000), (100, 2001)])
async def test_photos_telegram_would_not_take_as_photos_are_refused(bot: Bot, standin: TelegramStandin,
                                                                    width: int, height: int) -> None:
    image = png(width, height)
    with pytest.raises(TelegramBadRequest, match="PHOTO_INVALID_DIMENSIONS"):
        await bot.send_photo(USER, BufferedInputFile(image, filename="struk.png"))
    sent = await bot.send_document(USER, BufferedInputFile(image, filename="struk.png"))
    assert sent.document is not None and standin.last_message(USER)["content"] == image
    await bot.send_photo(USER, BufferedInputFile(png(1080, 2400), filename="foto.png"))  # a phone's photo is fine
    assert standin.last_message(USER)["method"] == "sendPhoto"


async def test_other_pushes_and_methods(bot: Bot, standin: TelegramStandin) -> None:
    standin.push_contact(USER, "+6281234567890")
    standin.push_contact(USER, "+6289999999999", own=False)
    standin.push_sticker(USER)
    standin.push_voice(USER)
    standin.push_location(USER, -6.2, 106.8)
    updates = await bot.get_updates(timeout=0)
    kinds = [u.message.content_type for u in updates]
    assert kinds == ["contact", "contact", "sticker", "voice", "location"]
    assert updates[0].message.contact.user_id == USER
    assert updates[1].message.contact.user_id != USER

    msg = await bot.send_message(USER, "pilih", reply_markup=InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="a")]]))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(text="pilih", chat_id=USER, message_id=msg.message_id,
                                    reply_markup=msg.reply_markup)
    edited = await bot.edit_message_reply_markup(chat_id=USER, message_id=msg.message_id, reply_markup=None)
    assert isinstance(edited, Message) and edited.reply_markup is None
    assert await bot.delete_message(USER, msg.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER, msg.message_id)

    cb_uid = standin.push_callback(USER, "x", message_id=1)
    cb_id = standin.get_update(cb_uid)["callback_query"]["id"]
    assert await bot.answer_callback_query(cb_id, text="ok")
    with pytest.raises(TelegramBadRequest):
        await bot.answer_callback_query(cb_id)

    assert await bot.set_my_commands([BotCommand(command="start", description="Mulai")])
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad-Name", description="x")])
    assert await bot.delete_my_commands()
    chat = await bot.get_chat(USER)
    assert chat.id == USER and chat.type == "private"
    assert await bot.send_chat_action(USER, "typing")
    methods = {r["method"] for r in standin.sent}
    assert {"sendMessage", "editMessageReplyMarkup", "deleteMessage", "answerCallbackQuery", "setMyCommands",
            "deleteMyCommands", "sendChatAction"} <= methods
