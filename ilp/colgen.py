"""Solve a program whose guaranteed values take covering unions by column generation: the unions
are priced against the linear relaxation's duals instead of listed, and only those that can still
improve on the best solution known (a "core") are ever handed to an integer solver.

Why. Candidate knowledge makes every guaranteed value (seed 001 Definition 3: the minimum over
candidates of the candidate's XOR value) a single choice among covering unions, one bid per
candidate (``ilp.unions.covering_unions``). Listing them all took most of a candidate report:
on paths 64 / 500 / 10 with 3 candidates about 1.4 s for the 90 guaranteed values, and on
paths 256 / 2000 / 10 a guaranteed value needs 15,000-30,000 search steps and has 5,000-12,000
minimal unions, so it fell back to the robust model (20-60 s per MIKW_i). The relaxation over all
unions is nearly integral (``ilp.certify``), so a few dozen unions per player carry it. Measured
(2026-12-01, 2 shared cores, load 5-7, seed 0): at 64 / 500 a program needs 6-9 pricing rounds
and 90-280 columns, and the 20 MIEW_i / MIKW_i take about 0.25 s together (the whole report
2.6x the exact-knowledge report, was 8.6x); at 256 / 2000 the report takes 1.1 s (2.1x exact,
was 290 s); on regions 64 / 500, whose relaxation is 10 % above the optimum, the cores hold
600-1,200 minimal unions and the report is 1.3x exact, as with listed unions.

How. The program is max sum_j w_j(S_j), bundles S_j pairwise disjoint, where w_j is a
guaranteed value (priced), or the single-choice or OR block of an ordinary valuation (its bids,
listed: ``ilp.compile``). Its relaxation is the configuration LP: a column (j, S) of value
w_j(S) for every bundle S, rows "good g at most once" and "player j at most one bundle". Start
with the best union of each priced player, solve the restricted relaxation (GLOP, warm-started
as columns are added), and ask each priced player for the bundles whose reduced cost
SCALE w_j(S) - Y(S) - Y_j is positive (Y: the duals scaled by ``ilp.certify.SCALE`` and rounded
to integers, Y(S) their sum over S's goods); add them, repeat until none is above
:data:`TOLERANCE`.

Pricing is exact and needs no list: a depth-first search over one bid per candidate finds the
largest reduced cost in integers (``ilp.pricing``, which says why).

Why the result is exact (the argument of ``ilp.certify``, for columns never listed). For
integer multipliers Y >= 0 on the rows and any feasible x, with reduced costs d = SCALE c - A^T Y,

    SCALE c.x = Y.A x + d.x <= Y.b + sum over players j of D_j,

where D_j >= 0 bounds the reduced costs player j's chosen columns can add: for a priced or a
single-choice player (at most one column), the largest reduced cost of any of its bundles, or a
threshold the exhaustive search proved it never exceeds; for an OR player, the sum of its
positive reduced costs. So U = (Y.b + sum D_j) // SCALE bounds the optimum, and a column of
player j with reduced cost below SCALE T - (Y.b + sum D_j - D_j) is in no solution worth T or
more. The core of T holds every player's columns at or above that level: for a priced player,
every tuple the search reaches at that level, valued by w(U) (a solution worth T that gives j a
bundle S is still worth T with S replaced by the union of its best bids, whose tuple value is at
least S's reduced cost). The core is then solved by the requested backend as an integer program
(its answer checked by ``ilp.claims``): if its optimum R reaches T, R is the optimum; if not,
nothing reaches T (the bound drops to T - 1). The first core is that of the :data:`CORE_SIZE`
columns of highest reach (its optimum is usually the optimum, proven at once); each next one
holds up to :data:`GROWTH` times as many columns (when the reaches tie at a threshold proven
empty: at most twice the last core, or that grown size if larger), and the last is the core of
one above the best solution known, which settles the program. The floating-point relaxation
only chooses Y; the proof is integer arithmetic.

Cores are solved by the requested backend, except the portfolio's and the clique search's:
``ilp.dualclique``, the clique search bounded at every node by integer duals (:data:`CORE_SOLVERS`):
the master's last multipliers on cores of fewer than ``dualclique.CUT_VERTICES`` columns
(:class:`_Bounded`), the core's own relaxation with cuts on larger ones. With it the first
incumbent is the optimum of the restricted master's columns (:data:`RESTRICTED`), and the
settling core comes first when it holds at most :data:`SETTLE_GROWTH` x GROWTH x CORE_SIZE
columns; when it holds more than :data:`DIVE_CORE` columns, a dive in
the master (:func:`_dive`, priced as it goes) and the best allocation of the master's columns,
with those it added, look for a better incumbent first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from time import monotonic

from ilp import claims, clique, dualclique, native, stopping
from ilp.certify import SCALE
from ilp.compile import AtomsBlock, BlockCache
from ilp.contract import Answer, SolveOptions
from ilp.formulation import Formulation, build
from ilp.pricing import Late, Overflow, Pricer
from ilp.program import Program, Status, Weight, disjoint
from instances.bundles import members
from instances.valuation import Form, Valuation

__all__ = ["CORE_NODES", "CORE_SIZE", "CORE_SOLVERS", "CORE_WORK", "DIVE_CORE", "DIVE_LOOKAHEAD", "GROWTH",
           "LIST_BUDGET", "MORE_CORE_NODES", "Outcome", "PER_ROUND", "PRICE_BIDS", "RESTRICTED", "ROUNDS",
           "SETTLE_GROWTH", "SPARSE_CORE", "TOLERANCE", "applies", "core_program", "solve"]

TOLERANCE = 1e-6
"""Pricing stops when no bundle's reduced cost exceeds this fraction of the largest value: the
relaxation's own optimality tolerance. What is left is counted in the bound (exactly), so the
bound exceeds the relaxation's optimum by at most players x TOLERANCE x the largest value."""
CORE_SIZE = 200
"""Columns of the first core (those of highest reach), as in ``ilp.certify``."""
GROWTH = 8
"""After a core that does not settle the program, the next one holds up to this many times as
many columns. Measured (2026-12-01) on regions 64 / 500 / 10 with 3 candidates, where the first
core often finds the optimum and the settling core holds 600-1,200 columns: with 4, an
intermediate core of 470 columns took CP-SAT 7 s to prove that nothing reaches its threshold,
before the settling core (5 s); with 8 the settling core comes at once. On paths a first core of
37 columns (a too small CORE_SIZE) left a settling core of 3,200 columns, 2 s to list and solve:
the growth keeps that from happening in one step."""
PER_ROUND = 1
"""Columns a player may add per pricing round: with 1, the improving unions the search meets
(often 1 to 3), the best last."""
PRICE_BIDS = 1
"""Bids a single-choice explicit player (MIKW_i's own true valuation) adds per pricing round, of
largest reduced cost above the tolerance, from its best bid (0: all its bids listed at once).
Its reduced costs are a sum per bid, so pricing them is cheap; the master, the restricted core
and the GLOP re-solves then hold the few bids that matter. Measured (2026-12-02 03:58-04:00
UTC, 2 shared cores, load 8-10; the 20 MIEW_i / MIKW_i of a candidates:3 report replayed, min
of 7): paths 64 / 500 / 10 seed 0 0.184 -> 0.171 s, 256 / 2000 / 10 seed 0 0.162 -> 0.146 s,
seed 1 0.329 -> 0.329 s (2,275 columns instead of 4,067, as many re-solves); 3 per round
0.195 / 0.147 / 0.297 s."""
ROUNDS = 300
"""Most pricing rounds; the bound of the last round is valid however many were needed."""
LIST_BUDGET = 500_000
"""Most search nodes for the columns of one core, and for one player's best reaches that choose
its threshold (``Pricer.best``); beyond, the program takes the ordinary path
(``ilp.backends``). Measured on the generated candidate knowledge (64 / 500 / 10, 3 candidates):
the relaxation is within a few units of the optimum on paths (cores of 30-400 unions) and about
10 % above it on regions (settling cores of 600-1,200 minimal unions, a few thousand nodes)."""


CORE_SOLVERS = ("portfolio", "clique")
"""Backends whose cores ``ilp.dualclique`` solves instead (the clique search bounded at every node
by the core relaxation's duals). Measured (2026-12-01, 2 shared cores, load 6-7) on the 36 cores
of regions 64 / 500 / 10 with 3 candidates (seed 0): 8.7 s in all against 24 s for the plain
clique search, and 0.02-0.07 s for each first core (about 180 unions) where the portfolio's
CP-SAT probe took 0.1-0.8 s; the settling cores (500-1,250 unions, graph density 0.34-0.54) in
0.14-1.0 s against 0.34-3.9 s for the clique search and 0.8-9.5 s for the portfolio's CP-SAT."""


CORE_NODES = 200_000
"""Most nodes of the dual-bounded clique search on one core; a core it has not settled by then goes
on to the plain clique search (:data:`CORE_WORK`), the dual-bounded search's second try
(:data:`MORE_CORE_NODES`) and CP-SAT (:class:`_Bounded`), each from the best clique found. The
search is the faster one on the cores it was built for, and the cap leaves them alone: the
largest node counts of whole candidates:3 reports (64 / 500 / 10, seeds 0 and 1, 2026-12-02
session 29) were 30,250 on regions (cores of 1,000-1,450 unions) and 19,745 on paths. On paths
256 / 2000 / 10 as CATS 2.1 builds it, cores of 1,500-4,000 unions of density 0.37 were not
settled in 30 s (2.8-5.0 million nodes, about 170,000 a second); CP-SAT proves the largest
(3,033 unions) in 3.9 s and HiGHS in 11.7 s. A node count, not a time, so that where the search
stops, and so the witness, is the same on every run (and with or without the C module,
``ilp.native``, which takes the same nodes 5-10 times as fast on these cores)."""


CORE_WORK = 30_000_000
"""Work (``ilp.clique.work_units``) of the plain clique search, the colouring bound alone, on a
core that the dual-bounded search has not settled in :data:`CORE_NODES` nodes, before its second
try and CP-SAT (:class:`_Bounded`); the cap of ``ilp.portfolio.CLIQUE_WORK``. On sparse cores
the dual bound is the weaker one. Measured (2026-12-04, one process) on arbitrary 64 / 500 / 10
with 3 candidates, seed 2: 20 of its 60 cores (600-2,400 unions, density 0.07-0.41) went past
the node cap to CP-SAT, 1.2-10.9 s each; the plain search settled each of them in 0.01-0.07 s
(3.4 million units on the largest). On regions and paths the dual-bounded search settles every
core, so nothing changes there."""


MORE_CORE_NODES = 2_000_000
"""Most nodes of the dual-bounded search's second try on a core that neither it (in
:data:`CORE_NODES` nodes) nor the plain search (in :data:`CORE_WORK`) has settled, before CP-SAT
(:class:`_Bounded`). Cores of the uniform distribution (64 / 500 / 10, 5 candidates, seed 0:
2,500-4,200 unions, independent bids of random goods) need 290,000-1,320,000 nodes, about a
second at most in C, where CP-SAT took 24 s each (7 cores, 172 s of a 186 s report; HiGHS and
SCIP 43-50 s on the largest). The cap is what a core that this search does not suit costs
more: about two seconds in C."""


SPARSE_CORE = 0.2
"""The density (``ilp.clique.Graph.density``) below which a core goes to the plain clique search
(:data:`CORE_WORK`) before the dual-bounded one (:class:`_Bounded`): there the dual bound is the
weak one. Measured (2026-12-05, one process) on the cores of candidate reports at 64 / 500 / 10:
arbitrary (3 candidates, seeds 0 and 2) had 33 of 108 cores pass the dual-bounded search's
:data:`CORE_NODES` (0.08-0.17 s each, densities 0.04-0.41; 17 of them below 0.16), each then
settled by the plain search in 0.01-0.04 s; the cores of regions (densities 0.20-0.54), paths
(0.27-0.55), scheduling (0.38-0.76) and decay (0.42-0.73) never passed it, and none is below
this."""


RESTRICTED = True
"""With the dual-bounded clique search for the cores (:data:`CORE_SOLVERS`): start from the best
allocation of the restricted master's own columns (200-280 unions, solved by that search in a few
hundredths of a second), and go to the settling core (one above it) at once when it holds at most
:data:`SETTLE_GROWTH` x GROWTH x CORE_SIZE columns, instead of listing and solving a first core of the
highest reach.
The restricted optimum is 0-5 % below the program's; the first core, which never settled a
regions program, cost one more search over the unions (for the reach) and one more listing.
Measured (2026-12-01, 2 shared cores, load 10-12; 9 programs of regions 64 / 500 / 10 with 3
candidates, seed 0, each solved twice each way, alternately): 46.3 s against 55.5 s."""


SETTLE_GROWTH = 2
"""A settling core of at most this many times GROWTH x CORE_SIZE columns (3,200) is solved at
once after the restricted optimum (:data:`RESTRICTED`); a larger one waits for a first core of
the highest reach (GROWTH x CORE_SIZE columns), which may find a better solution and so a
smaller settling core. When the restricted optimum or the dive's (:func:`_dive`) is already
optimal, that first core is one search more: paths 256 / 2000 / 10 with 3 candidates (seed 2)
solved first cores of 1,076-1,163 columns (about 50 ms each) and then the settling cores of
2,170-2,394 anyway, for two of its MIKW_i. Measured (2026-12-06, one process, ``--jobs 1``, two
runs each way, alternated; whole candidate reports, with 1 and then 2): paths 256 / 2000 / 10
with 3 candidates, seed 2, 0.70-0.73 s -> 0.58-0.60 s; arbitrary 64 / 500 / 10 with 3 candidates,
seed 0, 3.12-3.18 s -> 1.94-1.95 s (settling cores of 1,700-2,400 columns); regions 64 / 500 /
10 with 5 candidates, seed 0, 1.98-2.05 s -> 1.74-1.86 s; regions with 3 candidates (seeds 0
and 2) 2-5 % less; paths 64 / 500 and 128 / 1000 with 5 candidates (seeds 0 and 1) unchanged.
With 3 or 4, no better, and slower where a first core of 1,085 columns found the optimum
under a settling core of 5,329 (paths 256 / 2000 seed 2: 0.71 s with 4)."""

DIVE_LOOKAHEAD = 3
"""Columns tried at each step of the dive (:func:`_dive`): each is fixed in turn, the master
priced again, and the one that leaves the highest relaxation is kept (1: the column of largest
value in the master's point, tried alone; 0: no dive). Measured (2026-12-05, one process) on the
nine programs of paths 256 / 2000 / 10 with 5 candidates (seed 2) that :func:`solve` saw first,
whose restricted optima were 14-1,164 below their bounds (0.1-9.4 %): after the dive and the
search of the master's columns it added (:func:`_restricted` again) they were 14-137 below
with 1 tried (0.03-0.10 s per dive), 4-37 below with 3 (0.11-0.54 s) and 4-31 with 6 (0.24-1.27
s; better than 3 on one program, by 8). On the worst (11,191 under 12,355, the optimum 12,324)
the program took about 15 minutes; with 3, the dive finds 12,318 and the search 12,324, and the
program is proven in 42 s. The dive alone is not monotone in the columns tried (there: 12,198,
12,318 and 12,205 with 1, 3 and 6)."""

DIVE_CORE = 12_800
"""The dive (:func:`_dive`) runs only when the settling core of the restricted optimum holds
more columns than this: smaller cores are settled by the clique searches in about a second. On
arbitrary 64 / 500 / 10 with 3 candidates (seed 0), whose relaxation is about 30 % above the
optima, every program's settling core held 1,700-2,400 unions; diving there (0.12-0.17 s a
program, for allocations well below the restricted optima) took the report from 3.3 s to 5.6 s."""


class _TooMany(Exception):
    """A core holds more columns than asked for."""


@dataclass(frozen=True)
class Outcome:
    """What :func:`solve` proves: the status, an allocation (a bundle per player), the proven
    bound on the optimum, the solver whose cores stand, and why a solver gave no answer."""

    status: Status
    allocation: tuple[int, ...] | None
    bound: int | None
    solver: str = ""
    error: str | None = None


def applies(program: Program, blocks: BlockCache) -> bool:
    """Whether :func:`solve` takes ``program``: the plain maximisation (no fixed goods, lower
    bound, excluded allocation or owner objective), some weight made of covering unions
    (``ilp.compile.union_options``), every other weight compiled to whole bids."""
    if program.minimize_owners or program.min_total is not None or program.avoid is not None:
        return False
    if not program.has_minimum or any(owner is not None for owner in program.fixed):
        return False
    # (the unions first: most programs have none, and looking up every weight's block first
    # cost the 2,001 programs of a 500-player report with lower bounds 0.97 s of CPU, now 0.36 s)
    flags = blocks.priced(program.weights)
    if not any(flags):
        return False
    plain = [w for flag, w in zip(flags, program.weights) if not flag]  # (a priced weight is never compiled)
    return all(isinstance(block, (AtomsBlock, type(None))) for block in blocks.each_block(plain))


class _Master:
    """The restricted relaxation, in OR-Tools' GLOP (already loaded for CP-SAT, and warm-started
    as columns are added: measured 0.5 ms per re-solve at this size, where SciPy's HiGHS costs a
    cold solve and 0.35 s of import). Values are divided by the largest one for the solver's
    tolerances; the duals are scaled back."""

    def __init__(self, top: int) -> None:
        from ortools.linear_solver import pywraplp

        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        # without GLOP's presolve, a re-solve after columns are added starts from the last basis
        # (a presolved model is a new one each time). Measured (2026-12-04, regions 64 / 500 / 10
        # with 3 candidates, seed 1, one process): the masters' 260 re-solves 0.26 -> 0.19 s; the
        # reports 2-15 % faster on regions and paths, the same values (another witness on paths).
        # An OR-Tools without the field would refuse it (False): the same results, slower
        self.solver.SetSolverSpecificParametersAsString("use_preprocessing:false")
        self.infinity = self.solver.infinity()
        self.top = float(top)
        self.objective = self.solver.Objective()
        self.objective.SetMaximization()
        self.goods: dict[int, object] = {}
        self.choice: dict[int, object] = {}
        self.index: dict[object, int] = {}  # ("good", g) or ("player", j): the row's position
        self.columns: list[tuple[int, int, int, object]] = []  # (player, bundle, value, variable)

    def add(self, j: int, bundle: int, value: int, single: bool) -> None:
        x = self.solver.NumVar(0.0, self.infinity if (bundle or single) else 1.0, "")
        for g in members(bundle):
            row = self.goods.get(g)
            if row is None:
                row = self.goods[g] = self.solver.Constraint(-self.infinity, 1.0)
                self.index["good", g] = len(self.index)
            row.SetCoefficient(x, 1.0)
        if single:
            row = self.choice.get(j)
            if row is None:
                row = self.choice[j] = self.solver.Constraint(-self.infinity, 1.0)
                self.index["player", j] = len(self.index)
            row.SetCoefficient(x, 1.0)
        self.objective.SetCoefficient(x, value / self.top)
        self.columns.append((j, bundle, value, x))

    def solve(self) -> bool:
        from ortools.linear_solver import linear_solver_pb2, pywraplp

        if self.solver.Solve() != pywraplp.Solver.OPTIMAL:
            return False
        # the whole solution in one call: reading the duals row by row cost about as much as
        # the re-solve itself (256 / 2000 / 10: 89,525 calls in 5 reports' 20 programs)
        self.solution = linear_solver_pb2.MPSolutionResponse()
        self.solver.FillSolutionResponseProto(self.solution)
        return True

    def multipliers(self, n_goods: int) -> tuple[list[int], dict[int, int]]:
        """Integer multipliers >= 0: SCALE x the duals, rounded (whatever GLOP got right)."""
        scale = self.top * SCALE
        duals = list(self.solution.dual_value)
        cost, own = [0] * n_goods, {}
        for (kind, key), row in self.index.items():
            y = duals[row] * scale
            y = int(round(y)) if y > 0 and y == y and y != float("inf") else 0
            if kind == "good":
                cost[key] = y
            else:
                own[key] = y
        return cost, own

    def primal(self) -> list[float]:
        """The last solve's values of the columns (0 for columns added since)."""
        values = list(self.solution.variable_value)
        return values + [0.0] * (len(self.columns) - len(values))


@dataclass
class _Priced:
    """The column generation run to its end (module docstring, "How"): the master and the integer
    multipliers of the last round priced to its end (of none, zeros: :func:`_price`), the D_j of
    every player (``ceiling``), the explicit players' reduced costs bid by bid, and ``total`` =
    Y.b + sum D_j (the bound times SCALE, before flooring)."""

    pricers: dict[int, Pricer]
    explicit: dict[int, AtomsBlock]
    master: _Master
    cost: list[int]
    own: dict[int, int]
    ceiling: dict[int, int]
    reduced: dict[int, list[int]]
    total: int

    def core_of(self, threshold: int, limit: int | None = None) -> dict[int, list[tuple[int, int]]]:
        """Every column that a solution worth ``threshold`` or more may use (module docstring),
        the priced players' as minimal unions; :class:`_TooMany` as soon as they are found to be
        more than ``limit``, or when a listing under a ``limit`` goes over :data:`LIST_BUDGET`
        (only whether the core fits was asked), :class:`Overflow` when one without a limit
        does. Before, an overflow under a limit made :func:`solve` give the program up to the
        ordinary path, where the same listing under a smaller limit had said "too many" in time."""
        core, count = {}, 0
        total, ceiling = self.total, self.ceiling
        for j, pricer in self.pricers.items():
            level = SCALE * threshold - (total - ceiling[j])
            # a union that a smaller bundle matches is never needed: that bundle's own union is
            # in the core too (its reduced cost is no lower) and replaces it in any solution. The
            # walk leaves most out (minimal=True), C all: on decay 64 / 500 / 10 with 5
            # candidates, 56 cores listed about a million distinct unions per player for a few
            # hundred kept, and carrying them to Python, deduplicating and sorting them there took
            # 150 s of the report's 170 (under cProfile); now 0.25 s of listing in all
            try:
                unions = pricer.walk(self.cost, self.own.get(j, 0), level - 1, budget=LIST_BUDGET, minimal=True)
            except Overflow:
                if limit is None:
                    raise
                raise _TooMany from None
            core[j] = list(pricer.search.minimal_of(list(unions)))
            count += len(core[j])
            if limit is not None and count > limit:
                raise _TooMany
        for j, block in self.explicit.items():
            core[j] = [atom for atom, d in zip(block.atoms, self.reduced[j])
                       if d >= SCALE * threshold - (total - (ceiling[j] if block.single else max(d, 0)))]
        return core


def _best_bids(atoms: tuple[tuple[int, int], ...], goods: list[tuple[int, ...]], cost: list[int], own: int,
               count: int) -> list[tuple[int, int]]:
    """The ``count`` bids of a single-choice explicit player of largest reduced cost SCALE v -
    Y(bundle) - ``own`` (``goods``: each bid's goods), as (reduced cost, -index), the largest
    last (ties: the first bid)."""
    return sorted((SCALE * atoms[a][1] - sum(cost[g] for g in gs) - own, -a) for a, gs in enumerate(goods))[-count:]


def _price(program: Program, options: SolveOptions, hint: tuple[int, ...] | None,
           start: float) -> tuple[_Priced, tuple[int, ...] | None] | None:
    """The pricing rounds of :func:`solve` (module docstring, "How"), from the best union of
    each priced player and the bundles of ``hint`` (a starting allocation, kept when its bundles
    are disjoint: returned as used), until no column improves, :data:`ROUNDS` rounds or
    ``options.time_limit`` seconds since ``start`` (or a stop request, ``ilp.stopping``); None
    when GLOP fails.

    A walk that passes the time limit stops at once (:class:`Late`), and the rounds end with the
    last round whose walks all ended: its multipliers and D_j bound the optimum. Before any, the
    multipliers are 0 and D_j is SCALE times player j's highest value (``Pricer.upper``), which
    bounds every union's reduced cost. Without that clock a single walk in Python, over 1,500
    candidates of 50 bids each about one player, had not ended 300 s into a report limited to 5 s
    a program; in C the report took 15 s."""
    stop = stopping.current()
    blocks = options.blocks
    n_goods = program.n_goods
    pricers: dict[int, Pricer] = {}
    explicit: dict[int, AtomsBlock] = {}
    for j, w in enumerate(program.weights):
        search = blocks.search(w)
        if search is not None:
            pricers[j] = Pricer.of(search, blocks)
        elif (block := blocks.block(w)) is not None:
            explicit[j] = block
    top = max([p.upper for p in pricers.values()] + [v for b in explicit.values() for _, v in b.atoms])
    master = _Master(top)
    listed: dict[int, set[int]] = {j: set() for j in pricers}

    def add(j: int, union: int) -> None:
        if union not in listed[j]:
            listed[j].add(union)
            master.add(j, union, pricers[j].search.weight(union), True)

    # a single-choice explicit player's bids are priced too (PRICE_BIDS): its best bid first,
    # then each round the bid of largest reduced cost when it is above the tolerance
    bid_goods = {j: [tuple(members(b)) for b, _ in block.atoms] for j, block in explicit.items()
                 if PRICE_BIDS and block.single}
    listed_bids: dict[int, set[int]] = {j: set() for j in bid_goods}

    def add_bid(j: int, a: int) -> bool:
        if a in listed_bids[j]:
            return False
        listed_bids[j].add(a)
        master.add(j, *explicit[j].atoms[a], True)
        return True

    for j, block in explicit.items():
        if j in bid_goods:
            add_bid(j, max(range(len(block.atoms)), key=lambda a: (block.atoms[a][1], -a)))
            continue
        for bundle, value in block.atoms:
            master.add(j, bundle, value, block.single)
    zero = [0] * n_goods
    deadline = None if options.time_limit is None else start + options.time_limit
    # (multipliers, D_j) of the last round priced to its end; before any, a valid bound too
    priced_last = ([0] * n_goods, {}, {j: SCALE * pricer.upper for j, pricer in pricers.items()})
    late = False
    try:
        for j, pricer in pricers.items():
            for union in pricer.walk(zero, 0, 0, keep=1, deadline=deadline):
                add(j, union)
    except Late:
        late = True
    if hint is not None:  # a starting allocation: only its bundles of players who count, if disjoint
        hint = tuple(b if w is not None else 0 for b, w in zip(hint, program.weights))
        if len(hint) != len(program.weights) or not disjoint(hint):
            hint = None
    if hint is not None:
        for j in pricers:
            if hint[j] and pricers[j].search.weight(hint[j]) > 0:
                add(j, hint[j])
        for j, goods in bid_goods.items():  # the hint's bid: its best one inside the bundle
            inside = [(v, -a) for a, (b, v) in enumerate(explicit[j].atoms) if b and b & ~hint[j] == 0]
            if inside:
                add_bid(j, -max(inside)[1])
    tolerance = int(SCALE * top * TOLERANCE)
    rounds = 0
    while True:
        if not master.solve():
            return None
        if late:
            cost, own, ceiling = priced_last
            break
        cost, own = master.multipliers(n_goods)
        rounds += 1
        # D_j of the module docstring, for this round's multipliers
        ceiling: dict[int, int] = {}
        added = 0
        try:
            for j, pricer in pricers.items():
                found, tie = pricer._walk(cost, own.get(j, 0), tolerance, PER_ROUND, None, deadline=deadline)
                # the largest reduced cost (D_j): with PER_ROUND of 2 or more the walk may have
                # dropped the best unions as ties (Pricer.best), worth the tie then
                ceiling[j] = max(found.values(), default=tolerance if tie is None else tie)
                for union in found:
                    if union not in listed[j]:
                        add(j, union)
                        added += 1
        except Late:
            cost, own, ceiling = priced_last
            break
        priced_last = (cost, own, ceiling)
        for j, goods in bid_goods.items():
            for d, a in _best_bids(explicit[j].atoms, goods, cost, own.get(j, 0), PRICE_BIDS):
                if d > tolerance and add_bid(j, -a):
                    added += 1
        timed_out = (options.time_limit is not None and monotonic() - start > options.time_limit
                     or stop is not None and stop.requested)
        if not added or rounds >= ROUNDS or timed_out:
            break
    reduced: dict[int, list[int]] = {}  # the explicit players' reduced costs, bid by bid
    for j, block in explicit.items():
        y = own.get(j, 0) if block.single else 0
        reduced[j] = [SCALE * v - sum(cost[g] for g in members(b)) - y for b, v in block.atoms]
        positive = [d for d in reduced[j] if d > 0]
        ceiling[j] = (max(positive, default=0) if block.single else sum(positive))
    total = sum(cost) + sum(own.values()) + sum(ceiling.values())
    return _Priced(pricers, explicit, master, cost, own, ceiling, reduced, total), hint


def solve(program: Program, module, options: SolveOptions, hint: tuple[int, ...] | None,
          solve_core: Callable[[Formulation, object, SolveOptions, list[int] | None], Answer]) -> Outcome | None:
    """Solve an :func:`applies` program (module docstring); ``solve_core(formulation, module,
    options, start)`` returns the checked answer of ``module`` to a core. None when the
    relaxation cannot be solved or a core is too large to list: the caller solves the program
    its ordinary way."""
    start = monotonic()
    priced = _price(program, options, hint, start)
    if priced is None:
        return None
    priced, hint = priced
    pricers, explicit, master = priced.pricers, priced.explicit, priced.master
    cost, own, ceiling, reduced, total = priced.cost, priced.own, priced.ceiling, priced.reduced, priced.total
    bound = total // SCALE
    core_of = priced.core_of
    allocation = _greedy(program, master)
    best = program.total(allocation)
    if hint is not None and program.total(hint) > best:
        allocation, best = hint, program.total(hint)
    solver = getattr(module, "NAME", "")
    # the portfolio's or the clique search's cores go to the dual-bounded clique search (see
    # CORE_SOLVERS); a backend asked for by name solves them itself
    core_module = dualclique if solver in CORE_SOLVERS else module

    stop = stopping.current()  # (on a thread beside a batch: asked to stop when the batch ends early)

    def left() -> float | None:
        if stop is not None and stop.requested:
            return 0.0  # as out of time: what it returns is dropped
        return None if options.time_limit is None else options.time_limit - (monotonic() - start)

    if core_module is dualclique:
        core_module = _Bounded(cost, own, master)
    size, previous, core, settle, last, dive = CORE_SIZE, None, None, False, 0, False
    if RESTRICTED and isinstance(core_module, _Bounded) and best < bound and (left() is None or left() > 0):
        allocation, best = _restricted(program, master, allocation, best, replace(options, time_limit=left()),
                                       core_module)
        size, settle, dive = GROWTH * CORE_SIZE, True, DIVE_LOOKAHEAD > 0
    while True:
        if best >= bound:
            return Outcome(Status.OPTIMAL, allocation, best, solver)
        if left() is not None and left() <= 0:
            return Outcome(Status.FEASIBLE, allocation, bound, solver)
        # The first core is that of the `size` columns of highest reach (the highest threshold
        # whose core holds them), as ilp.certify: its optimum is usually the program's (then
        # proven at once) or close to it. When it is not, the settling core (one above the best
        # solution) if it holds at most GROWTH times as many columns, else the core of GROWTH
        # times as many: a poor first solution never makes one huge core at once. When the
        # reaches give no threshold below the last (proven empty), the threshold descends by
        # bisection to a core of at most twice the last, or the grown size (_lowest_fitting).
        try:
            if previous is None and not settle:
                raise _TooMany
            threshold = best + 1
            fits = SETTLE_GROWTH * size if settle else size
            # (one listing says both whether the settling core fits and whether to dive)
            core = core_of(threshold, limit=max(fits, DIVE_CORE) if dive else fits)
            if sum(map(len, core.values())) > fits:
                dive = False
                raise _TooMany
        except _TooMany:
            if dive:
                # the settling core of the restricted optimum is huge: a better incumbent first,
                # then that core again (_dive)
                dive = False
                found = _dive(program, priced, DIVE_LOOKAHEAD, left)
                if found is not None:
                    if program.total(found) > best:
                        allocation, best = found, program.total(found)
                    if best < bound and (left() is None or left() > 0):
                        # the master's columns with those the dive priced often hold a better one
                        allocation, best = _restricted(program, master, allocation, best,
                                                       replace(options, time_limit=left()), core_module)
                    continue
            threshold = best + 1
            reach = []
            # a share of `size` per player (twice its even share) only to choose the threshold:
            # core_of lists every column at or above it, however many there are. Only reaches
            # above the best solution known matter (the threshold is at least best + 1), so the
            # searches start there. They run in C (ilp.native.walk): in Python, from reach 0 on,
            # they took 12 of the 14 s of regions 64 / 500 / 10 with 5 candidates (2026-12-04)
            keep = max(10, 2 * size // len(pricers)) if pricers else 0
            for j, pricer in pricers.items():
                rest = total - ceiling[j]
                level = SCALE * threshold - rest
                try:
                    reach += [(rest + d) // SCALE for d in pricer.best(cost, own.get(j, 0), level - 1, keep, LIST_BUDGET)]
                except Overflow:
                    return None
            for j, block in explicit.items():
                rest = total - (ceiling[j] if block.single else 0)
                reach += [(rest + d - (0 if block.single else max(d, 0))) // SCALE for d in reduced[j]]
            reach.sort(reverse=True)
            if len(reach) > size:
                threshold = max(threshold, reach[size - 1])
            if previous is not None and threshold >= previous:
                # no progress (the reaches tie at or above the last threshold, which nothing
                # reaches): the lowest threshold below it whose core holds at most twice as
                # many columns as the last core (or the grown size), the settling core if it does
                threshold, core = _lowest_fitting(core_of, best + 1, previous - 1, max(size, 2 * last), left)
                if left() is not None and left() <= 0:
                    return Outcome(Status.FEASIBLE, allocation, bound, solver)
            else:
                core = None
            try:
                core = core if core is not None else core_of(threshold)
            except Overflow:
                return None
        except Overflow:
            return None
        previous, size, settle, dive = threshold, GROWTH * size, False, False
        last = sum(map(len, core.values()))
        given = [None] * len(program.weights)
        for j, atoms in core.items():
            if atoms:
                single = explicit[j].single if j in explicit else True
                given[j] = AtomsBlock(single, tuple(sorted(set(atoms))), unions=j in pricers)
        formulation = build(program, given=given)
        # only a solution better than the incumbent is of use (ilp.formulation.ILP.floor): the
        # answer is then the core's optimum when it beats the incumbent; otherwise it may be
        # INFEASIBLE (from a backend that takes the floor), which says as much as that optimum
        # would (nothing reaches the threshold). A
        # floor at the threshold itself proves that more quickly, but loses the better incumbent
        # a core finds below it, and the settling core grows. Measured (2026-12-03, one process):
        # the 20 MIEW_i / MIKW_i of regions 64 / 500 / 10 with 3 candidates (seed 0, --solver
        # cpsat) 146 s with the floor at the threshold, 40.1 s with none, 34.7 s with this one;
        # MIKW_7 of paths 256 / 2000 / 10 with 3 candidates (seed 0, the portfolio's cores) 35-37 s,
        # 50-57 s and 30-38 s (docs/performance.md, "Session 34")
        formulation = replace(formulation, ilp=replace(formulation.ilp, floor=best + 1))
        # the clock again: listing the core may have used up what was left, and a negative
        # limit is an error to SCIP and an invalid model to CP-SAT, not "no time"
        remaining = left()
        if remaining is not None and remaining <= 0:
            return Outcome(Status.FEASIBLE, allocation, bound, solver)
        answer = solve_core(formulation, core_module, replace(options, time_limit=remaining),
                            formulation.encode(allocation))
        solver = answer.solver or solver
        found = None
        if answer.values is not None:
            found = claims.objective(formulation.ilp, answer.values)
            if found > best:
                allocation, best = formulation.decode(answer.values), found
        if answer.status not in (Status.OPTIMAL, Status.INFEASIBLE):
            return Outcome(Status.FEASIBLE, allocation, bound, solver, answer.error)
        if found is not None and found >= threshold:
            bound = found  # a better solution would use core columns only
        else:
            bound = threshold - 1  # nothing in the core reaches the threshold, so nothing does


def _lowest_fitting(core_of: Callable[..., dict], low: int, high: int, limit: int,
                    left: Callable[[], float | None] = lambda: None) -> tuple[int, dict | None]:
    """The lowest threshold from ``low`` to ``high`` whose core (``core_of``) holds at most
    ``limit`` columns, by bisection (cores shrink as the threshold rises; a listing that goes
    over :data:`LIST_BUDGET` holds too many); ``high`` when none does. When the time ``left``
    runs out, the lowest threshold known to fit so far (or ``high``). With it, that threshold's
    core when the bisection listed it whole (None: list it), so it is not listed twice.

    Why: on paths 256 / 2000 / 10 with 5 candidates (seed 2) the relaxation's bound was 12,355,
    the first solution 12,256, and after the core of the 14,403 unions of reach 12,355 proved
    nothing reaches it, the settling core held 193,932 unions (too many for any solver here);
    the core of 12,352 (22,530 unions) holds a solution worth 12,343, the optimum."""

    listed: dict[int, dict] = {}  # the cores that fit, by threshold

    def fits(threshold: int) -> bool:
        try:
            listed[threshold] = core_of(threshold, limit=limit)
        except _TooMany:  # (a listing past LIST_BUDGET too: more columns than any limit)
            return False
        return True

    if fits(low):
        return low, listed[low]
    while high - low > 1 and (left() is None or left() > 0):  # low's core holds too many; high's may
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle
    return high, listed.get(high)


def core_program(program: Program, optimum: int,
                 options: SolveOptions) -> tuple[Program, tuple[list[int], dict[int, int]]] | None:
    """``program`` with the guaranteed value of each priced player replaced by the XOR valuation
    of its core of ``optimum`` (its minimal covering unions that an allocation worth ``optimum``
    may use, each at its guaranteed value), for ``ilp.lex`` to order the optima of a program
    too large to formulate whole (the canonical witnesses of a candidate report); None when the
    relaxation cannot be solved or a listing goes over :data:`LIST_BUDGET`.

    Given that ``optimum`` is the optimum of ``program``, the two programs have the same optimum
    and the same lexicographically first optimal allocation (seed 002 Lemma 3's omega*, owner
    vectors as ``ilp.program.owner_code``). The core program values a bundle at the largest
    guaranteed value of a core union inside it, which ``program`` gives that union: so its
    optimum is at most ``optimum``, and its first optimum is made of whole core unions
    (replacing a bundle by its union keeps the value and gives the goods dropped to nobody), an
    allocation worth as much under ``program``. Conversely let A be the first optimal allocation
    of ``program``. No bundle A_j can lose a good and keep its value (that good would go to
    nobody, and A would not come first), so no strictly smaller bundle is worth as much and
    ``minimal_of`` keeps A_j; the pricing search reaches it (the first bid inside A_j of each
    candidate, whose union is A_j itself, or an EXACT option's own bundle), at or above the
    core's level, or A would be worth less than ``optimum`` (module docstring, "Why the result
    is exact"). So A is an allocation of the core program worth ``optimum``, and comes first
    there too.

    Parameters
    ----------
    program : Program
        An :func:`applies` program.
    optimum : int
        Its proven optimum.
    options : SolveOptions
        The options of the solve (their ``blocks``, their time limit for the pricing rounds).

    Returns
    -------
    (Program, (list of int, dict)) or None
        The core program: the same goods, players and explicit weights, a priced player with an
        empty core left out (None), as no optimal allocation gives it anything worth having.
        With it the integer multipliers of the pricing (:class:`_Priced`), ``(cost, own)`` (of
        "good g at most once", by good, and "player j at most one bundle", by player), which bound it too
        (``ilp.dualclique.optima``'s ``duals``).
    """
    priced = _price(program, options, None, monotonic())
    if priced is None:
        return None
    priced = priced[0]
    try:
        core = priced.core_of(optimum)
    except Overflow:
        return None
    weights = list(program.weights)
    for j in priced.pricers:
        unions = tuple((union, value) for union, value in core[j] if value > 0)
        weights[j] = Weight.of(Valuation(Form.XOR, unions)) if unions else None
    return replace(program, weights=tuple(weights)), (priced.cost, priced.own)


class _Bounded:
    """``ilp.dualclique`` as the backend of the cores, bounded by the master's integer
    multipliers (``dualclique.run``'s ``duals``) instead of each core's own relaxation: one GLOP
    model and solve fewer per core. They are the restricted relaxation's optimal duals; on a
    core, within the pricing tolerance of the configuration LP's, and a core's relaxation is at
    most that LP. Measured (2026-12-02 03:40 UTC, 2 shared cores, load 2-3, the 14-22 cores of a
    candidates:3 report of paths 64 / 500 / 10, each searched alone): the core's own relaxation
    took about 1.5 ms a core (1.7 ms of it loading the model), more than most searches.

    Cores of ``dualclique.CUT_VERTICES`` columns or more are bounded by their own relaxation
    with subset-row cuts instead. When the core holds every column of the master's last point
    (the master's columns that point uses), the cuts are separated there: that point is optimal
    for the configuration LP when pricing ends with no improving column (within its tolerance;
    after :data:`ROUNDS` rounds or the time limit, only for the restricted master, and the cuts
    may then be weaker), so for the core's relaxation too, which is then solved once, with its
    cuts, instead of once more before them.
    Any point gives valid cuts, but a core may lack some of those columns (five of the eight
    cores of paths 256 / 2000 / 10 with 3 candidates, seed 2, held 47-80 % of the point's
    mass) and such a core solves its relaxation first, as before: cut at the part of the point
    it holds, that report took 1.6 s instead of 0.8 s. Measured (2026-12-04, regions 64 / 500
    / 10 with 3 candidates, seed 0, one process): 25 GLOP solves of the cores instead of 36,
    0.27 s instead of 0.39 s; the searches' nodes 0.6-0.7 % more on seeds 0 and 2; on paths the
    same nodes; the same JSON."""

    NAME = dualclique.NAME
    EXACT = dualclique.EXACT

    def __init__(self, cost: list[int], own: dict[int, int], master: _Master | None = None) -> None:
        self.duals = (cost, own)
        self.point: dict[tuple[int, int], float] = {}
        if master is not None:
            for (j, bundle, _, _), x in zip(master.columns, master.primal()):
                if x > 0:
                    self.point[j, bundle] = self.point.get((j, bundle), 0.0) + x

    def _primal(self, formulation: Formulation) -> list[float] | None:
        """The master's last point on the core's columns, when the core holds every column
        it uses (else None: the core's relaxation is solved first, as before)."""
        if not self.point:
            return None
        values = [0.0] * len(formulation.ilp.names)
        found = 0
        for j, (block, weight) in enumerate(zip(formulation.blocks, formulation.weight)):
            if isinstance(block, AtomsBlock):
                for k, (bundle, _) in zip(weight, block.atoms):
                    if (j, bundle) in self.point:
                        values[k] = self.point[j, bundle]
                        found += 1
        return values if found == len(self.point) else None

    def run(self, formulation: Formulation, options: SolveOptions, hint: list[int] | None = None) -> Answer:
        """The dual-bounded clique search; when it stops at :data:`CORE_NODES` nodes with time
        left, the plain clique search up to :data:`CORE_WORK`, the dual-bounded search again up
        to :data:`MORE_CORE_NODES`, then CP-SAT, each from the best clique found before. On a
        core whose graph is sparser than :data:`SPARSE_CORE` the plain search goes first. The
        graph is built once for them all. A stopped search's bound is not worked out
        (:func:`solve` reads only whether a core was settled): colouring the whole graph for it
        took 4.3 s of the 9.6 s of arbitrary 64 / 500 / 10 with 3 candidates (seed 0, under
        cProfile), on 12 cores that went on.

        A core of more than ``clique.MAX_VERTICES`` columns goes to CP-SAT alone
        (:func:`_cpsat_apart`): its graph would take n^2 / 8 bytes before any search (on paths
        256 / 2000 / 10 with 5 candidates, seed 2, a settling core of 193,932 unions took 9.5 GB
        and sat for minutes in one colouring, past a 30 s limit)."""
        start = monotonic()

        def left() -> float | None:
            return None if options.time_limit is None else options.time_limit - (monotonic() - start)

        if len(formulation.ilp.names) > clique.MAX_VERTICES:
            return _cpsat_apart(formulation, options, hint)
        primal = self._primal(formulation)
        g = clique.graph(formulation.ilp) if clique.applies(formulation.ilp) else None
        if g is None:  # (not set packing: dualclique.run routes it, as it says)
            stages: tuple[str, ...] = ("dual", "cpsat")
        elif g.density < SPARSE_CORE:
            stages = ("clique", "dual", "more", "cpsat")
        else:
            stages = ("dual", "clique", "more", "cpsat")
        answer = None
        for stage in stages:
            if answer is not None:
                if answer.status is Status.OPTIMAL or answer.status is Status.INFEASIBLE:
                    return answer
                remaining = left()
                if remaining is not None and remaining <= 0:
                    return answer  # the clock stopped it, not the cap
            limited = replace(options, time_limit=left())
            start_from = hint if answer is None else answer.values or hint
            if stage == "clique":
                answer = clique.solve_graph(formulation, g, limited, start_from, work=CORE_WORK, bound=False)
            elif stage in ("dual", "more"):
                nodes = CORE_NODES if stage == "dual" else MORE_CORE_NODES
                answer = dualclique.run(formulation, limited, start_from, self.duals, max_nodes=nodes,
                                        graph=g, primal=primal, colouring=False)
            else:
                from ilp import cpsat

                answer = cpsat.run(formulation, limited, start_from)
        return answer


def _cpsat_apart(formulation: Formulation, options: SolveOptions, hint: list[int] | None) -> Answer:
    """CP-SAT's answer to a core too large for a graph (:meth:`_Bounded.run`): with a time limit,
    in a worker process of its own, stopped ``ilp.workers.OVERRUN`` seconds past the limit (then
    unproven; ``ilp.cpsat.run_apart``): its presolve's clique merging does not look at the clock,
    and on that core of 193,932 unions it returned after 139 s under a limit of 60 s (1 GB). That
    merging is now off on cores so large (``ilp.cpsat.MERGE_LITERALS``); the worker still guards
    against the rest of the presolve."""
    from ilp import cpsat

    return cpsat.run_apart(formulation, options, hint)


def _restricted(program: Program, master: _Master, allocation: tuple[int, ...], best: int,
                options: SolveOptions, core_module: _Bounded) -> tuple[tuple[int, ...], int]:
    """The best allocation of the restricted master's columns (an incumbent, proven nothing)."""
    columns: dict[int, set[tuple[int, int]]] = {}
    for j, bundle, value, _ in master.columns:
        if value > 0:
            columns.setdefault(j, set()).add((bundle, value))
    given = [None] * len(program.weights)
    for j, atoms in columns.items():
        given[j] = AtomsBlock(j in master.choice, tuple(sorted(atoms)))
    formulation = build(program, given=given)
    answer = core_module.run(formulation, options, formulation.encode(allocation))
    if answer.values is not None:
        found = formulation.decode(answer.values)
        # the only check of this answer: it comes from ``core_module.run`` directly, not through
        # ``ilp.backends`` (whose checks every other answer passes); an incumbent only, never a proof
        if disjoint(found) and program.total(found) > best:
            return found, program.total(found)
    return allocation, best


def _dive(program: Program, priced: _Priced, lookahead: int,
          left: Callable[[], float | None] = lambda: None) -> tuple[int, ...] | None:
    """A feasible allocation by diving in the configuration LP (an incumbent, proven nothing):
    price the master to its optimum, fix at 1 the column of largest value in the master's point
    (of the ``lookahead`` largest, the one that leaves the highest relaxation once fixed and
    priced again), price again over the goods and players left, and so on until the point is
    integral. Pricing during the dive makes a taken good cost more than any bundle is worth
    (``SCALE`` x the largest value, plus one) and leaves out a single-choice player with a fixed
    column. The columns the dive adds stay in the master; its lower bounds and last solution are
    restored at the end, and the multipliers of the bound (``priced``) are not touched. When the
    time ``left`` runs out, the columns fixed so far. None when GLOP fails, or when the blocked
    goods' costs could overflow the C walk's 64-bit sums (the Python walk would be too slow).

    Why: the restricted master's own optimum (:func:`_restricted`) can be far below the bound,
    and then the core of one above it is huge. On paths 256 / 2000 / 10 with 5 candidates (seed
    2) one program's restricted optimum was 11,191 under a bound of 12,355; from there the
    descent went through cores of 8,000-100,000 unions for 15 minutes. The dive (lookahead 3)
    finds 12,318 in half a second (:data:`DIVE_LOOKAHEAD`)."""
    master = priced.master
    n_goods = program.n_goods
    tolerance = int(SCALE * master.top * TOLERANCE)
    blocked = SCALE * int(master.top) + 1
    # (every good blocked, plus the duals, the value and the floor, each at most `blocked`)
    if native.available() and blocked * (n_goods + len(program.weights) + 3) >= native.LIMIT:
        return None
    listed = {(j, bundle) for j, bundle, _, _ in master.columns}
    bid_goods = {j: [tuple(members(b)) for b, _ in block.atoms] for j, block in priced.explicit.items()
                 if block.single and block.atoms}
    fixed: list[int] = []
    chosen: set[int] = set()  # single-choice players with a fixed column
    taken = 0

    def out_of_time() -> bool:
        remaining = left()
        return remaining is not None and remaining <= 0

    def add(j: int, bundle: int, value: int) -> bool:
        if (j, bundle) in listed:
            return False
        listed.add((j, bundle))
        master.add(j, bundle, value, True)
        return True

    def reprice() -> float | None:
        """The master's optimum (in units of ``master.top``) after pricing to the end, or as far
        as the time allows; None when GLOP fails."""
        for _ in range(ROUNDS):
            if not master.solve():
                return None
            if out_of_time():
                break
            cost, own = master.multipliers(n_goods)
            for g in members(taken):
                cost[g] = blocked
            added = False
            remaining = left()
            deadline = None if remaining is None else monotonic() + remaining
            try:
                for j, pricer in priced.pricers.items():
                    if j not in chosen:
                        for union in pricer.walk(cost, own.get(j, 0), tolerance, keep=PER_ROUND, deadline=deadline):
                            added |= add(j, union, pricer.search.weight(union))
            except Late:  # (the dive's relaxation guides a heuristic: priced as far as the time allows)
                break
            for j, goods in bid_goods.items():
                if j not in chosen:
                    (d, a), = _best_bids(priced.explicit[j].atoms, goods, cost, own.get(j, 0), 1)
                    if d > tolerance:
                        added |= add(j, *priced.explicit[j].atoms[-a])
            if not added:
                break
        return master.solution.objective_value

    def fix(a: int, on: bool) -> None:
        nonlocal taken
        j, bundle, _, x = master.columns[a]
        x.SetLb(1.0 if on else 0.0)
        if on:
            fixed.append(a)
            taken |= bundle
            if j in master.choice:
                chosen.add(j)
        else:
            fixed.remove(a)
            taken &= ~bundle
            chosen.discard(j)

    def fits(a: int) -> bool:
        j, bundle, value, _ = master.columns[a]
        return value > 0 and a not in fixed and j not in chosen and not bundle & taken

    solution = getattr(master, "solution", None)
    try:
        while not out_of_time():
            if reprice() is None:
                return None
            primal = master.primal()
            free = [a for a in range(len(master.columns)) if primal[a] > 1e-9 and fits(a)]
            if not free:
                break
            if all(primal[a] > 1 - 1e-9 for a in free):  # integral: its columns, checked one by one
                for a in free:
                    if fits(a):
                        fix(a, True)
                break
            free.sort(key=lambda a: (-primal[a], -master.columns[a][2], a))
            pick, high = free[0], None
            if lookahead > 1:
                for a in free[:lookahead]:
                    if out_of_time():
                        break
                    fix(a, True)
                    value = reprice()
                    fix(a, False)
                    if value is not None and (high is None or value > high + 1e-9):
                        pick, high = a, value
            fix(pick, True)
    finally:
        for a in fixed:
            master.columns[a][3].SetLb(0.0)
        if solution is not None:
            master.solution = solution
    allocation = [0] * len(program.weights)
    for a in fixed:
        allocation[master.columns[a][0]] |= master.columns[a][1]
    return tuple(allocation)


def _greedy(program: Program, master: _Master) -> tuple[int, ...]:
    """A feasible allocation: columns by decreasing relaxation value, then value, each taken
    when its goods are free and (single-choice) its player has nothing yet; an OR player's
    bundle is the union of its bids taken."""
    primal = master.primal()
    order = sorted(range(len(master.columns)),
                   key=lambda a: (-round(primal[a], 6), -master.columns[a][2], a))
    allocation = [0] * len(program.weights)
    taken, held = set(), 0
    for a in order:
        j, bundle, value, _ = master.columns[a]
        if value <= 0 or bundle & held or j in taken:
            continue
        allocation[j] |= bundle
        held |= bundle
        if master.choice.get(j) is not None:
            taken.add(j)
    return tuple(allocation)
