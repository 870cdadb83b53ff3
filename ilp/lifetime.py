"""The life of the processes cabench starts: safe start-up, death with the parent, and a clean stop.

Every worker process (a portfolio racer, a batch or sweep pool worker, the HiGHS worker, the
CBC binary) must end when cabench ends, however it ends:

* **SIGKILL of cabench** (nothing of cabench runs any more): each child asked the kernel to kill
  it when its parent dies (Linux ``prctl(PR_SET_PDEATHSIG)``), and a watchdog thread in each
  child checks ``getppid()`` twice a second as a second line (other systems, a missed signal).
* **SIGTERM, SIGINT (Ctrl-C), SIGHUP** (but a SIGHUP or SIGINT ignored from the start, under
  ``nohup`` or as a script's background job, stays ignored):
  :func:`interruptible` turns them into :class:`Interrupted` in the main thread and, from a
  helper thread woken through
  :func:`signal.set_wakeup_fd` (a solver running C code in the main thread cannot see Python's
  signal handlers), kills every descendant at once; if the main thread has not ended after
  :data:`GRACE_SECONDS` the helper ends the process itself with the conventional status
  (128 + the signal number). Children ignore SIGINT: a terminal's Ctrl-C reaches the whole
  process group, and the parent decides.

**Files in a private folder.** CBC reads and writes its model and solution through files that
PuLP puts in the system's temporary folder and deletes only after a normal solve: a run stopped
mid-solve left them in ``/tmp``. The command line gives its solvers a folder of their own
(:func:`scratch_folder`, named in the environment so worker processes use it too) and removes it
when it ends, after a signal too. Within it (or in the system's temporary folder, for the Python
API), each CBC solve has a folder of its own, removed when the solve ends (``ilp.cbc``). What
nothing could remove (after SIGKILL, or SIGTERM in a Python process of the API) is removed by
the next cabench process that makes such a folder, once the process that made it has ended
(:func:`temporary_folder`, whose names say which process made them).

No code from the working directory: Python puts the working directory (or the script's folder)
first on ``sys.path`` for ``-c`` and ``-m``, which is how worker processes (``ilp.workers``)
start. :func:`safe_children` sets ``PYTHONSAFEPATH=1`` for every interpreter this process
starts, so a downloaded data folder holding ``ilp/``, ``highspy.py`` or ``multiprocessing.py``
is never imported.
"""

from __future__ import annotations

import _thread
import contextlib
import functools
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from typing import NoReturn

__all__ = ["FOLDER_KINDS", "GRACE_SECONDS", "Interrupted", "SCRATCH", "WATCHDOG_SECONDS", "child_preexec",
           "child_setup", "die_with_parent", "end_after_stop", "guard_pulp", "interruptible", "kill_descendants",
           "no_empty_path_entries", "private_folder", "remove_left_behind", "safe_children", "scratch",
           "scratch_folder", "temporary_folder"]

GRACE_SECONDS = 1.5
"""After a stop signal, how long the main thread gets to end by itself (printing what was done)
before the process ends from the signal thread."""
WATCHDOG_SECONDS = 0.5


SCRATCH = "CABENCH_SCRATCH"
"""The environment variable naming :func:`scratch_folder` (inherited by worker processes)."""


FOLDER_KINDS = ("run", "cbc", "dask")
"""The kinds of :func:`temporary_folder`: a command's :func:`scratch_folder`, one CBC solve's files,
a sweep's Dask cluster's scratch space."""


def temporary_folder(kind: str, within: str | None = None) -> str:
    """A new private folder ``cabench-KIND-PID.HOST-<random>`` (``instances.files.owner_tag``)
    in ``within`` (by default the system's temporary folder, where the folders that ended
    processes left are removed first: :func:`remove_left_behind`); OSError if none can be made."""
    from instances.files import owner_tag

    if within is None:
        _removed_once(tempfile.gettempdir())
    return tempfile.mkdtemp(prefix=f"cabench-{kind}-{owner_tag()}-", dir=within)


def remove_left_behind(parent: str) -> None:
    """Remove the folders of :func:`temporary_folder` in ``parent`` whose process has ended
    (``instances.files.owner_ended``): SIGKILL runs no clean-up, and neither does SIGTERM in a
    Python process of the API (a kernel stopped), which left a CBC solve's folder in ``/tmp``
    for ever. Folders of running processes, of another process-id space (another machine or
    container sharing the folder) or of another form are left alone."""
    from instances.files import owner_ended, process_space

    here = process_space()
    with contextlib.suppress(OSError):
        for entry in os.scandir(parent):
            kind, _, rest = entry.name.removeprefix("cabench-").partition("-")
            tag, _, suffix = rest.rpartition("-")
            if (entry.name.startswith("cabench-") and kind in FOLDER_KINDS and suffix and owner_ended(tag, here)
                    and entry.is_dir(follow_symlinks=False)):
                shutil.rmtree(entry.path, ignore_errors=True)


@contextlib.contextmanager
def private_folder(kind: str) -> Iterator[str | None]:
    """A new folder of :func:`temporary_folder`, in the command's own folder (:func:`scratch`) if
    there is one, removed when the block ends however it ends; None when none can be made (the
    caller's library keeps its default)."""
    try:
        folder = temporary_folder(kind, scratch())
    except OSError:
        yield None
        return
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@functools.cache  # (once per process: the Python API makes a folder per CBC solve)
def _removed_once(parent: str) -> None:
    remove_left_behind(parent)


@contextlib.contextmanager
def scratch_folder() -> Iterator[Callable[[], None]]:
    """A new private temporary folder named in the environment (:data:`SCRATCH`) within the
    block, where solvers write their files (``ilp.cbc``), removed at the end of the block; the
    block gets the removal itself too, for an end that skips it (``cabench.cli.main``'s forced
    end after a signal). The folders that killed commands left are removed first
    (:func:`temporary_folder`)."""
    try:
        folder = temporary_folder("run")
    except OSError:  # no writable temporary folder: the solvers keep their own defaults
        yield lambda: None
        return
    previous = os.environ.get(SCRATCH)
    os.environ[SCRATCH] = folder

    def remove() -> None:
        shutil.rmtree(folder, ignore_errors=True)

    try:
        yield remove
    finally:
        remove()
        if previous is None:
            os.environ.pop(SCRATCH, None)
        else:
            os.environ[SCRATCH] = previous


def scratch() -> str | None:
    """The folder of :func:`scratch_folder` in effect (this process's or its parent's), if any."""
    folder = os.environ.get(SCRATCH)
    return folder if folder and os.path.isdir(folder) else None


class Interrupted(KeyboardInterrupt):
    """Raised in the main thread by SIGINT, SIGTERM or SIGHUP; ``signal`` is the signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signal = signum


def safe_children() -> None:
    """Make every Python interpreter this process starts ignore the working directory
    (``PYTHONSAFEPATH``, Python 3.11): worker processes, and the children of libraries (Dask).
    An empty entry of ``PYTHONPATH`` also means the working directory, which ``-P`` keeps
    (``export PYTHONPATH=$PYTHONPATH:/x`` with the variable unset makes one): dropped here, and
    from this process's own ``sys.path`` (:func:`no_empty_path_entries`)."""
    os.environ["PYTHONSAFEPATH"] = "1"
    no_empty_path_entries()


def no_empty_path_entries() -> None:
    """Drop the empty entries of ``PYTHONPATH`` from the environment, and move the working
    directory they put on this process's ``sys.path`` (Python reads an empty entry as the
    working directory at its start) to its end, unless ``PYTHONPATH`` names that folder itself:
    behind the standard library and the installed packages, a ``pulp.py`` there is never the
    one imported, and a working directory that is itself such a folder (site-packages, whose
    later copy Python drops) still serves."""
    given = os.environ.get("PYTHONPATH")
    if given is None or "" not in given.split(os.pathsep):
        return
    named = [entry for entry in given.split(os.pathsep) if entry]
    if named:
        os.environ["PYTHONPATH"] = os.pathsep.join(named)
    else:
        del os.environ["PYTHONPATH"]
    here = os.getcwd()
    if any(os.path.abspath(entry) == here for entry in named):
        return
    # PYTHONPATH's entries come first, after the script's folder ('' for -c) unless the path is
    # safe (-P, PYTHONSAFEPATH): the first copy of the working directory among them is the
    # empty entry's
    first = 0 if sys.flags.safe_path else 1
    for k in range(first, min(len(sys.path), first + len(given.split(os.pathsep)))):
        if sys.path[k] == here:
            sys.path.append(sys.path.pop(k))
            break


@functools.cache  # (looked up once, in the parent: see child_preexec)
def _libc_prctl() -> Callable[..., int] | None:
    """libc's ``prctl`` on Linux (None elsewhere)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    return ctypes.CDLL(None, use_errno=True).prctl


def die_with_parent() -> None:
    """Linux: ask the kernel to SIGKILL this process when its parent dies (the setting survives
    exec). For a child about to be started, :func:`child_preexec`."""
    prctl = _libc_prctl()
    if prctl is not None:
        prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG


def child_preexec(*, deaf_to_ctrl_c: bool = False) -> Callable[[], None]:
    """The ``preexec_fn`` of a child this process starts (it runs in the child, between fork and
    exec): the child dies with this process (:func:`die_with_parent`) and, with
    ``deaf_to_ctrl_c``, ignores Ctrl-C from its start.

    An ignored signal stays ignored across exec, and Python then installs no handler of its own:
    cabench's worker processes are started so (:func:`child_setup` came too late for a worker
    still importing when a user pressed Ctrl-C, which a terminal sends to the whole group: it
    printed a ``KeyboardInterrupt`` traceback under the command's own line, the audit of
    2026-12-05). libc is looked up here, before the fork: the child of a process with threads
    must take no lock between fork and exec that another thread may have held at the fork, and an
    import (a module's lock) or a library lookup (the dynamic loader's) there could wait for ever,
    and the thread starting the child with it."""
    prctl = _libc_prctl()

    def preexec() -> None:
        if deaf_to_ctrl_c:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        if prctl is not None:
            prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG

    return preexec


def child_setup(parent: int) -> None:
    """Run first in every worker process cabench starts (``parent`` is the starting process's
    pid): die with the parent, leave Ctrl-C to the parent, and watch the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    if os.getppid() != parent:  # the parent died before the kernel was told
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="cabench-watchdog", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(WATCHDOG_SECONDS)
        if os.getppid() != parent:
            kill_descendants()
            os._exit(1)


def kill_descendants() -> None:
    """SIGKILL every process below this one (solver workers, their CBC binaries, pools), except
    multiprocessing's resource tracker: it ends by itself once this process is gone, and killing
    it early only makes it restart and complain. Listing them is tried three times when it meets
    an OSError (a descriptor another thread closed under psutil), then given up in silence: the
    signal thread's forced end must follow whatever happens here."""
    import psutil

    for attempt in range(3):
        try:
            children = [c for c in psutil.Process().children(recursive=True) if not _is_resource_tracker(c)]
            break
        except psutil.Error:
            return
        except OSError:  # (EBADF reading /proc: a descriptor another thread closed under psutil, seen
            if attempt == 2:  # once in 26 Ctrl-C of `perf --jobs 2`; the stop thread died there)
                return
            time.sleep(0.01)
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.kill()
    psutil.wait_procs(children, timeout=2)


def _is_resource_tracker(process) -> bool:
    import psutil

    try:
        return any("resource_tracker" in part for part in process.cmdline())
    except psutil.Error:
        return False


_IMPORT_LOCKING = "<frozen importlib._bootstrap>"
"""The file name of the frames of importlib's own locking (the code of a module being imported
runs in frames of that module's file)."""


def _interrupt_main_soon(signum: int) -> None:
    """Signal ``signum`` to the main thread again, 10 ms from now (:func:`interruptible`)."""
    time.sleep(0.01)  # (a main thread blocked inside importlib would otherwise see it at once, again and again)
    _thread.interrupt_main(signum)


_IGNORED_AT_START = frozenset(s for s in (signal.SIGINT, getattr(signal, "SIGHUP", None))
                              if s is not None and signal.getsignal(s) == signal.SIG_IGN)
"""SIGINT and SIGHUP as this process found them, ignored or not (read when this module is first
imported, before any :func:`interruptible` block): a block's end after a stop leaves them ignored,
which a later block in the same process must not read as ignored from the start."""


@contextlib.contextmanager
def interruptible(on_stop: Callable[[int], None] = lambda signum: None) -> Iterator[threading.Event]:
    """Within the block, SIGINT, SIGTERM and SIGHUP (SIGINT and SIGHUP unless ignored from the
    start, as under ``nohup`` or in a script's background job) raise :class:`Interrupted` in the
    main thread, all descendants are killed at once, and the process ends within
    :data:`GRACE_SECONDS` even if the main thread is busy in a solver's C code. ``on_stop(signum)``
    is called (from the signal thread) just before such a forced end, to say what was done. After
    a stop, the three signals stay ignored: the process is ending. Yields an event set once such
    a signal has come (an :class:`Interrupted` raised by other code, as tests do, sets nothing:
    :func:`end_after_stop` is for a real stop)."""
    if threading.current_thread() is not threading.main_thread():
        yield threading.Event()
        return
    safe_children()
    # what the signal thread runs after a signal is imported now: the main thread's Interrupted
    # may be raised between importlib's taking and releasing its global lock, which then stays
    # held, and an import there waited forever (and the process with it: the forced end is its
    # way out of such a state)
    import psutil  # noqa: F401 (kill_descendants')

    reader, writer = socket.socketpair()
    reader.setblocking(True)
    writer.setblocking(False)
    stopping = threading.Event()
    # a SIGHUP ignored from the start (``nohup cabench ...``) stays ignored: the terminal closing
    # stopped a sweep its user had meant to outlive it; so does a SIGINT ignored from the start
    # (a shell starts a script's background job so, ``cabench ... &``: the terminal's Ctrl-C,
    # meant for the foreground, stopped it; found by a user's audit)
    hangup = getattr(signal, "SIGHUP", None)
    signals = [s for s in (signal.SIGINT, signal.SIGTERM, hangup)
               if s is not None and s not in _IGNORED_AT_START]

    def raise_interrupted(signum: int, frame) -> None:
        if stopping.is_set():
            return
        if frame is not None and frame.f_code.co_filename == _IMPORT_LOCKING:
            # raised there, between importlib's taking its global lock and its ``try``, the
            # Interrupted left the lock held, and every later import by another thread waited
            # forever (a worker-starting thread, which the stop then waited for): delivered
            # again a little later, once the main thread is out of importlib's own code
            _thread.start_new_thread(_interrupt_main_soon, (signum,))
            return
        stopping.set()
        raise Interrupted(signum)

    def redeliver(unraisable) -> None:
        """``sys.unraisablehook`` within the block. A signal's handler runs wherever the main
        thread is, and where Python cannot raise (a ``gc.callbacks`` hook such as
        ``ilp.batch``'s, a ``__del__``) the Interrupted was printed as "Exception ignored ...
        Traceback" and lost, so the process ended only from the helper thread after the grace
        time (seen once in the Ctrl-C test of the clique backend, 2026-12-04). It is signalled
        to the main thread again instead, from a new thread that runs only when this one lets go
        of the interpreter, so the handler runs after this hook (signalled from this thread, or
        from a ``threading.Thread``, whose start waits for it, it ran inside the hook, where a
        raise is lost too). Should it land where a raise is lost again, it comes back here."""
        if isinstance(unraisable.exc_value, Interrupted):
            stopping.clear()
            _thread.start_new_thread(_thread.interrupt_main, (unraisable.exc_value.signal,))
        else:
            previous_hook(unraisable)

    def watch() -> None:
        stops = [int(s) for s in signals]
        while True:  # (another signal with a Python handler, a library's SIGCHLD, writes here too)
            try:
                data = reader.recv(1)
            except OSError:
                return
            if not data:
                return
            if data[0] in stops:
                break
        signum = data[0]
        with contextlib.suppress(Exception):  # (whatever it meets, the process still ends below)
            kill_descendants()
        time.sleep(GRACE_SECONDS)
        with contextlib.suppress(Exception):
            on_stop(signum)
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os._exit(128 + signum)

    previous = {s: signal.signal(s, raise_interrupted) for s in signals}
    old_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    previous_hook, sys.unraisablehook = sys.unraisablehook, redeliver
    thread = threading.Thread(target=watch, name="cabench-signals", daemon=True)
    thread.start()
    try:
        yield stopping
    finally:
        sys.unraisablehook = previous_hook
        signal.set_wakeup_fd(old_fd)
        # after a signal the process ends (the signal thread sees to it), and a second one is
        # ignored: put back to its default, it ended the process at once, under the first one's
        # line with its own status
        for s, handler in previous.items():
            signal.signal(s, signal.SIG_IGN if stopping.is_set() else handler)
        # after a signal the signal thread ends the process, and its socket stays open for it: a
        # signal at the block's very start, handled and the block left before that thread had
        # reached its ``recv``, found the socket closed, and nothing forced the end
        if not stopping.is_set():
            writer.close()  # wakes the thread with EOF
            thread.join(timeout=1)
            reader.close()


def end_after_stop(status: int) -> NoReturn:
    """End the process now with ``status``, after a stop the command has said and cleaned up
    for: its output flushed, its descendants killed, and no interpreter shutdown. Solver threads
    of this process (CP-SAT's, SCIP's, in the batch's threads) may still be inside their C++
    code, and a normal exit destroyed their threads under them: "terminate called without an
    active exception" and status 134 (abort) after the stop's line, about one Ctrl-C in two on
    CATS arbitrary 128 / 1000 (2026-12-06)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            if stream is not None:
                stream.flush()
    with contextlib.suppress(Exception):
        kill_descendants()
    os._exit(status)


class _GuardedSubprocess:
    """``subprocess`` as seen by a library whose children must die with this process: the same
    module, except that ``Popen`` children die with this process (:func:`child_preexec`)."""

    def __init__(self) -> None:
        import subprocess

        self._module = subprocess

    def __getattr__(self, name: str):
        return getattr(self._module, name)

    def Popen(self, *args, **kwargs):  # noqa: N802 (the name the library calls)
        from ilp import stopping

        if sys.platform.startswith("linux") and kwargs.get("preexec_fn") is None:
            kwargs["preexec_fn"] = child_preexec()
        process = self._module.Popen(*args, **kwargs)
        stopping.started(process)  # killed when its solve ends or is asked to stop
        return process


def guard_pulp() -> None:
    """Make the CBC binary that PuLP starts die with the process that started it (a racer or
    pool worker killed with its parent must not leave CBC running)."""
    from pulp.apis import coin_api

    if not isinstance(coin_api.subprocess, _GuardedSubprocess):
        coin_api.subprocess = _GuardedSubprocess()
