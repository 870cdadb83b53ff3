"""The clique search bounded by duals (``ilp.dualclique``, the solver of ``ilp.colgen``'s cores):
exact against every clique enumerated on drawn graphs, whatever the duals (the bound must hold
for any y >= 0, GLOP's or drawn at random, with reduced costs of both signs), with warm starts,
past deadlines, and on whole programs against the brute-force reference."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ilp import SolveOptions, Status, clique, dualclique, solve
from ilp.clique import Graph
from ilp.formulation import build
from tests.test_exact_audit import _check_proven, _priced_program, brute, brute_cliques, packing_program


def conflict_rows(g: Graph, rng: random.Random) -> list[int]:
    """Rows "at most one of these vertices" valid for ``g``: sets of pairwise incompatible
    vertices (every vertex in one at least, as goods rows would), grown greedily from random
    seeds, some of one vertex."""
    n = len(g.weights)
    rows = []
    for v in range(n):
        for _ in range(rng.randint(1, 3)):
            mask = 1 << v
            for u in rng.sample(range(n), n):
                if not any(g.compatible[u] >> w & 1 for w in range(n) if mask >> w & 1) and not mask >> u & 1:
                    mask |= 1 << u
            rows.append(mask)
    return sorted(set(rows))


def drawn_graph(seed: int) -> Graph:
    """A compatibility graph drawn directly, as ``tests.test_exact_audit.random_graph`` but up
    to 12 vertices, values small, tied or near 10^12."""
    rng = random.Random(seed)
    n = rng.randint(0, 12)
    density = rng.choice((0.1, 0.4, 0.7, 1.0))
    compatible = [0] * n
    for a, b in itertools.combinations(range(n), 2):
        if rng.random() < density:
            compatible[a] |= 1 << b
            compatible[b] |= 1 << a
    mode = rng.choice(("ties", "small", "cap"))
    high = {"ties": 2, "small": 40, "cap": 10**12}[mode]
    weights = tuple(rng.randint(max(1, high - 30) if mode == "cap" else 1, high) for _ in range(n))
    return Graph(tuple(range(n)), weights, tuple(compatible))


def drawn_duals(rows: list[int], g: Graph, rng: random.Random) -> list[int]:
    """Duals from GLOP, or drawn at random (zero, too small, too large: any y >= 0 is valid)."""
    how = rng.choice(("glop", "zero", "random", "large"))
    if how == "glop" and g.weights:
        duals = dualclique.relaxation_duals(g, rows)
        assert duals is not None
        return duals
    top = max(g.weights, default=1) * dualclique.SCALE
    if how == "zero":
        return [0] * len(rows)
    if how == "large":
        return [rng.randint(0, 3 * top) for _ in rows]
    return [rng.randint(0, top // 2) for _ in rows]


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_dual_bounded_search_on_drawn_graphs_and_duals(seed, other):
    g = drawn_graph(seed)
    rng = random.Random(other)
    rows = conflict_rows(g, rng)
    table = dualclique._Rows(g, rows, drawn_duals(rows, g, rng))
    every = brute_cliques(g)
    best = max(every.values())
    # the bound of the whole graph holds every clique
    assert table.bound((1 << len(g.weights)) - 1) >= dualclique.SCALE * best
    found, weight, proven = dualclique.max_weight_clique(g, table)
    assert proven and weight == best == every[frozenset(found)]
    # the same witness as the clique search without duals is not required, only the weight;
    # a warm start from any clique proves the same weight
    start = sorted(rng.choice(sorted(every, key=sorted)))
    found, weight, proven = dualclique.max_weight_clique(g, table, tuple(start))
    assert proven and weight == best and frozenset(found) in every
    # a deadline already passed: the incumbent is still a clique, never above the optimum
    found, weight, proven = dualclique.max_weight_clique(g, table, (), deadline=0.0)
    assert frozenset(found) in every and weight == every[frozenset(found)] <= best
    assert not proven or weight == best


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_every_deficit_level_keeps_exactly_the_vertices_within_it(seed):
    """``_Rows.keep(s)``: the vertices whose deficit max(d, 0) - d is at most s, for s at,
    between and beyond the levels."""
    g = drawn_graph(seed)
    rng = random.Random(seed)
    rows = conflict_rows(g, rng)
    table = dualclique._Rows(g, rows, drawn_duals(rows, g, rng))
    deficits = [max(d, 0) - d for d in table.reduced]
    for slack in sorted({0, *deficits, *(d + 1 for d in deficits), *(max(d - 1, 0) for d in deficits)}):
        expected = sum(1 << v for v, d in enumerate(deficits) if d <= slack)
        assert table.keep(slack) == expected, slack
    # and B(K) by definition, for random candidate sets
    for _ in range(5):
        k = rng.randint(0, (1 << len(g.weights)) - 1) if g.weights else 0
        expected = sum(y for mask, y in zip(rows, table.duals) if mask & k)
        expected += sum(d for v, d in enumerate(table.reduced) if d > 0 and k >> v & 1)
        assert table.bound(k) == expected


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 2**32 - 1), st.booleans())
def test_dual_bounded_search_matches_brute_force_on_programs(seed, priced):
    """Whole programs (true valuations, or covering unions of candidates) as set packing: the
    backend's run gives the optimum, which the exact check accepts."""
    program = _priced_program(seed) if priced else packing_program(seed)
    expected, _ = brute(program)
    formulation = build(program)
    if not clique.applies(formulation.ilp):
        pytest.skip("not set packing")
    answer = dualclique.run(formulation, SolveOptions("clique"), None)
    assert answer.status is Status.OPTIMAL
    allocation = formulation.decode(answer.values)
    assert program.total(allocation) == expected


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_colgen_cores_through_the_dual_bounded_search(seed):
    """The portfolio's and the clique search's cores of priced programs go to ``ilp.dualclique``
    (as many small cores as possible): every value proven and equal to the reference."""
    program = _priced_program(seed)
    expected, _ = brute(program)
    calls = []
    real = dualclique.run

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("ilp.colgen.CORE_SIZE", random.Random(seed).choice((1, 2, 200)))
        patch.setattr("ilp.colgen._greedy", lambda program, master: (0,) * len(program.weights))
        patch.setattr("ilp.colgen.SPARSE_CORE", 0.0)  # (small cores are sparse: the dual search first)
        patch.setattr(dualclique, "run", counted)
        for backend in ("portfolio", "clique"):
            _check_proven(program, solve(program, backend), expected, backend)
    if expected > 0:  # no start and a positive optimum: some core had to be solved
        assert calls


def _packing_programs(count: int):
    """(program, formulation, optimum) of the priced programs of seeds 0 .. count - 1 that are
    set packing."""
    for seed in range(count):
        program = _priced_program(seed)
        formulation = build(program)
        if clique.applies(formulation.ilp):
            yield program, formulation, brute(program)[0]


def test_a_clique_search_past_its_deadline_gives_an_interval():
    """A core not proven in time: FEASIBLE, its incumbent a packing, its bound at least the optimum."""
    rng = random.Random(7)
    for program, formulation, expected in _packing_programs(40):
        answer = dualclique.run(formulation, SolveOptions("clique", time_limit=1e-9), None)
        if answer.status is Status.OPTIMAL:
            continue
        assert answer.status is Status.FEASIBLE and answer.bound >= expected
        assert program.total(formulation.decode(answer.values)) <= expected
    assert rng  # the loop above met programs of every size


def test_a_search_stopped_at_its_cap_bounds_with_or_without_the_colouring():
    """A search stopped by its cap (no node, no work) is FEASIBLE with a packing: the
    dual-bounded search's bound is at least the optimum, the dual bound alone without
    ``colouring`` and no higher than it with; the plain search gives no bound without ``bound``."""
    stopped = 0
    for program, formulation, expected in _packing_programs(40):
        options = SolveOptions("clique")
        both = dualclique.run(formulation, options, None, max_nodes=0)
        dual = dualclique.run(formulation, options, None, max_nodes=0, colouring=False)
        plain = clique.solve_graph(formulation, clique.graph(formulation.ilp), options, None, work=0, bound=False)
        for answer in (both, dual, plain):
            if answer.status is not Status.OPTIMAL:
                assert answer.status is Status.FEASIBLE
                assert program.total(formulation.decode(answer.values)) <= expected
        assert both.status is dual.status
        if dual.status is Status.FEASIBLE:
            stopped += 1
            assert expected <= both.bound <= dual.bound
        if plain.status is Status.FEASIBLE:
            assert plain.bound is None
    assert stopped > 5


def _conflicting(g: Graph, mask: int) -> bool:
    """Whether the vertices of ``mask`` are pairwise incompatible in ``g``."""
    return all(not g.compatible[v] & mask for v in range(len(g.weights)) if mask >> v & 1)


def violated_triples(masks: list[int], x: list[float]) -> set[int]:
    """The subset-row cuts violated at ``x``, by definition: for every three rows, the vertices
    in at least two of them, when their values sum above 1."""
    out = set()
    for r, s, u in itertools.combinations(masks, 3):
        cut = (r & s) | (r & u) | (s & u)
        if sum(x[v] for v in range(len(x)) if cut >> v & 1) > 1 + 1e-6:
            out.add(cut)
    return out


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_subset_row_cuts_are_the_violated_ones_and_hold_every_clique(seed, other):
    """``subset_row_cuts`` finds exactly the violated subset-row cuts (all of them, or the
    ``most`` most violated), at a relaxation's optimum or at any point of the relaxation; every cut is
    a set of pairwise incompatible vertices, so adding it (with any dual) keeps the search exact."""
    import numpy as np

    g = drawn_graph(seed)
    rng = random.Random(other)
    rows = conflict_rows(g, rng)
    n = len(g.weights)
    if rng.random() < 0.5 and n:
        relaxation = dualclique._Relaxation(g, rows)
        assert relaxation.solve()
        x = relaxation.primal()
    else:  # any point of the relaxation: drawn, scaled into every row
        x = np.array([rng.choice((0.0, 1.0, rng.random(), 0.5, 1 / 3)) for _ in range(n)])
        x /= max([1.0] + [sum(x[v] for v in range(n) if row >> v & 1) for row in rows])
    cuts = dualclique.subset_row_cuts(rows, n, x)
    assert set(cuts) == violated_triples(rows, list(x))
    for cut in cuts:
        assert _conflicting(g, cut)
    few = dualclique.subset_row_cuts(rows, n, x, most=2)
    assert few == cuts[:2]
    violation = [sum(x[v] for v in range(n) if cut >> v & 1) for cut in cuts]
    # most violated first (the search sums in another order: equal violations may differ in the last bits)
    assert all(a >= b - 1e-9 for a, b in zip(violation, violation[1:]))
    # the rows and cuts, with duals drawn or GLOP's after separation, bound every clique
    every = brute_cliques(g)
    best = max(every.values())
    strengthened = dualclique.strengthened_duals(g, rows, rng.randint(0, 3), rng.choice((0, 1, 5)))
    assert strengthened is not None
    masks, duals = strengthened
    assert masks[:len(rows)] == rows and all(_conflicting(g, m) for m in masks)
    if rng.random() < 0.3:
        duals = drawn_duals(masks, g, rng)
    table = dualclique._Rows(g, masks, duals)
    assert table.bound((1 << n) - 1) >= dualclique.SCALE * best
    found, weight, proven = dualclique.max_weight_clique(g, table)
    assert proven and weight == best == every[frozenset(found)]


def test_a_subset_row_cut_closes_the_gap_of_three_pairs():
    """Three bundles {a, b}, {b, c}, {a, c} of value 2: the relaxation is 3 (each at 1/2), the
    optimum 2. The cut "at most one of the three" (each is in two of the three goods' rows)
    brings the integer bound of the whole graph down to the optimum; without it, 3."""
    g = Graph((0, 1, 2), (2, 2, 2), (0, 0, 0))
    rows = [0b011, 0b110, 0b101]  # goods a, b, c: the bundles holding them
    plain = dualclique._Rows(g, rows, dualclique.relaxation_duals(g, rows))
    assert plain.bound(0b111) // dualclique.SCALE == 3
    masks, duals = dualclique.strengthened_duals(g, rows, 1, 10)
    assert masks == rows + [0b111]
    cut = dualclique._Rows(g, masks, duals)
    assert cut.bound(0b111) // dualclique.SCALE == 2


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_the_dual_cover_leaves_only_what_the_bound_rules_out(seed, other):
    """The candidates a node does not branch on (``_DualSearch.cover``) hold no clique worth
    more than the target: their dual bound B(P) is below SCALE (target + 1), and so is the
    weight of every clique among them."""
    g = drawn_graph(seed)
    rng = random.Random(other)
    rows = conflict_rows(g, rng)
    table = dualclique._Rows(g, rows, drawn_duals(rows, g, rng))
    search = dualclique._DualSearch(g, table, None)
    every = brute_cliques(g)
    n = len(g.weights)
    for _ in range(5):
        candidates = rng.randint(0, (1 << n) - 1) if n else 0
        target = rng.randint(-1, max(every.values()) + 1)
        branch = search.cover(candidates, target)
        assert branch & ~candidates == 0
        rest = candidates & ~branch
        assert table.bound(rest) < dualclique.SCALE * (target + 1) or not rest
        assert all(w <= target for c, w in every.items() if c and all(rest >> v & 1 for v in c))


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), st.booleans())
def test_programs_with_cuts_at_any_size_match_brute_force(seed, priced):
    """Cuts on every program however small (:data:`ilp.dualclique.CUT_VERTICES` at 0), one or
    several rounds: the dual-bounded search, alone and on ``ilp.colgen``'s cores, gives the
    brute-force optimum."""
    program = _priced_program(seed) if priced else packing_program(seed)
    expected, _ = brute(program)
    rng = random.Random(seed)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dualclique, "CUT_VERTICES", 0)
        patch.setattr(dualclique, "CUT_ROUNDS", rng.choice((1, 2, 4)))
        patch.setattr(dualclique, "CUTS_PER_ROUND", rng.choice((1, 3, 50)))
        formulation = build(program)
        if clique.applies(formulation.ilp):
            answer = dualclique.run(formulation, SolveOptions("clique"), None)
            assert answer.status is Status.OPTIMAL
            assert program.total(formulation.decode(answer.values)) == expected
        if priced:
            patch.setattr("ilp.colgen.CORE_SIZE", rng.choice((1, 2, 200)))
            patch.setattr("ilp.colgen._greedy", lambda program, master: (0,) * len(program.weights))
            _check_proven(program, solve(program, "clique"), expected, "clique")


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.booleans(), st.sampled_from((0.0, 0.5, 2.0)))
def test_rows_from_given_multipliers_bound_every_clique_and_keep_the_graph(seed, priced, dense):
    """:func:`ilp.dualclique.program_rows` with any integer multipliers >= 0 of the goods' and
    the players' rows, renumbered (``DENSE`` 0) or not (2): the same compatibility between the
    same variables as ``ilp.clique.graph``, every row a set of pairwise incompatible vertices,
    the bound at least every clique's weight, and ``run`` with those multipliers gives the
    brute-force optimum."""
    program = _priced_program(seed) if priced else packing_program(seed)
    expected, _ = brute(program)
    formulation = build(program)
    if not clique.applies(formulation.ilp):
        pytest.skip("not set packing")
    g = clique.graph(formulation.ilp)
    rng = random.Random(seed)
    cost = [rng.choice((0, 0, 1, rng.randint(0, 3 * dualclique.SCALE))) for _ in range(program.n_goods)]
    own = {j: rng.choice((0, rng.randint(0, 5 * dualclique.SCALE))) for j in range(len(program.weights))}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dualclique, "DENSE", dense)
        given_rows = dualclique.program_rows(formulation, g, cost, own)
        assert given_rows is not None
        renumbered, masks, duals = given_rows
        assert sorted(renumbered.variables) == sorted(g.variables)
        if dense > 1:
            assert renumbered == g

        def pairs(graph: Graph) -> set[frozenset[int]]:
            return {frozenset((graph.variables[a], graph.variables[b]))
                    for a in range(len(graph.weights)) for b in range(len(graph.weights))
                    if a != b and graph.compatible[a] >> b & 1}
        assert pairs(renumbered) == pairs(g)
        assert all(w == formulation.ilp.objective[k] for k, w in zip(renumbered.variables, renumbered.weights))
        assert len(masks) == len(duals) and all(y > 0 for y in duals)
        for mask in masks:
            assert _conflicting(renumbered, mask) and mask & (mask - 1)
        if len(renumbered.weights) <= 12:
            table = dualclique._Rows(renumbered, masks, duals)
            for c, w in brute_cliques(renumbered).items():
                k = sum(1 << v for v in c)
                assert table.bound(k) >= dualclique.SCALE * w
        answer = dualclique.run(formulation, SolveOptions("clique"), None, (cost, own))
        assert answer.status is Status.OPTIMAL
        assert program.total(formulation.decode(answer.values)) == expected


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from((0.0, 2.0)))
def test_colgen_cores_with_the_masters_multipliers_renumbered_or_not(seed, dense):
    """``ilp.colgen``'s cores bounded by its master's multipliers (``dualclique.run``'s
    ``duals``), their graphs renumbered (``DENSE`` 0) or not (2): every value proven and equal
    to the reference."""
    program = _priced_program(seed)
    expected, _ = brute(program)
    rng = random.Random(seed)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dualclique, "DENSE", dense)
        patch.setattr("ilp.colgen.CORE_SIZE", rng.choice((1, 2, 200)))
        patch.setattr("ilp.colgen._greedy", lambda program, master: (0,) * len(program.weights))
        for backend in ("portfolio", "clique"):
            _check_proven(program, solve(program, backend), expected, backend)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.booleans(), st.booleans())
def test_listing_with_the_dual_bound_finds_the_cliques_of_the_colouring_bound(seed, priced, multipliers):
    """:func:`ilp.dualclique.optima` lists the same cliques weighing at least a threshold as
    ``ilp.clique.optima`` (as sets of variables), with the relaxation's duals or any given
    multipliers (``program_rows``), at the optimum and below it; with a node cap of 0 it says the
    list is not complete."""
    program = _priced_program(seed) if priced else packing_program(seed)
    expected, _ = brute(program)
    formulation = build(program)
    assume(clique.applies(formulation.ilp) and expected > 0)  # (set packing, something to list)
    rng = random.Random(seed)
    duals = None
    if multipliers:
        duals = ([rng.choice((0, rng.randint(0, 3 * dualclique.SCALE))) for _ in range(program.n_goods)],
                 {j: rng.choice((0, rng.randint(0, 5 * dualclique.SCALE))) for j in range(len(program.weights))})
    g = clique.graph(formulation.ilp)
    for threshold in (expected, max(1, expected - rng.randint(1, 3))):
        listed = dualclique.optima(formulation, threshold, duals)
        assert listed is not None
        graph, cliques, complete = listed
        assert complete
        by_dual = sorted(sorted(graph.variables[v] for v in c) for c in cliques)
        by_colour = sorted(sorted(g.variables[v] for v in c) for c in clique.optima(g, threshold))
        assert by_dual == by_colour and len(set(map(tuple, by_dual))) == len(by_dual)
        assert all(sum(graph.weights[v] for v in c) >= threshold for c in cliques)
    assert dualclique.optima(formulation, expected, duals, max_nodes=0)[2] is False
