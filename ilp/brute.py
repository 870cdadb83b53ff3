"""Brute-force reference: dynamic programming over subsets of goods, straight from the definitions.

It never looks at bids the way the integer programs do: it evaluates every player's weight on
every bundle (``Weight.value``) and finds the best disjoint assignment with

    best_k[U] = max over S subset of U of  w_k(S) + best_{k-1}[U \\ S],

O(n 3^m) time. It is a backend for small instances, with no bid-level shortcut, so the
agreement tests hold every other backend to it; the tests' own referee, which enumerates
every allocation and shares no code with ``ilp``, is ``tests/reference.py``.
"""

from __future__ import annotations

from ilp.contract import Answer, SolveOptions
from ilp.formulation import Formulation
from ilp.program import UNALLOCATED, Program, Status
from instances.bundles import submasks
from instances.errors import CabenchError

__all__ = ["EXACT", "MAX_GOODS", "NAME", "available", "run", "run_program"]

NAME = "brute"
EXACT = True
MAX_GOODS = 12


def available() -> bool:
    return True


def _table(program: Program, j: int) -> list[int] | None:
    w = program.weights[j]
    if w is None:
        return None
    return [w.value(s) for s in range(1 << program.n_goods)]


def _best(program: Program, tables: list[list[int] | None], fixed: list[int | None]) -> tuple[int, tuple[int, ...]] | None:
    """Max total weight and an allocation achieving it, respecting ``fixed`` owners; None if none."""
    m, n = program.n_goods, len(program.weights)
    forced = [0] * n
    banned = 0
    for g, owner in enumerate(fixed):
        if owner == UNALLOCATED:
            banned |= 1 << g
        elif owner is not None:
            forced[owner] |= 1 << g
    full = ((1 << m) - 1) & ~banned
    neg = None
    best: list[int | None] = [0] * (1 << m)
    choices: list[list[int]] = []
    for j in range(n):
        others = 0
        for k in range(n):
            if k != j:
                others |= forced[k]
        table = tables[j]
        new: list[int | None] = [neg] * (1 << m)
        pick = [0] * (1 << m)
        for used in submasks(full):
            top = neg
            for s in submasks(used):
                if s & forced[j] != forced[j] or s & others:
                    continue
                if table is None and s:
                    continue
                rest = best[used & ~s]
                if rest is None:
                    continue
                value = rest + (table[s] if table is not None else 0)
                if top is None or value > top:
                    top, pick[used] = value, s
            new[used] = top
        best = new
        choices.append(pick)
    if best[full] is None:
        return None
    allocation = [0] * n
    used = full
    for j in range(n - 1, -1, -1):
        allocation[j] = choices[j][used]
        used &= ~allocation[j]
    return best[full], tuple(allocation)


def _search(program: Program, tables: list[list[int] | None],
            fixed: list[int | None]) -> tuple[int, tuple[int, ...]] | None:
    """:func:`_best`, also meeting ``program.avoid``: some good that ``avoid`` allocates goes to
    another owner (another player, or nobody), so the best over each such choice of good and owner."""
    if program.avoid is None:
        return _best(program, tables, fixed)
    found = None
    for j, bundle in enumerate(program.avoid):
        for g in range(program.n_goods):
            if not bundle >> g & 1:
                continue
            for owner in (UNALLOCATED, *(k for k in range(len(program.weights)) if k != j)):
                if fixed[g] is not None and fixed[g] != owner:
                    continue
                trial = fixed.copy()
                trial[g] = owner
                candidate = _best(program, tables, trial)
                if candidate is not None and (found is None or candidate[0] > found[0]):
                    found = candidate
    return found


def run(formulation: Formulation, options: SolveOptions, hint: list[int] | None = None) -> Answer:
    """Solve the formulation's program by definition (``ilp.contract``): the answer is an
    allocation, not values of the integer program; no time limit, no warm start."""
    status, allocation = run_program(formulation.program)
    return Answer(status, solver=NAME, allocation=allocation)


def run_program(program: Program) -> tuple[Status, tuple[int, ...] | None]:
    """Solve ``program`` exactly (status OPTIMAL or INFEASIBLE) and return an optimal allocation."""
    if program.n_goods > MAX_GOODS:
        raise CabenchError(
            f"the brute-force backend (--solver brute) handles at most {MAX_GOODS} goods (this program has "
            f"{program.n_goods}); use --solver cpsat or cbc"
        )
    tables = [_table(program, j) for j in range(len(program.weights))]
    fixed = [program.fixed_owner(g) for g in range(program.n_goods)]
    if not program.minimize_owners:
        found = _search(program, tables, fixed)
        if found is None or (program.min_total is not None and found[0] < program.min_total):
            return Status.INFEASIBLE, None
        return Status.OPTIMAL, found[1]
    found = None
    for g in program.minimize_owners:  # lexicographically: one good at a time
        candidates = [fixed[g]] if fixed[g] is not None else [UNALLOCATED, *range(len(program.weights))]
        for owner in candidates:  # owner codes in increasing order: unallocated, player 1, ...
            trial = fixed.copy()
            trial[g] = owner
            found = _search(program, tables, trial)
            if found is not None and (program.min_total is None or found[0] >= program.min_total):
                fixed = trial
                break
        else:
            return Status.INFEASIBLE, None
    return Status.OPTIMAL, found[1]
