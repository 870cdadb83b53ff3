"""ilp.lift: a proven optimum lifted into a program whose weights are at most its own, and the
batch and the report that use it (``ilp.solve_batch``'s ``bounds``, ``ReportPlan.bounds``)."""

from __future__ import annotations

import json
from dataclasses import replace

import ilp.batch
from benchmarks import compute_report, report_json
from benchmarks.report import EarlyWelfare
from benchmarks.table import ReportPlan
from ilp import Program, Solution, SolveOptions, Status, Weight, solve, solve_batch
from ilp.batch import shared_workers
from ilp.lift import dominates, lift
from instances import Candidates, Instance, instance_text, load_instance
from instances.generate import generate_instance
from instances.knowledge_models import annotate
from instances.synthetic import random_instance
from instances.valuation import Form, Valuation
from tests import reference
from tests.test_agreement import matches_reference


def xor(*bids: tuple[int, int]) -> Valuation:
    return Valuation(Form.XOR, tuple(bids))


def optimum(program: Program, allocation: tuple[int, ...]) -> Solution:
    value = program.total(allocation)
    return Solution(Status.OPTIMAL, allocation, value, value, "brute", 0.0)


def check_lift(program: Program, lifted: Solution, value: int) -> None:
    """``lifted`` is a proven optimum of ``program`` worth ``value``, with a feasible allocation."""
    assert lifted.status is Status.OPTIMAL and lifted.value == lifted.bound == value
    used = 0
    for bundle in lifted.allocation:
        assert not bundle & used
        used |= bundle
    assert used < 1 << program.n_goods
    assert program.total(lifted.allocation) == value


def test_a_kept_player_is_released_to_make_room():
    """Player 0's other candidate is worth 5 only on good 1, which player 1 holds in the bound's
    optimum; player 1 is as well off with good 2, so both are re-chosen from the pool."""
    truth0, other0 = xor((0b001, 5)), xor((0b001, 3), (0b010, 6))
    truth1 = xor((0b010, 4), (0b100, 4))
    upper = Program(3, (Weight.of(truth0), Weight.of(truth1)))
    program = Program(3, (Weight.minimum((truth0, other0)), Weight.of(truth1)))
    best = optimum(upper, (0b001, 0b010))
    assert best.value == 9 and solve(program, "brute").value == 9
    lifted = lift(program, upper, best)
    check_lift(program, lifted, 9)
    assert lifted.allocation == (0b011, 0b100)


def test_no_lift_below_the_bound_or_without_a_proof():
    truth, low = xor((0b1, 5)), xor((0b1, 3))
    upper = Program(1, (Weight.of(truth),))
    program = Program(1, (Weight.minimum((truth, low)),))
    assert lift(program, upper, optimum(upper, (0b1,))) is None  # the optimum, 3, lies below 5
    same = Program(1, (Weight.minimum((truth, xor((0b1, 7)))),))
    assert lift(same, upper, optimum(upper, (0b1,))).value == 5
    unproven = replace(optimum(upper, (0b1,)), status=Status.FEASIBLE)
    assert lift(same, upper, unproven) is None


def test_only_a_bound_that_lists_the_valuation_dominates():
    truth, higher = xor((0b1, 5)), xor((0b1, 9))
    upper = Program(1, (Weight.of(truth),))
    assert dominates(upper, Program(1, (Weight.minimum((higher, truth)),)))
    assert dominates(upper, Program(1, (None,))) and dominates(upper, Program(1, (Weight(()),)))
    assert not dominates(upper, Program(1, (Weight.of(higher),)))
    # 4 <= 5 on every bundle, but only "the truth is a candidate" is read: no lift from it
    assert not dominates(upper, Program(1, (Weight.of(xor((0b1, 4))),)))
    assert not dominates(Program(1, (None,)), Program(1, (Weight.of(truth),)))  # excluded above, weighed below
    assert not dominates(upper, Program(2, (Weight.of(truth),)))
    assert not dominates(upper, Program(1, (Weight.of(truth),), min_total=1))
    assert not dominates(Program(1, (Weight.minimum((truth, higher)),)), Program(1, (Weight.of(truth),)))
    # a lift from a program that does not dominate is refused, even where its total would match
    assert lift(Program(1, (Weight.of(higher),)), upper, optimum(upper, (0b1,))) is None


def correct_candidates(seed: int, sets: bool = False) -> Instance:
    """A small random instance with ``candidates:3`` knowledge (the truth among scaled copies), a
    market or an auction; with ``sets``, coalitions pool candidate sets on odd seeds (the naive
    reference knows only the ``bounds`` reading)."""
    forms = (Form.XOR, Form.OR, Form.SINGLE_MINDED, Form.ADDITIVE)
    inst = random_instance(seed, forms=forms, knowledge=("none",), coalitions=False)
    while (inst.n + 1) ** inst.m > reference.MAX_ALLOCATIONS:
        seed += 1_000_000
        inst = random_instance(seed, forms=forms, knowledge=("none",), coalitions=False)
    inst = annotate(inst, "candidates:3", "pairs:1" if inst.n >= 3 else None, seed=seed)
    return replace(inst, coalition_knowledge="sets") if sets and seed % 2 else inst


def test_lifts_agree_with_the_brute_force_on_random_instances():
    """Every lift is the brute-force optimum of its program, and enough programs are lifted for
    the check to mean something."""
    lifted = tried = 0
    for seed in range(120):
        inst = correct_candidates(seed, sets=True)
        plan = ReportPlan.of(inst)
        programs = plan.programs()
        welfare = solve(plan.msw, "brute")
        for position, upper in plan.bounds().items():
            assert dominates(upper, programs[position])
            best = welfare if upper is plan.msw else solve(upper, "brute")
            result = lift(programs[position], upper, best)
            tried += 1
            if result is not None:
                lifted += 1
                check_lift(programs[position], result, solve(programs[position], "brute").value)
    assert tried > 200 and lifted > tried // 5, (lifted, tried)


def test_the_batch_lifts_before_it_solves(monkeypatch):
    """A bounded program reached by its bound's optimum is never handed to a solver; one that is
    not (or whose bound does not dominate it) is solved; the bound's program, not listed, is
    solved for it but not returned."""
    truth0, other0 = xor((0b001, 5)), xor((0b001, 3), (0b010, 6))
    truth1 = xor((0b010, 4), (0b100, 4))
    upper = Program(3, (Weight.of(truth0), Weight.of(truth1)))
    reached = Program(3, (Weight.minimum((truth0, other0)), Weight.of(truth1)))
    below = Program(3, (Weight.minimum((truth0, xor((0b001, 2)))), Weight.of(truth1)))
    solved = []
    real = ilp.batch.solve
    monkeypatch.setattr(ilp.batch, "solve", lambda program, *a, **k: solved.append(program) or real(program, *a, **k))
    # the same bundles with a higher truth for player 1: not a bound of ``reached`` as read
    # (player 1's weight lists another valuation), though 9 <= its optimum
    loose = Program(3, (Weight.of(truth0), Weight.of(xor((0b010, 40), (0b100, 40)))))
    other = Program(3, (Weight.minimum((truth0, other0)), Weight.of(xor((0b010, 4), (0b100, 4), (0b110, 1)))))
    options = SolveOptions("cpsat", jobs=1)
    results = solve_batch([reached, below, other], options, bounds={0: upper, 1: upper, 2: loose})
    assert [r.value for r in results] == [9, 6, 9]
    assert results[0].allocation == (0b011, 0b100) and results[0].optimal
    assert reached not in solved and below in solved and upper in solved
    assert other in solved and loose not in solved  # a bound that does not dominate never joins
    # a bound known unproven (a time limit) lifts nothing
    solved.clear()
    unproven = replace(optimum(upper, (0b001, 0b010)), status=Status.FEASIBLE)
    results = solve_batch([reached], options, known={upper: unproven}, bounds={0: upper})
    assert results[0].value == 9 and reached in solved
    solved.clear()
    results = solve_batch([reached], options)
    assert results[0].value == 9 and reached in solved
    # a program bounded by itself (candidates that are the truth alone: MIKW_i is MSW) is solved once
    solved.clear()
    assert [r.value for r in solve_batch([upper], options, bounds={0: upper})] == [9] and solved == [upper]
    # a bound that removes a player from the program waits for it: no bound (no deadlock)
    half = Program(3, (Weight.of(truth0), Weight(())))
    results = solve_batch([half], options, bounds={0: Program(3, (Weight.of(truth0), None))})
    assert [r.value for r in results] == [5]


def test_goods_of_a_player_left_out_are_free_for_the_others():
    """A player excluded from the lower program holds nothing there: its goods in the bound's
    optimum go to whoever needs them."""
    truth0, other0 = xor((0b01, 5)), xor((0b01, 1), (0b11, 5))
    worthless = xor((0b10, 0))
    upper = Program(2, (Weight.of(truth0), Weight.of(worthless)))
    program = Program(2, (Weight.minimum((truth0, other0)), None))
    lifted = lift(program, upper, optimum(upper, (0b01, 0b10)))
    check_lift(program, lifted, 5)
    assert lifted.allocation == (0b11, 0)


# A report with candidate knowledge bounds MIKW_i, MIEW_i and MKW_A by MSW and MSW_{-i}: every
# value and witness checked against the naive reference, with lifts taken often (above)
test_reports_with_correct_candidates_match_the_reference = matches_reference(correct_candidates, "cpsat", 40)


def paths_with_candidates() -> Instance:
    return generate_instance("paths", 24, 90, 4, 0, knowledge="candidates:3")


def test_reports_lift_on_cats_paths_and_agree_with_solving_everything(monkeypatch):
    """On paths as CATS 2.1 builds them a bidder's paths share one price, and the bounds are
    often reached: the report lifts some knowledge programs, and its values and witnesses are
    those of the same batch with the bounds ignored, apart from the lifted witnesses (other
    optima)."""
    inst = paths_with_candidates()
    assert all(isinstance(k, Candidates) for k in inst.knowledge)
    plan = ReportPlan.of(inst)
    lifted = 0
    welfare = solve(plan.msw, "cpsat")
    for position, upper in plan.bounds().items():
        best = welfare if upper is plan.msw else solve(upper, "cpsat")
        lifted += lift(plan.programs()[position], upper, best) is not None
    assert lifted >= 2
    made = spy_lifts(monkeypatch)
    report = report_json(compute_report(inst, SolveOptions("cpsat", jobs=1)))
    assert len(made) == lifted  # the report's batch lifts them too
    monkeypatch.setattr(ReportPlan, "bounds", lambda self: {})
    plain = report_json(compute_report(inst, SolveOptions("cpsat", jobs=1)))
    assert values(report) == values(plain) and len(made) == lifted


def spy_lifts(monkeypatch) -> list:
    """The lifts the batch makes from now on (in this process)."""
    made = []

    def spy(program, upper, solution):
        result = lift(program, upper, solution)
        if result is not None:
            made.append(program)
        return result

    monkeypatch.setattr(ilp.batch, "lift", spy)
    return made


def values(report: dict) -> list:
    """Every benchmark value of a report's JSON, in order (witnesses left out)."""
    out = []

    def walk(node):
        if isinstance(node, dict):
            for key, item in node.items():
                if key == "value":
                    out.append(item)
                elif key not in ("outcome", "allocation", "witness"):
                    walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(report)
    return out


def test_one_two_and_three_jobs_give_the_same_report_with_lifts(tmp_path, monkeypatch):
    """The lifts are made from MSW's and MSW_{-i}'s solutions, whoever solves them, in every
    layout of the batch (one process, workers, programs streamed while the file is read)."""
    path = tmp_path / "paths.json"
    path.write_text(instance_text(paths_with_candidates()))
    inst = load_instance(path)
    made = spy_lifts(monkeypatch)
    alone = json.dumps(report_json(compute_report(inst, SolveOptions("cpsat", jobs=1))))
    lifted = len(made)
    assert lifted >= 2
    for jobs in (2, 3):
        assert json.dumps(report_json(compute_report(inst, SolveOptions("cpsat", jobs=jobs)))) == alone
    with shared_workers(SolveOptions("cpsat", jobs=2)) as options:
        early = EarlyWelfare(options)
        read = load_instance(path, early.start)
        assert json.dumps(report_json(compute_report(read, options, early=early))) == alone
    assert len(made) == 4 * lifted  # (the lifts are made in this process, whoever solves the rest)


def test_the_tables_bounds_are_those_of_the_report():
    """``cabench perf``'s batch of the table gets the report's bounds, at the table's positions."""
    from benchmarks.table import table_bounds, table_programs

    inst = annotate(generate_instance("paths", 16, 40, 4, 1), "candidates:2", "pairs:1", seed=1)
    named = table_programs(inst)
    bounds = table_bounds(inst)
    msw = named[0][1]
    kinds = {name.split("_")[0] for k, (name, _) in enumerate(named) if k in bounds}
    assert kinds == {"MIEW", "MIKW", "MKW"} and len(bounds) == 2 * inst.n + 1
    for k, upper in bounds.items():
        name, program = named[k]
        assert dominates(upper, program)
        if name.startswith("MIEW"):
            i = inst.players.index(name[len("MIEW_"):])
            assert upper == Program(inst.m, msw.weights[:i] + (None,) + msw.weights[i + 1:])
        else:
            assert upper == msw
    solutions = solve_batch([p for _, p in named], SolveOptions("cpsat", jobs=1), bounds=bounds)
    assert [s.value for s in solutions] == [solve(p, "cpsat").value for _, p in named]


def test_a_program_streamed_before_the_close_is_never_bounded(monkeypatch):
    """A program that joined a running batch before its close may be under way already: a bound
    given for it at the close is ignored, whatever the timing (``ilp.batch.Arrivals``)."""
    from ilp.batch import Arrivals

    truth0, other0 = xor((0b001, 5)), xor((0b001, 3), (0b010, 6))
    truth1 = xor((0b010, 4), (0b100, 4))
    upper = Program(3, (Weight.of(truth0), Weight.of(truth1)))
    reached = Program(3, (Weight.minimum((truth0, other0)), Weight.of(truth1)))
    made = spy_lifts(monkeypatch)
    with shared_workers(SolveOptions("cpsat", jobs=2)) as options:
        for streamed in (True, False):
            arrivals = Arrivals()
            if streamed:
                arrivals.add([reached])
            arrivals.close([upper, reached], None, {1: upper})
            assert [s.value for s in solve_batch([upper], options, more=arrivals)] == [9, 9]
            assert made == ([] if streamed else [reached])


def test_forward_checking_cuts_only_branches_that_cannot_succeed(monkeypatch):
    """``ilp.lift._open`` cuts a branch only when a later step can no longer be served: with no
    node cap, every lift (found or not, and which allocation) is that of the plain depth-first
    search, on random instances (XOR, OR, single-minded and additive candidates) and on paths as
    CATS 2.1 builds them, and the cut search visits fewer nodes in all."""
    import ilp.lift

    cases = []
    for seed in range(40):
        inst = correct_candidates(seed)
        plan = ReportPlan.of(inst)
        welfare = solve(plan.msw, "brute")
        cases += [(plan.programs()[k], upper, welfare if upper is plan.msw else solve(upper, "brute"))
                  for k, upper in plan.bounds().items()]
    for seed in range(3):
        plan = ReportPlan.of(generate_instance("paths", 32, 160, 5, seed, knowledge="candidates:3"))
        welfare = solve(plan.msw, "cpsat")
        cases += [(plan.programs()[k], upper, welfare if upper is plan.msw else solve(upper, "cpsat"))
                  for k, upper in plan.bounds().items()]
    monkeypatch.setattr(ilp.lift, "LIFT_NODES", 10 ** 9)
    counted = []
    attempt = ilp.lift._Search.attempt

    def counting(self, released):
        found = attempt(self, released)
        counted.append(self.nodes)
        return found

    def run() -> tuple[list, int]:
        counted.clear()
        results, nodes = [], 0
        for program, upper, best in cases:
            before = len(counted)
            results.append(lift(program, upper, best))
            nodes += counted[-1] if len(counted) > before else 0
        return [None if r is None else r.allocation for r in results], nodes

    monkeypatch.setattr(ilp.lift._Search, "attempt", counting)
    cut, cut_nodes = run()
    monkeypatch.setattr(ilp.lift, "_open", lambda *args: True)
    plain, plain_nodes = run()
    assert cut == plain
    assert sum(r is not None for r in cut) >= 10 and sum(r is None for r in cut) >= 10
    assert cut_nodes < plain_nodes, (cut_nodes, plain_nodes)


def test_a_released_player_whose_target_is_0_needs_nothing():
    """A player short of nothing (its bound's bundle is worth 0) is released with the others
    and served by the empty bundle: the lift does not fail on its account."""
    truth = xor((0b01, 5))
    other = xor((0b01, 4), (0b11, 6))
    nothing = Weight.of(xor((0b10, 0)))
    upper = Program(2, (Weight.of(truth), nothing))
    program = Program(2, (Weight.minimum((truth, other)), nothing))
    lifted = lift(program, upper, Solution(Status.OPTIMAL, (0b01, 0b10), 5, 5, "cpsat", 0.0))
    assert lifted is not None and lifted.allocation == (0b11, 0)
    check_lift(program, lifted, solve(program, "brute").value)
