"""Which solver answers count as proofs: exact checks of every claim a backend makes.

CP-SAT works in 64-bit integers, so its answers are exact. CBC, SCIP and HiGHS work in double
precision with tolerances relative to the magnitudes involved (feasibility and integrality about
1e-6, dual feasibility 1e-7, comparisons 1e-9). Near the accepted value cap of 10^12 those
tolerances are thousands of units wide: such a solver can return a rounded solution that breaks a
constraint, a value that is not its solution's, or "optimal" for a solution one unit short of the
optimum (found on near-cap instances). Hence two rules:

* **Every answer is checked exactly.** The rounded values must satisfy every bound and row of the
  :class:`ILP` in integer arithmetic, or the answer carries no solution. An optimality claim must
  also match its own dual bound: the solution's exact objective equals the bound.
* **A floating-point optimality claim (or bound, or infeasibility) counts only when the
  program's magnitude lets the tolerances separate integers.** The magnitude M is the largest of
  the objective's largest possible value and every coefficient and right-hand side
  (:attr:`ILP.magnitude`); "largest possible" may be any valid upper bound on the objective over
  the linear relaxation's feasible points, not only the integer ones, since these solvers compare
  relaxation values too (``ilp.formulation`` takes the smaller of the players' best values summed
  and, for set packing, the goods' shares summed: ``_per_good``). With M <=
  :data:`FLOAT_SEPARABLE` = 10^6 a difference of one unit is at least 10^-6 of every quantity
  the solver compares, ten times its dual feasibility tolerance
  and a thousand times its comparison tolerance; the integrality tolerance cannot hide a unit
  either, because the rounded solution is re-checked exactly. Above it the claim is re-proved by
  CP-SAT (``ilp.backends``), and the portfolio does not race the floating-point solvers at all.
"""

from __future__ import annotations

from operator import le, mul

from ilp.formulation import ILP
from ilp.program import Status

__all__ = ["FLOAT_SEPARABLE", "check", "magnitude", "objective", "satisfies", "separable"]

FLOAT_SEPARABLE = 10**6
"""Largest program magnitude at which a floating-point backend's claims are accepted."""


def magnitude(ilp: ILP) -> int:
    """M of the module docstring: ``ilp.magnitude`` when the formulation computed it, else a
    bound from the coefficients alone (sum of |c| * max(|lower|, |upper|) over the objective)."""
    if ilp.magnitude is not None:
        return ilp.magnitude
    objective = sum(abs(c) * max(abs(ilp.lower[k]), abs(ilp.upper[k])) for k, c in ilp.objective.items())
    rows = [abs(c) for terms, _, _ in ilp.rows for c in terms.values()]
    rows += [abs(b) for _, lo, hi in ilp.rows for b in (lo, hi) if b is not None]
    return max([objective, *rows])


def separable(ilp: ILP) -> bool:
    """Whether a floating-point backend's tolerances separate the integer values of ``ilp``."""
    return magnitude(ilp) <= FLOAT_SEPARABLE


def objective(ilp: ILP, values: list[int]) -> int:
    """The objective of an integer assignment, exactly (summed in C: every answer is checked,
    several times per program, and a knowledge report solves three times as many programs as
    an exact one)."""
    objective = ilp.objective
    return sum(map(mul, objective.values(), map(values.__getitem__, objective)))


def satisfies(ilp: ILP, values: list[int]) -> bool:
    """Whether the integer assignment ``values`` meets every bound and row of ``ilp`` exactly."""
    if len(values) != len(ilp.names):
        return False
    if not all(map(le, ilp.lower, values)) or not all(map(le, values, ilp.upper)):  # (in C)
        return False
    value = values.__getitem__
    if ilp.unit:
        # coefficients all 1 (``ILP.unit``): the values summed alone, in C (a plain program's
        # answer is checked twice, by ``ilp.relaxation`` and by ``check``: 79 -> 32 us on a
        # MIEW_i of paths 64 / 500 / 10, 69 rows, 2026-12-02, load 9, CPU time)
        for terms, lo, hi in ilp.rows:
            activity = sum(map(value, terms))
            if (lo is not None and activity < lo) or (hi is not None and activity > hi):
                return False
        return True
    for terms, lo, hi in ilp.rows:
        activity = sum(map(mul, terms.values(), map(value, terms)))  # (in C: every answer is checked)
        if (lo is not None and activity < lo) or (hi is not None and activity > hi):
            return False
    return True


def check(ilp: ILP, answer: tuple, exact: bool) -> tuple[tuple[Status, list[int] | None, int | None], bool]:
    """``((status, values, bound), doubted)``: ``answer`` = (status, values, bound) of a backend
    reduced to what it proves (module docstring). ``exact`` says the backend's arithmetic is
    exact (CP-SAT). ``doubted`` is True when an optimality or infeasibility claim was dropped:
    the caller then re-proves the program with an exact backend."""
    status, values, bound = answer[:3]
    if values is not None and not satisfies(ilp, values):
        if exact:
            raise ValueError("an exact backend returned a solution that breaks a constraint")
        values = None
    trusted = exact or separable(ilp)
    if not trusted:
        bound = None
    doubted = False
    if status is Status.OPTIMAL:
        if values is None or not trusted or (bound is not None and bound != objective(ilp, values)):
            status, doubted = (Status.FEASIBLE if values is not None else Status.UNKNOWN), True
        else:
            bound = objective(ilp, values)
    elif status is Status.INFEASIBLE and not trusted:
        status, doubted = Status.UNKNOWN, True
    elif status is Status.FEASIBLE and values is None:
        status = Status.UNKNOWN
    if bound is not None and values is not None and status is Status.FEASIBLE:
        # a bound that a checked solution beats is wrong: keep the solution, drop the bound
        if (ilp.maximize and bound < objective(ilp, values)) or (not ilp.maximize and bound > objective(ilp, values)):
            bound = None
    return (status, values, bound), doubted
