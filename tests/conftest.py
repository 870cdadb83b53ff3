"""Shared test configuration: a reproducible hypothesis profile on CI, the path of the examples,
and a helper that runs the ``cabench`` console script the way a user does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "instances" / "examples"


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
    (all variables 0) and the bound 10^6: for testing that unproven values are withheld."""

    @staticmethod
    def available() -> bool:
        return True

    NAME = "timed-out"

    @staticmethod
    def run(formulation, options, hint=None):
        from ilp import Answer, Status

        return Answer(Status.FEASIBLE, [0] * len(formulation.ilp.names), 10**6)
