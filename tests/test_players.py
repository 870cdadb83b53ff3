"""Many players: the report's fast paths (shared weights, programs skipped by definition, MSW_-i
only for MSW's winners, programs restricted to players with positive weight, the one-best-bid
answer, hashed duplicates and parents) give exactly the JSON of the benchmarks computed one at a
time from their definitions, and skip only what the definitions make trivial."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.correctness import knowledge_correct
from benchmarks.external import bb, bb_prime, miew, miew_of
from benchmarks.known import mikw, mkw, relevant_knowledge
from benchmarks.report import AgentRow, PlayerRow, Report, compute_report, report_json
from benchmarks.table import ReportPlan, knows_nothing
from benchmarks.welfare import best_allocation, lex_first_optimal, msw, msw_without
from ilp import Program, SolveOptions, Weight, solve, solve_batch
from ilp.index import ProgramIndex, parent_of
from instances import Form, Instance, Valuation
from instances.cats import read_cats
from instances.generate import generate_instance
from instances.synthetic import random_instance, random_valuation
from tests import reference

DATA = Path(__file__).parent / "data" / "cats"


def one_at_a_time(instance: Instance, solver: str) -> Report:
    """The report as the benchmark functions define it, one solve per benchmark, no batch."""
    options = {"options": SolveOptions(solver)}
    welfare = msw(instance, **options)
    players = tuple(
        PlayerRow(i, miew(instance, i, **options), mikw(instance, i, **options),
                  msw_without(instance, i, optimum=welfare, **options), knowledge_correct(instance, i))
        for i in range(instance.n))
    agents = tuple(AgentRow(a, relevant_knowledge(instance, a, **options), best_allocation(instance, a, **options))
                   for a in instance.agents)
    per_player = [row.miew for row in players]
    return Report(instance, solver, welfare, lex_first_optimal(instance, optimum=welfare, **options), players,
                  agents, miew_of(instance, per_player), bb(instance, per_player), bb_prime(instance, per_player),
                  mkw(instance, [(row.members, row.mkw) for row in agents]), None, 0.0)


def _without_market(data: dict) -> dict:
    data.pop("market", None)
    return data


def _values_only(data):
    """The JSON without its witnesses (allocations, outcomes, owners)."""
    if isinstance(data, dict):
        return {k: _values_only(v) for k, v in data.items() if k not in ("allocation", "outcome", "owners")}
    if isinstance(data, list):
        return [_values_only(v) for v in data]
    return data


def _check_witnesses(report: Report) -> None:
    """Every witness of the report attains its value and satisfies its definition, checked from
    the definitions in ``tests/reference.py`` (not from ``benchmarks``)."""
    inst = report.instance
    tv = inst.valuations

    def disjoint(allocation):
        seen = 0
        for bundle in allocation:
            assert not seen & bundle
            seen |= bundle

    def welfare(b, allowed=None):
        a = b.outcome.allocation
        disjoint(a)
        assert allowed is None or all(not a[j] for j in range(inst.n) if j not in allowed)
        assert sum(tv[j].value(a[j]) for j in range(inst.n)) == b.value

    def revenue(b, agent):
        a, prices = b.outcome.allocation, b.outcome.prices
        disjoint(a)
        assert sum(prices) == b.value
        for j in range(inst.n):
            assert prices[j] >= 0 or j in agent
            if not a[j]:
                assert prices[j] == 0
            elif j in agent:
                assert prices[j] == tv[j].value(a[j])
            else:
                assert prices[j] <= reference.g(inst, agent, j, a[j])

    welfare(report.msw)
    welfare(report.lex_first)
    for row in report.players:
        i = row.player
        if row.miew.outcome is not None:
            assert not row.miew.outcome.allocation[i]  # i sells to the others
            revenue(row.miew, (i,))
        if row.mikw.outcome is not None:
            revenue(row.mikw, (i,))  # MIKW_i = MSW of (TV_i, g^i_-i): i "pays" TV_i(A_i)
        if row.msw_without.outcome is not None:
            welfare(row.msw_without, set(range(inst.n)) - {i})
    for row in report.agents:
        if row.mkw.outcome is not None:
            revenue(row.mkw, row.members)
        if row.best_allocation.outcome is not None:
            welfare(row.best_allocation, set(row.members))


@settings(max_examples=40)
@given(st.integers(0, 2**32))
def test_report_equals_benchmarks_one_at_a_time(seed):
    """Identical values and statuses on random instances of every valuation form, both knowledge
    forms and none, coalitions and markets, with the same backend (CP-SAT, one process), and every
    witness of the batch valid. Witnesses may be another optimum of the same value than a solve
    from scratch picks: the batch starts a program from its parent's answer (a warm start, or the
    parent's allocation itself when the removed player held nothing), and CP-SAT returns the
    first optimum it proves."""
    inst = random_instance(seed)
    report = compute_report(inst, SolveOptions("cpsat", jobs=1))
    _check_witnesses(report)
    fast = _values_only(_without_market(report_json(report)))
    assert fast == _values_only(report_json(one_at_a_time(inst, "cpsat")))


def test_witness_check_can_fail():
    """The witness check above rejects a witness that does not attain its value."""
    inst = random_instance(12521)
    report = compute_report(inst, SolveOptions("cpsat", jobs=1))
    _check_witnesses(report)
    wrong = dataclasses.replace(report, msw=dataclasses.replace(report.msw, value=report.msw.value + 1))
    with pytest.raises(AssertionError):
        _check_witnesses(wrong)


@pytest.mark.parametrize("seed", range(4))
def test_many_players_without_knowledge_equal_the_reference(seed):
    """Players who know nothing (MIEW_i skipped), XOR valuations with ties and single-minded
    players (the one-best-bid answer), most players winning nothing (MSW_-i skipped)."""
    rng = random.Random(seed)
    m, n = 5, 9
    truth = tuple(random_valuation(rng, m, rng.choice([Form.XOR, Form.SINGLE_MINDED, Form.OR]), high=6)
                  for _ in range(n))
    inst = Instance(f"crowd-{seed}", tuple(f"g{k}" for k in range(m)), tuple(f"p{i}" for i in range(n)), truth,
                    (None,) * n)
    fast = report_json(compute_report(inst, SolveOptions("cpsat", jobs=1)))
    assert fast == report_json(one_at_a_time(inst, "cpsat"))
    brute = compute_report(inst, SolveOptions("brute", jobs=1))
    assert [b.value for b in brute.benchmarks] == [b.value for b in one_at_a_time(inst, "brute").benchmarks]


def test_skipped_programs_are_trivial_by_definition():
    """MIEW_i is skipped exactly for the players who know nothing, and then the definition gives
    0 with the empty outcome; MSW_-i is solved exactly for MSW's winners."""
    inst = generate_instance("regions", 8, 30, 6, 2, knowledge="noisy-lower:0.6")
    none = Instance(inst.name, inst.goods, inst.players, inst.valuations,
                    (None, *inst.knowledge[1:3], None, *inst.knowledge[4:]))
    plan = ReportPlan.of(none)
    for i in range(none.n):
        assert (plan.miew[i] is None) == knows_nothing(none, i) == (i in (0, 3))
        if plan.miew[i] is None:
            by_definition = miew(none, i, options="cpsat")
            assert by_definition.value == 0 and not any(by_definition.outcome.allocation)
    report = compute_report(none, SolveOptions("cpsat", jobs=1))
    winners = [i for i, a in enumerate(report.msw.outcome.allocation) if a]
    for i, row in enumerate(report.players):
        assert row.msw_without.value == msw_without(none, i, options="cpsat").value
        if i not in winners:
            assert row.msw_without.outcome == report.msw.outcome


def test_real_cats_file_with_one_player_per_bid():
    """A file of the CATS generator (L7, 200 bids, one player each): MSW equals the exact optimum
    of the generator's own LP (28264.62), and the JSON equals the one-at-a-time reference."""
    inst = read_cats(DATA / "L7-40-200-0000.txt", scale=10000)
    assert inst.n == 200
    report = compute_report(inst, SolveOptions("cpsat", jobs=1))
    assert report.msw.value == 282646200
    assert report.all_proven
    assert report_json(report) == report_json(one_at_a_time(inst, "cpsat"))


def _weights(rng: random.Random, m: int, k: int) -> list[Weight]:
    return [Weight.of(random_valuation(rng, m, Form.XOR)) for _ in range(k)]


@settings(max_examples=50)
@given(st.integers(0, 2**32))
def test_program_keys_are_equal_exactly_for_equal_programs(seed):
    """ProgramIndex: equal programs share a position, different ones never do, whether their
    weights are shared objects or equal copies."""
    rng = random.Random(seed)
    pool = [*_weights(rng, 3, 3), None, Weight(())]
    programs = []
    for _ in range(12):
        weights = tuple(rng.choice(pool) for _ in range(3))
        copy = tuple(None if w is None else Weight(tuple(tuple(o) for o in w.options)) for w in weights)
        programs += [Program(3, weights), Program(3, copy)]
    index = ProgramIndex()
    positions = [index.add(p) for p in programs]
    for a, pa in zip(positions, programs):
        for b, pb in zip(positions, programs):
            assert (a == b) == (pa == pb)
    # an index that finds no parents (the batch's restricted programs) keys them the same,
    # without the signatures only :meth:`ProgramIndex.parent` reads
    plain = ProgramIndex(parents=False)
    assert [plain.add(p) for p in programs] == positions and not plain._signatures
    with pytest.raises(ValueError):
        plain.parent(positions[-1])


def test_parents_are_found_among_many_programs():
    """Every MSW_-i finds MSW as its parent among thousands of programs, and the batch answers
    a non-winner's MSW_-i from MSW's optimum."""
    rng = random.Random(1)
    weights = tuple(_weights(rng, 4, 300))
    base = Program(4, weights)
    removed = [Program(4, weights[:i] + (None,) + weights[i + 1:]) for i in range(300)]
    singles = [Program(4, tuple(w if j == i else None for j, w in enumerate(weights))) for i in range(300)]
    index = ProgramIndex()
    for p in [base, *removed, *singles]:
        index.add(p)
    for i in range(300):
        assert index.parent(1 + i) == (0, i)
    assert parent_of(removed[5], [base, removed[6]]) == (base, 5)
    assert parent_of(removed[5], [removed[6]]) is None
    solutions = solve_batch([base, *removed[:20]], SolveOptions("cpsat", jobs=1))
    for i, solution in enumerate(solutions[1:]):
        assert solution.value == solve(removed[i], "cpsat").value


def test_progress_reports_every_distinct_program():
    inst = generate_instance("paths", 12, 40, 8, 0, knowledge="noisy-lower:0.6")
    seen = []
    compute_report(inst, SolveOptions("cpsat", jobs=1), progress=lambda done, total: seen.append((done, total)))
    total = seen[-1][1]
    assert [d for d, _ in seen] == list(range(1, total + 1))
    assert total >= inst.n  # one MIEW_i per player at least: they all know something


def test_cli_summarises_many_players_and_exports_every_one(tmp_path):
    """Above 20 players the table shows counts and the top 10 players by MIEW_i; --players all
    lists everyone; --players-csv writes one line per player; JSON stays complete."""
    import csv
    import json

    from tests.conftest import run_cli

    path = tmp_path / "crowd.json"
    assert run_cli("generate", "-d", "uniform", "-m", "10", "-b", "30", "-n", "30", "--knowledge",
                   "noisy-lower:0.6", "-o", str(path)).returncode == 0
    out = tmp_path / "players.csv"
    summary = run_cli("benchmarks", str(path), "--solver", "cpsat", "--players-csv", str(out))
    assert summary.returncode == 0, summary.stderr
    top = summary.stdout.split("Top 10 players by MIEW_i")[1].split("Witnesses")[0]
    assert sum(line.startswith("│ p") for line in top.splitlines()) == 10
    assert summary.stderr == ""  # no progress bar outside a terminal
    rows = list(csv.DictReader(out.open()))
    data = json.loads(run_cli("benchmarks", str(path), "--solver", "cpsat", "--json").stdout)
    assert [r["player"] for r in rows] == data["players_order"] and len(rows) == 30
    assert all(int(r["MIEW"]) == data["players"][r["player"]]["MIEW"]["value"] for r in rows)
    everyone = run_cli("benchmarks", str(path), "--solver", "cpsat", "--players", "all")
    assert all(f"\n│ {name} " in everyone.stdout for name in data["players_order"])


def test_generate_one_player_per_bidder():
    """--players bidders: legacy distributions give one player per bid; the others one player
    per bidder, whose XOR holds that bidder's bids; the same arguments give the same file."""
    legacy = generate_instance("uniform", 16, 40, None, 1)
    assert legacy.n == 40 and all(len(v.bids) == 1 for v in legacy.valuations)
    shaped = generate_instance("regions", 16, 60, None, 1)
    assert 1 < shaped.n < 60 and sum(len(v.bids) for v in shaped.valuations) == 60
    assert all(v.bids for v in shaped.valuations)
    assert generate_instance("regions", 16, 60, None, 1) == shaped
    with pytest.raises(Exception, match="table distribution has no bidders"):
        generate_instance("table", 4, 10, None, 1)


def _crowded(seed: int, m: int, n: int) -> Instance:
    """Many players on few goods with small values (many optimal allocations, so the tie-break
    decides): single-minded players as in CATS L1-L8, and some XOR bidders with several bids."""
    rng = random.Random(seed)
    valuations = []
    for _ in range(n):
        form = rng.choice([Form.SINGLE_MINDED, Form.SINGLE_MINDED, Form.XOR])
        bids = 1 if form is Form.SINGLE_MINDED else rng.randint(2, 3)
        bundles = {rng.randrange(1, 1 << m) for _ in range(bids)}
        valuations.append(Valuation(form, tuple((b, rng.randint(1, 3)) for b in sorted(bundles))))
    return Instance(name="crowded", goods=tuple(f"g{k}" for k in range(m)), players=tuple(f"p{j}" for j in range(n)),
                    valuations=tuple(valuations), knowledge=(None,) * n)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32))
def test_lex_first_with_many_players_is_the_reference(seed):
    """The tie-break's shortcuts (goods a single-bid player must hold, mixed-radix chunks over
    the players who can hold each good) give the lexicographically first optimal allocation of
    the brute-force enumeration, with every backend."""
    from tests import reference

    inst = _crowded(seed, m=4, n=random.Random(seed).randint(4, 7))
    value, expected = reference.msw(inst)
    for solver in ("cpsat", "highs", "cbc", "brute"):
        first = lex_first_optimal(inst, options=solver)
        assert first.value == value
        assert first.outcome.allocation == expected


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**32))
def test_lex_first_chunks_agree_with_brute_dp(seed):
    """At 8 goods and 30 players (beyond enumeration) the integer programs' tie-break, several
    goods per solve, equals the brute-force DP's, one good at a time."""
    inst = _crowded(seed, m=8, n=30)
    expected = lex_first_optimal(inst, options="brute").outcome.allocation
    for solver in ("cpsat", "highs"):
        assert lex_first_optimal(inst, options=solver).outcome.allocation == expected


def test_exact_knowledge_is_read_once_and_checked_by_identity(tmp_path):
    """A file with exact knowledge repeats every valuation once per player who knows it: the
    loader returns equal valuations as one object, the knowledge check and the weights see the
    bound is the truth without comparing bundles, and the report equals the definitions'."""
    import json

    from instances import load_instance

    data = {"goods": ["a", "b", "c"], "players": ["p1", "p2", "p3"],
            "valuations": {"p1": {"xor": [[["a"], 3], [["a", "b"], 5]]}, "p2": {"xor": [[["b"], 4]]},
                           "p3": {"single_minded": [["c", "a"], 6]}},
            "knowledge": {"p1": {"lower_bounds": {"p2": {"xor": [[["b"], 4]]}, "p3": {"single_minded": [["c", "a"], 6]}}},
                          "p2": {"lower_bounds": {"p1": {"xor": [[["a"], 3], [["a", "b"], 5]]},
                                                  "p3": {"single_minded": [["c", "a"], 2]}}}}}
    path = tmp_path / "exact.json"
    path.write_text(json.dumps(data))
    inst = load_instance(path)
    assert inst.knowledge[0].bounds[1] is inst.valuations[1]
    assert inst.knowledge[1].bounds[0] is inst.valuations[0]
    assert inst.knowledge[1].bounds[2] is not inst.valuations[2]  # a lower bound, not the truth
    plan = ReportPlan.of(inst)
    assert plan.weights.row(0)[1] is plan.weights.true[1]
    assert [knowledge_correct(inst, i).correct for i in range(3)] == [True, True, True]
    fast = _values_only(_without_market(report_json(compute_report(inst, SolveOptions("cpsat", jobs=1)))))
    assert fast == _values_only(report_json(one_at_a_time(inst, "cpsat")))


def test_bounds_that_are_zero_everywhere_are_knowing_nothing():
    """Lower bounds drawn on prices of 0 hold no bid: g^i_j = 0 for every j, so the player knows
    nothing (MIEW_i = 0 without a program), and the summary counts it (it counted 0 of 3)."""
    from benchmarks.table import knows_nothing
    from instances import Form, LowerBounds, Valuation, load_instance
    from tests.conftest import EXAMPLES

    inst = load_instance(EXAMPLES / "seed004-example.json")
    zero = Valuation(Form.XOR, ())
    blank = dataclasses.replace(inst, knowledge=(LowerBounds({1: zero, 2: Valuation(Form.XOR, ((1, 0),))}),
                                                 LowerBounds({}), inst.knowledge[2]))
    assert [knows_nothing(blank, i) for i in range(3)] == [True, True, knows_nothing(inst, 2)]
    assert not knows_nothing(inst, 2)
    report = compute_report(blank)
    assert report.players[0].miew.value == 0 and report.players[0].miew.proven


def test_early_start_follows_the_same_rule_of_knowing_nothing(monkeypatch):
    """The early start (``--jobs`` 2 or more) solves MIKW_i while the file is read, for players
    with lower bounds: bounds all 0 are knowing nothing there too (``ReportPlan`` planned a
    one-player program, and the n-weight row solved early was thrown away)."""
    import benchmarks.report as report_module
    from benchmarks.report import EarlyWelfare
    from instances import Form, LowerBounds, Valuation

    monkeypatch.setattr(report_module, "_Background", lambda run: None)  # (no batch: only what is added)
    truth = (Valuation(Form.XOR, ((1, 5),)), Valuation(Form.XOR, ((1, 4),)))
    early = EarlyWelfare(SolveOptions("cpsat", jobs=2)).start(1, truth)
    early.knowledge(0, LowerBounds({1: Valuation(Form.XOR, ())}))
    early.knowledge(1, LowerBounds({0: Valuation(Form.XOR, ((1, 3),))}))
    assert sorted(early.mikw) == [1]
