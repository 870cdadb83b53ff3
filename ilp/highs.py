"""HiGHS adapter (highspy), run in a worker process of its own.

OR-Tools and highspy each ship a ``libhighs`` shared library, and some releases of the two cannot
be loaded into one process (the second import fails). cabench imports OR-Tools for CP-SAT, so
HiGHS always runs in a worker process of its own (``ilp.workers``) that never imports OR-Tools:
``run`` sends the :class:`ILP` there over a pipe and reads back the answer. The worker stays alive for the next solve (starting
one costs about half a second) and is replaced if a solve dies.

HiGHS works in floating point; values are rounded to the integers they encode and the caller
re-evaluates the witness exactly. The objective coefficients are integers, so every integer
solution has an integer objective and a gap below 1 already proves optimality: the absolute gap
tolerance is set to 0.5 and the relative one to 0.
"""

from __future__ import annotations

import atexit
import importlib.util
import math
import threading
import time
from typing import TYPE_CHECKING

from ilp import stopping
from ilp.contract import Answer, SolveOptions
from ilp.formulation import ILP, Formulation
from ilp.program import Status
from instances.errors import CabenchError

if TYPE_CHECKING:
    from ilp.workers import Worker

__all__ = ["EXACT", "NAME", "available", "run", "solve_here"]

NAME = "highs"
EXACT = False  # floating point: ilp.claims decides what its claims prove
_worker = None  # the live ilp.workers.Worker, if any
_lock = threading.Lock()


def available() -> bool:
    return importlib.util.find_spec("highspy") is not None


def run(formulation: Formulation, options: SolveOptions, hint: list[int] | None = None) -> Answer:
    """Solve the formulation's ILP in the HiGHS worker process (``ilp.contract``); ``hint`` is a
    full assignment to start from."""
    from ilp.workers import OVERRUN, Worker, WorkerDied, WorkerOverran

    global _worker
    # HiGHS's own limit, and the worker stopped when it overruns that by far (some of its
    # presolve's steps never look at the clock): an unproven answer, as at the limit. A second
    # attempt (after a worker that died) gets what is left of the limit, not the whole of it
    # (counted from when this call has the worker: a call waiting for another's is not late).
    # A solve on a batch's thread asked to stop (ilp.stopping) kills the worker, which holds
    # this solve only (under the lock): an abandoned solve held the lock, and every later HiGHS
    # solve of the process waited for it, for ever without a time limit (found by a user's audit)
    stop = stopping.current()
    # (a solve asked to stop while it waits for another's worker stops waiting)
    while not _lock.acquire(timeout=-1 if stop is None else 0.05):
        if stop.requested:
            return Answer(Status.UNKNOWN, solver=NAME)
    try:
        deadline = None if options.time_limit is None else time.monotonic() + options.time_limit
        for attempt in range(2):
            if stop is not None and stop.requested:
                return Answer(Status.UNKNOWN, solver=NAME)
            if _worker is None or not _worker.alive:
                _worker = Worker()
            limit = None if deadline is None else max(0.01, deadline - time.monotonic())
            within = None if limit is None else limit + OVERRUN
            stopper = _Stopper(_worker)
            if stop is not None and not stop.add(stopper):
                return Answer(Status.UNKNOWN, solver=NAME)
            try:
                return _worker.call_within(within, solve_here, formulation.ilp, limit, options.threads, hint)
            except WorkerOverran as exc:
                _stop()
                return Answer(Status.UNKNOWN, solver=NAME, error=str(exc))
            except WorkerDied:
                _stop()
                if stop is not None and stop.requested:  # killed by the stopper: not used
                    return Answer(Status.UNKNOWN, solver=NAME)
                if attempt:
                    raise CabenchError("the HiGHS worker process died twice in a row") from None
            finally:
                stopper.done()  # (before the lock is let go: a late stop kills no later solve)
                if stop is not None:
                    stop.discard(stopper)
    finally:
        _lock.release()
    raise AssertionError("unreachable")


class _Stopper:
    """Kills ``worker`` when a stop is requested while this solve has it, and not after: a request
    runs its stoppers after letting go of its own lock, so one could come once the solve had
    returned, its worker already serving the next solve."""

    def __init__(self, worker: Worker) -> None:
        self._worker = worker
        self._guard = threading.Lock()
        self._active = True

    def __call__(self) -> None:
        with self._guard:
            if self._active:
                self._worker.process.kill()

    def done(self) -> None:
        with self._guard:
            self._active = False


def _stop() -> None:
    global _worker
    if _worker is not None:
        _worker.stop()
        _worker = None


atexit.register(_stop)


def solve_here(ilp: ILP, time_limit: float | None, workers: int = 1, hint: list[int] | None = None) -> Answer:
    """Solve ``ilp`` with HiGHS in this process (which must not have loaded OR-Tools)."""
    import highspy
    import numpy as np

    if not ilp.names:
        return Answer(Status.OPTIMAL, [], 0, NAME)  # HiGHS answers "unknown" for a model without columns
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", workers)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.5)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    lp = highspy.HighsLp()
    n = len(ilp.names)
    lp.num_col_ = n
    lp.num_row_ = len(ilp.rows)
    cost = np.zeros(n)
    for k, c in ilp.objective.items():
        cost[k] = c
    lp.col_cost_ = cost
    lp.col_lower_ = np.array(ilp.lower, dtype=float)
    lp.col_upper_ = np.array(ilp.upper, dtype=float)
    lp.sense_ = highspy.ObjSense.kMaximize if ilp.maximize else highspy.ObjSense.kMinimize
    inf = highspy.kHighsInf
    lp.row_lower_ = np.array([-inf if lo is None else lo for _, lo, _ in ilp.rows], dtype=float)
    lp.row_upper_ = np.array([inf if hi is None else hi for _, _, hi in ilp.rows], dtype=float)
    starts, index, value = [0], [], []
    for terms, _, _ in ilp.rows:
        index += terms.keys()
        value += terms.values()
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = len(ilp.rows)
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value, dtype=float)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    h.passModel(lp)
    if hint is not None:
        start = highspy.HighsSolution()
        start.col_value = [float(v) for v in hint]
        h.setSolution(start)
    h.run()
    model_status = h.getModelStatus()
    if model_status == highspy.HighsModelStatus.kInfeasible:
        return Answer(Status.INFEASIBLE, solver=NAME)
    info = h.getInfo()
    if info.primal_solution_status != highspy.kSolutionStatusFeasible:
        return Answer(Status.UNKNOWN, solver=NAME)
    values = [round(v) for v in h.getSolution().col_value]
    if hint is not None and sum(c * values[k] for k, c in ilp.objective.items()) != round(info.objective_function_value):
        # seen with HiGHS 1.16: when presolve alone solves the model, the solution handed back is
        # the warm start, not the optimum it reports; solve again without one
        return solve_here(ilp, time_limit, workers)
    raw = info.mip_dual_bound
    bound = None
    if math.isfinite(raw):
        bound = math.floor(raw + 1e-6) if ilp.maximize else math.ceil(raw - 1e-6)
    status = Status.OPTIMAL if model_status == highspy.HighsModelStatus.kOptimal else Status.FEASIBLE
    return Answer(status, values, bound, NAME)


