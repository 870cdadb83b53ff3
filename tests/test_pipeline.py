"""The batch's scheduler (``ilp.batch``): a program starts as soon as its own parent is solved,
work added by ``after`` joins the running batch, and none of it changes a value or a witness."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

import ilp.batch
from benchmarks import compute_report, report_json
from benchmarks.table import ReportPlan
from ilp import Program, SolveOptions, Status, Weight, lex_first, solve, solve_batch
from ilp.batch import LexFirst
from instances import Form, Valuation
from instances.generate import generate_instance


def witnesses(solutions):
    return [(s.status, s.allocation, s.value, s.bound) for s in solutions]


def removed(program: Program, i: int) -> Program:
    return Program(program.n_goods, tuple(None if j == i else w for j, w in enumerate(program.weights)))


def winners_removed(program: Program):
    """An ``after`` callback: ``program`` without each player who wins something."""
    return lambda solution: [removed(program, i) for i, bundle in enumerate(solution.allocation) if bundle]


@pytest.mark.parametrize("knowledge, seed", [("noisy-lower:0.6", 0), ("noisy-lower:0.9", 1), ("wrong:0.3", 2),
                                             ("candidates:2", 3), ("exact", 4)])
def test_pipelined_report_is_the_same_whatever_the_jobs(knowledge, seed):
    """MIEW_i starts when MIKW_i ends and MSW_{-i} and the tie-break when MSW does, in whatever
    order the workers finish: the JSON is the same with one process (where every program waits
    for the one before) as with two or three workers, and the values are those of each program
    solved alone (``benchmarks.table.ReportPlan``)."""
    inst = generate_instance("decay", 12, 24, None, seed, knowledge=knowledge, coalitions="pairs:1")
    alone = compute_report(inst, SolveOptions("cpsat", jobs=1))
    text = json.dumps(report_json(alone))
    for jobs in (2, 3):
        assert json.dumps(report_json(compute_report(inst, SolveOptions("cpsat", jobs=jobs)))) == text
    plan = ReportPlan.of(inst)
    for i, row in enumerate(alone.players):
        if plan.miew[i] is not None:
            assert row.miew.value == solve(plan.miew[i], "highs").value
        assert row.msw_without.value == solve(plan.msw_without(i), "highs").value
    assert alone.lex_first.value == alone.msw.value == solve(plan.msw, "highs").value


def test_after_adds_work_to_the_running_batch():
    """``after[k]`` runs once ``programs[k]`` is settled; what it returns is solved in the same
    batch, its solutions after the batch's own, by k; a program it returns that the batch holds
    already is solved once; a LexFirst task gives ``ilp.lex.lex_first``'s answer."""
    weights = tuple(Weight.of(Valuation(Form.XOR, ((1 << g, 5 + g), (0b111, 20)))) for g in range(3))
    base = Program(3, weights)
    other = Program(3, weights[:2] + (None,))  # base without player 2: also what after[0] adds
    calls = []

    def follow(solution):
        calls.append(solution)
        return [*winners_removed(base)(solution), LexFirst(base, solution)]

    for jobs in (1, 2):
        calls.clear()
        solutions = solve_batch([base, other], SolveOptions("cpsat", jobs=jobs), after={0: follow})
        (first,) = calls
        assert first == solutions[0]
        winners = [i for i, bundle in enumerate(first.allocation) if bundle]
        assert len(solutions) == 2 + len(winners) + 1
        for i, solution in zip(winners, solutions[2:]):
            assert solution.value == solve(removed(base, i), "brute").value
        assert witnesses(solutions[-1:]) == witnesses([lex_first(base, solve(base, "cpsat"), "cpsat")])


def test_after_a_known_program_runs_at_once():
    weights = tuple(Weight.of(Valuation(Form.XOR, ((1 << g, 3 + g),))) for g in range(3))
    base = Program(3, weights)
    known = {base: solve(base, "cpsat")}
    solutions = solve_batch([base], "cpsat", known=known, after={0: winners_removed(base)})
    assert solutions[0] is known[base]
    assert [s.value for s in solutions[1:]] == [9, 8, 7]


def test_a_child_starts_before_the_other_parents_end(monkeypatch):
    """Two workers: the first holds a slow program until the second has been sent the child of
    the fast one. With rounds (every parent first) the child would wait for the slow program:
    the slow one would then give up waiting, and the test fails."""
    slow_weights = tuple(Weight.of(Valuation(Form.XOR, ((1 << g, 2 + g),))) for g in range(2))
    fast_weights = tuple(Weight.of(Valuation(Form.XOR, ((1 << g, 7 + g),))) for g in range(3))
    slow, fast = Program(3, slow_weights), Program(3, fast_weights)
    child = removed(fast, 0)  # fast's players all win: the child needs a solve (of two players)
    child_sent = threading.Event()
    waited = []

    class InlineWorker:  # solves here, in the batch's thread for this worker
        def __init__(self):
            self.store = {}

        def call_with_store(self, fn, shapes, keys, starts, weights, blocks):
            held = {0: None, **self.store.get("weights", {}), **ilp.remote.received(weights)}
            programs = [tuple(held[k] for k in ids) for ids in keys]
            if fast_weights[1:] in programs:  # the child (the solver sees it without player 0)
                child_sent.set()
            if slow_weights in programs:
                waited.append(child_sent.wait(timeout=20))
            return fn(self.store, shapes, keys, starts, weights, blocks)

        def stop(self):
            pass

    monkeypatch.setattr(ilp.batch, "start_worker", InlineWorker)
    solutions = solve_batch([slow, fast, child], SolveOptions("cpsat", jobs=2))
    assert [s.value for s in solutions] == [5, 24, 17]
    assert waited == [True]


def test_unproven_parent_gives_no_shortcut_and_intervals_propagate(monkeypatch):
    """A parent that is not proven optimal lends its child no value (only a warm start), and a
    LexFirst task from an unproven optimum returns it unchanged, in the running batch too."""
    weights = tuple(Weight.of(Valuation(Form.XOR, ((1 << g, 5),))) for g in range(3))
    base = Program(3, weights)
    unproven = solve(base, "cpsat")
    unproven = type(unproven)(Status.FEASIBLE, (1, 0, 0), 5, 15, "cpsat", 0.0)
    child = removed(base, 1)  # player 1 wins nothing in the unproven incumbent
    for jobs in (1, 2):
        solutions = solve_batch([child], SolveOptions("cpsat", jobs=jobs), known={base: unproven},
                                after={0: lambda s: [LexFirst(base, unproven)]})
        assert solutions[0].optimal and solutions[0].value == 10  # solved, not copied from the incumbent
        assert solutions[1] is unproven


def test_a_failing_program_stops_the_batch_and_its_workers(monkeypatch):
    """An error raised while a worker solves comes out of solve_batch, and the batch's workers
    are stopped (none is left running)."""
    started = []

    class FailingWorker:
        def __init__(self):
            self.stopped = False
            started.append(self)

        def call_with_store(self, fn, shapes, keys, starts, weights, blocks):
            raise ValueError("the solver failed")

        def stop(self):
            self.stopped = True

    monkeypatch.setattr(ilp.batch, "start_worker", FailingWorker)
    weights = tuple(Weight.of(Valuation(Form.XOR, ((1 << g, 5 + g), (3 << g, 9)))) for g in range(3))
    programs = [Program(4, weights), Program(4, weights[1:]), Program(4, weights[:2])]
    with pytest.raises(ValueError, match="the solver failed"):
        solve_batch(programs, SolveOptions("cpsat", jobs=2))
    assert started and all(worker.stopped for worker in started)


def test_automatic_jobs_keep_millisecond_programs_here():
    """With automatic jobs, the solver's one-time import (about half a second for the portfolio,
    more under load) does not count as a slow program: a batch of millisecond programs starts
    no worker process."""
    script = """
import ilp.batch
from ilp import Program, SolveOptions, Weight, solve_batch
from instances import Form, Valuation
started = []
class Counted(ilp.batch.Remote):
    def __init__(self, *args, **kwargs):
        started.append(1)
        super().__init__(*args, **kwargs)
ilp.batch.Remote = Counted
programs = [Program(3, tuple(Weight.of(Valuation(Form.XOR, ((1 << g, k + g), (7, 2 * k + 1)))) for g in range(3)))
            for k in range(1, 40)]
solve_batch(programs, SolveOptions("portfolio"))
print(len(started))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"
