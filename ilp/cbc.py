"""PuLP + CBC adapter: translates an :class:`ILP` and reports what CBC proved.

PuLP's ``status`` says "Optimal" even when CBC stopped at its time limit with a merely feasible
solution; ``sol_status`` tells the two apart (LpSolutionOptimal vs LpSolutionIntegerFeasible),
so that is what we read. Values come back as floats and are rounded to the integers they encode.
"""

from __future__ import annotations

import time
import warnings

import pulp

from ilp import stopping
from ilp.contract import Answer, SolveOptions
from ilp.formulation import Formulation
from ilp.lifetime import guard_pulp, private_folder
from ilp.program import Status

__all__ = ["EXACT", "NAME", "THREADS_FROM_SECONDS", "available", "run", "solve_problem"]

NAME = "cbc"
EXACT = False  # floating point: ilp.claims decides what its claims prove
guard_pulp()  # the CBC binary dies with the process that started it


def _command(**options) -> pulp.LpSolver_CMD:
    """A CBC that PuLP's ``COIN_CMD`` finds (the ``cbcbox`` wheel of ``pulp[cbc]``, or a ``cbc``
    on the PATH), else the CBC 2.10.3 binary in PuLP's own wheel (7 MB; ``cbcbox`` is 598 MB, see
    the README, "What gets installed")."""
    solver = pulp.COIN_CMD(**options)
    if not solver.available():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            solver = pulp.PULP_CBC_CMD(**options)
    return solver


THREADS_FROM_SECONDS = 1.0
"""Shortest time limit under which CBC is given the threads asked for (``SolveOptions.threads``)."""


def solve_problem(problem: pulp.LpProblem, **options) -> None:
    """Solve a PuLP ``problem`` with CBC (:func:`_command`, PuLP's ``options``), its files in a
    folder of their own that no end of the solve leaves behind, and CBC itself ended with the
    solve, however it ends (``ilp.stopping.children_ended``: killed before its folder is removed).

    PuLP deletes CBC's model and solution files only after a solve that read its answer: a
    solve ended by Ctrl-C (``KeyboardInterrupt`` in the Python API) or by an error left them in
    the temporary folder. So each solve has a folder of its own (``ilp.lifetime.private_folder``:
    within the command line's private folder when it is in effect), removed when the solve ends.
    One folder per solve, not per process or per call: solves run on several threads at once,
    and a folder named in the environment is shared by all of them (a per-call folder so named
    was removed under another thread's running CBC). A process ended by SIGTERM in the Python
    API runs no clean-up: the next process's first solve removes what it left."""
    with private_folder("cbc") as folder, stopping.children_ended():
        solver = _command(**options)
        if folder is not None:
            solver.tmpDir = folder
        problem.solve(solver)


def available() -> bool:
    return bool(_command(msg=False).available())


def run(formulation: Formulation, options: SolveOptions, hint: list[int] | None = None) -> Answer:
    """Solve the formulation's ILP (``ilp.contract``; CBC's bound is not exposed through PuLP);
    ``hint`` is a full assignment to start from (CBC's MIP start)."""
    ilp, time_limit = formulation.ilp, options.time_limit
    sense = pulp.LpMaximize if ilp.maximize else pulp.LpMinimize
    problem = pulp.LpProblem("cabench", sense)
    xs = [
        problem.add_variable(f"v{k}", lowBound=lo, upBound=hi, cat=pulp.LpInteger)
        for k, (lo, hi) in enumerate(zip(ilp.lower, ilp.upper))
    ]

    def expr(terms: dict[int, int]) -> pulp.LpAffineExpression:
        return pulp.LpAffineExpression([(xs[k], c) for k, c in terms.items()])

    problem += expr(ilp.objective)
    for terms, lo, hi in ilp.rows:
        e = expr(terms)
        if lo is not None and hi is not None and lo == hi:
            problem += e == lo
            continue
        if lo is not None:
            problem += e >= lo
        if hi is not None:
            problem += e <= hi
    # one thread: CBC's default ("threads 0"), its serial search. "-threads 1" starts its threaded
    # search with one worker thread, which under a limit that expires at once waited 10 s for that
    # thread to start ("Cbc0030I Thread 0 used 0 times, waiting to start 10.000136"; 7 runs in
    # 600 at limits below 0.0001 s; with 2 threads, 3 in 400, which only the Python API asks for:
    # so several threads only under a limit of a second or more, where they may pay at all).
    # The limit counts elapsed time (PuLP's default, said here because the "infeasible" rule
    # below rests on it: CPU time over several threads can run ahead of the clock)
    threaded = options.threads > 1 and (time_limit is None or time_limit >= THREADS_FROM_SECONDS)
    settings = {"msg": False, "threads": options.threads if threaded else None, "timeMode": "elapsed"}
    if hint is not None:
        for x, v in zip(xs, hint):
            x.setInitialValue(v)
        settings["warmStart"] = True
    if time_limit is not None:
        settings["timeLimit"] = time_limit
    stop = stopping.current()
    if stop is not None and stop.requested:
        return Answer(Status.UNKNOWN, solver=NAME)
    start = time.monotonic()
    try:
        solve_problem(problem, **settings)
    except pulp.PulpSolverError:
        if stop is not None and stop.requested:  # CBC killed (ilp.stopping): the answer is not used
            return Answer(Status.UNKNOWN, solver=NAME)
        if time_limit is None:
            raise
        # under a very short time limit (a few milliseconds) CBC may stop before it writes a
        # solution file, which PuLP reports as a failure to run it: nothing found in time
        return Answer(Status.UNKNOWN, solver=NAME)
    if problem.status == pulp.LpStatusInfeasible:
        if time_limit is not None and time.monotonic() - start >= time_limit:
            # CBC's preprocessing, stopped by the clock, says "infeasible" (measured: a program of
            # one variable under 0.0001 s, 18 times in 20), and its output cannot tell that from a
            # proof. A run that ended within its limit (started, solved and read back: CBC's own
            # clock saw less) was not stopped, and its "infeasible" stands: the tie-breaks of
            # ilp.lex are proven by it
            return Answer(Status.UNKNOWN, solver=NAME)
        return Answer(Status.INFEASIBLE, solver=NAME)
    if problem.sol_status == pulp.LpSolutionOptimal:
        status = Status.OPTIMAL
    elif problem.sol_status == pulp.LpSolutionIntegerFeasible:
        status = Status.FEASIBLE
    else:
        return Answer(Status.UNKNOWN, solver=NAME)
    values = [round(x.varValue or 0) for x in xs]
    return Answer(status, values, None, NAME)
