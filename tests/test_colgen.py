"""Guaranteed values priced by column generation (``ilp.colgen``).

The pricing search is checked against every bundle of small random weights (the largest reduced
cost, and that every bundle above a level is covered by a listed union at least as good), for
random integer multipliers; whole programs (guaranteed values of candidates, pooled by
coalitions, next to XOR and OR players) are solved on every backend, with the smallest first
cores and with or without a starting solution, and compared with the brute-force solver, with
tied values and values near the cap; a time limit leaves an interval; and generated instances
with candidate knowledge give the same report as the listed covering unions."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ilp.clique
import ilp.colgen
import ilp.cpsat
import ilp.dualclique
import ilp.formulation
import ilp.pricing
import ilp.program
from benchmarks import compute_report
from benchmarks.table import table_programs
from ilp import Program, SolveOptions, Status, Weight, solve
from ilp.certify import SCALE
from ilp.colgen import applies
from ilp.compile import BlockCache, union_options
from ilp.pricing import Pricer
from ilp.unions import UnionSearch
from instances.generate import generate_instance
from instances.synthetic import random_valuation
from instances.valuation import Form, Valuation
from tests.extreme_instances import CAP

BACKENDS = ("cpsat", "highs", "cbc", "scip", "portfolio")
FREE_DISPOSAL = (Form.XOR, Form.XOR, Form.SINGLE_MINDED, Form.EXPLICIT)


def _weight(rng: random.Random, m: int, high: int) -> Weight:
    """A guaranteed value: the minimum over two to four candidates (the same bundles with
    rescaled values, as ``candidates:K`` draws them, or unrelated valuations), sometimes the
    maximum of two such options (a coalition pooling its members' knowledge)."""
    options = []
    for _ in range(rng.choice((1, 1, 1, 2))):
        truth = random_valuation(rng, m, rng.choice(FREE_DISPOSAL), low=1, high=high, max_bids=6)
        if rng.random() < 0.7:
            others = [Valuation(truth.form, tuple((b, max(1, min(CAP, int(v * rng.uniform(0.5, 1.5)))))
                                                  for b, v in truth.bids)) for _ in range(rng.randint(1, 3))]
        else:
            others = [random_valuation(rng, m, Form.XOR, low=1, high=high, max_bids=6) for _ in range(rng.randint(1, 2))]
        options.append((truth, *others))
    return Weight(tuple(options))


def _high(rng: random.Random) -> int:
    return rng.choice((4, 40, 40, CAP))


def _priced(rng: random.Random, m: int) -> tuple[Weight, UnionSearch]:
    for _ in range(1000):  # (a bounded search: a draw that never takes unions fails, not hangs)
        weight = _weight(rng, m, _high(rng))
        options = union_options(weight)
        if options is not None:
            return weight, UnionSearch(options)
    raise AssertionError(f"no guaranteed value on {m} goods took covering unions in 1000 draws")


@pytest.mark.parametrize("seed", range(200))
def test_pricing_finds_the_largest_reduced_cost_and_covers_every_bundle_above_a_level(seed):
    rng = random.Random(seed)
    m = rng.randint(2, 7)  # (on one good every two functions are ordered: no unions)
    weight, search = _priced(rng, m)
    pricer = Pricer(search)
    top = max(weight.value(s) for s in range(1 << m))
    scale = rng.choice((0, 1, top, top * SCALE))
    cost = [rng.randint(0, scale) if rng.random() < 0.8 else 0 for _ in range(m)]
    own = rng.randint(0, scale)
    # the bundles worth something (giving nothing is no column)
    reduced = {s: SCALE * weight.value(s) - sum(cost[g] for g in range(m) if s >> g & 1) - own
               for s in range(1 << m) if weight.value(s) > 0}
    best = max(reduced.values())
    floor = rng.choice((0, -1, best - 1, best, rng.randint(-SCALE * top, SCALE * top)))
    found = pricer.walk(cost, own, floor, keep=1)
    if best > floor:
        assert list(found.values())[-1] == best  # the last improvement is the best
    else:
        assert not found
    for union, value in found.items():
        assert floor < value <= reduced[union]  # a tuple is worth at most its union
    level = rng.choice((best, best - 1, best - SCALE, floor, min(reduced.values())))
    listed = pricer.walk(cost, own, level - 1)
    for s, d in reduced.items():
        if d >= level:  # some listed union inside s is at least as good
            assert any(u & ~s == 0 and listed[u] >= d and weight.value(u) >= weight.value(s) for u in listed), s
    kept = pricer.walk(cost, own, level - 1, keep=3)  # (more than 3 tied at the top: none kept)
    # each a listed union, or a union tied with one inside it (the listing keeps the smaller)
    assert all(u in listed or any(v & ~u == 0 and listed[v] >= d for v in listed) for u, d in kept.items())
    assert not listed or pricer.best(cost, own, level - 1, 3)[0] == max(listed.values())


@pytest.mark.parametrize("seed", range(200))
def test_the_best_values_are_at_most_those_of_the_same_rank(seed):
    """``Pricer.best`` (the reaches ``solve`` chooses a core's threshold from) against the reduced
    cost of every bundle, by brute force: at most ``keep`` values, the first the largest reduced
    cost, each at most the reduced cost of the same rank among the bundles (the values are of
    distinct unions, and a union's tuples are worth at most its reduced cost), with prices of few
    values, so that more than ``keep`` unions often tie at the ``keep``-th value (dropped from
    the dict, counted at that value)."""
    rng = random.Random(70000 + seed)
    m = rng.randint(3, 7)
    while (options := union_options(weight := _weight(rng, m, rng.choice((2, 4, 40))))) is None:
        pass
    search = UnionSearch(options)
    top = max(weight.value(s) for s in range(1 << m))
    # prices of few distinct values, often 0: unions tie as a bidder's paths do
    cost = [rng.choice((0, 0, 0, SCALE)) for _ in range(m)]
    own = rng.choice((0, SCALE))
    floor = rng.choice((-1, -SCALE * top, 0))
    keep = rng.choice((2, 2, 3, 5))
    reduced = sorted((d for s in range(1 << m) if weight.value(s) > 0
                      if (d := SCALE * weight.value(s) - sum(cost[g] for g in range(m) if s >> g & 1) - own) > floor),
                     reverse=True)
    best = Pricer(search).best(cost, own, floor, keep)
    assert len(best) <= keep and best == sorted(best, reverse=True)
    assert all(b <= d for b, d in zip(best, reduced)) and len(best) <= len(reduced)
    assert best[:1] == reduced[:1]


def _program(rng: random.Random) -> Program:
    m = rng.randint(2, 7)
    weights = []
    for _ in range(rng.randint(1, 4)):
        draw = rng.random()
        if draw < 0.7:
            weights.append(_weight(rng, m, _high(rng)))
        elif draw < 0.85:
            weights.append(Weight.of(random_valuation(rng, m, Form.XOR, low=1, high=min(_high(rng), 40))))
        elif draw < 0.95:
            weights.append(Weight.of(random_valuation(rng, m, Form.OR, low=1, high=9)))
        else:
            weights.append(None)
    return Program(m, tuple(weights))


@pytest.mark.parametrize("seed", range(80))
def test_programs_match_brute_force_on_every_backend(seed, monkeypatch):
    rng = random.Random(5000 + seed)
    program = _program(rng)
    expected = solve(program, "brute").value
    monkeypatch.setattr("ilp.colgen.CORE_SIZE", rng.randint(1, 6))
    if seed % 3 == 0:  # a coarse pricing tolerance: a looser bound, larger cores
        monkeypatch.setattr("ilp.colgen.TOLERANCE", 0.3)
    if seed % 2:  # no greedy solution to start from: the cores find every solution themselves
        monkeypatch.setattr("ilp.colgen._greedy", lambda program, master: (0,) * len(program.weights))
    assert applies(program, BlockCache()) == any(union_options(w) is not None for w in program.weights)
    for backend in BACKENDS:
        solution = solve(program, backend)
        assert solution.optimal and solution.value == expected == solution.bound, backend
        assert program.total(solution.allocation) == expected


@pytest.mark.parametrize("seed", range(40))
def test_cores_past_the_node_cap_go_to_cpsat_and_match_brute_force(seed, monkeypatch):
    """With a cap of 0 or 1 nodes every core the dual-bounded search cannot settle at once is
    handed to the plain clique search (capped at 0 or 1 work units, or not), then to CP-SAT,
    each from the best clique before: the value is still proven and the reference's."""
    rng = random.Random(11000 + seed)
    program = _program(rng)
    while not applies(program, BlockCache()):
        program = _program(rng)
    expected = solve(program, "brute").value
    monkeypatch.setattr("ilp.colgen.CORE_NODES", rng.choice((0, 1)))
    monkeypatch.setattr("ilp.colgen.CORE_WORK", rng.choice((0, 1, 10**9)))
    monkeypatch.setattr("ilp.colgen.CORE_SIZE", rng.randint(1, 6))
    solution = solve(program, "portfolio")
    assert solution.optimal and solution.value == expected == solution.bound
    assert program.total(solution.allocation) == expected


def _cut_program(seed: int) -> Program:
    rng = random.Random(13000 + seed)
    program = _program(rng)
    while not applies(program, BlockCache()):
        program = _program(rng)
    return program


@pytest.mark.parametrize("seed", range(30))
def test_cores_cut_at_the_masters_point_match_brute_force(seed, monkeypatch):
    """With cuts on every core (``dualclique.CUT_VERTICES`` at 2), a core that holds every
    column of the master's last point has its cuts separated there (``colgen._Bounded``): the
    value is still proven and the reference's."""
    program = _cut_program(seed)
    monkeypatch.setattr("ilp.dualclique.CUT_VERTICES", 2)
    monkeypatch.setattr("ilp.colgen.CORE_SIZE", random.Random(seed).randint(1, 6))
    solution = solve(program, "portfolio")
    assert solution.optimal and solution.value == solution.bound == solve(program, "brute").value
    assert program.total(solution.allocation) == solution.value


def test_a_core_cut_at_the_masters_point_solves_its_relaxation_once(monkeypatch):
    """Cut at the master's point, a core's relaxation is solved once (with its cuts, if any); a
    core without some column of that point solves it first, to separate there. Both occur on
    the seeds above."""
    monkeypatch.setattr("ilp.dualclique.CUT_VERTICES", 2)
    monkeypatch.setattr("ilp.colgen.SPARSE_CORE", 0.0)  # (small cores are sparse: the dual search first)
    calls: list[list[bool]] = []  # per core: whether a point was given, then one entry per GLOP solve
    solve_relaxation = ilp.dualclique._Relaxation.solve
    cut = ilp.dualclique.strengthened_duals

    def counted(relaxation):
        calls[-1].append(True)
        return solve_relaxation(relaxation)

    def strengthened(g, masks, rounds, per_round, point=None):
        calls.append([point is not None])
        return cut(g, masks, rounds, per_round, point)

    monkeypatch.setattr("ilp.dualclique._Relaxation.solve", counted)
    monkeypatch.setattr("ilp.dualclique.strengthened_duals", strengthened)
    for seed in range(30):
        program = _cut_program(seed)
        assert solve(program, "portfolio").value == solve(program, "brute").value
    given = [len(c) - 1 for c in calls if c[0]]
    without = [len(c) - 1 for c in calls if not c[0]]
    assert given and set(given) == {1}
    assert without and min(without) >= 1  # solved first, to separate at its own point


@pytest.mark.parametrize("work, more, sparse", [(0, 1, False), (0, 10**9, False), (10**9, 1, False),
                                                (0, 1, True), (10**9, 1, True)])
def test_the_node_cap_hands_hard_cores_on(work, more, sparse, monkeypatch):
    """The fallbacks are taken: over the seeds above, at a node cap of 0, some core goes to the
    plain clique search; with its work capped at 0 to the dual-bounded search's second try, and
    with that capped at one node to CP-SAT. Uncapped, the plain search, or the second try,
    settles every core it gets and the later stages get none. With every core taken as sparse
    (``SPARSE_CORE``), the plain search goes first: uncapped, the dual-bounded search gets no
    core. Every value is the reference's."""
    searched, first, again, handed = [], [], [], []
    for seed in range(40):
        with monkeypatch.context() as patch:
            patch.setattr("ilp.colgen.SPARSE_CORE", 1.01 if sparse else 0.0)
            patch.setattr("ilp.colgen.CORE_NODES", 0)
            patch.setattr("ilp.colgen.CORE_WORK", work)
            patch.setattr("ilp.colgen.MORE_CORE_NODES", more)
            plain, dual, real = ilp.clique.solve_graph, ilp.dualclique.run, ilp.cpsat.run

            def second(*a, **k):
                if k.get("max_nodes") == more:
                    again.append(seed)
                if k.get("max_nodes") == 0:
                    first.append(seed)
                return dual(*a, **k)

            patch.setattr("ilp.clique.solve_graph", lambda *a, **k: searched.append(seed) or plain(*a, **k))
            patch.setattr("ilp.dualclique.run", second)
            patch.setattr("ilp.cpsat.run", lambda f, o, h=None, w=None: handed.append(seed) or real(f, o, h, w))
            rng = random.Random(11000 + seed)
            program = _program(rng)
            while not applies(program, BlockCache()):
                program = _program(rng)
            assert solve(program, "portfolio").value == solve(program, "brute").value
    assert searched and bool(again) == (work == 0) and bool(handed) == (work == 0 and more == 1)
    assert bool(first) == (not sparse or work == 0)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_random_programs_match_brute_force(seed):
    """The same check over seeds hypothesis draws (and shrinks on failure)."""
    program = _program(random.Random(seed))
    expected = solve(program, "brute").value
    for backend in ("cpsat", "highs"):
        solution = solve(program, backend)
        assert solution.optimal and solution.value == expected, backend


@pytest.mark.parametrize("seed", range(60))
def test_explicit_bids_priced_or_listed_with_any_start_match_brute_force(seed, monkeypatch):
    """A single-choice explicit player's bids priced one, three or all at a time per round
    (``PRICE_BIDS``; 0 lists them all at once), from a starting allocation or none: every value
    proven and equal to the reference."""
    rng = random.Random(9000 + seed)
    program = _program(rng)
    while not any(isinstance(w, Weight) and union_options(w) is None for w in program.weights) \
            or not applies(program, BlockCache()):
        program = _program(rng)
    optimum = solve(program, "brute")
    monkeypatch.setattr("ilp.colgen.PRICE_BIDS", rng.choice((0, 1, 3)))
    monkeypatch.setattr("ilp.colgen.CORE_SIZE", rng.randint(1, 6))
    if seed % 2:
        monkeypatch.setattr("ilp.colgen._greedy", lambda program, master: (0,) * len(program.weights))
    other = tuple(rng.randint(0, (1 << program.n_goods) - 1) if rng.random() < 0.5 else 0
                  for _ in program.weights)
    for hint in (None, optimum.allocation, other):
        for backend in ("portfolio", "clique", "cpsat"):
            solution = solve(program, backend, hint=hint)
            assert solution.optimal and solution.value == optimum.value == solution.bound, (backend, hint)
            assert program.total(solution.allocation) == optimum.value


@pytest.mark.parametrize("seed", range(20))
def test_a_starting_allocation_changes_nothing_proven(seed):
    rng = random.Random(7000 + seed)
    program = _program(rng)
    optimum = solve(program, "brute")
    for hint in (optimum.allocation, (0,) * len(program.weights)):
        solution = solve(program, "cpsat", hint=hint)
        assert solution.optimal and solution.value == optimum.value


def test_applies_only_to_plain_maximisation_with_a_guaranteed_value():
    a, b = 0b01, 0b10
    first = Valuation(Form.XOR, ((a, 5), (b, 1)))
    second = Valuation(Form.XOR, ((a, 1), (b, 6)))
    guaranteed = Weight.minimum((first, second))
    blocks = BlockCache()
    assert applies(Program(2, (guaranteed, Weight.of(first))), blocks)
    assert not applies(Program(2, (Weight.of(first), Weight.of(second))), blocks)
    # fixed goods, lower bounds, excluded allocations and owner objectives (ilp.lex) are left to
    # the listed unions; so is a weight with an OR valuation inside a minimum (the robust model)
    assert not applies(Program(2, (guaranteed,), fixed=(0, None)), blocks)
    assert not applies(Program(2, (guaranteed,), min_total=3), blocks)
    assert not applies(Program(2, (guaranteed,), minimize_owners=(0,)), blocks)
    assert not applies(Program(2, (guaranteed,), avoid=(1,)), blocks)
    additive = Valuation(Form.OR, ((a, 2), (b, 2)))
    assert not applies(Program(2, (Weight.minimum((first, additive)),)), blocks)
    assert not applies(Program(2, (guaranteed, Weight.minimum((first, additive)))), blocks)


def test_a_time_limit_ends_in_an_interval(monkeypatch):
    """A limit already spent: no core is solved; the best solution and the proven bound remain,
    never a value."""
    rng = random.Random(11)
    program = Program(7, tuple(_weight(rng, 7, 40) for _ in range(4)))
    expected = solve(program, "brute").value
    monkeypatch.setattr("ilp.colgen._greedy", lambda program, master: (0,) * len(program.weights))
    clock = iter(itertools.count(0, 1000)).__next__
    monkeypatch.setattr("ilp.colgen.monotonic", clock)
    monkeypatch.setattr("ilp.pricing.monotonic", clock)
    solution = solve(program, SolveOptions("cpsat", time_limit=1))
    assert solution.status is Status.FEASIBLE
    assert solution.value <= expected <= solution.bound and solution.value < solution.bound


def test_a_pricing_walk_cut_by_the_clock_leaves_a_valid_interval(monkeypatch):
    """The time limit passes inside a pricing walk (the first one, or one of any later round):
    the walk stops at its next look at the clock (here at every node, in Python), the rounds end
    with the last round priced to its end (before any, each player's top value), and the solve
    ends in an interval around the brute force's optimum, or proves it; never a wrong value.
    Before, a walk had no clock: in Python, one over 1,500 candidates ran for minutes."""
    monkeypatch.setenv("CABENCH_NATIVE", "0")
    monkeypatch.setattr("ilp.pricing.LOOK_EVERY", 1)
    raised = []

    class Late(ilp.pricing.Late):
        def __init__(self) -> None:
            raised.append(1)

    monkeypatch.setattr("ilp.pricing.Late", Late)
    intervals = 0
    for seed in range(30):
        rng = random.Random(700 + seed)
        program = Program(7, tuple(_weight(rng, 7, 40) for _ in range(rng.randint(1, 4))))
        expected = solve(program, "brute").value
        calls = itertools.count()
        cut = rng.randint(1, 12)  # the clock's reading from which the limit is past
        clock = lambda: 0.0 if next(calls) < cut else 1e9  # noqa: E731 (one clock for the rounds and the walks)
        monkeypatch.setattr("ilp.colgen.monotonic", clock)
        monkeypatch.setattr("ilp.pricing.monotonic", clock)
        solution = solve(program, SolveOptions("cpsat", time_limit=1))
        assert solution.value <= expected <= solution.bound, seed
        assert solution.status is Status.FEASIBLE or solution.status is Status.OPTIMAL and solution.value == expected
        intervals += solution.status is Status.FEASIBLE
    assert len(raised) > 10 and intervals > 10  # (the walks were cut, and the solves then ended unproven)


def test_a_stop_request_ends_it_as_a_time_limit_does(monkeypatch):
    """On a thread beside a batch that has ended early (``ilp.stopping``), the column generation
    prices once and solves no core: an interval, as when its time is up, which the batch drops."""
    import threading

    from ilp import stopping

    rng = random.Random(11)
    program = Program(7, tuple(_weight(rng, 7, 40) for _ in range(4)))
    expected = solve(program, "brute").value
    monkeypatch.setattr("ilp.colgen._greedy", lambda program, master: (0,) * len(program.weights))
    rounds = []
    real = ilp.colgen._Master.solve
    monkeypatch.setattr(ilp.colgen._Master, "solve", lambda master: rounds.append(1) or real(master))
    cores = []
    real_run = ilp.colgen._Bounded.run
    monkeypatch.setattr(ilp.colgen._Bounded, "run", lambda *args, **kw: cores.append(1) or real_run(*args, **kw))
    assert solve(program, "portfolio").optimal and len(rounds) > 1 and cores  # (not stopped: several)
    rounds.clear()
    cores.clear()
    solutions = []

    def stopped() -> None:
        stop = stopping.Stop()
        stopping.enter(stop)
        stop.request()
        solutions.append(solve(program, "portfolio"))

    thread = threading.Thread(target=stopped)
    thread.start()
    thread.join(30)
    (solution,) = solutions
    assert solution.status is Status.FEASIBLE and len(rounds) == 1 and not cores
    assert solution.value <= expected <= solution.bound and solution.value < solution.bound


def test_lowest_fitting_bisects_to_the_lowest_threshold_within_the_limit():
    """Cores shrink as the threshold rises: the lowest threshold whose core fits, ``low`` when
    its core does, ``high`` when none does or no time is left; each core listed with the limit.
    A listing over its budget (thresholds 0 and 1 here) holds too many (``_Priced.core_of``
    under a limit says so: ``_TooMany``)."""
    sizes = {t: 100 - 9 * t for t in range(12)}  # threshold -> columns of its core
    listed = []

    def core_of(threshold, limit=None):
        listed.append(limit)
        if threshold < 2:
            raise ilp.colgen._TooMany
        if sizes[threshold] > limit:
            raise ilp.colgen._TooMany
        return {0: [(1, 1)] * sizes[threshold]}

    def lowest(*args):
        threshold, core = ilp.colgen._lowest_fitting(*args)
        # the core comes with the threshold when it was listed whole, and is that threshold's
        assert core is None or core == {0: [(1, 1)] * sizes[threshold]}
        return threshold, core is not None

    assert [lowest(core_of, 0, 11, limit) for limit in (100, 55, 54, 1, 0)] == [
        (2, True), (5, True), (6, True), (11, False), (11, False)]
    assert lowest(core_of, 2, 11, 100) == (2, True) and lowest(core_of, 3, 4, 64) == (4, False)
    assert set(listed) == {100, 55, 54, 1, 0, 64}
    listed.clear()  # no time left: no bisection after the first listing, the highest threshold
    assert lowest(core_of, 0, 11, 55, lambda: 0.0) == (11, False) and listed == [55]


def test_no_progress_takes_the_lowest_threshold_that_fits(monkeypatch):
    """With cores of one column growing by 1 the reaches often tie at the threshold just proven
    empty: the next threshold is then the lowest whose core fits (``_lowest_fitting``), often
    above the settling core's. Every value is the reference's."""
    monkeypatch.setattr("ilp.colgen.CORE_SIZE", 1)
    monkeypatch.setattr("ilp.colgen.GROWTH", 1)
    lowest, between = ilp.colgen._lowest_fitting, []

    def spy(core_of, low, high, limit, left):
        found = lowest(core_of, low, high, limit, left)
        between.append(found[0] > low)
        return found

    monkeypatch.setattr("ilp.colgen._lowest_fitting", spy)
    for seed in range(60):
        rng = random.Random(11000 + seed)
        program = _program(rng)
        while not applies(program, BlockCache()):
            program = _program(rng)
        expected = solve(program, "brute").value
        assert solve(program, "portfolio").value == expected and solve(program, "cpsat").value == expected
    assert any(between) and not all(between)


def _diving(rng: random.Random) -> Program:
    """Four to six guaranteed values over eight to ten goods, sometimes beside an XOR or an OR
    player: programs large enough for restricted optima below the bound, where the dive runs."""
    m = rng.randint(8, 10)
    weights = [_weight(rng, m, 40) for _ in range(rng.randint(4, 6))]
    if rng.random() < 0.5:
        weights.append(Weight.of(random_valuation(rng, m, Form.XOR, low=1, high=40)))
    if rng.random() < 0.2:
        weights.append(Weight.of(random_valuation(rng, m, Form.OR, low=1, high=9)))
    rng.shuffle(weights)
    return Program(m, tuple(weights))


def _priced_of(program: Program) -> ilp.colgen._Priced:
    """The column generation of ``program`` run to its end (``_price``), from no start."""
    return ilp.colgen._price(program, SolveOptions("portfolio", blocks=BlockCache()), None, 0.0)[0]


@pytest.mark.parametrize("lookahead", [1, 3])
def test_the_dive_gives_feasible_allocations_and_every_value_is_the_reference(lookahead, monkeypatch):
    """With settling cores of more than one column counted as huge (``DIVE_CORE``) the dive runs
    after nearly every restricted optimum below the bound (``_dive``): each allocation it
    returns is disjoint and worth at most the optimum, the master's bounds are back at 0, the
    same program dives to the same allocation, and every value is the reference's. With
    ``DIVE_CORE`` above any core, no dive."""
    monkeypatch.setattr("ilp.colgen.CORE_SIZE", 1)
    monkeypatch.setattr("ilp.colgen.GROWTH", 1)
    monkeypatch.setattr("ilp.colgen.DIVE_LOOKAHEAD", lookahead)
    monkeypatch.setattr("ilp.colgen.DIVE_CORE", 1)
    dive, dived = ilp.colgen._dive, []

    def spy(program, priced, width, left=lambda: None):
        point = priced.master.primal()
        found = dive(program, priced, width, left)
        assert found is not None and ilp.program.disjoint(found) and width == lookahead
        assert all(x.lb() == 0.0 for *_, x in priced.master.columns)
        assert priced.master.primal()[:len(point)] == point  # the master's last point, as it was
        dived.append((program, found))
        return found

    monkeypatch.setattr("ilp.colgen._dive", spy)
    for seed in range(60):
        program = _diving(random.Random(12000 + seed))
        expected = solve(program, "brute").value
        for backend in ("portfolio", "clique"):
            solution = solve(program, backend)
            assert solution.optimal and solution.value == expected == solution.bound, (seed, backend)
    assert len(dived) >= 8
    assert all(program.total(found) <= solve(program, "brute").value for program, found in dived)
    program, found = dived[-1]
    dived.clear()
    assert solve(program, "portfolio").optimal and dived[-1][1] == found
    monkeypatch.setattr("ilp.colgen.DIVE_CORE", 10**9)
    dived.clear()
    assert solve(program, "portfolio").optimal and not dived


def test_a_dive_that_does_not_run_changes_no_core(monkeypatch):
    """With ``DIVE_CORE`` above any core the settling core is listed once with that limit (to
    decide whether to dive), and the cores then solved are those solved with no dive at all
    (``DIVE_LOOKAHEAD`` = 0): a settling core larger than the grown size takes the reaches'
    path in both."""
    monkeypatch.setattr("ilp.colgen.CORE_SIZE", 1)
    monkeypatch.setattr("ilp.colgen.GROWTH", 1)
    build, solved = ilp.colgen.build, []

    def spy(program, given):
        solved.append(tuple(None if block is None else len(block.atoms) for block in given))
        return build(program, given=given)

    monkeypatch.setattr("ilp.colgen.build", spy)
    sequences = {}
    for lookahead, core in ((0, 1), (3, 10**9)):
        monkeypatch.setattr("ilp.colgen.DIVE_LOOKAHEAD", lookahead)
        monkeypatch.setattr("ilp.colgen.DIVE_CORE", core)
        solved.clear()
        for seed in range(30):
            assert solve(_diving(random.Random(12700 + seed)), "portfolio").optimal
        sequences[lookahead] = list(solved)
    assert sequences[0] == sequences[3] and len(sequences[0]) >= 15


def test_a_settling_core_within_settle_growth_is_solved_at_once(monkeypatch):
    """After the restricted optimum, a settling core of at most ``SETTLE_GROWTH`` x GROWTH x
    CORE_SIZE columns is solved right after the one listing that asked whether it fits; one
    column more, and a core of the highest reach is listed before the first core is solved.
    The values are those of the default constants either way."""
    inst = generate_instance("regions", 32, 200, 6, 0, knowledge="candidates:3")
    programs = [p for name, p in table_programs(inst) if name.startswith(("MIEW", "MIKW"))]
    reference = [solve(p, SolveOptions("portfolio", jobs=1)).value for p in programs]
    monkeypatch.setattr("ilp.colgen.CORE_SIZE", 8)
    monkeypatch.setattr("ilp.colgen.GROWTH", 1)
    monkeypatch.setattr("ilp.colgen.DIVE_LOOKAHEAD", 0)
    core_of, build = ilp.colgen._Priced.core_of, ilp.colgen.build
    events: list[int] = []  # 0 for each listing (whatever its end), a core's columns when solved

    def listing(self, threshold, limit=None):
        events.append(0)
        return core_of(self, threshold, limit)

    def solving(program, given):
        events.append(sum(len(block.atoms) for block in given if block is not None))
        return build(program, given=given)

    monkeypatch.setattr("ilp.colgen._Priced.core_of", listing)
    monkeypatch.setattr("ilp.colgen.build", solving)

    def before_first(program: Program, growth: float) -> tuple[int, int] | None:
        """(listings before the first core solved, that core's columns), None if none is listed
        (the restricted master's own columns, solved before any listing, are no core)."""
        monkeypatch.setattr("ilp.colgen.SETTLE_GROWTH", growth)
        events.clear()
        solution = solve(program, SolveOptions("portfolio", jobs=1))
        assert solution.optimal and solution.value == reference[programs.index(program)]
        if 0 not in events:
            return None
        after = events[events.index(0):]
        solved = [k for k, event in enumerate(after) if event]
        return (solved[0], after[solved[0]]) if solved else None

    at_once = {p: before_first(p, 10**6) for p in programs}
    larger = [p for p in programs if at_once[p] is not None and at_once[p][1] > 8]
    assert len(larger) >= 5 and all(at_once[p][0] == 1 for p in larger)
    for program in larger:
        columns = at_once[program][1]
        assert before_first(program, columns / 8) == (1, columns)
        assert before_first(program, (columns - 1) / 8)[0] >= 2


def test_a_listing_past_its_budget_under_a_limit_is_too_many(monkeypatch):
    """Asked only whether a core fits (a ``limit``), a listing past ``LIST_BUDGET`` says "too
    many" (``_TooMany``, on which ``solve`` goes on), where it had said ``Overflow`` (on which
    ``solve`` gave the program up to the ordinary path); without a limit, ``Overflow``."""
    priced = _priced_of(_diving(random.Random(12640)))
    whole = priced.core_of(1)
    assert sum(map(len, whole.values())) > 1
    monkeypatch.setattr("ilp.colgen.LIST_BUDGET", 1)
    with pytest.raises(ilp.colgen._TooMany):
        priced.core_of(1, limit=10**9)
    with pytest.raises(ilp.pricing.Overflow):
        priced.core_of(1)


def test_the_dives_allocation_is_the_incumbent_and_the_master_is_searched_again(monkeypatch):
    """A dive that returns the optimum makes it the incumbent: every core listed after it is of a
    threshold above the optimum (the search of the master's columns after the dive changing
    nothing here). And that search runs after each dive (``_restricted``, with the columns the
    dive added)."""
    monkeypatch.setattr("ilp.colgen.CORE_SIZE", 1)
    monkeypatch.setattr("ilp.colgen.GROWTH", 1)
    monkeypatch.setattr("ilp.colgen.DIVE_CORE", 1)
    restricted, core_of = ilp.colgen._restricted, ilp.colgen._Priced.core_of
    events: list[tuple[str, int]] = []
    optimum = {}
    monkeypatch.setattr("ilp.colgen._dive", lambda program, *a: events.append(("dive", 0)) or optimum["allocation"])

    def searched(program, master, allocation, best, *rest):
        # the second search (after the dive) hands back what it was given: the incumbent after
        # the dive is then the dive's own allocation
        events.append(("restricted", 0))
        if events.count(("restricted", 0)) == 1:
            first[0] = restricted(program, master, allocation, best, *rest)[1]
            return restricted(program, master, allocation, best, *rest)
        return allocation, best

    monkeypatch.setattr("ilp.colgen._restricted", searched)
    monkeypatch.setattr("ilp.colgen._Priced.core_of",
                        lambda self, threshold, limit=None: events.append(("core", threshold)) or core_of(self, threshold, limit))
    runs, first = [], [0]
    for seed in range(40, 90):
        program = _diving(random.Random(12600 + seed))
        reference = solve(program, "brute")
        optimum["allocation"] = reference.allocation
        events.clear()
        solution = solve(program, "portfolio")
        assert solution.optimal and solution.value == reference.value
        if ("dive", 0) in events:
            runs.append(first[0] < reference.value)  # the restricted optimum below the optimum
            after = events[events.index(("dive", 0)) + 1:]
            assert after[0] == ("restricted", 0) and events.count(("restricted", 0)) == 2
            assert all(threshold > reference.value for kind, threshold in after if kind == "core")
    assert len(runs) >= 5 and any(runs)


def test_the_dive_prices_a_single_choice_players_bids():
    """An odd cycle of three priced players (each two of three goods, worth 10) beside an XOR
    player whose bids of one good each are worth 3, 2 and 1: the master's point is all halves,
    and its columns hold only the XOR player's best bid. Fixing one pair leaves one good, whose
    bid the dive must price in: 11 with one column tried, 13 (the optimum) with three."""
    def pair(bundle: int) -> Weight:
        # two candidates, neither at most the other everywhere (the first is worth 4 on one good
        # of the pair, the second nothing): a minimum worth 10 on the pair and 0 elsewhere
        low = bundle & -bundle
        return Weight(((Valuation(Form.XOR, ((low, 4), (bundle, 10))), Valuation(Form.XOR, ((bundle, 15),))),))

    xor = Weight.of(Valuation(Form.XOR, ((0b001, 3), (0b010, 2), (0b100, 1))))
    program = Program(3, (pair(0b011), pair(0b110), pair(0b101), xor))
    assert applies(program, BlockCache()) and solve(program, "brute").value == 13
    priced = _priced_of(program)
    assert [(j, b) for j, b, _, _ in priced.master.columns if j == 3] == [(3, 0b001)]
    found = ilp.colgen._dive(program, priced, 1)
    assert program.total(found) == 11 and found[3] == 0b100
    assert program.total(ilp.colgen._dive(program, _priced_of(program), 3)) == 13


def test_the_dive_finds_more_than_the_restricted_master():
    """On programs of four to six guaranteed values over eight to ten goods, whose restricted
    optimum is below the bound: the dive's allocation is disjoint, worth at most the optimum,
    and on some of them worth more than the restricted master's best (what it is there for)."""
    better = 0
    for seed in range(40, 120):
        rng = random.Random(seed)
        m = rng.randint(8, 10)
        program = Program(m, tuple(_weight(rng, m, 40) for _ in range(rng.randint(4, 6))))
        options = SolveOptions("portfolio", blocks=BlockCache())
        priced, _ = ilp.colgen._price(program, options, None, 0.0)
        master = priced.master
        restricted = ilp.colgen._restricted(program, master, ilp.colgen._greedy(program, master), 0, options,
                                            ilp.colgen._Bounded(priced.cost, priced.own, master))[1]
        found = ilp.colgen._dive(program, priced, 3)
        assert ilp.program.disjoint(found) and program.total(found) <= solve(program, "brute").value
        better += program.total(found) > restricted
    assert better >= 3


@pytest.mark.parametrize("calls", [0, 1, 3, 6])
def test_a_dive_out_of_time_keeps_what_it_fixed(calls):
    """The time runs out after a few looks at the clock: the dive returns the columns fixed so
    far (none when there was no time at all), disjoint, and leaves the master's bounds and last
    point as they were."""
    for seed in range(10):
        program = _diving(random.Random(12800 + seed))
        priced = _priced_of(program)
        master = priced.master
        point, columns = master.primal(), len(master.columns)
        clock = itertools.count()
        found = ilp.colgen._dive(program, priced, 2, lambda: 1.0 if next(clock) < calls else 0.0)
        assert found is not None and ilp.program.disjoint(found)
        assert program.total(found) <= solve(program, "brute").value
        assert all(x.lb() == 0.0 for *_, x in master.columns)
        assert master.primal()[:len(point)] == point
        if calls == 0:
            assert found == (0,) * len(program.weights) and len(master.columns) == columns


def test_a_dive_whose_pricing_walks_are_late_keeps_a_feasible_allocation(monkeypatch):
    """Each of the dive's pricing walks passes its deadline at its first look at the clock (here
    every node, in Python): the dive prices no further in that round and goes on fixing columns;
    it returns a disjoint allocation, worth at most the optimum, and leaves the master as it was."""
    monkeypatch.setenv("CABENCH_NATIVE", "0")
    for seed in range(6):
        program = _diving(random.Random(12800 + seed))
        priced = _priced_of(program)
        master = priced.master
        point = master.primal()
        raised = []

        class Late(ilp.pricing.Late):
            def __init__(self) -> None:
                raised.append(1)

        with monkeypatch.context() as patched:
            patched.setattr("ilp.pricing.Late", Late)
            patched.setattr("ilp.pricing.LOOK_EVERY", 1)
            clock = iter(itertools.count(0, 1000)).__next__
            patched.setattr("ilp.colgen.monotonic", clock)
            patched.setattr("ilp.pricing.monotonic", clock)
            found = ilp.colgen._dive(program, priced, 2, lambda: 1.0)
        assert raised, seed
        assert found is not None and ilp.program.disjoint(found)
        assert program.total(found) <= solve(program, "brute").value
        assert all(x.lb() == 0.0 for *_, x in master.columns)
        assert master.primal()[:len(point)] == point


def test_a_pricing_walk_cut_by_the_clock_in_c_leaves_a_valid_interval(monkeypatch):
    """The same with the C walk and the real clock: limits of 10 us to 10 ms on programs of a few
    hundred candidates per player, whose walks go past 1,024 nodes; every interval holds the
    brute force's optimum, and nothing unproven is called optimal."""
    if not ilp.colgen.native.available():
        pytest.skip("the C module is not built here")
    raised = []

    class Late(ilp.pricing.Late):
        def __init__(self) -> None:
            raised.append(1)

    monkeypatch.setattr("ilp.pricing.Late", Late)

    def weight(rng: random.Random, m: int) -> Weight:
        base = [(rng.randrange(1, 1 << m), rng.randint(20, 60)) for _ in range(8)]
        return Weight((tuple(Valuation(Form.XOR, tuple((b | (1 << rng.randrange(m)) if rng.random() < 0.6 else b,
                                                        max(1, v + rng.randint(-10, 10))) for b, v in base))
                             for _ in range(rng.randint(150, 400))),))

    for seed in range(3):
        rng = random.Random(seed)
        program = Program(8, tuple(weight(rng, 8) for _ in range(rng.randint(2, 4))))
        expected = solve(program, "brute").value
        for limit in (1e-5, 1e-3, 1e-2):
            solution = solve(program, SolveOptions("cpsat", time_limit=limit))
            assert solution.value <= expected <= solution.bound, (seed, limit)
            assert solution.status is not Status.OPTIMAL or solution.value == expected
    assert raised


def test_no_dive_where_blocked_goods_would_overflow_the_c_walk():
    """Values near the cap: a blocked good's cost (SCALE x the largest value) would take the C
    walk's sums past 64 bits, and the walks to Python: no dive, the master untouched."""
    if not ilp.colgen.native.available():
        pytest.skip("the C module is not built")
    rng = random.Random(12900)
    program = Program(10, tuple(_weight(rng, 10, CAP) for _ in range(6)))
    priced = _priced_of(program)
    assert SCALE * int(priced.master.top) * 19 >= ilp.colgen.native.LIMIT
    columns = len(priced.master.columns)
    assert ilp.colgen._dive(program, priced, 3) is None and len(priced.master.columns) == columns


@pytest.mark.parametrize("limit", [None, 60.0])
def test_a_core_too_large_for_a_graph_goes_to_cpsat(limit, monkeypatch):
    """Cores of more than ``clique.MAX_VERTICES`` columns build no graph (it takes n^2 / 8
    bytes): CP-SAT alone solves them, in a worker process of its own under a time limit. With
    the cap at 2 columns most cores go there; every value is the reference's."""
    monkeypatch.setattr("ilp.clique.MAX_VERTICES", 2)
    apart = ilp.colgen._cpsat_apart
    handed = []
    monkeypatch.setattr("ilp.colgen._cpsat_apart", lambda *a: handed.append(a[1].time_limit) or apart(*a))
    for seed in range(6):
        rng = random.Random(11000 + seed)
        program = _program(rng)
        while not applies(program, BlockCache()):
            program = _program(rng)
        solution = solve(program, SolveOptions("portfolio", time_limit=limit))
        assert solution.status is Status.OPTIMAL
        assert solution.value == solve(program, "brute").value
    assert handed and all((t is None) == (limit is None) for t in handed)


def test_cpsat_apart_stopped_past_its_limit_is_unproven(monkeypatch):
    """The worker running CP-SAT on a core too large for a graph is stopped
    ``ilp.workers.OVERRUN`` seconds past the limit: here no time at all, so the worker's start
    alone overruns it, and the answer is unproven (its presolve once ran 139 s under a 60 s
    limit)."""
    monkeypatch.setattr("ilp.workers.OVERRUN", 0.0)
    a, b = 0b01, 0b10
    program = Program(2, (Weight.of(Valuation(Form.XOR, ((a, 3), (a | b, 4)))), Weight.of(Valuation(Form.XOR, ((b, 2),)))))
    formulation = ilp.formulation.build(program, BlockCache())
    answer = ilp.colgen._cpsat_apart(formulation, SolveOptions("cpsat", time_limit=1e-6), None)
    assert answer.status is Status.UNKNOWN and answer.values is None and "did not answer" in answer.error


def test_values_near_the_cap_are_exact():
    """Guaranteed values near 10^12, where the relaxation's duals are far from integers: the
    integer certificate and the cores still give the brute-force optimum."""
    a, b, c = 0b001, 0b010, 0b100
    first = Valuation(Form.XOR, ((a, CAP - 3), (b, CAP - 1), (a | c, CAP), (b | c, CAP - 2)))
    second = Valuation(Form.XOR, ((a | b, CAP - 1), (c, CAP - 4), (a, CAP - 5)))
    third = Valuation(Form.XOR, ((b, CAP - 2), (a | c, CAP - 1)))
    program = Program(3, (Weight.minimum((first, second)), Weight.minimum((second, third)),
                          Weight.minimum((first, third)), Weight.of(third)))
    expected = solve(program, "brute").value
    for backend in BACKENDS:
        assert solve(program, backend).value == expected, backend


@pytest.mark.parametrize("spec", [("paths", 10, 40, 4, "candidates:3", "none"),
                                  ("regions", 12, 40, 4, "candidates:2", "pairs:2"),
                                  ("arbitrary", 10, 40, 5, "candidates:3", "pairs:2")])
def test_a_candidate_report_is_the_same_as_with_listed_unions(spec, monkeypatch):
    distribution, m, bids, n, knowledge, coalitions = spec
    instance = generate_instance(distribution, m, bids, n, 1, knowledge=knowledge, coalitions=coalitions)

    def values(report):
        return ([(p.miew.value, p.mikw.value) for p in report.players],
                [a.mkw.value for a in report.agents], report.msw.value, report.bb.value)

    priced = compute_report(instance, SolveOptions("cpsat", jobs=1))
    assert priced.all_proven
    with monkeypatch.context() as patch:
        patch.setattr("ilp.colgen.applies", lambda program, blocks: False)
        listed = compute_report(instance, SolveOptions("cpsat", jobs=1))
    assert values(priced) == values(listed)
    assert values(compute_report(instance, SolveOptions("highs", jobs=1))) == values(listed)


@pytest.mark.slow
def test_a_paths_64_candidate_report_is_the_same_as_with_listed_unions(monkeypatch):
    instance = generate_instance("paths", 64, 500, 10, 0, knowledge="candidates:3")
    priced = compute_report(instance, SolveOptions("portfolio", jobs=1))
    monkeypatch.setattr("ilp.colgen.applies", lambda program, blocks: False)
    listed = compute_report(instance, SolveOptions("portfolio", jobs=1))
    assert priced.all_proven and listed.all_proven
    assert [(p.miew.value, p.mikw.value) for p in priced.players] == \
           [(p.miew.value, p.mikw.value) for p in listed.players]


@pytest.mark.parametrize("spent", [0.2, 0.6])
def test_a_program_given_up_by_colgen_gets_the_time_left(spent, monkeypatch):
    """When the column generation gives a program up (a core too large to list), the ordinary
    way gets what is left of the program's time limit, not the whole limit again (one program
    could run for nearly twice its limit), and at least a moment when nothing is left."""
    import time

    import ilp.backends as backends

    given = []
    proven = backends._proven

    def recorded(formulation, module, options, start, run):
        given.append(options.time_limit)
        return proven(formulation, module, options, start, run)

    monkeypatch.setattr(ilp.colgen, "applies", lambda program, blocks: True)
    monkeypatch.setattr(ilp.colgen, "solve", lambda *args: time.sleep(spent))
    monkeypatch.setattr(backends, "_proven", recorded)
    program = Program(3, tuple(Weight.of(random_valuation(random.Random(j), 3, Form.XOR)) for j in range(3)))
    solution = solve(program, SolveOptions(backend="cpsat", time_limit=0.5))
    assert len(given) == 1 and (0.5 - spent - 0.1 < given[0] <= 0.5 - spent if spent < 0.5 else
                                given[0] == backends.MIN_TIME_LEFT)
    assert solution.bound is not None
