"""Worker processes stopped when they overrun their time (``ilp.workers.Worker.call_within``),
and the solvers that rely on it."""

from __future__ import annotations

import time

import pytest

import ilp.highs
from ilp import Program, SolveOptions, Status, Weight
from ilp.compile import BlockCache
from ilp.contract import Answer
from ilp.formulation import build
from ilp.workers import Worker, WorkerDied, WorkerOverran
from instances.valuation import Form, Valuation


def sleeps(seconds: float, *rest) -> float:
    """Runs in a worker (imported there by name): sleeps, then answers how long."""
    time.sleep(seconds)
    return seconds


def exits() -> None:
    """Runs in a worker: ends it without an answer."""
    import os

    os._exit(3)


def test_a_call_within_its_time_answers():
    worker = Worker()
    try:
        assert worker.call_within(30.0, sleeps, 0.0) == 0.0
        assert worker.call_within(None, sleeps, 0.0) == 0.0
        assert worker.alive
    finally:
        worker.stop()


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_limit_beyond_any_timer_is_no_limit():
    """A time limit of 10^30 s or infinity (``--time-limit inf`` is allowed): no timer, whose
    thread would fail on it."""
    worker = Worker()
    try:
        assert worker.call_within(1e30, sleeps, 0.01) == 0.01
        assert worker.call_within(float("inf"), sleeps, 0.01) == 0.01
    finally:
        worker.stop()


def test_a_call_past_its_time_stops_the_worker():
    worker = Worker()
    try:
        start = time.monotonic()
        with pytest.raises(WorkerOverran, match="did not answer within"):
            worker.call_within(0.5, sleeps, 60.0)
        assert time.monotonic() - start < 30 and worker.process.wait(timeout=5) == -9  # killed
    finally:
        worker.stop()


def test_a_worker_that_dies_on_its_own_did_not_overrun():
    worker = Worker()
    try:
        with pytest.raises(WorkerDied) as caught:
            worker.call_within(60.0, exits)
        assert not isinstance(caught.value, WorkerOverran)
    finally:
        worker.stop()


def test_highs_past_its_time_limit_is_stopped_and_unproven(monkeypatch):
    """HiGHS's presolve can ignore its limit (it merged cliques for minutes under 20 s): the
    worker is stopped ``OVERRUN`` past the limit, the answer is unproven, and the next solve
    gets a new worker. (The worker here runs :func:`sleeps` for HiGHS.)"""
    if not ilp.highs.available():
        pytest.skip("highspy is not installed")
    a, b = 0b01, 0b10
    program = Program(2, (Weight.of(Valuation(Form.XOR, ((a, 3), (a | b, 4)))), Weight.of(Valuation(Form.XOR, ((b, 2),)))))
    formulation = build(program, BlockCache())
    monkeypatch.setattr("ilp.workers.OVERRUN", 0.2)
    monkeypatch.setattr("ilp.highs.solve_here", _slow_highs)
    start = time.monotonic()
    answer = ilp.highs.run(formulation, SolveOptions("highs", time_limit=0.3))
    assert answer.status is Status.UNKNOWN and answer.values is None and "did not answer" in answer.error
    assert time.monotonic() - start < 30
    monkeypatch.undo()
    assert ilp.highs.run(formulation, SolveOptions("highs", time_limit=30)).status is Status.OPTIMAL


def _slow_highs(ilp_, time_limit, threads, hint):
    """Stands for ``ilp.highs.solve_here`` in the worker: never answers in time."""
    return sleeps(60.0)


def test_cpsat_on_a_huge_program_under_a_limit_runs_apart(monkeypatch):
    """CP-SAT's presolve can ignore its limit on huge set packings (139 s under 60 s): under a time
    limit, a program of more than ``APART_VARIABLES`` variables is solved in a worker of its
    own, with the same answer; without a limit, or at that size, here. Stopped ``OVERRUN`` past
    the limit (here no time at all: the worker's start alone overruns it), the answer is
    unproven."""
    import ilp.cpsat

    a, b = 0b01, 0b10
    program = Program(2, (Weight.of(Valuation(Form.XOR, ((a, 3), (a | b, 4)))), Weight.of(Valuation(Form.XOR, ((b, 2),)))))
    formulation = build(program, BlockCache())
    expected = ilp.cpsat._solve(formulation, SolveOptions("cpsat"), None, None, False)
    run_apart, apart = ilp.cpsat.run_apart, []
    monkeypatch.setattr("ilp.cpsat.run_apart", lambda *args: apart.append(args) or run_apart(*args))
    monkeypatch.setattr("ilp.cpsat.APART_VARIABLES", 1)
    answer = ilp.cpsat.run(formulation, SolveOptions("cpsat", time_limit=30.0))
    assert answer.status is Status.OPTIMAL and answer.values == expected.values and len(apart) == 1
    assert ilp.cpsat.run(formulation, SolveOptions("cpsat")).status is Status.OPTIMAL and len(apart) == 1
    monkeypatch.setattr("ilp.cpsat.APART_VARIABLES", len(formulation.ilp.names))
    assert ilp.cpsat.run(formulation, SolveOptions("cpsat", time_limit=30.0)).status is Status.OPTIMAL
    assert len(apart) == 1
    monkeypatch.setattr("ilp.workers.OVERRUN", 0.0)
    answer = run_apart(formulation, SolveOptions("cpsat", time_limit=1e-6))
    assert answer.status is Status.UNKNOWN and answer.values is None and "did not answer" in answer.error


def test_highs_tried_again_after_its_worker_died_gets_what_is_left(monkeypatch, tmp_path):
    """The HiGHS worker that dies (out of memory, killed) is replaced and the program tried once
    more, with what is left of the time limit: not the whole limit again. (The first worker here
    dies after half a second; the second answers with the limit it was given.)"""
    if not ilp.highs.available():
        pytest.skip("highspy is not installed")
    a, b = 0b01, 0b10
    program = Program(2, (Weight.of(Valuation(Form.XOR, ((a, 3), (a | b, 4)))), Weight.of(Valuation(Form.XOR, ((b, 2),)))))
    formulation = build(program, BlockCache())
    ilp.highs._stop()  # a new worker, which sees the marker's path in its environment
    monkeypatch.setenv("CABENCH_TEST_MARKER", str(tmp_path / "died"))
    monkeypatch.setattr("ilp.highs.solve_here", _dies_once)
    answer = ilp.highs.run(formulation, SolveOptions("highs", time_limit=10.0))
    assert answer.status is Status.UNKNOWN and 8.0 < answer.bound < 9.6  # the limit the second call got
    monkeypatch.undo()
    ilp.highs._stop()
    assert ilp.highs.run(formulation, SolveOptions("highs", time_limit=30)).status is Status.OPTIMAL


def _dies_once(ilp_, time_limit, threads, hint):
    """Stands for ``ilp.highs.solve_here`` in the worker: the first call (no marker file yet)
    ends its worker after half a second; the next answers with the limit it was given."""
    import os
    from pathlib import Path

    marker = Path(os.environ["CABENCH_TEST_MARKER"])
    if not marker.exists():
        marker.touch()
        time.sleep(0.5)
        os._exit(3)
    return Answer(Status.UNKNOWN, bound=time_limit)


def test_a_limit_the_probe_spent_starts_no_race(monkeypatch):
    """The portfolio under a limit that its CP-SAT probe used up starts no race (whose
    processes took about half a second to start and stop, per program: a report with
    ``--time-limit 0.001`` was six times slower than without a limit); the answer is the best
    packing known, unproven, with a bound (the relaxation's when the probe has none) above the
    optimum."""
    from benchmarks.table import table_programs
    from ilp import portfolio, solve
    from instances.generate import generate_instance

    def no_race(*args, **kwargs):
        raise AssertionError("a race with the limit spent")

    program = table_programs(generate_instance("regions", 64, 500, 6, 0))[0][1]
    optimum = solve(program, SolveOptions("portfolio", jobs=1)).value
    monkeypatch.setattr(portfolio, "race", no_race)
    found = solve(program, SolveOptions("portfolio", time_limit=0.001, jobs=1))
    assert found.status is Status.FEASIBLE and found.value <= optimum <= found.bound
