"""The lean session reads accepted sendMessage/answerCallbackQuery answers cheaply, and every error as aiogram does."""

from __future__ import annotations

import json

import pytest
from aiogram import Bot, methods
from aiogram.exceptions import ClientDecodeError, TelegramBadRequest, TelegramRetryAfter
from aiogram.types import User

from bot.channels.telegram_session import ACCEPTED, LeanSession

MESSAGE = {"message_id": 5, "date": 0, "chat": {"id": 7, "type": "private"}, "text": "hi"}


@pytest.fixture
async def lean():
    session = LeanSession()
    yield session, Bot("42:TOKEN", session=session)
    await session.close()


async def test_an_accepted_send_is_not_read_into_models(lean) -> None:
    session, bot = lean
    answer = json.dumps({"ok": True, "result": MESSAGE})
    assert session.check_response(bot, methods.SendMessage(chat_id=7, text="hi"), 200, answer) is ACCEPTED
    assert session.check_response(bot, methods.AnswerCallbackQuery(callback_query_id="1"), 200,
                                  '{"ok": true, "result": true}') is ACCEPTED


async def test_other_methods_are_read_as_aiogram_reads_them(lean) -> None:
    session, bot = lean
    me = {"id": 1, "is_bot": True, "first_name": "TuWai"}
    response = session.check_response(bot, methods.GetMe(), 200, json.dumps({"ok": True, "result": me}))
    assert isinstance(response.result, User) and response.result.first_name == "TuWai"


@pytest.mark.parametrize(("status", "answer", "error"), [
    (429, {"ok": False, "error_code": 429, "description": "Too Many Requests",
           "parameters": {"retry_after": 3600}}, TelegramRetryAfter),
    (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}, TelegramBadRequest),
])
async def test_errors_of_a_send_are_aiogram_errors(lean, status: int, answer: dict, error: type) -> None:
    session, bot = lean
    with pytest.raises(error) as raised:
        session.check_response(bot, methods.SendMessage(chat_id=7, text="hi"), status, json.dumps(answer))
    if error is TelegramRetryAfter:
        assert raised.value.retry_after == 3600


async def test_a_proxy_page_instead_of_json_is_a_decode_error(lean) -> None:
    session, bot = lean
    with pytest.raises(ClientDecodeError):
        session.check_response(bot, methods.SendMessage(chat_id=7, text="hi"), 200, "<html>502 Bad Gateway</html>")
