"""The performance suite: its programs and baseline are right (fast), and it runs end to end
(slow, opt in with ``pytest -m slow``). No timing is asserted anywhere."""

from __future__ import annotations

import json

import pytest

from benchmarks import compute_report
from benchmarks.table import table_programs
from cabench.perf import measure_instance, naive_solve, summary
from ilp import SolveOptions, solve
from instances.generate import generate_instance
from tests.conftest import run_cli


def test_table_programs_and_naive_baseline_agree_with_the_report():
    inst = generate_instance("regions", 12, 30, 3, seed=1, knowledge="exact", coalitions="pairs:1")
    report = compute_report(inst)
    programs = dict(table_programs(inst))
    assert len(programs) == 1 + 2 * inst.n + 1  # MSW, MIEW_i, MIKW_i, MKW of the one pair
    expected = {"MSW": report.msw.value}
    for row in report.players:
        expected[row.miew.name] = row.miew.value
        expected[row.mikw.name] = row.mikw.value
    for row in report.agents:
        if len(row.members) > 1:
            expected[row.mkw.name] = row.mkw.value
    for name, program in programs.items():
        assert solve(program).value == expected[name], name
        proven, value = naive_solve(program, None)
        assert proven and value == expected[name], name


def test_measure_instance_rows():
    """Exact knowledge: MIKW_i is MSW's program, so the table has fewer distinct programs."""
    inst = generate_instance("paths", 10, 30, 3, seed=2, knowledge="exact")
    base = {"instance": inst.name, "distribution": "paths", "goods": 10, "bids": 30, "players": 3, "seed": 2}
    rows = measure_instance(inst, base, ["cpsat", "highs"], "cpsat", None, 1)
    assert [r.method for r in rows] == ["report:cpsat", "cabench:cpsat", "cpsat", "highs", "naive-pulp-cbc"]
    assert all(r.proven == r.programs == 1 + 2 * 3 for r in rows)
    assert rows[0].distinct <= 1 + 3 < rows[0].programs
    # the report must solve MSW, MSW_-i of its winners and the three BA^{i}: no more than that
    winners = sum(1 for a in compute_report(inst, SolveOptions("cpsat", jobs=1)).msw.outcome.allocation if a)
    assert rows[0].needed <= 1 + winners + 3
    (entry,) = summary(rows, cores=2)
    assert entry["all_proven"] and entry["naive_over_cabench"] > 0 and entry["cabench_over_ideal"] > 0
    assert entry["report_over_ideal"] > 0
    # the scaling mode: cabench alone
    alone = measure_instance(inst, base, [], "cpsat", None, 1, naive=False)
    assert [r.method for r in alone] == ["report:cpsat", "cabench:cpsat"]
    (entry,) = summary(alone, cores=2)
    assert "naive_over_cabench" not in entry and "cabench_over_ideal" not in entry
    assert "report_over_ideal" not in entry


def test_perf_rejects_unknown_distributions(tmp_path):
    result = run_cli("perf", "--suite", "quick", "--distributions", "regions,nope", "-o", str(tmp_path))
    assert result.returncode == 2 and "'--distributions'" in result.stderr and "nope: expected" in result.stderr
    assert not (tmp_path / "perf-rows.csv").exists()


@pytest.mark.slow
def test_perf_runs_end_to_end(tmp_path):
    result = run_cli("perf", "--suite", "quick", "--seeds", "1", "--jobs", "2", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "perf-summary.json").read_text())
    assert len(summary) == 5 and all(entry["all_proven"] for entry in summary)
    # per instance: the report, cabench's batch, four single backends, the naive baseline
    assert (tmp_path / "perf-rows.csv").read_text().count("\n") == 1 + 5 * 7
    assert "naive/cabench" in result.stdout
