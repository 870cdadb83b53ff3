"""The performance suite: its programs and baseline are right (fast), and it runs end to end
(slow, opt in with ``pytest -m slow``). No timing is asserted anywhere."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import pytest

from benchmarks import compute_report
from benchmarks.table import table_programs
from cabench.perf import budget, measure_instance, naive_solve, summary, wdp_highs, wdp_ilp
from ilp import SolveOptions, solve
from instances.generate import generate_instance
from tests.conftest import EXAMPLES, run_cli

CATS = Path(__file__).parent / "data" / "cats"


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
    kinds = ["kind:MSW", "kind:MIEW", "kind:MIKW"]
    assert [r.method for r in rows] == ["report:cpsat", "cabench:cpsat", *kinds, "cpsat", "highs", "naive-pulp-cbc"]
    assert all(r.proven == r.programs == 1 + 2 * 3 for r in rows if r.method not in kinds)
    assert [r.programs for r in rows if r.method in kinds] == [1, 3, 3]
    assert rows[0].distinct <= 1 + 3 < rows[0].programs
    # the report must solve MSW, MSW_-i of its winners and the three BA^{i}: no more than that
    winners = sum(1 for a in compute_report(inst, SolveOptions("cpsat", jobs=1)).msw.outcome.allocation if a)
    assert rows[0].needed <= 1 + winners + 3
    (entry,) = summary(rows, cores=2)
    assert entry["all_proven"] and entry["naive_over_cabench"] > 0 and entry["cabench_over_ideal"] > 0
    assert entry["report_over_ideal"] > 0
    # the scaling mode: cabench alone
    alone = measure_instance(inst, base, [], "cpsat", None, 1, naive=False)
    assert [r.method for r in alone] == ["report:cpsat", "cabench:cpsat", *kinds]
    (entry,) = summary(alone, cores=2)
    assert "naive_over_cabench" not in entry and "cabench_over_ideal" not in entry
    assert "report_over_ideal" not in entry


@pytest.mark.parametrize("knowledge, coalitions", [("candidates:3", "none"), ("candidates:2", "pairs:1"),
                                                   ("noisy-lower:0.6", "pairs:1"), ("wrong:0.3", "none")])
def test_naive_baseline_handles_every_knowledge_kind(knowledge, coalitions):
    """The naive robust model (candidates, coalitions of candidate holders) and the XOR model
    (lower bounds, also incorrect ones) give the values of the brute-force reference."""
    inst = generate_instance("paths", 6, 14, 3, seed=4, knowledge=knowledge, coalitions=coalitions)
    for name, program in table_programs(inst):
        proven, value = naive_solve(program, None)
        assert proven and value == _by_definition(program), name


def _by_definition(program) -> int:
    """max over every allocation (owner vector) of the sum of the weights, evaluated by definition."""
    n = len(program.weights)
    top = 0
    for owners in itertools.product(range(n + 1), repeat=program.n_goods):
        bundles = [0] * n
        for g, o in enumerate(owners):
            if o:
                bundles[o - 1] |= 1 << g
        top = max(top, sum(w.value(b) for w, b in zip(program.weights, bundles) if w is not None))
    return top


def test_naive_baseline_handles_every_valuation_form():
    """EXACT (explicit, table), OR (or, additive) and XOR valuations, with lower-bound and
    candidate knowledge, coalitions and markets: the naive baseline's value is the optimum by
    definition on random small instances, and cabench's on every bundled example."""
    from pathlib import Path

    from instances import load_instance
    from instances.synthetic import random_instance
    from instances.valuation import Semantics

    semantics = set()
    for seed in range(20):
        inst = random_instance(seed)
        semantics |= {v.semantics for v in inst.valuations}
        for name, program in table_programs(inst):
            proven, value = naive_solve(program, None)
            assert proven and value == _by_definition(program), (seed, name)
    assert semantics == set(Semantics)
    files = sorted(Path(EXAMPLES).glob("*.json"))
    assert len(files) >= 8
    for path in files:
        for name, program in table_programs(load_instance(path)):
            proven, value = naive_solve(program, None)
            assert proven and value == solve(program).value, (path.name, name)


def test_perf_files_of_every_valuation_form_with_the_naive_baseline(tmp_path):
    """Files whose valuations are explicit, table or OR bids get the naive baseline too."""
    files = [str(EXAMPLES / name) for name in ("seed004-example.json", "random-candidates.json",
                                                "licences-8x8.json")]
    result = run_cli("perf", *files, "--backends", "none", "--jobs", "1", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    table = json.loads((tmp_path / "perf-summary.json").read_text())
    assert [e["distribution"] for e in table] == ["seed004-example", "random-candidates", "licences-8x8"]
    for entry in table:
        assert entry["all_proven"] and entry["naive_over_cabench"] > 0


def test_measure_instance_kinds_and_exact_report():
    inst = generate_instance("regions", 8, 20, 3, seed=3, knowledge="candidates:2", coalitions="pairs:1")
    exact = generate_instance("regions", 8, 20, 3, seed=3, knowledge="exact", coalitions="pairs:1")
    base = {"instance": inst.name, "distribution": "regions", "goods": 8, "bids": 20, "players": 3, "seed": 3,
            "knowledge": "candidates:2", "coalitions": "pairs:1"}
    rows = measure_instance(inst, base, [], "cpsat", None, 1, naive=False, exact=exact)
    assert [r.method for r in rows] == ["report:cpsat", "report-exact:cpsat", "cabench:cpsat", "kind:MSW",
                                        "kind:MIEW", "kind:MIKW", "kind:MKW"]
    kinds = {r.method: r for r in rows if r.method.startswith("kind:")}
    assert [kinds[f"kind:{k}"].programs for k in ("MSW", "MIEW", "MIKW", "MKW")] == [1, 3, 3, 1]
    assert all(r.proven == r.programs for r in rows)
    # the report-exact row counts the exact-knowledge instance's own programs (it copied these)
    from benchmarks.table import table_programs

    own, twin = rows[0], rows[1]
    assert (twin.programs, twin.distinct) == (len(table_programs(exact)), len({p for _, p in table_programs(exact)}))
    assert twin.distinct < own.distinct and twin.fastest_single_sum is None
    (entry,) = summary(rows, cores=2)
    assert (entry["programs"], entry["distinct"]) == (own.programs, own.distinct)
    assert entry["knowledge"] == "candidates:2" and entry["coalitions"] == "pairs:1"
    assert entry["knowledge_over_exact"] > 0 and entry["all_proven"]
    assert set(entry["kinds"]) == {"MSW", "MIEW", "MIKW", "MKW"}
    assert all(k["all_proven"] for k in entry["kinds"].values())


def test_a_short_report_is_timed_three_times_alternating_with_the_exact_one(monkeypatch):
    """Reports under a second are timed three times, knowledge and exact alternated, and the
    fastest of each counts (timed once, two reports' ratio moved by up to 0.35); a long one once,
    and one beside a short one three times unless it takes 10 s or more (``PAIR_BELOW``: timed
    once beside the fastest of three, its ratio was higher, a user's audit)."""
    import cabench.perf as perf

    inst = generate_instance("regions", 8, 20, 3, seed=3, knowledge="noisy-lower:0.6")
    exact = generate_instance("regions", 8, 20, 3, seed=3, knowledge="exact")
    base = {"instance": inst.name, "distribution": "regions", "goods": 8, "bids": 20, "players": 3, "seed": 3,
            "knowledge": "noisy-lower:0.6", "coalitions": "none"}
    reports = {id(i): perf.compute_report(i, perf.SolveOptions("cpsat")) for i in (inst, exact)}
    order = []

    def timed(durations):
        scripted = iter(durations)

        def fake(instance, options):
            order.append("exact" if instance is exact else "knowledge")
            return next(scripted), reports[id(instance)], 0.01

        return fake

    monkeypatch.setattr(perf, "_timed_report", timed([0.5, 0.2, 0.3, 0.1, 0.4, 0.3]))
    rows = measure_instance(inst, base, [], "cpsat", None, 1, naive=False, exact=exact, batch=False)
    assert order == ["knowledge", "exact"] * 3
    seconds = {r.method: r.seconds for r in rows}
    assert seconds == {"report:cpsat": 0.3, "report-exact:cpsat": 0.1}
    order.clear()
    monkeypatch.setattr(perf, "_timed_report", timed([5.0, 2.0]))
    measure_instance(inst, base, [], "cpsat", None, 1, naive=False, exact=exact, batch=False)
    assert order == ["knowledge", "exact"]
    order.clear()  # a long report beside a short one: the short one still three times (it was once)
    monkeypatch.setattr(perf, "_timed_report", timed([12.0, 0.3, 0.2, 0.25]))
    rows = measure_instance(inst, base, [], "cpsat", None, 1, naive=False, exact=exact, batch=False)
    assert order == ["knowledge", "exact", "exact", "exact"]
    assert {r.method: r.seconds for r in rows} == {"report:cpsat": 12.0, "report-exact:cpsat": 0.2}
    order.clear()  # ... and one under PAIR_BELOW as often: the ratio compares the fastest of three of each
    monkeypatch.setattr(perf, "_timed_report", timed([1.5, 0.3, 1.2, 0.2, 1.4, 0.25]))
    rows = measure_instance(inst, base, [], "cpsat", None, 1, naive=False, exact=exact, batch=False)
    assert order == ["knowledge", "exact"] * 3
    assert {r.method: r.seconds for r in rows} == {"report:cpsat": 1.2, "report-exact:cpsat": 0.2}
    order.clear()
    monkeypatch.setattr(perf, "_timed_report", timed([0.5, 0.4, 0.6]))  # no exact report: itself three times
    assert measure_instance(inst, base, [], "cpsat", None, 1, naive=False, batch=False)[0].seconds == 0.4
    assert order == ["knowledge"] * 3


def test_winner_determination_baseline_and_budget():
    """CATS-shaped instances (one player per bidder): the HiGHS baseline solves the plain
    winner-determination problem to MSW itself, and the report's row carries MSW's winners and
    the budget 2 s + (1 + winners) x that solve."""
    inst = generate_instance("regions", 10, 40, None, seed=5, knowledge="exact")
    report = compute_report(inst, "cpsat")
    seconds, optimum = wdp_highs(inst)
    assert optimum == report.msw.value and seconds > 0
    ilp = wdp_ilp(inst)
    assert len(ilp.names) == sum(len(v.bids) for v in inst.valuations)
    base = {"instance": inst.name, "distribution": "regions", "goods": 10, "bids": 40, "players": inst.n, "seed": 5}
    rows = measure_instance(inst, base, [], "cpsat", None, 1, naive=False, wdp=True)
    winners = sum(1 for bundle in report.msw.outcome.allocation if bundle)
    assert rows[0].method == "report:cpsat" and rows[0].winners == winners and rows[0].wdp_proven
    assert all(r.wdp_highs is None for r in rows[1:])
    (entry,) = summary(rows, cores=2)
    assert entry["winners"] == winners
    assert entry["budget_seconds"] == budget(rows[0].wdp_highs, winners) == 2 + (1 + winners) * rows[0].wdp_highs
    assert entry["report_over_budget"] == rows[0].seconds / entry["budget_seconds"]


@pytest.mark.parametrize("default", ["cpsat", "brute"])
def test_perf_warms_up_before_the_first_timed_report(monkeypatch, default):
    """The solvers' one-time imports are paid by an untimed report before the first timed one
    (``cabench.perf.warm_up``), with the measured backend, by suites and by files alike."""
    import cabench.perf as perf

    reports = []
    monkeypatch.setattr(perf, "compute_report", lambda instance, options: reports.append(
        (instance.m, options.backend)) or compute_report(instance, options))
    monkeypatch.setattr(perf, "measure_instance", lambda instance, *args, **kwargs: reports.append("timed") or [])
    perf.run_suite("quick", 1, [], default, None, only={"paths"}, naive=False)
    goods = 10 if default == "brute" else 32
    assert reports == [(goods, default), "timed"]
    reports.clear()
    perf.run_files([EXAMPLES / "seed004-example.json"], [], default, None, naive=False)
    assert reports == [(goods, default), "timed"]


def test_perf_warms_up_every_measured_backend_and_the_naive_baseline(monkeypatch):
    """Each single backend and the naive baseline time programs in this process: each solves one
    untimed program before the first timed instance, so no column pays a one-time import."""
    import cabench.perf as perf

    calls = []
    monkeypatch.setattr(perf, "compute_report", lambda instance, options: calls.append(("report", options.backend)))
    monkeypatch.setattr(perf, "solve", lambda program, options: calls.append(("solve", options.backend)))
    monkeypatch.setattr(perf, "naive_solve", lambda program, limit: calls.append(("naive", None)))
    monkeypatch.setattr(perf, "measure_instance", lambda instance, *args, **kwargs: calls.append("timed") or [])
    expected = [("report", "cpsat"), ("solve", "highs"), ("solve", "scip"), ("naive", None), "timed"]
    perf.run_suite("quick", 1, ["highs", "scip"], "cpsat", None, only={"paths"}, naive=True)
    assert calls == expected
    calls.clear()
    perf.run_files([EXAMPLES / "seed004-example.json"], ["highs", "scip"], "cpsat", None, naive=True)
    assert calls == expected
    calls.clear()
    perf.run_suite("quick", 1, [], "cpsat", None, only={"paths"}, naive=False)
    assert calls == [("report", "cpsat"), "timed"]


def test_perf_knowledge_and_coalitions_options(tmp_path):
    result = run_cli("perf", "--suite", "quick", "--distributions", "paths", "--seeds", "1", "--backends", "none",
                     "--no-naive", "--jobs", "1", "--knowledge", "exact,candidates:2", "--coalitions", "none,pairs:1",
                     "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    entries = json.loads((tmp_path / "perf-summary.json").read_text())
    assert [(e["knowledge"], e["coalitions"]) for e in entries] == [
        ("exact", "none"), ("candidates:2", "none"), ("exact", "pairs:1"), ("candidates:2", "pairs:1")]
    assert all(e["all_proven"] for e in entries)
    # exact knowledge has no exact twin timed: no ratio (it read 1.00, measured of nothing)
    assert all(("knowledge_over_exact" in e) == (e["knowledge"] != "exact") for e in entries)
    assert all(e["knowledge_over_exact"] > 0 for e in entries if e["knowledge"] != "exact")
    assert "report-exact:portfolio" in entries[1]["median_seconds"]
    assert "knowledge/exact" in result.stdout and "MIEW s" in result.stdout


@pytest.mark.parametrize("option, value, message", [("--knowledge", "candidates:x", "cannot read"),
                                                    ("--coalitions", "pairs:9", "do not fit"),
                                                    ("--knowledge", ",", "an empty item"),
                                                    ("--default", "foo", 'unknown solver "foo"'),
                                                    ("--backends", "cpsat,foo", 'unknown solver "foo"')])
def test_perf_rejects_bad_specs(tmp_path, option, value, message):
    result = run_cli("perf", "--suite", "quick", option, value, "-o", str(tmp_path))
    assert result.returncode == 2 and f"'{option}'" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "perf-rows.csv").exists()


def test_perf_checks_coalitions_against_every_generated_player_count(tmp_path):
    """Suites of one player per bidder get their player counts from the generator: a coalition
    spec that does not fit one of their instances stops perf before anything is measured or
    written (matching 64 / 500, seed 0, has 66 players; paths, measured first, has 198)."""
    out = tmp_path / "out"
    result = run_cli("perf", "--suite", "cats", "--distributions", "paths,matching", "--coalitions", "pairs:40",
                     "--seeds", "1", "--backends", "none", "--no-naive", "-o", str(out))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("cabench perf: ") and result.stderr.count("\n") == 1
    assert "'--coalitions'" in result.stderr and "matching 64 / 500 seed 0 has 66 players" in result.stderr
    assert not out.exists()


def test_perf_progress_lines_in_a_pipe_are_short_and_plain(tmp_path):
    """Standard error is a pipe: each step is one line "[HH:MM:SS] text", not padded to the
    console's width and without a source location."""
    import re

    result = run_cli("perf", "--suite", "quick", "--distributions", "paths", "--seeds", "1", "--backends", "none",
                     "--no-naive", "--jobs", "1", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    steps = [line for line in lines if line.startswith("[")]
    assert len(steps) >= 3 and all(re.fullmatch(r"\[\d\d:\d\d:\d\d\] \S.*\S", line) for line in steps), steps
    assert max(map(len, lines)) < 200 and "cli.py" not in result.stderr


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
    # per instance: the report, cabench's batch and its program kinds (no coalitions: no MKW),
    # four single backends, the naive baseline
    rows = list(csv.DictReader(open(tmp_path / "perf-rows.csv")))
    methods = ["report:portfolio", "cabench:portfolio", "kind:MSW", "kind:MIEW", "kind:MIKW",
               "cpsat", "highs", "scip", "cbc", "naive-pulp-cbc"]
    assert [r["method"] for r in rows] == methods * 5
    assert "naive/cabench" in result.stdout


def test_perf_rows_neutralise_cells_a_spreadsheet_would_run(tmp_path):
    """perf-rows.csv names each instance; one named like a formula gets a leading apostrophe, as
    in every other CSV cabench writes (it was written as it is)."""
    from dataclasses import replace

    from instances import dump_instance, load_instance

    file = tmp_path / "evil.json"
    dump_instance(replace(load_instance(EXAMPLES / "seed004-example.json"), name="+evil"), file)
    result = run_cli("perf", str(file), "--backends", "none", "--no-naive", "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    cells = [cell for row in csv.reader(open(tmp_path / "out" / "perf-rows.csv")) for cell in row]
    assert "'+evil" in [cell.split(" ")[0] for cell in cells] and not any(c.startswith(("=", "+", "@")) for c in cells)


@pytest.mark.filterwarnings("ignore::instances.cats.GoodsBeyondHeader")  # (the paths file; tests/test_real_files.py)
def test_perf_on_real_cats_files_and_instance_files(tmp_path):
    """``cabench perf FILES``: real CATS files (imported as ``cabench import`` does) and a JSON
    instance, each its own entry, with exact knowledge drawn on them: the report's MSW equals the
    generator's own optimum (test data) and HiGHS's winner determination, and the budget columns
    are there. A folder stands for its *.json and *.txt files."""
    from fractions import Fraction

    from instances import load_instance
    from instances.cats import read_cats
    from tests.test_real_files import CATS, EXPECTED

    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("paths-40-200-0000.txt", "L4-40-200-0000.txt"):
        (folder / name).write_bytes((CATS / name).read_bytes())
    instance = tmp_path / "example.json"
    instance.write_bytes((EXAMPLES / "random-xor-lower-bounds.json").read_bytes())
    result = run_cli("perf", str(folder), str(instance),
                     "--knowledge", "exact", "--backends", "none", "--no-naive", "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "cabench perf (3 files)" in result.stdout and "report/budget" in result.stdout
    table = json.loads((tmp_path / "out" / "perf-summary.json").read_text())
    assert [e["distribution"] for e in table] == ["L4-40-200-0000", "paths-40-200-0000", "example"]
    for entry in table:
        assert entry["knowledge"] == "exact" and entry["all_proven"]
        assert {"winners", "wdp_highs_seconds", "budget_seconds", "report_over_budget", "within_budget",
                "report_solver_seconds", "report_bookkeeping_seconds"} <= entry.keys()
        assert entry["budget_seconds"] == pytest.approx(budget(entry["wdp_highs_seconds"], entry["winners"]))
    assert table[0]["players"] == 200  # L4: one player per bid
    rows = list(csv.DictReader(open(tmp_path / "out" / "perf-rows.csv")))
    # cabench alone: above 50 players only the report is timed; up to 50 the batch and its kinds too
    assert [r["method"] for r in rows if r["distribution"] != "example"] == ["report:portfolio"] * 2
    assert [r["method"] for r in rows if r["distribution"] == "example"] == [
        "report:portfolio", "cabench:portfolio", "kind:MSW", "kind:MIEW", "kind:MIKW"]
    assert set(table[2]["kinds"]) == {"MSW", "MIEW", "MIKW"} and table[0]["kinds"] == table[1]["kinds"] == {}
    for row in (r for r in rows if r["method"].startswith("report:")):
        assert row["msw"] == row["wdp_optimum"] != "", row["instance"]
        name = row["distribution"] + ".txt"
        if name in EXPECTED:  # the optimum of the generator's own LP model
            imported = read_cats(CATS / name)
            assert Fraction(row["msw"]) == Fraction(EXPECTED[name]) * imported.scale, name
    (example,) = [r for r in rows if r["distribution"] == "example" and r["method"] == "report:portfolio"]
    assert int(example["msw"]) == compute_report(load_instance(instance)).msw.value


def test_perf_files_as_written_and_bad_paths(tmp_path):
    """Without --knowledge each file is measured as written; a missing file, an empty folder and
    a suite option next to files are bad input (exit 2) before anything is measured."""
    result = run_cli("perf", str(EXAMPLES / "seed004-example.json"), "--backends", "highs", "--no-naive",
                     "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    (entry,) = json.loads((tmp_path / "out" / "perf-summary.json").read_text())
    assert entry["knowledge"] == entry["coalitions"] == "file" and entry["all_proven"]
    assert "cabench_over_ideal" in entry  # a single backend: the batch row is timed as well
    assert "budget_seconds" not in entry  # explicit bundles, not XOR bids: no winner-determination baseline
    example = str(EXAMPLES / "random-xor-lower-bounds.json")
    missing = run_cli("perf", str(tmp_path / "nothing.txt"), "-o", str(tmp_path / "x"))
    assert missing.returncode == 2 and "nothing.txt: no such file or folder" in missing.stderr
    stdin = run_cli("perf", "-", "-o", str(tmp_path / "x"), cwd=tmp_path)  # ("-" is standard input elsewhere)
    assert stdin.returncode == 2 and stdin.stderr == ("-: standard input is not read by perf, which reads each "
                                                      "instance more than once: save it to a file and give its path\n")
    (tmp_path / "empty").mkdir()
    empty = run_cli("perf", str(tmp_path / "empty"), "-o", str(tmp_path / "x"))
    assert empty.returncode == 2 and "no instance file" in empty.stderr
    too_few = run_cli("perf", example, "--coalitions", "random:2:50", "-o", str(tmp_path / "x"))
    assert too_few.returncode == 2 and "random-xor-lower-bounds.json: --coalitions" in too_few.stderr
    mixed = run_cli("perf", example, "--suite", "cats", "-o", str(tmp_path / "x"))
    assert mixed.returncode == 2 and "--suite" in mixed.stderr
    # knowledge too large for the second file: found before the first is measured
    cats = tmp_path / "L2.txt"
    cats.write_text((CATS / "L2-40-200-0000.txt").read_text())
    large = run_cli("perf", example, str(cats), "--knowledge", "candidates:200", "--backends", "none", "--no-naive",
                    "-o", str(tmp_path / "x"))
    assert large.returncode == 2 and large.stderr.count("\n") == 1
    assert "L2.txt: --knowledge candidates:200: every player would hold 200 copies" in large.stderr
    for flag in ("--backends", "--default"):  # brute takes 12 goods: refused before anything runs
        brute = run_cli("perf", str(cats), flag, "brute", "--no-naive", "-o", str(tmp_path / "x"))
        assert brute.returncode == 2 and f"Invalid value for '{flag}': brute handles at most 12 goods" in brute.stderr
    assert not (tmp_path / "x").exists()


def test_perf_files_of_one_name_in_two_folders_are_two_entries(tmp_path):
    for seed, folder in ((1, "d1"), (2, "d2")):
        (tmp_path / folder).mkdir()
        assert run_cli("generate", "-d", "regions", "-m", "6", "-b", "12", "-n", "3", "--seed", str(seed),
                       "-o", str(tmp_path / folder / "x.json")).returncode == 0
    result = run_cli("perf", "d1", "d2", "--backends", "none", "--no-naive", "-o", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    entries = json.loads((tmp_path / "out" / "perf-summary.json").read_text())
    assert [e["distribution"] for e in entries] == ["d1/x", "d2/x"]


def test_the_ideals_count_each_distinct_program_once(monkeypatch):
    """With exact knowledge MIKW_i is MSW's program: the table has 1 + 2n programs, fewer
    distinct. Each ideal counts a distinct program once; the report's ideal adds MSW's
    lexicographic tie-break by the fastest single backend."""
    import cabench.perf as perf

    inst = generate_instance("paths", 10, 30, 3, seed=2, knowledge="exact")
    base = {"instance": inst.name, "distribution": "paths", "goods": 10, "bids": 30, "players": 3, "seed": 2}
    # every program costs 1 s by every backend, MSW's tie-break 0.25 s by cpsat and 0.5 s by highs
    monkeypatch.setattr(perf, "_per_program",
                        lambda solve_one, programs: ([True] * len(programs), [1.0] * len(programs)))
    tie_breaks = {"cpsat": 0.25, "highs": 0.5}
    monkeypatch.setattr(perf, "tie_break_seconds", lambda program, backend, limit: tie_breaks[backend])
    rows = measure_instance(inst, base, ["cpsat", "highs"], "cpsat", None, 1, naive=False)
    report = rows[0]
    assert report.distinct < report.programs == 1 + 2 * 3
    assert report.fastest_single_sum == report.distinct * 1.0
    assert report.ideal_report == report.needed * 1.0 + 0.25 and report.ideal_proven
    assert perf.fastest_sum(["a", "b", "a"], {"x": [3.0, 1.0, 3.0], "y": [2.0, 5.0, 2.0]}) == (3.0, True)


def test_an_ideal_counts_the_fastest_backend_that_proved_each_program():
    """Under --time-limit a backend that gave up on a program (or stopped at once) was the
    fastest, and the ideal counted programs no backend proved with no mark (a user's audit)."""
    from cabench.perf import fastest_sum

    times = {"x": [3.0, 1.0, 3.0], "y": [2.0, 5.0, 2.0]}
    # "a" proven by x alone (3 s, not y's 2 s), "b" by y alone (5 s, not x's 1 s)
    assert fastest_sum(["a", "b", "a"], times, {"x": [True, False, True], "y": [False, True, False]}) == (8.0, True)
    # "b" proven by neither: its fastest time, and the sum is not proven
    assert fastest_sum(["a", "b", "a"], times, {"x": [True, False, True], "y": [True, False, True]}) == (3.0, False)


def test_ratios_are_medians_of_each_instances_ratio():
    """The summary's ratios were ratios of the medians over the seeds (6.13 where the seeds'
    knowledge/exact were 8.71 and 5.26, a user's audit); each is now the median of the seeds'
    own ratios, as report/budget is. The ideals divide by ``cores``; an ideal holding a program
    no single backend proved is marked false (``fastest_proven`` for cabench's, ``ideal_proven``
    for the report's)."""
    from cabench.perf import NAIVE, Row

    base = dict(instance="i", distribution="paths", goods=8, bids=20, players=3, programs=7, distinct=5, proven=7,
                knowledge="noisy-lower:0.6")
    rows = []
    for seed, (whole, exact, ours, naive, fastest, ideal, proven) in enumerate(
            [(8.0, 1.0, 2.0, 20.0, 2.0, 1.0, True), (4.0, 2.0, 1.0, 40.0, 4.0, 0.5, False),
             (6.0, 3.0, 3.0, 30.0, 3.0, 2.0, True)]):
        common = dict(base, seed=seed, fastest_single_sum=fastest, ideal_report=ideal, fastest_proven=True,
                      ideal_proven=proven)
        rows += [Row(**common, method=method, seconds=seconds)
                 for method, seconds in (("report:cpsat", whole), ("report-exact:cpsat", exact),
                                         ("cabench:cpsat", ours), (NAIVE, naive))]
    (entry,) = summary(rows, 2)
    assert entry["knowledge_over_exact"] == 2.0  # the seeds' 8, 2 and 2 (the medians' ratio: 6 / 2 = 3)
    assert entry["naive_over_cabench"] == 10.0  # 10, 40 and 10 (30 / 2 = 15)
    assert entry["cabench_over_ideal"] == 2.0  # 2 / (2 / 2), 1 / (4 / 2), 3 / (3 / 2): 2, 0.5, 2
    assert entry["report_over_ideal"] == 16.0  # 8 / (1 / 2), 4 / (0.5 / 2), 6 / (2 / 2): 16, 16 and 6
    # each ideal its own flag: cabench's (the table's programs) proven, the report's not
    assert entry["ideal_proven"] is False and entry["fastest_proven"] is True


def test_perf_files_with_their_own_knowledge_titles_and_unmeasured_ratios(tmp_path):
    """A file measured as written with its own knowledge is also measured with exact knowledge
    (knowledge/exact); the title counts files, and instances when several specs are drawn on
    each; a ratio not measured is an em dash in the table and absent from the JSON, never nan."""
    example = str(EXAMPLES / "random-xor-lower-bounds.json")
    result = run_cli("perf", example, "--backends", "none", "--no-naive", "--jobs", "1", "-o", str(tmp_path / "a"))
    assert result.returncode == 0, result.stderr
    (entry,) = json.loads((tmp_path / "a" / "perf-summary.json").read_text())
    assert entry["knowledge"] == "file" and entry["knowledge_over_exact"] > 0
    assert "report-exact:portfolio" in entry["median_seconds"] and "naive_over_cabench" not in entry
    assert "cabench perf (1 file)" in result.stdout and "knowledge/exact" in result.stdout
    assert "nan" not in result.stdout and "\u2014" in result.stdout
    rows = list(csv.DictReader(open(tmp_path / "a" / "perf-rows.csv")))
    assert [r["method"] for r in rows] == ["report:portfolio", "report-exact:portfolio", "cabench:portfolio",
                                           "kind:MSW", "kind:MIEW", "kind:MIKW"]
    assert all(r["fastest_single_sum"] == "" for r in rows)  # not measured: an empty field
    drawn = run_cli("perf", example, str(EXAMPLES / "vcg-collusion.json"), "--knowledge", "exact,candidates:2",
                    "--backends", "none", "--no-naive", "--jobs", "1", "-o", str(tmp_path / "b"))
    assert drawn.returncode == 0, drawn.stderr
    assert "cabench perf (2 files, 4 instances)" in drawn.stdout and "nan" not in drawn.stdout


def test_perf_files_budget_only_with_exact_knowledge(tmp_path):
    """The budget (2 s + (1 + winners) x one HiGHS solve) is exact knowledge's target: a file of
    XOR bids gets the winner-determination baseline and the budget columns with exact knowledge,
    drawn or its own, and not with other knowledge, drawn or its own (em dashes in the table,
    empty fields in perf-rows.csv, no keys in perf-summary.json). A file whose own knowledge is
    exact is not measured a second time with exact knowledge."""
    from instances import load_instance
    from instances.knowledge_models import annotate
    from instances.writer import instance_text

    example = EXAMPLES / "random-xor-lower-bounds.json"  # XOR bids, its own lower bounds (not exact)
    drawn = run_cli("perf", str(example), "--knowledge", "exact,noisy-lower:0.6", "--backends", "none",
                    "--no-naive", "--jobs", "1", "-o", str(tmp_path / "a"))
    assert drawn.returncode == 0, drawn.stderr
    exact, noisy = json.loads((tmp_path / "a" / "perf-summary.json").read_text())
    budget_keys = {"winners", "wdp_highs_seconds", "budget_seconds", "report_over_budget", "within_budget"}
    assert (exact["knowledge"], noisy["knowledge"]) == ("exact", "noisy-lower:0.6")
    assert budget_keys <= exact.keys() and not budget_keys & noisy.keys()
    (line,) = [line for line in drawn.stdout.splitlines() if "noisy-lower:0.6" in line]
    cells = [cell.strip() for cell in line.split("\u2502")[1:-1]]
    header = next(line for line in drawn.stdout.splitlines() if "budget s" in line)
    columns = [cell.strip() for cell in header.split("\u2503")[1:-1]]
    noisy_cells = dict(zip(columns, cells))
    assert [noisy_cells[c] for c in ("winners", "WDP HiGHS s", "budget s", "report/budget")] == ["\u2014"] * 4
    (exact_line,) = [line for line in drawn.stdout.splitlines() if " exact " in line]
    exact_cells = dict(zip(columns, (cell.strip() for cell in exact_line.split("\u2502")[1:-1])))
    assert float(exact_cells["budget s"]) >= 2
    rows = list(csv.DictReader(open(tmp_path / "a" / "perf-rows.csv")))
    reports = {r["knowledge"]: r for r in rows if r["method"] == "report:portfolio"}
    assert reports["exact"]["wdp_highs"] != "" and reports["exact"]["winners"] != ""
    assert all(reports["noisy-lower:0.6"][k] == "" for k in ("winners", "wdp_highs", "wdp_proven", "wdp_optimum"))

    own_exact = tmp_path / "own-exact.json"
    own_exact.write_text(instance_text(annotate(load_instance(example), "exact", replace=True)))
    written = run_cli("perf", str(example), str(own_exact), "--backends", "none", "--no-naive", "--jobs", "1",
                      "-o", str(tmp_path / "b"))
    assert written.returncode == 0, written.stderr
    lower, own = json.loads((tmp_path / "b" / "perf-summary.json").read_text())
    assert (lower["distribution"], own["distribution"]) == ("random-xor-lower-bounds", "own-exact")
    assert not budget_keys & lower.keys() and "report-exact:portfolio" in lower["median_seconds"]
    assert budget_keys <= own.keys() and "report-exact:portfolio" not in own["median_seconds"]


def test_perf_files_get_the_per_kind_columns_like_suites(tmp_path):
    """``--backends none --no-naive`` on a file of up to 50 players times cabench's batch too, so
    the file gets the per-kind columns (time and proven per kind) as a generated suite does."""
    result = run_cli("perf", str(EXAMPLES / "vcg-collusion.json"), "--backends", "none", "--no-naive", "--jobs", "1",
                     "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    (entry,) = json.loads((tmp_path / "perf-summary.json").read_text())
    assert set(entry["kinds"]) == {"MSW", "MIEW", "MIKW", "MKW"}, entry["kinds"]
    assert all(kind["all_proven"] and kind["programs"] >= 1 for kind in entry["kinds"].values())
    assert "cabench:portfolio" in entry["median_seconds"]
    assert all(f"{kind} s" in result.stdout for kind in ("MSW", "MIEW", "MIKW", "MKW"))
    rows = list(csv.DictReader(open(tmp_path / "perf-rows.csv")))
    kinds = {r["method"]: r for r in rows if r["method"].startswith("kind:")}
    assert set(kinds) == {"kind:MSW", "kind:MIEW", "kind:MIKW", "kind:MKW"}
    assert all(r["proven"] == r["programs"] != "0" for r in kinds.values())


def test_perf_refuses_standard_output(tmp_path):
    """``perf -o -`` made a folder named - (its files cannot go to standard output): refused, exit 2."""
    result = run_cli("perf", "-o", "-", cwd=tmp_path)
    assert result.returncode == 2 and "standard output ('-') is not available" in result.stderr
    assert not (tmp_path / "-").exists()


def test_perf_tells_json_by_its_content_and_names_a_pipe(tmp_path):
    """``s.JSON`` (or any name) holding JSON was read as a CATS file ("this is JSON, not a CATS
    file ... give it to any other command"), and a FIFO was "no such file or folder"."""
    import os
    import shutil

    from cabench.perf import file_paths
    from instances import load_instance
    from instances.cats import read_instance_or_cats
    from instances.errors import InputError

    shouted = tmp_path / "s.JSON"
    shutil.copy(EXAMPLES / "seed004-example.json", shouted)
    assert read_instance_or_cats(shouted) == load_instance(EXAMPLES / "seed004-example.json")
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        file_paths([fifo])


def test_the_commands_suites_are_the_suites():
    """``perf --suite`` lists its choices by hand (the command line does not import the suite to
    start): they are exactly the suites there are."""
    import click

    from cabench.cli import cli
    from cabench.perf import SUITES

    option = next(p for p in cli.commands["perf"].params if p.name == "suite")
    assert isinstance(option.type, click.Choice) and list(option.type.choices) == list(SUITES)


def _row(**fields):
    from cabench.perf import Row

    base = dict(instance="i", distribution="paths", goods=64, bids=500, players=198, seed=0, method="report:portfolio",
                programs=10, distinct=9, proven=10, seconds=1.0)
    return Row(**(base | fields))


def test_one_player_per_bidder_is_one_entry_over_its_seeds():
    """The seeds of a CATS-shaped entry draw different numbers of players (198, 198, 199): the
    summary split them into two entries, each median over some seeds; and the counts of programs
    were the first seed's."""
    rows = [_row(seed=s, players=n, programs=p, distinct=p, needed=p, players_drawn="bidders")
            for s, n, p in ((0, 198, 151), (1, 198, 153), (2, 199, 155))]
    (entry,) = summary(rows, 2)
    assert (entry["players"], entry["players_per_seed"], entry["programs"], entry["needed"]) == (198, [198, 198, 199],
                                                                                                 153, 153)
    # a fixed number of players per seed stays one entry per count, as before
    assert len(summary([_row(players=10), _row(seed=1, players=10)], 2)) == 1


def test_a_capped_winner_determination_solve_is_marked():
    """A HiGHS solve stopped by --time-limit gave a budget with no mark (the README calls it a
    proven optimum)."""
    rows = [_row(winners=3, wdp_highs=0.001, wdp_proven=False, msw=5, players_drawn="bidders")]
    assert summary(rows, 2)[0]["wdp_proven"] is False
    assert summary([_row(winners=3, wdp_highs=0.1, wdp_proven=True, msw=5)], 2)[0]["wdp_proven"] is True


def test_proven_is_cabenchs_own_and_an_unproven_report_exits_3(tmp_path):
    """``cabench_proven`` (the table's "proven") counts cabench's rows alone: a single backend that
    proves less, program by program, made the table say NO of a report that was proven. An
    unproven report exits 3, as ``cabench benchmarks`` does (``perf`` exited 0)."""
    rows = [_row(), _row(method="cabench:portfolio"), _row(method="cbc", proven=7)]
    entry = summary(rows, 2)[0]
    assert entry["cabench_proven"] is True and entry["all_proven"] is False
    assert summary([_row(proven=9), _row(method="cbc")], 2)[0]["cabench_proven"] is False
    made = run_cli("generate", "-d", "arbitrary", "-m", "40", "-b", "400", "-n", "8", "-o", str(tmp_path / "hard.json"))
    assert made.returncode == 0, made.stderr
    result = run_cli("perf", str(tmp_path / "hard.json"), "--time-limit", "0.001", "--backends", "cpsat", "--no-naive",
                     "-o", str(tmp_path / "out"))
    assert result.returncode == 3, result.stderr
    (entry,) = json.loads((tmp_path / "out" / "perf-summary.json").read_text())
    assert entry["cabench_proven"] is False and "NO" in result.stdout
    import cabench  # (how the run was made, for a paper's table: it was nowhere)

    run = entry["run"]
    assert (run["cabench"], run["time_limit"], run["backends"], run["naive"]) == (cabench.__version__, 0.001,
                                                                                  ["cpsat"], False)
    assert run["cores"] >= 1 and run["jobs"] >= 1 and run["started"].endswith("Z")


def test_files_differing_by_their_suffix_are_two_entries():
    from cabench.perf import labels

    assert labels([Path("d/s.json"), Path("d/s.txt"), Path("e/t.json")]) == ["d/s.json", "d/s.txt", "t"]
    assert labels([Path("a/x.json"), Path("b/x.json")]) == ["a/x", "b/x"]


def test_explicit_jobs_start_the_workers_once_for_the_run(monkeypatch):
    """With --jobs 2 each timed report started its own worker processes (1.4 s of start-up in a
    report of 0.02 s: report/ideal 135 against 1.6 without --jobs); they start once now."""
    import ilp.batch
    from cabench.perf import run_suite

    started = []
    real = ilp.batch.start_worker

    def counted():
        started.append(True)
        return real()

    monkeypatch.setattr(ilp.batch, "start_worker", counted)
    rows = run_suite("quick", 1, [], "portfolio", None, jobs=2, only={"uniform", "paths"}, naive=False)
    assert {r.distribution for r in rows} == {"uniform", "paths"}
    assert 1 <= len(started) <= 2, len(started)  # (the two of the run at most)


def test_perf_checks_drawn_knowledge_against_every_generated_suite(tmp_path):
    """The knowledge limit was checked up front on files only: ``--suite players --knowledge
    candidates:2`` measured the instances of 10 to 1,000 players, then stopped at 2,000 (exit 2,
    a partial perf-rows.csv and no summary)."""
    out = tmp_path / "out"
    result = run_cli("perf", "--suite", "players", "--seeds", "1", "--knowledge", "candidates:2", "--backends", "none",
                     "--no-naive", "-o", str(out))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("cabench perf: Invalid value for '--knowledge': uniform 20 / 2000 seed 0 has 2000 "
                                    "players: every player would hold 2 copies"), result.stderr
    assert not out.exists()


def test_perf_stopped_before_its_first_rows_leaves_no_folder(tmp_path):
    """Ctrl-C during the warm-up, before any row is written: the output folder perf made (and
    its missing parent) are gone again, as every other command's (it was left empty: 12 stops
    in 29)."""
    import signal
    import subprocess
    import time

    from tests.conftest import cabench_command

    output = tmp_path / "new" / "perf"
    proc = subprocess.Popen([*cabench_command(), "perf", "--suite", "quick", "--seeds", "1", "--backends", "none",
                             "--no-naive", "-o", str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 60
        while not output.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert proc.poll() is None and output.exists(), "perf ended before its folder was made"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert not (tmp_path / "new").exists(), sorted(str(p) for p in (tmp_path / "new").rglob("*"))
    # (it said "finished work is kept", of nothing)
    assert stderr.endswith("cabench perf: interrupted; no instance was measured; nothing is kept\n"), stderr


def test_a_stopped_run_leaves_rows_and_summary_that_agree(tmp_path):
    """The rows and the summary are written together after each instance. A run stopped in an
    output folder of an earlier run left its new rows beside the earlier run's summary, which
    disagreed without a word."""
    import signal
    import subprocess
    import time

    from tests.conftest import cabench_command

    folder, output = tmp_path / "files", tmp_path / "perf"
    folder.mkdir()
    for name, args in (("a-easy.json", ["-d", "regions", "-m", "8", "-b", "20", "-n", "3"]),
                       ("b-hard.json", ["-d", "arbitrary", "-m", "40", "-b", "400", "-n", "8"])):
        assert run_cli("generate", *args, "-o", str(folder / name)).returncode == 0
    output.mkdir()
    planted = '[{"distribution": "an earlier run"}]\n'
    (output / "perf-summary.json").write_text(planted)
    proc = subprocess.Popen([*cabench_command(), "perf", str(folder), "--backends", "none", "--no-naive",
                             "-o", str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while (output / "perf-summary.json").read_text() == planted and proc.poll() is None:
            assert time.monotonic() < deadline, "no summary was written after the first instance"
            time.sleep(0.01)
        assert proc.poll() is None, "perf ended before it could be stopped"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    with open(output / "perf-rows.csv") as handle:
        measured = {row["distribution"] for row in csv.DictReader(handle)}
    summarised = {entry["distribution"] for entry in json.loads((output / "perf-summary.json").read_text())}
    assert measured == summarised == {"a-easy"}
    assert stderr.endswith(f"cabench perf: interrupted; the 1 instance(s) measured are kept in {output}\n"), stderr


def test_a_stop_after_the_renames_of_a_write_counts_what_they_kept(tmp_path, monkeypatch):
    """A Ctrl-C after the rows and the summary are renamed into place, while the folder is synced,
    said "nothing is kept" of the instance just written (twice in CI, by the test above): the
    stop line now reads what the folder holds."""
    from click.testing import CliRunner

    import instances.files
    from cabench.cli import cli

    source = tmp_path / "a-easy.json"
    assert run_cli("generate", "-d", "regions", "-m", "8", "-b", "20", "-n", "3", "-o", str(source)).returncode == 0
    output = tmp_path / "perf"

    def interrupted(folder) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(instances.files, "sync_folder", interrupted)
    result = CliRunner().invoke(cli, ["perf", str(source), "--backends", "none", "--no-naive", "-o", str(output)])
    assert isinstance(result.exception, KeyboardInterrupt) or result.exit_code != 0
    with open(output / "perf-rows.csv") as handle:
        assert {row["distribution"] for row in csv.DictReader(handle)} == {"a-easy"}
    assert f"cabench perf: interrupted; the 1 instance(s) measured are kept in {output}" in result.output


def test_a_stopped_suite_says_how_many_instances_it_kept(tmp_path):
    """perf's stop line counts the instances in its rows: it counted the summary's entries, one
    per size with every seed pooled ("the 1 instance(s)" of two seeds measured)."""
    import signal
    import subprocess
    import time

    from tests.conftest import cabench_command

    output = tmp_path / "perf"
    proc = subprocess.Popen([*cabench_command(), "perf", "--suite", "quick", "--seeds", "3", "--backends", "none",
                             "--no-naive", "-o", str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    measured: set = set()
    try:
        deadline = time.monotonic() + 120
        while len(measured) < 2 and proc.poll() is None and time.monotonic() < deadline:
            try:
                with open(output / "perf-rows.csv") as handle:
                    measured = {(row["distribution"], row["seed"]) for row in csv.DictReader(handle)}
            except (OSError, KeyError):
                pass
            time.sleep(0.02)
        assert proc.poll() is None and len(measured) >= 2, "perf ended, or measured too little, before the stop"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    with open(output / "perf-rows.csv") as handle:
        measured = {(row["distribution"], row["seed"]) for row in csv.DictReader(handle)}
    assert proc.returncode == 130
    assert stderr.endswith(f"cabench perf: interrupted; the {len(measured)} instance(s) measured are kept in "
                           f"{output}\n"), (measured, stderr)


def test_an_ideal_no_single_backend_proved_is_marked_and_the_ideals_divide_by_the_cores(monkeypatch, tmp_path,
                                                                                        capsys):
    """A single backend that proves nothing (``--time-limit``) made ``cabench/ideal`` and
    ``report/ideal`` ordinary numbers; they are marked "!" (``fastest_proven``, ``ideal_proven``
    false). And ``--jobs``
    above the cores divided the ideals by the jobs: they divide by the jobs, at most the cores."""
    import ilp.backends
    from cabench.cli import main
    from ilp.portfolio import cores
    from tests.conftest import TimedOutBackend

    monkeypatch.setitem(ilp.backends.BACKENDS, "timed-out", TimedOutBackend)
    out = tmp_path / "p"
    jobs = 4 * cores()
    code = main(["perf", "--suite", "quick", "--distributions", "paths", "--seeds", "1", "--backends", "timed-out",
                 "--no-naive", "--jobs", str(jobs), "-o", str(out)])
    table = capsys.readouterr().out
    assert code == 0, table
    (entry,) = json.loads((out / "perf-summary.json").read_text())
    assert entry["fastest_proven"] is False and entry["ideal_proven"] is False and entry["cabench_proven"]
    line = next(x for x in table.splitlines() if "paths" in x)
    assert f"{entry['cabench_over_ideal']:.2f}!" in line and f"{entry['report_over_ideal']:.2f}!" in line
    (row,) = [r for r in csv.DictReader(open(out / "perf-rows.csv")) if r["method"].startswith("cabench:")]
    divisor = min(jobs, cores())
    assert entry["cabench_over_ideal"] == pytest.approx(float(row["seconds"]) / (float(row["fastest_single_sum"])
                                                                                  / divisor))
