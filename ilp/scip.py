"""SCIP adapter (PySCIPOpt, which bundles the solver): translates an :class:`ILP` and reports
what SCIP proved. SCIP works in floating point; values are rounded to the integers they encode
and the caller re-evaluates the witness exactly."""

from __future__ import annotations

import math
import threading
from typing import Any

from ilp import stopping
from ilp.contract import Answer, SolveOptions
from ilp.formulation import Formulation
from ilp.program import Status

__all__ = ["EXACT", "NAME", "POLL_SECONDS", "available", "run"]

NAME = "scip"
EXACT = False  # floating point: ilp.claims decides what its claims prove
POLL_SECONDS = 0.05
"""How often a solve's caller looks whether the solve is asked to stop (:func:`_optimize`)."""


def available() -> bool:
    try:
        import pyscipopt  # noqa: F401
    except ImportError:
        return False
    return True


def run(formulation: Formulation, options: SolveOptions, hint: list[int] | None = None) -> Answer:
    """Solve the formulation's ILP (``ilp.contract``); ``hint`` is a full assignment to start from."""
    ilp, time_limit = formulation.ilp, options.time_limit
    import pyscipopt

    model = pyscipopt.Model()
    model.hideOutput()
    xs = [
        model.addVar(name=name, vtype="B" if (lo, hi) == (0, 1) else "I", lb=lo, ub=hi)
        for name, lo, hi in zip(ilp.names, ilp.lower, ilp.upper)
    ]
    for terms, lo, hi in ilp.rows:
        expr = pyscipopt.quicksum(c * xs[k] for k, c in terms.items())
        if lo is not None and hi is not None and lo == hi:
            model.addCons(expr == lo)
            continue
        if lo is not None:
            model.addCons(expr >= lo)
        if hi is not None:
            model.addCons(expr <= hi)
    objective = pyscipopt.quicksum(c * xs[k] for k, c in ilp.objective.items())
    model.setObjective(objective, "maximize" if ilp.maximize else "minimize")
    model.setParam("parallel/maxnthreads", options.threads)
    model.setParam("limits/gap", 0.0)
    # SCIP's own Ctrl-C handler would replace cabench's for the whole solve (the signal then only
    # ends the solve, and the report goes on); ilp.lifetime stops the process instead
    model.setParam("misc/catchctrlc", False)
    if time_limit is not None:
        # SCIP refuses a limit above 1e20 (its infinity): a longer one is no limit at all
        model.setParam("limits/time", min(time_limit, 1e20))
    if hint is not None:
        start = model.createSol()
        for x, v in zip(xs, hint):
            model.setSolVal(start, x, v)
        model.addSol(start, free=True)  # SCIP checks it and drops it if infeasible
    stop = stopping.current()
    if stop is not None and stop.requested:
        return Answer(Status.UNKNOWN, solver=NAME)
    _optimize(model, stop)
    if stop is not None and stop.requested:  # (perhaps interrupted: not used)
        return Answer(Status.UNKNOWN, solver=NAME)
    status_name = model.getStatus()
    if status_name == "infeasible":
        return Answer(Status.INFEASIBLE, solver=NAME)
    if model.getNSols() == 0:
        return Answer(Status.UNKNOWN, solver=NAME)
    solution = model.getBestSol()
    values = [round(model.getSolVal(solution, x)) for x in xs]
    bound = model.getDualbound()
    proven = None
    if math.isfinite(bound):
        proven = math.floor(bound + 1e-6) if ilp.maximize else math.ceil(bound - 1e-6)
    return Answer(Status.OPTIMAL if status_name == "optimal" else Status.FEASIBLE, values, proven, NAME)


def _optimize(model: Any, stop: stopping.Stop | None) -> None:
    """``model.optimizeNogil()`` on a thread of its own while the caller waits: SCIP is
    interrupted (at its next node) when ``stop`` is requested, or when the wait raises (a
    ``KeyboardInterrupt`` in the Python API), and the wait ends once SCIP has. Solved in the
    caller's thread, a solve ran on to its end after either: on a batch's thread after its batch
    had ended, holding a core (found by a user's audit), and in the main thread with Ctrl-C
    unseen until SCIP returned. A request made just before SCIP starts would be lost (SCIP clears
    it when it starts), so the interruption is repeated at each look until SCIP has stopped.
    Python's threads run meanwhile (``optimizeNogil``): ``ilp.lifetime``'s stop thread needs the GIL."""
    failed: list[BaseException] = []
    done = threading.Event()  # (not Thread.join: a join that a signal interrupts may leave the
    # thread's state wrong, is_alive() False while it runs: Python 3.11)

    def solve() -> None:
        try:
            model.optimizeNogil()
        except BaseException as exc:  # raised in the caller's thread
            failed.append(exc)
        finally:
            done.set()

    threading.Thread(target=solve, name="cabench-scip", daemon=True).start()
    try:
        while not done.wait(POLL_SECONDS):
            if stop is not None and stop.requested:
                model.interruptSolve()
    except BaseException:
        while not done.is_set():
            model.interruptSolve()
            done.wait(POLL_SECONDS)
        raise
    if failed:
        raise failed[0]
