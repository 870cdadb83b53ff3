"""``cabench benchmarks`` as a user runs it: text and JSON on the bundled examples."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest

import cabench
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
    # the backend's bound 10^6 tightened to the variables' ranges (every bid of seed 004 won); the
    # incumbent 0 raised to the best true welfare of the report's witnesses: BA^{p1}, p1 alone and
    # solved without the backend, gives it {1} (benchmarks.intervals, relation 5)
    assert data["MSW"] == {"value": None, "status": "feasible", "incumbent": 100, "bound": 250, "gap": 0.6,
                           "allocation": {"p1": ["1"]}}
    assert data["BB"]["value"] is None and data["MKW"]["value"] is None
    assert data["BB"]["incumbent"] == 0 and data["BB"]["bound"] is not None
    code = main(["benchmarks", str(EXAMPLES / "seed004-example.json"), "--solver", "timed-out"])
    assert code == 3
    assert "NOT PROVEN" in capsys.readouterr().out


def test_the_tables_csv_keeps_numbers_in_the_value_columns(monkeypatch, capsys):
    """``benchmarks --format csv``: a value column holds the proven value or nothing, and the
    column "not proven" what is known of the others (the cell held "NOT PROVEN (...)"); the
    summary's counts are one number a row (it had "30 / 0 / 0")."""
    import pandas as pd

    monkeypatch.setitem(ilp.backends.BACKENDS, "timed-out", TimedOutBackend)
    file = str(EXAMPLES / "seed004-example.json")
    assert main(["benchmarks", file, "--format", "csv"]) == 0
    proven = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert main(["benchmarks", file, "--format", "csv", "--solver", "timed-out"]) == 3
    unproven = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(proven.columns) == list(unproven.columns)
    head = proven[proven["table"].str.endswith(": benchmarks")].set_index("benchmark")
    assert head.loc["MSW", "value"] == 200 and head["not proven"].isna().all()
    assert "MIEW(K_I)" in head.index  # as the terminal table names it
    players = proven[proven["table"].str.endswith(": per player")]
    for column in ("MIEW_i = BB_i", "MIKW_i", "MSW_-i"):
        assert pd.api.types.is_numeric_dtype(players[column]) and players[column].notna().all()
    for column in ("value", "MIEW_i = BB_i", "MIKW_i", "MSW_-i", "MKW_A = REV(RK_A)"):
        assert unproven[column].isna().all(), column  # nothing shown as a value
    msw = unproven[unproven["benchmark"] == "MSW"].iloc[0]
    assert msw["not proven"] == "value: NOT PROVEN (feasible; incumbent 100, bound 250)"
    row = unproven[unproven["player"] == "p1"].iloc[0]
    assert row["not proven"].startswith("MIEW_i = BB_i: NOT PROVEN (") and "; MIKW_i: NOT PROVEN (" in row["not proven"]


def test_every_csv_neutralises_cells_a_spreadsheet_would_run(tmp_path):
    """A player named like a formula gets a leading apostrophe in every CSV, as in a sweep's
    results (only the sweep had the guard: ``benchmarks --format csv`` and ``--players-csv``
    wrote ``=HYPERLINK(1)`` as it is); negative numbers stay numbers."""
    from dataclasses import replace

    from instances import dump_instance, load_instance

    inst = load_instance(EXAMPLES / "seed004-example.json")
    file = tmp_path / "names.json"
    dump_instance(replace(inst, players=("=HYPERLINK(1)", *inst.players[1:])), file)
    outputs = [run_cli("benchmarks", str(file), "--format", "csv"), run_cli("benchmarks", str(file), "--players-csv", "-"),
               run_cli("evaluate", str(file), "-m", "best-belief", "--format", "csv")]
    for result in outputs:
        assert result.returncode == 0, result.stderr
        cells = [cell for row in csv.reader(io.StringIO(result.stdout)) for cell in row]
        assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    assert "'=HYPERLINK(1)" in outputs[0].stdout and "'=HYPERLINK(1)" in outputs[1].stdout


def test_csv_cells_of_two_names_stay_two_cells(tmp_path):
    """``'=x`` and ``=x`` were both written ``'=x``; ``-inf`` passed as a number (Python's float
    reads it; a spreadsheet does not). A cell that starts with an apostrophe gets one more."""
    from dataclasses import replace

    from instances import dump_instance, load_instance

    inst = load_instance(EXAMPLES / "seed004-example.json")
    file = tmp_path / "names.json"
    dump_instance(replace(inst, players=("=x", "'=x", "-inf")), file)
    result = run_cli("benchmarks", str(file), "--players-csv", "-")
    assert result.returncode == 0, result.stderr
    players = [row["player"] for row in csv.DictReader(io.StringIO(result.stdout))]
    assert players == ["'=x", "''=x", "'-inf"]


def test_the_players_csv_names_each_msw_bundle_unambiguously(tmp_path):
    """Goods named "a", "b" and "a b": p1's {a, b} and p2's {a b} were both "a b" in MSW_bundle;
    MSW_goods lists the names as JSON, and MSW_status says whether the witness is proven."""
    file = tmp_path / "ambig.json"
    file.write_text(json.dumps({"goods": ["a", "b", "a b"], "players": ["p1", "p2"],
                                "valuations": {"p1": {"xor": [[["a", "b"], 10]]}, "p2": {"xor": [[["a b"], 7]]}}}))
    result = run_cli("benchmarks", str(file), "--players-csv", "-")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [json.loads(r["MSW_goods"]) for r in rows] == [["a", "b"], ["a b"]]
    assert {r["MSW_status"] for r in rows} == {"optimal"}


def test_markdown_writes_names_literally(tmp_path):
    """Only ``\\`` and ``|`` were escaped: a player named ``*star*`` showed in italics, ``[x](y)``
    as a link, ``<i>h</i>`` as HTML. Underscores inside words (MIEW_i) are left as they are."""
    from dataclasses import replace

    from instances import dump_instance, load_instance

    inst = load_instance(EXAMPLES / "seed004-example.json")
    file = tmp_path / "names.json"
    dump_instance(replace(inst, players=("*star*", "[x](y)", "<i>h</i>")), file)
    result = run_cli("benchmarks", str(file), "--format", "markdown", "--players", "all")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "\\*star\\*" in text and "\\[x\\](y)" in text and "\\<i\\>h\\</i\\>" in text
    assert "*star*" not in text.replace("\\*", "") and "MIEW_i" in text


@pytest.mark.parametrize("command", [["benchmarks"], ["evaluate", "-m", "best-belief"]])
def test_json_with_another_format_is_refused(command):
    """``--json`` is ``--format json``: with ``--format csv`` it printed JSON without a word."""
    file = str(EXAMPLES / "seed004-example.json")
    result = run_cli(command[0], file, *command[1:], "--json", "--format", "csv")
    assert result.returncode == 2 and result.stdout == "" and result.stderr.count("\n") == 1
    assert "--json is --format json; it cannot be given with --format csv" in result.stderr
    both = run_cli(command[0], file, *command[1:], "--json", "--format", "json")
    assert both.returncode == 0 and both.stdout == run_cli(command[0], file, *command[1:], "--json").stdout


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


# --- many players: readable summaries in every format, CSV exports ----------------------------


@pytest.fixture(scope="module")
def crowd(tmp_path_factory):
    """30 players (above the summary's 20) in 12 pairs (above the summary's 10 coalitions), and
    the complete JSON report to check the readable outputs against."""
    path = tmp_path_factory.mktemp("crowd") / "crowd.json"
    made = run_cli("generate", "-d", "uniform", "-m", "10", "-b", "30", "-n", "30", "--knowledge", "noisy-lower:0.6",
                   "--coalitions", "pairs:12", "-o", str(path))
    assert made.returncode == 0, made.stderr
    result = run_cli("benchmarks", str(path), "--solver", "cpsat", "--json")
    assert result.returncode == 0, result.stderr
    return path, json.loads(result.stdout)


def _top_coalitions(data: dict, k: int = 10) -> list[list[str]]:
    """The rule the summary states: highest MKW_A, ties by higher SW(BA^A), then file order."""
    coalitions = [(a["MKW"]["value"], a["BA"]["value"], -n, a["members"]) for n, a in enumerate(data["agents"])
                  if len(a["members"]) > 1]
    return [members for *_, members in sorted(coalitions, reverse=True)[:k]]


@pytest.mark.parametrize("players", [[], ["--players", "summary"], ["--players", "all"]])
def test_paper_formats_follow_players(crowd, players):
    """--format csv (one tidy table) lists what the rich table lists: by default at 30 players the
    counts, the top 10 players and the top 10 of 12 coalitions; with --players all everyone."""
    import csv
    import io

    path, data = crowd
    result = run_cli("benchmarks", str(path), "--solver", "cpsat", "--format", "csv", *players)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    tables = {}
    for row in rows:
        tables.setdefault(row["table"].split(": ", 1)[1], []).append(row)
    if players == ["--players", "all"]:
        assert [r["player"] for r in tables["per player"]] == data["players_order"]
        assert len(tables["per agent"]) == len(data["agents"]) == 18
        return
    names = list(tables)
    assert names[1:] == ["players (summary; --players all lists every player)",
                         "Top 10 players by MIEW_i (ties: higher MIKW_i, then file order)",
                         "coalitions (summary; --players all lists every coalition)",
                         "Top 10 of 12 coalitions by MKW_A (ties: higher SW(BA^A), then file order)"], names
    counts = {r["count"]: r["players"] for r in tables[names[1]]}
    assert counts["players"] == "30"
    coalition_counts = {r["count"]: r["coalitions"] for r in tables[names[3]]}
    assert coalition_counts["coalitions"] == "12" and coalition_counts["players in coalitions"] == "24"
    assert len(tables[names[2]]) == 10
    assert [r["agent"] for r in tables[names[4]]] == ["{" + ", ".join(m) + "}" for m in _top_coalitions(data)]
    for fmt in ("markdown", "latex"):
        text = run_cli("benchmarks", str(path), "--solver", "cpsat", "--format", fmt, *players).stdout
        assert "Top 10 players by MIEW" in text and "Top 10 of 12 coalitions by MKW" in text
        assert sum(f"{name} " in text.replace("|", " ").replace("&", " ") for name in data["players_order"]) < 30


def test_summary_table_lists_the_top_coalitions_only(crowd):
    """At many players the rich table lists the top 10 coalitions by MKW_A and their witnesses
    only; --players all lists every coalition."""
    path, data = crowd
    summary = run_cli("benchmarks", str(path), "--solver", "cpsat")
    assert summary.returncode == 0, summary.stderr
    witnesses = [line.split()[0] for line in summary.stdout.splitlines() if line.startswith("  MKW_{")]
    assert witnesses == ["MKW_{" + ",".join(m) + "}" for m in _top_coalitions(data)]
    assert "Top 10 of 12 coalitions by MKW_A" in " ".join(summary.stdout.split())
    everyone = run_cli("benchmarks", str(path), "--solver", "cpsat", "--players", "all")
    assert sum(line.startswith("  MKW_{") for line in everyone.stdout.splitlines()) == 12


def test_csv_exports_to_files_and_standard_output(crowd, tmp_path):
    """--players-csv and --coalitions-csv write every player and coalition as in the JSON; - is
    standard output instead of the report (no file named -), refused when the report's format
    is asked for too or both CSVs name it."""
    import csv

    path, data = crowd
    players, coalitions = tmp_path / "sub" / "players.csv", tmp_path / "coalitions.csv"
    result = run_cli("benchmarks", str(path), "--solver", "cpsat", "--players-csv", str(players),
                     "--coalitions-csv", str(coalitions))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(coalitions.open()))
    assert [r["coalition"].split(",") for r in rows] == [a["members"] for a in data["agents"] if len(a["members"]) > 1]
    assert [json.loads(r["members"]) for r in rows] == [r["coalition"].split(",") for r in rows]
    for row, agent in zip(rows, (a for a in data["agents"] if len(a["members"]) > 1)):
        assert (int(row["MKW"]), row["MKW_status"]) == (agent["MKW"]["value"], agent["MKW"]["status"])
        assert (int(row["BA"]), row["BA_status"]) == (agent["BA"]["value"], agent["BA"]["status"])
        assert row["size"] == "2" and row["scale"] == "1"  # (the unit of the integers, as evaluate's CSV has it)
    for flag, written in (("--players-csv", players), ("--coalitions-csv", coalitions)):
        dashed = run_cli("benchmarks", str(path), "--solver", "cpsat", flag, "-", cwd=tmp_path)
        assert dashed.returncode == 0 and dashed.stdout == written.read_text(), dashed.stderr
        assert not (tmp_path / "-").exists()
    for args in (["--json", "--players-csv", "-"], ["--format", "markdown", "--coalitions-csv", "-"],
                 ["--players-csv", "-", "--coalitions-csv", "-"]):
        refused = run_cli("benchmarks", str(path), *args, cwd=tmp_path)
        assert refused.returncode == 2 and refused.stdout == "" and refused.stderr.count("\n") == 1, refused.stderr
        assert refused.stderr.startswith("cabench benchmarks: ") and "standard output" in refused.stderr
    assert not (tmp_path / "-").exists()
    same = run_cli("benchmarks", str(path), "--players-csv", "a.csv", "--coalitions-csv", "./a.csv", cwd=tmp_path)
    assert same.returncode == 2 and same.stdout == "" and same.stderr.count("\n") == 1
    assert "--players-csv and --coalitions-csv both name a.csv; give each its own file" in same.stderr
    assert not (tmp_path / "a.csv").exists()


@pytest.mark.parametrize("case", ["unknown player in the knowledge", "fails while solving"])
def test_csv_exports_leave_no_folder_on_error(tmp_path, case):
    """A run that fails writes no CSV and leaves no folder made for one: a bad file found after its
    valuations (knowledge about an unknown player), and a file read without fault that the solver
    asked for refuses (brute force handles at most 12 goods): exit 2, one line, and ``new`` is
    gone again (or never made)."""
    goods = [f"g{k}" for k in range(1, 14)]
    data = {"name": "late", "goods": goods, "players": ["p1", "p2"],
            "valuations": {"p1": {"xor": [[goods[:7], 10]]}, "p2": {"xor": [[goods[5:], 12]]}}}
    args = []
    if case == "unknown player in the knowledge":
        data["knowledge"] = {"p1": {"lower_bounds": {"p9": {"xor": [[goods[5:], 3]]}}}}
    else:
        args = ["--solver", "brute"]
    path = tmp_path / "late.json"
    path.write_text(json.dumps(data))
    result = run_cli("benchmarks", str(path), *args, "--players-csv", str(tmp_path / "new" / "dir" / "x.csv"),
                     "--coalitions-csv", str(tmp_path / "new" / "other" / "y.csv"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert ("unknown player" if args == [] else "at most 12 goods") in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["late.json"]


@pytest.mark.parametrize("args", [
    ["-n", "3", "--knowledge", "bogus", "-o", "{tmp}/new/sub/x.json"],
    ["-n", "3", "--coalitions", "pairs:9", "--count", "2", "-o", "{tmp}/new/dir"],
    ["-n", "bidders", "--coalitions", "pairs:90", "-o", "{tmp}/new/sub/x.json"],  # found only once dealt
    ["-n", "bidders", "--coalitions", "pairs:90", "--count", "2", "-o", "{tmp}/new/dir"],
    ["-n", "3", "--count", "2", "-o", "{tmp}/new/g.json"],  # a file's name for the folder: it made a folder g.json
    ["-n", "3", "--count", "2", "-o", "{tmp}/new/G.JSON"],
])
def test_generate_writes_nothing_on_a_bad_spec(tmp_path, args):
    """A bad spec, found before or while drawing the instances: exit 2, one line, and no folder
    is left behind (the output's folders are made before computing, then removed again)."""
    result = run_cli("generate", "-d", "uniform", "-m", "6", "-b", "5", *[a.replace("{tmp}", str(tmp_path))
                                                                            for a in args])
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_annotate_writes_nothing_on_a_bad_spec(tmp_path):
    result = run_cli("annotate", str(EXAMPLES / "vcg-collusion.json"), "--coalitions", "pairs:5",
                     "-o", str(tmp_path / "new" / "x.json"))
    assert result.returncode == 2 and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command, args, flag", [
    (["generate", "-d", "uniform", "-m", "6", "-b", "5", "-n", "3"], ["--knowledge", "bogus"], "--knowledge"),
    (["generate", "-d", "uniform", "-m", "6", "-b", "5", "-n", "3"], ["--coalitions", "pairs:9"], "--coalitions"),
    (["generate", "-m", "6", "-b", "5", "-n", "3"], ["-d", "nope"], "--distribution"),
    (["generate", "-d", "table", "-m", "3", "-b", "5"], ["-n", "bidders"], "--players"),
    (["annotate", str(EXAMPLES / "vcg-collusion.json")], ["--knowledge", "noisy-lower:0"], "--knowledge"),
    (["annotate", str(EXAMPLES / "vcg-collusion.json")], ["--coalitions", "pairs:5"], "--coalitions"),
    (["benchmarks", str(EXAMPLES / "seed004-example.json")], ["--solver", "gurobi"], "--solver"),
])
def test_flag_errors_name_the_command_and_the_flag(command, args, flag):
    """A bad flag value is one line in the pattern of click's own errors, whichever command and
    whether click or the knowledge models find it: `cabench CMD: Invalid value for 'FLAG': ...`."""
    result = run_cli(*command, *args)
    assert result.returncode == 2 and result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"cabench {command[0]}: Invalid value for '{flag}': "), result.stderr


@pytest.mark.parametrize("args, message", [
    (["benchmarks", str(EXAMPLES / "seed004-example.json"), "--solver", "highs", "--solver=cpsat"],
     "cabench benchmarks: --solver given twice; give it once"),
    (["evaluate", str(EXAMPLES / "seed004-example.json"), "-m", "vcg", "--jobs", "1", "--jobs", "2", "--jobs", "1"],
     "cabench evaluate: --jobs given 3 times; give it once"),
    (["perf", "--suite", "quick", "--backends", "highs,"], "'--backends': \"highs,\": an empty item"),
    # (--seed drew nothing here, and was ignored)
    (["evaluate", str(EXAMPLES / "seed004-example.json"), "-m", "vcg", "--seed", "3"],
     "cabench evaluate: Invalid value for '--seed': nothing is drawn: the seed drives the Monte Carlo sampling"),
    (["import", str(EXAMPLES / "cats-scheduling-40-200.txt"), "--seed", "3"],
     "cabench import: Invalid value for '--seed': nothing is drawn"),
    (["plot", str(EXAMPLES / "seed004-example.json"), "--formats", "pdf,,png"],
     "'--formats': \"pdf,,png\": an empty item"),
])
def test_a_flag_of_one_value_given_twice_an_empty_list_item_or_an_unused_seed_is_refused(tmp_path, args, message):
    """click kept the last of a repeated flag silently (a script's default then a user's value,
    or a typo, went unseen), a list's empty item was skipped, and a seed where nothing is drawn
    was ignored."""
    output = [] if args[0] in ("benchmarks", "evaluate") else ["-o", str(tmp_path / "out")]  # (none is written)
    result = run_cli(*args, *output)
    assert result.returncode == 2 and result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr and list(tmp_path.iterdir()) == []


def test_a_flag_without_a_value_may_be_repeated_and_help_wins():
    """``--json --json``: the last counts, as click has it; ``--help`` after a repeated flag
    shows the help, as after any other mistake on the line."""
    result = run_cli("benchmarks", str(EXAMPLES / "seed004-example.json"), "--json", "--json")
    assert result.returncode == 0 and json.loads(result.stdout), result.stderr
    helped = run_cli("benchmarks", str(EXAMPLES / "seed004-example.json"), "--jobs", "1", "--jobs", "2", "-h")
    assert helped.returncode == 0 and helped.stdout.startswith("Usage: cabench benchmarks"), helped.stderr


@pytest.mark.parametrize("command", [
    ["generate", "-d", "paths", "-m", "6", "-b", "8", "-n", "3", "--seed", "2"],
    ["annotate", str(EXAMPLES / "vcg-collusion.json"), "--knowledge", "candidates:2"],
    ["export", str(EXAMPLES.parent.parent / "tests" / "hostile" / "valid.json")],
    ["import", str(EXAMPLES.parent.parent / "tests" / "hostile" / "valid.cats")],
])
def test_an_output_named_dash_is_standard_output(command, tmp_path):
    """-o - prints what no -o prints, and writes no file named -."""
    plain, dashed = run_cli(*command, cwd=tmp_path), run_cli(*command, "-o", "-", cwd=tmp_path)
    assert plain.returncode == dashed.returncode == 0, dashed.stderr
    assert dashed.stdout == plain.stdout != "" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("case", ["import", "export", "benchmarks", "two-csvs", "table", "game"])
def test_an_output_that_is_the_input_is_refused(tmp_path, case):
    # each command wrote its output over its own input, silently (exit 0): the instance, CATS
    # file or results were lost; now one line, exit 2, and the input untouched
    import shutil

    if case == "import":
        source = tmp_path / "in.txt"
        shutil.copy(EXAMPLES / "cats-scheduling-40-200.txt", source)
        args = ["import", str(source), "-o", str(source)]
    elif case == "table":
        source = tmp_path / "r.csv"
        source.write_text("instance,mechanism\n")
        args = ["table", str(source), "--format", "markdown", "-o", str(source)]
    else:
        source = tmp_path / "in.json"
        shutil.copy(EXAMPLES / "seed004-example.json", source)
        args = {"export": ["export", str(source), "-o", str(source)],
                "benchmarks": ["benchmarks", str(source), "--players-csv", str(source)],
                "two-csvs": ["benchmarks", str(source), "--players-csv", str(tmp_path / "x.csv"),
                             "--coalitions-csv", str(tmp_path / "x.csv")],
                "game": ["game", str(source), "-m", "vcg", "-o", str(source)]}[case]
    before = source.read_bytes()
    result = run_cli(*args)
    assert result.returncode == 2, result.stderr
    said = "both name" if case == "two-csvs" else "input file"  # (two outputs on one file are not the input)
    assert said in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert source.read_bytes() == before


def test_mechanism_commands_take_jobs(tmp_path):
    """``evaluate``, ``outcome``, ``deviate`` and ``game`` take ``--jobs`` as ``benchmarks`` does:
    the programs of the strategies (one batch per mechanism) in this process or in two workers,
    the same JSON either way; 0 and beyond four per core are refused (exit 2)."""
    file = tmp_path / "regions.json"
    assert run_cli("generate", "--distribution", "regions", "--goods", "12", "--bids", "50", "--players", "6",
                   "--knowledge", "noisy-lower:0.5", "--coalitions", "pairs:1", "-o", str(file)).returncode == 0
    player = json.loads(file.read_text())["players"][0]
    for command in (["evaluate", "-m", "surviving-strategies"], ["outcome", "-m", "collusion-leveraging", "--player", player],
                    ["deviate", "-m", "best-belief", "--player", player]):
        outputs = [run_cli(*command, str(file), "--json", "--solver", "cpsat", "--jobs", jobs) for jobs in "12"]
        assert all(r.returncode in (0, 4) for r in outputs), outputs[1].stderr
        assert json.loads(outputs[0].stdout) == json.loads(outputs[1].stdout)
    for command in (["evaluate", "-m", "best-belief"], ["outcome", "-m", "best-belief", "--player", player],
                    ["deviate", "-m", "best-belief", "--player", player],
                    ["game", "-m", "best-belief", "-o", str(tmp_path / "g.efg")]):
        for jobs in ("0", "99999"):
            bad = run_cli(*command, str(file), "--jobs", jobs)
            assert bad.returncode == 2 and "--jobs" in bad.stderr, (command, jobs, bad.stderr)
    assert not (tmp_path / "g.efg").exists()


def test_jobs_beyond_four_per_core_are_refused():
    # 99,999 worker processes hung the command (out of threads); now one line, exit 2
    result = run_cli("benchmarks", str(EXAMPLES / "seed004-example.json"), "--jobs", "99999")
    assert result.returncode == 2 and "at most" in result.stderr and "--jobs" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize("stream", ["full stdout", "closed stdout", "closed stdin"])
def test_standard_streams_that_fail_give_one_line(stream):
    # a full disk or a closed stream ended in a traceback and status 1
    import subprocess

    from tests.conftest import cabench_command

    example = str(EXAMPLES / "seed004-example.json")
    args = [*cabench_command(), "benchmarks", "-" if stream == "closed stdin" else example, "--json"]
    if stream == "full stdout":
        with open("/dev/full", "w") as full:
            result = subprocess.run(args, stdout=full, stderr=subprocess.PIPE, text=True, timeout=300)
    else:
        fd = 0 if stream == "closed stdin" else 1
        result = subprocess.run(args, stdout=subprocess.PIPE if fd == 0 else None, stderr=subprocess.PIPE,
                                text=True, timeout=300, preexec_fn=lambda: os.close(fd))
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert "standard" in result.stderr


def test_evaluate_all_evaluates_what_it_can_when_a_program_is_not_proven(monkeypatch, capsys):
    """``evaluate --mechanism all`` with programs not proven: the mechanisms that need none of
    them (the second-price bundle auction needs no program) are evaluated as without a time
    limit, the others are listed as not proven with the program that stopped them, in every
    output; the command exits 3. VCG solves MSW and each MSW_-i of the reports with the same
    backend and limit (it ignored them, and could show E[SW] beside a perfect-revenue stopped
    by MSW itself). One mechanism that needs such a program still ends with one line and exit 3."""
    monkeypatch.setitem(ilp.backends.BACKENDS, "timed-out", TimedOutBackend)
    seed004 = str(EXAMPLES / "seed004-example.json")
    code = main(["evaluate", seed004, "-m", "all", "--json"])
    assert code == 0
    full = {m["mechanism"]: m for m in json.loads(capsys.readouterr().out)["mechanisms"]}
    code = main(["evaluate", seed004, "-m", "all", "--json", "--solver", "timed-out"])
    out, err = capsys.readouterr()
    assert code == 3 and "mechanisms not evaluated" in err
    data = json.loads(out)
    evaluated = {m["mechanism"]: m for m in data["mechanisms"]}
    assert set(evaluated) == {"second-price-bundle"}
    assert all(evaluated[name] == full[name] for name in evaluated)
    missing = {m["mechanism"]: m["reason"] for m in data["not_proven"]}
    assert "best-belief" in missing and "was not proven optimal" in missing["best-belief"]
    assert missing["vcg"].startswith("lex-first MSW allocation was not proven optimal")
    assert set(evaluated) | set(missing) == set(full) and not set(evaluated) & set(missing)
    assert main(["evaluate", seed004, "-m", "all", "--solver", "timed-out"]) == 3
    table = capsys.readouterr().out
    assert "NOT PROVEN" in table and "best-belief: not evaluated: MIEW_p1 was not proven optimal" in table
    assert main(["evaluate", seed004, "-m", "all", "--solver", "timed-out", "--format", "csv"]) == 3
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert {row[0] for row in rows[1:]} == set(full)
    verdict = rows[0].index("verdict")
    assert any(row[verdict].startswith("not proven: MIEW_p1") for row in rows[1:])
    frame = cabench.evaluate(seed004, "all", solver="timed-out").to_frame()
    assert len(frame) == len(full) and frame["E[SW]"].isna().sum() == len(missing)
    assert main(["evaluate", seed004, "-m", "best-belief", "--solver", "timed-out"]) == 3
    assert "MIEW_p1 was not proven optimal (feasible; incumbent 0, bound" in capsys.readouterr().err


def test_not_proven_reasons_in_the_files_money_and_rows_in_the_registrys_order(monkeypatch, capsys, tmp_path):
    """A program not proven names its incumbent and bound in the file's money (``scale``), as the
    tables show values, in every command's message; ``evaluate --mechanism all`` lists each
    mechanism not evaluated where the registry puts it, not after the evaluated ones. The error
    survives pickling (a sweep's or a batch's worker process)."""
    import pickle

    from benchmarks.results import NotProvenError
    from mechanisms.registry import MECHANISMS

    monkeypatch.setitem(ilp.backends.BACKENDS, "timed-out", TimedOutBackend)
    data = json.loads((EXAMPLES / "seed004-example.json").read_text())
    scaled = tmp_path / "scaled.json"
    scaled.write_text(json.dumps({**data, "scale": 100}))
    assert main(["evaluate", str(scaled), "-m", "best-belief", "--solver", "timed-out"]) == 3
    err = capsys.readouterr().err
    assert "MIEW_p1 was not proven optimal (feasible; incumbent 0.00, bound " in err
    bound = err.split(", bound ")[1].split(")")[0]
    assert bound.endswith(tuple("0123456789")) and len(bound.split(".")[1]) == 2, err
    assert main(["outcome", str(scaled), "-m", "best-belief", "--player", "p1", "--solver", "timed-out"]) == 3
    assert "incumbent 0.00, bound " in capsys.readouterr().err
    assert main(["deviate", str(scaled), "-m", "best-belief", "--player", "p1", "--solver", "timed-out"]) == 3
    assert "incumbent 0.00, bound " in capsys.readouterr().err

    assert main(["evaluate", str(scaled), "-m", "all", "--solver", "timed-out", "--format", "csv"]) == 3
    header, *rows = csv.reader(io.StringIO(capsys.readouterr().out))
    verdict = header.index("verdict")
    names = [row[0] for row in rows]
    assert names == [name for name in MECHANISMS if name in names]  # the registry's order
    missing = [row for row in rows if row[verdict].startswith("not proven")]
    assert missing and rows.index(missing[0]) < len(rows) - len(missing)  # not all at the end
    assert all("incumbent 0.00" in row[verdict] for row in missing)
    assert main(["evaluate", str(scaled), "-m", "all", "--solver", "timed-out"]) == 3
    table = capsys.readouterr().out
    listed = [line.split("│")[1].strip() for line in table.splitlines() if line.startswith("│")]
    assert [name for name in listed if name in MECHANISMS] == names
    frame = cabench.evaluate(str(scaled), "all", solver="timed-out").to_frame()
    assert list(frame["mechanism"]) == names

    error = NotProvenError("MSW", "feasible", 1777312720, 1948185134, scale=10**5)
    assert str(error) == "MSW was not proven optimal (feasible; incumbent 17773.12720, bound 19481.85134)"
    assert str(pickle.loads(pickle.dumps(error))) == str(error)
    assert str(NotProvenError("MSW", "feasible", 5, 9, withheld=True).in_units(10)) == (
        "MSW is worth 0.5, but its witness was not proven the first optimum (the tie-break ran out of time)")


def test_a_missing_choice_lists_its_names_on_one_line():
    """click lays the names of a missing choice out on lines of their own, which the one-line
    error showed as ``\\x0a\\x09``."""
    result = run_cli("evaluate", str(EXAMPLES / "seed004-example.json"))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "\\x0a" not in result.stderr and "Choose from: surviving-strategies, " in result.stderr


def test_coalition_members_survive_a_comma_in_a_name(tmp_path):
    """The coalitions CSV joins members with commas; its ``members`` column is a JSON list, which
    a player named ``a,b`` cannot make ambiguous."""
    data = {"goods": ["g"], "players": ["a,b", "c"], "valuations": {"a,b": {"xor": [[["g"], 5]]},
                                                                    "c": {"xor": [[["g"], 3]]}},
            "coalitions": [["a,b", "c"]]}
    path = tmp_path / "names.json"
    path.write_text(json.dumps(data))
    result = run_cli("benchmarks", str(path), "--coalitions-csv", "-")
    assert result.returncode == 0, result.stderr
    (row,) = csv.DictReader(io.StringIO(result.stdout))
    assert json.loads(row["members"]) == ["a,b", "c"] and row["size"] == "2"


def test_the_summary_counts_players_and_ranks_them_by_the_value_reached_when_not_proven():
    """With a time limit too short for proofs the summary said "with MIEW_i > 0: 0" although
    every player had an outcome of positive revenue (which proves it), listed its top players
    in file order, and counted unproven values (399) in its players' column (198 players)."""
    from dataclasses import replace

    from benchmarks.results import Benchmark
    from cabench.render import coalition_counts, player_counts, top_coalitions, top_players, top_players_title
    from ilp import Status

    report = cabench.benchmarks(cabench.generate("uniform", goods=8, bids=24, players=12, seed=3,
                                                 knowledge="noisy-lower:0.6", coalitions="pairs:5"))

    def unproven(b: Benchmark, incumbent: int) -> Benchmark:
        return replace(b, status=Status.FEASIBLE, value=None, incumbent=incumbent, bound=incumbent + 5)

    reached = {3: 7, 5: 0, 9: 30}  # players whose MIEW_i is left unproven, and the value reached
    rows = tuple(replace(r, miew=unproven(r.miew, reached[r.player]), mikw=unproven(r.mikw, 1))
                 if r.player in reached else r for r in report.players)
    report = replace(report, players=rows)
    counts = dict(player_counts(report))
    proven_positive = sum(1 for r in rows if (r.miew.value or 0) > 0)
    assert counts["with MIEW_i > 0"] == str(proven_positive + 2)  # (7 and 30 reached: positive)
    assert counts["MIEW_i > 0 or not: not proven"] == "1"
    assert counts["with a value not proven (MIEW_i, MIKW_i or MSW_-i)"] == "3"
    order = [r.player for r in top_players(report, k=12)]
    assert order[-3:] == [9, 3, 5]  # after the proven ones, by the value reached
    assert top_players_title(top_players(report)).endswith("; not proven: after, by the value reached)")
    assert "not proven" not in top_players_title(top_players(report, k=3))
    pairs = [a for a in report.agents if len(a.members) > 1]
    left = {pairs[0].members: 3, pairs[1].members: 40}
    agents = tuple(replace(a, mkw=unproven(a.mkw, left[a.members])) if a.members in left else a
                   for a in report.agents)
    report = replace(report, agents=agents)
    ranked = [a.members for a in top_coalitions(report)]
    assert ranked[-2:] == [pairs[1].members, pairs[0].members]
    assert dict(coalition_counts(report))["with a value not proven (MKW_A or BA^A)"] == "2"
