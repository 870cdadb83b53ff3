"""NumPy's BLAS on one thread while cabench solves (``ilp.blas``): within a batch, on every thread
of it, in the cuts' products outside any batch, and in every worker process; the caller's own
setting given back afterwards."""

from __future__ import annotations

import os
import random
import threading
from contextlib import contextmanager

import numpy  # noqa: F401  (loads the BLAS library whose threads are counted)
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import ilp.batch
import ilp.blas
import ilp.dualclique
from ilp import Program, SolveOptions, Weight, native, solve_batch
from ilp.blas import ENVIRONMENT, one_thread, threads
from ilp.workers import Worker, WorkerPool
from instances.valuation import Form, Valuation


def worker_blas_threads() -> list[int]:
    """The threads of each BLAS library loaded in a worker process (NumPy's, imported with this
    module there); runs in the worker."""
    return [library["num_threads"] for library in threadpool_info() if library["user_api"] == "blas"]


def worker_environment(name: str) -> str | None:
    """A variable of a worker process's environment; runs in the worker."""
    return os.environ.get(name)


@pytest.fixture
def two_threads():
    """The caller's setting: NumPy's BLAS on two threads (skipped where it cannot be set so)."""
    with threadpool_limits(limits=2, user_api="blas"):
        if set(threads()) != {2}:
            pytest.skip(f"NumPy's BLAS cannot be set to two threads here ({threads()})")
        yield


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


def _counting(monkeypatch, module, name: str) -> tuple[list[tuple[int, ...]], set[str]]:
    """Record the BLAS threads (and the thread's name) at every call of ``module.name``."""
    seen: list[tuple[int, ...]] = []
    names: set[str] = set()
    original = getattr(module, name)

    def counting(*args, **kwargs):
        seen.append(tuple(threads()))
        names.add(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return seen, names


@pytest.mark.parametrize("jobs", [None, 1])
def test_a_batch_runs_blas_on_one_thread_and_gives_the_caller_s_setting_back(monkeypatch, two_threads, jobs):
    """Every solve of a batch (on its own thread and, with automatic ``jobs``, the threads beside
    it) sees one BLAS thread, where the caller had two; after the batch, the caller has two again."""
    monkeypatch.setattr(ilp.batch, "PARALLEL_AFTER_SECONDS", 1e9)  # (kept in this process, however slow)
    monkeypatch.setattr(ilp.batch, "PARALLEL_WORK_SECONDS", 1e9)
    seen, names = _counting(monkeypatch, ilp.batch, "solve")
    programs = _programs(0, 8)
    solutions = solve_batch(programs, SolveOptions("cpsat", jobs=jobs))
    assert set(threads()) == {2}
    assert len(seen) >= 4 and set(seen) == {tuple(1 for _ in threads())}
    if jobs is None and native.available() and ilp.batch.default_jobs() > 1:
        assert "cabench-solve" in names  # (the threads beside: ilp.batch._Beside)
    if jobs == 1:
        assert names == {threading.current_thread().name}
    assert [s.value for s in solutions] == [s.value for s in solve_batch(programs, "brute")]


def test_a_batch_on_a_thread_of_its_own_runs_blas_on_one_thread():
    """As a report's batch does while the file is still read (``benchmarks.report.EarlyWelfare``):
    started on another thread than the caller's, its solves see one BLAS thread too."""
    before = threads()
    if set(before) == {1}:
        pytest.skip("NumPy's BLAS runs on one thread here already")
    seen: list[tuple[int, ...]] = []
    out: list = []

    def run() -> None:
        out.extend(solve_batch(_programs(1, 4), SolveOptions("cpsat", jobs=1),
                               after={0: lambda solution: seen.append(tuple(threads())) or []}))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)
    assert len(out) == 4 and seen == [tuple(1 for _ in before)]
    assert threads() == before


def test_the_cuts_products_run_on_one_thread_outside_any_batch(monkeypatch, two_threads):
    """``ilp.dualclique.subset_row_cuts`` (cabench's only matrix products, which every solve and
    tie-break reaching the cuts goes through) multiplies on one BLAS thread, batch or not; the
    caller has two again after it."""
    seen: list[tuple[int, ...]] = []
    real = ilp.blas.one_thread

    @contextmanager
    def recording():
        with real():
            seen.append(tuple(threads()))
            yield

    monkeypatch.setattr(ilp.dualclique.blas, "one_thread", recording)
    # three rows of two of three vertices, each vertex at 1/2: the three together are a cut (3/2 > 1)
    cuts = ilp.dualclique.subset_row_cuts([0b011, 0b110, 0b101], 3, numpy.array([0.5, 0.5, 0.5]))
    assert cuts == [0b111]
    assert seen == [tuple(1 for _ in threads())]
    assert set(threads()) == {2}


def test_blocks_within_a_block_or_under_the_caller_s_own_limit_give_it_back(two_threads):
    """Nested (products within a batch), or entered under the caller's own limit of one thread:
    each ends where it began."""
    with one_thread():
        with one_thread():
            assert set(threads()) == {1}
        assert set(threads()) == {1}
    assert set(threads()) == {2}
    with threadpool_limits(limits=1, user_api="blas"):
        with one_thread():
            assert set(threads()) == {1}
        assert set(threads()) == {1}
    assert set(threads()) == {2}


def test_worker_processes_start_their_blas_on_one_thread(monkeypatch):
    """A worker (a batch's, a racer, a sweep's pool) gets ``ENVIRONMENT``, even when the parent's
    environment asks for more threads, and starts its BLAS on one thread; extra variables given
    to the worker still apply, and still win."""
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    monkeypatch.setenv("MKL_NUM_THREADS", "2")
    worker = Worker(env={"CABENCH_CORES": "1"})
    try:
        assert [worker.call(worker_environment, name) for name in ENVIRONMENT] == ["1"] * len(ENVIRONMENT)
        assert worker.call(worker_environment, "CABENCH_CORES") == "1"
        assert set(worker.call(worker_blas_threads)) == {1}
    finally:
        worker.stop()
    worker = Worker(env={"OPENBLAS_NUM_THREADS": "3"})
    try:
        assert worker.call(worker_environment, "OPENBLAS_NUM_THREADS") == "3"
    finally:
        worker.stop()
    pool = WorkerPool(1)
    try:
        assert pool.submit(worker_environment, "OPENBLAS_NUM_THREADS").result(timeout=120) == "1"
    finally:
        pool.shutdown(cancel_futures=True)
