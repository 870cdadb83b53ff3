"""The integer-programming core: fast paths and the robust formulation agree with the brute-force
DP on random max-of-min weights; lexicographic order; statuses are never upgraded."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ilp.backends
from benchmarks import bb, miew, msw
from benchmarks.results import NotProvenError
from ilp import UNALLOCATED, Program, Solution, SolveOptions, Status, Weight, lex_first, owner_code, solve
from ilp.compile import AtomsBlock, RobustBlock, compile_weight
from instances import CabenchError, Form, Valuation
from instances.synthetic import random_valuation
from tests.conftest import TimedOutBackend
from tests.worked_examples import seed004_example


def random_weight(rng: random.Random, m: int) -> Weight | None:
    if rng.random() < 0.1:
        return None
    options = []
    for _ in range(rng.randint(1, 3)):
        options.append(tuple(random_valuation(rng, m, rng.choice(list(Form))) for _ in range(rng.randint(1, 3))))
    return Weight(tuple(options))


def random_program(seed: int) -> Program:
    rng = random.Random(seed)
    m = rng.randint(1, 5)
    return Program(m, tuple(random_weight(rng, m) for _ in range(rng.randint(1, 3))))


@settings(max_examples=100)
@given(st.integers(0, 2**32))
def test_max_of_min_weights_match_brute_force(seed):
    program = random_program(seed)
    expected = solve(program, "brute")
    for backend in ("cpsat", "cbc", "scip", "highs"):
        got = solve(program, backend)
        assert got.status is Status.OPTIMAL
        assert got.value == expected.value
        assert program.total(got.allocation) == got.value


def test_compile_chooses_the_exact_block():
    a, b = 0b01, 0b10
    xor1 = Valuation(Form.XOR, ((a, 5),))
    xor2 = Valuation(Form.XOR, ((b, 6),))
    exact = Valuation(Form.EXPLICIT, ((a | b, 9), (a, 2)))
    or_ = Valuation(Form.OR, ((a, 1), (b, 1)))
    # a single valuation: its positive bids
    assert compile_weight(Weight.of(or_)) == AtomsBlock(False, ((a, 1), (b, 1)))
    # a minimum containing an EXACT valuation: EXACT over its bundles
    assert compile_weight(Weight.minimum((exact, xor1))) == AtomsBlock(True, ((a, 2), (a | b, 5)))
    # a maximum of single-choice valuations: one bid of the union
    assert compile_weight(Weight.maximum((Weight.of(xor1), Weight.of(xor2)))) == AtomsBlock(True, ((a, 5), (b, 6)))
    # the minimum of two free-disposal valuations: the union of one bid of each (covering
    # unions), or the robust formulation when unions are not listed
    two1, two2 = Valuation(Form.XOR, ((a, 5), (b, 1))), Valuation(Form.XOR, ((a, 1), (b, 6)))
    assert compile_weight(Weight.minimum((two1, two2))) == AtomsBlock(True, ((a, 1), (b, 1), (a | b, 5)))
    assert isinstance(compile_weight(Weight.minimum((two1, two2)), budget=0), RobustBlock)
    # of one bid each: one bid on their union, with no union to search
    assert compile_weight(Weight.minimum((xor1, xor2))) == AtomsBlock(True, ((a | b, 5),))
    assert compile_weight(Weight.minimum((xor1, xor2)), budget=0) == AtomsBlock(True, ((a | b, 5),))
    assert solve(Program(2, (Weight.minimum((xor1, xor2)),))).value == 5  # offered {a, b}
    # a never-positive weight is no block at all
    assert compile_weight(Weight.minimum((xor1, Valuation(Form.EXPLICIT, ())))) is None


@settings(max_examples=40)
@given(st.integers(0, 2**32))
def test_lex_first_matches_brute_force(seed):
    rng = random.Random(seed)
    m = rng.randint(1, 5)
    program = Program(m, tuple(Weight.of(random_valuation(rng, m, rng.choice(list(Form)))) for _ in range(rng.randint(1, 3))))
    results = []
    for backend in ("cpsat", "cbc", "scip", "highs", "brute"):
        first = lex_first(program, solve(program, backend), backend)
        assert first.status is Status.OPTIMAL
        results.append(first.allocation)
    assert all(r == results[0] for r in results)


@pytest.mark.parametrize("constraint", [{"fixed": (None, 0)}, {"minimize_owners": (0,)}, {"avoid": (0b01, 0)}])
def test_lex_first_refuses_a_program_with_side_constraints(constraint):
    # the ordering steps set fixed owners, an owner objective and an exclusion of their own: a
    # program's own would be dropped, so the first optimum would be another program's
    program = Program(2, (Weight.of(Valuation(Form.XOR, ((0b01, 5),))), Weight.of(Valuation(Form.XOR, ((0b11, 5),)))))
    plain = solve(program, "cpsat")
    with pytest.raises(ValueError, match=next(iter(constraint))):
        lex_first(replace(program, **constraint), plain, "cpsat")


def test_an_unproven_tie_break_is_bounded_by_the_optimum(monkeypatch):
    # an ordering step stopped by the time limit: the first optimum is worth the proven optimum,
    # whatever the step's own bound (of its owner objective) says; the witness is the earliest
    # optimum known (here the solver's), not the stopped step's (here none)
    import ilp.lex

    program = Program(2, (Weight.of(Valuation(Form.XOR, ((0b01, 5), (0b10, 1)))),
                          Weight.of(Valuation(Form.XOR, ((0b11, 5), (0b10, 4))))))
    optimum = solve(program, "cpsat")
    solved = ilp.lex.solve

    def stopped(p, options=None, hint=None):
        if p.minimize_owners:
            return Solution(Status.FEASIBLE, None, None, 0, "cpsat", 0.0)
        return solved(p, options, hint)

    monkeypatch.setattr(ilp.lex, "solve", stopped)
    first = lex_first(program, optimum, "cpsat")
    assert first.status is Status.FEASIBLE and first.value == first.bound == optimum.value == 9
    assert first.allocation == optimum.allocation


def _best_avoiding(program: Program, avoid: tuple[int, ...], min_total: int | None) -> int | None:
    """Max total weight over every allocation (owner vector) that moves some good ``avoid``
    allocates away from its owner there and reaches ``min_total``; None if there is none. (An
    excluded player or one that values nothing may hold goods here: the same as leaving them
    unallocated, which also moves them away.)"""
    import itertools

    n = len(program.weights)
    top = None
    for owners in itertools.product(range(n + 1), repeat=program.n_goods):
        bundles = [0] * n
        for g, o in enumerate(owners):
            if o:
                bundles[o - 1] |= 1 << g
        if all(owner_code(tuple(bundles), g) == owner_code(avoid, g) for g in range(program.n_goods)
               if owner_code(avoid, g)):
            continue
        value = program.total(tuple(bundles))
        if (min_total is None or value >= min_total) and (top is None or value > top):
            top = value
    return top


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32))
def test_avoid_matches_enumeration(seed):
    """``Program.avoid`` (used by the lexicographic tie-break): the best allocation that moves
    some good of a given optimum away from its owner, and whether another optimum exists, agree
    with enumeration on every backend."""
    program = random_program(seed)
    optimum = solve(program, "cpsat")
    for min_total in (None, optimum.value):
        expected = _best_avoiding(program, optimum.allocation, min_total)
        for backend in ("cpsat", "cbc", "scip", "highs", "brute"):
            got = solve(Program(program.n_goods, program.weights, min_total=min_total, avoid=optimum.allocation),
                        backend)
            if expected is None:
                assert got.status is Status.INFEASIBLE, backend
            else:
                assert got.status is Status.OPTIMAL and got.value == expected, backend
                assert any(owner_code(got.allocation, g) != owner_code(optimum.allocation, g)
                           for g in range(program.n_goods) if owner_code(optimum.allocation, g)), backend


def _unique_optimum_and_lex_solves(monkeypatch) -> tuple[tuple[Weight, ...], list[Program]]:
    """Three players whose unique optimum (12) is (0b001, 0b110, 0), and the list that records
    every program ``ilp.lex`` solves from now on."""
    import ilp.lex

    calls: list[Program] = []
    real = ilp.lex.solve
    monkeypatch.setattr(ilp.lex, "solve", lambda program, options: calls.append(program) or real(program, options))
    weights = (Weight.of(Valuation(Form.XOR, ((0b001, 5),))), Weight.of(Valuation(Form.XOR, ((0b110, 7),))),
               Weight.of(Valuation(Form.XOR, ((0b011, 3), (0b100, 1)))))
    return weights, calls


def test_lex_first_of_a_unique_optimum_is_one_proof(monkeypatch):
    """A unique optimum needs one solve: the proof that no other optimum exists (ilp.lex)."""
    weights, calls = _unique_optimum_and_lex_solves(monkeypatch)
    program = Program(3, weights)
    for backend in ("cpsat", "cbc", "scip", "highs"):
        calls.clear()
        first = lex_first(program, solve(program, backend), backend)
        assert (first.status, first.value, first.allocation) == (Status.OPTIMAL, 12, (0b001, 0b110, 0))
        assert len(calls) == 1 and calls[0].avoid == (0b001, 0b110, 0), backend
    assert lex_first(program, solve(program, "brute"), "brute").allocation == (0b001, 0b110, 0)
    # two optima of 12: good 0 to player 0 or to player 2, who values it alike
    tied = Program(3, weights[:2] + (Weight.of(Valuation(Form.XOR, ((0b001, 5),))),))
    for backend in ("cpsat", "highs", "brute"):
        first = lex_first(tied, solve(tied, backend), backend)
        assert first.allocation == (0b001, 0b110, 0)  # player 0 precedes player 2 on good 0


def test_fixed_owners():
    v = Valuation(Form.XOR, ((0b01, 3), (0b11, 5)))
    w = Valuation(Form.EXPLICIT, ((0b10, 4),))
    free = Program(2, (Weight.of(v), Weight.of(w)))
    for backend in ("cpsat", "cbc", "scip", "highs", "brute"):
        assert solve(free, backend).value == 7
        # good 1 unallocated: player 0 can only use {g2}-free bids -> nothing; player 1 gets g2
        assert solve(Program(2, free.weights, fixed=(UNALLOCATED, None)), backend).value == 4
        # good 2 to player 0: its bid {g1, g2} is worth 5
        assert solve(Program(2, free.weights, fixed=(None, 0)), backend).value == 5
        assert solve(Program(2, free.weights, fixed=(None, 0), min_total=6), backend).status is Status.INFEASIBLE


def test_owner_code():
    assert owner_code((0b10, 0b01), 0) == 2
    assert owner_code((0b10, 0b00), 0) == 0


def test_brute_refuses_large_programs():
    with pytest.raises(CabenchError, match="at most 12 goods"):
        solve(Program(13, (None,)), "brute")


def test_unknown_backend():
    with pytest.raises(CabenchError, match='unknown solver "gurobi"'):
        solve(Program(1, (None,)), "gurobi")


def test_unproven_values_are_never_reported(monkeypatch):
    monkeypatch.setitem(ilp.backends.BACKENDS, "timed-out", TimedOutBackend)
    inst = seed004_example()
    result = msw(inst, options="timed-out")
    assert result.status is Status.FEASIBLE
    # the backend's bound 10^6, tightened to the variables' ranges (every bid won: 250)
    assert result.value is None and result.incumbent == 0 and result.bound == 250
    with pytest.raises(NotProvenError):
        result.require()
    per_player = [miew(inst, i, options="timed-out") for i in range(inst.n)]
    assert bb(inst, per_player).value is None


def test_not_proven_error_pickles_with_its_fields_and_notes():
    """It crosses process boundaries (a sweep's workers): its fields, and the notes a caller
    added, which its own ``__reduce__`` dropped."""
    import pickle

    error = NotProvenError("MSW", "feasible", 3, 5, scale=10)
    error.add_note("while sweeping x.json")
    back = pickle.loads(pickle.dumps(error))
    assert (back.name, back.status, back.incumbent, back.bound, back.scale) == ("MSW", "feasible", 3, 5, 10)
    assert str(back) == str(error) and back.__notes__ == ["while sweeping x.json"]
    assert not hasattr(pickle.loads(pickle.dumps(NotProvenError("MSW"))), "__notes__")


def test_a_maximum_is_proven_when_open_bounds_are_below_it():
    from benchmarks.results import Benchmark, best_of

    proven = Benchmark("a", Status.OPTIMAL, 10, 10, 10, None, "x", 0.0)
    below = Benchmark("b", Status.FEASIBLE, None, 3, 9, None, "x", 0.0)
    above = Benchmark("c", Status.FEASIBLE, None, 3, 11, None, "x", 0.0)
    assert best_of("max", [(0, proven), (1, below)]).value == 10
    assert best_of("max", [(0, proven), (1, above)]).value is None


def test_a_maximum_not_proven_has_the_interval_of_its_members():
    # the maximum lies between the best incumbent and the largest bound (a proven member's
    # value counts as both); a member with no bound leaves the maximum none
    from benchmarks.results import Benchmark, best_of

    proven = Benchmark("a", Status.OPTIMAL, 10, 10, 10, None, "x", 0.0)
    above = Benchmark("c", Status.FEASIBLE, None, 3, 11, None, "x", 0.0)
    open_ = Benchmark("d", Status.UNKNOWN, None, None, 14, None, "x", 0.0)
    unbounded = Benchmark("e", Status.UNKNOWN, None, None, None, None, "x", 0.0)
    infinite = Benchmark("f", Status.FEASIBLE, None, 2, 10**20, None, "x", 0.0)  # SCIP's infinity
    best = best_of("max", [(0, proven), (1, above), (2, open_)])
    assert (best.value, best.incumbent, best.bound) == (None, 10, 14)
    assert best_of("max", [(0, above), (1, unbounded)]).bound is None
    assert best_of("max", [(0, above), (1, infinite)]).bound is None
    assert best_of("max", [(0, proven), (1, above)]).bound == 11
    assert best_of("max", []).bound == 0
    from cabench.render import unproven_best_text

    assert unproven_best_text(best_of("max", [(0, above), (1, open_)])) == "NOT PROVEN (incumbent 3, bound 14)"


def test_only_a_withheld_witness_is_said_to_be_worth_its_value():
    # a solver's own bound met by its solution (rounded from floating point) proves nothing and
    # says nothing of a tie-break: the interval; a tie-break that ran out of time: the value known
    from benchmarks.results import from_solution
    from cabench.render import value_text

    stopped = Solution(Status.FEASIBLE, (0b1,), 4, 4, "highs", 0.1)
    assert value_text(from_solution("MSW", stopped)) == "NOT PROVEN (feasible; incumbent 4, bound 4)"
    withheld = replace(stopped, withheld=True)
    assert value_text(from_solution("MSW", withheld)) == "NOT PROVEN (worth 4; witness not proven the first optimum)"


def test_an_answer_worth_its_bound_is_proven(monkeypatch):
    # under a limit too short for any proof, CBC's MIEW_p3 of seed 004 was a packing worth 150
    # and gave no bound; the variables' ranges bound it at 150: an optimum, and BB with it
    from ilp import Answer

    class Stopped:  # a backend stopped by its clock, with a solution and no bound
        NAME = "stopped"
        available = staticmethod(lambda: True)

        @staticmethod
        def run(formulation, options, hint=None):
            return Answer(Status.FEASIBLE, [1] * len(formulation.ilp.names), None)

    monkeypatch.setitem(ilp.backends.BACKENDS, "stopped", Stopped)
    alone = solve(Program(2, (Weight.of(Valuation(Form.XOR, ((0b01, 4),))),)), "stopped")
    assert (alone.status, alone.value, alone.bound) == (Status.OPTIMAL, 4, 4)
    # two bids on one good: the ranges allow 4 + 3 = 7, above the solution's 4
    pair = Program(1, (Weight.of(Valuation(Form.XOR, ((0b1, 4),))), Weight.of(Valuation(Form.XOR, ((0b1, 3),)))))
    monkeypatch.setattr(Stopped, "run", staticmethod(
        lambda formulation, options, hint=None: Answer(Status.FEASIBLE, [1, 0], None)))
    both = solve(pair, "stopped")
    assert (both.status, both.value, both.bound) == (Status.FEASIBLE, 4, 7)
    # a solver's own bound met by its solution proves nothing here: a floating-point solver's
    # rounded bound may be a unit short (the solver says OPTIMAL itself when it has proven it)
    monkeypatch.setattr(Stopped, "run", staticmethod(
        lambda formulation, options, hint=None: Answer(Status.FEASIBLE, [1, 0], 4)))
    rounded = solve(pair, "stopped")
    assert (rounded.status, rounded.value, rounded.bound) == (Status.FEASIBLE, 4, 4)


def test_a_withheld_benchmark_shows_the_earliest_optimum_its_tie_break_met():
    from ilp.canonical import withheld

    solver = Solution(Status.OPTIMAL, (0b10, 0b01), 9, 9, "cpsat", 0.1)
    earliest = Solution(Status.FEASIBLE, (0b01, 0b10), 9, 9, "cpsat", 0.2)
    shown = withheld(solver, earliest)
    assert (shown.status, shown.allocation, shown.value, shown.bound) == (Status.FEASIBLE, (0b01, 0b10), 9, 9)
    nothing = Solution(Status.UNKNOWN, None, None, 9, "cpsat", 0.2)
    assert withheld(solver, nothing).allocation == (0b10, 0b01)


def test_the_winner_of_a_maximum_is_the_first_member_that_may_attain_it():
    # lowest on ties: an unproven member before the proven one, bounded by the maximum, wins
    # when its incumbent reaches it, and otherwise the winner is not known (the value still is)
    from benchmarks.results import Benchmark, best_of

    proven = Benchmark("b", Status.OPTIMAL, 10, 10, 10, None, "x", 0.0)
    reached = Benchmark("a", Status.FEASIBLE, None, 10, 10, None, "x", 0.0)
    short = Benchmark("a", Status.FEASIBLE, None, 7, 10, None, "x", 0.0)
    below = Benchmark("a", Status.FEASIBLE, None, 7, 9, None, "x", 0.0)
    assert (best_of("max", [(0, reached), (1, proven)]).value, best_of("max", [(0, reached), (1, proven)]).winner) == (10, 0)
    assert (best_of("max", [(0, short), (1, proven)]).value, best_of("max", [(0, short), (1, proven)]).winner) == (10, None)
    assert (best_of("max", [(0, below), (1, proven)]).value, best_of("max", [(0, below), (1, proven)]).winner) == (10, 1)
    assert best_of("max", [(0, proven), (1, short)]).winner == 0


def test_solution_reports_the_backend_and_time():
    two = (Weight.of(Valuation(Form.XOR, ((1, 4),))), Weight.of(Valuation(Form.XOR, ((1, 3),))))
    sol = solve(Program(1, two))
    assert isinstance(sol, Solution) and sol.backend == "cpsat" and sol.wall_time >= 0  # the portfolio's probe proved it
    assert sol.value == sol.bound == 4
    alone = solve(Program(1, two[:1]))  # one player taking one bid: no solver (ilp.onebid)
    assert alone.backend == "portfolio" and alone.value == alone.bound == 4 and alone.wall_time >= 0


@settings(max_examples=40)
@given(st.integers(0, 2**32))
def test_portfolio_matches_brute_force(seed):
    program = random_program(seed)
    assert solve(program, "portfolio").value == solve(program, "brute").value


@pytest.mark.parametrize("seed", range(6))
def test_portfolio_race_matches_brute_force(seed, monkeypatch):
    """With no CP-SAT probe every program goes to the race between worker processes."""
    import ilp.portfolio

    monkeypatch.setattr(ilp.portfolio, "PROBE_WORK", 0)
    program = random_program(seed)
    got = solve(program, "portfolio")
    assert got.status is Status.OPTIMAL and got.value == solve(program, "brute").value
    assert got.backend in ilp.portfolio.racers() and got.error is None


def _xor_program(seed: int, factor: int) -> Program:
    """Up to four XOR players on up to five goods, every value multiplied by ``factor``."""
    rng = random.Random(seed)
    m = rng.randint(1, 5)
    weights = []
    for _ in range(rng.randint(1, 4)):
        v = random_valuation(rng, m, Form.XOR)
        weights.append(Weight.of(Valuation(v.form, tuple((b, x * factor) for b, x in v.bids))))
    return Program(m, tuple(weights))


@pytest.mark.parametrize("cores", [1, 2])
def test_portfolio_gives_cpsat_every_core_when_no_race_could_prove(cores, monkeypatch):
    """Beyond the floating-point solvers' magnitude (ilp.claims) there is no race: after the
    probe CP-SAT goes on alone, with one search worker per core, and still proves the optimum."""
    import ilp.cpsat
    import ilp.portfolio

    monkeypatch.setattr(ilp.portfolio, "PROBE_WORK", 0)
    monkeypatch.setenv("CABENCH_CORES", str(cores))
    threads = []
    real = ilp.cpsat.run

    def spy(formulation, options, hint=None):
        threads.append(options.threads)
        return real(formulation, options, hint)

    monkeypatch.setattr(ilp.cpsat, "run", spy)
    for seed in range(12):
        program = _xor_program(seed, 10**7)
        expected = solve(program, "brute")
        got = solve(program, "portfolio")
        alone = program.active_players == 1  # one player taking one bid: its best bid, no solver (ilp.onebid)
        assert got.status is Status.OPTIMAL and got.value == expected.value
        assert got.backend == ("portfolio" if alone else "cpsat"), seed
    assert threads and set(threads) == {cores}


def test_portfolio_keeps_the_better_incumbent():
    from ilp import Answer
    from ilp.formulation import ILP
    from ilp.portfolio import _better

    ilp_ = ILP(names=["x"], lower=[0], upper=[5], objective={0: 1}, maximize=True)
    low, high = Answer(Status.FEASIBLE, [2], 9), Answer(Status.FEASIBLE, [4], 7)
    assert _better(ilp_, low, high) == high and _better(ilp_, Answer(Status.UNKNOWN), low) == low


def test_undominated_drops_exactly_the_bids_a_smaller_bid_matches(monkeypatch):
    """Both paths of ilp.compile.undominated (dense over <= 22 goods when that is cheaper,
    pairwise otherwise) agree with the definition: (b, v) goes when another bid (b', v') has b'
    a proper subset of b, v' >= v."""
    import random

    import ilp.compile as compile_module

    def by_definition(atoms):
        return tuple(a for a in atoms
                     if not any(b != a[0] and b & ~a[0] == 0 and v >= a[1] for b, v in atoms))

    rng = random.Random(7)
    for _ in range(300):
        m, shift = rng.randint(1, 7), rng.choice([0, 3, 40, 100])
        atoms = tuple(sorted({rng.randint(1, (1 << m) - 1) << shift: rng.randint(1, 5)
                              for _ in range(rng.randint(0, 20))}.items()))
        expected = by_definition(atoms)
        assert compile_module.undominated(atoms) == expected
        monkeypatch.setattr(compile_module, "DENSE_GOODS", 0)
        assert compile_module.undominated(atoms) == expected
        monkeypatch.undo()
        if len(atoms) > 1:  # the dense path, whatever the comparisons would cost
            monkeypatch.setattr(compile_module, "PAIRWISE_WORK", 0)
            assert compile_module.undominated(atoms) == expected
            monkeypatch.undo()


def test_undominated_by_lowest_good_groups_matches_the_definition(monkeypatch):
    """The pairwise path of ilp.compile.undominated compares a bid only with the kept bids whose
    lowest good it holds: on bids like a knowledge report's (few goods of 64, nested bundles,
    equal values, the empty bundle) it drops exactly what the definition drops."""
    import random

    import ilp.compile as compile_module

    monkeypatch.setattr(compile_module, "DENSE_GOODS", 0)  # always the pairwise path
    rng = random.Random(11)
    for _ in range(400):
        bases = [sum(1 << rng.randrange(64) for _ in range(rng.randint(1, 5))) for _ in range(rng.randint(1, 8))]
        bundles = {0} if rng.random() < 0.1 else set()
        for _ in range(rng.randint(1, 40)):  # unions of a few bases: many nested bundles
            bundles.add(sum(rng.sample(bases, rng.randint(1, len(bases)))) | (1 << rng.randrange(64)) * (
                rng.random() < 0.3))
        atoms = tuple(sorted((b, rng.randint(1, 4)) for b in bundles))
        expected = tuple(a for a in atoms
                         if not any(b != a[0] and b & ~a[0] == 0 and v >= a[1] for b, v in atoms))
        assert compile_module.undominated(atoms) == expected


def test_block_cache_shapes_give_the_blocks_compile_weight_gives():
    """A BlockCache prunes the bids of weights over bundles it has met before through their
    shape (ilp.compile._Shape: inclusions and goods found once per set of bundles): the same
    atoms as compile_weight and the definition, the by_good of AtomsBlock, and its rows
    ``held`` (each good's atoms in order), for values that differ between the weights as
    noisy-lower and wrong knowledge makes them (nested bundles, equal values, the empty bundle,
    goods beyond 64)."""
    import random

    from ilp.compile import BlockCache
    from instances.bundles import members

    rng = random.Random(13)
    for _ in range(150):
        bases = [sum(1 << rng.randrange(rng.choice([8, 70])) for _ in range(rng.randint(1, 4)))
                 for _ in range(rng.randint(1, 6))]
        bundles = {sum(rng.sample(bases, rng.randint(1, len(bases)))) for _ in range(rng.randint(1, 25))}
        if rng.random() < 0.1:
            bundles.add(0)
        bundles = sorted(bundles)
        cache = BlockCache()
        for _ in range(4):  # the first meets the bundles, the next ones go through their shape
            bids = [(b, rng.randint(0, 5)) for b in bundles]
            if rng.random() < 0.3:  # a bundle listed twice, bids in any order (a CATS file's)
                bids.append((rng.choice(bundles), rng.randint(0, 5)))
                rng.shuffle(bids)
            weight = Weight.of(Valuation(Form.XOR, tuple(bids)))
            block = cache.block(weight)
            assert block == compile_weight(weight)
            if block is None:
                continue
            best: dict[int, int] = {}
            for b, v in bids:
                best[b] = max(v, best.get(b, 0))
            positive = sorted((b, v) for b, v in best.items() if v > 0)
            expected = tuple(a for a in positive
                             if not any(b != a[0] and b & ~a[0] == 0 and v >= a[1] for b, v in positive))
            assert block.atoms == expected
            order: list[int] = []
            for bundle, _ in block.atoms:
                order += [g for g in members(bundle) if g not in order]
            assert block.by_good == tuple(
                (g, tuple(a for a, (bundle, _) in enumerate(block.atoms) if bundle >> g & 1)) for g in order)
            goods, positions = block.held  # the same (good, atom) pairs, each good's atoms in order
            pairs = list(zip(goods.tolist(), positions.tolist()))
            assert sorted(pairs) == sorted((g, a) for g, found in block.by_good for a in found)
            assert all(pairs[k][1] < pairs[m][1] for k in range(len(pairs)) for m in range(k + 1, len(pairs))
                       if pairs[k][0] == pairs[m][0])


def test_plain_formulations_have_the_magnitude_names_and_unit_rows_they_say():
    """ilp.formulation.build sets a plain program's magnitude and ``unit`` without a pass over
    its rows (every row is "at most one" of coefficients 1) and takes its variables' names from the
    blocks (made once per player): the magnitude is still the largest of the objective's
    largest value and every coefficient and right-hand side (ilp.claims), and the names x[j,a],
    whichever programs built them before (XOR, OR and EXACT players, excluded players, values
    up to the cap)."""
    import random

    from ilp import claims
    from ilp.compile import BlockCache
    from ilp.formulation import _magnitude, build
    from tests.extreme_instances import CAP

    rng = random.Random(14)
    cache = BlockCache()
    for _ in range(120):
        m = rng.randint(1, 6)
        weights = []
        for _ in range(rng.randint(1, 4)):
            form = rng.choice([Form.XOR, Form.XOR, Form.OR, Form.EXPLICIT])
            bids = tuple({rng.randint(1, (1 << m) - 1): rng.choice([rng.randint(0, 9), CAP])
                          for _ in range(rng.randint(0, 5))}.items())
            weights.append(None if rng.random() < 0.15 else Weight.of(Valuation(form, bids)))
        program = Program(m, tuple(weights))
        formulation = build(program, cache if rng.random() < 0.7 else None)
        ilp_ = formulation.ilp
        assert ilp_.magnitude == _magnitude(ilp_, formulation.blocks, program, 1)
        expected = [f"x[{j},{a}]" for j, block in enumerate(formulation.blocks) if isinstance(block, AtomsBlock)
                    for a in range(len(block.atoms))]
        assert ilp_.names == expected
        # a plain program's rows have coefficients 1 (ILP.unit): ilp.claims sums them alone,
        # and says what the rows say of any integer assignment
        assert ilp_.unit and all(c == 1 for terms, _, _ in ilp_.rows for c in terms.values())
        for _ in range(5):
            values = [rng.choice([0, 0, 1, 2, -1]) for _ in ilp_.names]
            expected = all(lo <= value <= hi for lo, value, hi in zip(ilp_.lower, values, ilp_.upper)) and all(
                (lo is None or lo <= sum(c * values[k] for k, c in terms.items()))
                and (hi is None or sum(c * values[k] for k, c in terms.items()) <= hi) for terms, lo, hi in ilp_.rows)
            assert claims.satisfies(ilp_, values) == expected
        ilp_.add({0: 2} if ilp_.names else {}, hi=1)  # any other row: no longer unit
        assert not ilp_.unit


def test_atoms_block_by_good_lists_each_good_s_atoms_in_order():
    """AtomsBlock.by_good (the rows "good g goes to this player" of every formulation holding
    the block): each good of the atoms with the positions of the atoms holding it, ascending,
    goods in order of first appearance."""
    import random

    from ilp.compile import AtomsBlock
    from instances.bundles import members

    rng = random.Random(12)
    for _ in range(200):
        atoms = tuple((rng.getrandbits(rng.choice([3, 20, 70])), rng.randint(1, 9)) for _ in range(rng.randint(0, 30)))
        order: list[int] = []
        for bundle, _ in atoms:
            order += [g for g in members(bundle) if g not in order]
        expected = tuple((g, tuple(a for a, (bundle, _) in enumerate(atoms) if bundle >> g & 1)) for g in order)
        assert AtomsBlock(rng.random() < 0.5, atoms).by_good == expected


def test_atoms_block_held_lists_every_good_atom_pair_atom_by_atom():
    """AtomsBlock.held (read from the bundles' bytes in numpy): every (good, atom holding it)
    pair once, atom by atom, each atom's goods from the lowest, so each good's atoms ascend as
    in ``by_good``; bundles of 1 to 300 goods, the empty bundle, no atoms at all."""
    import random

    from ilp.compile import AtomsBlock
    from instances.bundles import members

    rng = random.Random(13)
    for _ in range(300):
        width = rng.choice([1, 3, 8, 9, 64, 65, 300])
        atoms = tuple((rng.getrandbits(width) if rng.random() < 0.95 else 0, rng.randint(1, 9))
                      for _ in range(rng.randint(0, 30)))
        goods, positions = AtomsBlock(rng.random() < 0.5, atoms).held
        assert goods.dtype == positions.dtype == "int64"
        assert list(zip(positions.tolist(), goods.tolist())) == [
            (a, g) for a, (bundle, _) in enumerate(atoms) for g in members(bundle)]


@pytest.mark.parametrize("seed", range(3))
def test_portfolio_races_inside_a_report_s_shared_workers(seed, monkeypatch):
    """A report solves with options that carry its worker processes (``shared_workers``); the
    race must not try to send those to its racers (they cannot be pickled: every racer failed
    and CP-SAT went on alone in this process)."""
    import ilp.portfolio
    from ilp.batch import shared_workers

    monkeypatch.setattr(ilp.portfolio, "PROBE_WORK", 0)
    program = random_program(seed)
    with shared_workers(SolveOptions("portfolio", jobs=2)) as options:
        assert options.workers is not None
        got = solve(program, options)
    assert got.status is Status.OPTIMAL and got.value == solve(program, "brute").value
    assert got.error is None and got.backend in ilp.portfolio.racers()



@pytest.mark.parametrize("cores", [1, 2, 4])
def test_a_later_race_runs_the_lead_and_one_other_per_core(cores, monkeypatch):
    """``portfolio.racers``: one solver per core and at least two, HiGHS and CP-SAT first; a
    later race (``lead``, the latest race's winner) has that solver first."""
    import ilp.portfolio

    monkeypatch.setenv("CABENCH_CORES", str(cores))
    first = ilp.portfolio.racers()
    assert len(first) == max(2, cores) and first == ["highs", "cpsat", "scip", "cbc"][:len(first)]
    for lead in ilp.portfolio.RACERS:
        later = ilp.portfolio.racers(lead)
        assert later[0] == lead and len(later) == max(2, cores) and len(set(later)) == len(later)
        assert later[1:] == [name for name in ilp.portfolio.RACERS if name != lead][:len(later) - 1]
    assert ilp.portfolio.racers("no-such-solver") == first


def _sparse_program(seed: int) -> Program:
    """OR players over 10 goods bidding on bundles of 4 to 6 of them: a set-packing program of
    80 bids whose compatibility graph is sparse, so the portfolio gives it the clique search."""
    rng = random.Random(seed)
    weights = []
    for _ in range(16):
        bundles = {sum(1 << g for g in rng.sample(range(10), rng.randint(4, 6))) for _ in range(5)}
        weights.append(Weight.of(Valuation(Form.OR, tuple((b, rng.randint(1, 100)) for b in sorted(bundles)))))
    return Program(10, tuple(weights))


def test_a_sparse_program_races_with_the_clique_search_first(monkeypatch):
    """``portfolio.racers``: a sparse program's race has the clique search first; beyond the
    floating-point racers' tolerances, only the exact racers."""
    import ilp.portfolio

    monkeypatch.setenv("CABENCH_CORES", "2")
    assert ilp.portfolio.racers(sparse=True) == ["clique", "highs"]
    assert ilp.portfolio.racers(sparse=True, separable=False) == ["clique", "cpsat"]
    assert ilp.portfolio.racers("highs", sparse=True) == ["highs", "clique"]
    monkeypatch.setenv("CABENCH_CORES", "4")
    assert ilp.portfolio.racers(sparse=True, separable=False) == ["clique", "cpsat"]


@pytest.mark.parametrize("cores", [1, 2])
@pytest.mark.parametrize("seed", range(3))
def test_a_capped_clique_search_goes_on_to_the_optimum(seed, cores, monkeypatch):
    """A sparse program whose clique search reaches its cap (``portfolio.CLIQUE_WORK``, here
    nothing) and that the probe does not settle (here no probe) is still proven: by a race with
    the clique search on two cores, by the clique search alone on one."""
    import ilp.portfolio

    program = _sparse_program(seed)
    from ilp.formulation import build

    assert ilp.portfolio.sparse_graph(build(program).ilp) is not None
    monkeypatch.setattr(ilp.portfolio, "CLIQUE_WORK", 0)
    monkeypatch.setattr(ilp.portfolio, "PROBE_WORK", 0)
    monkeypatch.setenv("CABENCH_CORES", str(cores))
    got = solve(program, "portfolio")
    assert got.status is Status.OPTIMAL and got.value == solve(program, "brute").value
    assert got.error is None
    assert got.backend in (ilp.portfolio.racers(sparse=True) if cores > 1 else ["clique"])


@pytest.mark.parametrize("seed", range(3))
def test_a_later_race_keeps_the_value(seed, monkeypatch):
    """A race with a lead (two racers on two cores) proves the brute-force optimum."""
    import ilp.portfolio

    monkeypatch.setattr(ilp.portfolio, "PROBE_WORK", 0)
    monkeypatch.setenv("CABENCH_CORES", "2")
    program = random_program(seed)
    for lead in ("highs", "cpsat"):
        got = solve(program, SolveOptions("portfolio", lead=lead))
        assert got.status is Status.OPTIMAL and got.value == solve(program, "brute").value
        assert got.error is None and got.backend in ilp.portfolio.racers(lead)


def test_a_batch_tells_its_later_races_the_latest_winner(monkeypatch):
    """``ilp.batch``: once a program raced here was proven past the probe, the batch's next race
    gets that solver as its lead (none before; a program proven within the probe keeps it)."""
    from dataclasses import replace as replace_

    import ilp.batch

    leads = []

    def fake(program, options, hint=None):
        leads.append(options.lead)
        answer = solve(program, "brute")
        # the first program "won a race" (past the probe), HiGHS; the second within the probe
        wall = ilp.batch.PROBE_SECONDS + 1 if len(leads) == 1 else 0.1
        return replace_(answer, backend="highs" if len(leads) == 1 else "cpsat", wall_time=wall)

    monkeypatch.setattr(ilp.batch, "solve", fake)
    rng = random.Random(5)
    programs = [Program(4, tuple(Weight.of(random_valuation(rng, 4, Form.XOR)) for _ in range(3))) for _ in range(3)]
    got = ilp.batch.solve_batch(programs, SolveOptions("portfolio", jobs=1))
    assert [s.value for s in got] == [solve(p, "brute").value for p in programs]
    assert leads == [None, "highs", "highs"]



@pytest.mark.parametrize("won", [True, False])
def test_a_tie_break_in_a_worker_goes_to_the_race_s_winner(won, monkeypatch):
    """``ilp.batch``: a tie-break sent to a worker after a race was won here gets the winner as
    its lead (not raced: a race in a worker would share the cores with the other workers;
    ``ilp.lex.lex_first`` gives the winner its welfare programs); with no race won, the batch's
    own options (the portfolio). Same values and witness as the brute force."""
    from dataclasses import replace as replace_

    import ilp.batch

    def fake_solve(program, options, hint=None):
        answer = solve(program, "brute")
        wall = ilp.batch.PROBE_SECONDS + 1 if won else 0.1
        return replace_(answer, backend="highs", wall_time=wall)

    sent = []

    class FakeRemote:
        """The workers, in this process: records each task's backend."""

        def __init__(self, *args):
            pass

        def solve(self, tasks, blocks, solved_by, finished, inbox=None):
            queue = list(tasks)
            while queue:
                task = queue.pop(0)
                sent.append((task.first is not None, (task.options.backend, task.options.lead)))
                if task.first is not None:
                    found = lex_first(task.program, task.first, "brute")
                else:
                    found = solve(task.program, "brute")
                queue += finished(task.position, found)

        def stop(self):
            pass

    monkeypatch.setattr(ilp.batch, "solve", fake_solve)
    monkeypatch.setattr(ilp.batch, "Remote", FakeRemote)
    rng = random.Random(11)
    program = Program(4, tuple(Weight.of(random_valuation(rng, 4, Form.XOR)) for _ in range(4)))

    def follow(solution):  # as a report: the tie-break, then MSW without each player
        return [ilp.batch.LexFirst(program, solution),
                *(Program(4, tuple(None if j == i else w for j, w in enumerate(program.weights))) for i in range(4))]

    got = ilp.batch.solve_batch([program], SolveOptions("portfolio", jobs=2), after={0: follow})
    expected = solve(program, "brute")
    assert got[1].allocation == lex_first(program, expected, "brute").allocation
    assert [s.value for s in got[2:]] == [solve(p, "brute").value for p in follow(expected)[1:]]
    lex = [backend for first, backend in sent if first]
    assert lex == ([("portfolio", "highs")] if won else [("portfolio", None)])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32))
def test_lex_first_with_the_welfare_program_first_matches_brute_force(seed):
    """``ilp.lex.WELFARE_FIRST_BIDS``: each ordering step preceded by the welfare program
    (fixed owners, the latest optimum's extensions excluded) gives the same first optimum,
    ties included (small integer values: many optima)."""
    import ilp.lex

    rng = random.Random(seed)
    m = rng.randint(1, 5)
    program = Program(m, tuple(Weight.of(random_valuation(rng, m, rng.choice((Form.XOR, Form.EXPLICIT))))
                               for _ in range(rng.randint(3, 5))))
    expected = lex_first(program, solve(program, "brute"), "brute")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ilp.lex, "WELFARE_FIRST_BIDS", 0)
        for backend in ("cpsat", "highs"):
            first = lex_first(program, solve(program, backend), backend)
            assert first.status is Status.OPTIMAL and first.value == expected.value
            assert first.allocation == expected.allocation, backend


@pytest.mark.parametrize("lead", ["highs", "scip", "cpsat"])
def test_a_tie_break_after_a_race_gives_its_welfare_programs_to_the_winner_and_its_steps_to_cp_sat(
        lead, monkeypatch):
    """``ilp.lex.lex_first`` with the portfolio and a race's winner (``SolveOptions.lead``, set
    by ``ilp.batch`` for a tie-break in a worker): no race; the welfare programs go to the
    winner, the ordering steps (welfare at least the optimum: a feasibility question) to CP-SAT.
    Many optima (small integer values): the same first optimum as the brute force."""
    import ilp.lex

    monkeypatch.setattr(ilp.lex, "WELFARE_FIRST_BIDS", 0)
    for lister in ("_first_clique", "_first_relaxed", "_first_dual"):  # (they would list these small programs' optima)
        monkeypatch.setattr(ilp.lex, lister, lambda *args: None)
    used = []
    real = ilp.lex.solve
    monkeypatch.setattr(ilp.lex, "solve", lambda program, options: used.append(
        ("step" if program.minimize_owners else "welfare", options.backend, options.lead)) or real(program, options))
    options = SolveOptions("portfolio", lead=lead)
    steps = 0
    for seed in range(30):
        rng = random.Random(seed)
        m = rng.randint(2, 5)
        program = Program(m, tuple(
            Weight.of(Valuation(Form.XOR, tuple((rng.randint(1, 2**m - 1), rng.randint(1, 3)) for _ in range(3))))
            for _ in range(rng.randint(3, 5))))
        expected = lex_first(program, solve(program, "brute"), "brute")
        used.clear()
        first = lex_first(program, solve(program, "cpsat"), options)
        assert (first.status, first.value, first.allocation) == (Status.OPTIMAL, expected.value, expected.allocation)
        assert all(backend == ("cpsat" if kind == "step" else lead) and own is None for kind, backend, own in used)
        steps += sum(kind == "step" for kind, _, _ in used)
    assert steps  # the ties of these programs needed ordering steps


def test_lex_first_of_a_unique_optimum_is_one_welfare_proof(monkeypatch):
    """With the welfare program first, a unique optimum is proven by that one program."""
    import ilp.lex

    monkeypatch.setattr(ilp.lex, "WELFARE_FIRST_BIDS", 0)
    weights, calls = _unique_optimum_and_lex_solves(monkeypatch)
    program = Program(3, weights)
    for backend in ("cpsat", "highs"):
        calls.clear()
        first = lex_first(program, solve(program, backend), backend)
        assert (first.status, first.value, first.allocation) == (Status.OPTIMAL, 12, (0b001, 0b110, 0))
        assert len(calls) == 1 and calls[0].avoid == (0b001, 0b110, 0) and not calls[0].minimize_owners


@pytest.mark.parametrize("form", [Form.XOR, Form.SINGLE_MINDED, Form.EXPLICIT, Form.TABLE, Form.OR, Form.ADDITIVE])
def test_one_bid_weights_compile_as_the_general_path_does(form):
    """The weight of one valuation of one bid skips ilp.compile's general passes (``_one_bid``):
    the same block as the general path (reached here through the same valuation listed twice in
    the minimum, which changes no value), the general path's ``held`` rows, no union search, for
    values at most 0, goods beyond 64, and bundles met again (their shape)."""
    from ilp.compile import BlockCache, union_options
    from ilp.formulation import _upper
    from instances.bundles import members

    rng = random.Random(list(Form).index(form))
    cache = BlockCache()
    bundles = [sum({1 << rng.randrange(rng.choice([6, 90])) for _ in range(rng.randint(1, 4))}) for _ in range(12)]
    for _ in range(200):
        bundle = rng.choice(bundles)
        if form is Form.ADDITIVE:
            bundle = 1 << (bundle.bit_length() - 1)  # (a singleton, as an additive valuation's bids are)
        valuation = Valuation(form, ((bundle, rng.randint(-3, 9)),))
        weight = Weight.of(valuation)
        block = cache.block(weight)
        assert block == compile_weight(Weight(((valuation, valuation),))) == compile_weight(weight)
        assert cache.search(weight) is None and union_options(weight) is None
        if block is None:
            assert valuation.bids[0][1] <= 0
            continue
        assert block.single is (form not in (Form.OR, Form.ADDITIVE)) and block.atoms == valuation.bids
        assert _upper(block) == valuation.bids[0][1]  # (its one-bid step too)
        goods, positions = block.held
        assert goods.tolist() == list(members(bundle)) and positions.tolist() == [0] * bundle.bit_count()


@pytest.mark.parametrize("seed", range(3))
def test_cpsat_model_is_the_one_the_api_builds(seed):
    """``ilp.cpsat._model`` writes the objective and the warm start into the model's proto in
    one step each: the same model, field for field, as OR-Tools' own ``maximize`` / ``minimize``
    and ``add_hint`` build term by term (so CP-SAT searches the same way and finds the same
    witnesses), on the formulations of random programs, the owner objective of the tie-break (a
    minimum), objectives with no term or a zero coefficient, and hints shorter or longer than
    the model."""
    from ortools.sat.python import cp_model

    from ilp.cpsat import _model
    from ilp.formulation import build

    def through_the_api(ilp_, hint):
        model = cp_model.CpModel()
        xs = [model.new_bool_var(name) if (lo, hi) == (0, 1) else model.new_int_var(lo, hi, name)
              for name, lo, hi in zip(ilp_.names, ilp_.lower, ilp_.upper)]
        for terms, lo, hi in ilp_.rows:
            expression = cp_model.LinearExpr.weighted_sum([xs[k] for k in terms], list(terms.values()))
            if lo is None and hi == 1 and set(terms.values()) == {1} and all(
                    (ilp_.lower[k], ilp_.upper[k]) == (0, 1) for k in terms):
                model.add_at_most_one(xs[k] for k in terms)
            else:
                model.add_linear_constraint(expression, cp_model.INT_MIN if lo is None else lo,
                                            cp_model.INT_MAX if hi is None else hi)
        objective = cp_model.LinearExpr.weighted_sum([xs[k] for k in ilp_.objective], list(ilp_.objective.values()))
        model.maximize(objective) if ilp_.maximize else model.minimize(objective)
        for x, v in zip(xs, hint or []):
            model.add_hint(x, v)
        return model

    rng = random.Random(seed)
    for trial in range(40):
        program = random_program(rng.randrange(2**32))
        if trial % 3 == 0:
            program = Program(program.n_goods, program.weights, minimize_owners=tuple(range(program.n_goods)))
        ilp_ = build(program).ilp
        if trial % 7 == 0 and ilp_.objective:
            ilp_.objective[next(iter(ilp_.objective))] = 0
        if trial % 11 == 0:
            ilp_.objective = {}
        hint = None if trial % 2 else [rng.randint(0, 1) for _ in range(max(0, len(ilp_.names) + rng.randint(-2, 2)))]
        model, xs = _model(ilp_, hint)
        assert len(xs) == len(ilp_.names)
        assert str(model.proto) == str(through_the_api(ilp_, hint).proto)


@pytest.mark.parametrize("seed", range(3))
def test_cpsat_merges_the_at_most_ones_unless_covering_unions_hold_many_terms(seed, monkeypatch):
    """``ilp.cpsat.MERGE_LITERALS``: CP-SAT solves a program with its merging of at-most-one
    constraints into larger cliques (a step of its presolve that ignores the clock) unless the
    program holds covering unions and its rows more terms than that; the optimum is the brute
    force's either way (random cores as ``ilp.colgen`` builds them: covering unions, and every
    third program a valuation's own bids)."""
    from itertools import product

    from ortools.sat.python import cp_model

    from ilp import claims, cpsat
    from ilp.formulation import build

    default = cp_model.CpSolver().parameters.merge_at_most_one_work_limit
    assert default > 0
    limits, solve_ = [], cp_model.CpSolver.solve

    def recording(self, model, *args, **kwargs):
        limits.append(self.parameters.merge_at_most_one_work_limit)
        return solve_(self, model, *args, **kwargs)

    monkeypatch.setattr(cp_model.CpSolver, "solve", recording)
    rng = random.Random(seed)
    for trial in range(12):
        goods, players = rng.randint(3, 7), rng.randint(2, 4)
        blocks = []
        for _ in range(players):
            atoms = {rng.randrange(1, 2**goods): rng.randint(1, 30) for _ in range(rng.randint(1, 4))}
            blocks.append(AtomsBlock(True, tuple(sorted(atoms.items())), unions=trial % 3 > 0))
        formulation = build(Program(goods, tuple(Weight.of(Valuation(Form.XOR, ((1, 1),))) for _ in blocks)),
                            given=blocks)
        terms = sum(len(row) for row, _, _ in formulation.ilp.rows)
        choices = product(*[[(0, 0), *block.atoms] for block in blocks])  # (an atom or none per player)
        best = max(sum(value for _, value in choice) for choice in choices
                   if not any(a & b for i, (a, _) in enumerate(choice) for b, _ in choice[i + 1:]))
        for limit in (terms, terms - 1):
            monkeypatch.setattr("ilp.cpsat.MERGE_LITERALS", limit)
            answer = cpsat.run(formulation, SolveOptions("cpsat"))
            assert answer.status is Status.OPTIMAL and claims.objective(formulation.ilp, answer.values) == best
            assert limits.pop() == (0 if trial % 3 and terms > limit else default) and not limits


def test_cpsat_answers_read_every_variable_s_value():
    """``ilp.cpsat.run`` reads the values of the solution from the response at once: one per
    variable of the program, those of the optimum (random programs against the brute force)."""
    from ilp import cpsat
    from ilp.formulation import build

    rng = random.Random(4)
    for _ in range(30):
        program = random_program(rng.randrange(2**32))
        formulation = build(program)
        answer = cpsat.run(formulation, SolveOptions("cpsat"))
        assert answer.status is Status.OPTIMAL and len(answer.values) == len(formulation.ilp.names)
        assert program.total(formulation.decode(answer.values)) == solve(program, "brute").value


@pytest.mark.parametrize("backend", ["scip", "cbc", "highs", "cpsat", "portfolio"])
def test_a_time_limit_beyond_any_solver_infinity_is_no_limit(backend):
    # SCIP refused limits above 1e20, its infinity (`--time-limit inf` ended in a traceback)
    program = Program(2, (Weight.of(Valuation(Form.XOR, ((0b01, 5),))), Weight.of(Valuation(Form.XOR, ((0b11, 6),)))))
    assert solve(program, SolveOptions(backend=backend, time_limit=float("inf"))).value == 6


def test_cbc_stopped_before_its_solution_file_is_nothing_found_in_time(monkeypatch):
    # under a time limit of a millisecond CBC sometimes ended before writing its solution, and
    # PuLP's error ended the command (exit 1); without a time limit the error still stands
    import pulp

    def fails(self, *args, **kwargs):
        raise pulp.PulpSolverError("Pulp: Error while trying to execute cbc")

    monkeypatch.setattr(pulp.LpProblem, "solve", fails)
    program = Program(2, (Weight.of(Valuation(Form.XOR, ((0b01, 5),))), Weight.of(Valuation(Form.XOR, ((0b11, 6),)))))
    assert solve(program, SolveOptions(backend="cbc", time_limit=0.001)).status is Status.UNKNOWN
    with pytest.raises(pulp.PulpSolverError):
        solve(program, SolveOptions(backend="cbc"))


def test_cbc_stopped_in_its_preprocessing_proves_no_infeasibility():
    # under 0.0001 s CBC's preprocessing said "infeasible" of a program of one good and one bid
    # (18 times in 20), which cabench reported as a proof that no allocation exists
    program = Program(2, (Weight.of(Valuation(Form.XOR, ((0b01, 4),))),))
    for _ in range(10):
        solution = solve(program, SolveOptions(backend="cbc", time_limit=1e-4))
        assert solution.status in (Status.OPTIMAL, Status.FEASIBLE, Status.UNKNOWN)
        assert solution.bound is not None and solution.bound >= 4


def test_cbc_searches_serially_on_one_thread(monkeypatch):
    # "-threads 1" is CBC's threaded search with one worker thread: under a limit that expired at
    # once, CBC waited 10 s for that thread to start (7 of 600 runs below 0.0001 s); without
    # the option it searches serially, as one thread should
    from ilp import cbc

    made = []
    command = cbc._command
    monkeypatch.setattr(cbc, "_command", lambda **settings: made.append(settings) or command(**settings))
    program = Program(2, (Weight.of(Valuation(Form.XOR, ((0b01, 5),))), Weight.of(Valuation(Form.XOR, ((0b11, 6),)))))
    assert solve(program, SolveOptions(backend="cbc", threads=1)).value == 6
    assert solve(program, SolveOptions(backend="cbc", threads=2)).value == 6
    # several threads under a tiny limit waited the same 10 s (3 runs in 400): serial there
    solve(program, SolveOptions(backend="cbc", threads=2, time_limit=1e-4))
    assert solve(program, SolveOptions(backend="cbc", threads=2, time_limit=cbc.THREADS_FROM_SECONDS)).value == 6
    assert [settings["threads"] for settings in made if "threads" in settings] == [None, 2, None, 2]


@pytest.mark.parametrize("stop", [KeyboardInterrupt, RuntimeError])
def test_a_cbc_solve_that_ends_early_leaves_no_file(monkeypatch, tmp_path, stop):
    """CBC's model and solution files are gone however the solve ends: PuLP removes them only
    after reading an answer, and a Ctrl-C in the Python API (``KeyboardInterrupt`` once CBC has
    written them) left them in the temporary folder."""
    import tempfile

    import pulp

    from ilp import lifetime

    monkeypatch.delenv(lifetime.SCRATCH, raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    written = []

    def interrupted(self, *args, **kwargs):
        written.extend(p.name for p in tmp_path.rglob("*") if p.is_file())
        raise stop

    monkeypatch.setattr(pulp.COIN_CMD, "readsol_MPS", interrupted)
    program = Program(3, tuple(Weight.of(Valuation(Form.XOR, ((0b011, 5 + j), (0b110, 7 - j), (0b101, 6)))) for j in
                               range(3)))
    with pytest.raises(stop):
        solve(program, SolveOptions(backend="cbc"))
    assert written and list(tmp_path.iterdir()) == []


def test_cbc_under_a_time_limit_it_does_not_reach_proves_the_tie_break():
    # the tie-break's proof is CBC's "infeasible" (no allocation earlier in the order): taken as
    # nothing proven under any time limit, it left every report unproven with --solver cbc
    # --time-limit 10 (exit 3, where the same command without a limit exits 0)
    from benchmarks.table import ReportPlan

    program = ReportPlan.of(seed004_example()).msw
    options = SolveOptions(backend="cbc", time_limit=60)
    solution = solve(program, options)
    ordered = lex_first(program, solution, options)
    assert solution.optimal and ordered.optimal
    assert ordered.allocation == lex_first(program, solve(program, "cbc"), "cbc").allocation


@pytest.mark.parametrize("backend", ["cpsat", "cbc", "scip", "highs", "portfolio", "clique"])
def test_every_backend_stopped_by_the_clock_leaves_an_interval(backend):
    # under a limit too short for any bound, CP-SAT, CBC, SCIP and HiGHS answered "unknown" with
    # no bound, and the portfolio a packing with none: the report then had no interval
    from tests.test_exact_audit import brute, packing_program

    for seed in range(12):
        program = packing_program(seed)
        optimum, _ = brute(program)
        for limit in (1e-9, 1e-4):
            solution = solve(program, SolveOptions(backend=backend, time_limit=limit))
            assert solution.status is not Status.INFEASIBLE, (seed, limit, solution)
            assert solution.bound is not None and solution.bound >= optimum, (seed, limit, solution)
            if solution.value is not None:
                assert solution.value <= optimum


def test_a_cache_looks_up_whole_programs_as_weight_by_weight():
    """``BlockCache.blocks`` and ``BlockCache.priced`` (a whole program's weights looked up at
    once) say what ``block`` and ``search`` say of each weight, with excluded players, a
    weight listed twice, weights met before and new ones, and with equal weights that are
    distinct objects; ``Program.active_players`` counts the players with an option and
    ``Program.has_minimum`` says whether some option is a minimum of several valuations, as the
    batch finds both from the weights' ids."""
    from ilp.compile import BlockCache
    from ilp.index import Compactor, ProgramIndex

    rng = random.Random(52)
    cache, index = BlockCache(), ProgramIndex()
    compactor = Compactor(index)
    made: list[Weight] = []
    for _ in range(150):
        m = rng.randint(1, 5)
        weights: list[Weight | None] = []
        for _ in range(rng.randint(1, 6)):
            roll = rng.random()
            if roll < 0.15:
                weights.append(None)
            elif roll < 0.3 and made:
                weights.append(rng.choice(made))  # met before (or listed twice)
            elif roll < 0.4:
                weights.append(Weight(()))  # no option: worth 0 everywhere
            else:
                valuations = tuple(Valuation(rng.choice([Form.XOR, Form.XOR, Form.OR]), tuple(
                    {rng.randint(1, (1 << m) - 1): rng.randint(0, 9) for _ in range(rng.randint(1, 3))}.items()))
                    for _ in range(rng.choice([1, 1, 2, 3])))
                weight = Weight.minimum(valuations) if rng.random() < 0.8 else Weight.maximum(
                    (Weight.minimum(valuations), Weight.of(valuations[0])))
                made.append(weight)
                weights.append(weight)
        program = Program(m, tuple(weights))
        fresh = BlockCache()
        assert cache.priced(program.weights) == [cache.search(w) is not None for w in program.weights]
        assert cache.blocks(program.weights) == [fresh.block(w) for w in program.weights]
        assert program.active_players == sum(1 for w in program.weights if w is not None and w.options)
        assert program.has_minimum == any(len(option) > 1 for w in program.weights if w is not None
                                     for option in w.options)
        assert program.has_minimum or not any(cache.priced(program.weights))
        # Program.has_minimum as the batch's index knows it, and Program.active_players as its
        # restricted programs know it (the players it keeps), both from the ids
        keyed = Program(m, tuple(weights))
        q = index.add(keyed)
        assert "has_minimum" in keyed.__dict__ and keyed.has_minimum == program.has_minimum
        position, kept = compactor.unit(q)
        restricted = compactor.programs[position]
        assert "active_players" in restricted.__dict__
        assert restricted.active_players == program.active_players
        assert restricted.active_players == sum(1 for w in restricted.weights if w is not None and w.options)
        assert kept is None or [weights[j] for j in kept] == list(restricted.weights)


def test_the_few_goods_table_gives_up_before_compiling_the_players_after(monkeypatch):
    """``ilp.fewgoods`` gives a program up at its first player of several bids without compiling
    the weights after it: a guaranteed value of candidates compiles by listing its covering
    unions, and a tie-break asks ``fewgoods`` first of every program (review of 2026-12-05: 251
    compilations here, and a canonical report of 210 players with candidates 30 % slower)."""
    import ilp.compile
    from ilp import fewgoods
    from ilp.compile import BlockCache

    rng = random.Random(0)

    def xor(count: int) -> Valuation:
        return Valuation(Form.XOR, tuple(sorted({rng.randint(1, (1 << 12) - 1): rng.randint(1, 50)
                                                 for _ in range(count)}.items())))

    weights = [Weight.of(xor(3))] + [Weight.minimum((xor(4), xor(4), xor(4))) for _ in range(250)]
    compiled = []
    real = ilp.compile._compile
    monkeypatch.setattr(ilp.compile, "_compile", lambda *args, **kwargs: compiled.append(1) or real(*args, **kwargs))
    assert fewgoods.solve_program(Program(12, tuple(weights)), blocks=BlockCache()) is None
    assert len(compiled) == 1


def test_a_block_cache_travels_by_value():
    """A pickled ``BlockCache`` (a part sent to a worker, a worker's blocks sent back) carries its
    blocks by weight, never the lookups keyed by this process's ids, which would name other
    objects in another process; read back it looks weights up as a new cache does."""
    import pickle

    from ilp.compile import BlockCache

    weights = tuple(Weight.of(Valuation(Form.XOR, ((1 << k, k + 1),))) for k in range(4))
    cache = BlockCache()
    blocks = cache.blocks((None, *weights))
    copy = pickle.loads(pickle.dumps(cache))
    assert copy._by_id == {} and copy._block_of == {id(None): None} and copy._priced == {id(None): False}
    assert copy.blocks((None, *weights)) == blocks and len(copy) == len(cache)
    merged = BlockCache()
    merged.update(copy)
    assert merged.blocks(weights) == blocks[1:]


def test_the_cores_are_those_the_process_may_run_on(monkeypatch):
    """A process allowed one core (a cluster's job, ``taskset``) races nothing and starts one
    worker: the cores counted are its CPU affinity, not the machine's (``os.cpu_count``), unless
    ``CABENCH_CORES`` says otherwise, for the race and the batch alike."""
    import os

    from ilp import batch, portfolio

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.delenv("CABENCH_CORES", raising=False)
    assert portfolio.cores() == 1 and batch.default_jobs() == 1
    monkeypatch.setenv("CABENCH_CORES", "2")
    assert portfolio.cores() == 2 and batch.default_jobs() == 2
    monkeypatch.setenv("CABENCH_CORES", "\u00b2")  # a digit to str.isdigit, not to int()
    assert portfolio.cores() == 1
