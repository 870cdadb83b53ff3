"""Intervals of programs not proven in their time limit are narrowed by the relations between the
benchmarks (``benchmarks.intervals``): the relations hold on random instances, and a narrowed
interval still holds the optimum."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ilp.backends
from benchmarks import compute_report
from benchmarks.intervals import best_bundle_bound, narrowed_player
from benchmarks.report import Report
from benchmarks.results import Benchmark
from ilp import Answer, Status
from instances import Semantics, load_instance
from tests.conftest import EXAMPLES
from tests.test_agreement import small

seeds = st.integers(min_value=0, max_value=2**32 - 1)


class HalfSolvedBackend:
    """CP-SAT's optimum of every other program (by the parity of its variables) and all zeros of
    the rest, never proven, with a bound of 10^6 (``ilp.solve`` tightens it to the variables'
    ranges): a report of open intervals, MIKW_i's often worse than MIEW_i's."""

    NAME = "half-solved"

    @staticmethod
    def available() -> bool:
        return True

    @staticmethod
    def run(formulation, options, hint=None):
        names = formulation.ilp.names
        if len(names) % 2:
            return Answer(Status.FEASIBLE, [0] * len(names), 10**6)
        solved = ilp.backends.get_backend("cpsat").run(formulation, options, hint)
        return Answer(Status.FEASIBLE, solved.values, 10**6)


def _upper(b: Benchmark) -> int | None:
    return b.value if b.value is not None else b.bound


def _check_narrowed(report: Report, truth: Report) -> int:
    """Every interval of ``report`` holds ``truth``'s value, its incumbent is its witness's worth,
    and the relations of ``benchmarks.intervals`` hold between the intervals; returns how many
    benchmarks were open."""
    opened = 0
    pairs = [(report.msw, truth.msw)]
    for row, known in zip(report.players, truth.players):
        pairs += [(row.miew, known.miew), (row.mikw, known.mikw), (row.msw_without, known.msw_without)]
    for row, known in zip(report.agents, truth.agents):
        pairs += [(row.mkw, known.mkw), (row.best_allocation, known.best_allocation)]
    pairs.append((report.lex_first, truth.msw))  # omega* is worth MSW
    for b, t in pairs:
        assert t.proven, t
        if b.proven:
            assert b.value == t.value, (b, t)
            continue
        opened += 1
        assert b.incumbent is None or b.incumbent <= t.value, (b, t)
        assert b.bound is None or b.bound >= t.value, (b, t)
        if b.incumbent is not None and b.outcome is not None and b.outcome.offers is not None:
            assert b.outcome.revenue == b.incumbent, b
    valuations = report.instance.valuations
    for row in report.players:  # a welfare witness is worth its incumbent; MSW_{-i}'s gives i nothing
        for b in (report.msw, row.msw_without, report.lex_first):
            if not b.proven and b.outcome is not None:
                assert sum(valuations[j].value(a) for j, a in b.outcome.bundles) == b.incumbent, b
        assert row.msw_without.outcome is None or row.msw_without.outcome.bundle(row.player) == 0
    msw = _upper(report.msw)
    valuations = report.instance.valuations
    for row in report.players:
        miew, mikw, without = row.miew, row.mikw, row.msw_without
        if not mikw.proven and miew.incumbent is not None:
            assert mikw.incumbent >= miew.incumbent, (miew, mikw)
        if not miew.proven:
            assert miew.bound <= _upper(mikw), (miew, mikw)
            if row.correctness.correct:
                assert miew.bound <= _upper(without), (miew, without)
        if not without.proven:
            assert without.bound <= msw
            if row.correctness.correct and miew.incumbent is not None:  # relation 5: MIEW_i's witness
                assert without.incumbent >= miew.incumbent, (miew, without)
            if report.msw.outcome is not None:  # and MSW's witness without player i
                rest = sum(valuations[j].value(a) for j, a in report.msw.outcome.bundles if j != row.player)
                assert without.incumbent is not None and without.incumbent >= rest, (report.msw, without)
        if not mikw.proven:
            best = best_bundle_bound(report.instance.valuations[row.player])
            assert mikw.bound <= _upper(miew) + best, (miew, mikw)
            if row.correctness.correct:
                assert mikw.bound <= msw, (mikw, report.msw)
    for row in report.agents:
        if not row.best_allocation.proven:
            assert row.best_allocation.bound <= msw
        if len(row.members) == 1:  # MKW_{i} is MIKW_i
            mikw = report.players[row.members[0]].mikw
            assert (row.mkw.incumbent, row.mkw.bound) == (mikw.incumbent, mikw.bound)
    return opened


@settings(max_examples=60, deadline=None)
@given(seeds)
def test_the_relations_hold_between_proven_benchmarks(seed):
    """The relations narrowing the intervals, on the proven values of random instances of every
    valuation form, knowledge kind (correct or not), with coalitions and markets; and the bound
    on the best bundle's value by every bundle (exact but for OR valuations)."""
    inst = small(seed)
    report = compute_report(inst, "cpsat")
    msw = report.msw.value
    for row in report.players:
        valuation = inst.valuations[row.player]
        best = best_bundle_bound(valuation)
        top = max(valuation.value(s) for s in range(1 << inst.m))
        assert best == top if valuation.semantics is not Semantics.OR else best >= top
        miew, mikw, without = row.miew.value, row.mikw.value, row.msw_without.value
        assert miew <= mikw <= miew + best
        assert without <= msw
        if row.correctness.correct:
            assert miew <= without and mikw <= msw
    for row in report.agents:
        assert row.best_allocation.value <= msw
        if all(report.players[j].correctness.correct for j in row.members):
            assert row.mkw.value <= msw


@settings(max_examples=40, deadline=None)
@given(seed=seeds)
def test_narrowed_intervals_hold_the_optimum(half_solved, seed):
    """A report of open intervals (half of its programs at their optimum, half at nothing, none
    proven) narrowed: every interval still holds the optimum, and the intervals agree with the
    relations."""
    inst = small(seed)
    truth = compute_report(inst, "cpsat")
    report = compute_report(inst, "half-solved")
    _check_narrowed(report, truth)


@pytest.fixture(scope="module")
def half_solved():
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(ilp.backends.BACKENDS, "half-solved", HalfSolvedBackend)
        yield patch


def test_the_seed_004_example_narrowed(monkeypatch):
    """Seed 004's example (docs/definitions.md) with no program proven but MIEW_i's: each MIKW_i,
    left at nothing by its own solve, reaches MIEW_i's incumbent with MIEW_i's witness (relation 1;
    the code before showed MIKW_i in [0, 135] next to MIEW_i in [25, 35])."""
    monkeypatch.setitem(ilp.backends.BACKENDS, "half-solved", HalfSolvedBackend)
    inst = load_instance(EXAMPLES / "seed004-example.json")
    report = compute_report(inst, "half-solved")
    _check_narrowed(report, compute_report(inst))
    assert [(row.miew.incumbent, row.mikw.incumbent) for row in report.players] == [(25, 25), (100, 100), (150, 150)]
    assert not any(row.mikw.proven for row in report.players)
    assert all(row.mikw.outcome == row.miew.outcome for row in report.players)
    assert [row.mkw.incumbent for row in report.agents] == [25, 100, 150]  # MKW_{i} is MIKW_i


def test_a_proven_or_withheld_benchmark_is_left_as_it_is():
    """Only open intervals move: a proven value and a withheld one (its value known, its witness
    not proven the first optimum) are returned as given."""
    proven = Benchmark("MIEW_p1", Status.OPTIMAL, 50, 50, 50, None, "cpsat", 0.0)
    withheld = Benchmark("MIKW_p1", Status.FEASIBLE, None, 70, 70, None, "cpsat", 0.0, withheld=True)
    welfare = Benchmark("MSW", Status.FEASIBLE, None, 75, 90, None, "cpsat", 0.0)
    without = Benchmark("MSW_-p1", Status.FEASIBLE, None, 10, 95, None, "cpsat", 0.0)
    miew, mikw, msw_without = narrowed_player(proven, withheld, without, welfare, best=30, correct=True)
    assert miew is proven and mikw is withheld
    assert (msw_without.incumbent, msw_without.bound) == (10, 90)  # MSW_{-i} <= MSW


def test_the_best_bundle_bound_of_an_or_valuation_packs_nothing(monkeypatch):
    """An OR valuation's best packing is exponential in its overlapping bids (80 bids of 3 goods
    over 40 goods: 27 s a player, and a report under a tiny time limit took 44-52 s instead of
    1.8 s): the bound is the sum of its positive bids, in one pass, never a packing."""
    from instances import Form, Valuation
    from instances.valuation import Valuation as Packed

    def refuse(self, bundle):
        raise AssertionError("packed")

    monkeypatch.setattr(Packed, "_packing", refuse)
    bids = tuple((0b111 << (k % 38), 10 + k) for k in range(80))
    assert best_bundle_bound(Valuation(Form.OR, bids)) == sum(10 + k for k in range(80))
    assert best_bundle_bound(Valuation(Form.OR, ((0b1, -5), (0b10, 7)))) == 7
