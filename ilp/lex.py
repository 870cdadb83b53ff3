"""Lexicographically first optimal allocation (used for seed 002 Lemma 3's state omega*).

Allocations are compared by the vector (owner(g_1), ..., owner(g_m)) with owner code 0 for an
unallocated good and j + 1 for player j. The smallest vector among allocations of maximum total
weight is found good by good: minimise owner(g_k) subject to "total weight = optimum" and the
owners already fixed, several goods per solve (a mixed-radix objective makes one objective of
them: good g's digit ranges over the players who can hold g, see ``ilp.program``).

Each solve also excludes the allocations that agree with the latest solution S on every good S
allocates (``Program.avoid``). Those allocations only add goods to S, so their owner codes are
at least S's good by good and none precedes S. Hence the solve's answer T and S itself cover
every candidate: the smaller of the two on the goods being ordered is the true step, and when
no such T exists (the solve is infeasible) S is the lexicographically first optimum at once.
When the optimum is unique, as it usually is with real-valued bids, the whole tie-break is
that one proof. On large programs (:data:`WELFARE_FIRST_BIDS`) that proof is first sought as a
welfare maximisation over the same allocations (best welfare below the optimum: no other
optimum), which the solvers' bounds prove several times faster than the feasibility question. (The brute-force reference orders the goods by definition, without it: its
dynamic program would have to run once per good and owner to exclude an allocation; programs of
one or two players go without it too, since ``ilp.dense`` orders large ones directly.) On a
plain set-packing program the steps solve only the bids that can be in an optimum, by the
linear relaxation's reduced costs (:func:`_restricted`), when its optima are too many to list. A
program of many one-bid players over few goods needs no ordering solves: ``ilp.fewgoods``'s
dynamic program gives its first optimum directly.

Two kinds of goods need no solve:

* a good unallocated in the latest solution (0 is the smallest code);
* a good that a player p must hold given the owners fixed so far: p takes at most one bid (a
  single-choice block), some earlier good is fixed to p, and every bid of p holding all of p's
  fixed goods also holds this one. Every allocation meeting the fixed owners gives it to p.

Why whole bids suffice: replacing each bundle of an optimal allocation by the bids that make
its value keeps the welfare and turns every dropped good's owner into 0, so the owner vector
can only decrease pointwise; hence the lexicographically first optimal allocation over all
allocations is made of whole bids, which is what the integer programs enumerate.
"""

from __future__ import annotations

import time
from dataclasses import replace
from operator import itemgetter

from ilp import clique, colgen, dualclique, exhaustive, fewgoods
from ilp.backends import as_options, count_solving, solve
from ilp.compile import AtomsBlock
from ilp.contract import SolveOptions, SolverError
from ilp.formulation import ILP, Formulation, build, holdable
from ilp.portfolio import CLIQUE_WORK
from ilp.program import UNALLOCATED, Program, Solution, Status, Weight, owner_code
from instances.valuation import Form, Valuation

__all__ = ["COEFFICIENT_LIMIT", "CORE_COLUMNS", "DUAL_LISTING_NODES", "LISTING_WORK", "PRICED_LISTING_MOST",
           "PRICED_LISTING_NODES", "WELFARE_FIRST_BIDS", "lex_first"]

COEFFICIENT_LIMIT = {"cpsat": 2**50, "cbc": 10**6, "scip": 10**6, "highs": 10**6, "portfolio": 10**6}
"""Largest objective magnitude (product of the chunk's radices) a backend handles exactly:
CP-SAT works in int64, CBC, SCIP and HiGHS in floating point."""
WELFARE_FIRST_BIDS = 1000
"""From this many bids, each ordering step is preceded by the same program maximising welfare
instead (fixed owners, ``current``'s extensions excluded, no owner objective): a proven optimum
below the optimum of the whole program says the same as an infeasible step, and usually ends
the search (the optimum is unique). Measured (2026-12-01, HiGHS, CPU seconds, the first step
of MSW's ordering, generated regions / 10 players, seed 0): 256 goods / 2000 bids, 72.6 s for
the step, 28.2 s for the welfare program; 128 / 1000, 113.6 s and 24.8 s; but 64 / 500 (seeds 0
and 1), 1.8 and 2.8 s for the step, 3.2 and 3.9 s for the welfare program. When the welfare
program reaches the optimum (ties) or is not proven, the step is solved as before: that costs
one solve more, never a different answer."""


LISTING_WORK = CLIQUE_WORK
"""How much one listing of every optimum (``ilp.clique.optima``, :func:`_first_clique`,
:func:`_first_relaxed`) may do (``ilp.clique.work_units``, a count: the same stop on every
run) before the goods are ordered by solves instead: the portfolio's cap on the clique search
itself (``ilp.portfolio.CLIQUE_WORK``, the same value), since a listing that pays off costs
about what the search's proof of the optimum costs. Without it a listing could run for ever: on the
MIEW_i of paths 64 / 500 / 10 with ``candidates:3`` (covering unions, 3,600-4,000 columns,
seed 0) it had not ended after 23 minutes; with it each gives up after 12-16 s."""

PRICED_LISTING_NODES = 500_000
"""Most nodes of the dual-bounded listing of every optimum of a core program
(:func:`_first_priced`) before its goods are ordered by solves: a count, so the same stop on
every run; about half a second in C (``ilp.native``)."""
PRICED_LISTING_MOST = 10_000
"""Most optima that listing keeps (:func:`_first_priced`); beyond, the goods are ordered by solves,
without the welfare programs that look for a unique optimum (``lex_first``'s ``welfare_first``)."""

DUAL_LISTING_NODES = 400_000
"""Most nodes of the dual-bounded listing of every optimum of a dense plain program
(:func:`_first_dual`) before its goods are ordered by solves: a count, so the same stop on
every run; about a quarter of a second in C (``ilp.native``), as the portfolio's own search
(``ilp.portfolio.DUAL_NODES``)."""

CORE_COLUMNS = 64
"""Most columns that can be in an optimum (by the relaxation's reduced costs) for which
:func:`_first_relaxed` lists every optimum by one clique search instead of ordering the goods
by solves."""


def _chunk(start: int, goods: int, radix: list[int], limit: int) -> tuple[int, ...]:
    """The goods from ``start`` on whose radices multiply to at most ``limit`` (at least one)."""
    end, product = start + 1, radix[start]
    while end < goods and product * radix[end] <= limit:
        product *= radix[end]
        end += 1
    return tuple(range(start, end))


def _forced(g: int, held: int, block: object) -> bool:
    """True when a player with ``block`` who must hold the goods ``held`` must hold ``g`` too
    (module docstring)."""
    if not held or not isinstance(block, AtomsBlock) or not block.single:
        return False
    return all(bundle >> g & 1 for bundle, _ in block.atoms if bundle & held == held)


def _codes(allocation: tuple[int, ...], goods: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(owner_code(allocation, g) for g in goods)


def _first_clique(program: Program, optimum: Solution, options: SolveOptions,
                  formulation: Formulation | None = None, outside: dict[int, int] | None = None
                  ) -> Solution | None:
    """The lexicographically first optimum of a set-packing ``program`` whose bids' graph is
    sparse (``ilp.clique``; the portfolio's threshold, any graph for the clique backend): every
    maximum-weight clique is listed by one search and the smallest owner vector taken. None
    when the program is not such a program, or the search gives up (too many optima, the time
    limit, :data:`LISTING_WORK`): the goods are then ordered by solves as usual. ``outside``:
    columns in no optimum (:func:`_outside`), left out of the search.

    Why: the ordering's one proof, "no other optimum precedes", is an integer program with the
    optimum as a lower bound, whose relaxation is as weak as the winner determination's. On CATS
    "arbitrary" bids CP-SAT took 36 s for it on the real arbitrary-upv 64 / 500 file (seed 1) and
    211 s on the generated arbitrary 64 / 1000 / 10 (seed 0), where listing every optimum takes
    about as long as the clique search's own proof of the optimum (2026-12-01, 2 shared cores)."""
    start = time.perf_counter()
    formulation = build(program, options.blocks) if formulation is None else formulation
    try:
        from ilp.portfolio import sparse_graph

        ilp = formulation.ilp
        plain = clique.applies(ilp)
        if options.backend == "portfolio":
            graph = sparse_graph(ilp, plain)
        else:
            # any density, but no graph beyond ``clique.MAX_VERTICES`` bids (then the integer programs' way)
            graph = clique.graph(ilp, densest=1.0) if plain else None
        if graph is not None and outside:
            # the same search over the columns that can be in an optimum (``ilp.clique.graph``
            # leaves out the columns a row fixes to 0), whatever their own density: the whole
            # program's decides whether its optima are listed
            graph = clique.graph(_cut(ilp, outside), densest=1.0)
        if graph is None:
            return None
        deadline = None if options.time_limit is None else time.monotonic() + options.time_limit
        cliques = clique.optima(graph, optimum.value, deadline, work=LISTING_WORK)
    finally:
        count_solving(time.perf_counter() - start)
    return _smallest(program, optimum, formulation, graph, cliques, start)


def _cut(ilp: ILP, outside: dict[int, int]) -> ILP:
    """``ilp`` with every column ``outside`` fixed to 0 by one more row (``ilp.clique.graph``
    leaves such columns out): a graph of it keeps the ILP's own variable numbers."""
    return ILP(ilp.names, ilp.lower, ilp.upper, [*ilp.rows, (outside, None, 0)] if outside else ilp.rows, ilp.objective)


def _outside(formulation: Formulation, target: int) -> dict[int, int] | None:
    """The columns of ``formulation`` that are in no allocation of weight ``target`` (each
    mapped to 1, the row that fixes them to 0), by its linear relaxation's reduced costs; None
    when the program is not a plain set-packing program (``ilp.clique.applies``) of at least
    ``ilp.relaxation.MIN_COLUMNS`` columns, or the relaxation fails.

    Why it is exact (``ilp.relaxation``'s argument): for integer row multipliers Y >= 0 and
    reduced costs d = SCALE c - A^T Y, every packing x holding column a has SCALE c.x <=
    Y.b + sum of max(d, 0) + min(d_a, 0), so a column whose reach (that bound // SCALE) is
    below ``target`` is in no packing of weight ``target``."""
    from ilp import certify, relaxation

    start = time.perf_counter()
    try:
        # (``relaxation.applies`` also leaves out covering unions, whose programs ``ilp.colgen``
        # solves through their own relaxation; the argument holds for them as for bids)
        ilp = formulation.ilp
        if (len(ilp.objective) < relaxation.MIN_COLUMNS or formulation.program.minimize_owners
                or not clique.applies(ilp)):
            return None
        relaxed = relaxation.relax(ilp)
        if relaxed is None:
            return None
        total, reduced = relaxation.certificate(ilp, relaxed[0])
        return {k: 1 for k, d in enumerate(reduced) if (total + min(d, 0)) // certify.SCALE < target}
    finally:
        count_solving(time.perf_counter() - start)


def _first_relaxed(program: Program, optimum: Solution, options: SolveOptions,
                   formulation: Formulation | None = None, outside: dict[int, int] | None = None
                   ) -> Solution | None:
    """The lexicographically first optimum of a dense set-packing ``program`` (``ilp.relaxation``
    applies: CATS "paths", regions with many players) whose linear relaxation leaves few
    columns that can be in an optimum: every optimum is listed by one clique search over those
    columns and the smallest owner vector taken. None when the program is not such a program,
    the relaxation fails, more than :data:`CORE_COLUMNS` columns remain, or the listing gives
    up (time limit, too many optima): the goods are then ordered by solves as usual, which
    find the same allocation (it is unique). ``outside``: :func:`_outside` of the formulation
    and the optimum, if known.

    Why it is exact: every optimum is a clique weighing the optimum in the graph of the columns
    :func:`_outside` leaves (``ilp.clique.optima``).

    Why: the ordering's one proof, "no other optimum precedes" (:func:`lex_first`), is an
    integer program that CP-SAT builds and solves in 15-50 ms on paths 64 / 500 / 10, while the
    report's own programs are settled by the relaxation in a few milliseconds each; 30 such
    proofs made ``--witnesses canonical`` 7 times slower than the solver's witnesses on a
    noisy-lower:0.6 report (2026-12-02, 2 shared cores, load 4)."""
    formulation = build(program, options.blocks) if formulation is None else formulation
    target = optimum.value
    if outside is None and (outside := _outside(formulation, target)) is None:
        return None
    ilp = formulation.ilp
    if len(ilp.objective) - len(outside) > CORE_COLUMNS:
        return None
    start = time.perf_counter()
    try:
        graph = clique.graph(_cut(ilp, outside))
        deadline = None if options.time_limit is None else time.monotonic() + options.time_limit
        cliques = clique.optima(graph, target, deadline, work=LISTING_WORK)
    finally:
        count_solving(time.perf_counter() - start)
    return _smallest(program, optimum, formulation, graph, cliques, start)


def _first_dual(program: Program, optimum: Solution, options: SolveOptions, formulation: Formulation,
                outside: dict[int, int] | None) -> Solution | None:
    """The lexicographically first optimum of a dense set-packing ``program`` that neither
    :func:`_first_relaxed` nor :func:`_first_clique` lists: every optimum is listed by the
    dual-bounded clique search (``ilp.dualclique.optima``, its bound the relaxation's duals and
    cuts) over the columns not ``outside`` (:func:`_outside`), in C only (``ilp.native``), and
    the smallest owner vector taken. None when the program is not such a program (or has more
    than ``ilp.portfolio.DUAL_BIDS`` bids), or the listing stops first (:data:`DUAL_LISTING_NODES`,
    :data:`PRICED_LISTING_MOST`, the time limit): the goods are then ordered by solves.

    Why it is exact: every optimum is a clique weighing the optimum in the graph of the columns
    :func:`_outside` leaves, and a complete listing holds every such clique (``tests/test_dualclique.py``
    compares it with ``ilp.clique.optima``).

    Why: the portfolio proves a dense regions MSW by this search in about 0.1 s
    (``ilp.portfolio.DUAL_NODES``), but the ordering's first proof, a welfare program with the
    optimum's extensions excluded, is no plain set packing and went to the race: 5.1 s of the
    5.6 s tie-break of regions 64 / 500 / 10 (seed 1), whose MSW has one optimum, which the
    listing finds in 0.08 s."""
    from ilp import native, portfolio

    ilp = formulation.ilp  # (``dualclique.optima`` answers None for a program not plain set packing)
    if not native.available() or formulation.program.minimize_owners or len(ilp.objective) > portfolio.DUAL_BIDS:
        return None
    start = time.perf_counter()
    try:
        cut = replace(formulation, ilp=_cut(ilp, outside)) if outside else formulation
        deadline = None if options.time_limit is None else time.monotonic() + options.time_limit
        listed = dualclique.optima(cut, optimum.value, None, deadline, PRICED_LISTING_MOST, DUAL_LISTING_NODES,
                                   native_only=True)
    finally:
        count_solving(time.perf_counter() - start)
    if listed is None or not listed[2]:
        return None
    return _smallest(program, optimum, cut, listed[0], listed[1], start)


def _restricted(program: Program, formulation: Formulation, outside: dict[int, int] | None) -> Program | None:
    """``program`` with each player's bids cut down to the columns not ``outside`` (the
    relaxation's core, :func:`_outside` of the optimum): the same allocations of weight the
    optimum, hence the same lexicographically first optimum, in a program of a few dozen to a
    few hundred columns where the whole one has thousands. None when nothing is cut (or the
    core is not known), or a player is not a plain bids block (:class:`AtomsBlock`).

    Why it is exact: each player's weight in the cut program is the XOR (a single-choice block)
    or OR of the bids it keeps, at most its weight in ``program`` on every bundle, so every
    optimum of the cut program is one of ``program``; and the first optimum of ``program`` is
    made of whole bids (module docstring) of the core, so the cut program reaches it too.

    Why: on paths as CATS 2.1 builds them (a bidder's paths share one price) MSW has many
    optima, and its tie-break orders the goods in 16 to 20 steps of two solves each over
    all 2,000 bids (3 to 4 s, most of the exact report of paths 256 / 2000 / 10), where the
    relaxation leaves 63 to 108 columns that can be in an optimum."""
    if not outside:
        return None
    weights = []
    for j, block in enumerate(formulation.blocks):
        if block is None:
            weights.append(None)
            continue
        if not isinstance(block, AtomsBlock):
            return None
        kept = tuple(atom for atom, column in zip(block.atoms, formulation.weight[j]) if column not in outside)
        # (weight[j] lists x[j, a] in atom order)
        weights.append(Weight.of(Valuation(Form.XOR if block.single else Form.OR, kept)) if kept else None)
    return replace(program, weights=tuple(weights))


def _first_fewgoods(program: Program, optimum: Solution, options: SolveOptions) -> Solution | None:
    """The lexicographically first optimum of a program of many one-bid players over few goods,
    read off the dynamic program over subsets of the goods (``ilp.fewgoods``), or None when the
    program is not of that kind. Why: on 2000 single-minded players over 20 goods (generated
    uniform, seed 0, two optima) the ordering by solves took 14.6 s; the dynamic program reads
    MSW's own table, made moments before, in milliseconds."""
    start = time.perf_counter()
    answer = fewgoods.solve_program(program, blocks=options.blocks)
    count_solving(time.perf_counter() - start)
    if answer is None:
        return None
    allocation = answer[1]
    if program.total(allocation) != optimum.value:
        raise SolverError(f"{optimum.backend}: proven optimum {optimum.value}, but the dynamic program over "
                          f"subsets of the goods reaches {program.total(allocation)}")
    return Solution(Status.OPTIMAL, allocation, optimum.value, optimum.value, optimum.backend,
                    optimum.wall_time + time.perf_counter() - start)


def _unproven(solution: Solution, wall: float, optimum: Solution, known: tuple[int, ...]) -> Solution:
    """``solution``, a solve not proven optimal, as a tie-break's answer: FEASIBLE, with ``known``,
    the earliest of the proven ``optimum``'s optimal allocations met so far (not the stopped
    solve's own, which may come later in the order), worth the optimum, which is also its bound
    (the unproven solve's own bound is of another objective, an owner vector's). Its witness is
    not known to be the first (``withheld``)."""
    return replace(solution, status=Status.FEASIBLE, allocation=known, value=optimum.value, bound=optimum.value,
                   wall_time=wall, withheld=True, first=False)


def _first_priced(program: Program, optimum: Solution, options: SolveOptions) -> Solution | None:
    """The first optimum of a program whose guaranteed values ``ilp.colgen`` prices (covering
    unions), ordered in its core program (``ilp.colgen.core_program``: the minimal unions an
    optimal allocation may use, which has the same first optimum): every optimum listed by the
    dual-bounded clique search (``ilp.dualclique.optima``, bounded by the column generation's
    own multipliers, at most :data:`PRICED_LISTING_NODES` nodes), else the goods ordered by
    solves of the core program. None when that core cannot be listed: the whole program is then
    formulated and ordered as any other.

    Why. Formulated whole, such a program lists every covering union of every guaranteed value:
    on paths 256 / 2000 / 10 with ``candidates:3`` (seed 0) a canonical report had not ended
    after 25 minutes, most of it in that listing (py-spy, 2026-12-03). Measured with
    ``candidates:3`` (2026-12-03, one process, another job on the second core): on regions 64 /
    500 / 10 (seed 0) the cores hold 40-290 unions per player and the listing settles each of
    the 20 programs in 0.12-0.24 s (one optimum each), where ordering the core by solves took
    CP-SAT up to 8.6 s for one step; on paths 64 / 500 / 10 (seed 1) it settles 19 of 20 (1 to
    6,063 optima). On paths 256 / 2000 / 10 the cores hold 200-3,200 unions per player, the
    listing finds no optimum within its nodes, and the goods are ordered by solves, 40-180 s a
    program."""
    made = colgen.core_program(program, optimum.value, options)
    if made is None:
        return None
    core, duals = made
    start = optimum
    if core.total(optimum.allocation) != optimum.value:  # (a bundle outside the core: solved again)
        start = solve(core, options)
        if not start.optimal:
            return _unproven(start, optimum.wall_time + start.wall_time, optimum, optimum.allocation)
        if start.value != optimum.value:
            raise AssertionError(f"the core program's optimum is {start.value}, the program's {optimum.value}")
        start = replace(start, bound=optimum.value)
    clock = time.perf_counter()
    formulation = build(core, options.blocks)
    try:
        deadline = None if options.time_limit is None else time.monotonic() + options.time_limit
        listed = dualclique.optima(formulation, optimum.value, duals, deadline, PRICED_LISTING_MOST,
                                    PRICED_LISTING_NODES)
    finally:
        count_solving(time.perf_counter() - clock)
    first = None
    if listed is not None and listed[2]:
        first = _smallest(core, start, formulation, listed[0], listed[1], clock)
    if first is None:
        # more optima than the listing keeps: the welfare programs before the steps, which look
        # for a unique optimum, would only find another (on paths 256 / 2000 / 10 with
        # ``candidates:3``, 25 s of a first step's 40)
        many = listed is not None and len(listed[1]) > PRICED_LISTING_MOST
        first = lex_first(core, start, options, welfare_first=not many)
    if not first.optimal:  # (its time counts the optimum's, as every answer's here does)
        return first if start is optimum else replace(first, wall_time=first.wall_time + optimum.wall_time)
    value = program.total(first.allocation)
    if value != optimum.value:
        raise AssertionError(f"the core program's first optimum is worth {value}, the optimum {optimum.value}")
    wall = first.wall_time + (0.0 if start is optimum else optimum.wall_time)
    return Solution(Status.OPTIMAL, first.allocation, value, optimum.value, optimum.backend, wall)


def _smallest(program: Program, optimum: Solution, formulation: Formulation, graph: clique.Graph,
              cliques: list[tuple[int, ...]] | None, start: float) -> Solution | None:
    """The allocation of smallest owner vector among ``cliques`` (every optimum of ``program``,
    as cliques of ``graph``), or None when they are not known (``cliques`` None or empty)."""
    if not cliques:
        return None
    goods = program.n_goods
    atom_of = formulation.atom_of
    if atom_of is None or not all(x in atom_of for x in graph.variables):
        order = tuple(range(goods))
        _, best = min(((_codes(allocation, order), allocation)
                       for allocation in (_decoded(formulation, graph, found) for found in cliques)),
                      key=itemgetter(0))
    else:
        # the owner vector of each optimum from its bids' goods, not from a decoded allocation:
        # paths 64 / 500 / 10 lists about 130 optima per report (bidders with several best bids)
        held = [atom_of[x] for x in graph.variables]
        best_codes, best_found = None, None
        for found in cliques:
            codes = [0] * goods
            for v in found:
                j, atom = held[v]
                while atom:
                    lowest = atom & -atom
                    codes[lowest.bit_length() - 1] = j + 1
                    atom ^= lowest
            if best_codes is None or codes < best_codes:
                best_codes, best_found = codes, found
        bundles = [0] * len(program.weights)
        for v in best_found:
            bundles[held[v][0]] |= held[v][1]
        best = tuple(bundles)
    if program.total(best) != optimum.value:
        return None  # cannot happen with a proven optimum; the solves settle it
    return Solution(Status.OPTIMAL, best, optimum.value, optimum.value, optimum.backend,
                    optimum.wall_time + time.perf_counter() - start)


def _decoded(formulation: Formulation, graph: clique.Graph, found: tuple[int, ...]) -> tuple[int, ...]:
    """The allocation of the clique ``found`` of ``graph``, decoded by ``formulation``."""
    values = [0] * len(formulation.ilp.names)
    for v in found:
        values[graph.variables[v]] = 1
    return formulation.decode(values)


def lex_first(program: Program, optimum: Solution, options: SolveOptions | str | None = None, *,
              welfare_first: bool = True) -> Solution:
    """The lexicographically first allocation of weight ``optimum.value``, given a proven
    ``optimum`` of ``program``. Returns a non-OPTIMAL solution if any step is not proven.

    Goods that need no solve are fixed directly (module docstring); the next goods are ordered
    together, as many per solve as the backend's coefficients allow, and a solve that finds no
    optimum other than the latest one's extensions ends the search (module docstring). This is the canonical
    witness of every benchmark (seed 002 Lemma 3's state omega*), the same whatever the backend.

    Parameters
    ----------
    program : Program
        The program whose optima are ordered.
    optimum : Solution
        A solution of ``program``; when it is not proven optimal it is returned unchanged.
    options : SolveOptions or str or None, optional
        How to solve the ordering steps, or just a backend's name (None: the defaults).
    welfare_first : bool, optional
        Whether a large program's steps are preceded by the welfare program that ends the search
        when the optimum is unique (:data:`WELFARE_FIRST_BIDS`); False when it is known not to
        be (the answer is the same either way).

    Returns
    -------
    Solution
        The optimal allocation whose owner vector (:func:`owner_code` of goods 0, 1, ...) is
        smallest. If some step was not proven: FEASIBLE, worth the optimum (value and bound),
        with the earliest optimal allocation met so far, not known to be the first.

    Raises
    ------
    ValueError
        When ``program`` has fixed owners, an exclusion or an owner objective (``fixed``,
        ``avoid``, ``minimize_owners``): the ordering steps set those themselves, so they would
        be dropped. (A ``min_total`` is kept: the steps ask for the optimum, which meets it.)

    Examples
    --------
    Two optima of weight 5: player 0 takes good 0 (owner codes (1, 0)) or player 1 takes both
    goods (codes (2, 2)); the first is lexicographically smaller, whichever a solver finds:

    >>> from instances.valuation import Form, Valuation
    >>> from ilp import Program, Weight, lex_first, solve
    >>> program = Program(2, (Weight.of(Valuation(Form.XOR, ((0b01, 5),))),
    ...                       Weight.of(Valuation(Form.XOR, ((0b11, 5),)))))
    >>> first = lex_first(program, solve(program, "cpsat"), "cpsat")
    >>> first.allocation, first.value, first.status.value
    ((1, 0), 5, 'optimal')
    """
    # the steps below replace a program's fixed owners and exclusion with their own (and add an
    # owner objective): a program that had its own would be ordered without them
    constrained = [name for name, value in (("fixed", program.fixed), ("minimize_owners", program.minimize_owners),
                                            ("avoid", program.avoid)) if value not in ((), None)]
    if constrained:
        raise ValueError(f"lex_first orders the optima of a program without fixed owners, exclusion or owner "
                         f"objective; this one has {', '.join(constrained)}")
    if not optimum.optimal or optimum.first:
        return optimum  # (nothing to order, or ordered already: ``Solution.first``)
    options = as_options(options)
    if options.backend != "brute" and (first := _first_fewgoods(program, optimum, options)) is not None:
        return first
    fixed: list[int | None] = [None] * program.n_goods
    current = optimum.allocation
    wall = optimum.wall_time
    rival_options = step_options = options
    if options.backend == "portfolio" and options.lead is not None:
        # A batch's tie-break after a race won by ``lead`` (``ilp.batch``), solved in a worker
        # beside other programs, so without a race: the welfare programs go to ``lead``, the
        # ordering steps to CP-SAT. A step is a feasibility question (welfare at least the
        # optimum), on which a floating-point solver's bound says nothing: on 2000 players over
        # 20 goods (generated uniform, seed 0, two optima) HiGHS proved no step in 300 s, CP-SAT
        # did them all in 6 s, and CP-SAT's int64 orders more goods per step.
        rival_options = replace(options, backend=options.lead, lead=None)
        step_options = replace(options, backend="cpsat", lead=None)
    # the brute-force DP and ilp.dense (one or two players) order goods without the exclusion
    certify = options.backend != "brute" and program.active_players > 2
    ordered = program  # the program whose goods the steps order (its core, when the relaxation cuts it)
    if certify and colgen.applies(program, options.blocks):
        first = _first_priced(program, optimum, options)
        if first is not None:
            return first
    formulation = build(program, options.blocks) if certify else None  # (once for both listings below)
    if certify and step_options.backend == "portfolio" and exhaustive.applies(formulation.ilp):
        # a tiny program: the portfolio's exhaustive search proves its steps (in milliseconds;
        # one it gives up on goes on to CP-SAT), and listing the optima first would only import
        # the linear solver (``ilp.exhaustive``)
        certify = False
    if certify:
        outside = _outside(formulation, optimum.value)
        if outside is not None and (
                first := _first_relaxed(program, optimum, options, formulation, outside)) is not None:
            return first
        if options.backend in ("portfolio", "clique") and (
                first := _first_clique(program, optimum, options, formulation, outside)) is not None:
            return first
        if options.backend == "portfolio" and (
                first := _first_dual(program, optimum, options, formulation, outside)) is not None:
            return first
        if (core := _restricted(program, formulation, outside)) is not None:
            ordered = core
    blocks = options.blocks.blocks(ordered.weights)
    masks = [holdable(b) for b in blocks]
    radix = [1 + sum(mask >> g & 1 for mask in masks) for g in range(program.n_goods)]
    limit = COEFFICIENT_LIMIT.get(step_options.backend, 1)
    held = [0] * len(blocks)  # the goods fixed to each player so far
    bids = sum(len(b.atoms) for b in blocks if isinstance(b, AtomsBlock))
    g = 0
    while g < program.n_goods:
        code = owner_code(current, g)
        if code == 0 or _forced(g, held[code - 1], blocks[code - 1]):
            fixed[g] = UNALLOCATED if code == 0 else code - 1
            if code:
                held[code - 1] |= 1 << g
            g += 1
            continue
        chunk = _chunk(g, program.n_goods, radix, limit)
        if certify and welfare_first and bids >= WELFARE_FIRST_BIDS:
            # the welfare of the best allocation meeting the fixed owners other than
            # ``current``'s extensions: below the optimum, the step below would be infeasible
            rival = solve(replace(ordered, fixed=tuple(fixed), avoid=current), rival_options)
            wall += rival.wall_time
            if rival.optimal and rival.value < optimum.value:
                break
        step = solve(replace(ordered, fixed=tuple(fixed), min_total=optimum.value, minimize_owners=chunk,
                             avoid=current if certify else None), step_options)
        wall += step.wall_time
        if step.status is Status.INFEASIBLE:
            break  # every allocation meeting the fixed owners only adds goods to ``current``
        if not step.optimal:
            return _unproven(step, wall, optimum, current)
        if _codes(step.allocation, chunk) < _codes(current, chunk):
            current = step.allocation
        for k in chunk:
            code = owner_code(current, k)
            fixed[k] = UNALLOCATED if code == 0 else code - 1
            if code:
                held[code - 1] |= 1 << k
        g = chunk[-1] + 1
    return Solution(Status.OPTIMAL, current, program.total(current), optimum.value, optimum.backend, wall)
