"""Supervision of the long-running tasks (polling, outbox delivery, the scheduler heartbeat, later the WhatsApp inbox).

A task that fails is logged once with its traceback and started again after a backoff. A task that keeps failing
(`max_failures` in a row, none of them after a healthy stretch of `healthy_after` seconds) gives up: `failed` is set,
and `tuwai run` exits non-zero so that systemd restarts the whole process instead of leaving one that looks alive.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass
class TaskState:
    """What /healthz and /metrics show of one supervised task."""

    name: str
    running: bool = False
    restarts: int = 0
    failures_in_a_row: int = 0
    last_error: str | None = None
    periodic: bool = False  # a scheduler job reporting each run, rather than a task that runs all the time


class Supervisor:
    def __init__(self, *, max_failures: int = 8, healthy_after: float = 60.0, min_delay: float = 0.5,
                 max_delay: float = 30.0, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.healthy_after = healthy_after
        self.min_delay, self.max_delay = min_delay, max_delay
        self.sleep, self.monotonic = sleep, monotonic
        self.states: dict[str, TaskState] = {}
        self.failed: asyncio.Event = asyncio.Event()
        self.gave_up: str | None = None  # the task that could not recover
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def spawn(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        """Run `run()` for as long as the program runs, restarting it with backoff when it fails or returns."""
        self.states[name] = TaskState(name)
        self._tasks[name] = asyncio.create_task(self._keep(name, run), name=f"tuwai-{name}")

    def report(self, name: str, error: BaseException | None) -> None:
        """For periodic jobs (the scheduler's heartbeat): each run reports its outcome; too many failures in a row
        give up like a task that cannot recover."""
        state = self.states.setdefault(name, TaskState(name, running=True, periodic=True))
        if error is None:
            state.failures_in_a_row, state.last_error = 0, None
            return
        state.failures_in_a_row += 1
        state.last_error = _describe(error)
        logger.error("%s failed (%d in a row)", name, state.failures_in_a_row, exc_info=error)
        if state.failures_in_a_row >= self.max_failures:
            self._give_up(name)

    async def _keep(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        state = self.states[name]
        while True:
            started = self.monotonic()
            state.running = True
            try:
                await run()
                error: BaseException = RuntimeError(f"{name} stopped by itself")
            except asyncio.CancelledError:
                state.running = False
                raise
            except Exception as exc:  # the whole point: log it, back off, start again
                error = exc
            state.running = False
            if self.monotonic() - started >= self.healthy_after:
                state.failures_in_a_row = 0
            state.failures_in_a_row += 1
            state.last_error = _describe(error)
            if state.failures_in_a_row >= self.max_failures:
                logger.critical("%s failed %d times in a row; giving up", name, state.failures_in_a_row,
                                exc_info=error)
                self._give_up(name)
                return
            delay = min(self.max_delay, self.min_delay * 2 ** (state.failures_in_a_row - 1))
            logger.error("%s failed; restarting in %.1fs", name, delay, exc_info=error)
            await self.sleep(delay)
            state.restarts += 1

    def _give_up(self, name: str) -> None:
        self.gave_up = self.gave_up or name
        self.failed.set()

    def unhealthy(self) -> dict[str, str]:
        """Tasks that are not running now (restarting after a failure), with their last error."""
        return {state.name: state.last_error or "not running" for state in self.states.values()
                if not state.running or (state.periodic and state.failures_in_a_row)}

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()


def _describe(error: BaseException) -> str:
    text = str(error).splitlines()[0][:200] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


async def finish_tasks(tasks: list[asyncio.Task[None]], timeout: float) -> None:
    """Let `tasks` end within `timeout` seconds; cancel those still running and wait until they have ended, so that
    none is left to the event loop's own shutdown (see `App.stop`)."""
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
