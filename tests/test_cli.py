"""``cabench benchmarks`` as a user runs it: text and JSON on the bundled examples."""

from __future__ import annotations

import json

import pytest

import ilp.backends
from cabench.cli import main
from tests.conftest import EXAMPLES, TimedOutBackend, run_cli

# The JSON of issue #2 for the seed 004 instance (a subset of what cabench prints).
SEED004_JSON = {
    "instance": "seed-004-example",
    "MSW": {"value": 200, "allocation": {"p1": ["1"], "p2": ["2"]}},
    "players": {
        "p1": {
            "MIEW": {"value": 25, "outcome": {"allocation": {"p2": ["2"]}, "prices": {"p2": 25}}},
            "MIKW": {"value": 125, "outcome": {"allocation": {"p1": ["1"], "p2": ["2"]}, "prices": {"p1": 100, "p2": 25}}},
            "knowledge_correct": True,
        }
    },
    "agents": [{"members": ["p1"], "MKW": {"value": 125, "outcome": {"allocation": {"p1": ["1"], "p2": ["2"]}, "prices": {"p1": 100, "p2": 25}}}}],
    "MIEW": {"value": 150, "player": "p3"},
    "BB": {"value": 150, "player": "p3"},
    "MKW": {"value": 180, "agent": ["p2"]},
}


def contains(big, small) -> bool:
    """``small`` is ``big`` with some object keys and list tails left out."""
    if isinstance(small, dict):
        return isinstance(big, dict) and all(k in big and contains(big[k], v) for k, v in small.items())
    if isinstance(small, list) and small and isinstance(small[0], dict):
        return isinstance(big, list) and all(contains(b, s) for b, s in zip(big, small))
    return big == small


@pytest.mark.parametrize("solver", ["cpsat", "cbc", "scip", "highs", "portfolio", "brute"])
def test_seed004_json(solver):
    result = run_cli("benchmarks", str(EXAMPLES / "seed004-example.json"), "--json", "--solver", solver)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert contains(data, SEED004_JSON), json.dumps(data, indent=1)
    assert data["players"]["p2"]["knowledge_correct"] is False
    assert [p["MIEW"]["value"] for p in data["players"].values()] == [25, 100, 150]
    assert [p["MIKW"]["value"] for p in data["players"].values()] == [125, 180, 150]
    assert data["proven"] is True and data["solver"] == solver


def test_jobs_flag_gives_the_same_report(tmp_path):
    """--jobs 2 solves the report's programs in two worker processes; same JSON as --jobs 1."""
    file = tmp_path / "regions.json"
    assert run_cli("generate", "--distribution", "regions", "--goods", "16", "--bids", "60", "--players", "4",
                   "--knowledge", "noisy-lower:0.5", "-o", str(file)).returncode == 0
    outputs = [run_cli("benchmarks", str(file), "--json", "--solver", "cpsat", "--jobs", jobs) for jobs in "12"]
    assert all(r.returncode == 0 for r in outputs), outputs[1].stderr
    assert json.loads(outputs[0].stdout) == json.loads(outputs[1].stdout)
    bad = run_cli("benchmarks", str(file), "--jobs", "0")
    assert bad.returncode == 2 and "--jobs" in bad.stderr


def test_seed004_text():
    result = run_cli("benchmarks", str(EXAMPLES / "seed004-example.json"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for needle in ["MSW", "200", "150 (p3)", "180 ({p2})", "MIEW_p3 = 150: p1 <- {1} at 80; p2 <- {2} at 70",
                   "p2: TV_p3({2}) = 0 < 20"]:
        assert needle in out, needle


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_every_bundled_example_runs(example):
    result = run_cli("benchmarks", str(EXAMPLES / example), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["proven"] is True
    assert ("market" in data) == ("market" in example)


def test_market_json():
    result = run_cli("benchmarks", str(EXAMPLES / "seed003-market.json"), "--json")
    market = json.loads(result.stdout)["market"]
    assert market["outcome"] == {"allocation": {"p2": ["a"]}, "prices": {"p1": -10, "p2": 10}}
    assert market["welfare_gain"] == 7


def test_help():
    result = run_cli("benchmarks", "--help")
    assert result.returncode == 0 and "--time-limit" in result.stdout


def test_unproven_benchmarks_exit_3_and_are_withheld(monkeypatch, capsys):
    """A backend that never proves optimality: every value is withheld, incumbents and bounds
    are shown, and the command exits with 3."""
    monkeypatch.setitem(ilp.backends.BACKENDS, "timed-out", TimedOutBackend)
    code = main(["benchmarks", str(EXAMPLES / "seed004-example.json"), "--json", "--solver", "timed-out"])
    assert code == 3
    data = json.loads(capsys.readouterr().out)
    assert data["proven"] is False
    assert data["MSW"] == {"value": None, "status": "feasible", "incumbent": 0, "bound": 10**6, "gap": 1.0,
                           "allocation": {}}
    assert data["BB"]["value"] is None and data["MKW"]["value"] is None
    code = main(["benchmarks", str(EXAMPLES / "seed004-example.json"), "--solver", "timed-out"])
    assert code == 3
    assert "NOT PROVEN" in capsys.readouterr().out


def test_python_dash_m_is_the_console_script():
    """``python -m cabench`` runs the same command group as the ``cabench`` script."""
    import subprocess
    import sys

    from cabench.cli import cli

    result = subprocess.run([sys.executable, "-m", "cabench", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for command in cli.commands:  # every command, instance and mechanism ones alike
        assert command in result.stdout
    assert {"benchmarks", "evaluate", "sweep", "plot"} <= set(cli.commands)
    bad = subprocess.run([sys.executable, "-m", "cabench", "benchmarks", "no-such-file.json"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
