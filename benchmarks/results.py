"""Frozen result objects of the benchmarks (in the manner of Gambit's computation results).

A :class:`Benchmark` carries its value only when the solver proved it optimal; otherwise
``value`` is None and the best incumbent and bound are kept for the report, never as the value.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from ilp import Solution, Status
from instances.errors import CabenchError
from instances.model import Instance

__all__ = ["Benchmark", "Best", "NotProvenError", "Outcome", "best_of", "finite_bound", "from_solution"]


class NotProvenError(CabenchError):
    """A benchmark was asked for but its program was not solved to proven optimality.

    It keeps what was known (``name``, solver ``status``, ``incumbent``, ``bound``, and whether
    only the witness's order was ``withheld``) in cabench's integer units; the message shows them
    in the file's money once :meth:`in_units` is given the instance's ``scale``
    (``cabench.api.not_proven_in_money`` does: a CATS file imported at scale 10^5 reads
    ``incumbent 17773.12720``, not ``1777312720``).
    """

    def __init__(self, name: str, status: str | None = None, incumbent: int | None = None,
                 bound: int | None = None, withheld: bool = False, scale: int = 1) -> None:
        self.name, self.status, self.incumbent, self.bound = name, status, incumbent, bound
        self.withheld, self.scale = withheld, scale
        super().__init__(str(self))

    def __str__(self) -> str:
        from instances.units import show

        if self.withheld and self.incumbent is not None:
            return (f"{self.name} is worth {show(self.incumbent, self.scale)}, but its witness was not proven "
                    "the first optimum (the tie-break ran out of time)")
        incumbent = "none" if self.incumbent is None else show(self.incumbent, self.scale)
        bound = "" if finite_bound(self.bound) is None else f", bound {show(self.bound, self.scale)}"
        status = "" if self.status is None else f"{self.status}; "
        return f"{self.name} was not proven optimal ({status}incumbent {incumbent}{bound})"

    def __reduce__(self):  # (an exception pickles its message by default, not these fields)
        # the notes a caller added (``add_note``) travel too, as a plain exception's do
        state = {"__notes__": list(self.__notes__)} if hasattr(self, "__notes__") else None
        return NotProvenError, (self.name, self.status, self.incumbent, self.bound, self.withheld, self.scale), state

    def in_units(self, scale: int) -> "NotProvenError":
        """The same error, its numbers shown in units of 1/``scale`` (the instance's ``scale``)."""
        return NotProvenError(self.name, self.status, self.incumbent, self.bound, self.withheld, scale)


@dataclass(frozen=True, init=False)
class Outcome:
    """An outcome (A, P) of n players (an allocation and a price profile, seed 000 §2): the
    bundle of every player (bitmask) and, for revenue benchmarks, the price of every offer (P_j = 0
    where A_j is empty, seed 001 Def. 2). ``prices`` is None for pure allocations.

    Stored sparsely, because in a large instance most players receive nothing: ``bundles`` lists
    (player, bundle) for the players who receive something and ``offers`` (player, price) for the
    non-zero prices, both by player. A report of n players holds about 3n witnesses, so dense
    tuples would cost n^2 entries; these cost the winners. The dense views ``allocation`` and
    ``prices`` (one entry per player) are built on first use and kept.

    ``Outcome(allocation, prices)`` builds one from dense tuples; :meth:`sparse` from the pairs.
    Equal outcomes compare equal however they were built.

    Examples
    --------
    >>> from benchmarks import Outcome
    >>> omega = Outcome((0b01, 0, 0b10), (80, 0, 70))
    >>> omega.bundles, omega.offers, omega.revenue
    (((0, 1), (2, 2)), ((0, 80), (2, 70)), 150)
    >>> omega == Outcome.sparse(3, ((0, 1), (2, 2)), ((0, 80), (2, 70))), omega.allocation
    (True, (1, 0, 2))
    """

    n: int
    bundles: tuple[tuple[int, int], ...]
    offers: tuple[tuple[int, int], ...] | None

    def __init__(self, allocation: Sequence[int] | None = None, prices: Sequence[int] | None = None, *,
                 n: int | None = None, bundles: Sequence[tuple[int, int]] | None = None,
                 offers: Sequence[tuple[int, int]] | None = None) -> None:
        if allocation is not None:  # dense: one bundle (and one price) per player
            if n is not None or bundles is not None or offers is not None:
                raise TypeError("Outcome takes either dense tuples or n, bundles and offers")
            n = len(allocation)
            bundles = tuple((j, a) for j, a in enumerate(allocation) if a)
            offers = None if prices is None else tuple((j, p) for j, p in enumerate(prices) if p)
            if prices is not None and len(prices) != n:
                raise ValueError(f"{len(prices)} prices for {n} players")
        else:
            if n is None or prices is not None:
                raise TypeError("Outcome takes either dense tuples or n, bundles and offers")
            bundles = tuple(bundles or ())
            offers = None if offers is None else tuple(offers)
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "bundles", bundles)
        object.__setattr__(self, "offers", offers)

    @classmethod
    def sparse(cls, n: int, bundles: Sequence[tuple[int, int]],
               offers: Sequence[tuple[int, int]] | None = None) -> "Outcome":
        """The outcome of ``n`` players in which player j receives b for each (j, b) of
        ``bundles`` (by player, b non-zero) and pays p for each (j, p) of ``offers`` (by player, p
        non-zero; None for a pure allocation); everyone else receives nothing and pays 0."""
        return cls(n=n, bundles=bundles, offers=offers)

    @property
    def allocation(self) -> tuple[int, ...]:
        """The bundle of every player (dense view, built once)."""
        return self._dense("_allocation", self.bundles)

    @property
    def prices(self) -> tuple[int, ...] | None:
        """The price of every player (dense view, built once), or None for a pure allocation."""
        return None if self.offers is None else self._dense("_prices", self.offers)

    def _dense(self, key: str, pairs: tuple[tuple[int, int], ...]) -> tuple[int, ...]:
        dense = self.__dict__.get(key)
        if dense is None:
            out = [0] * self.n
            for j, x in pairs:
                out[j] = x
            dense = tuple(out)
            object.__setattr__(self, key, dense)
        return dense

    @property
    def holders(self) -> tuple[int, ...]:
        """The players who receive something, in order."""
        return tuple(j for j, _ in self.bundles)

    def bundle(self, j: int) -> int:
        """A_j, the bundle of player j (0 if j receives nothing)."""
        return self._bundle_of().get(j, 0)

    def _bundle_of(self) -> dict[int, int]:
        found = self.__dict__.get("_by_player")
        if found is None:
            found = dict(self.bundles)
            object.__setattr__(self, "_by_player", found)
        return found

    def welfare(self, instance: Instance) -> int:
        """SW = sum_j TV_j(A_j) over the players who receive something (seed 000 §5.1): the
        true welfare of the allocation, whatever its prices."""
        # kept for the last instance asked (the report's relations ask it of one witness once
        # per player: 10,000 players, 100,000 sums of 45 valuations)
        found = self.__dict__.get("_welfare")
        if found is not None and found[0] is instance:
            return found[1]
        valuations = instance.valuations
        value = sum(valuations[j].value(bundle) for j, bundle in self.bundles)
        object.__setattr__(self, "_welfare", (instance, value))
        return value

    @property
    def revenue(self) -> int:
        """REV(Omega) = sum of the prices (seed 000 §1.2, seed 004 §3), summed once: a mechanism's
        rules read every announced outcome's revenue on each replay (collusion-leveraging at 500
        players: 240,000 sums of up to 500 prices)."""
        found = self.__dict__.get("_revenue")
        if found is None:
            found = sum(p for _, p in self.offers or ())
            object.__setattr__(self, "_revenue", found)
        return found

    def __getstate__(self) -> dict:
        return {"n": self.n, "bundles": self.bundles, "offers": self.offers}  # not the dense views

    def __setstate__(self, state: dict) -> None:
        for key, value in state.items():
            object.__setattr__(self, key, value)


@dataclass(frozen=True)
class Benchmark:
    """One benchmark with its witness outcome, as proven by one backend."""

    name: str
    status: Status
    value: int | None
    incumbent: int | None
    bound: int | None
    outcome: Outcome | None
    backend: str = field(compare=False)
    """The backend that proved it (a portfolio's first finisher: not compared, as the value and
    witness are the same whichever it is)."""
    wall_time: float = field(compare=False)
    withheld: bool = False
    """The value is known (``incumbent``), but the witness was not proven the first optimum in
    the time limit (``ilp.Solution.withheld``): the benchmark is withheld all the same."""

    @property
    def proven(self) -> bool:
        return self.status is Status.OPTIMAL

    @property
    def order_unproven(self) -> bool:
        """True when only the witness's order is unproven (:attr:`withheld`): the value is known."""
        return self.value is None and self.withheld and self.incumbent is not None

    def require(self) -> int:
        """The proven value, or :class:`NotProvenError`."""
        if self.value is None:
            raise NotProvenError(self.name, self.status.value, self.incumbent, self.bound,
                                 self.order_unproven)
        return self.value


def finite_bound(bound: int | None) -> int | None:
    """A solver's bound, or None when it is a solver's stand-in for infinity (SCIP and HiGHS
    report 1e20 when they have no bound): no real bound is that large (values are at most 10^12
    per player)."""
    return None if bound is None or abs(bound) >= 10**18 else bound


def from_solution(name: str, solution: Solution, price: Callable[[int, int], int] | None = None, *,
                  players: Sequence[int] | None = None, n: int | None = None) -> Benchmark:
    """Wrap a solver answer.

    ``price(k, bundle)`` gives the witness price of the solution's k-th player for the bundle it
    receives (None for a pure allocation); a bundle whose price is 0 is dropped from the witness,
    since it adds nothing to the revenue (P_j = 0 exactly where A_j is empty). ``players`` maps the
    solution's k-th player to the instance's player ``players[k]`` for a program restricted to
    some players (``benchmarks.table.ReportPlan``); the outcome then has ``n`` players. The cost
    is one step per player of the program, none per player of the instance it leaves out.
    """
    outcome = None
    allocation = solution.allocation
    if allocation is not None:
        held = [(k, a) for k, a in enumerate(allocation) if a]
        if price is not None:  # offers at price 0 are dropped: P_j = 0 exactly where A_j is empty
            priced = [(k, a, p) for k, a in held if (p := price(k, a))]
            held = [(k, a) for k, a, _ in priced]
            offers: list[tuple[int, int]] | None = [(k, p) for k, _, p in priced]
        else:
            offers = None
        if players is not None:
            held = [(players[k], a) for k, a in held]
            offers = None if offers is None else [(players[k], p) for k, p in offers]
            if not all(map(int.__lt__, players, players[1:])):  # restricted in any order: by player
                held.sort()
                offers = None if offers is None else sorted(offers)
        outcome = Outcome.sparse(len(allocation) if players is None else n, held, offers)
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
        withheld=solution.withheld,
    )


@dataclass(frozen=True)
class Best:
    """max over a family of benchmarks (MIEW(K_S), BB, BB', MKW) and who attains it (lowest
    index on ties). ``value`` is None unless the maximum itself is proven; the maximum then lies
    in [``incumbent``, ``bound``] (``bound`` None when some member has no bound)."""

    name: str
    value: int | None
    winner: Hashable | None
    incumbent: int | None
    bound: int | None = None


def best_of(name: str, family: Sequence[tuple[Hashable, Benchmark]]) -> Best:
    """The maximum of ``family`` (pairs key, benchmark, in tie-break order).

    The maximum is proven when every unproven member's bound is at most the best proven value.
    The maximum over an empty family is 0 with no winner (e.g. MIEW(K_I) when I is empty).
    """
    if not family:
        return Best(name, 0, None, 0, 0)
    top = max((b.value for _, b in family if b.value is not None), default=None)
    incumbents = [b.incumbent for _, b in family if b.incumbent is not None]
    incumbent = max(incumbents) if incumbents else None
    if top is None or any(b.bound is None or b.bound > top for _, b in family if b.value is None):
        ends = [b.value if b.value is not None else finite_bound(b.bound) for _, b in family]
        return Best(name, None, None, incumbent, None if None in ends else max(ends))
    # the winner is the first member worth ``top`` (lowest on ties); an unproven member before
    # the first proven one whose bound is ``top`` may be worth it too: it wins when its
    # incumbent is ``top`` (then its value is), and otherwise who wins is not known (the
    # maximum still is). Some member is proven worth ``top``, so the loop returns.
    for key, b in family:
        if b.value == top:
            return Best(name, top, key, top, top)
        if b.value is None and b.bound == top:
            return Best(name, top, key if b.incumbent == top else None, top, top)
    raise AssertionError("no member of the family is worth its maximum")
