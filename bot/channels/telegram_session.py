"""aiogram's HTTP session for the Telegram channel, lighter on the calls every message makes.

Found with py-spy in bench/conversation.py: reading Telegram's answer to sendMessage and answerCallbackQuery into
aiogram's full `Message` model was ~10% of the bot's CPU, and the bot never reads those answers. Here an accepted
answer of those methods is checked (valid JSON, `"ok": true`) and not turned into models; every other answer, and
every error (retry_after, 403, 400...), goes through aiogram's own `check_response` unchanged.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aiogram import methods
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import Response

# Methods whose successful result the bot never reads.
UNREAD = (methods.SendMessage, methods.AnswerCallbackQuery)
ACCEPTED = Response[bool](ok=True, result=True)

# aiogram reads every other answer as `Response[<the method's result type>]`; pydantic keeps such generic classes in
# a weak cache, so between two calls the class was often collected and built again (~4% of the CPU). Holding the
# ones this channel uses keeps them built once.
_RESPONSE_TYPES = tuple(Response[method.__returning__] for method in (  # type: ignore[name-defined]
    methods.SendMessage, methods.AnswerCallbackQuery, methods.GetUpdates, methods.GetFile, methods.SendPhoto,
    methods.SendDocument, methods.DeleteWebhook, methods.SetWebhook, methods.GetMe, methods.SetMyCommands))


class LeanSession(AiohttpSession):
    def check_response(self, bot: Any, method: Any, status_code: int, content: str) -> Response[Any]:
        if isinstance(method, UNREAD) and HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED:
            try:
                answer = self.json_loads(content)
            except ValueError:
                answer = None
            if isinstance(answer, dict) and answer.get("ok") is True:
                return ACCEPTED
        return super().check_response(bot, method, status_code, content)
