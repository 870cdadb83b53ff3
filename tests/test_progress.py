"""Progress bars of ``evaluate --mechanism all`` and ``perf``: on standard error when it is a
terminal (a pseudo-terminal here), never in pipes or with JSON output."""

from __future__ import annotations

import os
import pty
import re
import subprocess

import pytest

from tests.conftest import EXAMPLES, cabench_command, run_cli

EXAMPLE = str(EXAMPLES / "seed004-example.json")
BAR = ("━", "ETA", "mechanisms ", "instances ")  # rich's bar, its ETA column, the bars' labels
PERF = ("perf", "--suite", "quick", "--distributions", "paths", "--seeds", "1", "--backends", "none", "--no-naive",
        "--jobs", "1")


def on_terminal(*args: str) -> tuple[str, str]:
    """Run cabench with standard error on a pseudo-terminal: (standard output, what the terminal got)."""
    leader, follower = pty.openpty()
    env = dict(os.environ, TERM="xterm", COLUMNS="120")
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([*cabench_command(), *args], stdout=subprocess.PIPE, stderr=follower, env=env)
    os.close(follower)
    received = b""
    while True:  # read as it comes, so a full terminal buffer never blocks the command
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the command closed the terminal
            break
        if not chunk:
            break
        received += chunk
    out = process.stdout.read().decode()
    process.wait(timeout=300)
    os.close(leader)
    assert process.returncode == 0, received
    return out, received.decode(errors="replace")


def test_evaluate_all_shows_a_bar_only_on_a_terminal():
    piped = run_cli("evaluate", EXAMPLE, "--mechanism", "all")
    assert piped.returncode == 0 and not any(mark in piped.stderr for mark in BAR), piped.stderr
    out, terminal = on_terminal("evaluate", EXAMPLE, "--mechanism", "all")
    assert "mechanisms" in terminal and "━" in terminal and "ETA" in terminal
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal)
    assert re.search(r"mechanisms .* (\d+)/\1 ", plain)  # all done / total, drawn as the bar stops
    assert out == piped.stdout  # the bar leaves the output unchanged


@pytest.mark.parametrize("flag", ["--json", "--format=json"])
def test_evaluate_all_json_is_quiet_on_a_terminal(flag):
    out, terminal = on_terminal("evaluate", EXAMPLE, "--mechanism", "all", flag)
    assert not any(mark in terminal for mark in BAR), terminal
    assert out.lstrip().startswith("{")


def test_evaluate_one_mechanism_has_no_bar():
    _, terminal = on_terminal("evaluate", EXAMPLE, "--mechanism", "best-belief")
    assert not any(mark in terminal for mark in BAR), terminal


def test_sampling_shows_a_bar_of_plays_on_a_terminal():
    """``--samples`` counts the plays (a million of them ran for over an hour without a sign),
    also for one mechanism; in a pipe it stays quiet."""
    piped = run_cli("evaluate", EXAMPLE, "--mechanism", "best-belief", "--samples", "3000")
    assert piped.returncode == 0 and not any(mark in piped.stderr for mark in (*BAR, "plays ")), piped.stderr
    out, terminal = on_terminal("evaluate", EXAMPLE, "--mechanism", "best-belief", "--samples", "3000")
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal)
    assert re.search(r"plays .* 3000/3000 ", plain), plain
    assert out == piped.stdout


def test_sampling_progress_counts_the_plays_of_every_mechanism(monkeypatch):
    import cabench
    import cabench.present

    monkeypatch.setattr(cabench.present, "PROGRESS_SECONDS", 0)  # a call after every play
    calls = []
    cabench.evaluate(EXAMPLE, "all", samples=25, progress=lambda done, total, current: calls.append((done, total)))
    (total,) = {total for _, total in calls}
    mechanisms = total // 25
    assert total == 25 * mechanisms and mechanisms >= 5
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] == total
    assert set(range(1, total + 1)) <= set(done)  # every play of every mechanism counted once


def test_perf_bar_on_a_terminal_and_log_lines_in_a_pipe(tmp_path):
    piped = run_cli(*PERF, "-o", str(tmp_path / "piped"))
    assert piped.returncode == 0, piped.stderr
    assert "whole report" in piped.stderr and not any(mark in piped.stderr for mark in BAR)
    _, terminal = on_terminal(*PERF, "-o", str(tmp_path / "terminal"))
    assert "instances" in terminal and "━" in terminal and "ETA" in terminal
    assert (tmp_path / "terminal" / "perf-summary.json").exists()
