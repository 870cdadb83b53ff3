"""Portfolio backend: CP-SAT alone for a short probe, then a race of several solvers.

Most benchmark programs of small and medium instances are proven by CP-SAT in well under a
second, so the portfolio first gives CP-SAT ``PROBE_SECONDS`` in this process. A program still
open after that is raced: one worker process per available core, each running a different
solver (HiGHS, SCIP, CP-SAT, CBC, in that order, at least the first three). No two of them
suffice: HiGHS proves large "regions" tables that CP-SAT does not, SCIP proves large "arbitrary"
programs that neither HiGHS nor CP-SAT proves within minutes, and CP-SAT is the fastest on
mid-sized "regions" programs just beyond the probe (measured by ``cabench perf``; see the README).
The first proven optimum wins and the other workers are stopped. "Proven" means accepted by
``ilp.claims``: every answer is checked exactly, and a floating-point racer wins only a program
whose magnitude its tolerances can separate; a program beyond that magnitude is not raced at all
(only CP-SAT could win it), CP-SAT simply goes on. If nobody proves optimality within the time limit, the best incumbent and the
tightest proven bound are returned, marked FEASIBLE (never as a benchmark value).

Workers are started with the "spawn" method: the solvers' own threads make forking unsafe.
They die with this process (``ilp.lifetime``); a racer that dies without answering (killed, out
of memory) is noticed within half a second and the race goes on without it, down to CP-SAT in
this process if every racer died. ``CABENCH_CORES`` (set by the sweep in its workers) is the
number of cores this process may use: below two there is no race.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import queue as queue_module
import time

from ilp import claims
from ilp.formulation import ILP
from ilp.program import Status

NAME = "portfolio"
EXACT = True  # it returns only claims that ilp.claims accepts
PROBE_SECONDS = 1.0
RACERS = ("highs", "scip", "cpsat", "cbc")
last_winner: str | None = None
"""The solver that proved the last program this process solved with the portfolio (None if
none did): ``ilp.batch`` gives it the related programs that it then solves in parallel."""


def available() -> bool:
    return True


def cores() -> int:
    """The cores this process may use: ``CABENCH_CORES`` if set (a sweep divides the machine
    among its workers), else every core."""
    budget = os.environ.get("CABENCH_CORES", "")
    if budget.isdigit() and int(budget) >= 1:
        return int(budget)
    return os.cpu_count() or 1


def racers() -> list[str]:
    """The solvers to race, among those installed: as many as there are cores, and at least
    three, because no two of HiGHS, SCIP and CP-SAT cover the large instances of every kind (on
    two cores each then runs at about two thirds of its speed)."""
    names = []
    for name in RACERS:
        module = importlib.import_module(f"ilp.{name}")
        if module.available():
            names.append(name)
    return names[: max(3, cores())]


def _race_worker(name: str, ilp: ILP, time_limit: float | None, hint: list[int] | None, results,
                 parent: int | None = None) -> None:
    if parent is not None:
        from ilp.lifetime import child_setup

        child_setup(parent)
    module = importlib.import_module(f"ilp.{name}")
    # this process is a racer of its own and has not loaded OR-Tools: HiGHS can run right here
    # (through its usual worker process, terminating this racer would orphan that worker)
    run = module.run
    if name == "highs":
        run = module.solve_here
        quiet = os.open(os.devnull, os.O_WRONLY)  # HiGHS prints a banner on stdout
        os.dup2(quiet, 1)
    try:
        results.put((name, run(ilp, time_limit, hint=hint)))
    except Exception as exc:  # report, so the race does not wait for a dead worker
        results.put((name, (Status.UNKNOWN, None, None, repr(exc))))


def _better(ilp: ILP, a: tuple, b: tuple) -> tuple:
    """The answer with the better incumbent objective (values present)."""
    if a[1] is None:
        return b
    if b[1] is None:
        return a

    def objective(values):
        return sum(c * values[k] for k, c in ilp.objective.items())

    if ilp.maximize:
        return a if objective(a[1]) >= objective(b[1]) else b
    return a if objective(a[1]) <= objective(b[1]) else b


def run(ilp: ILP, time_limit: float | None, workers: int = 1,
        hint: list[int] | None = None) -> tuple[Status, list[int] | None, int | None]:
    from ilp import cpsat  # imported here, not at the top: racer processes must not load OR-Tools

    start = time.monotonic()
    probe = PROBE_SECONDS if time_limit is None else min(PROBE_SECONDS, time_limit)
    global last_winner
    last_winner = "cpsat"
    first = cpsat.run(ilp, probe, hint=hint) if probe > 0 else (Status.UNKNOWN, None, None)
    if first[0] in (Status.OPTIMAL, Status.INFEASIBLE):
        return first
    remaining = None if time_limit is None else max(0.01, time_limit - (time.monotonic() - start))
    if multiprocessing.current_process().daemon or cores() < 2:
        # a daemonic worker (a pool's) may not start processes; one core is no place for a race
        return cpsat.run(ilp, remaining, hint=hint)
    if not claims.separable(ilp):
        # no floating-point racer could prove this program (ilp.claims): CP-SAT alone goes on
        return cpsat.run(ilp, remaining, hint=hint if first[1] is None else first[1])
    return race(ilp, remaining, first, hint if first[1] is None else first[1])


def race(ilp: ILP, time_limit: float | None, incumbent: tuple = (Status.UNKNOWN, None, None),
         hint: list[int] | None = None):
    """Run the racers in parallel; the first proven answer wins."""
    from ilp.lifetime import spawn_context

    global last_winner
    context = spawn_context()
    results = context.Queue()
    names = racers()
    processes = {name: context.Process(target=_race_worker, args=(name, ilp, time_limit, hint, results, os.getpid()),
                                       daemon=True)
                 for name in names}
    for process in processes.values():
        process.start()
    best = incumbent
    bounds = [incumbent[2]] if incumbent[2] is not None else []
    pending = set(names)
    dead: set[str] = set()
    deadline = None if time_limit is None else time.monotonic() + time_limit + 30
    try:
        while pending:
            if deadline is not None and time.monotonic() > deadline:
                break  # a worker overran its own limit by far: give up on it
            try:
                name, answer = results.get(timeout=0.5)
            except queue_module.Empty:
                # a racer that died without answering (killed, out of memory) will never answer;
                # one that answered and exited (exit code 0) has its answer still in the queue
                dead |= {n for n in pending if processes[n].exitcode not in (None, 0)}
                pending -= dead
                continue
            pending.discard(name)
            (status, values, bound), _ = claims.check(ilp, answer, exact=name == "cpsat")
            if status in (Status.OPTIMAL, Status.INFEASIBLE):
                last_winner = name
                return status, values, bound
            best = _better(ilp, best, (status, values, bound))
            if bound is not None:
                bounds.append(bound)
    finally:
        for process in processes.values():
            if process.is_alive():
                process.terminate()
            process.join(timeout=5)
    last_winner = None
    if dead == set(names):
        # every racer died (the out-of-memory killer, most likely): CP-SAT here, if time is left
        from ilp import cpsat

        left = None if deadline is None else deadline - 30 - time.monotonic()
        if left is None or left > 0:
            return cpsat.run(ilp, left, hint=hint if best[1] is None else best[1])
    if best[1] is None:
        return Status.UNKNOWN, None, None
    tight = (min(bounds) if ilp.maximize else max(bounds)) if bounds else None
    return Status.FEASIBLE, best[1], tight
