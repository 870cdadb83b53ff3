"""NumPy's BLAS on one thread while cabench solves (``ilp.blas``): within a batch, on every thread
of it, and in every worker process; the caller's own setting given back after a batch."""

from __future__ import annotations

import random
import threading

import numpy  # noqa: F401  (loads the BLAS library whose threads are counted)
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import ilp.batch
from ilp import Program, SolveOptions, Weight, blas, native, solve_batch
from ilp.blas import ENVIRONMENT, one_thread
from ilp.workers import Worker, WorkerPool
from instances.valuation import Form, Valuation


def blas_threads() -> list[int]:
    """The threads of each BLAS library loaded in a worker process (NumPy's, imported with this
    module there); runs in the worker."""
    return [library["num_threads"] for library in threadpool_info() if library["user_api"] == "blas"]


def numpy_blas_threads() -> list[int]:
    """The threads of the BLAS libraries :func:`ilp.blas.one_thread` sets, in this process (where
    other tests may have loaded SciPy's own since)."""
    return [library["num_threads"] for library in blas._blas().info()]


def _programs(seed: int, count: int) -> list[Program]:
    """``count`` random programs of 6 players' XOR bids over 8 goods: each needs a solve."""
    rng = random.Random(seed)
    programs = []
    for _ in range(count):
        weights = tuple(Weight.of(Valuation(Form.XOR, tuple((rng.randrange(1, 256), rng.randrange(1, 60))
                                                             for _ in range(4))))
                        for _ in range(6))
        programs.append(Program(8, weights))
    return programs


def test_there_is_a_blas_library_to_count():
    """The checks below count NumPy's BLAS library: it must be found (threadpoolctl)."""
    assert numpy_blas_threads()


@pytest.mark.parametrize("jobs", [None, 1])
def test_a_batch_runs_blas_on_one_thread_and_gives_the_caller_s_setting_back(monkeypatch, jobs):
    """Every solve of a batch (on its own thread and, with automatic ``jobs``, the threads beside
    it) sees one BLAS thread, where the caller had two; after the batch, the caller has two again."""
    seen, threads = [], set()
    solve = ilp.batch.solve

    def counting(program, options, *args, **kwargs):
        seen.append(tuple(numpy_blas_threads()))
        threads.add(threading.current_thread().name)
        return solve(program, options, *args, **kwargs)

    monkeypatch.setattr(ilp.batch, "solve", counting)
    programs = _programs(0, 8)
    with threadpool_limits(limits=2, user_api="blas"):
        assert set(numpy_blas_threads()) == {2}
        solutions = solve_batch(programs, SolveOptions("cpsat", jobs=jobs))
        assert set(numpy_blas_threads()) == {2}
    assert len(seen) >= 4 and set(seen) == {tuple(1 for _ in numpy_blas_threads())}
    beside = jobs is None and ilp.batch.default_jobs() > 1 and native.available()  # (ilp.batch._Beside)
    assert ("cabench-solve" in threads) == beside
    assert [s.value for s in solutions] == [s.value for s in solve_batch(programs, "brute")]


def test_a_block_within_one_thread_changes_nothing():
    """Nested (a batch within a batch) or under the caller's own one thread: left as it is."""
    with threadpool_limits(limits=2, user_api="blas"):
        with one_thread():
            with one_thread():
                assert set(numpy_blas_threads()) == {1}
            assert set(numpy_blas_threads()) == {1}
        assert set(numpy_blas_threads()) == {2}
        with threadpool_limits(limits=1, user_api="blas"), one_thread():
            assert set(numpy_blas_threads()) == {1}
        assert set(numpy_blas_threads()) == {2}


def test_worker_processes_start_their_blas_on_one_thread(monkeypatch):
    """A worker (a batch's, a racer, a sweep's pool) starts BLAS on one thread, even when the
    parent's environment asks for more; the worker's own extra variables still apply."""
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    monkeypatch.setenv("MKL_NUM_THREADS", "2")
    worker = Worker(env={"CABENCH_CORES": "1"})
    try:
        assert set(worker.call(blas_threads)) == {1}
    finally:
        worker.stop()
    pool = WorkerPool(1)
    try:
        assert set(pool.submit(blas_threads).result(timeout=120)) == {1}
    finally:
        pool.shutdown(cancel_futures=True)
    assert "OMP_NUM_THREADS" not in ENVIRONMENT  # (that one would reach the solvers' own OpenMP code)
