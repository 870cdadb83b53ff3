"""An adversarial audit of the exact solvers that do not go through one integer program:
column generation over covering unions (``ilp.colgen``) and, where present, the maximum-weight
clique search (``ilp.clique``: the portfolio's sparse programs and the lexicographic tie-break).

Programs are drawn to stress the weak spots of their proofs: ties everywhere (values 1-2),
zero values, candidates with one bid, identical candidates, goods nobody wants, values near
10^12 next to small ones, EXACT candidates, coalitions pooling two or three options, OR,
single-choice and absent players next to the priced ones, the smallest first cores, a coarse
pricing tolerance and no starting solution. Each is compared with a brute force written here
from the definition (every owner vector, in lexicographic order), on every backend, for the
value, the proven bound, the witness's worth and the canonical witness (the lexicographically
first optimum); tiny time limits must give an interval holding the optimum, never a wrong value.
The clique search is also checked on graphs drawn directly (every clique enumerated), and
through the portfolio made to send every set-packing program, and ``ilp.colgen``'s cores,
to it. Each test was checked to fail on deliberately broken copies of the code it guards.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilp import Program, SolveOptions, Status, Weight, lex_first, solve
from ilp.colgen import applies
from ilp.compile import BlockCache
from instances.valuation import Form, Valuation
from tests.extreme_instances import CAP

BACKENDS = ("cpsat", "highs", "scip", "cbc", "portfolio")
CANDIDATE_FORMS = (Form.XOR, Form.XOR, Form.SINGLE_MINDED, Form.EXPLICIT)
OTHER_FORMS = (Form.XOR, Form.OR, Form.SINGLE_MINDED, Form.EXPLICIT, Form.ADDITIVE)
MODES = ("ties", "zero", "small", "cap", "mixed")


def brute(program: Program) -> tuple[int, tuple[int, ...]]:
    """The optimum of ``program`` by definition and its lexicographically first optimal
    allocation (owner code 0 for an unallocated good, j + 1 for player j)."""
    n, m = len(program.weights), program.n_goods
    best, first = None, None
    for owners in itertools.product(range(n + 1), repeat=m):
        allocation = [0] * n
        for g, o in enumerate(owners):
            if o:
                allocation[o - 1] |= 1 << g
        value = program.total(tuple(allocation))
        if best is None or value > best:
            best, first = value, tuple(allocation)
    return best, first


def _value(rng: random.Random, mode: str) -> int:
    if mode == "ties":
        return rng.choice((1, 1, 2))
    if mode == "zero":
        return rng.choice((0, 0, 1, 3))
    if mode == "small":
        return rng.randint(1, 12)
    if mode == "cap":
        return CAP - rng.randint(0, 3)
    return rng.choice((1, 2, CAP // 2, CAP - 1, CAP))  # mixed magnitudes


def _bids(rng: random.Random, used: int, mode: str, count: int) -> tuple[tuple[int, int], ...]:
    bids: dict[int, int] = {}
    for _ in range(count):
        bundle = rng.randint(1, (1 << used) - 1)
        bids.setdefault(bundle, _value(rng, mode))
    return tuple(bids.items())


def _valuation(rng: random.Random, used: int, mode: str, form: Form) -> Valuation:
    if form is Form.ADDITIVE:
        goods = rng.sample(range(used), rng.randint(1, used))
        return Valuation(form, tuple(sorted((1 << g, _value(rng, mode)) for g in goods)))
    count = 1 if form is Form.SINGLE_MINDED else rng.randint(1, 4)
    return Valuation(form, _bids(rng, used, mode, count))


def _candidate_option(rng: random.Random, used: int, mode: str) -> tuple[Valuation, ...]:
    """A guaranteed value's candidates: the truth and one to three others that are identical,
    the same bundles rescaled, one bid only, EXACT, or unrelated."""
    truth = _valuation(rng, used, mode, rng.choice(CANDIDATE_FORMS))
    others = []
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(("same", "rescaled", "one", "exact", "other"))
        if kind == "same":
            others.append(Valuation(truth.form, truth.bids))
        elif kind == "rescaled":
            others.append(Valuation(truth.form, tuple((b, max(0, min(CAP, v + rng.randint(-1, 1))))
                                                      for b, v in truth.bids)))
        elif kind == "one":
            others.append(Valuation(Form.XOR, _bids(rng, used, mode, 1)))
        elif kind == "exact":
            others.append(Valuation(Form.EXPLICIT, _bids(rng, used, mode, rng.randint(1, 3))))
        else:
            others.append(_valuation(rng, used, mode, rng.choice(CANDIDATE_FORMS)))
    return (truth, *others)


def stress_program(seed: int) -> Program:
    """A small program with at least one guaranteed value priced by ``ilp.colgen`` (when the
    draw allows one) among other players of every kind, on goods some of which nobody wants."""
    rng = random.Random(seed)
    m = rng.randint(1, 5)
    used = rng.randint(1, m)  # goods from ``used`` on appear in no bid
    mode = rng.choice(MODES)
    weights: list[Weight | None] = []
    for _ in range(rng.randint(1, 4)):
        draw = rng.random()
        if draw < 0.55:
            options = [_candidate_option(rng, used, mode) for _ in range(rng.choice((1, 1, 2, 3)))]
            weights.append(Weight(tuple(options)))
        elif draw < 0.7:  # a coalition pooling single valuations (lower bounds): single-choice
            weights.append(Weight(tuple((_valuation(rng, used, mode, Form.XOR),) for _ in range(2))))
        elif draw < 0.93:
            weights.append(Weight.of(_valuation(rng, used, mode, rng.choice(OTHER_FORMS))))
        else:
            weights.append(None)
    return Program(m, tuple(weights))


def _priced_program(seed: int) -> Program:
    """The first :func:`stress_program` from ``seed`` on that ``ilp.colgen`` takes."""
    while True:
        program = stress_program(seed)
        if applies(program, BlockCache()):
            return program
        seed += 1_000_003


def _check_proven(program: Program, solution, expected: int, backend: str) -> None:
    assert solution.optimal, (backend, solution)
    assert solution.value == expected == solution.bound, (backend, solution.value, expected)
    assert program.total(solution.allocation) == expected, backend
    held = 0
    for bundle in solution.allocation:
        assert bundle & held == 0, backend
        held |= bundle


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_priced_programs_match_brute_force_on_every_backend(seed):
    program = _priced_program(seed)
    expected, first = brute(program)
    rng = random.Random(seed)
    with pytest.MonkeyPatch.context() as patch:
        # the smallest first cores, a coarse tolerance (a looser bound), no greedy start: the
        # proof must stand on the cores alone
        patch.setattr("ilp.colgen.CORE_SIZE", rng.choice((1, 2, 200)))
        if rng.random() < 0.6:  # none (every boundary exact) or coarse
            patch.setattr("ilp.colgen.TOLERANCE", rng.choice((0.0, 0.0, 0.3, 0.99)))
        if rng.random() < 0.5:
            patch.setattr("ilp.colgen._greedy", lambda program, master: (0,) * len(program.weights))
        for backend in BACKENDS:
            _check_proven(program, solve(program, backend), expected, backend)
        # the canonical witness is the same whatever the backend
        for backend in ("cpsat", "highs"):
            solution = solve(program, backend)
            assert lex_first(program, solution, backend).allocation == first, backend


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_any_starting_allocation_leaves_the_optimum(seed, other):
    """A hint good, bad, overlapping or worth nothing changes nothing proven."""
    program = _priced_program(seed)
    expected, first = brute(program)
    rng = random.Random(other)
    n, m = len(program.weights), program.n_goods
    hints = [first, (0,) * n, tuple(rng.randint(0, (1 << m) - 1) for _ in range(n)),
             tuple((1 << m) - 1 if j == 0 else 0 for j in range(n))]
    for hint in hints:
        _check_proven(program, solve(program, "cpsat", hint=hint), expected, f"cpsat {hint}")


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from((0.0, 1e-9, 1e-4, 0.01)))
def test_a_tiny_time_limit_gives_an_interval_holding_the_optimum(seed, limit):
    """A proven answer is the optimum; an unproven one is an interval around it, never a value."""
    program = _priced_program(seed)
    expected, _ = brute(program)
    for backend in ("cpsat", "highs"):
        solution = solve(program, SolveOptions(backend, time_limit=limit))
        if solution.optimal:
            _check_proven(program, solution, expected, backend)
        else:
            assert solution.bound is not None and solution.bound >= expected, (backend, solution)
            if solution.allocation is not None:
                assert program.total(solution.allocation) <= expected


def test_the_pricing_tolerance_is_counted_in_the_bound():
    """Two candidates who disagree only by one unit near 10^12, and an OR player wanting the
    same goods: the relaxation's tolerance (10^-6 of the largest value) is larger than the
    difference that decides the optimum, so the bound must count it exactly."""
    a, b = 0b01, 0b10
    priced = Weight(((Valuation(Form.XOR, ((a, CAP), (a | b, CAP))),
                      Valuation(Form.XOR, ((a, CAP - 1), (b, CAP)))),))
    other = Weight.of(Valuation(Form.OR, ((a, CAP - 1), (b, 1))))
    program = Program(2, (priced, other))
    assert applies(program, BlockCache())
    expected, first = brute(program)
    for backend in BACKENDS:
        _check_proven(program, solve(program, backend), expected, backend)


@pytest.mark.parametrize("backend", ("scip", "cpsat", "highs", "cbc"))
def test_a_core_listed_past_the_time_limit_is_not_solved_with_a_negative_limit(backend):
    """The clock is read before a core is listed and again when it is handed to the backend:
    listing may take longer than what was left (up to LIST_BUDGET search nodes), and SCIP
    raises on a negative time limit. A clock that jumps while the core is built shows it: the
    answer must be an interval holding the optimum (or the optimum, proven), never an error."""
    import ilp.colgen
    from ilp.formulation import build as real_build

    program = next(p for seed in range(100) if brute(p := _priced_program(seed))[0] > 0)
    expected, _ = brute(program)
    clock = [0.0]

    def build(*args, **kwargs):
        clock[0] += 10.0  # the core took longer than the time limit to list
        return real_build(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ilp.colgen, "monotonic", lambda: clock[0])
        patch.setattr(ilp.colgen, "build", build)
        patch.setattr("ilp.colgen._greedy", lambda program, master: (0,) * len(program.weights))
        solution = solve(program, SolveOptions(backend, time_limit=5.0))
    if solution.optimal:
        _check_proven(program, solution, expected, backend)
    else:
        assert solution.bound is not None and solution.bound >= expected
        assert solution.allocation is None or program.total(solution.allocation) <= expected


@pytest.mark.parametrize("form", (Form.XOR, Form.OR, Form.SINGLE_MINDED, Form.EXPLICIT))
@pytest.mark.parametrize("x, y", [(5, 1), (1, 1), (CAP, CAP), (CAP, 1), (1, CAP)])
def test_columns_exactly_at_the_core_level_are_in_the_core(form, x, y):
    """An integral relaxation with exact duals, no pricing tolerance, no greedy solution: the
    bound is the optimum exactly, so every column of the optimum has reduced cost 0, which is
    exactly the level of the core of the optimum. A core that keeps only columns strictly above
    its level misses them and "proves" the optimum one lower. A priced player wants good b
    (candidates agreeing on it), the other player good a. (Each candidate is worth something
    where the other is not, a or a third good c: a candidate at most the other everywhere would
    be left out of the minimum, and no unions priced.)"""
    a, b, c = 0b001, 0b010, 0b100
    priced = Weight(((Valuation(Form.XOR, ((b, x), (c, 1))), Valuation(Form.XOR, ((b, x), (a, max(1, x // 2))))),))
    other = Weight.of(Valuation(form, ((a, y),)))
    program = Program(3, (priced, other))
    assert applies(program, BlockCache())
    expected, first = brute(program)
    assert expected == x + y
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("ilp.colgen.TOLERANCE", 0.0)
        patch.setattr("ilp.colgen.CORE_SIZE", 1)
        patch.setattr("ilp.colgen._greedy", lambda program, master: (0,) * len(program.weights))
        for backend in ("cpsat", "highs"):
            _check_proven(program, solve(program, backend), expected, backend)
            # the other way round: the priced player is the one the greedy start would miss
            swapped = Program(3, (other, priced))
            _check_proven(swapped, solve(swapped, backend), expected, backend)


# --- the maximum-weight clique search (ilp.clique) and its uses -------------------------------

def random_graph(seed: int):
    """A compatibility graph drawn directly (any density, ties, values near 10^12, one vertex,
    none), vertices numbered in no particular order."""
    from ilp.clique import Graph

    rng = random.Random(seed)
    n = rng.randint(0, 10)
    density = rng.choice((0.1, 0.5, 0.9, 1.0))
    mode = rng.choice(("ties", "small", "cap", "mixed"))
    compatible = [0] * n
    for a, b in itertools.combinations(range(n), 2):
        if rng.random() < density:
            compatible[a] |= 1 << b
            compatible[b] |= 1 << a
    weights = tuple(max(1, _value(rng, mode)) for _ in range(n))
    return Graph(tuple(range(n)), weights, tuple(compatible))


def brute_cliques(g) -> dict[frozenset[int], int]:
    """Every clique of ``g`` with its weight, by enumerating vertex subsets."""
    n = len(g.weights)
    out = {}
    for size in range(n + 1):
        for subset in itertools.combinations(range(n), size):
            if all(g.compatible[a] >> b & 1 for a, b in itertools.combinations(subset, 2)):
                out[frozenset(subset)] = sum(g.weights[v] for v in subset)
    return out


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_clique_search_on_arbitrary_graphs(seed, other):
    clique = pytest.importorskip("ilp.clique")
    g = random_graph(seed)
    every = brute_cliques(g)
    best = max(every.values())
    found, weight, proven = clique.max_weight_clique(g)
    assert proven and weight == best == sum(g.weights[v] for v in found)
    assert frozenset(found) in every
    assert clique.upper_bound(g) >= best
    # a warm start from any clique, the optimum included, proves the same weight
    start = sorted(random.Random(other).choice(sorted(every, key=sorted)))
    found, weight, proven = clique.max_weight_clique(g, tuple(start))
    assert proven and weight == best and frozenset(found) in every
    # every optimum is listed, once; one above the optimum there is none
    for threshold in (best, best - 1, best + 1):
        listed = clique.optima(g, threshold)
        assert listed is not None and len(listed) == len(set(map(frozenset, listed)))
        assert {frozenset(c) for c in listed} == {c for c, w in every.items() if w >= threshold}, threshold
    # a deadline already passed: the incumbent of a search that is not proven is still a clique
    found, weight, proven = clique.max_weight_clique(g, (), deadline=0.0)
    assert frozenset(found) in every and weight == every[frozenset(found)] <= best
    assert not proven or weight == best
    assert clique.optima(g, best, deadline=0.0) in (None, clique.optima(g, best))


def packing_program(seed: int) -> Program:
    """Whole-bid players only (XOR, OR, single-minded, EXPLICIT, additive, pooled lower
    bounds, absent), on goods some of which nobody wants: every program is set packing."""
    rng = random.Random(seed)
    m = rng.randint(1, 5)
    used = rng.randint(1, m)
    mode = rng.choice(MODES)
    weights: list[Weight | None] = []
    for _ in range(rng.randint(1, 4)):
        draw = rng.random()
        if draw < 0.2:
            weights.append(Weight(tuple((_valuation(rng, used, mode, Form.XOR),) for _ in range(2))))
        elif draw < 0.93:
            weights.append(Weight.of(_valuation(rng, used, mode, rng.choice(OTHER_FORMS))))
        else:
            weights.append(None)
    return Program(m, tuple(weights))


def _everything_to_the_clique_search(patch: pytest.MonkeyPatch) -> None:
    """The portfolio takes every set-packing program, however small or dense, to the clique
    search (its cores in ``ilp.colgen`` too), and orders optima by listing them."""
    patch.setattr("ilp.portfolio.SPARSE", 1.0)
    patch.setattr("ilp.portfolio.CLIQUE_MIN_BIDS", 0)


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), st.booleans())
def test_the_clique_search_and_its_tie_break_match_brute_force(seed, priced):
    pytest.importorskip("ilp.clique")
    program = _priced_program(seed) if priced else packing_program(seed)
    expected, first = brute(program)
    with pytest.MonkeyPatch.context() as patch:
        _everything_to_the_clique_search(patch)
        for backend in ("portfolio", "clique"):
            solution = solve(program, backend)
            _check_proven(program, solution, expected, backend)
            # the canonical witness: every optimum listed by the clique search, the first taken
            assert lex_first(program, solution, backend).allocation == first, backend


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from((0.0, 1e-9, 1e-4)))
def test_the_clique_search_under_a_tiny_time_limit_gives_an_interval(seed, limit):
    pytest.importorskip("ilp.clique")
    program = packing_program(seed)
    expected, first = brute(program)
    with pytest.MonkeyPatch.context() as patch:
        _everything_to_the_clique_search(patch)
        for backend in ("portfolio", "clique"):
            options = SolveOptions(backend, time_limit=limit)
            solution = solve(program, options)
            if solution.optimal:
                _check_proven(program, solution, expected, backend)
                ordered = lex_first(program, solution, options)
                assert not ordered.optimal or ordered.allocation == first
            else:
                assert solution.bound is not None and solution.bound >= expected, (backend, solution)
                assert solution.allocation is None or program.total(solution.allocation) <= expected


def test_a_race_stopped_without_a_bound_keeps_the_stages_bound(monkeypatch):
    """A race stopped by the limit with no bound (simulated) fell back on the variables' ranges;
    the clique search stopped before it (after one node) had a tighter bound: it is kept."""
    pytest.importorskip("ilp.clique")
    from ilp import Answer
    from ilp.formulation import build

    _everything_to_the_clique_search(monkeypatch)
    monkeypatch.setattr("ilp.portfolio.CLIQUE_WORK", 1)
    monkeypatch.setattr("ilp.portfolio.PROBE_WORK", 0)
    monkeypatch.setattr("ilp.portfolio.cores", lambda: 2)
    monkeypatch.setattr("ilp.portfolio.race", lambda *args, **kwargs: Answer(Status.UNKNOWN))
    tighter = 0
    for seed in range(40, 60):
        program = packing_program(seed)
        expected, _ = brute(program)
        solution = solve(program, SolveOptions("portfolio", time_limit=60))
        if not solution.optimal:
            assert expected <= solution.bound <= build(program).ilp.box_bound()
            tighter += solution.bound < build(program).ilp.box_bound()
    assert tighter >= 3


def test_a_solver_alone_stopped_without_a_bound_keeps_the_stages_bound(monkeypatch):
    """Beside other programs in a batch's worker the portfolio runs no race: the solver that won
    the batch's latest race goes on alone (``SolveOptions.alone``). Stopped by the limit with no
    bound (simulated), its answer fell back on the variables' ranges, though the clique search
    stopped before it (after one node) had a tighter bound: it is kept, as after a race."""
    pytest.importorskip("ilp.clique")
    from ilp import Answer
    from ilp.formulation import build

    _everything_to_the_clique_search(monkeypatch)
    monkeypatch.setattr("ilp.portfolio.CLIQUE_WORK", 1)
    monkeypatch.setattr("ilp.cpsat.run", lambda *args, **kwargs: Answer(Status.UNKNOWN))
    tighter = 0
    for seed in range(40, 60):
        program = packing_program(seed)
        expected, _ = brute(program)
        solution = solve(program, SolveOptions("portfolio", time_limit=60, alone="cpsat"))
        if not solution.optimal:
            assert expected <= solution.bound <= build(program).ilp.box_bound()
            tighter += solution.bound < build(program).ilp.box_bound()
    assert tighter >= 3


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_a_core_not_proven_leaves_an_interval(seed):
    """A backend that runs out of time on a core (simulated: its proven answer downgraded to an
    incumbent) gives an interval, never a value, unless the bound is already met."""
    import ilp.backends

    program = _priced_program(seed)
    expected, _ = brute(program)
    real = ilp.backends._solve_core

    def unproven(*args, **kwargs):
        answer = real(*args, **kwargs)
        return replace(answer, status=Status.FEASIBLE, bound=None)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ilp.backends, "_solve_core", unproven)
        patch.setattr("ilp.colgen._greedy", lambda program, master: (0,) * len(program.weights))
        solution = solve(program, "cpsat")
    if expected > 0 and not solution.optimal:  # a core was needed, and it was not proven
        assert solution.bound >= expected
        assert solution.allocation is None or program.total(solution.allocation) <= expected
    else:  # no core needed, or the core's solution met the exact dual bound (about half the seeds)
        _check_proven(program, solution, expected, "cpsat")
