"""The task helpers: `wait_set` keeps a cancellation that arrives in the same turn as the event it waits for."""

import asyncio

from kubevision.tasks import stop_tasks, wait_set


async def test_wait_set_tells_whether_the_event_came() -> None:
    event = asyncio.Event()
    assert await wait_set(event, 0.01) is False
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await wait_set(event, 5) is True


async def test_a_task_stopped_just_as_its_event_is_set_stops() -> None:
    """The port-forward supervisor once ran on after its forward was deleted: a pod event and the stop came in
    the same turn, and `asyncio.wait_for` (Python 3.11) returned the event instead of raising the cancellation."""
    event = asyncio.Event()
    rounds = 0

    async def follow() -> None:
        nonlocal rounds
        while True:
            rounds += 1
            await wait_set(event, 60)
            event.clear()

    task = asyncio.create_task(follow())
    await asyncio.sleep(0)
    assert rounds == 1
    event.set()
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=1)
    assert task in done
    assert task.cancelled()
    assert rounds == 1


async def test_stop_tasks_waits_for_cancelled_tasks() -> None:
    finished: list[str] = []

    async def cleans_up() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            await asyncio.sleep(0.01)
            finished.append("cleaned")

    task = asyncio.create_task(cleans_up())
    await asyncio.sleep(0)
    await stop_tasks([task])
    assert task.cancelled()
    assert finished == ["cleaned"]
