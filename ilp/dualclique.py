"""The clique search of ``ilp.clique`` bounded, at every node, by the duals of the linear
relaxation (strengthened by cuts) instead of its colouring: the solver of ``ilp.colgen``'s cores.

Why. A core of ``ilp.colgen`` is a set-packing program of 500-1,200 covering unions whose
relaxation is about 10 % above its optimum (regions, 64 goods / 500 bids / 10 players, 3
candidates). Its compatibility graph is of middle density (0.35-0.55), where the colouring bound
alone is 35-45 % above the optimum: the clique search spends about 1 ms a node on covers of
hundreds of candidates, and CP-SAT about as long on the whole core. The relaxation's duals bound
every node far better, and they also remove candidates (reduced-cost fixing), which makes the
covers themselves cheap. Measured (2026-12-01, 2 shared cores, load 5-7, the settling cores of
seed 0), with the colouring still choosing the branches: 0.15-0.8 s against 0.4-2.1 s for the
colouring bound alone, the nodes about the same.

The bound, in integers. Let the rows r be the program's "at most one of these bids" rows, y_r >= 0
integers (the relaxation's duals times :data:`SCALE`, rounded: floating point only chooses
them), and d_v = SCALE w_v - sum of y_r over the rows of bid v (exact). A clique C (pairwise
compatible bids) meets every row at most once, so

    SCALE w(C) = sum over v in C of d_v + sum over rows of y_r |C and r|
              <= sum of max(d_v, 0) over the candidates + sum of y_r over rows meeting a candidate,

call it B. At a node holding ``weight`` with candidate set K, a clique of K improves on the best
known (``floor``) only if B(K) >= SCALE (floor - weight + 1); and a candidate v belongs to such a
clique only if its deficit max(d_v, 0) - d_v is at most the slack B(K) - SCALE (floor - weight + 1)
(the same inequality with v's own term made exact). Candidates over the slack are dropped, which
lowers B(K) again: the node repeats this until nothing changes (:data:`PASSES` at most).

What to branch on, by the same bound (:meth:`_DualSearch.cover`). Any set P of candidates with
B(P) < SCALE (floor - weight + 1) holds no improving clique, so only the candidates outside P
are branched on (each branch then leaves out the ones branched on before it, as in
``ilp.clique``). P is grown greedily, candidate by candidate in the graph's order, each taken
when B stays below the limit (a candidate whose rows are all met already and whose d_v <= 0
costs nothing). This replaces the colouring of ``ilp.clique``: the search then visits about 8
times as many nodes, but a node costs a few rows' bits instead of a colouring of hundreds of
candidates.

Cuts (:func:`subset_row_cuts`). For any three rows, the bids in at least two of them are
pairwise incompatible (two such bids share a row), so "at most one of them" is one more row of
the same kind, valid for every clique, which the relaxation's point may violate (a rank-1
Chvatal-Gomory cut, the subset-row cut of column generation). On cores of :data:`CUT_VERTICES`
bids or more, one round of the most violated ones is added before the duals are taken; the
bound above holds for them unchanged (their validity is the combinatorial fact above, integer
bit sets: the floating-point relaxation only chooses which to add). On the cores of regions
64 / 500 / 10 they bring the relaxation from 10-13 % above the optimum to 6-8 %.

Measured (2026-12-01, the 2-core machine shared with other developers' jobs, load average 10 to
12, so CPU seconds of one process; every settling and restricted core of the candidates:3
reports of regions 64 / 500 / 10, solved in a row from files, the same cliques in every
variant), seeds 0 / 1 / 2: the colouring alone 6.7 / 10.9 / 6.5 s; one round of cuts and the
dual cover 3.8-3.9 / 3.9 / 3.1 s. Seed 0 in detail: the dual cover without cuts 6.2 s; the cuts
with the colouring 5.9 s; two rounds of cuts 4.5-4.6 s, three 5.3 s (each round costs a GLOP
solve and a bound of more rows at every node, more than it saves); 25, 100 or 200 cuts instead
of 50, 4.2-4.3 s.

The times above are the search in Python. It runs in C when the module ``ilp.native`` is built,
node for node the same (the same cliques and node counts), 5-20 times as fast; ``ilp.portfolio``
then also gives it whole dense programs that the relaxation does not settle (``DUAL_NODES``).
"""

from __future__ import annotations

import time
from bisect import bisect_right
from itertools import chain

from ilp import blas, certify, clique, native
from ilp.clique import Graph, _Search
from ilp.compile import AtomsBlock
from ilp.contract import Answer, SolveOptions
from ilp.formulation import ILP, Formulation
from ilp.program import Status
from instances.bundles import members

__all__ = ["CUTS_PER_ROUND", "CUT_ROUNDS", "CUT_VERTICES", "DENSE", "EXACT", "NAME", "PASSES", "SCALE", "above",
           "available", "max_weight_clique", "optima", "program_rows", "relaxation_duals", "row_masks", "run",
           "strengthened_duals", "subset_row_cuts"]

NAME = "clique"  # the clique search, with a second bound: its answers are the clique search's
EXACT = True  # integer arithmetic throughout; every answer is still checked by ilp.claims

SCALE = certify.SCALE
"""Fixed-point scale of the integer duals: ``ilp.certify``'s, since ``ilp.colgen`` hands its
master's multipliers, scaled there, to :func:`run` (any multipliers >= 0 give a valid bound;
scaled alike, they give the bound they were computed for)."""
CUT_VERTICES = 300
"""Cores of fewer bids get no cuts: they are solved in hundredths of a second (the restricted
masters' 200-280 unions), where a second GLOP solve would cost as much as it saves."""
CUT_ROUNDS = 1
"""Rounds of separation and re-solve (module docstring: two or three cost more than they save)."""
CUTS_PER_ROUND = 50
"""The most violated cuts kept per round."""
PASSES = 3
"""Most rounds of dropping candidates over the slack at one node. Measured on the cores above:
a second round drops more in about a third of the nodes, a third one rarely; with the dual cover
and without this fixing the search took 5 times as long (seed 0: 19.1 s against 3.8 s), with
one pass 4.2 s, two 4.0 s."""


DENSE = 0.5
"""Graphs at least this dense are searched with the vertices renumbered by SCALE w_v + d_v (the
most promising last, so branched on first; :func:`program_rows`), instead of by degree.
Measured (2026-12-02 03:41-03:45 UTC, 2 shared cores, load 3-4, each search alone, the same
cliques' weights): on the 66 cores of the candidates:3 reports of paths 64 / 500 / 10 (seeds
0-2, densities 0.55-0.79) 8,013 nodes against 25,856 and 0.044 s against 0.14-0.19 s; on the
regions 64 / 500 / 10 cores (densities 0.26-0.48) the degree order is better (189,683 nodes
against 921,188), and ordering by weight alone 10,519 / 384,392."""


def available() -> bool:
    return True


class _Rows:
    """The rows of a set-packing program over the vertices of its graph, with integer duals:
    ``masks[r]`` the vertices of row r, ``duals[r]`` its y_r; per vertex its reduced cost d_v;
    ``levels`` the distinct deficits increasing and ``within[k]`` the vertices whose deficit is
    at most ``levels[k]``. With the C module (``ilp.native``) these are derived in C for the
    search in C: ``packed``, ``ilp.native.dual_rows``'s bytes (0.3 ms where Python takes about
    6 ms on a core of 1,000 bids, as ``ilp.colgen``'s on regions 64 / 500 / 10), None without
    the module or where the values could pass 64 bits. The Python fields are derived when first
    read (a search in Python, :meth:`bound`), all at once, as plain attributes."""

    _DERIVED = ("reduced", "gain", "rows_of", "row_duals", "positive", "levels", "within")

    def __init__(self, g: Graph, masks: list[int], duals: list[int]) -> None:
        self.masks, self.duals = masks, duals
        self._weights = g.weights
        self.packed = native.dual_rows(g.weights, masks, duals, SCALE)

    def __getattr__(self, name: str):
        # called only for a field not set yet: the first read of a derived field sets them all
        if name not in _Rows._DERIVED:
            raise AttributeError(name)
        for field, value in zip(_Rows._DERIVED, self._derive()):
            setattr(self, field, value)
        return getattr(self, name)

    def _derive(self) -> tuple:
        masks, duals = self.masks, self.duals
        n = len(self._weights)
        reduced = [SCALE * w for w in self._weights]
        for mask, y in zip(masks, duals):
            while mask:
                low = mask & -mask
                reduced[low.bit_length() - 1] -= y
                mask ^= low
        positive = 0  # the vertices of positive reduced cost (rounding leaves a few)
        gain = [max(d, 0) for d in reduced]
        rows_of = [0] * n  # per vertex, the bit set of its rows of y_r > 0
        for r, (mask, y) in enumerate(zip(masks, duals)):
            if y > 0:
                while mask:
                    low = mask & -mask
                    rows_of[low.bit_length() - 1] |= 1 << r
                    mask ^= low
        row_duals = {1 << r: y for r, y in enumerate(duals) if y > 0}  # y_r by the bit of row r
        deficit = []
        for v, d in enumerate(reduced):
            if d > 0:
                positive |= 1 << v
            deficit.append(max(d, 0) - d)
        levels: list[int] = []
        within: list[int] = []
        mask = 0
        for v in sorted(range(n), key=lambda v: deficit[v]):
            mask |= 1 << v
            if levels and levels[-1] == deficit[v]:
                within[-1] = mask
            else:
                levels.append(deficit[v])
                within.append(mask)
        return reduced, gain, rows_of, row_duals, positive, levels, within

    def bound(self, candidates: int) -> int:
        """B(K) of the module docstring for the candidate set ``candidates``: row by row, or
        for a few candidates (most nodes of a search) from the rows of each candidate."""
        if 2 * candidates.bit_count() < len(self.masks):
            met, total = 0, 0
            gain, rows_of = self.gain, self.rows_of
            while candidates:
                low = candidates & -candidates
                v = low.bit_length() - 1
                met |= rows_of[v]
                total += gain[v]
                candidates ^= low
            row_duals = self.row_duals
            while met:
                bit = met & -met
                total += row_duals[bit]
                met ^= bit
            return total
        total = 0
        for mask, y in zip(self.masks, self.duals):
            if candidates & mask:
                total += y
        positive = candidates & self.positive
        while positive:
            low = positive & -positive
            total += self.reduced[low.bit_length() - 1]
            positive ^= low
        return total

    def keep(self, slack: int) -> int:
        """The vertices whose deficit is at most ``slack`` (>= 0)."""
        k = bisect_right(self.levels, slack) - 1
        return self.within[k] if k >= 0 else 0


class _DualSearch(_Search):
    """``ilp.clique``'s branch and bound with the dual bound and fixing at every node."""

    def __init__(self, g: Graph, rows: _Rows, deadline: float | None, dual_cover: bool = True,
                 max_nodes: int | None = None) -> None:
        super().__init__(g, deadline, max_nodes=max_nodes)
        self.rows = rows
        self.dual_cover = dual_cover  # False: the colouring of ilp.clique chooses the branches

    def native_rows(self) -> tuple:
        """The rows, scale, passes and cover of this search for ``ilp.native``."""
        return self.rows, SCALE, PASSES, self.dual_cover

    def narrow(self, candidates: int, weight: int) -> int | None:
        """Drop the candidates the dual bound rules out (fixing), a few passes, since each pass
        can tighten the next; None when the bound shows no extension beats the floor."""
        rows = self.rows
        for _ in range(PASSES):
            slack = rows.bound(candidates) - SCALE * (self.floor - weight + 1)
            if slack < 0:
                return None
            kept = candidates & rows.keep(slack)
            if kept == candidates:
                break
            candidates = kept
        return candidates

    def cover(self, candidates: int, target: int) -> int:
        """The candidates to branch on: those left out of a set P of candidates grown greedily
        (in the graph's order) while B(P) < SCALE (``target`` + 1), which then holds no clique
        worth more than ``target`` (module docstring)."""
        if not self.dual_cover:
            return super().cover(candidates, target)
        rows = self.rows
        limit = SCALE * (target + 1)
        row_duals, gain, rows_of = rows.row_duals, rows.gain, rows.rows_of
        met = 0
        total = 0
        branch = 0
        left = candidates
        while left:
            low = left & -left
            v = low.bit_length() - 1
            left ^= low
            add = gain[v]
            new = rows_of[v] & ~met
            rest = new
            while rest:
                bit = rest & -rest
                add += row_duals[bit]
                rest ^= bit
            if total + add < limit:
                total += add
                met |= new
            else:
                branch |= low
        return branch


def row_masks(ilp: ILP, g: Graph) -> list[int]:
    """The "at most one" rows of an applicable ``ilp`` (``ilp.clique.applies``) as vertex sets of
    its graph ``g``, each kept once, rows of fewer than two vertices left out (they bound no
    clique by more than the vertex's own weight, which d_v already carries)."""
    vertex = {k: v for v, k in enumerate(g.variables)}
    masks = set()
    for terms, _, hi in ilp.rows:
        if hi != 1:
            continue
        mask = 0
        for k in terms:
            if k in vertex:
                mask |= 1 << vertex[k]
        if mask & (mask - 1):
            masks.add(mask)
    return sorted(masks)


class _Relaxation:
    """The relaxation max w.x, x in [0, 1], each row at most 1, in OR-Tools' GLOP (already
    loaded for CP-SAT), loaded as a model proto: a list per row, about 5 times faster than
    setting coefficients one by one, which took longer than the solve itself. Rows added after
    a solve make a new model solved from scratch: re-solving the old one from its basis saved
    less than setting the coefficients of the cuts one by one cost (cuts hold 100-200 vertices).
    Values are divided by the largest one for the solver's tolerances; the duals are scaled
    back."""

    def __init__(self, g: Graph, masks: list[int]) -> None:
        from ortools.linear_solver import linear_solver_pb2

        self.n = len(g.weights)
        self.top = float(max(g.weights, default=1) or 1)
        self.model = linear_solver_pb2.MPModelProto(maximize=True)
        for w in g.weights:
            self.model.variable.add(lower_bound=0.0, upper_bound=1.0, objective_coefficient=w / self.top)
        self.add(masks)
        self.solver = None

    def add(self, masks: list[int]) -> None:
        for mask in masks:
            members = _members(mask, self.n)
            self.model.constraint.add(lower_bound=-float("inf"), upper_bound=1.0, var_index=members,
                                      coefficient=[1.0] * len(members))

    def solve(self) -> bool:
        from ortools.linear_solver import pywraplp

        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        if self.solver.LoadModelFromProto(self.model):
            return False
        return self.solver.Solve() == pywraplp.Solver.OPTIMAL

    def primal(self):
        import numpy as np

        return np.fromiter((x.solution_value() for x in self.solver.variables()), dtype=float, count=self.n)

    def duals(self) -> list[int]:
        """SCALE times the duals of the rows, rounded to integers >= 0."""
        duals = []
        for row in self.solver.constraints():
            y = row.dual_value() * self.top * SCALE
            duals.append(int(round(y)) if y > 0 and y == y and y != float("inf") else 0)
        return duals


def _indicator(mask: int, n: int):
    """The 0/1 numpy vector of the vertices of ``mask`` (below ``n``)."""
    import numpy as np

    return np.unpackbits(np.frombuffer(mask.to_bytes((n + 7) // 8, "little"), dtype=np.uint8),
                         count=n, bitorder="little")


def _members(mask: int, n: int) -> list[int]:
    """The vertices of ``mask`` (below ``n``), increasing."""
    import numpy as np

    return np.flatnonzero(_indicator(mask, n)).tolist()


def relaxation_duals(g: Graph, masks: list[int]) -> list[int] | None:
    """Integer duals y_r >= 0 of the rows ``masks`` (:data:`SCALE` times GLOP's duals of the
    relaxation max w.x, x in [0, 1], each row at most 1, rounded), or None when GLOP gives no
    optimum. Any y >= 0 makes the bound valid: GLOP only makes it tight."""
    relaxation = _Relaxation(g, masks)
    if not relaxation.solve():
        return None
    return relaxation.duals()


def subset_row_cuts(masks: list[int], n: int, x, most: int = 0) -> list[int]:
    """Violated subset-row cuts of the rows ``masks`` (vertex sets of "at most one") at the
    relaxation's point ``x`` (one value per vertex), most violated first, at most ``most`` (0:
    all): for three rows, the vertices in at least two of them, as a vertex set. Any two such
    vertices share a row, so at most one is in a clique: the cut is one more "at most one" row,
    of the integer hull, that x may violate (rank-1 Chvatal-Gomory with multipliers 1/2).

    Only vertices of fractional value count towards a violation (a vertex at 1 shares a row with
    every other vertex of the cut, which is then at 0), so only the rows they meet are tried:
    in the cores, 50-65 fractional vertices and about 70 rows. Sums over the triples are
    matrix products (numpy), row by row: S_ijk = P_ij + P_ik + P_jk - 2 T_ijk, where P_ij is
    the fractional value in rows i and j both and T_ijk in all three; T is computed for the
    pairs i < j only, against every third row (those not beyond j are then dropped): half the
    products of every ordered triple, the same sums in the same order, so the same cuts
    (9.5 -> 3.5-5.8 ms a call on the regions 64 / 500 / 10 programs)."""
    import numpy as np

    fractional = np.flatnonzero((x > 1e-6) & (x < 1 - 1e-6))
    if len(fractional) == 0 or not masks:
        return []
    met = np.array([_indicator(mask, len(x))[fractional] for mask in masks])
    rows = np.flatnonzero(met.any(axis=1))
    k = len(rows)
    if k < 3:
        return []
    a = met[rows].astype(float)  # rows x fractional vertices
    weighted = a * x[fractional]
    first, second = np.triu_indices(k, 1)  # the pairs i < j
    with blas.one_thread():  # (cabench's only matrix products: on more threads they spun, ilp.blas)
        pairs = weighted @ a.T
        triples = (weighted[first] * a[second]) @ a.T  # T_ijl, a line per pair (i, j)
    total = pairs[first, second][:, None] + pairs[first] + pairs[second] - 2 * triples
    total[np.arange(k)[None, :] <= second[:, None]] = 0  # (each triple once: l > j)
    pair, l = np.nonzero(total > 1 + 1e-6)
    i, j = first[pair], second[pair]
    violation = total[pair, l]
    order = np.lexsort((l, j, i, -violation))  # most violated first; ties by rows: deterministic
    if most:
        order = order[:most]
    cuts = []
    for t in order:
        r, s, u = (masks[rows[q[t]]] for q in (i, j, l))
        cuts.append((r & s) | (r & u) | (s & u))
    return cuts


def strengthened_duals(g: Graph, masks: list[int], rounds: int, per_round: int,
                       point=None) -> tuple[list[int], list[int]] | None:
    """(rows, integer duals) as :func:`relaxation_duals`, the rows being ``masks`` and the
    subset-row cuts (:func:`subset_row_cuts`) of up to ``rounds`` rounds of separation, up to
    ``per_round`` each, the relaxation re-solved after each; None when GLOP gives no optimum.
    ``point``: an optimal point of the relaxation already known (a numpy array, one value per
    vertex of ``g``), from which the first round separates instead of solving it again
    (``ilp.portfolio`` hands on ``ilp.relaxation``'s; any point gives valid cuts, an optimal one
    the useful ones).
    Every cut is a set of pairwise incompatible vertices of ``g`` by construction: the bound's
    validity does not rest on floating point."""
    relaxation = _Relaxation(g, masks)
    if point is None and not relaxation.solve():
        return None
    rows = list(masks)
    seen = set(masks)
    n = len(g.weights)
    for _ in range(rounds):
        if point is None:
            point = relaxation.primal()
        cuts = []
        for cut in subset_row_cuts(masks, n, point, per_round):
            if cut not in seen and cut & (cut - 1):
                seen.add(cut)
                cuts.append(cut)
        if not cuts:
            break
        relaxation.add(cuts)
        rows += cuts
        if not relaxation.solve():
            return None
        point = None
    if relaxation.solver is None and not relaxation.solve():  # no cut at the point handed in
        return None
    return rows, relaxation.duals()


def max_weight_clique(g: Graph, rows: _Rows, start: tuple[int, ...] = (), deadline: float | None = None,
                      max_nodes: int | None = None, floor: int | None = None) -> tuple[tuple[int, ...], int, bool]:
    """As ``ilp.clique.max_weight_clique``, with the dual bound of ``rows`` at every node and its
    cover (module docstring); ``rows`` may hold cuts, any sets of pairwise incompatible vertices.
    ``max_nodes`` stops the search (not proven) after that many nodes: the same stop on every run."""
    return clique.improve(_DualSearch(g, rows, deadline, max_nodes=max_nodes), start, floor)


def program_rows(formulation: Formulation, g: Graph, cost: list[int],
                 own: dict[int, int]) -> tuple[Graph, list[int], list[int]] | None:
    """``(graph, rows, duals)`` from integer multipliers of the program's own rows: ``cost[x]``
    of "good x at most once", ``own[j]`` of "player j at most one bid" (single-choice players),
    as ``ilp.colgen``'s restricted master gives them. The rows are vertex sets of the returned
    graph, which is ``g`` renumbered when it is :data:`DENSE` (the order of :data:`DENSE`, ties
    kept in ``g``'s order), and only rows of positive multiplier and two vertices or more are
    kept (a row of one vertex bounds nothing its reduced cost does not, more tightly without
    the row). None when a vertex is not a bid of an ``AtomsBlock``."""
    where: dict[int, tuple[int, int, bool]] = {}
    for j, (block, weight) in enumerate(zip(formulation.blocks, formulation.weight)):
        if isinstance(block, AtomsBlock):
            for k, (bundle, _) in zip(weight, block.atoms):
                where[k] = (j, bundle, block.single)
    info = [where.get(k) for k in g.variables]
    if None in info:
        return None
    n = len(info)
    order = list(range(n))
    dense = g.density >= DENSE
    if dense:
        price = [sum(cost[x] for x in members(bundle)) + (own.get(j, 0) if single else 0)
                 for j, bundle, single in info]
        # SCALE w_v + d_v = 2 SCALE w_v - price_v, increasing: the search branches from the top
        order.sort(key=lambda v: 2 * SCALE * g.weights[v] - price[v])
    goods: dict[int, int] = {}
    players: dict[int, int] = {}
    for new, v in enumerate(order):
        j, bundle, single = info[v]
        bit = 1 << new
        for x in members(bundle):
            goods[x] = goods.get(x, 0) | bit
        if single:
            players[j] = players.get(j, 0) | bit
    if dense:  # the compatibility of the new numbering, from the same rows as ilp.clique.graph
        conflicts = [1 << v for v in range(n)]
        for mask in chain(goods.values(), players.values()):
            rest = mask
            while rest:
                low = rest & -rest
                conflicts[low.bit_length() - 1] |= mask
                rest ^= low
        everyone = (1 << n) - 1
        g = Graph(tuple(g.variables[v] for v in order), tuple(g.weights[v] for v in order),
                  tuple(everyone & ~c for c in conflicts))
    rows = [(mask, cost[x]) for x, mask in sorted(goods.items())]
    rows += [(mask, own.get(j, 0)) for j, mask in sorted(players.items())]
    kept = [(mask, y) for mask, y in rows if y > 0 and mask & (mask - 1)]
    return g, [mask for mask, _ in kept], [y for _, y in kept]


def _bounded(formulation: Formulation, g: Graph, duals: tuple[list[int], dict[int, int]] | None,
             primal: list[float] | None = None) -> tuple[Graph, _Rows] | None:
    """The graph (``g``, renumbered when :func:`program_rows` does) and the dual bound's rows of
    :func:`run` and :func:`optima`: from ``duals`` on fewer than :data:`CUT_VERTICES` bids, else
    the relaxation's (with subset-row cuts from :data:`CUT_VERTICES` bids, separated at
    ``primal`` when given: an optimal point of the relaxation, one value per ILP column); None
    when there is no bid, or GLOP does not solve the relaxation."""
    relaxed = None
    given = None
    if duals is not None and g.weights and len(g.weights) < CUT_VERTICES:
        given = program_rows(formulation, g, *duals)
    if given is not None:
        g, *relaxed = given
    elif g.weights:
        masks = row_masks(formulation.ilp, g)
        if len(g.weights) >= CUT_VERTICES:
            point = None
            if primal is not None:
                import numpy as np

                point = np.array([primal[k] for k in g.variables], dtype=float)
            relaxed = strengthened_duals(g, masks, CUT_ROUNDS, CUTS_PER_ROUND, point)
        else:
            y = relaxation_duals(g, masks)
            relaxed = None if y is None else (masks, y)
    if relaxed is None:
        return None
    kept = [(mask, y) for mask, y in zip(*relaxed) if y > 0]  # a row of y = 0 bounds nothing
    return g, _Rows(g, [mask for mask, _ in kept], [y for _, y in kept])


def optima(formulation: Formulation, threshold: int, duals: tuple[list[int], dict[int, int]] | None = None,
           deadline: float | None = None, most: int = 10_000, max_nodes: int | None = None,
           native_only: bool = False) -> tuple[Graph, list[tuple[int, ...]], bool] | None:
    """``(graph, cliques, complete)``: the cliques of the set-packing ``formulation``'s graph
    weighing at least ``threshold`` (each once, in search order), by the dual-bounded search of
    :func:`run` (``duals`` as there), collecting instead of improving: ``ilp.clique.optima``
    with this module's bound, for ``ilp.lex``. ``complete`` says they are all of them; the search
    stops first at the ``deadline`` (``time.monotonic()``), after ``max_nodes`` nodes (the same
    stop on every run), or on finding more than ``most``; with ``native_only``, at once where C
    cannot run it (as :func:`run`'s). With ``threshold`` the proven optimum, complete cliques are
    all the optima. None when the formulation is not a set-packing program or the search cannot
    be bounded (:func:`_bounded`)."""
    if not clique.applies(formulation.ilp):
        return None
    bounded = _bounded(formulation, clique.graph(formulation.ilp), duals)
    if bounded is None:
        return None
    g, rows = bounded
    search = _DualSearch(g, rows, deadline, max_nodes=max_nodes)
    search.native_only = native_only
    search.collect = most
    search.floor = threshold - 1
    try:
        search.from_root()
    except clique._Timeout:
        return g, search.found, False
    return g, search.found, True


def run(formulation: Formulation, options: SolveOptions, hint: list[int] | None = None,
        duals: tuple[list[int], dict[int, int]] | None = None, max_nodes: int | None = None,
        native_only: bool = False, graph: Graph | None = None, primal: list[float] | None = None,
        colouring: bool = True) -> Answer:
    """Solve a set-packing formulation (``ilp.contract``; ``ilp.clique.applies``) by the
    dual-bounded clique search; ``hint`` (a full assignment) seeds the incumbent when it is a
    packing of bids; on :data:`CUT_VERTICES` bids or more, with the relaxation's subset-row
    cuts (module docstring). ``duals``, integer multipliers of the program's rows as
    :func:`program_rows` takes them (any integers >= 0 make the bound valid), replace the
    relaxation on fewer than :data:`CUT_VERTICES` bids: ``ilp.colgen`` hands in its master's,
    which are the relaxation's own on the restricted master's columns and within the pricing
    tolerance of it on a core. A formulation it does not cover, or whose relaxation GLOP does
    not solve, goes to ``ilp.clique``. ``max_nodes`` caps the dual-bounded search (its answer is
    then FEASIBLE, as at the time limit). ``native_only``: search only in C (``ilp.native``); a
    search that would run in Python (no module, sums beyond 64 bits) or a relaxation GLOP does
    not solve gives up at once, UNKNOWN with the hint (``ilp.portfolio``'s ``DUAL_NODES`` stage).
    ``graph``: ``ilp.clique.graph`` of the formulation's ILP, if the caller built it;
    ``primal``: an optimal point of its relaxation, one value per ILP column, if known (the
    cuts are separated there instead of solving the relaxation first). A search stopped early
    reports the dual bound, and with ``colouring`` the colouring bound of the whole graph if
    lower (``ilp.clique.upper_bound``, in Python: 0.3 s on a core of a few thousand bids)."""
    if not clique.applies(formulation.ilp):
        return clique.run(formulation, options, hint)
    start_time = time.monotonic()
    g = clique.graph(formulation.ilp) if graph is None else graph
    bounded = _bounded(formulation, g, duals, primal)
    if bounded is None:
        if native_only:
            return Answer(Status.UNKNOWN, hint, solver=NAME)
        return clique.solve_graph(formulation, g, options, hint, bound=colouring)
    g, rows = bounded
    deadline = None if options.time_limit is None else start_time + options.time_limit
    search = _DualSearch(g, rows, deadline, max_nodes=max_nodes)
    search.native_only = native_only
    found, weight, proven = clique.improve(search, clique.warm_start(g, hint), formulation.ilp.floor)
    if native_only and not proven and search.nodes == 0:  # it would have run in Python
        return Answer(Status.UNKNOWN, hint, solver=NAME)
    if clique.below_floor(formulation.ilp, weight, proven):
        return Answer(Status.INFEASIBLE, solver=NAME)
    values = clique.assignment(formulation, g, found)
    if proven:
        return Answer(Status.OPTIMAL, values, None, NAME)
    everyone = (1 << len(g.weights)) - 1
    dual = rows.bound(everyone) // SCALE
    return Answer(Status.FEASIBLE, values, min(clique.upper_bound(g), dual) if colouring else dual, NAME)


def above(g: Graph, masks: list[int], duals: list[int], floor: int,
          deadline: float | None = None, max_nodes: int | None = None) -> tuple[tuple[int, ...], bool]:
    """``(clique, proven)``: a maximum-weight clique of ``g`` among those weighing more than
    ``floor``, empty when there is none, with the dual bound of the rows ``masks`` (vertex sets of
    ``g``, each "at most one") and their integer duals ``duals`` (any integers >= 0, :data:`SCALE`
    times the relaxation's duals to be tight). ``proven`` is False when the ``deadline``
    (``time.monotonic()``) passed first, or the search took more than ``max_nodes`` nodes (a
    work cap, which stops every run at the same node): the clique is then the best found. ``ilp.relaxation``
    solves its cores so, with the duals of the whole program and its incumbent as the floor."""
    # the colouring chooses the branches here, as when this was measured for ilp.relaxation
    # (whose duals are the whole program's, not the core's own); the dual cover is for run's cores
    search = _DualSearch(g, _Rows(g, masks, duals), deadline, dual_cover=False, max_nodes=max_nodes)
    search.floor = floor
    try:
        search.from_root()
    except clique._Timeout:
        return tuple(search.best), False
    return tuple(search.best), True
