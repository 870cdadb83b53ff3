"""Frozen result objects of the benchmarks (in the manner of Gambit's computation results).

A :class:`Benchmark` carries its value only when the solver proved it optimal; otherwise
``value`` is None and the best incumbent and bound are kept for the report, never as the value.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from ilp import Solution, Status
from instances.errors import CabenchError


class NotProvenError(CabenchError):
    """A benchmark was asked for but its program was not solved to proven optimality."""


@dataclass(frozen=True)
class Outcome:
    """An outcome (A, P): the bundle of every player (bitmask) and, for revenue benchmarks, the
    price of every offer (P_j = 0 where A_j is empty). ``prices`` is None for pure allocations."""

    allocation: tuple[int, ...]
    prices: tuple[int, ...] | None = None

    @property
    def revenue(self) -> int:
        """REV(Omega) = sum of the prices (seed 000 §1.2, seed 004 §3)."""
        return sum(self.prices or ())


@dataclass(frozen=True)
class Benchmark:
    """One benchmark with its witness outcome, as proven by one backend."""

    name: str
    status: Status
    value: int | None
    incumbent: int | None
    bound: int | None
    outcome: Outcome | None
    backend: str
    wall_time: float

    @property
    def proven(self) -> bool:
        return self.status is Status.OPTIMAL

    def require(self) -> int:
        """The proven value, or :class:`NotProvenError`."""
        if self.value is None:
            bound = f", bound {self.bound}" if finite_bound(self.bound) is not None else ""
            raise NotProvenError(
                f"{self.name} was not proven optimal ({self.status.value}; incumbent {self.incumbent}{bound})"
            )
        return self.value


def finite_bound(bound: int | None) -> int | None:
    """A solver's bound, or None when it is a solver's stand-in for infinity (SCIP and HiGHS
    report 1e20 when they have no bound): no real bound is that large (values are at most 10^12
    per player)."""
    return None if bound is None or abs(bound) >= 10**18 else bound


def from_solution(name: str, solution: Solution,
                  prices: Callable[[tuple[int, ...]], tuple[int, ...]] | None = None) -> Benchmark:
    """Wrap a solver answer; ``prices`` maps the witness allocation to the witness prices (a
    bundle whose price is 0 is dropped from the witness: it adds nothing to the revenue)."""
    outcome = None
    if solution.allocation is not None:
        outcome = Outcome(solution.allocation)
        if prices is not None:  # offers at price 0 are dropped: P_j = 0 exactly where A_j is empty
            offered = prices(solution.allocation)
            outcome = Outcome(tuple(a if p else 0 for a, p in zip(solution.allocation, offered)), offered)
    proven = solution.status is Status.OPTIMAL
    return Benchmark(
        name=name,
        status=solution.status,
        value=solution.value if proven else None,
        incumbent=solution.value,
        bound=solution.bound,
        outcome=outcome,
        backend=solution.backend,
        wall_time=solution.wall_time,
    )


@dataclass(frozen=True)
class Best:
    """max over a family of benchmarks (MIEW(K_S), BB, BB', MKW) and who attains it (lowest
    index on ties). ``value`` is None unless the maximum itself is proven."""

    name: str
    value: int | None
    winner: Hashable | None
    incumbent: int | None


def best_of(name: str, family: Sequence[tuple[Hashable, Benchmark]]) -> Best:
    """The maximum of ``family`` (pairs key, benchmark, in tie-break order).

    The maximum is proven when every unproven member's bound is at most the best proven value.
    The maximum over an empty family is 0 with no winner (e.g. MIEW(K_I) when I is empty).
    """
    if not family:
        return Best(name, 0, None, 0)
    proven = [(key, b.value) for key, b in family if b.value is not None]
    top_key, top = None, None
    for key, value in proven:
        if top is None or value > top:
            top_key, top = key, value
    incumbents = [b.incumbent for _, b in family if b.incumbent is not None]
    incumbent = max(incumbents) if incumbents else None
    open_ = [b for _, b in family if b.value is None]
    if top is None or any(b.bound is None or b.bound > top for b in open_):
        return Best(name, None, None, incumbent)
    return Best(name, top, top_key, top)
