"""``ilp.fewgoods``: many players of one bid each over few goods, by the dynamic program over
subsets of the goods. Its optimum is the brute force's, its witness the lexicographically first
optimum (``ilp.lex``), and the solves and the tie-break use it exactly where it applies."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from benchmarks import compute_report
from ilp import SolveOptions, fewgoods, lex_first, solve
from ilp.compile import BlockCache
from ilp.program import UNALLOCATED, Program, Status, Weight
from instances import Form, Valuation
from instances.generate import generate_instance
from instances.synthetic import random_instance
from tests import reference
from tests.test_agreement import check_report


def _bid(bundle: int, value: int, form: Form = Form.XOR) -> Valuation:
    if form is Form.SINGLE_MINDED:
        return Valuation(Form.SINGLE_MINDED, ((bundle, value),))
    return Valuation(Form.XOR, ((bundle, value),))


def _one_bid_program(seed: int, goods: int | None = None, players: int | None = None, high: int = 6,
                     base: int = 0) -> Program:
    """Players of one bid each (some excluded, some with no bid, some guaranteed values of two
    bids on one bundle), values ``base`` + 0..``high`` so that optima tie, sometimes a lower bound."""
    rng = random.Random(seed)
    m = goods if goods is not None else rng.randint(1, 7)
    n = players if players is not None else rng.randint(1, 25)
    weights: list[Weight | None] = []
    for _ in range(n):
        kind = rng.random()
        bundle = rng.randint(1, 2**m - 1)
        if kind < 0.1:
            weights.append(None)
        elif kind < 0.15:
            weights.append(Weight(()))  # knows nothing: no option
        elif kind < 0.25:  # a guaranteed value: the smaller of two bids on the same bundle
            weights.append(Weight.minimum((_bid(bundle, base + rng.randint(0, high)),
                                           _bid(bundle, base + rng.randint(0, high)))))
        else:
            weights.append(Weight.of(_bid(bundle, base + rng.randint(0, high), rng.choice((Form.XOR, Form.SINGLE_MINDED)))))
    min_total = base + rng.randint(0, 3 * high) if rng.random() < 0.3 else None
    return Program(m, tuple(weights), min_total=min_total)


def _spy_on_solve_program(patch: pytest.MonkeyPatch) -> list[bool]:
    """Patch ``fewgoods.solve_program`` to record, call by call, whether it answered."""
    calls: list[bool] = []
    original = fewgoods.solve_program

    def spy(*args, **kwargs):
        answer = original(*args, **kwargs)
        calls.append(answer is not None)
        return answer

    patch.setattr(fewgoods, "solve_program", spy)
    return calls


def _check_allocation(program: Program, allocation: tuple[int, ...]) -> None:
    union = 0
    for weight, bundle in zip(program.weights, allocation):
        assert bundle & union == 0
        union |= bundle
        if bundle:  # a whole bid of its player, worth something
            assert weight is not None and weight.value(bundle) > 0
            assert all(weight.value(bundle & ~(1 << g)) < weight.value(bundle) for g in range(program.n_goods)
                       if bundle >> g & 1)


@pytest.mark.parametrize("seed", range(300))
def test_optimum_and_witness_are_the_brute_force_ones(seed):
    """The value and status are the brute force's, and the allocation is the lexicographically
    first optimum that the brute force finds good by good (``ilp.lex`` on the brute backend);
    every fifth program with values near 2^40 (the table in int64 rather than int32)."""
    program = _one_bid_program(seed, base=2**40 if seed % 5 == 4 else 0)
    answer = fewgoods.solve_program(program, min_bids=0)
    assert answer is not None
    status, allocation = answer
    expected = solve(program, "brute")
    assert status is expected.status
    if status is not Status.OPTIMAL:
        assert allocation is None
        return
    assert program.total(allocation) == expected.value
    _check_allocation(program, allocation)
    plain = replace(program, min_total=None)
    assert allocation == lex_first(plain, solve(plain, "brute"), "brute").allocation


@pytest.mark.parametrize("seed", range(40))
def test_the_same_without_the_c_module(seed, monkeypatch):
    """With ``CABENCH_NATIVE=0`` the table is filled in numpy (``_Table._refresh``), not by
    ``ilp.native.fill``: the same answer."""
    program = _one_bid_program(seed, base=2**40 if seed % 5 == 4 else 0)
    answer = fewgoods.solve_program(program, min_bids=0)
    monkeypatch.setenv("CABENCH_NATIVE", "0")
    assert fewgoods.solve_program(program, min_bids=0) == answer


def _solve_in_sequence(seed: int) -> tuple[int, int]:
    """Programs solved one after another with one cache (MSW, then MSW_{-i} of several
    players, without two players, a value changed, MSW again): checks that each answer is the
    one computed afresh and the brute force's optimum; returns how many programs read the
    latest table with a pivot good (one bundle changed) and how many updated a copy of it."""
    rng = random.Random(seed)
    program = _one_bid_program(seed, goods=rng.randint(2, 7), players=rng.randint(2, 25),
                               base=2**40 if seed % 4 == 3 else 0)
    program = replace(program, min_total=None)
    weights = list(program.weights)
    sequence = [program]
    removed = rng.sample(range(len(weights)), min(4, len(weights)))
    for i in removed:
        sequence.append(replace(program, weights=tuple(None if j == i else w for j, w in enumerate(weights))))
    sequence.append(replace(program, weights=tuple(None if j in removed[:2] else w for j, w in enumerate(weights))))
    j = rng.randrange(len(weights))
    bundle = rng.randint(1, 2**program.n_goods - 1)
    sequence.append(replace(program, weights=(*weights[:j], Weight.of(_bid(bundle, rng.randint(0, 9))), *weights[j + 1:])))
    sequence.append(program)
    cache, kinds = BlockCache(), []
    original = fewgoods._Table.fill

    def counted(table, previous=None):
        fresh = original(table, previous)
        kinds.append("fresh" if fresh else "copy" if table.best is not None else "pivot" if table.pivot else "same")
        return fresh

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fewgoods._Table, "fill", counted)
        for step in sequence:
            answer = fewgoods.solve_program(step, min_bids=0, blocks=cache)
            assert answer == fewgoods.solve_program(step, min_bids=0)
            assert answer[0] is Status.OPTIMAL and step.total(answer[1]) == solve(step, "brute").value
    return kinds.count("pivot"), kinds.count("copy")


def test_a_table_updated_from_the_latest_is_the_fresh_one():
    """60 sequences: programs one bundle away from the latest table read it with a pivot good,
    and many of those two bundles away update a copy (afresh when the changed bundles would
    cost about a table, two one-good bundles say)."""
    counts = [_solve_in_sequence(seed) for seed in range(60)]
    # (not all: removing a player whose bid alone holds a good changes the goods, and the table)
    assert sum(1 for pivot, _ in counts if pivot) >= 40
    assert sum(1 for _, copy in counts if copy) >= 20


@pytest.mark.parametrize("offset", [40, 60, 100])
def test_goods_anywhere_among_many(offset):
    """Bids over goods offset..offset+6 of a larger auction (bundles beyond 62 bits): the same
    first optimum as the brute force's, shifted back."""
    for seed in range(20):
        narrow = replace(_one_bid_program(seed, goods=6), min_total=None)
        wide = Program(offset + 6, tuple(
            None if w is None else Weight(tuple(tuple(Valuation(v.form, tuple((b << offset, x) for b, x in v.bids))
                                                      for v in option) for option in w.options))
            for w in narrow.weights))
        status, allocation = fewgoods.solve_program(wide, min_bids=0)
        expected = lex_first(narrow, solve(narrow, "brute"), "brute")
        assert status is Status.OPTIMAL
        assert tuple(bundle >> offset for bundle in allocation) == expected.allocation


def test_from_min_bids_and_never_for_the_brute_force():
    """``solve`` goes through this module from MIN_BIDS one-bid players on, not below, and never
    for the ``brute`` backend (the reference the tests use)."""
    bids = [Weight.of(_bid(1 << (k % 4), 1 + k % 5)) for k in range(fewgoods.MIN_BIDS)]
    with pytest.MonkeyPatch.context() as patch:
        calls = _spy_on_solve_program(patch)
        solve(Program(4, tuple(bids[:-1])), "cpsat")
        solve(Program(4, tuple(bids)), "cpsat")
        solve(Program(4, tuple(bids)), "brute")
    assert calls == [False, True]


@pytest.mark.parametrize("seed", range(3))
def test_many_bids_match_the_integer_programs(seed):
    """400 one-bid players over 14 goods: the integer programs (this module switched off) find
    the same optimum and, ordering it good by good, the same first optimum."""
    program = _one_bid_program(1000 + seed, goods=14, players=400, high=1000)
    answer = fewgoods.solve_program(program)
    assert answer is not None and answer[0] is Status.OPTIMAL
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fewgoods, "MIN_BIDS", 10**9)
        expected = solve(program, "cpsat")
        first = lex_first(program, expected, "cpsat")
    assert program.total(answer[1]) == expected.value
    assert answer[1] == first.allocation


def test_leaves_other_programs_to_the_integer_programs():
    one = Weight.of(_bid(0b01, 5))
    two = Weight.of(Valuation(Form.XOR, ((0b01, 5), (0b11, 7))))
    plain = Program(2, (one, one, one))
    assert fewgoods.solve_program(plain, min_bids=0) is not None
    assert fewgoods.solve_program(plain) is None  # few bids: the integer programs are as fast
    assert fewgoods.solve_program(Program(2, (one, two)), min_bids=0) is None  # a player with two bids
    assert fewgoods.solve_program(replace(plain, fixed=(0, None)), min_bids=0) is None
    assert fewgoods.solve_program(replace(plain, fixed=(UNALLOCATED, None)), min_bids=0) is None
    assert fewgoods.solve_program(replace(plain, avoid=(1, 0, 0)), min_bids=0) is None
    assert fewgoods.solve_program(replace(plain, min_total=5, minimize_owners=(0,)), min_bids=0) is None
    goods = fewgoods.MAX_GOODS + 1
    wide = Program(goods, tuple(Weight.of(_bid(1 << g, 1)) for g in range(goods)))
    assert fewgoods.solve_program(wide, min_bids=0) is None  # too many goods for a table of every subset
    narrower = Program(goods - 1, wide.weights[:-1])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fewgoods, "MAX_WORK", 1000)
        assert fewgoods.solve_program(narrower, min_bids=0) is None  # too much work
    assert fewgoods.solve_program(narrower, min_bids=0) is not None


def test_values_beyond_int64_go_to_the_integer_programs():
    huge = Program(2, (Weight.of(_bid(0b01, 2**62)), Weight.of(_bid(0b10, 1))))
    assert fewgoods.solve_program(huge, min_bids=0) is None
    assert solve(huge, "brute").value == 2**62 + 1


def test_solve_and_the_tie_break_take_it_where_it_applies():
    """From MIN_BIDS bids, ``solve`` answers with this module's allocation whatever the
    backend, marked first (``Solution.first``), and ``lex_first`` returns it as it is; from
    another solver's optimum, ``lex_first`` reads this module's allocation, without a solve."""
    program = _one_bid_program(7, goods=6, players=30)
    original = fewgoods.solve_program
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fewgoods, "MIN_BIDS", 0)
        calls = _spy_on_solve_program(patch)
        found = solve(program, "highs")
        assert calls == [True] and found.first
        assert lex_first(program, found, "highs") is found and calls == [True]
        first = lex_first(program, replace(found, first=False), "highs")
        assert calls == [True, True]
    assert found.optimal and found.bound == found.value
    assert first.allocation == found.allocation == original(program, min_bids=0)[1]


@pytest.mark.parametrize("seed", range(40))
def test_reports_agree_with_the_reference(seed):
    """Whole reports of random single-minded instances (knowledge, coalitions, markets) with
    this module answering every program it can: the reference's numbers and witnesses."""
    inst = random_instance(seed, forms=(Form.SINGLE_MINDED, Form.XOR))
    while (inst.n + 1) ** inst.m > reference.MAX_ALLOCATIONS:
        seed += 10**6
        inst = random_instance(seed, forms=(Form.SINGLE_MINDED, Form.XOR))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fewgoods, "MIN_BIDS", 0)
        check_report(inst, compute_report(inst, SolveOptions(backend=("cpsat", "portfolio")[seed % 2], jobs=1)))


def test_a_generated_report_is_the_integer_programs_one():
    """A whole report of 250 single-minded players on 20 goods (``generate -d uniform -n
    bidders``) is the same with this module and without it."""
    inst = generate_instance("uniform", 20, 250, None, 1)
    with_it = compute_report(inst, SolveOptions(jobs=1)).to_dict()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fewgoods, "MIN_BIDS", 10**9)
        without = compute_report(inst, SolveOptions(jobs=1)).to_dict()
    assert with_it == without


@pytest.mark.parametrize("seed", range(20))
def test_fresh_tables_of_one_cache_share_their_views(seed):
    """Programs over the same bundles whose values all differ (each player's view of the others,
    as lower-bound knowledge gives them) each fill a fresh table; in one cache they share the
    views of their updates (``_Table.views``): later tables work out none, and every answer is
    the one computed alone and the brute force's optimum."""
    rng = random.Random(seed)
    m = rng.randint(2, 7)
    bundles = [rng.randint(1, 2**m - 1) for _ in range(rng.randint(9, 25))]
    cache, views = BlockCache(), []
    original = fewgoods._Table.fill

    def watched(table, previous=None):
        fresh = original(table, previous)
        views.append((fresh, table.views, len(table.views)))
        return fresh

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fewgoods._Table, "fill", watched)
        for _ in range(5):
            program = Program(m, tuple(Weight.of(_bid(b, rng.randint(1, 2**20))) for b in bundles))
            answer = fewgoods.solve_program(program, min_bids=0, blocks=cache)
            assert answer == fewgoods.solve_program(program, min_bids=0)
            assert program.total(answer[1]) == solve(program, "brute").value
    mine = [(shared, size) for fresh, shared, size in views[::2] if fresh]  # (every other: the table alone)
    assert len(mine) >= 3 and all(shared is mine[0][0] and size == mine[0][1] for shared, size in mine)


def test_an_update_whose_old_and_new_values_overflow_int32_is_made_in_int64():
    """A table updated on a few changed bundles may read a state that keeps an old value until
    its own bundle's turn, so old and new values must fit together: two tables whose values
    each sum below 2^31 but not together are updated in int64 (in C a wrapped int32 sum is
    undefined; a review's sanitizer build found it), and the update is the table afresh."""
    big = 2**31 - 100
    previous = fewgoods._Table([(0b0011, big), (0b1100, 5)], [0, 1], [0, 1, 2, 3])
    assert previous.fill() and previous.best.dtype == np.int32
    table = fewgoods._Table([(0b0011, 5), (0b1100, big)], [0, 1], [0, 1, 2, 3])
    assert not table.fill(previous)  # (updated, not afresh)
    fresh = fewgoods._Table([(0b0011, 5), (0b1100, big)], [0, 1], [0, 1, 2, 3])
    assert fresh.fill() and fresh.best.dtype == np.int32
    assert table.best.dtype == np.int64 and np.array_equal(table.best, fresh.best)
