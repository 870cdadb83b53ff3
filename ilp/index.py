"""Programs as keys: a batch's index of distinct programs (:class:`ProgramIndex`), the search
for "this program with one player put back" (:meth:`ProgramIndex.parent`, :func:`parent_of`),
and the program a solver actually sees, restricted to the players who can receive something
(:class:`Compactor`). ``ilp.batch`` schedules the solves over them.

A weight gets a small integer id (``ilp.program.WeightIds``), so a program becomes a tuple of
small integers: duplicates and parents are found by dictionary lookups, never by comparing
weights again.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import compress
from operator import itemgetter, mul

from ilp.program import Program, WeightIds

__all__ = ["Compactor", "ProgramIndex", "parent_of"]

_NONE, _EMPTY = 0, 1
"""Weight ids of an excluded player and of a weight with no option (0 on every bundle)."""


class ProgramIndex:
    """Canonical keys of programs: equal keys if and only if the programs are equal.

    A weight gets a small integer id, the same for equal weights (each distinct weight *object*
    is hashed by value once; programs built from shared weight objects cost one dictionary
    lookup per weight). A program's key is its goods, fixed owners, bound and objective plus the
    tuple of its weights' ids; a position-weighted sum of the ids (``signature``) lets
    :meth:`parent` find "this program with one player put back" in constant time per guess.
    With ``parents`` false, :meth:`parent` is not asked and no signature is computed: a sum of
    n products per program of n weights (2,000 programs of 1000 players: 0.13 s), which the
    index of restricted programs (:class:`Compactor`) never reads.
    """

    def __init__(self, weight_ids: WeightIds | None = None, parents: bool = True) -> None:
        self.weight_ids = WeightIds() if weight_ids is None else weight_ids  # None -> _NONE, Weight(()) -> _EMPTY
        self._parents = parents
        self._coefficients: list[int] = []
        self._rng = random.Random(0)
        self.keys: dict[tuple, int] = {}  # key -> position in ``programs``
        self.programs: list[Program] = []
        self._ids: list[tuple[int, ...]] = []
        self._signatures: dict[tuple, list[int]] = {}  # (meta, signature) -> positions
        self._by_nones: dict[tuple, list[int]] | None = None
        self._seen_at: dict[tuple, list[int]] = {}  # (meta, nones, player) -> weight ids there
        # id -> (program, its position): a program object listed again (a report's MKW_{i} is
        # MIKW_i's object) is not keyed again (n weights each; the entry keeps the object alive);
        # a program given with its ids (a restricted program, made anew each time) is not kept
        self._objects: dict[int, tuple[Program, int]] = {}

    def _signature(self, ids: tuple[int, ...]) -> int:
        while len(self._coefficients) < len(ids):
            self._coefficients.append(self._rng.getrandbits(31) | 1)
        return sum(map(mul, self._coefficients, ids))

    @staticmethod
    def _meta(program: Program) -> tuple:
        return (program.n_goods, len(program.weights), program.fixed, program.min_total, program.minimize_owners,
                program.avoid)

    def add(self, program: Program, ids: tuple[int, ...] | None = None) -> int:
        """The position of ``program`` among the distinct programs (added if new); ``ids``: its
        weights' ids in :attr:`weight_ids`, when known already."""
        remember = ids is None  # (the ids given: no pass over the weights to save)
        if remember:
            seen = self._objects.get(id(program))
            if seen is not None and seen[0] is program:
                return seen[1]
            derived = program.__dict__.get("derived_from")  # (``Program.without``)
            if derived is not None:
                ids = self.weight_ids.without(derived[0].weights, derived[1])
            else:
                ids = self.weight_ids(program.weights)
        program.note_has_minimum(self.weight_ids.has_minimum(ids))  # (no pass over the weights)
        meta = self._meta(program)
        key = (meta, ids)
        position = self.keys.get(key)
        if position is None:
            position = self.keys[key] = len(self.programs)
            self.programs.append(program)
            self._ids.append(ids)
            if self._parents:
                self._signatures.setdefault((meta, self._signature(ids)), []).append(position)
            if self._by_nones is not None:  # added after parents were asked for (``solve_batch``'s ``after``)
                self._by_nones.setdefault((meta, ids.count(_NONE)), []).append(position)
                self._seen_at.clear()
        if remember:
            self._objects[id(program)] = (program, position)
        return position

    def ids(self, position: int) -> tuple[int, ...]:
        """The weight ids of the program at ``position``."""
        return self._ids[position]

    def trivial(self, position: int) -> bool:
        """True when no weight of the program can be positive (every id excluded or empty)."""
        program = self.programs[position]
        ids = self._ids[position]
        return (not ids or max(ids) <= _EMPTY) and not program.minimize_owners and program.avoid is None and (
            program.min_total is None or program.min_total <= 0) and all(
            f is None or f < 0 for f in program.fixed)

    def parent(self, position: int) -> tuple[int, int] | None:
        """``(q, i)`` when the program at ``position`` is the program at ``q`` with player ``i``
        removed. Such a ``q`` has one excluded player fewer; the guesses for player i's weight
        are the weights at position i of the programs with that many excluded players."""
        if not self._parents:
            raise ValueError("this index was made with parents=False: it keeps no signatures")
        ids = self._ids[position]
        nones = ids.count(_NONE)
        if not nones:
            return None
        meta = self._meta(self.programs[position])
        group = self._groups().get((meta, nones - 1))
        if not group:
            return None
        signature = self._signature(ids)
        coefficients = self._coefficients
        start = 0
        for _ in range(nones):
            i = ids.index(_NONE, start)
            start = i + 1
            for guess in self._guesses(meta, nones - 1, i):
                for q in self._signatures.get((meta, signature + coefficients[i] * guess), ()):
                    other = self._ids[q]
                    if other[i] == guess and other[:i] == ids[:i] and other[i + 1:] == ids[i + 1:]:
                        return q, i
        return None

    def _groups(self) -> dict[tuple, list[int]]:
        """(meta, number of excluded players) -> the programs, built once all are added."""
        if self._by_nones is None:
            self._by_nones = {}
            for q, ids in enumerate(self._ids):
                self._by_nones.setdefault((self._meta(self.programs[q]), ids.count(_NONE)), []).append(q)
        return self._by_nones

    def _guesses(self, meta: tuple, nones: int, player: int) -> list[int]:
        key = (meta, nones, player)
        if key not in self._seen_at:
            self._seen_at[key] = sorted({self._ids[q][player] for q in self._groups()[meta, nones]} - {_NONE})
        return self._seen_at[key]


def parent_of(program: Program, candidates: Sequence[Program]) -> tuple[Program, int] | None:
    """``(Q, i)`` when ``program`` is some ``Q`` of ``candidates`` with player ``i`` removed."""
    index = ProgramIndex()
    for other in candidates:
        index.add(other)
    before = len(index.programs)
    position = index.add(program)
    if position < before:
        return None  # ``program`` is one of the candidates itself
    found = index.parent(position)
    return (index.programs[found[0]], found[1]) if found is not None else None


class Compactor:
    """The program a solver actually sees: the batch's program restricted to the players whose
    weight can be positive. Players excluded (None) or with no option (0 on every bundle)
    receive nothing in the restricted program and contribute 0 in the original one whatever
    they hold, so both have the same optimal value, and the restricted optimum, with nothing
    for the dropped players, is optimal for the original. Programs with fixed owners, a bound,
    the owner objective or an allocation to avoid refer to players by position and are kept whole. Equal restricted
    programs (MIKW_i of a player who knows nothing and BA^{i}, say) are solved once."""

    def __init__(self, index: ProgramIndex) -> None:
        self._index = index
        # the same ids: a kept program is keyed once; nobody asks its parents (``parents``)
        self._restricted = ProgramIndex(index.weight_ids, parents=False)
        self.programs = self._restricted.programs
        self.ids = self._restricted.ids  # a program's weight ids (``ilp.remote.Task.ids``)

    def unit(self, q: int) -> tuple[int, tuple[int, ...] | None]:
        """(position of the program to solve, the kept players or None when all are kept)."""
        program = self._index.programs[q]
        ids = self._index.ids(q)
        whole = program.fixed or program.min_total is not None or program.minimize_owners or program.avoid is not None
        positions = None if whole else tuple(compress(range(len(ids)), map(_EMPTY.__lt__, ids)))
        if positions is None or len(positions) == len(ids):
            kept, position = None, self._restricted.add(program, ids)
        else:
            # picked in C, with their ids (known: the same table), not a Python loop and a second
            # lookup per weight: with knowledge about a player worth 0, every MIKW_i and MIEW_i of
            # 500 players is restricted here (2026-12-02)
            pick = itemgetter(*positions) if len(positions) > 1 else lambda row: tuple(row[j] for j in positions)
            kept, position = positions, self._restricted.add(Program(program.n_goods, pick(program.weights)), pick(ids))
        if positions is not None:
            # every player the program keeps has an option (id above _EMPTY): its
            # ``active_players``, which the batch asks of every program (``ilp.onebid``), known
            # without a visit to each weight (0.6 µs a slot where n^2 weights lie scattered in
            # memory: 0.85 s for the 2,000 programs of 1000 players with lower bounds, 2026-12-07)
            self.programs[position].note_active_players(len(positions))
        return position, kept
