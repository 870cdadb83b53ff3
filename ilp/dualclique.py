"""The clique search of ``ilp.clique`` bounded, at every node, by the duals of the linear
relaxation as well as by its colouring: the solver of ``ilp.colgen``'s cores.

Why. A core of ``ilp.colgen`` is a set-packing program of 500-1,200 covering unions whose
relaxation is about 10 % above its optimum (regions, 64 goods / 500 bids / 10 players, 3
candidates). Its compatibility graph is of middle density (0.35-0.55), where the colouring bound
alone is 35-45 % above the optimum: the clique search spends about 1 ms a node on covers of
hundreds of candidates, and CP-SAT about as long on the whole core. The relaxation's duals bound
every node far better, and they also remove candidates (reduced-cost fixing), which makes the
covers themselves cheap. Measured (2026-12-01, 2 shared cores, load 5-7, the settling cores of
seed 0): 0.15-0.8 s against 0.4-2.1 s for the colouring bound alone, the nodes about the same.

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
lowers B(K) again: the node repeats this until nothing changes (:data:`PASSES` at most). Then the
colouring bound of ``ilp.clique`` chooses what to branch on, as there.
"""

from __future__ import annotations

import time
from bisect import bisect_right

from ilp import clique
from ilp.clique import Graph, _Search
from ilp.contract import Answer, SolveOptions
from ilp.formulation import ILP, Formulation
from ilp.program import Status

NAME = "clique"  # the clique search, with a second bound: its answers are the clique search's
EXACT = True  # integer arithmetic throughout; every answer is still checked by ilp.claims

SCALE = 1 << 20
"""Fixed-point scale of the integer duals (as ``ilp.certify``)."""
PASSES = 3
"""Most rounds of dropping candidates over the slack at one node. Measured on the cores above:
a second round drops more in about a third of the nodes, a third one rarely."""


def available() -> bool:
    return True


class _Rows:
    """The rows of a set-packing program over the vertices of its graph, with integer duals:
    ``masks[r]`` the vertices of row r, ``duals[r]`` its y_r; per vertex its reduced cost d_v;
    ``levels`` the distinct deficits increasing and ``within[k]`` the vertices whose deficit is
    at most ``levels[k]``."""

    def __init__(self, g: Graph, masks: list[int], duals: list[int]) -> None:
        self.masks, self.duals = masks, duals
        n = len(g.weights)
        reduced = [SCALE * w for w in g.weights]
        for mask, y in zip(masks, duals):
            while mask:
                low = mask & -mask
                reduced[low.bit_length() - 1] -= y
                mask ^= low
        self.positive = 0  # the vertices of positive reduced cost (rounding leaves a few)
        self.reduced = reduced
        deficit = []
        for v, d in enumerate(reduced):
            if d > 0:
                self.positive |= 1 << v
            deficit.append(max(d, 0) - d)
        self.levels: list[int] = []
        self.within: list[int] = []
        mask = 0
        for v in sorted(range(n), key=lambda v: deficit[v]):
            mask |= 1 << v
            if self.levels and self.levels[-1] == deficit[v]:
                self.within[-1] = mask
            else:
                self.levels.append(deficit[v])
                self.within.append(mask)

    def bound(self, candidates: int) -> int:
        """B(K) of the module docstring for the candidate set ``candidates``."""
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

    def __init__(self, g: Graph, rows: _Rows, deadline: float | None) -> None:
        super().__init__(g, deadline)
        self.rows = rows

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


def relaxation_duals(g: Graph, masks: list[int]) -> list[int] | None:
    """Integer duals y_r >= 0 of the rows ``masks`` (:data:`SCALE` times GLOP's duals of the
    relaxation max w.x, x in [0, 1], each row at most 1, rounded), or None when GLOP gives no
    optimum. Any y >= 0 makes the bound valid: GLOP only makes it tight."""
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver("GLOP")
    top = float(max(g.weights, default=1) or 1)
    xs = [solver.NumVar(0.0, 1.0, "") for _ in g.weights]
    objective = solver.Objective()
    objective.SetMaximization()
    for x, w in zip(xs, g.weights):
        objective.SetCoefficient(x, w / top)
    constraints = []
    for mask in masks:
        row = solver.Constraint(-solver.infinity(), 1.0)
        while mask:
            low = mask & -mask
            row.SetCoefficient(xs[low.bit_length() - 1], 1.0)
            mask ^= low
        constraints.append(row)
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    duals = []
    for row in constraints:
        y = row.dual_value() * top * SCALE
        duals.append(int(round(y)) if y > 0 and y == y and y != float("inf") else 0)
    return duals


def max_weight_clique(g: Graph, rows: _Rows, start: tuple[int, ...] = (),
                      deadline: float | None = None) -> tuple[tuple[int, ...], int, bool]:
    """As ``ilp.clique.max_weight_clique``, with the dual bound of ``rows`` at every node."""
    return clique.improve(_DualSearch(g, rows, deadline), start)


def run(formulation: Formulation, options: SolveOptions, hint: list[int] | None = None) -> Answer:
    """Solve a set-packing formulation (``ilp.contract``; ``ilp.clique.applies``) by the
    dual-bounded clique search; ``hint`` (a full assignment) seeds the incumbent when it is a
    packing of bids. A formulation it does not cover, or whose relaxation GLOP does not solve,
    goes to ``ilp.clique``."""
    if not clique.applies(formulation.ilp):
        return clique.run(formulation, options, hint)
    start_time = time.monotonic()
    g = clique.graph(formulation.ilp)
    masks = row_masks(formulation.ilp, g)
    duals = relaxation_duals(g, masks) if g.weights else None
    if duals is None:
        return clique.solve_graph(formulation, g, options, hint)
    rows = _Rows(g, masks, duals)
    deadline = None if options.time_limit is None else start_time + options.time_limit
    found, _, proven = max_weight_clique(g, rows, clique.warm_start(g, hint), deadline)
    values = clique.assignment(formulation, g, found)
    if proven:
        return Answer(Status.OPTIMAL, values, None, NAME)
    everyone = (1 << len(g.weights)) - 1
    return Answer(Status.FEASIBLE, values, min(clique.upper_bound(g), rows.bound(everyone) // SCALE), NAME)


def above(g: Graph, masks: list[int], duals: list[int], floor: int,
          deadline: float | None = None) -> tuple[tuple[int, ...], bool]:
    """``(clique, proven)``: a maximum-weight clique of ``g`` among those weighing more than
    ``floor``, empty when there is none, with the dual bound of the rows ``masks`` (vertex sets of
    ``g``, each "at most one") and their integer duals ``duals`` (any integers >= 0, :data:`SCALE`
    times the relaxation's duals to be tight). ``proven`` is False when the ``deadline``
    (``time.monotonic()``) passed first: the clique is then the best found. ``ilp.relaxation``
    solves its cores so, with the duals of the whole program and its incumbent as the floor."""
    search = _DualSearch(g, _Rows(g, masks, duals), deadline)
    search.floor = floor
    try:
        search.expand([], 0, (1 << len(g.weights)) - 1)
    except clique._Timeout:
        return tuple(search.best), False
    return tuple(search.best), True
