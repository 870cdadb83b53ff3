"""Stop requests for the solves that run on threads of this process.

A signal (Ctrl-C) reaches only Python's main thread, so a solve that ``ilp.batch`` runs on a
thread beside it (``ilp.batch._Beside``) cannot be stopped by one. When the batch ends early
(an error, Ctrl-C), it asks its threads' solves to stop instead (:meth:`Stop.request`): the
clique search in C reads the request at its looks at the clock (``ilp.native.run``), the column
generation's pricing search raises ``Stopped`` in C (``ilp.native.walk``), which ends the solve,
and in Python ends its rounds as a time limit does (``ilp.colgen``), CP-SAT is told to stop its
search (``ilp.cpsat``), SCIP is interrupted (``ilp.scip``), and the processes of the HiGHS worker
(``ilp.highs``) and of CBC (:func:`children_ended`) are killed. What a stopped solve returns is
never used: the batch that asked has ended.

A Ctrl-C in the Python API raises ``KeyboardInterrupt`` in the main thread, also in the middle
of a solve of its own: the solver processes it waits for are then killed as well (here for CBC,
``ilp.workers`` for the HiGHS worker), so that none is left running, or answering later.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["Stop", "children_ended", "current", "enter", "started"]


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


_CHILDREN: ContextVar[list[subprocess.Popen] | None] = ContextVar("cabench_children", default=None)
"""The processes started in this thread's open :func:`children_ended` block, if any."""


@contextmanager
def children_ended() -> Iterator[None]:
    """Kill the processes that a library started in this block (:func:`started`, called by
    ``ilp.lifetime.guard_pulp``'s ``Popen`` for CBC) when the block ends, however it ends, and as
    soon as this thread's solves are asked to stop (:meth:`Stop.request`). A ``KeyboardInterrupt``
    raised while the thread waits for CBC left CBC running, and the batch's threads' CBC solves
    ran on after their batch had ended, each holding a core (found by a user's audit)."""
    children: list[subprocess.Popen] = []
    token = _CHILDREN.set(children)
    stop = current()

    def kill() -> None:
        for process in list(children):
            process.kill()  # (a process already reaped is not signalled: Popen checks)

    added = stop is not None and stop.add(kill)
    try:
        yield
    finally:
        _CHILDREN.reset(token)
        if added:
            stop.discard(kill)
        for process in children:
            if process.poll() is None:
                process.kill()
                process.wait()


def started(process: subprocess.Popen) -> None:
    """Note ``process``, just started, for this thread's :func:`children_ended` block; kill it at
    once when this thread's solves are already asked to stop (the request and this note may
    race: the request sets its flag before it kills, this adds the process before it reads the
    flag, so one of the two sees the other)."""
    children = _CHILDREN.get()
    if children is not None:
        children.append(process)
    stop = current()
    if stop is not None and stop.requested:
        process.kill()
