"""The instance model: goods, players, true valuations, knowledge, collusion structure, endowment.

References: seed 000 §2 Definition 5 (generalized auction context: true valuations TV, collusion
structure, external knowledge), seed 001 Definition 1 (external knowledge K_i as a set of
candidate sub-profiles), seed 004 Definition 1 (belief B_i), seed 003 §3 (markets with
endowments). docs/definitions.md, "Model", restates them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from instances.valuation import Valuation

__all__ = ["Candidates", "Instance", "Knowledge", "LowerBounds", "READINGS"]


@dataclass(frozen=True)
class LowerBounds:
    """Guaranteed knowledge (seed 000 §1 "knowledge model"): TV_j(S) >= bounds[j](S) for all S.

    Players missing from ``bounds`` have the bound 0 (nothing is known about them).
    """

    bounds: Mapping[int, Valuation]


@dataclass(frozen=True)
class Candidates:
    """External knowledge as a finite set of candidate sub-profiles (seed 001 Definition 1,
    seed 004 Definition 1). A player omitted from a candidate has the zero valuation in it."""

    profiles: tuple[Mapping[int, Valuation], ...]


Knowledge = LowerBounds | Candidates | None

READINGS = ("bounds", "sets")
"""The readings of coalition knowledge, the values of ``Instance.coalition_knowledge``
(``benchmarks.knowledge`` explains both)."""


@dataclass(frozen=True)
class Instance:
    """A combinatorial auction (or, with an endowment, a market) with everything the players know.

    Players and goods are referred to by index; ``players[0]`` is "player 1" of the papers, and
    every lexicographic tie-break follows these orders.
    """

    name: str
    goods: tuple[str, ...]
    players: tuple[str, ...]
    valuations: tuple[Valuation, ...]
    knowledge: tuple[Knowledge, ...]
    coalitions: tuple[tuple[int, ...], ...] = ()
    endowment: tuple[int, ...] | None = None
    scale: int = 1
    """Values are integers in units of 1/scale of the file's money (a power of ten; 1 for
    instances written in integers). Only import, export and display use it (``instances.units``)."""
    description: str | None = None
    source: str = field(default="<memory>", compare=False)
    coalition_knowledge: str = "bounds"
    """How a coalition pools candidate-set knowledge: "bounds" or "sets" (a reading of seed 000
    Def. 1, chosen on the command line; ``benchmarks.knowledge`` explains both)."""

    def __hash__(self) -> int:
        # Equal instances have equal fields, so leaving the knowledge out (its profiles are
        # dicts, which do not hash) keeps hash consistent with ==; the dataclass's own hash
        # raised TypeError, and an instance could not be a key of a dict or a cache.
        return hash((self.name, self.goods, self.players, self.valuations, self.coalitions, self.endowment,
                     self.scale, self.description, self.coalition_knowledge))

    def __repr__(self) -> str:
        # One line: the dataclass's repr lists every valuation and bound (megabytes in a
        # notebook at 500 players); the fields themselves are at hand.
        # (of any fields: an instance built in memory may be broken, and a debugger shows it)
        kind = "market" if self.endowment is not None else "auction"
        known = sum(k is not None for k in self.knowledge)
        bids = sum(len(getattr(v, "bids", ())) for v in self.valuations)
        return (f"<Instance {self.name!r}: {kind}, {len(self.goods)} goods, {len(self.players)} players, {bids} bids, "
                f"{known} with knowledge, {len(self.coalitions)} coalitions>")

    @property
    def m(self) -> int:
        return len(self.goods)

    @property
    def n(self) -> int:
        return len(self.players)

    @property
    def all_goods(self) -> int:
        return (1 << self.m) - 1

    @property
    def is_market(self) -> bool:
        return self.endowment is not None

    @property
    def agents(self) -> tuple[tuple[int, ...], ...]:
        """The collusion structure as a partition of the players (seed 000 Definition 5): every
        coalition, then every independent player as a singleton, ordered by lowest member."""
        in_coalition = {i for c in self.coalitions for i in c}
        parts = [tuple(sorted(c)) for c in self.coalitions]
        parts += [(i,) for i in range(self.n) if i not in in_coalition]
        return tuple(sorted(parts))

    @property
    def independent(self) -> tuple[int, ...]:
        """The set I of independent players (seed 000 Definition 5)."""
        in_coalition = {i for c in self.coalitions for i in c}
        return tuple(i for i in range(self.n) if i not in in_coalition)

    def player_index(self, name: str) -> int:
        return self.players.index(name)
