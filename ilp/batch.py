"""Solve many programs at once: each distinct program once, related programs from each other,
independent programs in parallel worker processes.

Three exact savings, none of which changes a single value:

* **Duplicates.** Equal programs (a :class:`Program` is a frozen value) are solved once.
* **Removing a player who wins nothing.** If program ``P`` equals program ``Q`` with one player
  ``i`` removed (``P.weights[i] is None``, everything else equal) and a proven optimum of ``Q``
  gives ``i`` nothing, that optimum is feasible for ``P``, and ``P`` allows no more than ``Q``,
  so it is optimal for ``P`` too: no solve.
* **Warm starts.** Otherwise ``Q``'s solution with ``i``'s bundle dropped is a feasible
  solution of ``P`` and is handed to the solver as its starting point.

Programs that do not wait for another are solved together, one per worker process, on up to
``jobs`` processes (each solver single-threaded, so the cores are not oversubscribed). Small
batches stay in this process: a worker process costs about a second to start. Worker processes
are started with "spawn", which imports the caller's main script again: scripts calling this
need Python's usual ``if __name__ == "__main__":`` guard. With the
``portfolio`` backend, programs solved in this process are raced on every core, and programs
solved side by side each get the solver that won the last race.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import replace

from ilp.backends import DEFAULT_BACKEND, reuse, solve
from ilp.program import Program, Solution

PARALLEL_AFTER_SECONDS = 0.5
"""With automatic ``jobs``, programs are solved in this process until one takes this long;
the rest of the batch then goes to worker processes."""


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def parent_of(program: Program, candidates: Sequence[Program]) -> tuple[Program, int] | None:
    """``(Q, i)`` when ``program`` is some ``Q`` of ``candidates`` with player ``i`` removed."""
    for other in candidates:
        if (other.n_goods, other.fixed, other.min_total, other.minimize_owners) != (
                program.n_goods, program.fixed, program.min_total, program.minimize_owners):
            continue
        if len(other.weights) != len(program.weights):
            continue
        differ = [j for j, (a, b) in enumerate(zip(program.weights, other.weights)) if a != b]
        if len(differ) == 1 and program.weights[differ[0]] is None:
            return other, differ[0]
    return None


def solve_batch(programs: Sequence[Program], backend: str = DEFAULT_BACKEND, time_limit: float | None = None,
                jobs: int | None = None) -> list[Solution]:
    """Solve every program of ``programs`` (see the module docstring); one :class:`Solution` per
    program, in order. ``time_limit`` applies to each solve. ``jobs``: worker processes (1 = all
    in this process; None = automatic, as many as the cores once a solve proves slow)."""
    distinct = list(dict.fromkeys(programs))
    parents = {p: parent_of(p, distinct) for p in distinct}
    solved: dict[Program, Solution] = {}
    automatic = jobs is None
    jobs = default_jobs() if jobs is None else max(1, jobs)
    slow = not automatic
    pool: ProcessPoolExecutor | None = None
    try:
        while len(solved) < len(distinct):
            ready = [p for p in distinct if p not in solved and (parents[p] is None or parents[p][0] in solved)]
            tasks = []
            for p in ready:
                shortcut, hint = _from_parent(p, parents[p], solved)
                if shortcut is not None:
                    solved[p] = shortcut
                else:
                    tasks.append((p, hint))
            while tasks and (jobs == 1 or not slow or len(tasks) == 1):
                p, hint = tasks.pop(0)
                solved[p] = solve(p, backend, time_limit, hint)
                slow = slow or solved[p].wall_time >= PARALLEL_AFTER_SECONDS
            if tasks:
                if pool is None:
                    pool = worker_pool(jobs)
                futures = {p: pool.submit(solve, p, _parallel_backend(backend), time_limit, hint) for p, hint in tasks}
                for p, future in futures.items():
                    solved[p] = future.result()
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return [solved[p] for p in programs]


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of spawned worker processes that die with this one and ignore the working
    directory (see ``ilp.lifetime``)."""
    from ilp.lifetime import child_setup, spawn_context

    return ProcessPoolExecutor(max_workers=workers, mp_context=spawn_context(), initializer=child_setup,
                               initargs=(os.getpid(),))


def _parallel_backend(backend: str) -> str:
    """The backend for programs solved side by side: the portfolio races solvers on every core,
    so in parallel each program gets the solver that proved the portfolio's last program."""
    if backend != "portfolio":
        return backend
    from ilp import portfolio

    return portfolio.last_winner or "cpsat"


def _from_parent(program: Program, parent: tuple[Program, int] | None,
                 solved: dict[Program, Solution]) -> tuple[Solution | None, tuple[int, ...] | None]:
    """(the solution when the removal shortcut applies, else None; the warm start, if any)."""
    if parent is None:
        return None, None
    other, removed = parent
    solution = solved[other]
    if solution.allocation is None:
        return None, None
    if solution.optimal and solution.allocation[removed] == 0:
        start = time.perf_counter()
        value = program.total(solution.allocation)  # the same allocation, now without player i
        return replace(solution, value=value, wall_time=time.perf_counter() - start), None
    hint = tuple(0 if j == removed else bundle for j, bundle in enumerate(solution.allocation))
    return None, hint


@contextmanager
def prefetch(programs: Sequence[Program], backend: str = DEFAULT_BACKEND, time_limit: float | None = None,
             jobs: int | None = None) -> Iterator[None]:
    """Solve ``programs`` as a batch, then let every :func:`ilp.solve` of one of them within the
    block return the batch's solution: code written one solve at a time gets the batch's savings."""
    solutions = solve_batch(programs, backend, time_limit, jobs)
    with reuse({(p, backend, time_limit): s for p, s in zip(programs, solutions)}):
        yield
