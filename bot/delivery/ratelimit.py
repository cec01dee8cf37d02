"""The rate limiter of outgoing messages: an overall rate and a per-chat rate, and a pause for a chat after a 429."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

MARGIN = 1.02


class RateLimiter:
    """At most `per_second` sends overall and `per_chat` per second to one chat; a 429 pauses that chat.

    A send takes an overall slot only once its chat is ready, so one busy chat never holds back the others.
    """

    def __init__(self, per_second: float, per_chat: float, *, monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        # Sends are spaced 2% wider than the limit: requests reach the server with a few milliseconds of jitter, and
        # exactly-on-the-limit spacing lets some one-second window catch one send too many (a 429).
        self.interval = MARGIN / per_second if per_second > 0 else 0.0
        self.chat_interval = MARGIN / per_chat if per_chat > 0 else 0.0
        self.monotonic = monotonic
        self.sleep = sleep
        self._next_global = 0.0
        self._next_chat: dict[str, float] = {}
        self._gate = asyncio.Lock()

    async def acquire(self, address: str) -> None:
        while True:
            ready = self._next_chat.get(address, 0.0)
            if ready > self.monotonic():  # this chat must wait; the others go on meanwhile
                await self.sleep(ready - self.monotonic())
                continue
            if self.interval:
                # One send at a time through the overall gate, spaced from the previous send's real moment: when the
                # machine is busy and the loop runs late, the sends that were due do not go out in a burst.
                async with self._gate:
                    wait = self._next_global - self.monotonic()
                    if wait > 0:
                        await self.sleep(wait)
                    self._next_global = self.monotonic() + self.interval
            now = self.monotonic()
            if self._next_chat.get(address, 0.0) > now:  # a 429 paused this chat while we waited: wait again
                continue
            self._next_chat[address] = now + self.chat_interval
            if len(self._next_chat) > 100_000:  # forget chats whose slot has long passed
                self._next_chat = {a: t for a, t in self._next_chat.items() if t > now}
            return

    def pause(self, address: str, seconds: float) -> None:
        self._next_chat[address] = max(self._next_chat.get(address, 0.0), self.monotonic() + seconds)
