"""Solve a covering-union program through its linear relaxation: an exact dual bound, then
integer programs over the few columns that bound leaves open (a "core").

Which programs. Those whose covering unions were listed (``ilp.compile``) and whose rows are all
upper bounds: the ones ``ilp.colgen`` does not take (goods fixed unallocated, as ``ilp.lex``
fixes them). A plain maximisation with candidate knowledge never lists its unions:
``ilp.colgen`` prices them by the same argument, extended to columns never listed.

Why. Candidate knowledge turns every guaranteed value into a single-choice block of covering
unions (``ilp.unions.covering_unions``): a program of about 3,000 binary columns where the
exact-knowledge program has 450. Measured (2026-12-01, 2 shared cores, paths 64 / 500 / 10 with
3 candidates, the 20 MIEW_i / MIKW_i): each takes CP-SAT 0.15-0.6 s, SCIP 0.07-0.4 s, HiGHS
0.2-1.1 s, while its linear relaxation takes HiGHS 10-20 ms and is integral, or has an integral
optimum value that a greedy rounding attains, for 9 of the 20; for the others the gap between the
relaxation and the optimum is 2-84 units out of about 12,000, so all but a few hundred columns
cannot appear in any better solution (reduced-cost fixing). Solving those few hundred takes
milliseconds; the 20 programs together went from about 5 s (CP-SAT) to about 1 s.

How, exactly (no floating-point claim is trusted). The program is max c.x subject to A x <= b,
x binary (every row an upper bound: goods at most once, one atom per player). For any row
multipliers Y >= 0 (integers here: the relaxation's duals scaled by :data:`SCALE` and rounded,
whatever the LP solver got right or wrong) and the reduced costs d = SCALE c - A^T Y, every
feasible x satisfies

    SCALE c.x = Y.A x + d.x <= Y.b + sum of max(d_a, 0) + sum over chosen a with d_a < 0 of d_a,

so U = (Y.b + sum max(d_a, 0)) // SCALE bounds the optimum, and a column a with
Y.b + sum max(d, 0) + d_a < SCALE T is in no solution worth T or more. The columns left, the core
for threshold T, are solved by the requested backend as an integer program of their own (its
answer checked by ``ilp.claims`` like any other): if its optimum R reaches T, R is the optimum
of the whole program (a better solution would use core columns only); if not, nothing reaches T,
and the bound drops to T - 1. Two cores at most: the :data:`CORE_SIZE` columns of highest
reach, whose optimum is a good solution (often the optimum, proven at once), then the core of the
threshold one above the best solution known, which settles the program. Everything is integer arithmetic on
Python integers, so the bound, the fixing and the proof are exact whatever the magnitudes.
"""

from __future__ import annotations

from dataclasses import replace
from time import monotonic

import numpy as np

from ilp import claims
from ilp.compile import AtomsBlock
from ilp.contract import Answer, SolveOptions
from ilp.formulation import ILP, Formulation
from ilp.program import Status

__all__ = ["CORE_SIZE", "MIN_COLUMNS", "SCALE", "applies", "run"]

MIN_COLUMNS = 300
"""Programs with fewer binary columns are solved directly: the relaxation and the cores cost a
few solver calls, more than a small program takes (tests set it to 0 to exercise this path)."""
SCALE = 1 << 20
"""Fixed-point scale of the integer multipliers Y: a unit of the bound is lost only when the
rounding errors of about rows / SCALE add up to one (they never do below 10^5 rows)."""
CORE_SIZE = 200
"""Columns of the first core (those the bound leaves most room). Measured on the programs above:
the optimum's own core holds 30-330 columns when the relaxation is tight (paths)."""
def applies(formulation: Formulation) -> bool:
    """Whether ``formulation`` is a covering-union packing program this module solves: every
    variable binary, every row an upper bound, weight maximised, at least :data:`MIN_COLUMNS`
    columns, and some player's block made of covering unions."""
    ilp = formulation.ilp
    if not ilp.maximize or len(ilp.names) < MIN_COLUMNS or formulation.program.minimize_owners:
        return False
    if not any(isinstance(b, AtomsBlock) and b.unions for b in formulation.blocks):
        return False
    if any(lo != 0 or hi != 1 for lo, hi in zip(ilp.lower, ilp.upper)):
        return False
    return all(lo is None and hi is not None for _, lo, hi in ilp.rows)


def run(formulation: Formulation, module, options: SolveOptions, hint: list[int] | None = None) -> Answer:
    """Solve an :func:`applies` program (module docstring) with backend ``module`` on its cores.

    Returns an :class:`Answer` for the whole ILP: OPTIMAL with the bound it proves, or, when the
    time limit ends the search, FEASIBLE with the best solution and the tightest bound proven.
    When the relaxation cannot be solved, the whole program goes to ``module`` as usual."""
    ilp = formulation.ilp
    start = monotonic()
    relaxation = _relaxation(ilp)
    if relaxation is None:
        return module.run(formulation, options, hint)
    duals, primal, matrix = relaxation
    total, reduced = _certificate(ilp, duals, matrix)
    bound = total // SCALE
    values = _greedy(ilp, matrix, primal)
    best = claims.objective(ilp, values)
    if hint is not None and claims.satisfies(ilp, hint) and claims.objective(ilp, hint) > best:
        values, best = list(hint), claims.objective(ilp, hint)
    solver = getattr(module, "NAME", "")
    # reach[a]: the highest threshold whose core holds column a
    reach = [(total + min(d, 0)) // SCALE for d in reduced]
    # first, the core of the CORE_SIZE columns of highest reach: a restricted program whose
    # optimum is usually the whole program's (then proven at once) or close to it
    first = sorted(reach, reverse=True)[min(len(reach), CORE_SIZE) - 1]
    for final in (False, True):
        if best >= bound:
            break
        threshold = best + 1 if final else max(best + 1, first)
        core = [a for a, r in enumerate(reach) if r >= threshold]
        left = None if options.time_limit is None else options.time_limit - (monotonic() - start)
        if left is not None and left <= 0:
            return Answer(Status.FEASIBLE, values, bound, solver)
        # (a core's optimum that does not beat the incumbent tells nothing more than "below the
        # threshold": ilp.formulation.ILP.floor)
        answer = _solve_core(formulation, module, replace(options, time_limit=left), core, values, best + 1)
        if answer.status not in (Status.OPTIMAL, Status.INFEASIBLE):
            if answer.values is not None and claims.objective(ilp, answer.values) > best:
                values, best = answer.values, claims.objective(ilp, answer.values)
            return Answer(Status.FEASIBLE, values, bound, answer.solver or solver, answer.error)
        solver = answer.solver or solver
        found = claims.objective(ilp, answer.values) if answer.values is not None else None
        if found is not None and found > best:
            values, best = answer.values, found
        if found is not None and found >= threshold:
            bound = found  # a better solution would use core columns only
        else:
            bound = threshold - 1  # nothing in the core reaches the threshold, so nothing does
    return Answer(Status.OPTIMAL, values, best, solver)


def _relaxation(ilp: ILP):
    """(row duals >= 0 for the maximisation, primal solution, constraint matrix in CSR form) of
    the linear relaxation, solved by HiGHS through SciPy in this process (OR-Tools and highspy
    cannot share one, see ``ilp.highs``; SciPy's HiGHS is built in), or None when it fails: the
    duals only guide the search, they prove nothing by themselves."""
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix

    starts, index, coefficient = [0], [], []
    for terms, _, _ in ilp.rows:
        index += terms.keys()
        coefficient += terms.values()
        starts.append(len(index))
    n = len(ilp.names)
    matrix = csr_matrix((np.array(coefficient, dtype=np.int64), np.array(index, dtype=np.int64),
                         np.array(starts, dtype=np.int64)), shape=(len(ilp.rows), n))
    cost = np.zeros(n)
    for k, c in ilp.objective.items():
        cost[k] = -c
    rhs = np.array([hi for _, _, hi in ilp.rows], dtype=float)
    try:
        result = linprog(cost, A_ub=matrix.astype(float), b_ub=rhs, bounds=(0, 1), method="highs")
    except (ValueError, MemoryError, OverflowError):
        return None
    if result.status != 0 or result.ineqlin is None:
        return None
    return np.maximum(0.0, -np.asarray(result.ineqlin.marginals)), np.asarray(result.x), matrix


def _certificate(ilp: ILP, duals: np.ndarray, matrix) -> tuple[int, list[int]]:
    """(SCALE x the bound before flooring, the reduced cost SCALE c_a - (A^T Y)_a of every
    column), exactly, for the integer multipliers Y = round(SCALE x duals) (module docstring):
    in 64-bit integers when no sum can come near 2^63, else in Python integers."""
    finite = np.where(np.isfinite(duals), duals, 0.0)
    multipliers = [int(round(y * SCALE)) for y in finite.tolist()]
    rhs = [hi for _, _, hi in ilp.rows]
    top = max((abs(c) for c in ilp.objective.values()), default=0)
    widest = max((abs(a) for a in matrix.data.tolist()), default=0)
    if SCALE * top + widest * sum(multipliers) < 2**62 and max(map(abs, rhs), default=0) * sum(multipliers) < 2**62:
        cost = np.zeros(len(ilp.names), dtype=np.int64)
        for k, c in ilp.objective.items():
            cost[k] = c
        reduced = (SCALE * cost - matrix.T @ np.array(multipliers, dtype=np.int64)).tolist()
    else:
        reduced = [0] * len(ilp.names)
        for k, c in ilp.objective.items():
            reduced[k] = SCALE * c
        for (terms, _, _), y in zip(ilp.rows, multipliers):
            if y:
                for k, a in terms.items():
                    reduced[k] -= a * y
    total = sum(y * hi for y, hi in zip(multipliers, rhs))
    return total + sum(d for d in reduced if d > 0), reduced


def _greedy(ilp: ILP, matrix, primal: np.ndarray) -> list[int]:
    """A feasible solution: columns by decreasing relaxation value, then objective, each taken
    when every row still allows it."""
    activity = [0] * len(ilp.rows)
    limit = [hi for _, _, hi in ilp.rows]
    values = [0] * len(ilp.names)
    if any(h < 0 for h in limit):
        return values  # the empty solution breaks a row (not a packing program after all)
    by_column = matrix.tocsc()
    starts, rows, coefficients = by_column.indptr.tolist(), by_column.indices.tolist(), by_column.data.tolist()
    rounded = np.round(primal, 6).tolist()
    order = sorted((k for k, c in ilp.objective.items() if c > 0), key=lambda k: (-rounded[k], -ilp.objective[k], k))
    for k in order:
        entries = range(starts[k], starts[k + 1])
        if all(activity[rows[e]] + coefficients[e] <= limit[rows[e]] for e in entries):
            for e in entries:
                activity[rows[e]] += coefficients[e]
            values[k] = 1
    return values


def _solve_core(formulation: Formulation, module, options: SolveOptions, core: list[int],
                incumbent: list[int], floor: int | None = None) -> Answer:
    """``module``'s checked answer to the program restricted to the ``core`` columns (the others
    fixed to 0), with values for every column of the whole program; INFEASIBLE when no solution
    is worth ``floor`` (the core's ``ilp.formulation.ILP.floor``) may be the answer."""
    ilp = formulation.ilp
    if not core:
        return Answer(Status.INFEASIBLE)  # only the empty solution, which cannot reach a threshold above 0
    position = {k: i for i, k in enumerate(core)}
    sub = ILP(names=[ilp.names[k] for k in core], lower=[0] * len(core), upper=[1] * len(core),
              maximize=True, magnitude=ilp.magnitude, floor=floor)
    for terms, lo, hi in ilp.rows:
        kept = {position[k]: a for k, a in terms.items() if k in position}
        if kept:
            sub.add(kept, lo, hi)
        elif hi is not None and hi < 0:
            return Answer(Status.INFEASIBLE)
    sub.objective = {position[k]: c for k, c in ilp.objective.items() if k in position}
    start = [incumbent[k] for k in core]
    hint = start if all(incumbent[k] == 0 for k in range(len(incumbent)) if k not in position) else None
    restricted = replace(formulation, ilp=sub)
    raw = module.run(restricted, options, hint)
    (status, values, bound), doubted = claims.check(sub, (raw.status, raw.values, raw.bound),
                                                    exact=getattr(module, "EXACT", False))
    if doubted:
        status = Status.FEASIBLE if values is not None else Status.UNKNOWN
    full = None
    if values is not None:
        full = [0] * len(ilp.names)
        for i, k in enumerate(core):
            full[k] = values[i]
    return Answer(status, full, None, raw.solver, raw.error)
