"""One aiohttp server: the Telegram and WhatsApp webhooks, /healthz and /metrics (Prometheus text format)."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.channels.whatsapp_webhook import read_call, signature_ok

logger = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024


def build_web_app(*, telegram_secret: str | None, on_telegram_update: Callable[[dict[str, Any]], Awaitable[None]],
                  health: Callable[[], Awaitable[dict[str, Any]]],
                  metrics: Callable[[], Awaitable[dict[str, float]]],
                  whatsapp: WhatsAppWebhook | None = None) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)

    async def telegram_webhook(request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        # Constant-time comparison; a request without the right secret is refused before its body is read.
        if telegram_secret is None or not hmac.compare_digest(given.encode(), telegram_secret.encode()):
            logger.warning("telegram webhook call refused: wrong or missing secret token")
            return web.json_response({"ok": False}, status=401)
        try:
            update = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: "[[[[...]]]]" nested too deep
            logger.warning("telegram webhook: the body is not JSON; answered 400")
            return web.json_response({"ok": False, "error": "invalid json"}, status=400)
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            logger.warning("telegram webhook: the body is not an update; answered 400")
            return web.json_response({"ok": False, "error": "not an update"}, status=400)
        try:
            await on_telegram_update(update)
        except (ValueError, RecursionError) as error:  # pydantic's ValidationError is a ValueError
            logger.warning("telegram webhook: update %s is not a valid Telegram update (%s); answered 400",
                           update["update_id"], type(error).__name__)
            return web.json_response({"ok": False, "error": "not a valid update"}, status=400)
        return web.json_response({"ok": True})

    async def healthz(request: web.Request) -> web.Response:
        status = await health()
        return web.json_response(status, status=200 if status.get("ok") else 503)

    async def prometheus(request: web.Request) -> web.Response:
        lines = []
        for name, value in sorted((await metrics()).items()):
            lines.append(f"# TYPE tuwai_{name} {'counter' if name.endswith('_total') else 'gauge'}")
            lines.append(f"tuwai_{name} {value}")
        return web.Response(text="\n".join(lines) + "\n", content_type="text/plain", charset="utf-8",
                            headers={"X-Content-Type-Options": "nosniff"})

    app.router.add_post("/telegram/webhook", telegram_webhook)
    if whatsapp is not None:
        app.router.add_get("/whatsapp/webhook", whatsapp.verify)
        app.router.add_post("/whatsapp/webhook", whatsapp.post)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", prometheus)
    return app


class WhatsAppWebhook:
    """The Cloud API webhook: GET verification with the verify token; POSTs signed with the app secret."""

    def __init__(self, *, verify_token: str, app_secret: str,
                 on_items: Callable[[list[dict[str, Any]]], Awaitable[None]],
                 clock: Callable[[], datetime]) -> None:
        self.verify_token, self.app_secret, self.on_items, self.clock = verify_token, app_secret, on_items, clock

    async def verify(self, request: web.Request) -> web.Response:
        query = request.query
        given = query.getone("hub.verify_token", "")
        if (query.getone("hub.mode", "") != "subscribe" or not self.verify_token
                or not hmac.compare_digest(given.encode(), self.verify_token.encode())):
            return web.Response(status=403, text="forbidden")
        return web.Response(text=query.getone("hub.challenge", ""))

    async def post(self, request: web.Request) -> web.Response:
        """401 unsigned, 400 not JSON, 500 only when the items could not be stored (Meta sends them again), else
        200: parts of a signed call in shapes Meta never sent are left out with one log line."""
        body = await request.read()
        if not signature_ok(body, request.headers.get("X-Hub-Signature-256"), self.app_secret):
            logger.warning("whatsapp webhook call refused: bad or missing signature")
            return web.Response(status=401, text="bad signature")
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or "[[[[...]]]]" nested too deep to read
            logger.warning("whatsapp webhook: a signed body that is not JSON (or is nested too deep); answered 400")
            return web.Response(status=400, text="invalid json")
        rows, skipped = read_call(data, self.clock())
        if skipped:  # Meta's mistake or a new shape: sending it again would not help, so it is answered 200
            logger.warning("whatsapp webhook: %d part(s) of a signed call not in Meta's shapes were left out", skipped)
        try:
            await self.on_items(rows)
        except Exception as error:  # the database is away, or the bot is stopping: Meta tries again later
            logger.warning("whatsapp webhook call not stored (answered 500): %s", error)
            return web.Response(status=500, text="try again")
        return web.Response(text="ok")
