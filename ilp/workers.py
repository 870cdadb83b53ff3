"""Worker processes started as ``python -P -m ilp.workers``, and a pool of them.

Every process cabench starts to solve something (a portfolio racer, a batch or sweep worker, the
HiGHS worker) is one of these. They are plain subprocesses, not ``multiprocessing`` children:
multiprocessing's "spawn" and "forkserver" start methods run the caller's main script again in
every child (so a script calling cabench would need an ``if __name__ == "__main__":`` guard,
and a notebook's cells could run twice), and "fork" copies the solvers' threads and OR-Tools'
``libhighs`` into the child (see ``ilp.highs``). A worker imports only what its calls need.

Protocol: the parent writes pickled ``(function, args, kwargs, with_store)`` requests on the
worker's standard input; the worker answers each with a pickled ``("ok", result)`` or ``("error",
exception)`` on the standard output it started with (whatever a solver prints there goes to
``/dev/null``). Functions travel by reference (module and name), so they must be importable. A request
``with_store`` calls ``function(store, *args, **kwargs)``, where ``store`` is a dict that lives as
long as the worker: what a caller sends once and refers to later (``ilp.remote`` keeps the
weights and compiled blocks of a batch there).
Each worker dies with its parent (``ilp.lifetime``) and never searches the working directory
(``-P``).
"""

from __future__ import annotations

import gc
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

__all__ = ["OVERRUN", "Worker", "WorkerDied", "WorkerOverran", "WorkerPool", "receive", "send"]

_ROOT = str(Path(__file__).resolve().parent.parent)  # the folder holding the ilp package

OVERRUN = 30.0
"""Seconds a worker may run past the time limit its call was given before the caller gives up on
it (:meth:`Worker.call_within`, ``ilp.portfolio.race``). Solvers check their limits between
steps, and some steps ignore them: HiGHS 1.x's presolve merged the cliques of a 33,536-column set
packing for over ten minutes under a 20 s limit (2026-12-05, a core of paths 256 / 2000 / 10 with
5 candidates)."""


def send(stream, message: Any) -> None:
    """Write one length-prefixed pickled message."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def receive(stream) -> Any:
    """Read one message written by :func:`send`; EOFError when the other side is gone."""
    header = stream.read(8)
    if len(header) < 8:
        raise EOFError
    (size,) = struct.unpack("<Q", header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    # A program with knowledge is thousands of small acyclic objects (500 players: 500 weights,
    # each its own valuation); the cyclic collector found no cycles in them and, run every few
    # hundred allocations, took most of the unpickling time (2.7 s of 2.9 s for 500 programs).
    # Only the main thread switches the collector: the switch is global, and a report's answers
    # are read in other threads while the main thread has paused the collector itself (reading
    # the file, planning) and must find it as it left it.
    if threading.current_thread() is not threading.main_thread():
        return pickle.loads(data)
    enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(data)
    finally:
        if enabled:
            gc.enable()


class WorkerDied(BrokenProcessPool):
    """A worker process ended without answering (killed, out of memory)."""


class WorkerOverran(WorkerDied):
    """A worker stopped by :meth:`Worker.call_within` because it did not answer in time."""


class Worker:
    """One worker process; :meth:`call` runs a function there and returns its result.

    ``env``: extra environment variables of the worker (e.g. ``CABENCH_CORES``), on top of
    ``ilp.blas.ENVIRONMENT`` (NumPy's BLAS on one thread)."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        from ilp import blas
        from ilp.lifetime import child_preexec

        # BLAS on one thread (its idle threads spun on the cores the solves needed: ilp.blas)
        environment = {**os.environ, "PYTHONSAFEPATH": "1", **blas.ENVIRONMENT, **(env or {})}
        # (an empty entry of PYTHONPATH is the working directory, which -P keeps on the path)
        given = os.environ.get("PYTHONPATH", "").split(os.pathsep)
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [_ROOT, *given]))
        self.process = subprocess.Popen([sys.executable, "-P", "-m", "ilp.workers", str(os.getpid())],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=environment,
                                        preexec_fn=child_preexec(deaf_to_ctrl_c=True))

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)`` in the worker; its exception is raised here.
        :class:`WorkerDied` if the worker ends (or is stopped) first."""
        return self._request(function, args, kwargs, False)

    def call_within(self, seconds: float | None, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """:meth:`call`, but the worker is killed when it has not answered after ``seconds``
        (None, or beyond what a timer can wait: no limit), and :class:`WorkerOverran` raised;
        the worker is then dead (a kill that races the answer may also end it after an answer:
        check :attr:`alive` before reusing it)."""
        if seconds is None or not seconds < threading.TIMEOUT_MAX:
            return self.call(function, *args, **kwargs)
        fired = threading.Event()

        def stop() -> None:
            fired.set()  # before the kill: the caller reads it once the pipe breaks
            self.process.kill()

        timer = threading.Timer(max(seconds, 0.0), stop)
        timer.daemon = True
        timer.start()
        try:
            return self.call(function, *args, **kwargs)
        except WorkerDied:
            if fired.is_set():
                self.process.wait()  # reaped: ``alive`` is False from here on
                raise WorkerOverran(f"a worker process did not answer within {seconds:.3g} s and was stopped") from None
            raise
        finally:
            timer.cancel()
            timer.join()  # a kill under way lands now, not during the worker's next call

    def call_with_store(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``function(store, *args, **kwargs)`` in the worker, ``store`` being the worker's own
        dict, kept from call to call for as long as the worker lives (see the module docstring)."""
        return self._request(function, args, kwargs, True)

    def _request(self, function: Callable[..., Any], args: tuple, kwargs: dict, with_store: bool) -> Any:
        try:
            send(self.process.stdin, (function, args, kwargs, with_store))
            kind, value = receive(self.process.stdout)
        except (EOFError, BrokenPipeError, ConnectionResetError, ValueError, OSError):
            raise WorkerDied(f"a worker process died (exit status {self.process.poll()})") from None
        except BaseException:
            # interrupted between the request and its answer (a KeyboardInterrupt in the Python
            # API): the worker goes on with the request, and its answer would be read as the
            # answer to the next one. It is killed: a worker is never asked again in that state.
            # (Any other error here, such as an answer that cannot be unpickled, kills it too: a
            # new worker is then started, which costs only its start-up.)
            self.stop()
            raise
        if kind == "error":
            raise value
        return value

    def stop(self) -> None:
        """Kill the worker now (its own children die with it) and reap it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


class WorkerPool(Executor):
    """A :class:`concurrent.futures.Executor` running each call in one of ``workers`` worker
    processes (started on first use, replaced after one dies). ``shutdown(cancel_futures=True)``
    or ``shutdown(wait=False)`` kills the workers at once."""

    def __init__(self, workers: int, env: Mapping[str, str] | None = None) -> None:
        self._env = dict(env or {})
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cabench-worker")
        self._local = threading.local()
        self._workers: list[Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        return self._threads.submit(self._call, fn, args, kwargs)

    def _call(self, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        worker = getattr(self._local, "worker", None)
        if worker is None or not worker.alive:
            with self._lock:
                if self._closed:
                    raise WorkerDied("the worker pool is shut down")
                worker = self._local.worker = Worker(self._env)
                self._workers.append(worker)
        return worker.call(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
        if cancel_futures or not wait:
            self._threads.shutdown(wait=False, cancel_futures=True)
            self._stop_all()
            if wait:
                self._threads.shutdown(wait=True)
            return
        self._threads.shutdown(wait=True)
        self._stop_all()

    def _stop_all(self) -> None:
        with self._lock:
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.stop()


def _serve() -> None:
    """The worker's loop: one request in, one answer out, until the parent closes the pipe."""
    from ilp.lifetime import child_setup

    if len(sys.argv) > 1 and sys.argv[1].isdigit():
        child_setup(int(sys.argv[1]))
    requests = sys.stdin.buffer
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    quiet = os.open(os.devnull, os.O_WRONLY)  # solvers (HiGHS) print banners on standard output
    os.dup2(quiet, sys.stdout.fileno())
    store: dict[Any, Any] = {}
    while True:
        try:
            function, args, kwargs, with_store = receive(requests)
        except EOFError:
            return
        try:
            answer = ("ok", function(store, *args, **kwargs) if with_store else function(*args, **kwargs))
        except Exception as exc:  # the caller re-raises it
            answer = ("error", exc)
        try:
            send(answers, answer)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:  # an unpicklable result or exception
            send(answers, ("error", RuntimeError(f"{answer[1]!r} ({exc})")))


if __name__ == "__main__":
    _serve()
