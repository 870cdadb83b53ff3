"""OR-Tools CP-SAT adapter: translates an :class:`ILP` and reports what CP-SAT proved.

CP-SAT works on 64-bit integers natively, so values and bounds are exact (the model is rejected
if a sum could overflow). OPTIMAL and FEASIBLE stay
distinct (a FEASIBLE answer carries the proven bound, never the benchmark).
"""

from __future__ import annotations

import math
import threading
import time
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING

from ilp import claims, stopping
from ilp.compile import AtomsBlock
from ilp.contract import Answer, SolveOptions
from ilp.formulation import ILP, Formulation
from ilp.program import Status
from instances.errors import CabenchError

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

__all__ = ["APART_VARIABLES", "EXACT", "MERGE_LITERALS", "NAME", "ROBUST_MAGNITUDE", "available", "import_window",
           "ortools", "run", "run_apart"]

NAME = "cpsat"
EXACT = True  # its claims are exact (see ilp.claims)


def ortools() -> ModuleType:
    """OR-Tools' CP-SAT module, imported by the first solve that reaches CP-SAT (or, under a time
    limit, before the clock of a program that may: ``ilp.backends.solve``), not with this
    module. With it come pandas and numpy's extras: 0.6 s and 75 MB in each process (2026-12-08,
    2 cores). Many reports never reach CP-SAT, the portfolio's searches, relaxation and dynamic
    programs settling their programs first: `cabench benchmarks` of paths 64 / 500 / 10 took
    1.0-1.3 s with it imported ahead and 0.65-0.73 s without; of 24 generated reports at 64 / 500
    / 10, those of decay and scheduling and one of regions reached CP-SAT."""
    with _IMPORT:  # one import, timed from its start (a second thread waits here)
        return _imported()[0]


def import_window() -> tuple[float, float] | None:
    """When this process imported OR-Tools' CP-SAT module (``time.monotonic()`` at the start and
    the end), None before and during it: ``ilp.batch`` does not count it in a solve's time.
    Without the lock: a batch's thread asks after each solve, and must not wait for an import
    on a thread beside (a solve that ended meanwhile did not wait for it either)."""
    return _imported()[1] if _imported.cache_info().currsize else None


_IMPORT = threading.Lock()


@cache
def _imported() -> tuple[ModuleType, tuple[float, float]]:
    start = time.monotonic()
    from ortools.sat.python import cp_model

    return cp_model, (start, time.monotonic())


def _status(code: int) -> Status:
    cp_model = ortools()
    return {cp_model.OPTIMAL: Status.OPTIMAL, cp_model.FEASIBLE: Status.FEASIBLE,
            cp_model.INFEASIBLE: Status.INFEASIBLE, cp_model.UNKNOWN: Status.UNKNOWN}[code]


def available() -> bool:
    return True


ROBUST_MAGNITUDE = claims.FLOAT_SEPARABLE
"""Above this program magnitude (``ilp.claims.magnitude``, 10^6), a program with a guaranteed
value's price variable (the robust block of ``ilp.compile``) is solved without CP-SAT's presolve
and with its portfolio of search strategies. Near 10^12, CP-SAT 9.15's presolve answered
OPTIMAL below the optimum (999999999262 where a solution worth 999999999823 exists: every
parameter tried but presolve off gave that answer; the same program with values shrunk to 10^11
was right), and with one worker its default search stalled, near 10^12 and near 10^8 alike (a
robust MIKW_i of 7 goods not proven in 60 s; the stall counted no deterministic work, so no work
limit ended it). Measured (2026-12-04, one worker, 5 s per program, generated instances of 5-9
goods, 3,500-5,300 programs per scan of which ~10 % robust; docs/performance.md, "Session 41"):
values within 1,000 of 10^12, 4 wrong optima (caught by ``ilp.backends``' witness check, which
ended the report) and 11 unproven by default, none either way so; within 1,000 of 10^8, 13
unproven by default (69.4 s of CP-SAT), none so (4.7 s); near 10^7, 10^6 and 10^5 the default
had none either (near 10^7: 4.6 s by default, 5.0 s so). Below 10^6 the default stays: nothing
was found wrong or late there, and on 29 small robust programs (values from 1,000 to 10^8)
these settings took 0.10 s against the default's 0.05 s; presolve off alone stalled on one."""


APART_VARIABLES = 32_768
"""Under a time limit, a program of more variables is solved in a worker process of its own
(:func:`run_apart`), stopped ``ilp.workers.OVERRUN`` seconds past the limit: CP-SAT's presolve
does not look at the clock on huge set packings (a core of 193,932 covering unions of paths 256
/ 2000 / 10 with 5 candidates returned after 139 s under a limit of 60 s, 1 GB; 2026-12-05).
Its clique merging, the step measured so, is now off on such cores (:data:`MERGE_LITERALS`);
the process of its own still guards against the rest of the presolve.
Starting a worker costs about half a second, nothing at this size; the same size as
``ilp.clique.MAX_VERTICES``, above which the column generation's cores build no graph."""


MERGE_LITERALS = 200_000
"""A program of covering unions whose rows hold more terms than this (each a literal of an
at-most-one constraint) is solved with ``merge_at_most_one_work_limit`` at 0: without CP-SAT's
merging of its at-most-one constraints into larger cliques, in the presolve and in the linear
relaxation alike (the one limit bounds both; the times below are of the setting as a whole).
The presolve's step looks neither at the clock nor, on these models, at that limit (12 s with
10^6 as with the default 10^8), and it grows faster than the terms: on the cores of paths 256 /
2000 / 10 with 5 candidates (seed 2) it took 1.1 s at 290,087 terms, 3.4 s at 470,208 and 12 s
at 1,038,794 (under a time limit of 1 s, CP-SAT answered after 12-16 s in seven runs; with the
limit at 0, after 1.05 s). With it at 0 CP-SAT proved those cores sooner (3.6 -> 2.0 s, 15.6 ->
12.0 s, 70 -> 43 s), and that report's nine programs for column generation, each solved alone,
took 225 s against 306 s (2026-12-06, one worker). On smaller cores the cliques can pay: on
regions 64 / 500 / 10 with 3 candidates (up to 16,122 terms) the report with ``--solver cpsat``
took 27.4 s without them against 21.4 s with them; on two cores of arbitrary 64 / 500 / 10 with 3
candidates (41,132 to 58,844 terms, the presolve's step 0.15 s) CP-SAT took 20.8 and 12.1 s
without them against 14.4 and 13.9 s with them. The threshold lies between the largest core
measured where they helped (58,844 terms) and the smallest where they cost (290,087); nothing
was measured in between."""


def run(formulation: Formulation, options: SolveOptions, hint: list[int] | None = None,
        work: float | None = None, safe: bool = False) -> Answer:
    """Solve the formulation's ILP (``ilp.contract``); ``hint`` is a full assignment to start from.
    ``work``: a limit in CP-SAT's deterministic time (a count of work, about a second each; with
    one worker the same input stops at the same point on every run, unlike a time limit).
    ``safe``: without presolve and with the portfolio search, as for a robust program above
    :data:`ROBUST_MAGNITUDE` (``ilp.backends`` asks so when an optimum was claimed below a
    solution's worth). A program of more than :data:`APART_VARIABLES` variables under a time
    limit is solved apart (:func:`run_apart`)."""
    if options.time_limit is not None and len(formulation.ilp.names) > APART_VARIABLES:
        return run_apart(formulation, options, hint, work, safe)
    return _solve(formulation, options, hint, work, safe)


def run_apart(formulation: Formulation, options: SolveOptions, hint: list[int] | None = None,
              work: float | None = None, safe: bool = False) -> Answer:
    """:func:`run`, under a time limit in a worker process of its own (``ilp.workers``), stopped
    ``ilp.workers.OVERRUN`` seconds past the limit: then, or if the worker dies (out of memory),
    the answer is unproven (UNKNOWN, with the reason as its error). Without a time limit, here."""
    from ilp.workers import OVERRUN, Worker, WorkerDied

    if options.time_limit is None:
        return _solve(formulation, options, hint, work, safe)
    worker = Worker()
    try:
        return worker.call_within(options.time_limit + OVERRUN, _solve, formulation, options.sendable(), hint,
                                  work, safe)
    except WorkerDied as exc:  # stopped past its limit, or out of memory
        return Answer(Status.UNKNOWN, solver=NAME, error=str(exc))
    finally:
        worker.stop()


def _configure(parameters, formulation: Formulation, options: SolveOptions, work: float | None,
               safe: bool) -> None:
    """Set CP-SAT's ``parameters`` (a solver's ``SatParameters``) for :func:`_solve`."""
    ilp = formulation.ilp
    parameters.catch_sigint_signal = False  # Ctrl-C stays cabench's (ilp.lifetime)
    parameters.num_workers = options.threads  # one worker keeps witnesses reproducible
    if any(isinstance(block, AtomsBlock) and block.unions for block in formulation.blocks):
        # Covering unions (candidate knowledge) give thousands of overlapping atoms, on which
        # CP-SAT's probing costs more than it saves. Measured (2026-12-01, 2 shared cores, paths
        # 64 / 500 / 10 with 3 candidates, MIEW_i and MIKW_i of 3 players): 6.6 s with probing,
        # 2.9 s without (each program 2.3x faster, all proven); regions, MIEW_0 and MIKW_0: 12.5 s
        # and 10.5 s. Exact-knowledge programs, which keep the default, did not change (paths 64 /
        # 500 and 256 / 2000, regions 64 / 500: MSW equally fast either way). Only there: on a
        # robust program of 7 goods near 10^12 (price variables, no unions), CP-SAT 9.15's
        # presolve without probing answered OPTIMAL 1999999999945 where the optimum is
        # 2999999999911 (2026-12-04; never wrong on 61 covering-union programs near 10^12).
        parameters.cp_model_probing_level = 0
        if sum(len(terms) for terms, _, _ in ilp.rows) > MERGE_LITERALS:  # (a clique merge that ignores the clock)
            parameters.merge_at_most_one_work_limit = 0
    # (a robust block's price is the only variable of cabench's programs that is not 0/1; the
    # measurements are of one worker, the setting of a report's programs)
    if safe or (any(hi > 1 for hi in ilp.upper) and claims.magnitude(ilp) > ROBUST_MAGNITUDE):
        parameters.cp_model_presolve = False
        parameters.search_branching = ortools().PORTFOLIO_SEARCH
    if options.time_limit is not None:
        parameters.max_time_in_seconds = options.time_limit
    if work is not None:
        parameters.max_deterministic_time = work


def _solve(formulation: Formulation, options: SolveOptions, hint: list[int] | None,
           work: float | None, safe: bool) -> Answer:
    """:func:`run` in this process."""
    cp_model = ortools()
    model, xs = _model(formulation.ilp, hint)
    solver = cp_model.CpSolver()
    _configure(solver.parameters, formulation, options, work, safe)
    stop = stopping.current()  # (a solve on a thread of ``ilp.batch``: stopped when its batch ends early)
    stopper = solver.stop_search
    if stop is not None and not stop.add(stopper):
        return Answer(Status.UNKNOWN, solver=NAME)
    try:
        code = solver.solve(model)
    finally:
        if stop is not None:
            stop.discard(stopper)
    if code == cp_model.MODEL_INVALID:
        # e.g. sums beyond 64 bits: values near 10^12 on millions of bids
        raise CabenchError(f"CP-SAT cannot hold this program exactly in 64-bit integers: {model.validate()}")
    status = _status(code)
    if status not in (Status.OPTIMAL, Status.FEASIBLE):
        return Answer(status, solver=NAME)
    # every variable of the model is one of ``xs``, made in order: its value is at its index
    values = list(solver.response_proto.solution)[:len(xs)]
    return Answer(status, values, _bound(model, solver, formulation.ilp.maximize), NAME)


def _model(ilp: ILP, hint: list[int] | None = None) -> tuple[cp_model.CpModel, list[cp_model.IntVar]]:
    """The CP-SAT model of ``ilp`` (variable k of the ILP is the model's variable k) with the
    warm start ``hint``, and its variables.

    The objective and the hint are written into the model's proto in one step each, where
    ``CpModel.maximize`` / ``minimize`` and ``add_hint`` write them one term at a time: the same
    proto as from OR-Tools 9.12 on, whose API sorts an objective's terms by variable (9.10 and
    9.11 wrote them reversed: the same program, another order; ``pyproject.toml`` asks for 9.12;
    ``tests/test_ilp.py`` compares the two). Measured (2026-12-02, 2 cores, nothing else
    running, process CPU): the first 200 programs of a CATS L4 64 / 500 report with
    noisy-lower:0.8 (500 one-bid players each) with the relaxation's warm start, each solved
    twice by both ways, alternated: 12.1 s term by term, 9.7 s so, the same answers; the API's
    objective alone cost 7.6 ms of a program's model, its hint 4.1 ms."""
    cp_model = ortools()
    model = cp_model.CpModel()
    xs = [
        model.new_bool_var(name) if (lo, hi) == (0, 1) else model.new_int_var(lo, hi, name)
        for name, lo, hi in zip(ilp.names, ilp.lower, ilp.upper)
    ]

    def expr(terms: dict[int, int]) -> cp_model.LinearExprT:
        return cp_model.LinearExpr.weighted_sum([xs[k] for k in terms], list(terms.values()))

    for terms, lo, hi in ilp.rows:
        if lo is None and hi == 1 and all(c == 1 for c in terms.values()) and all(
                (ilp.lower[k], ilp.upper[k]) == (0, 1) for k in terms):
            model.add_at_most_one(xs[k] for k in terms)  # set packing: CP-SAT's native constraint
            continue
        model.add_linear_constraint(
            expr(terms),
            lo if lo is not None else cp_model.INT_MIN,
            hi if hi is not None else cp_model.INT_MAX,
        )
    proto = model.proto
    # (the API's objective: its terms by variable, zero coefficients left out, negated for a
    # maximum, whose scaling factor is -1)
    terms = sorted((k, c) for k, c in ilp.objective.items() if c)
    objective = proto.objective
    objective.vars.extend([k for k, _ in terms])
    objective.coeffs.extend([-c if ilp.maximize else c for _, c in terms])
    objective.scaling_factor = -1.0 if ilp.maximize else 1.0
    if ilp.floor is not None and ilp.maximize:
        # "worth at least the floor" as the objective's own domain (the inner objective is the
        # negated sum): CP-SAT then prunes every branch that cannot reach it, and answers
        # INFEASIBLE when nothing does. Measured (2026-12-03, one worker, the cores of MIKW_7 of
        # paths 256 / 2000 / 10 with 3 candidates, seed 0): a core with nothing at its threshold
        # proven so in 5.7 s against 25.8 s for its maximum (6,925 unions), 3.2 s against
        # 10.7 s (5,503); the core holding the optimum 12.0 s against 16.5 s. The same floor as
        # a linear row instead proves the first in 12.9 s but did not prove the last in 120 s.
        objective.domain.extend([cp_model.INT_MIN, -ilp.floor])
    if hint and xs:  # (an empty hint: the API writes nothing either)
        proto.solution_hint.vars.extend(range(min(len(xs), len(hint))))
        proto.solution_hint.values.extend([int(v) for v in hint[:len(xs)]])
    return model, xs


def _bound(model: cp_model.CpModel, solver: cp_model.CpSolver, maximize: bool) -> int | None:
    """The proven objective bound, exactly. ``best_objective_bound`` is a double, which near
    10^12 can be one unit off the integer bound CP-SAT proved (seen: 1999999999923 for
    1999999999924); the response's inner bound is that integer in the model's own scale."""
    objective = model.proto.objective
    inner = solver.response_proto.inner_objective_lower_bound
    if objective.offset == 0 and objective.scaling_factor in (0, 1, -1):
        if abs(inner) >= 2**62:  # no bound proven
            return None
        return -inner if objective.scaling_factor == -1 else inner
    raw = solver.best_objective_bound  # an unusual scaling: round outwards, never inwards
    if not math.isfinite(raw):
        return None
    slack = 1e-6 + abs(raw) * 2**-50
    return math.floor(raw + slack) if maximize else math.ceil(raw - slack)
