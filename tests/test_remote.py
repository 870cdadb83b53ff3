"""Programs solved in worker processes (ilp.remote): the same solutions whatever the number of
workers, and each weight sent to a worker (and compiled there) at most once."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import pytest

import ilp.batch
import ilp.remote
from benchmarks import compute_report
from benchmarks.table import ReportPlan, report_programs
from ilp import SolveOptions, solve_batch
from instances.generate import generate_instance


def knowledge_instance():
    """30 players, one per bid (the shape of CATS's legacy files), each with lower bounds on
    all the others: MIKW_i and MIEW_i weigh 30 distinct weights of player i's each."""
    return generate_instance("decay", 16, 30, None, 0, knowledge="noisy-lower:0.8")


def witnesses(solutions):
    return [(s.status, s.allocation, s.value, s.bound) for s in solutions]


@pytest.mark.parametrize("backend", ["cpsat", "highs"])
def test_same_solutions_and_report_whatever_the_jobs(backend):
    """Values and witnesses (allocations, bounds) do not depend on how many workers solve."""
    inst = knowledge_instance()
    programs = report_programs(inst)
    alone = solve_batch(programs, SolveOptions(backend, jobs=1))
    assert all(s.optimal for s in alone)
    for jobs in (2, 3):
        assert witnesses(solve_batch(programs, SolveOptions(backend, jobs=jobs))) == witnesses(alone)
    report = compute_report(inst, SolveOptions(backend, jobs=1)).to_dict()
    assert compute_report(inst, SolveOptions(backend, jobs=2)).to_dict() == report


def test_each_weight_goes_to_a_worker_once(monkeypatch):
    """A worker receives each weight at most once and compiles it at most once; a weight goes to
    a second worker only when both solve programs holding it that are not parent and child."""
    seen, requests = [], []

    class Recorded(ilp.batch.Remote):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            seen.append(self)

        def _request(self, w, tasks, *args):
            requests.extend((w, task.program) for task in tasks)
            return super()._request(w, tasks, *args)

    monkeypatch.setattr(ilp.batch, "Remote", Recorded)
    inst = knowledge_instance()
    programs = report_programs(inst)
    solve_batch(programs, SolveOptions("cpsat", jobs=2))
    (remote,) = seen
    traffic = remote.traffic
    weights = {w for _, p in requests for w in p.weights if w is not None}
    for w, sent in enumerate(traffic.sent):
        assert set(sent.values()) == {1}  # never twice to one worker
        assert set(sent) == {remote.key(x) for v, p in requests if v == w for x in p.weights if x is not None}
        assert traffic.compiled[w] <= len(sent)  # nor compiled twice there
    sent = sum(len(s) for s in traffic.sent)
    # sent whole, every program would carry all its weights (MIKW_i's again with MIEW_i)
    whole = sum(len([w for w in p.weights if w is not None]) for _, p in requests)
    print(f"programs {len(requests)}, weights {len(weights)}, sent {sent}, whole {whole}, "
          f"compiled {traffic.compiled}, stolen {traffic.stolen}")
    assert sent < whole
    # Twice only where two workers each solve a program holding the weight: every program's
    # weights are those of MSW or of some MIKW_i (MIEW_i and MSW_{-i} remove a player, BA^{i} is
    # TV_i alone), and a weight lies in several of those rows when it is a true value or when
    # lower bounds of different players are equal; MIEW_i otherwise goes where MIKW_i went and
    # brings nothing new, unless a worker took it from the other's queue (at most n weights).
    plan = ReportPlan.of(inst)
    rows = Counter(w for row in (plan.msw, *plan.mikw) for w in set(row.weights) if w is not None)
    shared = sum(min(count, 2) - 1 for count in rows.values())
    assert sent - len(weights) <= shared + inst.n * traffic.stolen


def test_a_report_shares_its_workers_between_batches(monkeypatch):
    """compute_report's two batches (its programs, then MSW_{-i}) use one set of workers."""
    seen = []

    class Recorded(ilp.batch.Remote):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            seen.append(self)

    monkeypatch.setattr(ilp.batch, "Remote", Recorded)
    inst = knowledge_instance()
    report = compute_report(inst, SolveOptions("cpsat", jobs=2))
    assert report.all_proven
    (remote,) = seen
    assert all(worker is not None and not worker.alive for worker in remote._workers)  # stopped


def test_worker_store_lives_with_the_worker():
    """``Worker.call_with_store``: the store persists between calls of one worker only."""
    from ilp.workers import Worker

    worker = Worker()
    try:
        assert worker.call_with_store(_remember, "a") == ["a"]
        assert worker.call_with_store(_remember, "b") == ["a", "b"]
        assert worker.call(sum, [1, 2]) == 3
    finally:
        worker.stop()
    other = Worker()
    try:
        assert other.call_with_store(_remember, "c") == ["c"]
    finally:
        other.stop()


def _remember(store, item):
    store.setdefault("items", []).append(item)
    return store["items"]


def test_cli_json_is_the_same_bytes_with_one_and_two_jobs(tmp_path):
    """``cabench benchmarks FILE --json`` of a file with knowledge writes the same bytes whether
    the programs are solved in the command's process or in two workers started ahead of them
    (while the file is read), with knowledge checked in a background thread."""
    from instances import instance_text
    from tests.conftest import run_cli

    path = tmp_path / "knowledge.json"
    path.write_text(instance_text(knowledge_instance()))
    outputs = []
    for jobs in ("1", "2"):
        done = run_cli("benchmarks", str(path), "--json", "--solver", "cpsat", "--jobs", jobs)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert len(json.loads(outputs[0])["players"]) == 30


def test_workers_started_ahead_get_ready_once(monkeypatch):
    """``Remote.start`` starts each worker once, warms it once, and requests wait for the
    warm-up; stopping before any request kills them without a hang."""
    started = []

    class Fake:
        def __init__(self):
            self.calls = []
            started.append(self)

        def call_with_store(self, function, *args):
            self.calls.append(function.__name__)
            return function({}, *args)

        def stop(self):
            self.calls.append("stop")

    remote = ilp.remote.Remote(2, Fake)
    remote.start("cpsat")
    remote.start("cpsat")  # already started: nothing more
    for ready in remote._ready:
        ready.result()
    assert [w.calls for w in started] == [["warm_up"], ["warm_up"]]
    remote.stop()
    assert [w.calls for w in started] == [["warm_up", "stop"], ["warm_up", "stop"]]


def wait_for(condition, seconds: float = 30.0) -> None:
    """Wait until ``condition()`` holds (a loaded machine may take long to run a thread)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_workers_started_ahead_take_turns(monkeypatch):
    """``Remote.start(at_once=1)``: the second worker starts only once the first is ready (this
    process reads the file on the other core meanwhile); a batch that needs the workers, or a
    stop, lets every worker that still waits for its turn start (or return) at once."""
    release = threading.Event()
    started = []

    class Slow:
        def __init__(self):
            started.append(self)

        def call_with_store(self, function, *args):
            if len(started) == 1:
                assert release.wait(60)
            return function({}, *args)

        def stop(self):
            pass

    remote = ilp.remote.Remote(3, Slow)
    remote.start("cpsat", at_once=1)
    wait_for(lambda: started)
    time.sleep(0.2)
    assert len(started) == 1  # the first is still getting ready: the others wait
    release.set()
    for ready in remote._ready:
        ready.result(timeout=60)
    assert len(started) == 3
    remote.stop()

    started.clear()
    release.clear()
    remote = ilp.remote.Remote(2, Slow)
    remote.start("cpsat", at_once=1)
    wait_for(lambda: started)
    remote._open_all()  # what ``Remote.solve`` does first
    remote._ready[1].result(timeout=60)  # started although the first is not ready
    assert len(started) == 2
    release.set()
    remote.stop()


def test_stop_ends_workers_waiting_for_their_turn():
    """A worker still waiting for its turn to start is never started once the batch stops."""
    gate = threading.Event()
    started = []

    class Blocking:
        def __init__(self):
            started.append(self)

        def call_with_store(self, function, *args):
            gate.wait(10)

        def stop(self):
            gate.set()

    remote = ilp.remote.Remote(2, Blocking)
    remote.start("cpsat", at_once=1)
    wait_for(lambda: started)
    remote.stop()
    assert len(started) == 1
