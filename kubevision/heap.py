"""The cyclic garbage collector around bulk work: paused while many objects are made, then told what stays.

CPython's collector runs when allocations outnumber deallocations, and a full collection scans every tracked
object. Parsing a list page of 500 realistic pods allocates some 40,000 containers (dicts and lists), so a
cache growing by pages triggers collections that scan the whole growing cache again and again: at 10,000
realistic pods they took about 40% of a sync (`benchmarks.scale`); the metrics sampler's kubelet Summary
answers (some 30,000 containers per 2,500 pods) cost it half of its CPU the same way. Nothing parsed there is a
reference cycle; reference counting frees it all. Manifest work pauses collection too (`kube/manifests.py`).

`collector_paused()` turns automatic collection off while at least one caller (a thread or a task) is inside;
past `GC_PAUSE_MAX_S` at a stretch the caller that leaves collects once, so a steady stream of bulk work
cannot let garbage cycles pile up for ever. `collector_paused(keep=True)` marks what was made inside as
long-lived: when the last caller leaves, one collection runs and the survivors are frozen (`gc.freeze`, as
large Python servers do after loading), so later collections no longer scan a synced cache. Frozen objects are
still freed by reference counting when they are replaced.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Iterator

# Garbage collection stays paused for at most this long at a stretch.
GC_PAUSE_MAX_S = 10.0


class _CollectorPause:
    """Automatic garbage collection off while at least one caller is inside (re-entrant, thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._was_enabled = False
        self._since = 0.0
        self._freeze = False

    @contextlib.contextmanager
    def __call__(self, *, keep: bool = False) -> Iterator[None]:
        with self._lock:
            if self._inside == 0:
                self._was_enabled = gc.isenabled()
                self._since = time.monotonic()
                gc.disable()
            self._inside += 1
        try:
            yield
        finally:
            with self._lock:
                self._inside -= 1
                self._freeze = self._freeze or keep
                collect = freeze = False
                if self._inside == 0:
                    collect = freeze = self._freeze and self._was_enabled
                    self._freeze = False
                    if self._was_enabled:
                        gc.enable()
                elif self._was_enabled and time.monotonic() - self._since > GC_PAUSE_MAX_S:
                    collect, self._since = True, time.monotonic()
            if collect:
                gc.collect()
            if freeze:
                gc.freeze()


collector_paused = _CollectorPause()
