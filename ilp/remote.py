"""Solve a batch's programs in worker processes, sending each weight to a worker once.

A report with knowledge has about two programs per player, MIKW_i and then MIEW_i (the same
weights, player i removed), each weighing all n players as player i sees them: n^2 distinct
weights, n per program. Sent whole (pickled with all n weights) to whichever worker was free,
each program was unpickled and had its weights compiled again there: on 500 players two workers
spent 8.2 s of CPU where one process spent 4.1 s. Here:

* **Weights by reference.** Every worker keeps, for the life of the batch, the weights it has
  received and the blocks it has compiled (``ilp.workers``: the worker's store). A program
  travels as its goods and constraints plus the keys of its weights; only the weights this
  worker does not hold yet travel with it (those of one valuation, and minima of single bids, as
  plain lists of bids: :func:`pack_weights`), the others with their blocks when this process has
  compiled them already (``ilp.compile.BlockCache``); equal weights share one key. A report's batches
  share the workers and what they hold.
* **Requests of several programs.** Many programs take a few milliseconds; a request carries
  about :data:`REQUEST_SECONDS` of them (by the mean solve time so far), so that a worker does
  not wait for this process between programs.
* **Affinity.** A program that removes a player from a program a worker solved (MIEW_i after
  MIKW_i, MSW_{-i} after MSW) is queued for that worker, which holds its weights and their
  blocks, as soon as its parent is solved (``Remote.solve`` takes new programs while it runs).
  A worker with none of its own programs left takes one queued for another worker (it then
  receives the weights it lacks), so no core idles while programs wait.

Which worker solves a program changes nothing in its solution: blocks are a function of the
weight, the warm start is the parent's, and each solver runs single-threaded.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, Protocol

from ilp.backends import count_solving, get_backend, solve
from ilp.compile import BlockCache, one_bid_each
from ilp.contract import SolveOptions
from ilp.lex import lex_first
from ilp.program import Program, Solution, Weight, WeightIds
from instances.valuation import Form, Valuation

__all__ = ["Inbox", "PACKED_BIDS", "Packed", "REQUEST_SECONDS", "Remote", "Task", "Traffic", "WorkerLike",
           "pack_weights", "received", "solve_there", "unpack_weights", "warm_up"]


class WorkerLike(Protocol):
    """What :class:`Remote` uses of ``ilp.workers.Worker``."""

    def call_with_store(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...

    def stop(self) -> None: ...


REQUEST_SECONDS = 0.2
"""Solve time one request to a worker aims at. A program with knowledge often takes 10 to 20 ms;
one per request, the workers waited for this process between programs, and on a loaded machine
(a process waits its turn for the CPU) they spent more time waiting than solving."""


@dataclass(frozen=True)
class Task:
    """One program for a worker. ``position`` names it to ``finish`` and in ``solved_by``;
    ``hint``: the warm start; ``first``: when given, an optimum of ``program`` whose
    lexicographically first equal ``ilp.lex.lex_first`` finds instead of solving; ``home``: the
    position of a program solved earlier whose weights this one shares (its parent), or None;
    ``ids``: ``weight_ids(program.weights)`` of the :class:`Remote`, when the batch knows them
    already (its keys: looked up again, the n weights of each of 2n programs cost about 0.1 s
    at 500 players, 2026-12-02)."""

    position: int
    program: Program
    options: SolveOptions
    hint: tuple[int, ...] | None = None
    first: Solution | None = None
    home: int | None = None
    ids: tuple[int, ...] | None = None


@dataclass
class Traffic:
    """What a batch sent to its worker processes and what they compiled (tests count it).

    ``sent[w][k]``: how many times worker ``w`` received weight id ``k`` (once);
    ``compiled[w]``: weights compiled by worker ``w``; ``stolen``: programs a worker took from
    another worker's queue."""

    sent: list[dict[int, int]] = field(default_factory=list)
    compiled: list[int] = field(default_factory=list)
    stolen: int = 0


class Inbox(Protocol):
    """Tasks for :meth:`Remote.solve` that arrive while it runs (``ilp.batch.Arrivals``)."""

    def signal(self) -> Future:
        """A future that is done once :meth:`receive` has something to return."""

    def receive(self) -> tuple[Sequence[Task], bool]:
        """(the tasks that arrived since the last call, whether more may come); raises when the
        batch is abandoned."""


class Remote:
    """``jobs`` worker processes solving the programs of batches (see the module docstring).

    ``start`` starts one worker (``ilp.workers.Worker``). Workers start on first use and keep
    what they received until :meth:`stop` kills them: one batch's (``ilp.batch.solve_batch``),
    or every batch's of one report (``ilp.batch.shared_workers``)."""

    def __init__(self, jobs: int, start: Callable[[], WorkerLike], weight_ids: WeightIds | None = None) -> None:
        self.jobs = jobs
        # a weight's key in the workers' stores is its id here (0: None); the batches use the
        # same table for their programs' keys (``ilp.batch``), so a weight is registered once
        self.weight_ids = WeightIds() if weight_ids is None else weight_ids
        self._start = start
        self._workers: list[WorkerLike | None] = [None] * jobs
        self._held: list[set[int]] = [set() for _ in range(jobs)]  # weight keys each worker holds
        self._threads = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="cabench-batch")
        self._lock = threading.Lock()
        self._stopped = False
        self.traffic = Traffic([{} for _ in range(jobs)], [0] * jobs)
        self._spent, self._solved = 0.0, 0  # solve seconds and programs so far (for _chunk)
        self._ready: list[Future | None] = [None] * jobs  # start(): each worker's warm-up
        self._turn = threading.Condition()  # start(): how many workers may start at once
        self._starting = 0
        self._at_once = jobs
        self._open = False  # True once a batch needs the workers: every worker starts now

    def start(self, backend: str, at_once: int | None = None, cp_sat: bool = False) -> None:
        """Start every worker now, in the background, each importing what ``backend`` needs
        (:func:`warm_up`; ``cp_sat``: OR-Tools' CP-SAT module too, 0.6 s more): done while this
        process reads and plans, the first requests find them ready instead of waiting for it.
        ``at_once``: how many start at the same time (None: all), the next as soon as one is
        ready, and all that are left once :meth:`solve` is called. On 2 cores this process reads
        the file on one and the workers start one after the other on the other: started together
        they shared both cores with the reading and slowed it (the workers' start-up was 0.7 s of
        CPU each with OR-Tools' CP-SAT module, and is wasted when every program of the report
        proves trivial)."""
        with self._lock:
            if self._stopped:
                return
            self._at_once = self.jobs if at_once is None else max(1, at_once)
            for w in range(self.jobs):
                if self._ready[w] is None and self._workers[w] is None:
                    self._ready[w] = self._threads.submit(self._warm, w, backend, cp_sat)

    def _warm(self, w: int, backend: str, cp_sat: bool) -> None:
        with self._turn:
            self._turn.wait_for(lambda: self._open or self._stopped or self._starting < self._at_once)
            self._starting += 1
        try:
            with self._lock:
                if self._stopped:
                    return
                worker = self._workers[w] = self._start()
            worker.call_with_store(warm_up, backend, cp_sat)
        finally:
            with self._turn:
                self._starting -= 1
                self._turn.notify_all()

    def _open_all(self) -> None:
        """A batch needs the workers now: those still waiting for their turn to start, start."""
        with self._turn:
            self._open = True
            self._turn.notify_all()

    def solve(self, tasks: Sequence[Task], blocks: BlockCache, solved_by: dict[int, int],
              finish: Callable[[int, Solution], Sequence[Task]], inbox: "Inbox | None" = None) -> None:
        """Solve every task in the workers, calling ``finish(position, solution)`` here as each
        one ends (those ending together in order of position). ``finish`` returns the tasks that
        the solution made ready (programs that waited for it): they are queued at once, so a
        program starts as soon as its own parent is solved, never waiting for the rest of the
        batch; the call returns when no task is left. ``solved_by`` (position -> worker) is read
        for each task's ``home`` and completed as programs end. ``blocks``: this process's
        compiled blocks, sent along with weights a worker lacks, and completed with the blocks
        of weights of several valuations compiled there. ``inbox``: tasks that arrive from
        elsewhere while the batch runs (:class:`Inbox`); the call then also waits until the inbox
        says that nothing more will come. An error the inbox raises (the batch abandoned) is
        raised here once the requests under way have ended, so the workers are free."""
        jobs = self.jobs
        self._open_all()
        own: list[deque[Task]] = [deque() for _ in range(jobs)]
        free: deque[Task] = deque()

        def queue(more: Sequence[Task]) -> int:
            for task in more:
                worker = solved_by.get(task.home) if task.home is not None else None
                (free if worker is None else own[worker]).append(task)
            return len(more)

        left = queue(tasks)
        idle = list(range(jobs))
        running: dict[Future, tuple[list[Task], int]] = {}
        open_ = inbox is not None
        while running or left or open_:
            while idle and left:
                w = idle.pop(0)
                chunk = [self._next(w, own, free) for _ in range(self._chunk(left))]
                left -= len(chunk)
                running[self._threads.submit(self._call, w, self._request(w, chunk, blocks))] = (chunk, w)
            waiting_since = time.perf_counter()
            signal = inbox.signal() if open_ else None
            finished, _ = wait([*running, signal] if signal is not None else running, return_when=FIRST_COMPLETED)
            if running:
                count_solving(time.perf_counter() - waiting_since)  # solver time, in the workers
            if signal is not None and signal.done():
                try:
                    more, open_ = inbox.receive()
                except BaseException:
                    wait(running)  # (their answers are dropped; a stopped worker's call fails at once)
                    raise
                left += queue(more)
            finished = [future for future in finished if future is not signal]
            for future in sorted(finished, key=lambda f: running[f][0][0].position):  # deterministic order
                chunk, w = running.pop(future)
                solutions, compiled, back = future.result()
                self.traffic.compiled[w] += compiled
                blocks.update(back)
                idle.append(w)
                for task, solution in zip(chunk, solutions):
                    solved_by[task.position] = w
                    self._spent += solution.wall_time
                    self._solved += 1
                    left += queue(finish(task.position, solution))

    def _chunk(self, left: int) -> int:
        """How many of the ``left`` programs the next request carries: :data:`REQUEST_SECONDS`
        of work at the mean solve time so far (one before any is known), and at most a
        (2 x jobs)-th of what is left, so the workers end together."""
        if not self._solved:
            return 1
        mean = self._spent / self._solved
        size = int(REQUEST_SECONDS / mean) if mean > 0 else left
        return max(1, min(size, -(-left // (2 * self.jobs))))

    def _next(self, w: int, own: list[deque[Task]], free: deque[Task]) -> Task:
        """Worker w's next program: its own first, then one no worker holds, then (stolen) the
        last of the longest queue of another worker."""
        if own[w]:
            return own[w].popleft()
        if free:
            return free.popleft()
        self.traffic.stolen += 1
        return max(own, key=len).pop()

    def key(self, weight: Weight | None) -> int:
        """The key of ``weight`` in the workers' stores: equal weights, one key (0: None)."""
        return self.weight_ids((weight,))[0]

    def _request(self, w: int, tasks: list[Task], blocks: BlockCache) -> tuple:
        """The arguments of :func:`solve_there` for ``tasks`` on worker ``w``: their programs'
        weights by key, and those that ``w`` does not hold yet (with their blocks compiled here)."""
        held = self._held[w]
        shapes, keys, new = [], [], {}
        for task in tasks:
            weights = task.program.weights
            ids = task.ids if task.ids is not None else self.weight_ids(weights)
            missing = set(ids).difference(held)
            missing.discard(0)
            if missing:
                # in key order, which is the order the weights were first met; each weight by its
                # id, as the table has it (equal to this program's own): pairing the program's n
                # ids with its n weights in a dict, for the few it brings new, was 0.5 s of the
                # parent's time at 1000 players with lower bounds (2026-12-07)
                keys_new = sorted(missing)
                new.update(zip(keys_new, map(self.weight_ids.weight, keys_new)))
            shapes.append(replace(task.program, weights=()))
            keys.append(ids)
        held.update(new)
        sent = self.traffic.sent[w]
        for k in new:
            sent[k] = sent.get(k, 0) + 1
        packed, others = pack_weights(new)
        # Only a weight of several valuations (the covering-union search) or of a large one has
        # a block worth sending; a small one compiles about as fast as its block would unpickle,
        # so the n^2 single bounds are not even looked up (a cache with nothing compiled, as
        # when every program goes to the workers, has no part to send either).
        part = blocks.part(tuple(others.values())) if others and len(blocks) else BlockCache()
        # what each solve needs besides its program; the options travel without this process's caches
        starts = [(t.options.sendable(), t.hint, t.first) for t in tasks]
        return shapes, keys, starts, (packed, others), part

    def _call(self, w: int, request: tuple) -> tuple[list[Solution], int, BlockCache]:
        """Runs in one of the threads: send ``request`` to worker ``w`` and wait for its answer."""
        ready = self._ready[w]
        if ready is not None:  # one request at a time per worker: the warm-up first
            ready.result()
        with self._lock:  # never start a worker once stop() has begun
            if self._stopped:
                raise RuntimeError("the batch's worker processes are stopped")
            worker = self._workers[w]
            if worker is None:
                worker = self._workers[w] = self._start()
        return worker.call_with_store(solve_there, *request)

    def stop(self) -> None:
        """Kill the workers now (also in the middle of a solve) and end the threads."""
        with self._lock:
            self._stopped = True
        self._open_all()  # (a worker waiting for its turn to start returns at once)
        self._threads.shutdown(wait=False, cancel_futures=True)
        for worker in self._workers:
            if worker is not None:
                worker.stop()
        self._threads.shutdown(wait=True)


def warm_up(store: dict[str, Any], backend: str, cp_sat: bool = False) -> None:
    """In a worker started ahead of its first programs (:meth:`Remote.start`): import what
    solving with ``backend`` needs, OR-Tools' CP-SAT module only for ``cpsat`` or when
    ``cp_sat`` says so (a portfolio's program imports it when it reaches CP-SAT, which most
    never do: ``ilp.cpsat.ortools``)."""
    get_backend("cpsat" if backend == "portfolio" else backend)
    if backend == "cpsat" or cp_sat:
        get_backend("cpsat").ortools()


class Packed(NamedTuple):
    """Weights as plain data (:func:`pack_weights`): the weights of one valuation each, and the
    minima of one-bid valuations, whose distinct valuations are listed once."""

    keys: list[int]
    forms: list[Form]
    bids: list[tuple[tuple[int, int], ...]]
    minimum_keys: list[int]
    minimum_forms: list[Form]  # (of the minima's distinct valuations)
    minimum_bids: list[tuple[tuple[int, int], ...]]
    positions: list[tuple[int, ...]]  # each minimum's valuations, by position in the two lists above


PACKED_BIDS = 64
"""A weight of one valuation of at most this many bids is packed (:func:`pack_weights`) and
compiled again by the worker: that costs about what unpickling its block would. A larger one
(a complete table: up to 2^20 entries) travels as an object with its block, when this process
has compiled it."""


def pack_weights(weights: dict[int, Weight]) -> tuple[Packed, dict[int, Weight]]:
    """``weights`` (key -> weight) for a request: those of one valuation of at most
    :data:`PACKED_BIDS` bids, and the minima of XOR valuations of one bid each, as plain lists
    (:data:`Packed`), and the others as they are. With knowledge, nearly every weight sent is
    one lower bound (n^2 at n players), or with candidates the minimum of the candidates' bids of
    a single-minded player: pickled as objects, each weight and each valuation cost a call of its
    Python ``__reduce__``; as lists of forms and bid tuples, pickling is all in C
    (CATS-L4-shaped ``generate -d decay -m 64 -b 500 -n bidders --knowledge noisy-lower:0.8``,
    seed 1, its 76,193 distinct single weights, 2026-12-02, load 4: 0.29 s to pickle as objects,
    0.07 s packed, and 0.09 s against 0.07 s to unpickle and rebuild in the worker). A minimum
    lists its valuations by position in the request's own list of them (the truth is one
    candidate of every player's view of it: rebuilt once, as pickling objects shares it too).
    A minimum of single bids compiles at once (``ilp.compile.one_bid_each``), so its block,
    unlike those of other minima, neither comes with it nor goes back."""
    keys: list[int] = []
    forms: list[Form] = []
    bids: list[tuple[tuple[int, int], ...]] = []
    minimum_keys: list[int] = []
    minimum_forms: list[Form] = []
    minimum_bids: list[tuple[tuple[int, int], ...]] = []
    positions: list[tuple[int, ...]] = []
    listed: dict[int, int] = {}  # id(valuation) -> its position in minimum_forms and minimum_bids
    others: dict[int, Weight] = {}
    for k, weight in weights.items():
        options = weight.options
        if len(options) == 1:
            option = options[0]
            if len(option) == 1:
                if len((valuation := option[0]).bids) <= PACKED_BIDS:
                    keys.append(k)
                    forms.append(valuation.form)
                    bids.append(valuation.bids)
                    continue
            elif one_bid_each(option):
                found = []
                for valuation in option:
                    position = listed.get(id(valuation))
                    if position is None:
                        position = listed[id(valuation)] = len(minimum_forms)
                        minimum_forms.append(valuation.form)
                        minimum_bids.append(valuation.bids)
                    found.append(position)
                minimum_keys.append(k)
                positions.append(tuple(found))
                continue
        others[k] = weight
    return Packed(keys, forms, bids, minimum_keys, minimum_forms, minimum_bids, positions), others


def unpack_weights(packed: Packed) -> dict[int, Weight]:
    """The weights :func:`pack_weights` packed, by key (equal values: the same weights)."""
    keys, forms, bids, minimum_keys, minimum_forms, minimum_bids, positions = packed
    out = {k: Weight(((Valuation(form, b),),)) for k, form, b in zip(keys, forms, bids)}
    valuations = list(map(Valuation, minimum_forms, minimum_bids))
    for k, option in zip(minimum_keys, positions):
        out[k] = Weight((tuple(map(valuations.__getitem__, option)),))
    return out


def received(weights: tuple[Packed, dict[int, Weight]]) -> dict[int, Weight]:
    """The weights of a request (:meth:`Remote._request`) by key, as :func:`solve_there` keeps them."""
    packed, others = weights
    return {**unpack_weights(packed), **others}


def solve_there(store: dict[str, Any], shapes: list[Program], keys: list[tuple[int, ...]],
                starts: list[tuple[SolveOptions, tuple[int, ...] | None, Solution | None]],
                weights: tuple[Packed, dict[int, Weight]],
                blocks: BlockCache) -> tuple[list[Solution], int, BlockCache]:
    """In a worker: solve each program of ``shapes`` with the weights of its ``keys`` (0:
    excluded) as its ``starts`` entry says (options, warm start, and an optimum ``first`` to
    order from: ``ilp.lex.lex_first``), after keeping the new ``weights`` (packed by
    :func:`pack_weights`) and ``blocks`` in the worker's store; also the number of weights
    compiled here for them, and the blocks compiled here of the new weights of several
    valuations that came as objects, not packed (costly to compile)."""
    held: dict[int, Weight | None] = store.setdefault("weights", {0: None})
    cache: BlockCache = store.setdefault("blocks", BlockCache())
    held.update(received(weights))
    cache.update(blocks)
    # The store only grows (500 players: 125,000 weights per worker, with their blocks) and holds
    # no cycles; left to the cyclic collector, it was walked again and again (a quarter of the
    # worker's time). Frozen, it is never walked; what the last solves left is collected first.
    gc.collect()
    gc.freeze()
    before = len(cache)
    solutions = []
    for shape, ids, (options, hint, first) in zip(shapes, keys, starts):
        program = replace(shape, weights=tuple(map(held.__getitem__, ids)))
        options = replace(options, blocks=cache)
        solutions.append(solve(program, options, hint) if first is None else lex_first(program, first, options))
    # A weight of several valuations may need the covering-union search (up to a second): its
    # block goes back, for later solves in the parent. One valuation compiles about as fast as
    # its block would unpickle, and a minimum of one bid each at once (those came packed).
    composite = tuple(w for w in weights[1].values() if sum(map(len, w.options)) > 1 and not len(blocks.part((w,))))
    return solutions, len(cache) - before, cache.part(composite)
