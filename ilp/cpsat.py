"""OR-Tools CP-SAT adapter: translates an :class:`ILP` and reports what CP-SAT proved.

CP-SAT works on integers natively, so values and bounds are exact. OPTIMAL and FEASIBLE stay
distinct (a FEASIBLE answer carries the proven bound, never the benchmark).
"""

from __future__ import annotations

import math

from ortools.sat.python import cp_model

from ilp.formulation import ILP
from ilp.program import Status

NAME = "cpsat"

_STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
    cp_model.UNKNOWN: Status.UNKNOWN,
}


def available() -> bool:
    return True


def run(ilp: ILP, time_limit: float | None, workers: int = 1,
        hint: list[int] | None = None) -> tuple[Status, list[int] | None, int | None]:
    """Solve ``ilp``: (status, variable values or None, proven objective bound or None);
    ``hint`` is a full assignment to start from."""
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
    if ilp.maximize:
        model.maximize(expr(ilp.objective))
    else:
        model.minimize(expr(ilp.objective))
    if hint is not None:
        for x, v in zip(xs, hint):
            model.add_hint(x, v)
    solver = cp_model.CpSolver()
    solver.parameters.catch_sigint_signal = False  # Ctrl-C stays cabench's (ilp.lifetime)
    solver.parameters.num_workers = workers  # one worker keeps witnesses reproducible
    if time_limit is not None:
        solver.parameters.max_time_in_seconds = time_limit
    code = solver.solve(model)
    if code == cp_model.MODEL_INVALID:
        raise RuntimeError(f"CP-SAT rejected the model: {model.validate()}")
    status = _STATUS[code]
    if status not in (Status.OPTIMAL, Status.FEASIBLE):
        return status, None, None
    values = [solver.value(x) for x in xs]
    raw = solver.best_objective_bound
    bound = None
    if math.isfinite(raw):
        bound = math.floor(raw + 1e-6) if ilp.maximize else math.ceil(raw - 1e-6)
    return status, values, bound
