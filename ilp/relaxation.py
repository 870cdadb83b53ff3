"""Settle a plain set-packing program by its linear relaxation, before any integer search.

Which programs. Plain winner determination (``ilp.clique.applies``: binaries, every row "a sum
of variables is at most 1") that the portfolio does not hand to the clique search: bids of few
goods whose compatibility graph is dense, as CATS "paths".

Why. On such bids the linear relaxation is integral or nearly so, and the integer solvers spend
most of their time building and presolving a model whose relaxation already says everything.
Measured (2026-12-01, 2 cores shared with other jobs, load average 11-12, paths 64 / 500 / 10,
the 31 programs of a report: MSW, every MIKW_i, MIEW_i and MSW_{-i}, in one process): with
``noisy-lower:0.6`` (seed 0) the relaxation's integer bound is the optimum for 28 of them and the
other 3 are settled by a core of 19-70 columns; with ``wrong:0.3`` (seed 1) the bound is the
optimum for all 31. CP-SAT took 2.8 s and 3.4 s for the 31 programs (model building included),
this module 0.8 s. Every report gains; knowledge reports most in seconds, since lower-bound
knowledge makes a report solve about three times as many programs as exact knowledge (MIKW_i
and MIEW_i of every player besides MSW and MSW_{-i}), all of this kind.

How, exactly (no floating-point claim is trusted; the argument of ``ilp.certify``). For integer
row multipliers Y >= 0 (GLOP's duals scaled by ``ilp.certify.SCALE`` and rounded, whatever GLOP
got right or wrong) and reduced costs d = SCALE c - A^T Y, every feasible x in [0, 1] satisfies
SCALE c.x <= Y.b + sum of max(d_a, 0), so U = (Y.b + sum max(d, 0)) // SCALE bounds the optimum.
A greedy rounding of the relaxation (columns by decreasing relaxation value) is a packing; when
it is worth U it is optimal. Otherwise every solution better than it uses only columns whose
reach (Y.b + sum max(d, 0) + min(d_a, 0)) // SCALE is above its value (reduced-cost fixing): that
core, solved, settles the program; a large core (above :data:`CORE_SHARE`) means the relaxation
is weak (CATS "regions") and the program goes its ordinary way, the rounding as its warm start.
A core of at most :data:`FIRST_CORE` columns is solved here by the clique search of
``ilp.dualclique``, bounded by the same multipliers Y (valid on any subset of the columns) and
above the incumbent: about a millisecond on paths, where CP-SAT took 2-8 ms, mostly building its
model (a search not proven within :data:`SEARCH_NODES` nodes hands the core on); a larger one goes
to the requested backend, after the same search when it runs in C (``ilp.native``): on the
lower-bound and wrong-knowledge reports of paths 64 / 500 / 10, seeds 0-2, the 7 programs whose
core was larger (up to :data:`CORE_SHARE`) were all settled by it, where CP-SAT took 5-10 ms each
(2026-12-04; the same JSON).

Two cores when the first would be large. The rounding can be far from the optimum where the
relaxation is half-integral (odd cycles of bids at 1/2, as lowered or wrong values make them on
paths), and the core of "better than the rounding" is then large although the relaxation is
tight. So when that core has more than :data:`FIRST_CORE` columns, the FIRST_CORE columns of
highest reach are solved first, the threshold T being the next column's reach plus one: a best
packing of them worth T or more is optimal (a better one reaches above T, so it is made of these
columns), and otherwise it is a better incumbent for the ordinary core. Measured (2026-12-01, 2
shared cores; the 67 programs of 20 knowledge reports on paths 64 / 500 / 10, noisy-lower:0.6 and
wrong:0.3, with and without pairs:2, seeds 0-4, that the rounding did not settle): the cores of
better-than-the-rounding had 19-274 columns (8 above :data:`CORE_SHARE`, solved by CP-SAT's
probe on the whole program, about 45 ms each); with the first core, each of the 67 was settled by
one core of at most 48 columns (14 of them by the first core), none by the whole program.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from time import monotonic

import numpy as np

from ilp import certify, clique, native
from ilp.compile import AtomsBlock
from ilp.contract import Answer, SolveOptions
from ilp.formulation import ILP, Formulation
from ilp.program import Status

__all__ = ["CORE_SHARE", "FIRST_CORE", "MIN_COLUMNS", "Relaxed", "SEARCH_NODES", "applies", "certificate", "greedy",
           "multipliers", "relax", "relaxed", "search_core", "settle"]

MIN_COLUMNS = 64
"""Smaller programs go straight to the solver (a few milliseconds either way)."""
FIRST_CORE = 48
"""Columns of the first core when the core of "better than the rounding" has more (module
docstring): on paths 64 / 500 / 10, at most 48 columns always contained a packing at least as good
as their threshold (so no second core was needed), and the clique search settles such a core in
about a millisecond (CP-SAT: 2-8 ms)."""
SEARCH_NODES = 20_000
"""Most nodes of the clique search of one core (a safeguard: on paths they take 1-10 ms); a core it
does not prove goes to the requested backend as any core does. A work cap, not a time cap: which
path settles a core decides which optimum is the witness, and with a time cap that depended on
the machine's load, so the same input could print another witness on another run. The cap keeps
the former time cap's intent (0.25 s): measured (2026-12-02 01:34 UTC, 2 shared cores, load 4.3;
the reports of paths 64 / 500 / 10 with noisy-lower:0.6 seeds 0 and 2, wrong:0.3 seeds 1 and 3,
candidates:3 seed 4, paths 256 / 2000 / 10 noisy-lower:0.6 and regions 64 / 500 / 10
noisy-lower:0.6, seed 0), the 8 core searches took 10-82 nodes, at about 80,000 nodes per
second, so 20,000 nodes is about 0.25 s and 240 times the largest search seen."""
CORE_SHARE = 0.25
"""Largest core solved here, as a share of the program's columns: beyond it the relaxation is
too weak to save anything (measured on regions 64 / 500 / 10, seed 0, whose relaxation is 8-16 %
above the optimum: 75-95 % of the columns reach the optimum's core)."""


def applies(formulation: Formulation, plain: bool | None = None) -> bool:
    """Whether ``formulation`` is a plain set-packing program (``ilp.clique.applies``) of at
    least :data:`MIN_COLUMNS` columns whose columns are not covering unions: those programs,
    and the cores of them that ``ilp.colgen`` and ``ilp.certify`` hand to the backends, were cut
    down by their own relaxation already (a second one would repeat that work; measured on
    candidate reports of paths 64 / 500 / 10, seed 0: the same time within the noise).
    ``plain``: ``ilp.clique.applies`` of its ILP, if known (``ilp.portfolio`` asks it once)."""
    ilp = formulation.ilp
    if len(ilp.objective) < MIN_COLUMNS or formulation.program.minimize_owners:
        return False
    if any(isinstance(block, AtomsBlock) and block.unions for block in formulation.blocks):
        return False
    return clique.applies(ilp) if plain is None else plain


_COLUMN = np.dtype([("tag", "u1"), ("size", "u1"), ("lower_tag", "u1"), ("lower", "<f8"), ("upper_tag", "u1"),
                    ("upper", "<f8"), ("objective_tag", "u1"), ("objective", "<f8")])
"""One column of ``MPModelProto`` as protocol-buffer bytes: field 3 (``variable``, a message of
27 bytes) holding ``lower_bound`` (field 1), ``upper_bound`` (2) and ``objective_coefficient``
(3), each a tag byte and a little-endian double (packed: no padding)."""


def relax(ilp: ILP) -> tuple[list[float], list[float]] | None:
    """(row duals, primal values) of the linear relaxation of an :func:`applies` program, by
    GLOP; None when GLOP fails (the relaxation only guides: it proves nothing by itself).

    The model goes to GLOP as one protocol buffer (``MPModelProto``, loaded by
    ``Solver.LoadModelFromProto``), not variable by variable and coefficient by coefficient through
    ``pywraplp``'s objects: the same LP and the same GLOP, with one Python call per row instead
    of one per nonzero. Measured (2026-12-01, 2 shared cores, the 31 programs of a ``wrong:0.3``
    report on paths 64 / 500 / 10, seed 2, about 450 columns and 70 rows each): 1.9-2.5 ms per
    program against 5.3-5.5 ms, the same duals and primal values to the last bit; a knowledge
    report solves about 3 times as many such programs as an exact one, so these fixed costs
    weighed in the ratio of the two."""
    from ortools.linear_solver import linear_solver_pb2, pywraplp

    top = max(map(abs, ilp.objective.values()), default=0)
    if not top:
        return None
    model = linear_solver_pb2.MPModelProto()
    model.maximize = True
    # every column in [0, 1] with its objective coefficient (scaled, for GLOP's tolerances; 0 for
    # a column outside the objective), written as the protocol buffer's own bytes by numpy in
    # one go and read by upb in C: setting the coefficients column by column through Python
    # objects cost more than GLOP's solve (the same model either way)
    objective = ilp.objective
    columns = np.zeros(len(ilp.names), dtype=_COLUMN)
    for name, value in (("tag", 0x1A), ("size", _COLUMN.itemsize - 2), ("lower_tag", 0x09), ("upper_tag", 0x11),
                        ("upper", 1.0), ("objective_tag", 0x19)):
        columns[name] = value
    columns["objective"][list(objective)] = [c / top for c in objective.values()]
    model.MergeFromString(columns.tobytes())
    # each row added in place and filled from its terms (a third cheaper than a message per row
    # copied in; the same model)
    add, ones = model.constraint.add, [1.0] * len(ilp.names)
    for terms, _, hi in ilp.rows:
        row = add(lower_bound=-math.inf, upper_bound=float(hi))
        row.var_index.extend(terms)
        row.coefficient.extend(ones[:len(terms)])
    # solved through a solver object, not ``Solver.SolveWithProto``: that call keeps the GIL for
    # the whole solve, where ``Solve`` lets other threads run (``ilp.batch`` solves programs on
    # threads); the same GLOP on the same model, the same duals and point to the last bit
    # (236 programs of six regions and paths reports compared, 2026-12-05)
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver.LoadModelFromProto(model):  # (an error message; none for a model built as above)
        return None
    solver.Solve()
    response = linear_solver_pb2.MPSolutionResponse()
    solver.FillSolutionResponseProto(response)
    if response.status != linear_solver_pb2.MPSOLVER_OPTIMAL:
        return None
    return [y * top for y in response.dual_value], list(response.variable_value)


@dataclass(frozen=True, eq=False)
class Relaxed:
    """A program's linear relaxation solved once (:func:`relax`), with the exact bound its duals
    certify (:func:`certificate`): ``settle`` reads it, and ``ilp.portfolio`` hands the same
    solve on to the dual-bounded stage (its primal point, to separate cuts) instead of solving
    the relaxation again."""

    duals: list[float]
    """GLOP's row duals (unscaled values)."""
    primal: list[float]
    """GLOP's optimal point, one value per column."""
    total: int
    """SCALE times the bound before flooring."""
    reduced: list[int]
    """SCALE c_a - (A^T Y)_a of every column."""

    @property
    def bound(self) -> int:
        """U of the module docstring: no packing is worth more."""
        return self.total // certify.SCALE


def relaxed(ilp: ILP) -> Relaxed | None:
    """:func:`relax` and :func:`certificate` of an :func:`applies` program, None when GLOP fails."""
    solved = relax(ilp)
    if solved is None:
        return None
    duals, primal = solved
    return Relaxed(duals, primal, *certificate(ilp, duals))


def multipliers(duals: list[float]) -> list[int]:
    """The integer row multipliers Y = round(SCALE x duals), negatives and non-numbers as 0."""
    out = []
    for y in duals:
        y *= certify.SCALE
        out.append(int(round(y)) if y > 0 and y == y and y != float("inf") else 0)
    return out


def certificate(ilp: ILP, duals: list[float]) -> tuple[int, list[int]]:
    """(SCALE x the bound before flooring, the reduced cost SCALE c_a - (A^T Y)_a of every
    column) for the integer multipliers Y = :func:`multipliers` of ``duals`` (module
    docstring), in Python integers: valid whatever ``duals`` are."""
    ys = multipliers(duals)
    reduced = [0] * len(ilp.names)
    for k, c in ilp.objective.items():
        reduced[k] = certify.SCALE * c
    total = 0
    for (terms, _, hi), y in zip(ilp.rows, ys):
        if y:
            total += y * hi
            for k in terms:
                reduced[k] -= y
    return total + sum(d for d in reduced if d > 0), reduced


def greedy(ilp: ILP, primal: list[float]) -> list[int]:
    """A packing: columns of positive value by decreasing relaxation value, then value, then
    index, each taken when every row it is in has room. (Rows of an :func:`applies` program
    hold at most 1 or at most 0 of their columns, each with coefficient 1: taking a column
    closes its rows, so "room" is the set of rows not yet closed, checked in C.)"""
    rows_of: list[list[int]] = [[] for _ in ilp.names]
    closed = set()
    for r, (terms, _, hi) in enumerate(ilp.rows):
        if hi < 1:
            closed.add(r)
        for k in terms:
            rows_of[k].append(r)
    values = [0] * len(ilp.names)
    for _, _, k in sorted([(-round(primal[k], 6), -c, k) for k, c in ilp.objective.items() if c > 0]):
        if closed.isdisjoint(rows_of[k]):
            closed.update(rows_of[k])
            values[k] = 1
    return values


def search_core(ilp: ILP, ys: list[int], core: list[int], floor: int,
                deadline: float | None = None, max_nodes: int | None = None) -> tuple[list[int] | None, bool]:
    """(values of every column, proven): a best packing of the ``core`` columns among those worth
    more than ``floor`` (None when there is none), by the clique search of ``ilp.dualclique``
    bounded by the whole program's integer multipliers ``ys`` (still a valid bound on a subset
    of its columns); ``proven`` False when ``deadline`` passed first or the search took more than
    ``max_nodes`` nodes (the packing is the best found). Rows that meet the core in the same columns count once, with the sum of their
    multipliers; rows meeting it in one column are left out (the bound stays valid)."""
    from ilp import dualclique

    banned = {k for terms, _, hi in ilp.rows if hi == 0 for k in terms}
    columns = [k for k in core if ilp.objective.get(k, 0) > 0 and k not in banned]
    position = {k: i for i, k in enumerate(columns)}
    sub = ILP(names=[ilp.names[k] for k in columns], lower=[0] * len(columns), upper=[1] * len(columns),
              objective={i: ilp.objective[k] for i, k in enumerate(columns)})
    kept = []
    for (terms, _, hi), y in zip(ilp.rows, ys):
        members = [position[k] for k in terms if k in position]
        if hi == 1 and len(members) > 1:
            sub.add(dict.fromkeys(members, 1), hi=1)
            kept.append(y)
    g = clique.graph(sub)
    vertex = {i: v for v, i in enumerate(g.variables)}
    masks: dict[int, int] = {}
    for (terms, _, _), y in zip(sub.rows, kept):
        mask = 0
        for i in terms:
            mask |= 1 << vertex[i]
        masks[mask] = masks.get(mask, 0) + y
    found, proven = dualclique.above(g, list(masks), list(masks.values()), floor, deadline, max_nodes)
    if not found:
        return None, proven
    values = [0] * len(ilp.names)
    for v in found:
        values[columns[g.variables[v]]] = 1
    return values, proven


def settle(formulation: Formulation, module, options: SolveOptions, hint: list[int] | None = None,
           solved: Relaxed | None = None) -> tuple[Answer | None, list[int] | None]:
    """(the proven answer, None) when the relaxation settles an :func:`applies` program (module
    docstring), with at most two small cores solved by ``module``; else (None, the best packing
    found: a warm start for the ordinary solve, or None). ``solved``: :func:`relaxed` of its ILP,
    if the caller has it."""
    from ilp import claims

    start = monotonic()
    ilp = formulation.ilp
    if solved is None and (solved := relaxed(ilp)) is None:
        return None, hint
    duals, primal, total, reduced = solved.duals, solved.primal, solved.total, solved.reduced
    bound = solved.bound
    # an integral relaxation (most programs of paths) is its own packing: checked exactly, it
    # settles the program when it is worth the bound, without the rounding's sort (about half a
    # millisecond per program, of a report's tens of programs)
    values = [1 if x > 0.5 else 0 for x in primal]
    if not claims.satisfies(ilp, values) or claims.objective(ilp, values) < bound:
        values = greedy(ilp, primal)
    best = claims.objective(ilp, values)
    if hint is not None and len(hint) == len(ilp.names) and (worth := claims.objective(ilp, hint)) > best and (
            claims.satisfies(ilp, hint)):  # (checked only when it would be taken: most hints are worse)
        values, best = list(hint), worth
    # the answer names ``module`` also when a core was searched here: this path is part of its
    # route (``ilp.backends`` takes it for CP-SAT too), and a batch gives the programs it solves
    # side by side the backend named by the latest answer (``ilp.batch._parallel_options``),
    # which must not become the bare clique search of a dense program
    solver = getattr(module, "NAME", "")
    if best >= bound:
        return Answer(Status.OPTIMAL, values, best, solver), None
    reach = [(total + min(d, 0)) // certify.SCALE for d in reduced]
    ys = multipliers(duals)
    deadline = None if options.time_limit is None else start + options.time_limit

    def core(threshold: int) -> list[int]:
        return [k for k, r in enumerate(reach) if r >= threshold]

    def spent() -> bool:
        return deadline is not None and monotonic() >= deadline

    def search(columns: list[int]) -> tuple[list[int] | None, bool]:
        """:func:`search_core` of ``columns`` above the incumbent, for at most SEARCH_NODES nodes."""
        return search_core(ilp, ys, columns, best, deadline, SEARCH_NODES)

    most = min(FIRST_CORE, int(CORE_SHARE * len(ilp.objective)))  # cores for the clique search
    columns = core(best + 1)
    if len(columns) > most > 0:
        # the core of "better than the rounding" is large: first the ``most`` columns of
        # highest reach (module docstring)
        if spent():
            return None, values
        threshold = sorted(reach, reverse=True)[most] + 1
        found, proven = search(core(threshold))
        if found is not None:
            values, best = found, claims.objective(ilp, found)
        if proven and best >= threshold:  # a better solution would reach above the threshold too: none
            return Answer(Status.OPTIMAL, values, best, solver), None
        columns = core(best + 1)
    if len(columns) > CORE_SHARE * len(ilp.objective):
        return None, values
    if len(columns) <= most or native.available():
        # the clique search: always on a core of at most ``most`` columns, and in C on a larger
        # one too (a millisecond where CP-SAT's model alone takes ten); a core it does not
        # prove in SEARCH_NODES goes to ``module`` below
        if spent():
            return None, values
        found, proven = search(columns)
        if proven and found is not None:
            return Answer(Status.OPTIMAL, found, claims.objective(ilp, found), solver), None
        if proven:
            return Answer(Status.OPTIMAL, values, best, solver), None  # nothing better
        if found is not None:
            values, best = found, claims.objective(ilp, found)
            columns = core(best + 1)
    if options.time_limit is not None:  # the core gets what is left of the program's limit
        left = options.time_limit - (monotonic() - start)
        if left <= 0:
            return None, values
        options = replace(options, time_limit=left)
    threshold = best + 1
    # INFEASIBLE below says "nothing beats ``best``" only because the core's floor is this
    # threshold, one above the incumbent. A higher one (such as the floor of a formulation that
    # the portfolio settles here, which this core does not inherit) would hide the solutions
    # between the two, and ``best`` would be a wrong optimum
    answer = certify._solve_core(formulation, module, options, columns, values, floor=threshold)
    if answer.status is Status.INFEASIBLE or (answer.status is Status.OPTIMAL and answer.values is None):
        return Answer(Status.OPTIMAL, values, best, answer.solver or solver), None  # nothing reaches the threshold
    if answer.status is not Status.OPTIMAL:
        return None, values
    worth = claims.objective(ilp, answer.values)
    if worth >= threshold:
        return Answer(Status.OPTIMAL, answer.values, worth, answer.solver or solver), None
    return Answer(Status.OPTIMAL, values, best, answer.solver or solver), None
