"""The portfolio's first stage for tiny integer programs: an exhaustive search, in exact integers.

The small instances a user tries first (the bundled examples, a paper's worked example, a
generated instance of a few goods) have programs of two to twenty variables. CP-SAT proves each
in a millisecond, but importing OR-Tools takes about 0.35 s (it loads pandas): most of a
command's time on such an instance (``cabench benchmarks`` on the seed 004 example, 2026-12-06,
the 2-core machine: 0.60 s, of which 0.31 s the import). This search proves them without it.

:func:`run` enumerates the assignments of an :class:`ilp.formulation.ILP` of at most
:data:`MOST_VARIABLES` variables of at most :data:`MOST_VALUES` values each, depth first in the
variables' order, each variable's values from the best for the objective to the worst. A branch
is cut when some row it touches can no longer be met (its activity so far, plus the least or
most the unassigned variables of the row can add, leaves its range), or when the objective so
far plus the most the unassigned variables can add (of the 0/1 variables of one "at most one"
row, only the best) is no better than the best assignment found. The search gives up after
:data:`MOST_NODES` assignments of a variable (5-12 ms); the portfolio then goes on as before.
So an answer is OPTIMAL (or INFEASIBLE) and proven, or there is none; ``ilp.claims`` checks it
as any other.

The first assignment reaching the optimum in that order is the one returned: the same on every
run. Witnesses that must not depend on the solver are made canonical elsewhere (``ilp.lex``,
``ilp.canonical``).
"""

from __future__ import annotations

from ilp.contract import Answer
from ilp.formulation import ILP, Formulation
from ilp.program import Status

__all__ = ["MOST_NODES", "MOST_VALUES", "MOST_VARIABLES", "NAME", "applies", "run", "search"]

NAME = "exhaustive"

MOST_VARIABLES = 24
"""Largest number of variables searched."""

MOST_VALUES = 64
"""Largest number of values of one variable (a candidate-knowledge program's prices have a few
dozen in a small instance; a 0/1 variable has two)."""

MOST_NODES = 4_000
"""Most assignments of a variable the search makes before it gives up: 5-12 ms in Python.
Measured on the programs of the bundled examples and of small generated instances (2026-12-06,
the 2-core machine): those of up to 24 variables took at most 1,024 assignments (0.7 ms
typically); of 24-31 variables 1,024 typically, some over 4,000 (so the limit of 24 variables:
the program given up on pays the search and then its solver, and its command the import of
OR-Tools in that solve)."""


def applies(ilp: ILP) -> bool:
    """Whether :func:`run` tries ``ilp``: at most :data:`MOST_VARIABLES` variables, each of at
    most :data:`MOST_VALUES` values."""
    return len(ilp.names) <= MOST_VARIABLES and all(hi - lo < MOST_VALUES for lo, hi in zip(ilp.lower, ilp.upper))


def run(formulation: Formulation) -> Answer | None:
    """The proven answer of the search (module docstring) for ``formulation``'s ILP, or None when
    it does not apply or gave up."""
    ilp = formulation.ilp
    if not applies(ilp):
        return None
    found = search(ilp)
    if found is None:
        return None
    values, objective = found
    if values is None:
        return Answer(Status.INFEASIBLE, solver=NAME)
    return Answer(Status.OPTIMAL, values, objective, NAME)


def search(ilp: ILP, most_nodes: int | None = None) -> tuple[list[int] | None, int | None] | None:
    """``(values, objective)`` of the best assignment of ``ilp`` (integer variables of small
    ranges), the first in the search's order among equals; ``(None, None)`` when no assignment
    meets every row (or reaches ``ilp.floor``); None after ``most_nodes`` (default
    :data:`MOST_NODES`) assignments without a proof.

    Examples
    --------
    Two bids on the same good, worth 3 and 5, and a third on another good, worth 2:

    >>> ilp = ILP()
    >>> a, b, c = ilp.var("a"), ilp.var("b"), ilp.var("c")
    >>> ilp.add({a: 1, b: 1}, hi=1)
    >>> ilp.objective = {a: 3, b: 5, c: 2}
    >>> search(ilp)
    ([0, 1, 1], 7)
    """
    most_nodes = MOST_NODES if most_nodes is None else most_nodes
    n = len(ilp.names)
    sign = 1 if ilp.maximize else -1  # (a minimum is the maximum of the negated objective)
    gain = [sign * ilp.objective.get(k, 0) for k in range(n)]
    lower, upper = ilp.lower, ilp.upper
    rows = ilp.rows
    # the most the variables k.. can add to the objective: of the 0/1 variables of one "at most
    # one" row (a good, in set packing; every variable of the row at least 0, so that no other
    # makes room for a second one), only the best; the first such row of a variable is its group.
    # With every gain added up instead, the programs of 24-40 variables of small generated
    # instances took 4,000-130,000 assignments.
    group = [-1] * n
    for r, (terms, lo, hi) in enumerate(rows):
        if hi is not None and hi <= 1 and lo is None and all(c == 1 and lower[k] >= 0 for k, c in terms.items()):
            for k in terms:
                if group[k] < 0 and lower[k] == 0 and upper[k] == 1:
                    group[k] = r
    best_rest = [0] * (n + 1)
    top: dict[int, int] = {}  # group -> the best gain of its variables k.. (at least 0)
    for k in range(n - 1, -1, -1):
        if group[k] < 0:
            best_rest[k] = best_rest[k + 1] + max(gain[k] * lower[k], gain[k] * upper[k])
        else:
            was = top.get(group[k], 0)
            top[group[k]] = max(was, gain[k])
            best_rest[k] = best_rest[k + 1] + top[group[k]] - was
    least = [[0] * (n + 1) for _ in rows]
    most = [[0] * (n + 1) for _ in rows]
    touching: list[list[tuple[int, int]]] = [[] for _ in range(n)]  # variable -> (row, coefficient)
    for r, (terms, _, _) in enumerate(rows):
        for k, coef in terms.items():
            touching[k].append((r, coef))
        for k in range(n - 1, -1, -1):
            coef = terms.get(k, 0)
            least[r][k] = least[r][k + 1] + min(coef * lower[k], coef * upper[k])
            most[r][k] = most[r][k + 1] + max(coef * lower[k], coef * upper[k])
    for r, (_, lo, hi) in enumerate(rows):  # a row with no room even before any choice
        if (hi is not None and least[r][0] > hi) or (lo is not None and most[r][0] < lo):
            return None, None
    activity = [0] * len(rows)
    values = [0] * n
    # only an assignment better than ``best`` is kept: with a floor, the first must reach it
    floor = ilp.floor if ilp.maximize else None
    best: list = [None, (sign * floor - 1) if floor is not None else None]  # [values, signed objective]
    nodes = 0

    def fits(k: int) -> bool:
        """Whether every row touching variable k can still be met once variables ..k are set."""
        for r, _ in touching[k]:
            _, lo, hi = rows[r]
            if (hi is not None and activity[r] + least[r][k + 1] > hi) or (
                    lo is not None and activity[r] + most[r][k + 1] < lo):
                return False
        return True

    def descend(k: int, total: int) -> bool:
        """Extend ``values[:k]`` (worth ``total``); False when out of nodes."""
        nonlocal nodes
        if k == n:
            if best[1] is None or total > best[1]:
                best[0], best[1] = list(values), total
            return True
        # the values from the best for the objective to the worst: once one cannot beat the best
        # assignment found, none after it can
        values_k = range(upper[k], lower[k] - 1, -1) if gain[k] > 0 else range(lower[k], upper[k] + 1)
        for value in values_k:
            worth = total + gain[k] * value
            if best[1] is not None and worth + best_rest[k + 1] <= best[1]:
                break
            nodes += 1
            if nodes > most_nodes:
                return False
            values[k] = value
            for r, coef in touching[k]:
                activity[r] += coef * value
            if fits(k) and not descend(k + 1, worth):
                return False  # (the search is abandoned: nothing to undo)
            for r, coef in touching[k]:
                activity[r] -= coef * value
        return True

    if not descend(0, 0):
        return None
    if best[0] is None:
        return None, None
    return best[0], sign * best[1]
