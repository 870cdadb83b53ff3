"""Stop requests for the solves that run on threads of this process.

A signal (Ctrl-C) reaches only Python's main thread, so a solve that ``ilp.batch`` runs on a
thread beside it (``ilp.batch._Beside``) cannot be stopped by one. When the batch ends early
(an error, Ctrl-C), it asks its threads' solves to stop instead (:meth:`Stop.request`): the
clique search in C reads the request at its looks at the clock (``ilp.native.run``), the column
generation's pricing search raises ``Stopped`` in C (``ilp.native.walk``), which ends the solve,
and in Python ends its rounds as a time limit does (``ilp.colgen``), CP-SAT is told to stop its
search (``ilp.cpsat``). What a stopped solve returns is never used: the batch that asked has ended.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextvars import ContextVar

__all__ = ["Stop", "current", "enter"]


class Stop:
    """One stop request, shared by the solves of the threads that :func:`enter` it."""

    def __init__(self) -> None:
        self.flag = bytearray(1)
        """1 once stopping is requested: read by the C search without the interpreter's lock."""
        self._lock = threading.Lock()
        self._stoppers: list[Callable[[], None]] = []

    @property
    def requested(self) -> bool:
        return bool(self.flag[0])

    def request(self) -> None:
        """Ask every solve under it to stop (those that start later do not start)."""
        with self._lock:
            self.flag[0] = 1
            stoppers = list(self._stoppers)
        for stopper in stoppers:
            stopper()

    def add(self, stopper: Callable[[], None]) -> bool:
        """Call ``stopper`` when stopping is requested; False (not added) if it was already."""
        with self._lock:
            if self.flag[0]:
                return False
            self._stoppers.append(stopper)
            return True

    def discard(self, stopper: Callable[[], None]) -> None:
        with self._lock:
            if stopper in self._stoppers:
                self._stoppers.remove(stopper)


_CURRENT: ContextVar[Stop | None] = ContextVar("cabench_stop", default=None)


def enter(stop: Stop) -> None:
    """Put this thread's solves under ``stop`` (a thread starts with a context of its own)."""
    _CURRENT.set(stop)


def current() -> Stop | None:
    """The stop request of this thread's solves, if any."""
    return _CURRENT.get()
