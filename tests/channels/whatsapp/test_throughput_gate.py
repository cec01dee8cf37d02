"""The WhatsApp number's throughput gate: a fixed schedule under the limit, no bursts after a late wake-up."""

from __future__ import annotations

import asyncio

from bot.channels.whatsapp import ThroughputGate


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_sends_are_spaced_under_the_limit_and_never_bunched() -> None:
    time = FakeTime()
    gate = ThroughputGate(80, monotonic=time.monotonic, sleep=time.sleep)
    moments = []
    for index in range(400):
        await gate.acquire()
        moments.append(time.now)
        if index == 200:
            time.now += 0.5  # the loop woke up late: the next sends must not catch up in a burst
    for start in range(len(moments)):
        in_one_second = [m for m in moments[start:] if m < moments[start] + 1.0]
        assert len(in_one_second) <= 78
    assert all(b - a >= ThroughputGate.MARGIN / 80 - 1e-9 for a, b in zip(moments, moments[1:]))


async def test_concurrent_senders_share_the_schedule() -> None:
    time = FakeTime()
    gate = ThroughputGate(10, monotonic=time.monotonic, sleep=time.sleep)
    moments: list[float] = []

    async def send() -> None:
        await gate.acquire()
        moments.append(time.now)

    await asyncio.gather(*(send() for _ in range(30)))
    assert len(moments) == 30 and moments[-1] - moments[0] >= 29 * ThroughputGate.MARGIN / 10 - 1e-9


async def test_no_limit_means_no_wait() -> None:
    time = FakeTime()
    gate = ThroughputGate(0, monotonic=time.monotonic, sleep=time.sleep)
    for _ in range(100):
        await gate.acquire()
    assert time.now == 100.0
