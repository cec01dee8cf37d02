"""The outbox's rate limiter, with time passed in: the overall and per-chat limits, and 429 pauses."""

from __future__ import annotations

import asyncio

from bot.delivery.outbox import RateLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sends: list[tuple[float, str]] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds  # time passes only for the one who waits; good enough for ordering tests
        await asyncio.sleep(0)


async def run(limiter: RateLimiter, clock: FakeTime, addresses: list[str]) -> None:
    async def one(address: str) -> None:
        await limiter.acquire(address)
        clock.sends.append((clock.now, address))
    for address in addresses:  # sequential, so fake time is exact
        await one(address)


async def test_distinct_chats_go_at_the_overall_rate() -> None:
    clock = FakeTime()
    limiter = RateLimiter(30, 1, monotonic=clock.monotonic, sleep=clock.sleep)
    await run(limiter, clock, [str(i) for i in range(60)])
    assert abs(clock.sends[-1][0] - 59 * 1.02 / 30) < 1e-9  # 60 sends take two seconds at 30/s (less 2%)
    assert all(b - a >= 1 / 30 for (a, _), (b, _) in zip(clock.sends, clock.sends[1:]))


async def test_a_busy_chat_does_not_hold_back_the_others() -> None:
    clock = FakeTime()
    limiter = RateLimiter(0, 1, monotonic=clock.monotonic, sleep=clock.sleep)
    await run(limiter, clock, ["a", "a", "b", "c"])
    times = {address: t for t, address in clock.sends[1:]}
    assert times["a"] == 1.02  # the same chat waits a second (and the 2% margin)
    assert times["b"] == 1.02 and times["c"] == 1.02  # sequential here, but not pushed further by "a"


async def test_a_429_pauses_only_that_chat() -> None:
    clock = FakeTime()
    limiter = RateLimiter(0, 1, monotonic=clock.monotonic, sleep=clock.sleep)
    limiter.pause("a", 5)
    await run(limiter, clock, ["b", "a"])
    assert clock.sends == [(0.0, "b"), (5.0, "a")]
