"""The supervisor of long-running tasks, and the log filter that folds repeated errors into one line."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.delivery.supervisor import Supervisor
from bot.logs import RepeatFilter


class FakeTime:
    """Time passed in: the supervisor's backoff sleeps move it instead of waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def test_a_failing_task_is_restarted_with_backoff_and_logged_each_time(caplog) -> None:
    time = FakeTime()
    supervisor = Supervisor(max_failures=10, sleep=time.sleep, monotonic=time.monotonic)
    runs = 0
    healthy = asyncio.Event()

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        if runs <= 3:
            raise ConnectionError(f"failure {runs}")
        healthy.set()
        await asyncio.Event().wait()  # then runs for ever

    with caplog.at_level(logging.ERROR):
        supervisor.spawn("polling", flaky)
        await asyncio.wait_for(healthy.wait(), 5)
    await supervisor.stop()
    assert time.sleeps == [0.5, 1.0, 2.0]
    assert supervisor.states["polling"].restarts == 3 and not supervisor.failed.is_set()
    failures = [r for r in caplog.records if r.name == "bot.delivery.supervisor"]
    assert len(failures) == 3 and all(r.exc_info for r in failures)  # each with its traceback


async def test_a_task_that_cannot_recover_gives_up_and_says_which() -> None:
    time = FakeTime()
    supervisor = Supervisor(max_failures=4, sleep=time.sleep, monotonic=time.monotonic)

    async def broken() -> None:
        raise PermissionError("token revoked")

    supervisor.spawn("telegram-polling", broken)
    await asyncio.wait_for(supervisor.failed.wait(), 5)
    assert supervisor.gave_up == "telegram-polling"
    assert supervisor.unhealthy() == {"telegram-polling": "PermissionError: token revoked"}
    await supervisor.stop()


async def test_a_task_that_returns_counts_as_a_failure_and_a_long_healthy_run_resets_the_count() -> None:
    time = FakeTime()
    supervisor = Supervisor(max_failures=2, healthy_after=60, sleep=time.sleep, monotonic=time.monotonic)
    runs = 0

    async def returns_after_a_long_run() -> None:
        nonlocal runs
        runs += 1
        time.now += 120  # ran healthily for two minutes, then stopped
        if runs == 5:
            await asyncio.Event().wait()

    supervisor.spawn("outbox", returns_after_a_long_run)
    while runs < 5:
        await asyncio.sleep(0)
    assert not supervisor.failed.is_set()  # never two failures in a row without a healthy stretch between
    await supervisor.stop()


async def test_periodic_jobs_report_and_give_up_after_too_many_failures_in_a_row() -> None:
    supervisor = Supervisor(max_failures=3)
    supervisor.report("heartbeat", RuntimeError("planning failed"))
    supervisor.report("heartbeat", None)  # recovered
    assert supervisor.unhealthy() == {}
    for _ in range(3):
        supervisor.report("heartbeat", RuntimeError("planning failed"))
    assert supervisor.failed.is_set() and supervisor.gave_up == "heartbeat"


def record(message: str, error: Exception | None = None) -> logging.LogRecord:
    return logging.LogRecord("bot.delivery.outbox", logging.ERROR, __file__, 1, message, (),
                             (type(error), error, None) if error else None)


@pytest.mark.parametrize("error", [OSError("attempt to write a readonly database\n[SQL: INSERT ... 1]"), None])
def test_the_same_error_is_logged_once_per_interval_with_a_count(error: Exception | None) -> None:
    now = [0.0]
    repeat = RepeatFilter(interval=60, monotonic=lambda: now[0])
    assert repeat.filter(record("outbox claim failed", error))
    for second in range(1, 60):
        now[0] = second
        assert not repeat.filter(record("outbox claim failed", error))
    assert repeat.filter(record("another error", error))  # a different error is not held back
    now[0] = 240  # the next one comes minutes later: the count says since when
    again = record("outbox claim failed", error)
    assert repeat.filter(again)
    assert again.getMessage() == "outbox claim failed [59 more like this since it was last logged 240s ago]"
    info = logging.LogRecord("x", logging.INFO, __file__, 1, "planned", (), None)
    assert repeat.filter(info) and repeat.filter(info)  # information is never folded
