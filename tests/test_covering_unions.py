"""Covering unions (``ilp.unions.covering_unions``): a guaranteed value over candidates (a
minimum of free-disposal valuations, inside a coalition's maximum) compiled into one winner-
determination block. Checked bundle by bundle against the weight's definition, and program by
program against the brute-force solver and the robust formulation it replaces, on many random
small weights, with tied values and with values near the cap."""

from __future__ import annotations

import random

import pytest

import ilp.compile
import ilp.unions
from benchmarks import compute_report
from ilp import Program, SolveOptions, Weight, solve, solve_batch
from ilp.backends import as_options
from ilp.compile import AtomsBlock, BlockCache, RobustBlock, compile_weight
from ilp.formulation import build
from ilp.program import UNALLOCATED
from ilp.unions import without_dominated
from instances import Candidates, Instance
from instances.synthetic import random_valuation
from instances.valuation import Form, Valuation
from tests import reference
from tests.extreme_instances import CAP
from tests.test_agreement import check_report

FREE_DISPOSAL = (Form.XOR, Form.SINGLE_MINDED, Form.EXPLICIT, Form.XOR)


def _weight(rng: random.Random, m: int, low: int, high: int) -> Weight:
    """A maximum of one to three options, each the minimum of one to four valuations (candidate
    knowledge, pooled by a coalition), mostly XOR, sometimes EXACT or single-minded."""
    options = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        size = rng.choice((1, 2, 2, 3, 4))
        options.append(tuple(random_valuation(rng, m, rng.choice(FREE_DISPOSAL), low=low, high=high, max_bids=5)
                             for _ in range(size)))
    return Weight(tuple(options))


def _values(low: int, high: int, rng: random.Random) -> tuple[int, int]:
    return (low, high) if rng.random() < 0.7 else (CAP - 50, CAP)


@pytest.mark.parametrize("seed", range(300))
def test_atoms_equal_the_weight_on_every_bundle(seed):
    rng = random.Random(seed)
    m = rng.randint(1, 6)
    low, high = _values(0, rng.choice((3, 20)), rng)
    weight = _weight(rng, m, low, high)
    block = compile_weight(weight)
    if block is None:
        assert all(weight.value(s) <= 0 for s in range(1 << m))
        return
    assert isinstance(block, AtomsBlock) and block.single  # no OR valuation: never robust
    for bundle, value in block.atoms:
        assert 0 < value <= weight.value(bundle)  # receiving exactly the atom is worth at least its value
    for s in range(1 << m):
        best = max((v for b, v in block.atoms if b & ~s == 0), default=0)
        # the exact bundles of an EXACT option are atoms; elsewhere the best atom inside is w(S)
        if all(v.form is not Form.EXPLICIT for option in weight.options for v in option):
            assert best == max(0, weight.value(s)), s
        else:
            assert best <= max(weight.value(t) for t in range(1 << m) if t & ~s == 0)
            assert best >= weight.value(s)


@pytest.mark.parametrize("seed", range(60))
def test_programs_match_brute_force_and_the_robust_model(seed, monkeypatch):
    rng = random.Random(1000 + seed)
    m = rng.randint(2, 6)
    low, high = _values(0, rng.choice((3, 30)), rng)
    weights = tuple(_weight(rng, m, low, high) if rng.random() < 0.7 else
                    Weight.of(random_valuation(rng, m, Form.XOR, low=low, high=high))
                    for _ in range(rng.randint(1, 3)))
    program = Program(m, weights)
    expected = solve(program, "brute").value
    for backend in ("cpsat", "highs", "cbc", "scip"):
        solution = solve(program, backend)  # unions priced (ilp.colgen)
        assert solution.optimal and solution.value == expected, backend
    monkeypatch.setattr("ilp.colgen.applies", lambda program, blocks: False)
    for backend in ("cpsat", "highs"):  # unions listed, as ilp.lex solves them
        solution = solve(program, backend)
        assert solution.optimal and solution.value == expected, backend
    # the robust formulation (no unions, the fallback beyond the budget) agrees
    if any(isinstance(compile_weight(w, budget=0), RobustBlock) for w in weights):
        with monkeypatch.context() as patch:
            patch.setattr("ilp.compile.UNION_BUDGET", 0)
            assert any(isinstance(b, RobustBlock) for b in build(program).blocks)
            for backend in ("cpsat", "highs"):
                assert solve(program, backend).value == expected, backend


def test_budget_falls_back_to_the_robust_block():
    a, b = 0b01, 0b10
    xor1 = Valuation(Form.XOR, ((a, 5), (b, 1)))
    xor2 = Valuation(Form.XOR, ((a, 1), (b, 6)))
    weight = Weight.minimum((xor1, xor2))
    assert compile_weight(weight) == AtomsBlock(True, ((a, 1), (b, 1), (a | b, 5)))
    assert compile_weight(weight).unions and not compile_weight(Weight.of(xor1)).unions  # the solvers' hint
    assert isinstance(compile_weight(weight, budget=1), RobustBlock)
    assert isinstance(compile_weight(weight, budget=0), RobustBlock)
    # OR valuations inside a minimum keep the robust model
    additive = Valuation(Form.ADDITIVE, ((a, 2), (b, 2)))
    assert isinstance(compile_weight(Weight.minimum((xor1, additive))), RobustBlock)


def test_a_bundle_listed_twice_counts_at_its_best_value():
    """A valuation may list one bundle several times (its value is the best of them)."""
    first = Valuation(Form.XOR, ((8, 17), (7, 5), (4, 12), (4, 0), (13, 13), (7, 11), (4, 7)))
    second = Valuation(Form.XOR, ((2, 16), (2, 20), (2, 21)))
    weight = Weight.minimum((first, second))
    block = compile_weight(weight)
    for s in range(16):
        assert max((v for b, v in block.atoms if b & ~s == 0), default=0) == weight.value(s), s


@pytest.mark.parametrize("seed", range(40))
def test_dominated_atoms_are_dropped_as_by_pairwise_comparison(seed):
    """``without_dominated`` (numpy words) against the definition, beyond 64 goods and near
    the value cap."""
    rng = random.Random(5000 + seed)
    goods = rng.choice((3, 8, 64, 65, 150))
    high = rng.choice((5, CAP))
    bundles = {rng.getrandbits(goods) | 1 << rng.randrange(goods) for _ in range(rng.randint(1, 40))}
    # some bundles inside others, so that dominance happens
    bundles |= {b & rng.getrandbits(goods) for b in list(bundles)} - {0}
    atoms = sorted((b, rng.randint(max(1, high - 5), high)) for b in bundles)
    expected = tuple(a for a in atoms if not any(b != a[0] and b & ~a[0] == 0 and v >= a[1] for b, v in atoms))
    assert without_dominated(atoms) == expected


def test_a_block_cache_compiles_each_weight_once(monkeypatch):
    xor1 = Valuation(Form.XOR, ((0b01, 5), (0b10, 1)))
    xor2 = Valuation(Form.XOR, ((0b01, 1), (0b10, 6)))
    weight, same = Weight.minimum((xor1, xor2)), Weight.minimum((xor1, xor2))
    calls = []
    original = ilp.compile._compile
    monkeypatch.setattr("ilp.compile._compile", lambda w, budget, shapes=None: calls.append(w) or original(w, budget, shapes))
    cache = BlockCache()
    assert cache.block(weight) == compile_weight(weight) and cache.block(same) == cache.block(weight)
    assert cache.block(None) is None and len(calls) == 2 and len(cache) == 1  # compile_weight's own call, one here
    part = cache.part((weight, None, Weight.of(xor1)))
    assert len(part) == 1 and part.block(same) == cache.block(weight)
    other = BlockCache()
    other.update(part)
    assert other.block(weight) == cache.block(weight) and len(calls) == 2


def test_a_batch_takes_back_the_blocks_its_worker_processes_compiled():
    """Programs solved in worker processes hand back the blocks of weights of several valuations
    (costly to compile), so that later solves here do not compile them again (``ilp.remote``;
    MIEW_i after MIKW_i goes to the worker that holds its blocks)."""
    rng = random.Random(7)
    weights = tuple(_weight(rng, 6, 0, 30) for _ in range(3))
    # three programs, none another with a player removed: all three go to worker processes; a
    # fixed good keeps them on the listed unions (ilp.colgen prices plain maximisations instead)
    fixed = (UNALLOCATED,) + (None,) * 5
    programs = [Program(6, (weights[k], weights[(k + 1) % 3]), fixed=fixed) for k in range(3)]
    options = as_options(SolveOptions("cpsat", jobs=2))
    solutions = solve_batch(programs, options)
    assert [s.value for s in solutions] == [solve(p, "brute").value for p in programs]
    composite = [w for w in weights if sum(map(len, w.options)) > 1]
    assert composite and all(options.blocks.part((w,)) for w in composite)


@pytest.mark.parametrize("seed", range(200))
def test_unions_kept_one_at_a_time_are_those_kept_in_pairs(seed, monkeypatch):
    """``UnionSearch.minimal`` (large lists) keeps exactly the atoms of ``without_dominated``."""
    rng = random.Random(9000 + seed)
    m = rng.randint(1, 8)
    low, high = _values(0, rng.choice((3, 20)), rng)
    weight = _weight(rng, m, low, high)
    in_pairs = compile_weight(weight)
    monkeypatch.setattr("ilp.unions.PAIRS_WORK", 0)
    assert compile_weight(weight) == in_pairs


@pytest.mark.parametrize("seed", range(40))
def test_no_unions_without_a_minimum_of_two_valuations(seed):
    """``union_options`` is None for a weight whose every option is one valuation (exact and
    lowered knowledge, coalitions of such players), whatever the forms, OR included, without
    simplifying the options; and the first pass of the rule it shortcuts (``_options``) agrees."""
    rng = random.Random(seed)
    m = rng.randint(1, 5)
    forms = (*FREE_DISPOSAL, Form.OR, Form.ADDITIVE)
    weight = Weight(tuple((random_valuation(rng, m, rng.choice(forms), low=1, high=rng.choice((9, CAP))),)
                          for _ in range(rng.randint(1, 3))))
    assert ilp.compile.union_options(weight) is None
    assert all(len(option) <= 1 for option in ilp.compile._options(weight))
    pair = Weight.minimum((Valuation(Form.XOR, ((0b01, 5), (0b10, 3))), Valuation(Form.XOR, ((0b01, 2), (0b10, 4)))))
    assert ilp.compile.union_options(pair) is not None


@pytest.mark.parametrize("seed", range(150))
def test_unions_kept_in_numpy_are_those_kept_one_at_a_time(seed, monkeypatch):
    """``UnionSearch.minimal_of`` in numpy (long lists, few bids) keeps exactly what
    ``minimal`` keeps one union at a time, with the same weights, in the same order: on random
    bundles and on unions of a few bids, values 0 included, up to 130 goods (three 64-bit
    words; at 64 and 128 goods the bundle of every good fills its words)."""
    rng = random.Random(12000 + seed)
    m = rng.choice((2, 3, 6, 8, 64, 70, 128, 130))  # (one good takes no unions)
    low, high = rng.choice(((0, 3), (1, 20), (0, 10**6), (2**61, 2**61 + 9)))
    options = None
    while options is None:
        options = ilp.compile.union_options(_weight(rng, m, low, high))
    monkeypatch.setattr("ilp.unions.VECTOR_UNIONS", 1)  # every list in numpy
    monkeypatch.setattr("ilp.unions.VECTOR_BIDS", 10**9)
    search = ilp.unions.UnionSearch(options)
    bids = [b for f in search.functions for b, _ in f.atoms]
    unions = ({rng.getrandbits(m) for _ in range(rng.randint(0, 60))} | {(1 << m) - 1}) - {0}  # every good: all words full
    for _ in range(rng.randint(0, 60)):  # unions of a few bids: the kind a core lists
        picked = rng.sample(bids, min(len(bids), rng.randint(1, 4)))
        union = 0
        for b in picked:
            union |= b
        unions.add(union)
    unions = list(unions)
    one_at_a_time = ilp.unions.UnionSearch(options).minimal(
        sorted((u, ilp.unions.UnionSearch(options).weight(u)) for u in unions))
    assert search.minimal_of(unions) == one_at_a_time


@pytest.mark.parametrize("seed", range(200))
def test_candidates_above_another_everywhere_are_left_out_of_a_minimum(seed):
    """``ilp.compile._lowest``: the XOR functions of a minimum that another one is at most on
    every bundle are left out (drawn candidates of few bids mostly are), the minimum is the
    same on every bundle, those kept are in their given order, and none of them has its atoms
    each matched by another's on the same bundle (the test it applies) with a higher top."""
    from ilp.compile import _lowest, _positive
    from ilp.unions import Function
    from instances.valuation import Semantics

    rng = random.Random(seed)
    m = rng.randint(1, 5)
    base = random_valuation(rng, m, Form.XOR, low=1, high=20, max_bids=4)
    valuations = [Valuation(Form.XOR, tuple((b, max(1, v + rng.randint(-3, 6))) for b, v in base.bids))
                  if rng.random() < 0.7 else random_valuation(rng, m, Form.XOR, low=1, high=20, max_bids=4)
                  for _ in range(rng.randint(2, 12))]
    functions = tuple(dict.fromkeys(_positive(v) for v in valuations))
    kept = _lowest(functions)

    def at(f: Function, s: int) -> int:
        return max((v for b, v in f.atoms if not b & ~s), default=0)

    assert all(f.semantics is Semantics.XOR for f in functions)
    assert list(kept) == [f for f in functions if f in kept]
    for s in range(1 << m):
        assert min(at(f, s) for f in kept) == min(at(f, s) for f in functions), s
    for f in functions:
        if f not in kept:  # left out: a kept one is at most it everywhere
            assert any(all(at(g, s) <= at(f, s) for s in range(1 << m)) for g in kept)
    listed = [dict(f.atoms) for f in kept]
    for a, f in zip(listed, kept):  # what the test compares: no kept one at most another, atom by atom
        for b, g in zip(listed, kept):
            if g is not f and g.upper < f.upper:
                assert not all(a.get(bundle, 0) >= v for bundle, v in g.atoms)


def test_thousands_of_candidates_of_few_bids_are_a_few_levels():
    """A guaranteed value over 40,000 drawn candidates of two bids each: the covering-union
    search has the few candidates that no other is below (40,000 levels ended the process in
    C, and raised RecursionError in Python), and the report equals the brute force's."""
    from benchmarks import compute_report, guaranteed
    from instances.generate import generate_instance

    inst = generate_instance("regions", 4, 4, 2, 0, knowledge="candidates:40000")
    weight = guaranteed(inst, 0, 1)
    assert len(weight.options[0]) == 40_000
    search = BlockCache().search(weight)
    assert search is not None and len(search.option_numbers[0]) <= 40
    ours, brute = compute_report(inst), compute_report(inst, "brute")
    assert [b.value for b in ours.benchmarks] == [b.value for b in brute.benchmarks]
    assert [(p.miew.value, p.mikw.value) for p in ours.players] == [(p.miew.value, p.mikw.value) for p in brute.players]


@pytest.mark.parametrize("native", ["1", "0"])
def test_a_minimum_of_more_functions_than_the_searches_go_deep_is_the_robust_block(monkeypatch, native):
    """More functions in a minimum than ``ilp.compile.MAX_LEVELS``, none below another (each
    trades one good for the other): no covering unions (the searches go one level, one frame,
    per function), the robust block instead, in C and in Python alike, and the program's
    optimum is the brute force's."""
    monkeypatch.setenv("CABENCH_NATIVE", native)
    monkeypatch.setattr("ilp.compile.MAX_LEVELS", 60)  # (the limit itself: a robust program of 2,001 is slow)
    count = ilp.compile.MAX_LEVELS + 1
    candidates = tuple(Valuation(Form.XOR, ((0b001, 10 + k), (0b010, 10 + count - k), (0b110, 30)))
                       for k in range(count))
    weight = Weight((candidates,))
    assert len(ilp.compile._options(weight)[0]) == count  # none left out: each is below no other
    assert ilp.compile.union_options(weight) is None and BlockCache().search(weight) is None
    assert isinstance(compile_weight(weight), RobustBlock)
    other = Weight.of(Valuation(Form.XOR, ((0b100, 12), (0b011, 25))))
    program = Program(3, (weight, other))
    # the first player takes goods 0 and 1, worth min over k of max(10 + k, 10 + count - k), the other good 2
    assert solve(program, "portfolio").value == solve(program, "brute").value == 10 + (count + 1) // 2 + 12


def _single_bids(rng: random.Random, m: int, low: int, high: int) -> tuple[Valuation, ...]:
    """Two to four XOR or single-minded valuations of one bid each, on bundles drawn apart."""
    return tuple(random_valuation(rng, m, rng.choice((Form.XOR, Form.SINGLE_MINDED)), low=low, high=high, max_bids=1)
                 for _ in range(rng.randint(2, 4)))


@pytest.mark.parametrize("seed", range(200))
def test_a_minimum_of_single_bids_is_one_bid_on_their_union(seed):
    """min_k v_k [b_k in S] is min_k v_k on every bundle holding every b_k: the one covering union,
    compiled without the unions' search (``ilp.compile._minimum_of_bids``)."""
    rng = random.Random(7000 + seed)
    m = rng.randint(1, 6)
    low, high = _values(0, rng.choice((3, 20)), rng)
    option = _single_bids(rng, m, low, high)
    weight = Weight.minimum(option)
    union = 0
    for v in option:
        union |= v.bids[0][0]
    lowest = min(v.bids[0][1] for v in option)
    assert ilp.compile.union_options(weight) is None
    block = compile_weight(weight)
    assert block == (AtomsBlock(True, ((union, lowest),)) if lowest > 0 else None)
    for s in range(1 << m):
        assert (lowest if lowest > 0 and union & ~s == 0 else 0) == max(0, weight.value(s))
    cache = BlockCache()  # through the shapes of bundles met before, the same block
    assert [cache.block(Weight.minimum(option)) for _ in range(3)] == [block] * 3


@pytest.mark.parametrize("seed", range(40))
def test_programs_of_single_bid_minima_match_brute_force(seed):
    rng = random.Random(8000 + seed)
    m = rng.randint(2, 6)
    low, high = _values(0, rng.choice((3, 30)), rng)
    weights = tuple(Weight.minimum(_single_bids(rng, m, low, high)) if rng.random() < 0.7 else
                    Weight.of(random_valuation(rng, m, Form.XOR, low=low, high=high))
                    for _ in range(rng.randint(1, 4)))
    program = Program(m, weights)
    expected = solve(program, "brute").value
    for backend in ("cpsat", "highs", "cbc", "scip", "portfolio"):
        solution = solve(program, backend)
        assert solution.optimal and solution.value == expected, backend


def _single_minded_with_candidates(seed: int) -> Instance:
    """Single-minded players, each knowing the others through two or three candidates of one bid
    (on other bundles than the truth, the truth among them on most seeds), sometimes a coalition:
    every guaranteed value is a minimum of single bids (a CATS file of one player per bid with
    drawn candidates)."""
    rng = random.Random(seed)
    n, m = rng.randint(2, 4), rng.randint(2, 5)
    while (n + 1) ** m > reference.MAX_ALLOCATIONS:
        m -= 1
    truth = tuple(random_valuation(rng, m, Form.SINGLE_MINDED, low=0, high=rng.choice((5, 30))) for _ in range(n))
    knowledge = []
    for i in range(n):
        profiles = []
        for k in range(rng.randint(2, 3)):
            profiles.append({j: truth[j] if k == 0 and rng.random() < 0.8 else
                             random_valuation(rng, m, Form.XOR, low=0, high=30, max_bids=1)
                             for j in range(n) if j != i})
        knowledge.append(Candidates(tuple(profiles)))
    coalitions = ((0, 1),) if n >= 3 and rng.random() < 0.4 else ()
    return Instance(f"single-minded-{seed}", tuple(str(g) for g in range(m)), tuple(f"p{i}" for i in range(n)),
                    truth, tuple(knowledge), coalitions)


@pytest.mark.parametrize("seed", range(40))
def test_reports_of_single_bid_candidates_match_the_reference(seed):
    inst = _single_minded_with_candidates(seed)
    for solver in ("portfolio", "cpsat", "brute"):
        check_report(inst, compute_report(inst, solver))
