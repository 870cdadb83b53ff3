"""The one optimisation behind every benchmark, as plain data (no paper concepts here).

A :class:`Program` asks: give each player at most one bundle, goods pairwise disjoint (a good may
stay unallocated), and maximise the sum of the players' weights w_j(A_j). A weight is a
max-of-mins of valuations, which covers a true valuation (one option, one valuation), the
guaranteed value of a set of candidates (one option, the minimum over candidates) and the union
of several players' knowledge (the maximum over their options).

The same program, with owners of some goods fixed and a lower bound on the total weight, can
instead minimise the owner code of one good; ``ilp.lex`` uses that to find the lexicographically
first optimal allocation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from functools import cached_property
from itertools import chain, compress, repeat
from operator import attrgetter, is_

from instances.valuation import Valuation

__all__ = ["Program", "Solution", "Status", "UNALLOCATED", "Weight", "WeightIds", "disjoint", "first_held",
           "owner_code", "positions_of", "several"]

_OPTIONS = attrgetter("options")


def positions_of(items: Sequence[object], marker: object) -> Iterator[int]:
    """The positions k of ``items`` where ``items[k] is marker``, found in C: a program's slots
    whose weight was not met before (most slots of a program were)."""
    return compress(range(len(items)), map(is_, items, repeat(marker)))


def several(weight: "Weight") -> bool:
    """Whether some option of ``weight`` is the minimum of several valuations (the guaranteed
    values of candidates): the only weights that may take covering unions."""
    return max(map(len, weight.options), default=0) > 1

UNALLOCATED = -1
"""Owner of a good that nobody receives (A_0 in the papers)."""


@dataclass(frozen=True)
class Weight:
    """w(S) = max over ``options`` of (min over the option's valuations of v(S)); 0 if no option.

    Solvers may always give a player nothing, so w is effectively max(w, 0) at the optimum.

    The hash is computed once per object (a weight is hashed by every cache that keys on it, and
    hashing walks every bid), and never pickled: hashes of strings, hence of valuations' forms,
    differ between processes.
    """

    options: tuple[tuple[Valuation, ...], ...]

    def __hash__(self) -> int:
        value = self.__dict__.get("_hash")
        if value is None:  # (no try/except: most weights are hashed once, and a raise costs more)
            value = self.__dict__["_hash"] = hash(self.options)
        return value

    def __reduce__(self):
        return Weight, (self.options,)

    @staticmethod
    def of(valuation: Valuation) -> "Weight":
        return Weight(((valuation,),))

    @staticmethod
    def minimum(valuations: tuple[Valuation, ...]) -> "Weight":
        return Weight((valuations,))

    @staticmethod
    def maximum(weights: tuple["Weight", ...]) -> "Weight":
        return Weight(tuple(option for w in weights for option in w.options))

    def value(self, bundle: int) -> int:
        """w(bundle), by definition (evaluating every valuation)."""
        if not self.options:
            return 0
        return max(min(v.value(bundle) for v in option) for option in self.options)


class WeightIds:
    """Small integer ids of weights, the same id for equal weights: 0 for an excluded player
    (None), 1 for the weight with no option, then in order of first appearance. Each distinct
    weight *object* is hashed by value once; a tuple of weight objects met before costs one
    C-level pass (500 players with knowledge: n^2 distinct weights, 2n programs of n each). One
    table serves a batch's program keys (``ilp.index.ProgramIndex``) and the keys of the
    weights its worker processes hold (``ilp.remote``), so a weight is registered once."""

    def __init__(self) -> None:
        self._by_id: dict[int, int] = {id(None): 0}
        self._by_value: dict[Weight, int] = {Weight(()): 1}
        self._objects: list[object] = [None]  # keeps every registered object alive, so ids stay unique
        self._first: list[Weight | None] = [None, Weight(())]  # id -> the first weight met with it
        self._minima: set[int] = set()  # the ids of weights with an option of several valuations
        # id(weights tuple) -> (the tuple, its ids): rows that programs were derived from
        # (:meth:`without`); the tuple is held so that its id stays its own
        self._rows: dict[int, tuple[tuple, tuple[int, ...]]] = {}

    def has_minimum(self, ids: tuple[int, ...]) -> bool:
        """``Program.has_minimum`` of a program whose weights have ``ids``, from the ids alone (a
        report with lower-bound knowledge has no such weight: no pass over its n^2 slots)."""
        return bool(self._minima) and not self._minima.isdisjoint(ids)

    def weight(self, key: int) -> Weight | None:
        """The weight with id ``key`` (the first object met with it; the others are equal to it):
        a request to a worker sends the weights it does not hold by id (``ilp.remote``) without
        pairing a program's ids with its weights again (n weights per program at n players)."""
        return self._first[key]

    def without(self, weights: tuple[Weight | None, ...], player: int) -> tuple[int, ...]:
        """The ids of ``weights`` with ``player``'s slot excluded, from the ids of ``weights``,
        looked up once per tuple: MIEW_i is MIKW_i without player i, MSW_{-i} is MSW without
        player i (``Program.without``), so a report with knowledge looks up n weights per player
        once instead of twice (2000 players: 4 million lookups of the 12 million)."""
        found = self._rows.get(id(weights))
        if found is None or found[0] is not weights:
            found = self._rows[id(weights)] = (weights, self(weights))
        ids = found[1]
        return (*ids[:player], 0, *ids[player + 1:])

    def __call__(self, weights: tuple[Weight | None, ...]) -> tuple[int, ...]:
        """The ids of ``weights``, registering those not met before (in their order)."""
        found = self._rows.get(id(weights))  # (a row a program was derived from: MIKW_i after MIEW_i)
        if found is not None and found[0] is weights:
            return found[1]
        by_id = self._by_id
        ids = tuple(map(by_id.get, map(id, weights)))
        if None not in ids:
            return ids
        # only the slots of objects not met before are visited in Python (a MIKW_i row with
        # knowledge meets many of its n weights for the first time, its MIEW_i none), and the
        # ids found stay (the report's programs at 500 players, 2026-12-02, load 4-5:
        # 0.28-0.33 s to 0.25-0.26 s)
        by_value, objects = self._by_value, self._objects
        out = list(ids)
        for k in positions_of(ids, None):
            w = weights[k]
            found = by_id.get(id(w))  # (an object listed twice in one tuple)
            if found is None:
                objects.append(w)
                found = by_id[id(w)] = by_value.setdefault(w, len(by_value) + 1)
                if found == len(self._first):  # a weight new by value
                    self._first.append(w)
                    if several(w):
                        self._minima.add(found)
            out[k] = found
        return tuple(out)


class Status(str, Enum):
    """What the solver proved. Only OPTIMAL values may be reported as benchmarks."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # a solution, optimality not proven (time limit)
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"  # no solution found within the limit


@dataclass(frozen=True)
class Program:
    """A weighted set-packing program; see the module docstring.

    ``weights[j] is None`` excludes player j (it receives nothing). ``fixed[g]`` is ``None``
    (free), :data:`UNALLOCATED`, or the player that must receive good g. The integer programs
    hand out bundles made of whole bids, so they meet "player j receives g" through a bid of j
    containing g; that is all ``ilp.lex`` needs (the lexicographically first optimum is such an
    allocation), while the brute-force DP also accepts any bundle containing g. ``min_total`` bounds
    the total weight from below. With ``minimize_owners = (g_1, ..., g_c)`` the objective is to
    minimise the owner vector (code(g_1), ..., code(g_c)) lexicographically, with code 0 for an
    unallocated good and j + 1 for player j, instead of maximising weight; the integer programs
    encode it as one mixed-radix objective: good g_k's digit is the rank of its owner among the
    h_k players who can receive g_k (0 when unallocated), weighted by the product of
    (h_l + 1) over the later goods, which orders allocations exactly as the owner codes do.
    ``avoid`` (an allocation, or None) excludes every allocation that gives each good allocated
    in ``avoid`` to the same player as ``avoid`` does: some such good must go elsewhere or stay
    unallocated. ``ilp.lex`` uses it to prove that no other optimum precedes the one it has.
    """

    n_goods: int
    weights: tuple[Weight | None, ...]
    fixed: tuple[int | None, ...] = ()
    min_total: int | None = None
    minimize_owners: tuple[int, ...] = ()
    avoid: tuple[int, ...] | None = None

    def fixed_owner(self, good: int) -> int | None:
        return self.fixed[good] if self.fixed else None

    def without(self, player: int) -> "Program":
        """This program with ``player`` excluded (its weight None): MSW_{-i} of MSW's program,
        MIEW_i of MIKW_i's (seed 000 Definition 3). The new program remembers where it came from,
        so that the weight ids of a batch's index are derived from this one's
        (``WeightIds.without``) rather than looked up weight by weight; it is equal to the same
        program built directly, and pickled without the reference."""
        made = replace(self, weights=(*self.weights[:player], None, *self.weights[player + 1:]))
        made.__dict__["derived_from"] = (self, player)
        return made

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("derived_from", None)  # (a worker rebuilds nothing from it: not sent)
        return state

    @cached_property
    def active_players(self) -> int:
        """How many players have a weight with at least one option (not excluded, and not the
        weight of no option), counted in C once per program (``ilp.dense`` and ``ilp.fewgoods``
        each ask it of every program before compiling anything)."""
        return sum(map(bool, map(_OPTIONS, filter(None, self.weights))))

    @cached_property
    def has_minimum(self) -> bool:
        """Whether some weight has an option that is the minimum of several valuations
        (:func:`several`): only such a program may take covering unions
        (``ilp.compile.union_options``). Found in C once per program (or from the weights' ids,
        :meth:`note_has_minimum`), so that a program of single valuations (exact or lower-bound
        knowledge) is never looked at weight by weight for unions (``ilp.colgen.applies``, the
        batch's ``_Robust``)."""
        return max(map(len, chain.from_iterable(map(_OPTIONS, filter(None, self.weights)))), default=0) > 1

    def note_has_minimum(self, flag: bool) -> None:
        """Record :attr:`has_minimum` known otherwise (``ilp.index.ProgramIndex``, from the
        weights' ids), unless it is known already."""
        self.__dict__.setdefault("has_minimum", flag)  # (where cached_property keeps it)

    def note_active_players(self, count: int) -> None:
        """Record :attr:`active_players` known otherwise (``ilp.batch``, from the weights' ids:
        the players it keeps in a program are those with an option), unless it is known already."""
        self.__dict__.setdefault("active_players", count)  # (where cached_property keeps it)

    def total(self, allocation: tuple[int, ...]) -> int:
        """Sum of the weights of ``allocation`` (bundle per player), by definition. The empty
        bundle is worth 0 to every weight (``Valuation.value``), so players given nothing are
        skipped, in C: most of a many-player program's (one winner in each of the 2,001 programs
        of a 500-player report with lower bounds: 1.1 s of CPU, then 0.05 s)."""
        return sum(w.value(a) for w, a in compress(zip(self.weights, allocation), allocation) if w is not None)


@dataclass(frozen=True)
class Solution:
    """One solve: status, allocation (a bundle mask per player), its total weight evaluated by
    definition, the solver's proven bound when it reports one, the backend whose proof stands
    (a portfolio's winner), the wall time, and why a solver gave no answer (a crash), if one did.
    ``withheld``: an optimum whose tie-break ran out of time (``ilp.lex``, ``ilp.canonical``):
    worth exactly ``value``, but not known to be the first optimum, so not reported as proven.
    ``first``: the allocation is known to be the lexicographically first optimum (``ilp.lex``;
    seed 002 Lemma 3's rule of omega*), as the dynamic program over subsets of the goods finds it
    (``ilp.fewgoods``), so that no tie-break orders it again."""

    status: Status
    allocation: tuple[int, ...] | None
    value: int | None
    bound: int | None
    backend: str
    wall_time: float
    error: str | None = None
    withheld: bool = False
    first: bool = False

    @property
    def optimal(self) -> bool:
        return self.status is Status.OPTIMAL


def disjoint(allocation: tuple[int, ...]) -> bool:
    """Whether no good is in two of ``allocation``'s bundles (bitmasks, one per player)."""
    held = 0
    for bundle in allocation:
        if bundle & held:
            return False
        held |= bundle
    return True


def first_held(bundles: Iterable[int], goods: int) -> int:
    """Of ``bundles`` held by one and the same player (the others receiving nothing), the one
    whose allocation comes first in ``ilp.lex``'s order (seed 002 Lemma 3): its owner vector is 1
    where held and 0 elsewhere, compared good by good, so the bundle that leaves the earliest
    goods unallocated.

    >>> from ilp.program import first_held
    >>> first_held([0b011, 0b110, 0b101], 3)  # the only one that leaves good 0 unallocated
    6
    >>> first_held([0b011, 0b101], 3)  # both hold good 0; the second leaves good 1
    5
    """
    # The owner vectors compare as the bundles' bits read from good 0 on: the integers of the
    # bits reversed (a string reversal in C, where a tuple of m bits per bundle took 9 of the
    # 126 s of 200,000 one-bid players under a profiler); one bundle is its own first.
    bundles = list(bundles)
    if len(bundles) == 1:
        return bundles[0]
    width = f"0{goods}b"
    return min(bundles, key=lambda bundle: int(format(bundle, width)[::-1], 2))


def owner_code(allocation: tuple[int, ...], good: int) -> int:
    """0 if ``good`` is unallocated in ``allocation``, else 1 + the index of its owner.

    The code by which ``ilp.lex`` orders allocations (A_0 = unallocated comes first, then the
    players in order; seed 002 Lemma 3's lexicographically first optimal allocation).

    Parameters
    ----------
    allocation : tuple of int
        A bundle mask per player (bit g set when the player receives good g).
    good : int
        Index of a good.

    Returns
    -------
    int
        0 for an unallocated good, j + 1 when player j receives it.

    Examples
    --------
    Player 0 receives good 0 (mask ``0b01``), player 1 nothing; good 1 stays unallocated:

    >>> from ilp import owner_code
    >>> owner_code((0b01, 0b00), 0), owner_code((0b01, 0b00), 1)
    (1, 0)
    >>> owner_code((0b00, 0b11), 1)
    2
    """
    for j, bundle in enumerate(allocation):
        if bundle >> good & 1:
            return j + 1
    return 0
