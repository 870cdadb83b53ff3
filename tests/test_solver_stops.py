"""Solves of HiGHS, SCIP and CBC end when they are asked to stop (``ilp.stopping``) or when the
main thread waiting for them is interrupted (a Ctrl-C in the Python API): none is left running,
holding a core, a lock or a temporary folder, and none answers a later solve (found by a user's
audit: only CP-SAT, the clique search and the pricing walk listened)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import psutil
import pytest

from benchmarks.table import ReportPlan
from ilp import Program, SolveOptions, Status, solve, stopping
from instances.generate import generate_instance
from tests.conftest import ROOT
from tests.test_ilp import random_program

BACKENDS = ["highs", "scip", "cbc"]


@pytest.fixture(scope="module")
def hard() -> Program:
    """MSW of arbitrary 64 / 1000 / 10, seed 0: none of the three proves it in 60 s here."""
    return ReportPlan.of(generate_instance("arbitrary", 64, 1000, 10, 0, knowledge="exact")).msw


def _cbc_children() -> list[psutil.Process]:
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "cbc" in child.name().lower():
                found.append(child)
        except psutil.Error:
            pass
    return found


def _soon(holds, seconds: float = 5.0) -> bool:
    """Whether ``holds()`` is true within ``seconds`` (a thread or process ending as it is told)."""
    end = time.monotonic() + seconds
    while not holds():
        if time.monotonic() > end:
            return False
        time.sleep(0.02)
    return True


def _solving(backend: str) -> bool:
    """Whether ``backend``'s solver is at work in this process: its CBC child, SCIP's thread, or
    the HiGHS worker under its lock (so that a stop lands in the solve, not before it)."""
    import ilp.highs

    if backend == "cbc":
        return bool(_cbc_children())
    if backend == "scip":
        return any(t.name == "cabench-scip" and t.is_alive() for t in threading.enumerate())
    return ilp.highs._lock.locked() and ilp.highs._worker is not None and ilp.highs._worker.alive


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_solve_on_a_batch_thread_ends_when_asked_to_stop(hard, backend):
    import ilp.highs

    stop = stopping.Stop()
    answers = []

    def solving() -> None:
        stopping.enter(stop)
        answers.append(solve(hard, SolveOptions(backend)))

    thread = threading.Thread(target=solving, daemon=True)
    thread.start()
    assert _soon(lambda: _solving(backend), 60), f"{backend} never started"
    time.sleep(0.5)
    stop.request()
    asked = time.monotonic()
    thread.join(20)
    assert not thread.is_alive(), f"{backend} solved on after the stop"
    assert time.monotonic() - asked < 10
    assert answers and answers[0].status is not Status.OPTIMAL  # (not proven in 60 s: stopped)
    assert _soon(lambda: not _cbc_children())
    assert _soon(lambda: not any(t.name == "cabench-scip" and t.is_alive() for t in threading.enumerate()))
    if backend == "highs":
        assert ilp.highs._worker is None or not ilp.highs._worker.alive
    small = random_program(3)
    assert solve(small, SolveOptions(backend, time_limit=30)).value == solve(small, "brute").value


SCRIPT = """
import json, os, signal, sys, threading, time
sys.path.insert(0, sys.argv[1])
import psutil
from benchmarks.table import ReportPlan
from ilp import Program, SolveOptions, solve
from instances.generate import generate_instance
from tests.test_ilp import random_program
from tests.test_solver_stops import _solving

hard = ReportPlan.of(generate_instance("arbitrary", 64, 1000, 10, 0, knowledge="exact")).msw
small = [random_program(seed) for seed in range(5)]
expected = [solve(p, "brute").value for p in small]
out = {}
def interrupt(backend, sent):  # once the solver is at work: the signal lands in the solve, not before it
    end = time.monotonic() + 60
    while not _solving(backend) and time.monotonic() < end:
        time.sleep(0.02)
    time.sleep(0.3)
    sent.append(time.monotonic())
    os.kill(os.getpid(), signal.SIGINT)

for backend in sys.argv[2:]:
    sent = []
    timer = threading.Thread(target=interrupt, args=(backend, sent))
    timer.start()
    try:
        solve(hard, SolveOptions(backend, time_limit=20))  # (a limit: the answer would come, late)
        interrupted = False
    except KeyboardInterrupt:
        interrupted = True
    timer.join()
    waited = time.monotonic() - sent[0]
    time.sleep(0.5)
    solved = [solve(p, SolveOptions(backend, time_limit=30)).value for p in small]
    kids = [c.name() for c in psutil.Process().children(recursive=True)]
    out[backend] = {"interrupted": interrupted, "waited": waited, "right": solved == expected,
                    "cbc": [k for k in kids if "cbc" in k.lower()],
                    "threads": [t.name for t in threading.enumerate() if t.name == "cabench-scip" and t.is_alive()]}
print(json.dumps(out))
"""


def test_ctrl_c_in_the_main_thread_stops_the_solve_it_waits_for(tmp_path):
    """The KeyboardInterrupt comes within two seconds of the signal, sent once the solver is at
    work, and the next solves of the same
    backend answer their own programs: the HiGHS worker went on with the interrupted request,
    and its answer came back as the answer to the next one (refused by the
    claims check: that program came back unproven)."""
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT), *BACKENDS], capture_output=True, text=True,
                            timeout=240, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for backend, seen in json.loads(result.stdout).items():
        assert seen["interrupted"] and seen["waited"] < 3, (backend, seen)
        assert seen["right"] and not seen["cbc"] and not seen["threads"], (backend, seen)
