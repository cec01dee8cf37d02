"""Direct replies: sent at once after their event commits, each kept in the outbox until its delivery is confirmed.

The writer stores an event's replies as outbox rows held by this process, in the event's own transaction. This
module sends them, in order, riding out short 429s and 5xx; it marks each sent once the channel accepted it (in the
outbox's next claim, so confirming costs no transaction of its own). What it cannot send now goes back to the outbox:
after a long `retry_after` (due when Telegram said), after repeated failures (the outbox's backoff). If the process
dies first, the outbox sends the rows after their lease: a reply is never lost, and only one in flight at the kill
can arrive twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.channels.base import Channel, RetryLater, Transient, Unreachable, merge_groups
from bot.delivery.outbox import Deliverer
from handlers.engine.types import Reply

logger = logging.getLogger(__name__)
MAX_DIRECT_WAIT = 5.0  # seconds: a longer retry_after moves the reply to the outbox, due when the channel said
ATTEMPTS = 4


class DirectReplies:
    def __init__(self, deliverer: Deliverer, clock: Callable[[], datetime], *,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.deliverer = deliverer
        self.clock = clock
        self.sleep = sleep

    async def send(self, channel: Channel, address: str, replies: list[Reply]) -> None:
        groups = merge_groups(replies)
        self.deliverer.hold([ident for _, ids in groups for ident in ids])
        for position, (reply, ids) in enumerate(groups):
            outcome = await self._send_one(channel, address, reply)
            if outcome is None:
                self.deliverer.mark_sent(ids)
                continue
            rest = [ident for _, group in groups[position:] for ident in group]
            if isinstance(outcome, Unreachable):
                await self.deliverer.release(rest, status="unreachable", error=str(outcome)[:200])
            else:
                await self.deliverer.release(rest, not_before=self.clock() + timedelta(seconds=outcome),
                                             error="direct reply deferred")
            return

    async def _send_one(self, channel: Channel, address: str, reply: Reply) -> float | Unreachable | None:
        """None when sent; else the person cannot be reached, or in how many seconds the outbox should try."""
        for attempt in range(ATTEMPTS):
            try:
                await channel.send(address, reply)
                return None
            except RetryLater as error:
                if error.seconds > MAX_DIRECT_WAIT:
                    return error.seconds
                await self.sleep(error.seconds)
            except Transient:
                await self.sleep(0.2 * 2 ** attempt)
            except Unreachable as error:
                return error
            except Exception:  # a bug in rendering: the outbox tries again with backoff and, at last, gives up
                logger.exception("a direct reply could not be sent")
                return 0.0
        return 0.0
