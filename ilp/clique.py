"""Exact winner determination as a maximum-weight clique of the bids' compatibility graph.

A program whose players all win whole bids (every block an :class:`ilp.compile.AtomsBlock`:
true XOR/OR valuations, covering unions) and that has no side constraint (no fixed owner, no
lower bound on the total, no owner objective, nothing to avoid) is a weighted set-packing
problem: choose bids, pairwise compatible, of maximum total value. Two bids are compatible
when their bundles are disjoint and they are not two bids of one single-choice player. An
optimal allocation is then exactly a maximum-weight clique of the graph whose vertices are the
bids and whose edges join compatible bids.

The clique is found by branch and bound in integer arithmetic (Python integers, so values near
10^12 are as exact as small ones), with the weighted colouring bound of Tavares et al. that
NetworkX's ``max_weight_clique`` also uses: the candidate bids are split into classes of
pairwise incompatible bids (a class holds at most one bid of any clique) and the residual
weights of the classes bound what the candidates can add. Here the graph is bit sets (one
Python integer per bid), which on the programs below is about 20 times faster than NetworkX's
lists; the search order and therefore the witness are deterministic.

Why: on CATS "arbitrary" bids (bundles of a tenth to a fifth of the goods) a bid is compatible
with only a quarter of the others, the graph is sparse and the clique search proves what the
linear relaxations cannot: their LP gap is 6-11 %, so HiGHS, SCIP and CP-SAT enumerate nodes
for minutes. Measured (2026-12-01, 2 cores shared with other jobs, load 6-8): the MSW of the
generated arbitrary 64 goods / 1000 bids / 10 players (seed 0), which no backend had proven in
600 s, in 44 s with NetworkX; the MSW of the real CATS arbitrary-upv 64 / 500 file (seed 1) in
2.4 s against CP-SAT's 28 s with two workers. On bids of few goods (paths, regions, matching)
the graph is dense and the search explodes: the portfolio uses it only on sparse graphs
(``ilp.portfolio``). The times above are Python's; with the C module (``ilp.native``) the same
search, node for node, runs about 25 times as fast (:meth:`_Search.from_root`).
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter

from ilp import native
from ilp.contract import Answer, SolveOptions
from ilp.formulation import ILP, Formulation
from ilp.program import Status

__all__ = ["EXACT", "Graph", "MAX_VERTICES", "NAME", "applies", "assignment", "available", "below_floor", "graph",
           "improve", "max_weight_clique", "optima", "run", "solve_graph", "upper_bound", "warm_start", "work_units"]

NAME = "clique"
EXACT = True  # integer arithmetic throughout; every answer is still checked by ilp.claims

_CHECK_EVERY = 16
"""Nodes of the search between two looks at the clock."""
_CLASSES_PER_LOOK = 1024
"""Colour classes of one node's bound (``_Search.cover``) between two looks at the clock: on a
core of 193,932 unions (paths 256 / 2000 / 10 with 5 candidates, 2026-12-05) one colouring of
weighted classes took minutes, past any time limit."""
MAX_VERTICES = 1 << 15
"""A graph asked for only if sparse enough (``graph``'s ``densest``) is not built beyond this many
bids: its bit sets take n^2 / 8 bytes and making them n^2 / 64 word operations, before any time
limit applies. Measured (2026-12-02, 2 shared cores, three complete tables with synergies, density
0.01-0.02): 0.4 s of CPU at 24,573 bids, 4.6 s and 1.2 GB at 98,301. Three complete 18-good tables
(786,429 bids) would take about 5 minutes of CPU and 77 GB; `cabench benchmarks --time-limit 20`
of them sat for minutes in the loop of big-integer operations, at a constant 1.46 GB resident.
The clique search is for programs of thousands of bids (``ilp.portfolio.SPARSE``); beyond this
cap they go the way of dense ones (``ilp.relaxation``, then CP-SAT): the same file took 174 s of
wall, load 11, and ended proven."""


def available() -> bool:
    return True


@dataclass(frozen=True)
class Graph:
    """The bids of a program as a compatibility graph: ``variables[v]`` is bid v's ILP variable,
    ``weights[v]`` its value, ``compatible[v]`` the bit set of bids compatible with v."""

    variables: tuple[int, ...]
    weights: tuple[int, ...]
    compatible: tuple[int, ...]

    @property
    def density(self) -> float:
        """The fraction of pairs of bids that are compatible (0 with fewer than two bids)."""
        n = len(self.weights)
        if n < 2:
            return 0.0
        return sum(c.bit_count() for c in self.compatible) / (n * (n - 1))


def applies(ilp: ILP) -> bool:
    """Whether ``ilp`` is a set-packing program (module docstring): maximised, every variable
    binary, every row "a sum of variables is at most 1" (or at most 0: those variables are 0)."""
    n = len(ilp.names)
    if not ilp.maximize or ilp.lower.count(0) != n or ilp.upper.count(1) != n:
        return False
    # every row's lower bound, upper bound and coefficients, gathered in C (asked of every
    # program of a report, twice: ``ilp.portfolio`` and ``ilp.relaxation``)
    rows = ilp.rows
    return ({*map(itemgetter(1), rows)} <= {None} and {*map(itemgetter(2), rows)} <= {0, 1}
            and {*chain.from_iterable(map(dict.values, map(itemgetter(0), rows)))} <= {1})


def graph(ilp: ILP, densest: float | None = None, built_anyway: bool = False) -> Graph | None:
    """The compatibility graph of an applicable ``ilp`` (:func:`applies`): a vertex per variable
    of positive objective coefficient that no row fixes to 0, joined to every other vertex it
    shares no row with. Vertices are numbered by decreasing degree (ties: variable order), the
    order in which the search colours them. None when its density is above ``densest`` (known
    from the degrees, before the numbered graph is built: half the work, for programs that
    will not be searched), and, when ``densest`` is given, for more than :data:`MAX_VERTICES`
    bids. With ``built_anyway`` a graph whose degrees had to be counted to know its density is
    returned whatever that density (the caller checks it): a caller with another use for a
    dense graph (``ilp.portfolio``'s dual-bounded stage) then builds it once."""
    banned = set()
    for terms, _, hi in ilp.rows:
        if hi == 0:
            banned.update(terms)
    variables = [k for k, c in sorted(ilp.objective.items()) if c > 0 and k not in banned]
    n = len(variables)
    if densest is not None and n > MAX_VERTICES:
        return None
    if densest is not None and n >= 2 and (n * (n - 1) - sum(
            len(terms) * (len(terms) - 1) for terms, _, hi in ilp.rows if hi == 1)) / (n * (n - 1)) > densest:
        # the bound below, with each row's every variable counted (not only the vertices among
        # them: more conflicts, so fewer compatible pairs than the bound below counts): dense
        # for sure, before the vertices' rows are listed (paths: every program of a report)
        return None
    conflicts = _Conflicts.in_c(ilp, variables) if native.available() else _Conflicts.in_python(ilp, variables)
    if densest is not None and n >= 2 and (n * (n - 1) - conflicts.pairs) / (n * (n - 1)) > densest:
        # a vertex conflicts with at most |r| - 1 others per row r it is in, so at least this
        # many ordered pairs are compatible (an integer over the same denominator as the density
        # below, so never above it, in floating point too): dense for sure, without the bit sets
        # (about a millisecond per program of CATS paths 64 / 500 in Python, dense, many per
        # knowledge report)
        return None
    degree = conflicts.degrees()
    if densest is not None and not built_anyway and n >= 2 and sum(degree) / (n * (n - 1)) > densest:  # as Graph.density
        return None
    order = sorted(range(n), key=lambda v: -degree[v])
    position = [0] * n
    for k, v in enumerate(order):
        position[v] = k
    return Graph(tuple(variables[v] for v in order), tuple(ilp.objective[variables[v]] for v in order),
                 tuple(conflicts.sets(position)))


class _Conflicts:
    """The "at most one" rows of a program over the vertices of its graph, for :func:`graph`:
    ``pairs``, the sum of m (m - 1) over the rows of m >= 2 vertices; :meth:`degrees`, each
    vertex's number of compatible vertices; :meth:`sets`, the compatible sets in a numbering.
    Built in C when the module is (``ilp.native.compatibility``: the same sets; a program of
    regions 64 / 500 / 10 takes 0.4-0.6 ms instead of 1.3-1.8 ms), else in Python."""

    def __init__(self, pairs: int, degrees: Callable[[], list[int]], sets: Callable[[list[int]], list[int]]) -> None:
        self.pairs, self.degrees, self.sets = pairs, degrees, sets

    @staticmethod
    def in_c(ilp: ILP, variables: list[int]) -> "_Conflicts":
        n = len(variables)
        vertex_of = array("q", [-1]) * len(ilp.names)
        for v, k in enumerate(variables):
            vertex_of[k] = v
        rows = native.conflict_rows([terms for terms, _, hi in ilp.rows if hi == 1])
        _, degree, pairs = native.compatibility(n, vertex_of, rows, sets=False)
        return _Conflicts(pairs, lambda: degree, lambda position: native.compatibility(n, vertex_of, rows, position)[0])

    @staticmethod
    def in_python(ilp: ILP, variables: list[int]) -> "_Conflicts":
        n = len(variables)
        vertex = {k: v for v, k in enumerate(variables)}
        rows = [members for terms, _, hi in ilp.rows if hi == 1
                if len(members := [vertex[k] for k in terms if k in vertex]) > 1]

        def compatibility(rows: list[list[int]]) -> list[int]:
            groups = []  # each row's vertices as a bit set: pairwise in conflict
            rows_of: list[list[int]] = [[] for _ in range(n)]
            for members in rows:
                mask = 0
                for v in members:
                    mask |= 1 << v
                    rows_of[v].append(len(groups))
                groups.append(mask)
            everyone = (1 << n) - 1
            out = []
            for v in range(n):
                mask = 1 << v
                for r in rows_of[v]:
                    mask |= groups[r]
                out.append(everyone & ~mask)
            return out

        return _Conflicts(sum(len(m) * (len(m) - 1) for m in rows),
                          lambda: [c.bit_count() for c in compatibility(rows)],
                          lambda position: compatibility([[position[v] for v in members] for members in rows]))


class _Timeout(Exception):
    pass


def max_weight_clique(g: Graph, start: tuple[int, ...] = (), deadline: float | None = None,
                      work: int | None = None, floor: int | None = None) -> tuple[tuple[int, ...], int, bool]:
    """``(clique, weight, proven)``: a maximum-weight clique of ``g`` (vertex numbers) and its
    weight; ``start`` is a clique to improve on (a warm start). ``proven`` is False when the
    ``deadline`` (``time.monotonic()``) passed first, or the search did more than ``work``
    (:func:`work_units`): the clique is then the best found. With ``floor`` only cliques
    weighing at least that much are searched for: when there is none, the clique is ``start``
    (proven: none weighs ``floor``)."""
    return improve(_Search(g, deadline, max_work=None if work is None else work // work_units(g)), start, floor)


def work_units(g: Graph) -> int:
    """What placing one bid in a colour class costs, in units of the search's work cap: a step
    on bit sets of ``len(g.weights)`` bits, so its cost grows with the graph. Measured
    (2026-12-02, 2 shared cores, load 7-8): 2.6 million placements per CPU second on graphs of
    about 1000 bids (generated arbitrary 64 / 1000 / 10), 0.82 million on 9009 bids; one unit
    per 2048 bids keeps a unit within a factor 1.6 of the same time on both."""
    return 1 + len(g.weights) // 2048


def improve(search: _Search, start: tuple[int, ...], floor: int | None = None) -> tuple[tuple[int, ...], int, bool]:
    """Run ``search`` (a :class:`_Search`, or ``ilp.dualclique``'s) from the clique ``start``,
    only for cliques weighing ``floor`` or more when given: ``(clique, weight, proven)`` as in
    :func:`max_weight_clique`."""
    weight = sum(search.weights[v] for v in start)
    # the search looks only for cliques heavier than search.floor (its incumbent's weight), so
    # floor - 1 there keeps exactly the cliques worth at least ``floor``
    search.best, search.floor = list(start), weight if floor is None else max(weight, floor - 1)
    proven = True
    try:
        search.from_root()
    except _Timeout:
        proven = False
    return tuple(search.best), sum(search.weights[v] for v in search.best), proven


def optima(g: Graph, threshold: int, deadline: float | None = None, most: int = 10_000,
           work: int | None = None) -> list[tuple[int, ...]] | None:
    """Every clique of ``g`` weighing at least ``threshold`` (each once, in search order), or
    None when there are more than ``most``, the ``deadline`` passes first or the search does
    more than ``work`` (:func:`work_units`, a count: the same stop on every run). With
    ``threshold`` the proven maximum, these are all the maximum-weight cliques (``ilp.lex``
    orders them)."""
    search = _Search(g, deadline, collect=most, max_work=None if work is None else work // work_units(g))
    search.floor = threshold - 1
    try:
        search.from_root()
    except _Timeout:
        return None
    return search.found


class _Search:
    """The branch and bound of :func:`max_weight_clique` and :func:`optima`: ``floor`` is the
    weight to beat (the incumbent's, or one below the threshold when collecting)."""

    def __init__(self, g: Graph, deadline: float | None, collect: int | None = None,
                 max_nodes: int | None = None, max_work: int | None = None) -> None:
        self.weights, self.compatible = g.weights, g.compatible
        self.deadline = deadline
        self.max_nodes = max_nodes  # a work cap: unlike the deadline, the same stop on every run
        self.collect = collect
        self.found: list[tuple[int, ...]] = []
        self.best: list[int] = []
        self.floor = 0
        self.nodes = 0
        self.work = 0  # bids placed in colour classes so far (``max_work``)
        self.max_work = max_work
        self.total = 0  # the colouring bound of the latest cover
        self.native_only = False  # from_root gives up (unproven) where C cannot run it

    def cover(self, candidates: int, target: int) -> int:
        """The candidates that the colouring bound cannot rule out: classes of pairwise
        incompatible bids, each worth its least residual weight, are taken from the lowest
        numbers up while their total stays at most ``target``; what is left must be branched on."""
        weights, compatible = self.weights, self.compatible
        residual = list(weights)  # a copy per node: cheaper than a dict of the changed ones
        total = 0
        left = candidates
        classes = 0
        while left:
            classes += 1
            if self.deadline is not None and classes % _CLASSES_PER_LOOK == 0 and time.monotonic() > self.deadline:
                raise _Timeout  # one colouring of a large graph can outlast any limit
            low = left & -left
            v = low.bit_length() - 1
            members = [v]
            least = residual[v]
            free = left & ~compatible[v] ^ low  # the rest of the class conflicts with v
            while free:
                low = free & -free
                v = low.bit_length() - 1
                members.append(v)
                if residual[v] < least:
                    least = residual[v]
                free &= ~compatible[v] ^ low
            total += least
            self.work += len(members)
            if total > target:
                self.total = total
                return left
            for v in members:
                residual[v] -= least
                if not residual[v]:
                    left ^= 1 << v
        self.total = total
        return 0

    def from_root(self) -> None:
        """Search from the root (every vertex a candidate): in C when ``ilp.native`` can, with the
        same nodes, counts and result, else :meth:`expand` here. Raises ``_Timeout`` when stopped."""
        stopped = native.run(self)
        if stopped is None and self.native_only:
            raise _Timeout
        if stopped is None:
            self.expand([], 0, (1 << len(self.weights)) - 1)
        elif stopped:
            raise _Timeout

    def native_rows(self) -> tuple | None:
        """The dual bound's rows for ``ilp.native`` (None: the colouring alone)."""
        return None

    def narrow(self, candidates: int, weight: int) -> int | None:
        """The candidates worth branching on below a clique of ``weight`` (None: no extension can
        beat the floor). Here all of them: :meth:`cover`'s colouring bound does the pruning; a
        search with a further bound (``ilp.dualclique``) overrides this."""
        return candidates

    def expand(self, clique: list[int], weight: int, candidates: int) -> None:
        self.nodes += 1
        if self.deadline is not None and self.nodes % _CHECK_EVERY == 0 and time.monotonic() > self.deadline:
            raise _Timeout
        if self.max_nodes is not None and self.nodes > self.max_nodes:
            raise _Timeout
        if self.max_work is not None and self.work > self.max_work:
            raise _Timeout
        if weight > self.floor:
            if self.collect is None:
                self.floor, self.best = weight, list(clique)
            else:
                self.found.append(tuple(clique))
                if len(self.found) > self.collect:
                    raise _Timeout
        candidates = self.narrow(candidates, weight)
        if candidates is None:
            return
        branch = self.cover(candidates, self.floor - weight)
        weights, compatible = self.weights, self.compatible
        while branch:
            v = branch.bit_length() - 1
            bit = 1 << v
            branch ^= bit
            candidates ^= bit
            clique.append(v)
            self.expand(clique, weight + weights[v], candidates & compatible[v])
            clique.pop()


def upper_bound(g: Graph) -> int:
    """The colouring bound of the whole graph: no clique weighs more (reported with a timeout)."""
    search = _Search(g, None)
    search.cover((1 << len(g.weights)) - 1, sum(g.weights))
    return search.total


def run(formulation: Formulation, options: SolveOptions, hint: list[int] | None = None) -> Answer:
    """Solve an applicable formulation (``ilp.contract``; :func:`applies`) as a maximum-weight
    clique; ``hint`` (a full assignment) seeds the incumbent when it is a packing of bids.
    A formulation this backend does not cover goes to CP-SAT."""
    if not applies(formulation.ilp):
        from ilp import cpsat

        return cpsat.run(formulation, options, hint)
    return solve_graph(formulation, graph(formulation.ilp), options, hint)


def solve_graph(formulation: Formulation, g: Graph, options: SolveOptions, hint: list[int] | None = None,
                work: int | None = None, bound: bool = True) -> Answer:
    """:func:`run` on the formulation's graph ``g`` (:func:`graph`), already built; ``work``
    caps the search (:func:`max_weight_clique`): the same stop on every run, unlike a time.
    ``bound``: a search stopped early reports :func:`upper_bound` (a colouring of the whole
    graph, in Python: 0.3 s on a core of a few thousand bids); without it, no bound."""
    start_time = time.monotonic()
    deadline = None if options.time_limit is None else start_time + options.time_limit
    found, weight, proven = max_weight_clique(g, warm_start(g, hint), deadline, work, formulation.ilp.floor)
    if below_floor(formulation.ilp, weight, proven):
        return Answer(Status.INFEASIBLE, solver=NAME)
    values = assignment(formulation, g, found)
    if proven:
        return Answer(Status.OPTIMAL, values, None, NAME)
    return Answer(Status.FEASIBLE, values, upper_bound(g) if bound else None, NAME)


def below_floor(ilp: ILP, weight: int, proven: bool) -> bool:
    """Whether a search run with ``ilp``'s floor (:func:`improve`) proved that no clique reaches
    it, ``weight`` being that of the clique it returned: then the answer is INFEASIBLE
    (``ilp.contract``), never that clique as an optimum."""
    return proven and ilp.floor is not None and weight < ilp.floor


def warm_start(g: Graph, hint: list[int] | None) -> tuple[int, ...]:
    """The vertices of ``g`` that the full assignment ``hint`` sets, when they form a clique (a
    packing of bids); otherwise no start."""
    if hint is None:
        return ()
    chosen = tuple(v for v, x in enumerate(g.variables) if hint[x])
    if all(g.compatible[a] >> b & 1 for k, a in enumerate(chosen) for b in chosen[k + 1:]):
        return chosen
    return ()


def assignment(formulation: Formulation, g: Graph, found: tuple[int, ...]) -> list[int]:
    """The formulation's full 0/1 assignment that takes the bids of the clique ``found``."""
    values = [0] * len(formulation.ilp.names)
    for v in found:
        values[g.variables[v]] = 1
    return values
