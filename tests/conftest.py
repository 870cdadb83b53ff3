"""Shared test configuration: hypothesis profiles (fixed examples by default), the path of the examples,
a helper that runs the ``cabench`` console script the way a user does, and a heap thawed after
every test."""

from __future__ import annotations

import gc
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# The default run draws the same examples every time (CI on a fresh machine cannot fail on an
# example no earlier run met: session 50's CI did, on one seed in 30); CABENCH_EXPLORE=1 draws
# new ones each run, to look for what the fixed ones miss (README, "Tests").
settings.register_profile("fixed", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", deadline=None, print_blob=True)
settings.load_profile("explore" if os.environ.get("CABENCH_EXPLORE", "0") not in ("", "0") else "fixed")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "instances" / "examples"

# The processes the tests start (the cabench commands they run, and pytest-xdist's workers) keep
# their compiled modules beside pytest's cache, not in the source tree. Where
# PYTHONDONTWRITEBYTECODE is set (as on the development machine), each of them compiled cabench's
# 60 modules again: 0.1 s of every command (0.65 s to 0.53 s for `cabench benchmarks` on an example).
os.environ["PYTHONPYCACHEPREFIX"] = str(ROOT / ".pytest_cache" / "pycache")
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

# The commands the tests start get Ctrl-C as from a terminal's foreground: run as a background
# job of a script (a CI step's ``... &``), pytest and its workers start with SIGINT ignored, which
# their children inherit, and cabench leaves an ignored SIGINT ignored, as such a job expects
# (tests/test_processes.py). A handler here is not inherited: the children get the default.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _thawed_heap():
    """Each test ends with nothing frozen for the cyclic collector. A command run in this process
    (``cabench.cli.main``) freezes the heap and never thaws it, as its process ends with it; left
    frozen, every later ``ilp.batch.frozen_heap`` of the test process counted it
    (``gc.get_freeze_count`` walks the frozen objects): 50-70 ms per batch in a worker that had
    run a few thousand tests, 34 s of the two random-auction mechanism tests' 45 s."""
    yield
    gc.unfreeze()


@pytest.fixture(autouse=True)
def _stages_behind_the_exhaustive_search(request, monkeypatch):
    """In the tests' own process the portfolio's exhaustive search of tiny programs
    (``ilp.exhaustive``) is off, except in tests marked ``exhaustive``: most tests solve small
    programs to check the stages behind it (the clique search, the relaxation, the probe, the
    race, the tie-break's listings), which it would answer first. The commands the tests run as
    subprocesses keep it, as users do."""
    if request.node.get_closest_marker("exhaustive") is None:
        import ilp.exhaustive

        monkeypatch.setattr(ilp.exhaustive, "MOST_VARIABLES", -1)
    yield


def cabench_command() -> list[str]:
    """The installed console script (next to this interpreter, or on PATH)."""
    beside = Path(sys.executable).parent / "cabench"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("cabench")
    if found:
        return [found]
    pytest.fail("the cabench console script is not installed; run pip install -e .")


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*cabench_command(), *args], capture_output=True, text=True, cwd=cwd, timeout=300)


class TimedOutBackend:
    """A backend adapter that always stops at its time limit with a feasible, unproven answer
    (all variables 0) and the bound 10^6 (which ``ilp.solve`` tightens to the variables' ranges):
    for testing that unproven values are withheld."""

    @staticmethod
    def available() -> bool:
        return True

    NAME = "timed-out"

    @staticmethod
    def run(formulation, options, hint=None):
        from ilp import Answer, Status

        return Answer(Status.FEASIBLE, [0] * len(formulation.ilp.names), 10**6)
