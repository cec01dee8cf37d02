"""One aiohttp server: the Telegram webhook, /healthz and /metrics (Prometheus text format)."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

logger = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024


def build_web_app(*, telegram_secret: str | None, on_telegram_update: Callable[[dict[str, Any]], Awaitable[None]],
                  health: Callable[[], Awaitable[dict[str, Any]]],
                  metrics: Callable[[], Awaitable[dict[str, float]]]) -> web.Application:
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
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", prometheus)
    return app
