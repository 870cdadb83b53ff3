"""Solve many programs at once: each distinct program once, related programs from each other,
independent programs in parallel worker processes.

Five exact savings, none of which changes a single value:

* **Duplicates.** Equal programs (a :class:`Program` is a frozen value) are solved once.
* **Programs with no positive weight.** When every weight is excluded (``None``) or has no
  option (0 on every bundle), the optimum is 0 and the empty allocation attains it: no solve.
* **Removing a player who wins nothing.** If program ``P`` equals program ``Q`` with one player
  ``i`` removed (``P.weights[i] is None``, everything else equal) and a proven optimum of ``Q``
  gives ``i`` nothing, that optimum is feasible for ``P``, and ``P`` allows no more than ``Q``,
  so it is optimal for ``P`` too, with the same value (``w_i`` of the empty bundle is 0): no solve.
* **Warm starts.** Otherwise ``Q``'s solution with ``i``'s bundle dropped is a feasible
  solution of ``P`` and is handed to the solver as its starting point.
* **Lifts from an upper bound.** A program listed with a bound (``solve_batch``'s ``bounds``: a
  program whose weights are each at least its own, ``ilp.lift.dominates``) waits for that
  program too, and is first lifted from its proven optimum (``ilp.lift.lift``): an allocation
  worth the bound's optimum is optimal. Only when that fails is it solved.

Bookkeeping is linear in the size of the programs: every distinct weight object is hashed once
and a program becomes a tuple of small integers (``ilp.index.ProgramIndex``), so duplicates and
parents are found by hashing, never by comparing programs pairwise.

Programs are solved side by side, one per worker process, on up to ``jobs`` processes (each
solver single-threaded, so the cores are not oversubscribed). There are no rounds: a program
that removes a player from another waits for that one program only, and starts as soon as it is
solved (MIEW_i once MIKW_i is, while other MIKW_j are still being solved), and work that needs a
solution (``solve_batch``'s ``after``: a report's MSW_{-i} of MSW's winners and its tie-break)
joins the running batch as soon as that solution is known. A round would leave cores idle at
its end, waiting for its slowest program, and each round had its own tail. Small batches stay
in this process: a worker process costs about a second to start. There they are solved on one
thread per core (``_Beside``): the solvers' long loops (the clique searches in C, CP-SAT, GLOP)
let go of the interpreter, so the threads share the cores where they do. Worker processes
are those of ``ilp.workers``: they never run the caller's script again, so a plain script or a
notebook needs no ``if __name__ == "__main__":`` guard. ``ilp.remote`` sends each weight to a
worker once and keeps a program that removes a player on the worker that holds its weights. With the
``portfolio`` backend, programs solved side by side (on this process's threads or in workers)
each get the solver that won the latest race in this batch, alone. The first
program of each kind (a kind: how many removals from a program of the batch, and whether
``after`` added it; e.g. MIKW_i, MIEW_i, MSW_{-i}) is raced here (in a worker while programs
still arrive) before the rest of its kind go side by side, so they get the solver that won on
a program like theirs: CP-SAT proves the MSW_{-i} of CATS "arbitrary" files in seconds where
SCIP, which may win MSW itself, needs minutes (measured by ``cabench perf --suite cats``). Such
a later race runs the latest race's winner and one other solver per remaining core
(``SolveOptions.lead``), so on two cores the likely winner runs at full speed. A program whose
weights are covering unions (``_Robust``) is never raced: the portfolio gives it to
``ilp.colgen`` wherever it runs.

A batch may also take programs while it runs (``more``, :class:`Arrivals`): a report's batch
starts once the file's valuations are read and each MIKW_i joins it as soon as player i's
lower bounds are (``benchmarks.report.EarlyWelfare``). This process is then still reading, so
nothing is solved here: a race goes to a worker, the rest of its kind waiting for its winner.
"""

from __future__ import annotations

import gc
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

from ilp import blas, cpsat, native, onebid, stopping
from ilp.backends import as_options, count_solving, solve
from ilp.compile import union_options
from ilp.contract import SolveOptions
from ilp.index import Compactor, ProgramIndex
from ilp.lex import lex_first
from ilp.lift import dominates, lift
from ilp.portfolio import EXACT_RACERS, PROBE_SECONDS, RACERS, cores
from ilp.program import Program, Solution, Status, positions_of, several
from ilp.remote import Remote, Task, warm_up

__all__ = ["After", "Arrivals", "BatchAbandoned", "LexFirst", "PARALLEL_AFTER_SECONDS", "PARALLEL_WORK_SECONDS",
           "Progress", "default_jobs", "frozen_heap", "prefetch", "shared_workers", "solve_batch", "start_worker",
           "worker_pool"]

PARALLEL_AFTER_SECONDS = 0.5
"""With automatic ``jobs``, programs are solved in this process until one takes this long, or
until the programs left, at the mean time so far, promise :data:`PARALLEL_WORK_SECONDS` of
work (many small programs, e.g. one MIEW_i per player); the rest of the batch then goes to
worker processes. Worker processes cost about a second each to start, so thousands of
millisecond programs stay here."""
PARALLEL_WORK_SECONDS = 4.0

Progress = Callable[[int, int], None]
"""``progress(done, total)``: distinct programs settled so far, out of all distinct programs."""



@dataclass(frozen=True)
class LexFirst:
    """Work that an ``after`` callback of :func:`solve_batch` may add besides programs: the
    lexicographically first optimum of ``program`` (``ilp.lex.lex_first``) from its proven
    optimum ``first``. Solved like any program, in a worker when the batch uses them, with the
    batch's own options (the portfolio keeps its clique search and its races), or in a worker
    once a race of this batch was won, without a race (it would share the cores with the other
    workers' programs): the winner solves the welfare programs and CP-SAT the ordering steps
    (``ilp.lex.lex_first``)."""

    program: Program
    first: Solution


After = Callable[[Solution], Sequence["Program | LexFirst"]]
"""``after[k](solution)``: more work for the batch, once its k-th program is settled."""


class BatchAbandoned(Exception):
    """A batch whose programs were still arriving (:class:`Arrivals`) was given up."""


class Arrivals:
    """Programs that join a running :func:`solve_batch` (its ``more``) while the caller builds
    them: ``add`` as they are made, then ``close`` with the batch's whole list of programs, in
    the order of the results. Each joins the batch as soon as it is added, as if it had been
    listed from the start: a report's MIKW_i starts as soon as player i's knowledge is read.
    Thread-safe; the batch runs in another thread than the one that adds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Program] = []
        self._end: tuple | None = None  # ("close", programs, progress, bounds) or ("abandon",)
        self._signal: Future = Future()

    def _wake(self) -> None:
        if not self._signal.done():
            self._signal.set_result(None)

    def add(self, programs: Sequence[Program]) -> None:
        """More programs for the batch (ignored once it is closed or abandoned)."""
        with self._lock:
            if self._end is None:
                self._items.extend(programs)
                self._wake()

    def close(self, programs: Sequence[Program], progress: Progress | None = None,
              bounds: Mapping[int, Program] | None = None) -> None:
        """Nothing more will come: ``programs`` is the batch's whole list (every program added,
        and any others), whose solutions :func:`solve_batch` returns, in this order, followed
        by what ``after`` added; its first programs are those :func:`solve_batch` was called
        with, so ``after``'s keys keep their meaning. ``progress`` follows the batch from now.
        ``bounds``: as :func:`solve_batch`'s, by position in ``programs``, for programs not
        added before (one added before is under way already)."""
        with self._lock:
            if self._end is None:
                self._end = ("close", list(programs), progress, dict(bounds or {}))
                self._wake()

    def abandon(self) -> None:
        """Give the batch up: no more programs are sent to the workers, and :func:`solve_batch`
        raises :class:`BatchAbandoned` once the requests under way have ended."""
        with self._lock:
            if self._end is None:
                self._end = ("abandon",)
            self._wake()

    def signal(self) -> Future:
        """A future done once :meth:`take` has something new."""
        with self._lock:
            return self._signal

    def take(self) -> tuple[list[Program], tuple | None]:
        """(the programs added since the last call, the end if it came: see :meth:`close`)."""
        with self._lock:
            items, self._items = self._items, []
            if self._end is None:
                self._signal = Future()
            return items, self._end


def default_jobs() -> int:
    """The worker processes of an automatic ``jobs``: the cores this process may use
    (``ilp.portfolio.cores``: ``CABENCH_CORES``, else its CPU affinity)."""
    return cores()


def solve_batch(programs: Sequence[Program], options: SolveOptions | str | None = None, *,
                known: Mapping[Program, Solution] | None = None,
                progress: Progress | None = None,
                after: Mapping[int, After] | None = None, freeze: bool = True,
                more: Arrivals | None = None, bounds: Mapping[int, Program] | None = None) -> list[Solution]:
    """Solve every program of ``programs`` (see the module docstring); one :class:`Solution` per
    program, in order. ``options.time_limit`` applies to each solve; ``options.jobs``: worker
    processes (1 = all in this process; None = automatic, as many as the cores once the solves
    prove slow). ``known``: programs already solved (with these options), used as parents and
    never solved again. ``progress(done, total)`` is called as distinct programs are settled.
    ``after``: work that depends on a solution, started as soon as that solution is known.

    Parameters
    ----------
    programs : sequence of Program
        The programs to solve.
    options : SolveOptions or str or None, optional
        How to solve, or just a backend's name (None: the defaults).
    known : mapping of Program to Solution or None, optional
        Programs already solved with these options.
    progress : callable or None, optional
        ``progress(done, total)``, called as distinct programs are settled (``total`` grows
        when ``after`` adds work).
    after : mapping of int to callable, optional
        ``after[k](solution)`` is called once ``programs[k]`` is settled, with its solution, and
        returns more work for the same batch: programs and :class:`LexFirst` tasks (MSW_{-i} of
        MSW's winners, MSW's tie-break). They start while the rest of the batch is still being
        solved, and their solutions follow those of ``programs`` in the returned list, by k,
        each callback's in the order it returned them.
    freeze : bool, optional
        Freeze the heap for the cyclic collector during the batch (:func:`frozen_heap`); False
        for a batch run in a background thread while another thread builds and freezes it.
    more : Arrivals or None, optional
        Programs that join the batch while it runs (:class:`Arrivals`): the batch ends once it
        is closed and every program is settled, and returns the solutions of the list given to
        ``close`` (whose first programs are ``programs``). Needs worker processes shared ahead
        (:func:`shared_workers` with ``jobs`` of 2 or more); :class:`BatchAbandoned` if it is
        abandoned.
    bounds : mapping of int to Program, optional
        ``bounds[k]``: a program whose weights are each at least those of ``programs[k]`` on
        every bundle (checked, ``ilp.lift.dominates``; ignored when it does not hold). It joins
        the batch (unless listed), and ``programs[k]`` waits for it and is first lifted from its
        proven optimum (``ilp.lift.lift``), solved only when that fails. A report bounds MIKW_i
        with candidate knowledge by MSW.

    Returns
    -------
    list of Solution
        One per program of ``programs``, in order, then one per item ``after`` added; the same
        values as solving each alone.

    Examples
    --------
    A program, the same program again (solved once) and the program with player 1 removed:

    >>> from instances.valuation import Form, Valuation
    >>> from ilp import Program, Weight, solve_batch
    >>> p0 = Weight.of(Valuation(Form.XOR, ((0b01, 5),)))
    >>> p1 = Weight.of(Valuation(Form.XOR, ((0b11, 7),)))
    >>> both, without_1 = Program(2, (p0, p1)), Program(2, (p0, None))
    >>> solutions = solve_batch([both, both, without_1], "cpsat")
    >>> [(s.value, s.allocation) for s in solutions]
    [(7, (0, 3)), (7, (0, 3)), (5, (1, 0))]
    >>> all(s.optimal for s in solutions)
    True

    Work that waits for a solution: once ``both`` is solved, the program without each player
    who wins something in it (here player 1 only):

    >>> def winners_removed(solution):
    ...     return [Program(2, tuple(None if j == i else w for j, w in enumerate(both.weights)))
    ...             for i, bundle in enumerate(solution.allocation) if bundle]
    >>> [s.value for s in solve_batch([both], "cpsat", after={0: winners_removed})]
    [7, 5]
    """
    options = as_options(options)
    if more is not None and (options.workers is None or options.jobs is None or options.jobs < 2):
        raise ValueError("programs that arrive while a batch runs need shared worker processes (jobs >= 2)")
    with blas.one_thread():  # (set once for the threads beside too: ilp.blas)
        if not freeze:
            return _Scheduler(programs, options, known, progress, after, more, bounds).run()
        with frozen_heap():
            return _Scheduler(programs, options, known, progress, after, more, bounds).run()


_FROZEN: ContextVar[bool] = ContextVar("cabench_frozen_heap", default=False)
"""True inside :func:`frozen_heap` (a nested block has nothing more to freeze)."""


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Freeze every object that exists now for the cyclic garbage collector for the block (unless
    an enclosing block did): the instance and the programs live through a batch or a report and
    hold no cycles to find, and a 500-player file with knowledge is millions of objects, which
    every full collection walked again. Frozen objects are still freed by reference counting;
    they are unfrozen when the block ends if nothing was frozen before (``gc.freeze``).

    Whatever is alive at a full collection inside the block is frozen too (mostly what the
    block makes and keeps: the blocks of n^2 weights in ``ilp.compile.BlockCache``, the
    solutions): the collector then walks only what is newer, where every full collection walked
    all of it again as it grew. Measured (2026-12-02, 2 cores, nothing else running): a report of
    CATS L4 64 / 500 with noisy-lower:0.8 solved in one process spent 4.8 s of its 34 s in the
    collector (16 full collections of up to 700,000 objects), 1.7 s with this alone. The price: a
    cycle frozen so and dropped later is freed only when the heap is unfrozen, at the block's end
    if nothing was frozen before it (the command line freezes its heap before a report and never
    unfreezes it: a process that ends with the report). On Python versions whose collector runs
    incrementally and reports no full collections, nothing more is frozen (slower, as before)."""
    if _FROZEN.get():
        yield
        return
    unfreeze = gc.get_freeze_count() == 0  # (walks what is frozen: asked once per block)
    gc.freeze()
    token = _FROZEN.set(True)
    gc.callbacks.append(_freeze_survivors)
    try:
        yield
    finally:
        _FROZEN.reset(token)
        if _freeze_survivors in gc.callbacks:  # (gone if another caller took it out)
            gc.callbacks.remove(_freeze_survivors)
        if unfreeze:
            gc.unfreeze()


def _freeze_survivors(phase: str, info: dict[str, int]) -> None:
    """A ``gc.callbacks`` hook of :func:`frozen_heap`: what survived a full collection, freeze."""
    if phase == "stop" and info["generation"] == 2:
        gc.freeze()


class _Scheduler:
    """One batch's programs, from ready to settled (:func:`solve_batch`).

    A program is *ready* once the program it removes a player from (its parent) is settled, or
    at once if it has none; a ready program is settled without a solve when the module
    docstring's savings allow, and is otherwise a *task* (``ilp.remote.Task``) for the solver
    here or for a worker. Nothing waits for more than its own parent and its bound (whose lift
    is then tried, so that whether a program is lifted never depends on which solve ended first:
    with workers started ahead, one may idle while MSW is solved): when a task ends, the programs
    waiting for it become tasks at once (MIEW_i as soon as MIKW_i is solved, not once every MIKW
    is), and ``after`` adds its programs as soon as their cause is settled (MSW_{-i} once MSW
    is). So no worker idles while a program is ready to be solved.

    Results do not depend on the order in which tasks end: a task is the restricted program
    (``ilp.index.Compactor``) together with its warm start, and only programs with both equal share one
    solve, so every program gets the same solve whatever ended first.
    """

    def __init__(self, programs: Sequence[Program], options: SolveOptions,
                 known: Mapping[Program, Solution] | None, progress: Progress | None,
                 after: Mapping[int, After] | None, more: Arrivals | None = None,
                 bounds: Mapping[int, Program] | None = None) -> None:
        self.options = options
        self.more = more
        self.progress = progress
        remote: Remote | None = options.workers
        jobs = default_jobs() if options.jobs is None else max(1, options.jobs)
        self.jobs = jobs
        self.remote = remote if remote is not None and remote.jobs == jobs else None
        # one table of weight ids for the programs' keys and the workers' stores (ilp.program.WeightIds)
        self.index = index = ProgramIndex(self.remote.weight_ids if self.remote is not None else None)
        self.solved: dict[int, Solution] = {index.add(p): s for p, s in (known or {}).items()}
        # (a program object listed twice is keyed once: ``ProgramIndex.add`` keeps it by id)
        self.order = [index.add(p) for p in programs]
        self.after = dict(after or {})
        self.extra: dict[int, list[int]] = {}  # k -> result slots of what after[k] added
        self.results: list[Solution | None] = []  # the slots' solutions (programs by position, LexFirst here)
        self.slots: list[int | None] = []  # slot -> position of its program (None: a LexFirst task)
        self.callbacks: dict[int, list[int]] = {}  # position -> the k whose after[k] waits for it
        self.parents: dict[int, tuple[int, int] | None] = {}
        self.bounds: dict[int, int] = {}  # position -> the program bounding it (``ilp.lift``)
        self.streamed: set[int] = set()  # positions of the programs ``more`` added before its close
        self.waiting: dict[int, list[int]] = {}  # position -> programs waiting for it (their parent)
        self.lifting: dict[int, list[int]] = {}  # position -> programs waiting for it (their bound)
        self.ready: deque[int] = deque()
        self.tasks: deque[Task] = deque()
        self.all_stay_to: Task | None = None  # the last task when only tasks that stay were queued
        self.members: dict[int, list[tuple[int, tuple[int, ...] | None]]] = {}  # task -> [(q, positions)]
        self.lex_slot: dict[int, int] = {}  # LexFirst task -> its slot
        self.task_of: dict[tuple, int] = {}  # (restricted program, warm start) -> its task
        self.unit_of: dict[int, int] = {}  # position -> the task that solved it (a worker's home)
        self.answers: dict[int, Solution] = {}  # task -> its solution
        # a program's kind, raced once (``_Scheduler.run``'s ``must_race``): its wave (0: the
        # programs given; a bound: 1; added by ``after``: 1 + the wave of the solution it
        # followed) and its depth (removals of a player from a program of its wave)
        self.race_key: dict[int, tuple[int, int]] = {}  # task -> (wave, depth)
        self.depth: dict[int, tuple[int, int]] = {}  # position -> (wave, depth)
        self.compact = Compactor(index)
        self.total = self.done = 0
        for q in dict.fromkeys(self.order):
            self.depth.setdefault(q, (0, 0))
            if q not in self.solved:
                self._want(q)
        for k, upper in sorted((bounds or {}).items()):
            self._bound(self.order[k], upper)
        for k in sorted(self.after):
            self.callbacks.setdefault(self.order[k], []).append(k)
        for q in list(self.callbacks):
            if q in self.solved:  # known already: its follow-up starts now
                self._follow(q)

    # ---------------------------------------------------------------- bookkeeping

    def arrive(self) -> bool:
        """Take what arrived in ``more``: its programs join the batch as if listed from the
        start (those wanted already are not wanted again); True once it is closed. All of one
        arrival are keyed before any looks for its parent, so that a program finds the same
        parent as in a batch given everything at once when its parent arrives with it (a
        report's MIEW_i arrive at the close, with every program they could remove a player from)."""
        programs, end = self.more.take()
        if end is not None and end[0] == "abandon":
            raise BatchAbandoned("the batch was abandoned while its programs were arriving")
        added = [self.index.add(p) for p in programs]
        self.streamed.update(added)
        order = [self.index.add(p) for p in end[1]] if end is not None else []
        for q in dict.fromkeys(q for q in (*added, *order) if q not in self.depth):
            self.depth[q] = (0, 0)
            if q not in self.solved:
                self._want(q)
        if end is None:
            return False
        for k, upper in sorted(end[3].items()):
            if order[k] not in self.streamed:  # (an added program may be under way: never bounded)
                self._bound(order[k], upper)
        for k in self.after:
            if order[k] != self.order[k]:
                raise ValueError(f"the batch closed with another program at position {k}, which after[{k}] follows")
        self.order = order
        self.more = None
        if end[2] is not None:
            self.progress = end[2]
            self.progress(self.done, self.total)
        return True

    def _want(self, q: int) -> None:
        """Program q is to be settled by this batch."""
        self.total += 1
        index = self.index
        parent = None if index.trivial(q) else index.parent(q)
        self.parents[q] = parent
        if parent is not None:  # a known parent outside the batch counts as depth 0
            self.depth[q] = (self.depth[q][0], self.depth.get(parent[0], (0, 0))[1] + 1)
        if parent is None or parent[0] in self.solved:
            self.ready.append(q)
        else:
            self.waiting.setdefault(parent[0], []).append(q)

    def _bound(self, q: int, upper: Program) -> None:
        """Program q is bounded by ``upper`` (``solve_batch``'s ``bounds``), which joins the
        batch as ``after``'s work does (a wave of its own), unless it is there already."""
        if q in self.solved or q in self.bounds or not dominates(upper, self.index.programs[q]):
            return
        d = self.index.add(upper)
        if self._leads_to(d, q):  # (e.g. candidates that are the truth alone: MIKW_i is MSW itself)
            return
        self.bounds[q] = d
        if d not in self.depth:
            self.depth[d] = (1, 0)  # (``_want`` adds its removals: MSW_{-i} gets what ``after`` gives it)
            if d not in self.solved:
                self._want(d)

    def _leads_to(self, d: int, q: int) -> bool:
        """True when program d is q, or waits for q through its parents and bounds: q must not
        then wait for d (a program with one player's weight 0 everywhere is bounded by itself
        with that player removed, which removes a player from it)."""
        seen = set()
        while d is not None and d not in seen:
            if d == q:
                return True
            seen.add(d)
            parent = self.parents[d] if d in self.parents else (None if self.index.trivial(d) else self.index.parent(d))
            if parent is not None and self._leads_to(parent[0], q):
                return True
            d = self.bounds.get(d)
        return False

    def _settle(self, q: int, solution: Solution) -> None:
        self.solved[q] = solution
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)
        # the programs it bounds first: a lift is made here in milliseconds, and those it misses
        # are the longest tasks of a candidates report (regions 64 / 500 / 10 with ``--jobs 2``:
        # behind the MSW_{-i} that wait for MSW too, the report took 13.9 s against 12.6 s)
        self.ready.extend(self.lifting.pop(q, ()))
        self.ready.extend(self.waiting.pop(q, ()))
        if q in self.callbacks:
            self._follow(q)

    def _follow(self, q: int) -> None:
        """Run the ``after`` callbacks waiting for program q: their programs join the batch."""
        wave = self.depth[q][0] + 1
        for k in self.callbacks.pop(q):
            slots = self.extra.setdefault(k, [])
            for item in self.after[k](self.solved[q]):
                slots.append(len(self.results))
                self.results.append(None)
                if isinstance(item, LexFirst):
                    self.total += 1
                    self.slots.append(None)
                    if not item.first.optimal:  # nothing to order (ilp.lex.lex_first returns it)
                        self._lex_done(len(self.slots) - 1, item.first)
                    else:  # (queued for the worker that solved q: a tie-break of q holds q's weights)
                        task = self._new_task(item.program, None, item.first, self.unit_of.get(q), (wave, 0), [])
                        self.lex_slot[task] = len(self.slots) - 1
                    continue
                position = self.index.add(item)
                self.slots.append(position)
                if position not in self.depth:
                    self.depth[position] = (wave, 0)
                    self._want(position)

    def _lex_done(self, slot: int, solution: Solution) -> None:
        self.results[slot] = solution
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)

    def _new_task(self, program: Program, hint: tuple[int, ...] | None, first: Solution | None,
                  home: int | None, race: tuple[int, int], members: list, queued: bool = True,
                  ids: tuple[int, ...] | None = None) -> int:
        task = len(self.members)
        self.members[task] = members
        self.race_key[task] = race
        if queued:
            self.tasks.append(Task(task, program, self.options, hint, first, home, ids))
        return task

    def ahead_of_here(self, beside: "_Beside", ready: Callable[[Task], bool], stays: Callable[[Task], bool],
                      options: SolveOptions) -> bool:
        """Called when the next task stays on this thread for long (``stays``: a program for
        ``ilp.colgen``, tenths of a second to seconds, or a tie-break, milliseconds to seconds),
        starting nothing meanwhile. True: another task was put at the head of the queue, the
        first one that does not stay (a race, or one that goes ``beside`` while a thread there
        is free), as if it came first. False: every queued task stays, or the threads beside
        are busy and every task they would take next (``ready``) is queued for them, up to the
        first that is not (a race), so that they work while the task that stays runs here.
        Tasks that stay keep their order (a tie-break releases no other task).

        Why: a candidates report's MSW_{-i} waited behind its programs for ``ilp.colgen`` while
        the threads beside stood idle (paths 256 / 2000 / 10 with 3 candidates, seed 2: three
        MIKW_i of 0.1-0.2 s each, then the 20 other programs); and every report's MSW_{-i}
        waited behind MSW's tie-break, queued as soon as MSW was solved, while the threads
        stood idle (regions 64 / 500 / 10, seed 1: 48 ms of a 384 ms report).
        Nothing a task is given depends on this order while the solves are not slow:
        ``options`` (the latest race's solver) is what it would get after the tasks that stay,
        which neither race nor name a solver, and a task's warm start comes from its parent,
        whenever that ended. (Once they are slow, a tie-break left for the workers is given the
        latest race's winner; its allocation, the first optimum, is the same either way.)

        A queue of tasks that all stay (a canonical report's tie-breaks, one per program) is
        looked through once, not once per task: until a task is added at its end, nothing in
        it can go ahead."""
        last = self.tasks[-1] if self.tasks else None
        if last is not None and last is self.all_stay_to:
            return False
        other = next((k for k, task in enumerate(self.tasks) if not stays(task)), None)
        if other is None:
            self.all_stay_to = last
            return False
        task = self.tasks[other]
        if not ready(task) or not beside.full():
            del self.tasks[other]
            self.tasks.appendleft(task)
            return True
        waiting, queued = list(self.tasks), True
        self.tasks.clear()
        for task in waiting:
            if queued and not stays(task):
                if ready(task):
                    beside.start(task, options)
                    continue
                queued = False
            self.tasks.append(task)
        return False

    def prepare(self) -> None:
        """Settle every ready program that needs no solve; the others become tasks."""
        solved, index, compact = self.solved, self.index, self.compact
        while self.ready:
            q = self.ready.popleft()
            if index.trivial(q):
                self._settle(q, _empty(index.programs[q], self.options.backend))
                continue
            shortcut, hint = _from_parent(self.parents[q], solved)
            if shortcut is not None:
                self._settle(q, shortcut)
                continue
            upper = self.bounds.get(q)
            if upper is not None:
                if upper not in solved:
                    self.lifting.setdefault(upper, []).append(q)  # ready again once it is settled
                    continue
                lifted = lift(index.programs[q], index.programs[upper], solved[upper])
                if lifted is not None:
                    self._settle(q, lifted)
                    continue
            unit, positions = compact.unit(q)
            if positions is not None and hint is not None:
                hint = tuple(hint[j] for j in positions)
            key = (unit, hint)
            task = self.task_of.get(key)
            if task is not None:  # the same restricted program from the same start: one solve
                self.unit_of[q] = task
                if task in self.answers:
                    self._settle(q, _expand(self.answers[task], positions, len(index.programs[q].weights)))
                else:
                    self.members[task].append((q, positions))
                continue
            answer = onebid.best_bid_solution(compact.programs[unit], self.options.backend, self.options.blocks)
            parent = self.parents[q]
            home = self.unit_of.get(parent[0]) if parent is not None else None
            task = self._new_task(compact.programs[unit], hint, None, home, self.depth[q], [(q, positions)],
                                  queued=answer is None, ids=compact.ids(unit))
            self.task_of[key] = task
            if answer is not None:
                self.finish(task, answer)

    def finish(self, task: int, solution: Solution) -> None:
        """Task ``task`` is solved: settle the programs it stands for (and what they release)."""
        self.answers[task] = solution
        if task in self.lex_slot:
            self._lex_done(self.lex_slot[task], solution)
            return
        for q, positions in self.members[task]:
            self.unit_of[q] = task
            self._settle(q, _expand(solution, positions, len(self.index.programs[q].weights)))

    def results_in_order(self) -> list[Solution]:
        """The solutions of the batch's programs, then of what each ``after[k]`` added (by k)."""
        out = [self.solved[q] for q in self.order]
        for slot, position in enumerate(self.slots):
            if position is not None:
                self.results[slot] = self.solved[position]
        for k in sorted(self.extra):
            out.extend(self.results[slot] for slot in self.extra[k])
        return out

    def run(self) -> list[Solution]:
        """Solve every task: here until the solves prove slow (automatic ``jobs``), then in the
        workers, each task as soon as it is ready (see the class docstring)."""
        options, jobs = self.options, self.jobs
        portfolio = options.backend == "portfolio"
        slow = options.jobs is not None
        spent, count = 0.0, 0
        began = time.monotonic()  # (OR-Tools imported before: nothing to discount from the solves)
        raced: set[tuple[int, int]] = set()  # (wave, depth) of the programs raced here (portfolio)
        parallel = _parallel_options(options, None)
        plain = replace(options, known={})  # the portfolio itself, for candidate programs (_Robust)
        robust = _Robust()
        lead: str | None = None  # the solver that won the latest race here (``portfolio.racers``)
        own_remote = self.remote is None  # started here, stopped here
        solved_by: dict[int, int] = {}  # task solved remotely -> its worker

        def here(task: Task) -> Solution:
            """Solve ``task`` in this process (the portfolio races it on every core)."""
            nonlocal parallel, lead
            if task.first is not None:
                solution = lex_first(task.program, task.first, options)
            elif robust(task.program):  # as in a worker, and not a race: it names no winner
                solution = solve(task.program, options, task.hint)
            else:
                solution = solve(task.program, options if lead is None else replace(options, lead=lead), task.hint)
                raced.add(self.race_key[task.position])
                parallel = _parallel_options(options, solution)
                if portfolio and solution.optimal and solution.wall_time > PROBE_SECONDS and _raced(solution):
                    lead = solution.backend  # proven past the probe: a race's winner
            self.finish(task.position, solution)
            self.prepare()
            return solution

        def must_race(task: Task) -> bool:
            """The portfolio races here the first program of each kind (``(wave, depth)``: MIKW_i,
            MIEW_i, MSW_{-i}...) before the rest go side by side with the solver that won it. A
            program priced by ``ilp.colgen`` is never raced (``_Robust``): with workers it goes
            to one at once, and nothing of its kind waits for it. Raced here, the first MIEW_i
            of a candidates report was solved in this process by the same single-threaded
            search it gets in a worker, while no worker got a new program until it ended."""
            return (portfolio and task.first is None and self.race_key[task.position] not in raced
                    and not robust(task.program))

        # With programs still arriving (``more``), this process is reading the file: nothing is
        # solved here, a race included; a race goes to a worker (the same race: its racers are
        # processes wherever it runs), and the rest of its kind wait for its winner. Solved here,
        # MSW's race (the solver's import included, 0.5 s) shared the interpreter with the
        # reading and held back every MIKW_i until it ended (L4-shaped, 500 players: the first
        # MIKW_i left at 1.9-2.9 s instead of ~1.2 s, 2026-12-02, load 10). Decided once for the
        # whole batch: the programs that join at the close (MIEW_i...) are raced in workers too.
        remote_races = self.more is not None
        racing: dict[tuple[int, int], int] = {}  # kind -> its race's task, under way in a worker
        held: dict[tuple[int, int], list[Task]] = {}  # kind -> tasks waiting for its race's winner

        def beside_ready(task: Task) -> bool:
            """Whether ``task`` goes to a thread beside this one (no race, no tie-break, not for
            ``ilp.colgen``)."""
            return task.first is None and not must_race(task) and not robust(task.program)

        def stays(task: Task) -> bool:
            """Whether ``task`` runs on this thread for long: a tie-break, or a program for
            ``ilp.colgen`` (``ahead_of_here``)."""
            return task.first is not None or robust(task.program)

        def timed(task: Task, solution: Solution) -> None:
            """Count a solve made in this process towards "slow" (then the workers take over),
            without the time it overlapped OR-Tools' one-time import (``ilp.cpsat.ortools``):
            paid by the first solve to reach CP-SAT, and waited for by any other that did
            meanwhile. (A solve taken from a thread beside ended before now: its overlap may be
            counted short; the import is rare, the heuristic forgiving.)"""
            nonlocal spent, count, slow
            wall = solution.wall_time
            window = cpsat.import_window()
            if window is not None and window[1] > began:  # imported during this batch
                now = time.monotonic()
                wall -= max(0.0, min(now, window[1]) - max(now - wall, window[0]))
            if task.first is None:
                spent += wall
                count += 1
                left = self.total - self.done  # programs still to settle, solved or not
                slow = slow or wall >= PARALLEL_AFTER_SECONDS or (
                    left >= jobs and spent / count * left >= PARALLEL_WORK_SECONDS)

        def taken(task: Task, solution: Solution) -> None:
            """A solve ended on a thread beside, taken in: settled, its dependants prepared."""
            self.finish(task.position, solution)
            self.prepare()
            timed(task, solution)

        # Before the workers, programs are solved in this process: a race (the first of its
        # kind), a tie-break and a program priced by ``ilp.colgen`` in this thread, the others on
        # up to ``jobs`` threads beside it (``_Beside``), with the options a worker would give
        # them, until the solves prove slow (the tasks queued for the threads by then are theirs
        # still); while a program for ``ilp.colgen`` or a tie-break runs here, the threads have
        # the tasks they would take next (``ahead_of_here``). A program for ``ilp.colgen`` stays
        # here: its pricing (``native.walk``, ``native.minimal``) and its Python keep the
        # interpreter's lock, so two on threads gained little on regions (1.00-1.07 times as
        # fast). Only when every queued task stays does one of them go to a free thread while
        # the next runs here (``_Beside.long``, one at a time): on paths 256 / 2000 / 10 with 3
        # candidates, whose cores' searches in C and GLOP let go of the lock, the reports took
        # 9-16 % less (seeds 1 and 2, docs/performance.md "Session 66"); it is asked to stop
        # when the batch ends early (Ctrl-C), as the time limit stops it (``ilp.colgen.solve``).
        # Once the solves are slow, the workers take the queue only after this thread has
        # taken in what runs beside, that program too (it would have run here otherwise).
        # Without the C module every search keeps the lock: no threads.
        beside = _Beside(jobs) if jobs > 1 and not remote_races and native.available() else None
        try:
            self.prepare()
            if options.jobs is None and self.tasks and not portfolio:
                # the solver's one-time import must not count as "slow"; the portfolio's programs
                # import OR-Tools only if they reach CP-SAT, and ``timed`` discounts it then
                warm_up({}, options.backend)
            while not remote_races:
                while self.tasks and (jobs == 1 or not slow or must_race(self.tasks[0]) or (
                        len(self.tasks) == 1 and not (beside and beside.running))):
                    task = self.tasks[0]
                    if beside is not None and not slow and stays(task):
                        if self.ahead_of_here(beside, beside_ready, stays, parallel):
                            continue
                        # what the threads finished meanwhile first: its programs' children and
                        # tie-breaks join the queue, and the threads are free for them
                        finished = beside.finished()
                        for done, solution in finished:
                            taken(done, solution)
                        if finished:
                            continue
                        # ``ahead_of_here`` found nothing to go first while a thread is free, so
                        # every queued task stays: one program for ``ilp.colgen`` goes to that
                        # thread while the next runs here (_Beside.long; one, as measured on two
                        # cores: such programs mostly hold the interpreter's lock)
                        if task.first is None and len(self.tasks) > 1 and not beside.full() and not beside.long:
                            self.tasks.popleft()
                            beside.start(task, options, long=True)
                            continue
                    if beside is not None and not slow and beside_ready(task):
                        if beside.full():
                            break
                        self.tasks.popleft()
                        beside.start(task, parallel)
                    else:
                        self.tasks.popleft()
                        timed(task, here(task))
                if beside is None or not beside.running:
                    break
                taken(*beside.next())
            if self.tasks or self.more is not None:
                if self.remote is None:
                    self.remote = Remote(jobs, start_worker, self.index.weight_ids)

                def feed() -> list[Task]:
                    """The tasks ready for the workers (racing here those that must be)."""
                    out = []
                    while self.tasks:
                        task = self.tasks.popleft()
                        kind = self.race_key[task.position]
                        if task.first is None and kind in racing and not robust(task.program):
                            held.setdefault(kind, []).append(task)  # (a robust one takes no winner)
                        elif must_race(task) and remote_races:
                            raced.add(kind)
                            racing[kind] = task.position
                            out.append(task if lead is None else replace(task, options=replace(options, lead=lead)))
                        elif must_race(task):
                            here(task)
                        elif task.first is None:
                            out.append(replace(task, options=plain if portfolio and robust(task.program) else parallel))
                        elif lead is not None:
                            # a tie-break is not raced (``ilp.lex.lex_first`` with a lead): raced
                            # in a worker, its racers shared two cores with the other worker's
                            # program (regions 256 / 2000 / 10, seed 0: 74 s in the worker against
                            # 28 s for HiGHS alone)
                            out.append(replace(task, options=replace(options, lead=lead, known={})))
                        else:
                            out.append(task)  # the batch's options (the portfolio: a race)
                    return out

                def finished(task: int, solution: Solution) -> list[Task]:
                    nonlocal parallel, lead
                    kind = self.race_key.get(task)
                    if racing.get(kind) == task:  # a race ended in a worker: as in here()
                        del racing[kind]
                        parallel = _parallel_options(options, solution)
                        if portfolio and solution.optimal and solution.wall_time > PROBE_SECONDS and _raced(solution):
                            lead = solution.backend
                        self.tasks.extendleft(reversed(held.pop(kind, [])))
                    self.finish(task, solution)
                    self.prepare()
                    return feed()

                scheduler = self

                class Inbox:
                    """``more``'s programs, as tasks for the workers (``ilp.remote.Inbox``)."""

                    @staticmethod
                    def signal() -> Future:
                        return scheduler.more.signal()

                    @staticmethod
                    def receive() -> tuple[list[Task], bool]:
                        closed = scheduler.arrive()
                        scheduler.prepare()
                        return feed(), not closed

                self.remote.solve(feed(), options.blocks, solved_by, finished,
                                  Inbox() if self.more is not None else None)
        finally:
            if beside is not None:
                beside.close()
            if own_remote and self.remote is not None:
                self.remote.stop()
        if self.ready or self.tasks or self.waiting or self.lifting or self.more is not None:
            raise AssertionError("a batch ended with programs left unsolved")
        return self.results_in_order()


def _expand(solution: Solution, positions: tuple[int, ...] | None, players: int) -> Solution:
    """A solution of a restricted program as a solution of the whole one (nothing for the rest)."""
    if positions is None or solution.allocation is None:
        return solution
    allocation = [0] * players
    for j, bundle in zip(positions, solution.allocation):
        allocation[j] = bundle
    return replace(solution, allocation=tuple(allocation))


def _empty(program: Program, backend: str) -> Solution:
    """The proven optimum of a program with no positive weight: nothing allocated, value 0."""
    return Solution(Status.OPTIMAL, (0,) * len(program.weights), 0, 0, backend, 0.0)


@contextmanager
def shared_workers(options: SolveOptions | str | None, cp_sat: bool = False) -> Iterator[SolveOptions]:
    """``options`` with worker processes that every :func:`solve_batch` within the block shares
    (``SolveOptions.workers``), killed when the block ends: each batch after the first
    reuses the workers and the weights they hold instead of starting new ones. With ``jobs`` of
    2 or more the workers start at once, in the background, and get ready (start-up, the
    backend's imports: ``ilp.remote.warm_up``, OR-Tools' CP-SAT module only with ``cp_sat``,
    which a measurement wants) while the block's own work goes on (reading the
    file, planning the programs), at most one fewer than the cores at a time (the block's own
    work keeps a core; ``ilp.remote.Remote.start``); with automatic ``jobs`` they start only when a batch sends
    them programs. With ``jobs=1``, or options that have workers already, the options come
    back unchanged."""
    options = as_options(options)
    if options.workers is not None or options.jobs == 1:
        yield options
        return
    remote = Remote(default_jobs() if options.jobs is None else max(1, options.jobs), start_worker)
    if options.jobs is not None:
        # this process reads and plans meanwhile on one core: the workers start on the others
        remote.start(options.backend, at_once=max(1, default_jobs() - 1), cp_sat=cp_sat)
    try:
        yield replace(options, workers=remote)
    finally:
        remote.stop()


def start_worker():
    """One worker process (``ilp.workers.Worker``) for :class:`ilp.remote.Remote`."""
    from ilp.workers import Worker  # not at the top: ``python -m ilp.workers`` imports ilp first

    return Worker()


def worker_pool(workers: int):
    """A pool of ``workers`` worker processes (``ilp.workers.WorkerPool``) that die with this
    one, ignore the working directory and never run the caller's script again."""
    from ilp.workers import WorkerPool  # not at the top: ``python -m ilp.workers`` imports ilp first

    return WorkerPool(workers)


def _raced(solution: Solution) -> bool:
    """Whether ``solution`` names a solver the portfolio races, which later programs may be given
    (not the portfolio itself, nor its exhaustive search of tiny programs, ``ilp.exhaustive``)."""
    return solution.backend in (*RACERS, *EXACT_RACERS)


def _parallel_options(options: SolveOptions, latest: Solution | None) -> SolveOptions:
    """The options for programs solved side by side: the portfolio races solvers on every core,
    so in parallel each program goes through the portfolio's own stages (the clique search on
    sparse programs, the relaxation and the dual-bounded search on dense ones) and then, with no
    probe and no race, the solver whose answer the latest solve here returned alone
    (``SolveOptions.alone``; CP-SAT before any). Handed that solver directly, as before
    2026-12-03, the programs skipped those stages: once MSW was proven by the relaxation or the
    dual-bounded search (answers named after CP-SAT), every MSW_{-i} in a worker went to CP-SAT
    itself, and regions 64 / 500 / 10 (seed 1) took 18.3 s with ``--jobs 2`` against 5.9 s with
    ``--jobs 1``."""
    if options.backend == "portfolio":
        winner = latest.backend if latest is not None and _raced(latest) else "cpsat"
        return replace(options, alone=winner, known={})
    return replace(options, known={})


class _Robust:
    """Whether some weight of a program is priced by ``ilp.colgen`` (covering unions: a minimum
    over candidates' valuations, ``ilp.compile.union_options``). Such programs go to a worker with
    the portfolio itself, as they are solved here, not with the solver of the latest answer
    (:func:`_parallel_options`): the portfolio hands them to ``ilp.colgen``, which gives their
    cores to ``ilp.dualclique``, where under a solver named instead (CP-SAT after a probe) the
    cores went to that solver, which returns other equally good optima. A candidates report's
    witnesses then depended on ``--jobs`` and on which program happened to be solved last
    (paths 32 / 200 / 6 with candidates:3, seeds 0-2: other MIEW_i and MIKW_i witnesses with
    ``--jobs 2`` than with ``--jobs 1``; 2026-12-02). The portfolio races no such program. A
    minimum of one bid per candidate takes no unions (``ilp.compile.one_bid_each``): its
    program is raced as any other, and its witness may then depend on the cores, as those of other
    programs may.

    Each weight object is looked at once per batch (the batch holds its programs, so ids stay
    their own): asked for every program sent to a worker, looking at every weight of each cost
    0.38 s of the parent's CPU on a 500-player file (2,001 programs of 500 weights), 0.18 s so
    (2026-12-02, quiet machine; most of it is the first look at each of its 250,000 bounds)."""

    def __init__(self) -> None:
        self._by_id: dict[int, bool] = {}

    def __call__(self, program: Program) -> bool:
        if not program.has_minimum:  # (no weight is a minimum of valuations: no unions, found in C)
            return False
        by_id, weights = self._by_id, program.weights
        flags = list(map(by_id.get, map(id, weights)))
        for k in positions_of(flags, None):
            weight = weights[k]
            flag = by_id.get(id(weight))  # (a weight listed twice in this program)
            if flag is None:
                # (no minimum of two valuations, as most weights: no unions, found in C)
                flag = by_id[id(weight)] = weight is not None and several(weight) and union_options(weight) is not None
            flags[k] = flag
        return any(flags)


class _Beside:
    """Solves on threads of this process beside the batch's own (``_Scheduler.run``, before any
    worker process starts): up to ``jobs`` programs at once (more wait in order while the
    batch's thread solves a program for ``ilp.colgen`` or a tie-break), each with the options
    it would get in a worker (no race: a race would take every core; the races run on the
    batch's own thread, where Ctrl-C stops their racers at once), or a program for
    ``ilp.colgen`` with the batch's own options while another runs on the batch's thread
    (:attr:`long`).

    Threads pay off because the solves' long loops let go of the interpreter: the clique
    searches in C (``ilp._native``, without the GIL), CP-SAT and GLOP in C++. Measured
    (2026-12-05, 2 cores, regions 64 / 500 / 10 seed 0; the 21 distinct programs of the exact
    report's plan and the 31 of ``noisy-lower:0.6``'s, each solved as a worker solves it):
    0.165 s and 0.245 s one after the other, 0.090 s and 0.130 s on two threads. A worker process
    costs about a second to start, so such reports had used one core.

    The threads are started once per batch (started per program, each start waited up to the
    interpreter's switch interval for a thread busy in Python) and are daemons, so they never
    hold up the interpreter's exit. A signal reaches only the main thread: when the batch ends
    early (an error, Ctrl-C), :meth:`close` asks the solves under way to stop
    (``ilp.stopping``: the clique search in C, the column generation and CP-SAT stop within
    milliseconds; their results are dropped). Left alone, one went on for a minute of CPU after
    Ctrl-C in a notebook."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.running = 0
        self._long: set[int] = set()  # positions of the programs for ``ilp.colgen`` on these threads
        self._todo: queue.SimpleQueue = queue.SimpleQueue()
        self._done: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._stop = stopping.Stop()

    def _work(self) -> None:
        stopping.enter(self._stop)  # (this thread's context: its solves only)
        while (item := self._todo.get()) is not None:
            task, options = item
            try:
                self._done.put((task, solve(task.program, options, task.hint)))
            except BaseException as exc:  # (raised again in the batch's thread, by next)
                self._done.put((task, exc))

    def full(self) -> bool:
        """Whether ``jobs`` solves are under way, queued or ended but not taken (by :meth:`next`
        or :meth:`finished`): no thread is known to be free for another."""
        return self.running >= self.jobs

    def finished(self) -> list[tuple[Task, Solution]]:
        """The solves that have ended and were not taken yet, without waiting (an error raised on
        a thread is raised here)."""
        out = []
        while True:
            try:
                task, outcome = self._done.get_nowait()
            except queue.Empty:
                return out
            self._taken(task)
            if isinstance(outcome, BaseException):
                raise outcome
            out.append((task, outcome))

    @property
    def long(self) -> int:
        """Programs for ``ilp.colgen`` under way or queued on these threads (:meth:`start` with
        ``long``)."""
        return len(self._long)

    def _taken(self, task: Task) -> None:
        self.running -= 1
        self._long.discard(task.position)

    def start(self, task: Task, options: SolveOptions, long: bool = False) -> None:
        """Solve ``task`` on a free thread, or, when all are busy (:meth:`full`), on the first
        that is free again (the tasks wait in order). ``long``: a program for ``ilp.colgen``
        (counted in :attr:`long`)."""
        if len(self._threads) <= self.running and len(self._threads) < self.jobs:
            thread = threading.Thread(target=self._work, name="cabench-solve", daemon=True)
            thread.start()
            self._threads.append(thread)
        self.running += 1
        if long:
            self._long.add(task.position)
        self._todo.put((task, options))

    def next(self) -> tuple[Task, Solution]:
        """The next solve to end (waits for it; Ctrl-C still reaches this thread). The wait counts
        as solver time (``ilp.backends.solver_clock``), as a wait for a worker process does: the
        threads' own solves are outside the clock's context."""
        waiting_since = time.perf_counter()
        while True:
            try:
                task, outcome = self._done.get(timeout=0.25)
                break
            except queue.Empty:
                continue
        count_solving(time.perf_counter() - waiting_since)
        self._taken(task)
        if isinstance(outcome, BaseException):
            raise outcome
        return task, outcome

    def close(self) -> None:
        """Let every thread end once its current solve (if any) is over; solves still under way
        (the batch ended early) are asked to stop."""
        if self.running:
            self._stop.request()
        while True:  # (the tasks still waiting for a thread are dropped)
            try:
                self._todo.get_nowait()
            except queue.Empty:
                break
        for _ in self._threads:
            self._todo.put(None)
        self._threads.clear()


def _from_parent(parent: tuple[int, int] | None,
                 solved: Mapping[int, Solution]) -> tuple[Solution | None, tuple[int, ...] | None]:
    """(the solution when the removal shortcut applies, else None; the warm start, if any)."""
    if parent is None:
        return None, None
    other, removed = parent
    solution = solved[other]
    if solution.allocation is None:
        return None, None
    if solution.optimal and solution.allocation[removed] == 0:
        # the same allocation, now without player i, who held nothing: the value is unchanged
        return replace(solution, wall_time=0.0), None
    hint = tuple(0 if j == removed else bundle for j, bundle in enumerate(solution.allocation))
    return None, hint


def prefetch(programs: Sequence[Program], options: SolveOptions | str | None = None) -> SolveOptions:
    """Solve ``programs`` as a batch and return ``options`` carrying the solutions
    (``SolveOptions.known``): every :func:`ilp.solve` of one of them with the returned options
    answers from there, so code written one solve at a time gets the batch's savings.

    Parameters
    ----------
    programs : sequence of Program
        The programs to solve now, as one :func:`solve_batch`.
    options : SolveOptions or str or None, optional
        How to solve, or just a backend's name (None: the defaults).

    Returns
    -------
    SolveOptions
        ``options`` with ``known`` extended by the batch's solutions.

    Examples
    --------
    >>> from instances.valuation import Form, Valuation
    >>> from ilp import Program, Weight, prefetch, solve
    >>> program = Program(2, (Weight.of(Valuation(Form.XOR, ((0b01, 5),))),
    ...                       Weight.of(Valuation(Form.XOR, ((0b10, 4),)))))
    >>> options = prefetch([program], "cpsat")
    >>> options.backend, program in options.known
    ('cpsat', True)
    >>> solve(program, options) is options.known[program]  # answered from the batch, not solved again
    True
    >>> solve(program, options).value
    9
    """
    options = as_options(options)
    solutions = solve_batch(programs, options)
    return replace(options, known={**options.known, **dict(zip(programs, solutions))})
