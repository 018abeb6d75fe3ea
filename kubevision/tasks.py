"""Named background tasks that log crashes and early exits, and a stop helper that cancels and waits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

log = logging.getLogger(__name__)

# How long `stop_tasks` waits for cancelled tasks before reporting them as stuck.
STOP_TIMEOUT_S = 5.0


def _report(task: asyncio.Task[Any]) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.error("task %s crashed", task.get_name(), exc_info=error)


def create_named_task(coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
    """Start a task whose crash is logged instead of lost."""
    task = asyncio.get_running_loop().create_task(coro, name=name)
    task.add_done_callback(_report)
    return task


async def wait_set(event: asyncio.Event, timeout_s: float) -> bool:
    """Wait until `event` is set, at most `timeout_s`; whether it is set. Use this, not `asyncio.wait_for`: on
    Python 3.11 `wait_for` loses a cancellation that arrives in the same turn as the event (it returns instead),
    so a task stopped just as something woke it would run on."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout_s):
            await event.wait()
    return event.is_set()


async def stop_tasks(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Cancel the tasks and wait for them; log those that do not finish in time."""
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    if not pending:
        return
    _done, stuck = await asyncio.wait(pending, timeout=STOP_TIMEOUT_S)
    for task in stuck:
        log.warning("task %s did not stop within %.0f s", task.get_name(), STOP_TIMEOUT_S)


class SharedRun:
    """At most one run of an operation at a time, shared by every caller that asks for it meanwhile: they all
    get its one outcome (a failure too) instead of waiting in turn and retrying one after the other."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, operation: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Join the run under way, or start `operation()`; a caller that gives up does not cancel it."""
        await asyncio.shield(self.start(operation))

    def start(self, operation: Callable[[], Coroutine[Any, Any, None]]) -> asyncio.Task[None]:
        """The run under way, or `operation()` started now, without waiting for it."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(operation(), name=self._name)
            self._task.add_done_callback(_seen)
        return self._task

    async def stop(self) -> None:
        """Cancel a run under way."""
        if self._task is not None:
            await stop_tasks([self._task])


def _seen(task: asyncio.Task[Any]) -> None:
    """Retrieve a shared run's failure: its callers got it already, or all of them gave up."""
    if not task.cancelled():
        task.exception()
