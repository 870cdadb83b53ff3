"""The portfolio's exhaustive search of tiny programs (``ilp.exhaustive``): proven answers equal to
every assignment tried one by one, None when it gives up, and small instances solved without
importing OR-Tools."""

from __future__ import annotations

import itertools
import random
import subprocess
import sys

import pytest

from ilp import Program, Solution, Status, Weight, solve
from ilp.exhaustive import MOST_VARIABLES, applies, run, search
from ilp.formulation import ILP, build
from instances.valuation import Form, Valuation
from tests.conftest import EXAMPLES, ROOT

pytestmark = pytest.mark.exhaustive


def _random_ilp(rng: random.Random) -> ILP:
    ilp = ILP()
    for k in range(rng.randint(0, 7)):
        lo = rng.choice([0, 0, 0, -1, 1])
        ilp.var(f"v{k}", lower=lo, upper=lo + rng.choice([0, 1, 1, 1, 2, 3]))
    n = len(ilp.names)
    for _ in range(rng.randint(0, 5)):
        terms = {k: rng.choice([-3, -1, 1, 1, 2, 5]) for k in range(n) if rng.random() < 0.5}
        lo = rng.choice([None, None, rng.randint(-2, 3)])
        hi = rng.choice([None, rng.randint(-1, 4)])
        ilp.add(terms, lo, hi)
    ilp.objective = {k: rng.randint(-4, 6) for k in range(n) if rng.random() < 0.8}
    ilp.maximize = rng.random() < 0.7
    if ilp.maximize and rng.random() < 0.3:
        ilp.floor = rng.randint(-2, 12)
    return ilp


def _every_assignment(ilp: ILP) -> int | None:
    """The optimum over every assignment, each checked row by row; None when none is feasible
    (or, with a floor, none reaches it)."""
    best = None
    for values in itertools.product(*(range(lo, hi + 1) for lo, hi in zip(ilp.lower, ilp.upper))):
        if all((lo is None or sum(c * values[k] for k, c in t.items()) >= lo)
               and (hi is None or sum(c * values[k] for k, c in t.items()) <= hi) for t, lo, hi in ilp.rows):
            worth = sum(c * values[k] for k, c in ilp.objective.items())
            if best is None or (worth > best if ilp.maximize else worth < best):
                best = worth
    if best is not None and ilp.floor is not None and ilp.maximize and best < ilp.floor:
        return None
    return best


def test_search_equals_every_assignment_tried():
    rng = random.Random(60)
    infeasible = 0
    for _ in range(600):
        ilp = _random_ilp(rng)
        expected = _every_assignment(ilp)
        values, objective = search(ilp)
        assert search(ilp) == (values, objective)  # the same answer on every call
        if expected is None:
            infeasible += 1
            assert values is None and objective is None
            continue
        assert objective == expected
        assert all(lo <= v <= hi for v, lo, hi in zip(values, ilp.lower, ilp.upper))
        assert sum(c * values[k] for k, c in ilp.objective.items()) == objective
        for terms, lo, hi in ilp.rows:
            activity = sum(c * values[k] for k, c in terms.items())
            assert (lo is None or activity >= lo) and (hi is None or activity <= hi)
    assert 50 < infeasible < 400  # both kinds were met


def test_a_search_out_of_nodes_gives_no_answer():
    ilp = ILP()
    for k in range(20):  # no row: every assignment is feasible, and equal weights cut nothing early
        ilp.var(f"v{k}")
    ilp.objective = {k: 1 for k in range(20)}
    assert search(ilp, most_nodes=10) is None
    assert search(ilp) == ([1] * 20, 20)  # (the first path down is the optimum, and the bound cuts the rest)


def test_larger_programs_are_left_to_the_solvers():
    ilp = ILP()
    for k in range(MOST_VARIABLES + 1):
        ilp.var(f"v{k}")
    assert not applies(ilp)
    wide = ILP()
    wide.var("price", upper=1000)
    assert not applies(wide) and run(build(Program(1, ()))) is not None


def test_portfolio_proves_tiny_programs_equal_to_the_brute_force_reference():
    rng = random.Random(6)
    seen = 0
    for _ in range(150):
        goods = rng.randint(1, 5)
        weights = []
        for _ in range(rng.randint(1, 4)):
            bids = tuple((rng.randint(1, 2**goods - 1), rng.randint(0, 9)) for _ in range(rng.randint(1, 3)))
            weights.append(Weight.of(Valuation(rng.choice([Form.XOR, Form.OR]), bids)))
        program = Program(goods, tuple(weights))
        got, expected = solve(program, "portfolio"), solve(program, "brute")
        assert got.status is Status.OPTIMAL and got.value == expected.value == got.bound
        seen += got.backend == "exhaustive"
    assert seen > 100


def test_a_small_report_never_imports_or_tools():
    script = ("import sys\n"
              "import cabench\n"
              f"report = cabench.benchmarks(cabench.load({str(EXAMPLES / 'seed004-example.json')!r}))\n"
              "print(report.msw.value, sorted(m for m in sys.modules if m.startswith(('ortools', 'pandas'))))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    msw, imported = result.stdout.split(" ", 1)
    assert msw == "200" and imported.strip() == "[]"


@pytest.mark.parametrize("floor, expected", [(7, Status.OPTIMAL), (8, Status.INFEASIBLE)])
def test_a_floor_no_assignment_reaches_is_answered_infeasible(floor, expected):
    ilp = ILP()
    a, b = ilp.var("a"), ilp.var("b")
    ilp.add({a: 1, b: 1}, hi=1)
    ilp.objective = {a: 7, b: 3}
    ilp.floor = floor
    found = search(ilp)
    assert (found == ([1, 0], 7)) if expected is Status.OPTIMAL else found == (None, None)


def test_programs_beside_one_the_search_proved_go_to_a_solver():
    """The search names no solver: the programs solved beside it (``SolveOptions.alone``) get
    CP-SAT, as before any race (naming the search there ended the batch with a TypeError)."""
    from ilp import SolveOptions
    from ilp.batch import _parallel_options

    two = (Weight.of(Valuation(Form.XOR, ((1, 4),))), Weight.of(Valuation(Form.XOR, ((1, 3),))))
    proved = solve(Program(1, two), "portfolio")
    assert proved.backend == "exhaustive"
    assert _parallel_options(SolveOptions("portfolio"), proved).alone == "cpsat"
    clique = Solution(Status.OPTIMAL, (1,), 4, 4, "clique", 0.0)
    assert _parallel_options(SolveOptions("portfolio"), clique).alone == "clique"


def test_a_row_with_a_variable_below_zero_bounds_its_members_as_any_row():
    """The "at most one" bound holds only when no variable of the row can be negative: here
    a = -1 makes room for b and c together (the optimum 6 was answered 5)."""
    ilp = ILP()
    a, b, c = ilp.var("a", lower=-2, upper=1), ilp.var("b"), ilp.var("c")
    ilp.add({a: 1, b: 1, c: 1}, hi=1)
    ilp.objective = {a: 4, b: 5, c: 5}
    assert search(ilp) == ([-1, 1, 1], 6)
    rng = random.Random(61)
    for _ in range(400):  # unit rows over 0/1 variables and one that may be negative
        ilp = ILP()
        n = rng.randint(2, 6)
        for k in range(n):
            ilp.var(f"v{k}", lower=-rng.randint(1, 2) if k == 0 else 0, upper=1)
        for _ in range(rng.randint(1, 3)):
            ilp.add({k: 1 for k in range(n) if rng.random() < 0.7}, hi=rng.choice([0, 1]))
        ilp.objective = {k: rng.randint(-2, 6) for k in range(n)}
        if rng.random() < 0.3:
            ilp.floor = rng.randint(0, 10)
        expected = _every_assignment(ilp)
        assert search(ilp)[1] == expected


@pytest.mark.parametrize("gives_up", [False, True])
def test_the_portfolio_imports_no_solver_ahead_of_its_programs(gives_up, monkeypatch):
    """``ilp.batch``: a portfolio's batch imports no solver ahead of its programs, whether the
    search proves the first one or gives up on it (CP-SAT then solves it, importing OR-Tools
    itself: ``ilp.cpsat.ortools``); a batch for CP-SAT alone imports it ahead."""
    import ilp.batch
    import ilp.exhaustive
    from ilp import SolveOptions, solve_batch

    if gives_up:
        monkeypatch.setattr(ilp.exhaustive, "MOST_NODES", 1)
    warmed = []
    monkeypatch.setattr(ilp.batch, "warm_up", lambda store, backend: warmed.append(backend))
    weights = tuple(Weight.of(Valuation(Form.XOR, ((0b011, 5 + j), (0b110, 4), (0b100, 2)))) for j in range(3))
    program = Program(3, weights)
    [solution] = solve_batch([program], SolveOptions("portfolio"))
    assert solution.optimal and solution.value == solve(program, "brute").value
    assert warmed == []
    assert solution.backend == ("cpsat" if gives_up else "exhaustive")
    [solution] = solve_batch([program], SolveOptions("cpsat"))
    assert solution.optimal and warmed == ["cpsat"]


def _slow_or_tools(monkeypatch, seconds: float = 0.7) -> None:
    """OR-Tools' CP-SAT module imported again in this process, the import made to take
    ``seconds`` (``ilp.cpsat._imported``, as a process's first import: timed from its start)."""
    import functools
    import time

    import ilp.cpsat

    module = ilp.cpsat.ortools()

    @functools.cache
    def slow_import():
        start = time.monotonic()
        time.sleep(seconds)
        return module, (start, time.monotonic())

    monkeypatch.setattr(ilp.cpsat, "_imported", slow_import)


def _reaching_cp_sat(count: int) -> list[Program]:
    return [Program(3, tuple(Weight.of(Valuation(Form.XOR, ((0b011, 5 + j + k), (0b110, 4), (0b100, 2))))
                             for j in range(3))) for k in range(count)]


@pytest.mark.parametrize("discounted", [True, False])
def test_or_tools_import_paid_by_a_solve_does_not_start_the_workers(discounted, monkeypatch):
    """A solve that imports OR-Tools (here made to take 0.7 s, beyond ``PARALLEL_AFTER_SECONDS``)
    is not counted as slow for it: the batch stays in this process. Counted (the check this test
    makes of itself), the same batch starts its worker processes."""
    import ilp.batch
    import ilp.cpsat
    import ilp.exhaustive
    from ilp import SolveOptions, solve_batch

    _slow_or_tools(monkeypatch)
    if not discounted:
        monkeypatch.setattr(ilp.cpsat, "import_window", lambda: None)
    monkeypatch.setattr(ilp.exhaustive, "MOST_NODES", 1)  # every program reaches CP-SAT
    started = []
    real_remote = ilp.batch.Remote
    monkeypatch.setattr(ilp.batch, "Remote", lambda *args: started.append(args) or real_remote(*args))
    programs = _reaching_cp_sat(6)
    solutions = solve_batch(programs, SolveOptions("portfolio"))
    assert [s.value for s in solutions] == [solve(p, "brute").value for p in programs]
    assert solutions[0].backend == "cpsat" and solutions[0].wall_time >= 0.7
    assert bool(started) is not discounted


def test_or_tools_is_imported_before_the_clock_of_a_time_limit(monkeypatch):
    """Under a time limit, a program that may reach CP-SAT has OR-Tools imported before its clock
    starts (``ilp.backends.solve``): a 0.7 s import does not eat a limit of 0.5 s, and the
    program is proven (counted in the limit, its probe and race had 0.01 s and it was not)."""
    import ilp.exhaustive
    import ilp.portfolio
    from ilp import SolveOptions

    _slow_or_tools(monkeypatch)
    monkeypatch.setattr(ilp.exhaustive, "MOST_NODES", 1)
    monkeypatch.setattr(ilp.portfolio, "PROBE_WORK", 1e-6)  # the probe does not prove it
    [program] = _reaching_cp_sat(1)
    solution = solve(program, SolveOptions("portfolio", time_limit=0.5))
    assert solution.optimal and solution.value == solve(program, "brute").value and solution.wall_time < 0.7
