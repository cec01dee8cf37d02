"""The anchor of bench/conversation.py: a bare aiogram echo bot, run in its own process.

    python bench/echo_bot.py TOKEN API_BASE [POLLING_TIMEOUT]
    (or ECHO_TOKEN / ECHO_API_BASE / ECHO_POLLING_TIMEOUT in the environment)

One message handler answers the text; one callback_query handler answers the query (stops the spinner) and sends
a message, as a real bot does for a button. Long polling with aiogram's Dispatcher.start_polling; SIGTERM stops it.
"""

from __future__ import annotations

import asyncio
import os
import sys

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message


def build_dispatcher() -> Dispatcher:
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "…")

    @dp.callback_query()
    async def pressed(query: CallbackQuery, bot: Bot) -> None:
        await asyncio.gather(bot.answer_callback_query(query.id),
                             bot.send_message(query.from_user.id, query.data or "…"))

    return dp


async def main(token: str, api_base: str, polling_timeout: int) -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base.rstrip("/")))
    bot = Bot(token=token, session=session)
    try:
        await build_dispatcher().start_polling(bot, polling_timeout=polling_timeout, handle_signals=True,
                                               close_bot_session=True)
    finally:
        await session.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    token = args[0] if len(args) > 0 else os.environ.get("ECHO_TOKEN", "")
    api_base = args[1] if len(args) > 1 else os.environ.get("ECHO_API_BASE", "")
    timeout = int(args[2] if len(args) > 2 else os.environ.get("ECHO_POLLING_TIMEOUT", "1"))
    if not token or not api_base:
        sys.exit("usage: echo_bot.py TOKEN API_BASE [POLLING_TIMEOUT]")
    asyncio.run(main(token, api_base, timeout))
