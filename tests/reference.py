"""Naive reference implementations, straight from the papers' definitions.

Independent of ``ilp`` and of ``benchmarks``: every allocation is enumerated as an owner vector
(owner(g_1), ..., owner(g_m)) in {0 = unallocated, 1..n}^m, in lexicographic order, and every
quantity is computed by evaluating valuations. Only for tiny instances ((n+1)^m small).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

from instances import ZERO, Candidates, Instance, LowerBounds, Valuation

MAX_ALLOCATIONS = 50_000


def allocations(instance: Instance) -> Iterator[tuple[int, ...]]:
    """Every allocation (bundle per player), in lexicographic order of owner vectors."""
    n, m = instance.n, instance.m
    assert (n + 1) ** m <= MAX_ALLOCATIONS, "instance too large for the naive reference"
    for owners in itertools.product(range(n + 1), repeat=m):
        bundles = [0] * n
        for g, o in enumerate(owners):
            if o:
                bundles[o - 1] |= 1 << g
        yield tuple(bundles)


def possible(instance: Instance, i: int, j: int) -> list[Valuation]:
    """The valuations of j that player i considers possible, as the minimal elements needed:
    the lower bound itself (every V_j >= L works, and L is the pointwise smallest), each
    candidate's V_j, or the zero valuation when i knows nothing."""
    k = instance.knowledge[i]
    if isinstance(k, LowerBounds):
        return [k.bounds.get(j, ZERO)]
    if isinstance(k, Candidates):
        return [p.get(j, ZERO) for p in k.profiles]
    return [ZERO]


def g(instance: Instance, members: tuple[int, ...], j: int, bundle: int) -> int:
    """The guaranteed value of ``bundle`` for j, known to the members pooling their knowledge."""
    return max(min(v.value(bundle) for v in possible(instance, i, j)) for i in members)


def best(instance: Instance, score: Callable[[tuple[int, ...]], int | None]) -> tuple[int, tuple[int, ...]]:
    """Max of ``score`` over all allocations (None = infeasible) and the lexicographically first
    allocation attaining it."""
    top, arg = None, None
    for a in allocations(instance):
        s = score(a)
        if s is not None and (top is None or s > top):
            top, arg = s, a
    return top, arg


def msw(instance: Instance, allowed: set[int] | None = None) -> tuple[int, tuple[int, ...]]:
    def score(a):
        if allowed is not None and any(a[j] for j in range(instance.n) if j not in allowed):
            return None
        return sum(instance.valuations[j].value(a[j]) for j in range(instance.n))

    return best(instance, score)


def miew(instance: Instance, i: int) -> int:
    """Seed 001 Definitions 2-3: canonical outcomes for -i, prices integers >= 0 with
    P_j <= V_j(A_j) for every possible V; the best price is the minimum over V."""

    def score(a):
        if a[i]:
            return None
        total = 0
        for j in range(instance.n):
            if j != i and a[j]:
                price = g(instance, (i,), j, a[j])
                if price < 0:
                    return None  # no non-negative price is accepted for sure
                total += price
        return total

    return best(instance, score)[0]


def rk(instance: Instance, agent: tuple[int, ...]) -> int:
    """Seed 000 Definition 6: P_j = TV_j(A_j) inside the agent, P_j <= V_j(A_j) for all V outside."""

    def score(a):
        return sum(
            instance.valuations[j].value(a[j]) if j in agent else g(instance, agent, j, a[j])
            for j in range(instance.n)
        )

    return best(instance, score)[0]


def is_correct(instance: Instance, i: int) -> bool:
    """TV_{-i} is in player i's set (every bundle checked)."""
    k = instance.knowledge[i]
    bundles = range(1 << instance.m)
    others = [j for j in range(instance.n) if j != i]
    if isinstance(k, LowerBounds):  # a player left out has the bound 0
        return all(k.bounds.get(j, ZERO).value(s) <= instance.valuations[j].value(s) for j in others for s in bundles)
    if isinstance(k, Candidates):
        return any(
            all(p.get(j, ZERO).value(s) == instance.valuations[j].value(s) for j in others for s in bundles)
            for p in k.profiles
        )
    return True
