"""Automatic garbage collection paused while large acyclic trees are built and dropped (parsed manifests, kubelet
Summary answers): reference counting frees them, and every collection meanwhile would walk all of their objects
again holding the GIL."""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Iterator

# Garbage collection is paused for at most this long at a stretch.
GC_PAUSE_MAX_S = 10.0


class CollectorPause:
    """Automatic garbage collection off while at least one thread is inside (re-entrant across threads).

    Under a steady stream of such work the pause could last for ever; past `GC_PAUSE_MAX_S` the thread that
    leaves collects once (one pause of the loop, instead of garbage cycles piling up) and the clock restarts.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._was_enabled = False
        self._since = 0.0

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
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
                collect = False
                if self._inside == 0 and self._was_enabled:
                    gc.enable()
                elif self._was_enabled and time.monotonic() - self._since > GC_PAUSE_MAX_S:
                    collect, self._since = True, time.monotonic()
            if collect:
                gc.collect()


collector_paused = CollectorPause()
