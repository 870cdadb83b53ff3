"""Every backend agrees with the naive reference on random small instances, and every witness is
a valid outcome of the benchmark's definition.

Instances cover every valuation form, lower-bound and candidate knowledge (correct and not),
coalitions and markets (``instances.synthetic.random_instance``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import compute_report, knowledge_correct
from benchmarks.report import Report
from instances import Instance
from instances.synthetic import random_instance
from tests import reference

seeds = st.integers(min_value=0, max_value=2**32 - 1)


def small(seed: int) -> Instance:
    inst = random_instance(seed)
    while (inst.n + 1) ** inst.m > reference.MAX_ALLOCATIONS:  # keep the naive reference fast
        seed += 1
        inst = random_instance(seed)
    return inst


def check_disjoint(inst: Instance, allocation: tuple[int, ...]) -> None:
    union = 0
    for bundle in allocation:
        assert bundle & union == 0, "a good is allocated twice"
        assert bundle & ~inst.all_goods == 0
        union |= bundle


def check_report(inst: Instance, report: Report) -> None:
    """Compare every value with the reference and validate every witness."""
    assert report.all_proven
    n = inst.n
    # each reference value once: the naive enumeration is most of this check's time
    per_player = [reference.miew(inst, i) for i in range(n)]
    rk_memo: dict[tuple[int, ...], int] = {}

    def rk(agent: tuple[int, ...]) -> int:
        if agent not in rk_memo:
            rk_memo[agent] = reference.rk(inst, agent)
        return rk_memo[agent]

    # MSW and its witness
    ref_msw, ref_lex = reference.msw(inst)
    assert report.msw.value == ref_msw
    check_disjoint(inst, report.msw.outcome.allocation)
    assert sum(inst.valuations[j].value(a) for j, a in enumerate(report.msw.outcome.allocation)) == ref_msw
    # the lexicographically first optimal allocation is unique
    assert report.lex_first.outcome.allocation == ref_lex
    for row in report.players:
        i = row.player
        # MIEW_i: a canonical outcome for -i, feasible for every valuation i considers possible
        assert row.miew.value == per_player[i]
        out = row.miew.outcome
        check_disjoint(inst, out.allocation)
        assert out.allocation[i] == 0 and out.prices[i] == 0
        assert out.revenue == row.miew.value
        for j in range(n):
            if j == i:
                continue
            if not out.allocation[j]:
                assert out.prices[j] == 0
            assert out.prices[j] >= 0
            for v in reference.possible(inst, i, j):
                assert out.prices[j] <= v.value(out.allocation[j])
        # MIKW_i = REV(RK_{i}) when i is its own agent
        ref_mikw = rk((i,))
        assert row.mikw.value == ref_mikw
        assert row.mikw.outcome.revenue == ref_mikw
        # MSW_{-i}
        allowed = set(range(n)) - {i}
        assert row.msw_without.value == reference.msw(inst, allowed)[0]
        assert row.msw_without.outcome.allocation[i] == 0
        # knowledge correctness is decided exactly on small instances
        assert row.correctness.correct == reference.is_correct(inst, i)
    for row in report.agents:
        assert row.mkw.value == rk(row.members)
        out = row.mkw.outcome
        check_disjoint(inst, out.allocation)
        assert out.revenue == row.mkw.value
        for j in range(n):
            if j in row.members:
                assert out.prices[j] == inst.valuations[j].value(out.allocation[j])
            else:  # P_j <= V_j(A_j) for every V some member is sure of (knowledge union K^C)
                assert out.prices[j] <= reference.g(inst, row.members, j, out.allocation[j])
        assert row.best_allocation.value == reference.msw(inst, set(row.members))[0]
    # the maxima and who attains them (lowest index on ties)
    assert report.bb.value == max(per_player)
    assert report.bb.winner == per_player.index(max(per_player))
    independent = [per_player[i] for i in inst.independent]
    assert report.miew.value == (max(independent) if independent else 0)
    assert report.mkw.value == max(rk(a) for a in inst.agents)
    if inst.is_market:
        out = report.market.outcome
        assert out.allocation == ref_lex and sum(out.prices) == 0
        for j in range(1, n):
            tv = inst.valuations[j]
            assert out.prices[j] == tv.value(out.allocation[j]) - tv.value(inst.endowment[j])


def matches_reference(make: Callable[[int], Instance], solver: str, examples: int, **options):
    """A hypothesis test: ``solver``'s full report on ``make(seed)`` equals the naive reference
    (:func:`check_report`) for ``examples`` random seeds; ``options`` go to ``settings``."""

    @settings(max_examples=examples, **options)
    @given(seeds)
    def test(seed):
        inst = make(seed)
        check_report(inst, compute_report(inst, solver))

    return test


def _matches_reference(solver: str, examples: int):
    """A hypothesis test: ``solver``'s full report equals the naive reference on random instances."""
    return matches_reference(small, solver, examples)


# By default enough examples to meet every valuation form, knowledge kind, coalitions and markets
# (hypothesis draws new seeds on every run); ``pytest -m slow`` runs many more of each.
test_cpsat_matches_reference = _matches_reference("cpsat", 150)
test_brute_matches_reference = _matches_reference("brute", 150)
# CBC, SCIP and HiGHS run a subprocess or a heavier model per program: fewer, still many, examples
# (CBC starts a process per program, 0.6 s of CPU per example)
test_cbc_matches_reference = _matches_reference("cbc", 25)
test_scip_matches_reference = _matches_reference("scip", 60)
test_highs_matches_reference = _matches_reference("highs", 60)
test_portfolio_matches_reference = _matches_reference("portfolio", 40)
# the portfolio as users run it, its exhaustive search of tiny programs first (tests/conftest.py
# turns that off elsewhere in this process, so that the stages behind it are tested)
test_exhaustive_portfolio_matches_reference = pytest.mark.exhaustive(_matches_reference("portfolio", 60))

test_cpsat_matches_reference_many = pytest.mark.slow(_matches_reference("cpsat", 1000))
test_brute_matches_reference_many = pytest.mark.slow(_matches_reference("brute", 1000))
test_cbc_matches_reference_many = pytest.mark.slow(_matches_reference("cbc", 250))
test_scip_matches_reference_many = pytest.mark.slow(_matches_reference("scip", 300))
test_highs_matches_reference_many = pytest.mark.slow(_matches_reference("highs", 300))
test_portfolio_matches_reference_many = pytest.mark.slow(_matches_reference("portfolio", 200))


@pytest.mark.parametrize("seed", [*range(12), *(pytest.param(s, marks=pytest.mark.slow) for s in range(12, 48))])
def test_backends_agree_on_larger_instances(seed):
    """Beyond the naive reference's reach (m = 7..9): every backend gives the same values
    (12 instances by default, 48 with ``pytest -m slow``)."""
    inst = random_instance(seed, goods=7 + seed % 3, players=4)
    reports = [compute_report(inst, s) for s in ("cpsat", "cbc", "scip", "highs", "brute")]
    values = [[b.value for b in r.benchmarks] for r in reports]
    assert all(v == values[0] for v in values)
    # the unique lexicographically first allocation is the same whatever the backend
    assert len({r.lex_first.outcome.allocation for r in reports}) == 1
    for i in range(inst.n):
        assert knowledge_correct(inst, i).correct is not None


@pytest.mark.slow
def test_backends_agree_on_the_licences_instance():
    """The 8 x 8 full-table instance (seed 001 §1): CP-SAT, CBC, SCIP, HiGHS and the DP give the same table."""
    from instances import load_instance
    from tests.conftest import EXAMPLES

    inst = load_instance(EXAMPLES / "licences-8x8.json")
    reports = [compute_report(inst, s) for s in ("cpsat", "cbc", "scip", "highs", "brute")]
    assert all(r.all_proven for r in reports)
    values = [[b.value for b in r.benchmarks] for r in reports]
    assert all(v == values[0] for v in values)
