"""The clique search bounded by duals (``ilp.dualclique``, the solver of ``ilp.colgen``'s cores):
exact against every clique enumerated on drawn graphs, whatever the duals (the bound must hold
for any y >= 0, GLOP's or drawn at random, with reduced costs of both signs), with warm starts,
past deadlines, and on whole programs against the brute-force reference."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
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
        patch.setattr(dualclique, "run", counted)
        for backend in ("portfolio", "clique"):
            _check_proven(program, solve(program, backend), expected, backend)
    if expected > 0:  # no start and a positive optimum: some core had to be solved
        assert calls


def test_a_clique_search_past_its_deadline_gives_an_interval():
    """A core not proven in time: FEASIBLE, its incumbent a packing, its bound at least the optimum."""
    rng = random.Random(7)
    for seed in range(40):
        program = _priced_program(seed)
        formulation = build(program)
        if not clique.applies(formulation.ilp):
            continue
        expected, _ = brute(program)
        answer = dualclique.run(formulation, SolveOptions("clique", time_limit=1e-9), None)
        if answer.status is Status.OPTIMAL:
            continue
        assert answer.status is Status.FEASIBLE and answer.bound >= expected
        assert program.total(formulation.decode(answer.values)) <= expected
    assert rng  # the loop above met programs of every size
