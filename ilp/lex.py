"""Lexicographically first optimal allocation (used for seed 002 Lemma 3's state omega*).

Allocations are compared by the vector (owner(g_1), ..., owner(g_m)) with owner code 0 for an
unallocated good and j + 1 for player j. The smallest vector among allocations of maximum total
weight is found good by good: minimise owner(g_k) subject to "total weight = optimum" and the
owners already fixed, several goods per solve (weights (n+1)^k make one objective of them). A good
already unallocated in the latest solution needs no solve (0 is the smallest code).

Why whole bids suffice: replacing each bundle of an optimal allocation by the bids that make
its value keeps the welfare and turns every dropped good's owner into 0, so the owner vector
can only decrease pointwise; hence the lexicographically first optimal allocation over all
allocations is made of whole bids, which is what the integer programs enumerate.
"""

from __future__ import annotations

from dataclasses import replace

from ilp.backends import as_options, solve
from ilp.contract import SolveOptions
from ilp.program import UNALLOCATED, Program, Solution, Status, owner_code

COEFFICIENT_LIMIT = {"cpsat": 2**50, "cbc": 10**6, "scip": 10**6, "highs": 10**6, "portfolio": 10**6}
"""Largest objective weight (n + 1)^(c - 1) a backend handles exactly: CP-SAT works in int64,
CBC and SCIP in floating point."""


def chunk_size(backend: str, players: int) -> int:
    """How many goods one solve may order at once with weights (n + 1)^k."""
    limit = COEFFICIENT_LIMIT.get(backend, 1)
    size = 1
    while (players + 1) ** size <= limit:
        size += 1
    return max(1, size - 1)


def lex_first(program: Program, optimum: Solution, options: SolveOptions | str | None = None) -> Solution:
    """The lexicographically first allocation of weight ``optimum.value``, given a proven
    ``optimum`` of ``program``. Returns a non-OPTIMAL solution if any step is not proven.

    Leading goods that are unallocated in the latest optimal solution are fixed without a solve;
    the next goods are ordered together, as many per solve as the backend's coefficients allow.
    """
    if not optimum.optimal:
        return optimum
    fixed: list[int | None] = [None] * program.n_goods
    current = optimum.allocation
    wall = optimum.wall_time
    options = as_options(options)
    size = chunk_size(options.backend, len(program.weights))
    g = 0
    while g < program.n_goods:
        if owner_code(current, g) == 0:
            fixed[g] = UNALLOCATED
            g += 1
            continue
        chunk = tuple(range(g, min(g + size, program.n_goods)))
        step = solve(replace(program, fixed=tuple(fixed), min_total=optimum.value, minimize_owners=chunk),
                     options)
        wall += step.wall_time
        if not step.optimal:
            return replace(step, status=Status.UNKNOWN if step.allocation is None else Status.FEASIBLE,
                           value=None, wall_time=wall)
        current = step.allocation
        for k in chunk:
            code = owner_code(current, k)
            fixed[k] = UNALLOCATED if code == 0 else code - 1
        g = chunk[-1] + 1
    return Solution(Status.OPTIMAL, current, program.total(current), optimum.value, optimum.backend, wall)
