"""The collector pause shared by cache syncs and manifest work (kubevision/heap.py)."""

from __future__ import annotations

import gc
import threading
import time

import orjson
import pytest

from kubevision import heap


@pytest.fixture(autouse=True)
def _collector_restored():
    gc.enable()
    yield
    gc.unfreeze()
    gc.enable()


def test_paused_inside_and_restored_after_the_last_caller_leaves():
    with heap.collector_paused():
        assert not gc.isenabled()
        with heap.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_pause_held_by_another_thread_outlasts_this_one():
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with heap.collector_paused():
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    entered.wait(5)
    with heap.collector_paused():
        pass
    assert not gc.isenabled(), "the other thread is still inside"
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    with heap.collector_paused(keep=True):
        pass
    assert not gc.isenabled()
    assert gc.get_freeze_count() == 0, "nothing is frozen when the caller manages the collector itself"
    gc.enable()
    with heap.collector_paused():
        pass
    assert gc.get_freeze_count() == 0, "a keep made while the collector was off is not carried to the next pause"


def test_keep_freezes_what_survives_and_collects_cycles_first():
    gc.unfreeze()
    with heap.collector_paused(keep=True):
        kept = [{"row": [index]} for index in range(10_000)]
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
    frozen = gc.get_freeze_count()
    assert frozen >= 20_000, "the kept rows (a dict and a list each) are frozen"
    gc.unfreeze()
    assert gc.collect() == 0, "the cycle made inside was collected before freezing, not frozen"
    assert len(kept) == 10_000


def test_a_long_stretch_collects_once_without_ending_the_pause(monkeypatch):
    monkeypatch.setattr(heap, "GC_PAUSE_MAX_S", 0.0)
    with heap.collector_paused():
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        time.sleep(0.01)
        with heap.collector_paused():
            pass
        assert not gc.isenabled()
        assert gc.collect() == 0, "the inner caller collected when it left, past GC_PAUSE_MAX_S"
    assert gc.isenabled()


def test_no_collection_runs_while_pages_are_parsed_into_a_growing_heap():
    """What the pause is for: without it, parsing pages while earlier pages stay alive runs collections of the
    older generations, which scan what was kept; paused, none runs."""
    page = orjson.dumps({"items": [{"metadata": {"name": f"pod-{i}", "labels": {"a": "b"}},
                                    "spec": {"containers": [{"name": "c", "env": [{"name": "X", "value": "1"}]}]}}
                                   for i in range(2_000)]})
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    def load_pages() -> list[int]:
        collections.clear()
        kept = [orjson.loads(page) for _ in range(30)]
        assert len(kept) == 30
        return list(collections)

    gc.callbacks.append(count)
    try:
        gc.collect()
        unpaused = load_pages()
        with heap.collector_paused():
            paused = load_pages()
    finally:
        gc.callbacks.remove(count)
    assert any(generation >= 1 for generation in unpaused), unpaused
    assert paused == []
