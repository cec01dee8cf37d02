"""A button that asks for a message whose text is no longer kept (bodies are blanked after a while, db/retention.py):
the person hears so, and is asked the question they were at."""

from __future__ import annotations

from handlers.engine.context import Ctx
from handlers.engine.types import GLOBAL, Reply

GONE = f"{GLOBAL}msg.gone:0"  # the global action's option id (see handlers.registry)


async def gone_action(ctx: Ctx, arg: str) -> list[Reply]:
    """Global action "!msg.gone:0": the message asked for is no longer kept; then where the person was."""
    return [Reply(ctx.t("retention.message_gone")), await ctx.core.resume(ctx)]
