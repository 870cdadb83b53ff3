"""The maximum-weight clique backend (``ilp.clique``) and its uses (the portfolio on sparse
set-packing programs, the lexicographic tie-break by listing every optimum): exact against the
brute-force reference on many random small programs and instances, with ties and values near
10^12, warm starts good and bad, time limits, and the portfolio's routing by density."""

from __future__ import annotations

import itertools
import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import compute_report
from ilp import Program, SolveOptions, Status, Weight, clique, lex_first, portfolio, solve
from ilp.formulation import build
from instances import Form, Valuation
from instances.synthetic import random_valuation
from tests.extreme_instances import CAP, near_cap_instance
from tests.test_agreement import _matches_reference
from tests.test_exact import _agrees_with_brute

FORMS = (Form.XOR, Form.OR, Form.EXPLICIT, Form.SINGLE_MINDED, Form.ADDITIVE)


def packing_program(seed: int, high: int | None = None) -> Program:
    """A random program of true valuations (one per player, some excluded), values 1..high."""
    rng = random.Random(seed)
    m = rng.randint(1, 6)
    high = high if high is not None else rng.choice((3, 50, CAP))
    low = CAP - 50 if high == CAP else 0
    weights = []
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.1:
            weights.append(None)
            continue
        weights.append(Weight.of(random_valuation(rng, m, rng.choice(FORMS), low=low, high=high)))
    return Program(m, tuple(weights))


def brute_cliques(g: clique.Graph, threshold: int) -> set[frozenset[int]]:
    """Every clique of weight at least ``threshold``, by enumerating vertex subsets."""
    n = len(g.weights)
    out = set()
    for size in range(n + 1):
        for subset in itertools.combinations(range(n), size):
            if all(g.compatible[a] >> b & 1 for a, b in itertools.combinations(subset, 2)) and sum(
                    g.weights[v] for v in subset) >= threshold:
                out.add(frozenset(subset))
    return out


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32))
def test_clique_matches_brute_force_on_packing_programs(seed):
    program = packing_program(seed)
    expected = solve(program, "brute")
    got = solve(program, "clique")
    assert got.status is Status.OPTIMAL and got.value == expected.value
    assert program.total(got.allocation) == got.value
    union = 0
    for bundle in got.allocation:
        assert bundle & union == 0
        union |= bundle
    # deterministic witness
    assert solve(program, "clique").allocation == got.allocation
    # the lexicographically first optimum by listing every optimum equals the solves' one
    assert lex_first(program, got, "clique").allocation == lex_first(program, expected, "cpsat").allocation


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32))
def test_optima_lists_every_clique_of_the_threshold(seed):
    program = packing_program(seed, high=3)  # many ties
    formulation = build(program)
    assert clique.applies(formulation.ilp)
    g = clique.graph(formulation.ilp)
    if len(g.weights) > 12:
        return
    _, best, proven = clique.max_weight_clique(g)
    assert proven
    assert clique.upper_bound(g) >= best
    for threshold in (best, best - 1):
        listed = clique.optima(g, threshold)
        assert listed is not None and len(listed) == len(set(listed))
        assert {frozenset(c) for c in listed} == brute_cliques(g, threshold)
        # a work cap stops the listing (None: not known), or lists the same cliques in full
        assert clique.optima(g, threshold, work=10**9) == listed
        capped = clique.optima(g, threshold, work=0)
        assert capped is None if threshold == best > 0 else capped in (None, listed)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32), st.integers(0, 2**32))
def test_a_warm_start_good_or_bad_never_changes_the_optimum(seed, other):
    program = packing_program(seed)
    expected = solve(program, "brute").value
    rng = random.Random(other)
    formulation = build(program)
    # an arbitrary 0/1 assignment: a packing (used) or not (ignored)
    hint = [rng.randint(0, 1) if rng.random() < 0.3 else 0 for _ in formulation.ilp.names]
    answer = clique.run(formulation, SolveOptions("clique"), hint)
    assert answer.status is Status.OPTIMAL
    assert sum(c * answer.values[k] for k, c in formulation.ilp.objective.items()) == expected


def test_a_timed_out_search_reports_its_incumbent_and_a_valid_bound():
    rng = random.Random(7)
    m = 24
    weights = tuple(Weight.of(Valuation(Form.XOR, tuple(
        (sum(1 << g for g in rng.sample(range(m), 3)), rng.randint(1, 1000)) for _ in range(40)))) for _ in range(8))
    program = Program(m, weights)
    formulation = build(program)
    answer = clique.run(formulation, SolveOptions("clique", time_limit=1e-9))
    assert answer.status is Status.FEASIBLE
    optimum = solve(program, "cpsat").value
    found = sum(c * answer.values[k] for k, c in formulation.ilp.objective.items())
    assert found <= optimum <= answer.bound


@pytest.mark.parametrize("native", ["1", "0"])
def test_one_colouring_stops_at_the_deadline(native, monkeypatch):
    """A node's colouring bound looks at the clock every ``_CLASSES_PER_LOOK`` classes, in C and
    in Python: on 4,096 pairwise compatible bids (a class each) with a deadline already passed,
    the search stops in the root's colouring, unproven, where it used to finish that colouring
    and 15 more nodes (on a core of 193,932 unions one colouring took minutes)."""
    from ilp import native as compiled

    if native == "1" and not compiled.available():
        pytest.skip("ilp._native is not built here")
    monkeypatch.setenv("CABENCH_NATIVE", native)
    n = 4096
    everyone = (1 << n) - 1
    g = clique.Graph(tuple(range(n)), (1,) * n, tuple(everyone ^ (1 << v) for v in range(n)))
    search = clique._Search(g, time.monotonic() - 1)
    found, weight, proven = clique.improve(search, (), floor=n + 1)
    assert not proven and search.nodes == 1 and found == ()
    assert search.work < n  # stopped within the classes


def test_programs_with_side_constraints_go_to_cpsat():
    p0 = Weight.of(Valuation(Form.XOR, ((0b01, 5),)))
    p1 = Weight.of(Valuation(Form.XOR, ((0b11, 7),)))
    fixed = Program(2, (p0, p1), fixed=(0, None))
    assert not clique.applies(build(fixed).ilp)
    solution = solve(fixed, "clique")
    assert solution.optimal and solution.value == 5 and solution.backend == "cpsat"
    assert clique.applies(build(Program(2, (p0, p1))).ilp)


def _bids(rng: random.Random, m: int, size: int, count: int) -> Valuation:
    return Valuation(Form.XOR, tuple((sum(1 << g for g in rng.sample(range(m), size)), rng.randint(1, 10**4))
                                     for _ in range(count)))


@pytest.mark.parametrize("size, routed", [(8, "clique"), (1, "cpsat")])
def test_the_portfolio_sends_sparse_programs_to_the_clique_search(size, routed):
    """Bids of 8 of 24 goods are rarely compatible (sparse graph: the clique search); bids of
    one good mostly are (dense: CP-SAT's probe proves it)."""
    rng = random.Random(size)
    program = Program(24, tuple(Weight.of(_bids(rng, 24, size, 30)) for _ in range(6)))
    density = clique.graph(build(program).ilp).density
    assert (density <= portfolio.SPARSE) == (routed == "clique")
    solution = solve(program, "portfolio")
    assert solution.optimal and solution.backend == routed
    assert solution.value == solve(program, "cpsat").value


@pytest.mark.parametrize("seed", range(60))
def test_the_density_cut_off_decides_as_the_density(seed):
    """``graph(ilp, densest)`` is None exactly when the graph's density is above ``densest``,
    also when the row-size bound decides it without building the graph (bids of 1-3 of m goods:
    dense and sparse programs, and cut-offs on both sides)."""
    rng = random.Random(seed)
    m = rng.randint(4, 24)
    program = Program(m, tuple(Weight.of(_bids(rng, m, rng.randint(1, min(3, m)), rng.randint(2, 30)))
                               for _ in range(rng.randint(1, 6))))
    ilp = build(program).ilp
    whole = clique.graph(ilp)
    for densest in (0.0, 0.2, portfolio.SPARSE, 0.6, 0.8, 0.95, whole.density):
        cut = clique.graph(ilp, densest=densest)
        assert (cut is None) == (len(whole.weights) >= 2 and whole.density > densest)
        if cut is not None:
            assert cut == whole
        # built anyway: the whole graph, unless the row sizes alone said it is too dense
        kept = clique.graph(ilp, densest=densest, built_anyway=True)
        assert kept is None or kept == whole
        assert kept is not None or whole.density > densest


@pytest.mark.parametrize("seed", [0, 5, 14])
def test_clique_is_exact_near_the_cap(seed):
    _agrees_with_brute(seed, backends=("clique",))


def test_near_cap_programs_with_many_players():
    """Sums far beyond 2^53 (20 players near 10^12): integer arithmetic throughout."""
    rng = random.Random(3)
    m = 12
    weights = tuple(Weight.of(Valuation(Form.XOR, tuple(
        (sum(1 << g for g in rng.sample(range(m), rng.randint(1, 3))), CAP - rng.randint(0, 50)) for _ in range(4))))
        for _ in range(20))
    program = Program(m, weights)
    got, expected = solve(program, "clique"), solve(program, "cpsat")
    assert got.optimal and got.value == expected.value
    assert lex_first(program, got, "clique").allocation == lex_first(program, expected, "cpsat").allocation


def test_near_cap_instance_report_through_the_portfolio():
    inst = near_cap_instance(2)
    reference = [b.value for b in compute_report(inst, SolveOptions("brute", jobs=1)).benchmarks]
    assert [b.value for b in compute_report(inst, SolveOptions("portfolio", jobs=1)).benchmarks] == reference


test_clique_matches_reference = _matches_reference("clique", 80)
test_clique_matches_reference_many = pytest.mark.slow(_matches_reference("clique", 600))
