"""``cabench experiment``: the knowledge axis, provenance in every row, resuming keyed on what a
row is (a new mechanism or new parameters are computed, nothing else), as a user runs it."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import time
from fractions import Fraction
from pathlib import Path

import pandas as pd
import psutil
import pytest

from cabench.experiment import parse_axis
from instances import CabenchError
from tests.conftest import EXAMPLES, cabench_command, run_cli

GENERATED = ["-d", "regions", "-m", "6", "-b", "12", "-n", "3", "--seeds", "2"]
AXIS = "noisy-lower:0.5,0.75,...,1.0"


def _frame(path: Path) -> pd.DataFrame:
    return pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)


def test_axis_specs():
    assert parse_axis("noisy-lower:0.1,0.2,...,1.0").values == tuple(Fraction(k, 10) for k in range(1, 11))
    assert parse_axis("candidates:1,2,4").values == (1, 2, 4)
    assert parse_axis("coalition-size:2,3").point(Fraction(3), "exact", "none", 2) == ("exact", "random:2:3")
    assert parse_axis("wrong:0,0.5").point(Fraction(1, 2), "exact", "pairs:1", 1) == ("wrong:0.5", "pairs:1")
    for bad in ("noisy-lower:0,0.5", "magic:1,2", "wrong:0.1,0.2,...", "candidates:1.5", "coalition-size:1",
                "noisy-lower:0.5,0.5"):
        with pytest.raises(CabenchError):
            parse_axis(bad)
    # a progression that falls says why (it was "cannot read" with the general form)
    with pytest.raises(CabenchError, match=r"rises from A in steps of B - A up to Z, so it needs A < B"):
        parse_axis("noisy-lower:0.5,0.4,...,0.1")
    assert parse_axis("noisy-lower:0.5,0.4,0.3").values == (Fraction(1, 2), Fraction(2, 5), Fraction(3, 10))


@pytest.mark.parametrize("spec, message", [
    # counted before they are drawn: each took 40 s and about 2 GB before it was refused
    ("candidates:1,2,...,100000000", "100000000 values; at most 1000"),
    ("noisy-lower:0.0000001,0.0000002,...,1", "10000000 values; at most 1000"),
    ("candidates:" + ",".join(str(k) for k in range(1, 1002)), "1001 values; at most 1000"),
    ("noisy-lower:1e-99999999", "cannot read"),  # Fraction() of it takes minutes
])
def test_too_many_or_too_long_axis_values_are_refused_at_once(spec, message):
    start = time.monotonic()
    with pytest.raises(CabenchError, match=message):
        parse_axis(spec)
    assert time.monotonic() - start < 1
    assert len(parse_axis("noisy-lower:0.001,0.002,...,1").values) == 1000


@pytest.mark.parametrize("args, message", [
    # (the axis's knowledge was said of --knowledge, which the user did not give)
    (["--axis", "candidates:100000000"], "Invalid value for '--axis': \"candidates:100000000\": every player"),
    (["--axis", "noisy-lower:2"], "Invalid value for '--axis': noisy-lower value 2: expected F (0 < F <= 1)"),
    (["--axis", "noisy-lower:0.5", "--knowledge", "foo"], "Invalid value for '--knowledge': cannot read \"foo\""),
])
def test_knowledge_that_cannot_be_drawn_is_one_line_of_the_command(tmp_path, args, message):
    """These were lines without the command's "cabench experiment:" (the models' own words)."""
    results = tmp_path / "new" / "r.csv"
    result = run_cli("experiment", *args, "-d", "regions", "-m", "4", "-b", "8", "-n", "3", "-o", str(results))
    assert result.returncode == 2 and result.stderr.startswith(f"cabench experiment: {message}"), result.stderr
    assert result.stderr.count("\n") == 1 and not (tmp_path / "new").exists()


def test_the_axis_knowledge_of_given_files_is_blamed_on_the_axis(tmp_path):
    results = tmp_path / "new" / "r.csv"
    result = run_cli("experiment", "--axis", "candidates:100000000", str(EXAMPLES / "seed004-example.json"),
                     "-o", str(results))
    assert result.returncode == 2 and not (tmp_path / "new").exists(), result.stderr
    assert result.stderr.startswith("cabench experiment: Invalid value for '--axis': \"candidates:100000000\": "
                                    "every player would hold"), result.stderr


def test_generation_names_the_flags_it_misses(tmp_path):
    result = run_cli("experiment", "--axis", "wrong:0.5", "-d", "regions", "-n", "3", "-o", str(tmp_path / "r.csv"))
    assert result.returncode == 2 and "missing: --goods, --bids" in result.stderr, result.stderr


@pytest.fixture(scope="module")
def experiment(tmp_path_factory) -> Path:
    results = tmp_path_factory.mktemp("exp") / "r.parquet"
    result = run_cli("experiment", "--axis", AXIS, *GENERATED, "--mechanisms", "best-belief,perfect-revenue",
                     "--time-limit", "60", "-o", str(results))
    assert result.returncode == 0, result.stderr
    assert "6 instance(s) computed, 0 already" in result.stderr
    return results


def test_rows_carry_their_provenance(experiment):
    frame = _frame(experiment)
    mechanisms = {"best-belief", "perfect-revenue", "vcg", "second-price-bundle"}  # baselines always added
    assert len(frame) == 3 * 2 * (1 + len(mechanisms))
    assert set(frame["mechanism"].dropna()) == mechanisms
    bench = frame[frame["mechanism"].isna()]  # the benchmark row: mechanism null, not ""
    assert len(bench) == 6 and bench["E_SW"].isna().all()
    assert set(frame["axis"]) == {"noisy-lower"} and sorted(set(frame["axis_value"])) == [0.5, 0.75, 1.0]
    assert set(frame["knowledge"]) == {"noisy-lower:0.5", "noisy-lower:0.75", "noisy-lower:1"}
    assert set(frame["distribution"]) == {"regions"} and set(frame["seed"]) == {0, 1}
    assert set(frame["coalition_spec"]) == {"none"}
    assert set(frame["goods"]) == {6} and set(frame["bids"]) == {12} and set(frame["players"]) == {3}
    assert set(frame["solver"]) == {"portfolio"} and set(frame["time_limit"]) == {60.0}
    assert frame["proven"].all() and frame["benchmarks_proven"].all()
    assert frame["cabench_version"].notna().all() and (frame["host_cores"] >= 1).all()
    # what ran: the checkout's commit (the version alone named every development state alike) and the solvers
    checkout = (Path(__file__).resolve().parent.parent / ".git").exists()
    assert frame["cabench_commit"].notna().all() == checkout and frame["software"].str.startswith("python 3.").all()
    assert frame["software"].str.contains("; ortools ").all()
    assert (frame["solve_seconds"] > 0).all()
    for file, sha in zip(frame["file"], frame["instance_sha256"]):
        assert hashlib.sha256(Path(file).read_bytes()).hexdigest() == sha
        assert Path(file).parent.name == "r.parquet.instances"
    # same seed, same auction along the axis: the benchmark MSW does not depend on the knowledge
    assert bench.groupby("seed")["MSW"].nunique().max() == 1
    params = frame[frame["mechanism"] == "best-belief"]["parameters"].map(json.loads)
    assert all("eps" in p for p in params)


def test_holds_is_the_theorems_verdict(experiment):
    frame = _frame(experiment)
    perfect = frame[frame["mechanism"] == "perfect-revenue"]
    # noisy knowledge: nobody is perfectly informed, so the theorem says nothing (null, not False)
    assert (perfect["verdict"] == "premise not met").all() and perfect["holds"].isna().all()
    belief = frame[frame["mechanism"] == "best-belief"]
    assert (belief["verdict"] == "PASS").all() and belief["holds"].astype(bool).all()
    assert (belief["guarantee_on"] == "revenue").all()
    assert (belief["revenue_over_benchmark"] >= belief["bound_over_benchmark"] - 1e-12).all()
    baselines = frame[frame["mechanism"].isin(["vcg", "second-price-bundle"])]
    assert baselines["guarantee"].isna().all() and baselines["total_over_MSW"].notna().all()


def test_resume_computes_new_mechanisms_and_parameters_only(experiment, tmp_path):
    results = tmp_path / "r.parquet"
    results.write_bytes(experiment.read_bytes())
    args = ["experiment", "--axis", AXIS, *GENERATED, "--time-limit", "60", "-o", str(results)]
    same = run_cli(*args, "--mechanisms", "best-belief")
    assert same.returncode == 0 and "0 instance(s) computed, 6 already" in same.stderr, same.stderr
    # best-belief's default given by hand: the same rows (they were computed again under "eps=1/10")
    default = run_cli(*args, "--mechanisms", "best-belief", "--param", "eps=1/10")
    assert default.returncode == 0 and "0 instance(s) computed, 6 already" in default.stderr, default.stderr
    more = run_cli(*args, "--mechanisms", "best-belief,surviving-strategies")
    assert more.returncode == 0 and "6 instance(s) computed, 0 already" in more.stderr, more.stderr
    frame = _frame(results)
    assert (frame["mechanism"] == "surviving-strategies").sum() == 6
    eps = run_cli(*args, "--mechanisms", "best-belief", "--param", "eps=1/100")
    assert eps.returncode == 0 and "6 instance(s) computed" in eps.stderr, eps.stderr
    frame = _frame(results)
    belief = frame[frame["mechanism"] == "best-belief"]
    assert sorted(belief["parameter_spec"].value_counts().items()) == [("", 6), ("eps=1/100", 6)]
    keys = ["instance_sha256", "mechanism", "parameter_spec", "solver"]
    assert not frame[keys].astype(str).duplicated().any()
    assert len(frame) == 6 * (1 + 4 + 1 + 1)


def test_given_files_are_annotated_along_the_axis(tmp_path):
    source = EXAMPLES / "vcg-collusion.json"
    results = tmp_path / "r.csv"
    result = run_cli("experiment", str(source), "--axis", "coalition-size:2", "--seeds", "2",
                     "--mechanisms", "collusion-leveraging", "-o", str(results))
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(results)
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    assert set(frame["source_sha256"]) == {sha} and set(frame["source_file"]) == {str(source)}
    assert set(frame["coalition_spec"]) == {"random:1:2"} and set(frame["colluders"]) == {2}
    assert set(frame["knowledge"]) == {"exact"} and frame["distribution"].isna().all()


@pytest.mark.parametrize("args, message", [
    (["--axis", "magic:1"], "cabench experiment: Invalid value for '--axis': cannot read"),
    (["--axis", "candidates:2,2"], "cabench experiment: Invalid value for '--axis': candidates:2,2: values must be distinct"),
    (["--axis", AXIS], "nothing to experiment on"),
    (["--axis", AXIS, "-d", "regions"], "need --distribution, --goods, --bids and --players"),
    (["--axis", AXIS, *GENERATED, "--mechanisms", "nope"], 'unknown mechanism "nope"'),
    (["--axis", AXIS, str(EXAMPLES / "seed004-example.json"), "-d", "regions"],
     "files and generation options do not mix"),
    (["--axis", AXIS, *GENERATED, "--param", "foo=1"], 'Invalid value for \'--param\': unknown parameter "foo"'),
    (["--axis", AXIS, *GENERATED, "--time-limit", "nan"],
     "cabench experiment: Invalid value for '--time-limit': 'nan' is not a number of seconds"),
    (["--axis", AXIS, *GENERATED, "--workers", "1000"], "cabench experiment: Invalid value for '--workers'"),
    (["--axis", "candidates:1,2,...,100000000", *GENERATED], "100000000 values; at most 1000"),
    # (it ran as 0.3333333333333333, which --knowledge noisy-lower:1/3 refuses)
    (["--axis", "noisy-lower:1/3,1", *GENERATED], "noisy-lower value 1/3: expected a decimal such as 0.3"),
    (["--axis", "candidates:1/3,1", *GENERATED], "candidates value 1/3: expected a whole number"),
    (["--axis", "noisy-lower:0.12345678901234567891,0.12345678901234567892", *GENERATED],
     "values must be distinct as the models read them"),
    (["--axis", AXIS, *GENERATED, "--mechanisms", "vcg,"], "'--mechanisms': \"vcg,\": an empty item"),
    (["--axis", AXIS, *GENERATED, "--time-limit", "9", "--time-limit", "10"],
     "cabench experiment: --time-limit given twice"),
])
def test_experiment_errors(tmp_path, args, message):
    result = run_cli("experiment", *args, "-o", str(tmp_path / "r.csv"))
    assert result.returncode == 2 and message in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_experiment_failing_before_an_instance_is_computed_leaves_no_instance_file(tmp_path):
    """The solver refuses the drawn instances (16 goods, brute force takes 12): their files and
    folder were left in r.csv.instances/; the message names the instance."""
    result = run_cli("experiment", "--axis", "noisy-lower:0.5,1", "-d", "regions", "-m", "16", "-b", "24", "-n", "4",
                     "--seeds", "1", "--solver", "brute", "-o", str(tmp_path / "out" / "r.csv"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"{tmp_path / 'out' / 'r.csv.instances'}/regions-m16-b24-n4-s0-knoisy-lower0.5"
                                    ".json: the brute-force backend (--solver brute) handles at most 12 goods")
    assert list(tmp_path.iterdir()) == []


def test_a_second_experiment_into_the_same_results_is_refused_before_it_draws(tmp_path):
    """While one experiment holds the results' lock, another into the same results is refused
    at once and touches none of the running one's instance files. It used to draw (and rewrite)
    every instance file first, and, refused by the sweep, remove those it thought it had made:
    two identical commands started together could destroy each other's instances."""
    from instances.files import exclusive_lock

    args = ["--axis", "noisy-lower:0.5,1", *GENERATED, "--mechanisms", "vcg"]
    first = tmp_path / "first" / "r.csv"
    assert run_cli("experiment", *args, "-o", str(first)).returncode == 0
    names = sorted(p.name for p in (tmp_path / "first" / "r.csv.instances").iterdir())
    assert len(names) == 4
    results = tmp_path / "second" / "r.csv"
    drawn = tmp_path / "second" / "r.csv.instances"
    drawn.mkdir(parents=True)
    for name in names[:2]:  # the running experiment's files so far (one still being written)
        (drawn / name).write_text("being written", encoding="utf-8")
    with exclusive_lock(tmp_path / "second" / "r.csv.lock", str(results)):
        refused = run_cli("experiment", *args, "-o", str(results))
        assert refused.returncode == 2, refused.stderr
        assert f"{results}: another cabench sweep or experiment" in refused.stderr
        assert refused.stderr.count("\n") == 1, refused.stderr
        assert sorted(p.name for p in drawn.iterdir()) == names[:2]
        assert all((drawn / name).read_text(encoding="utf-8") == "being written" for name in names[:2])
        assert not results.exists()


@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stopped_experiment_says_how_to_resume_and_resumes_with_a_new_mechanism(tmp_path, signum, status):
    results = tmp_path / "r.csv"
    args = ["experiment", "--axis", "noisy-lower:0.25,0.5,...,1.0", "-d", "regions", "-m", "8", "-b", "24", "-n", "4",
            "--seeds", "5", "--workers", "2", "--mechanisms", "best-belief", "-o", str(results)]
    proc = subprocess.Popen([*cabench_command(), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    journal = tmp_path / "r.csv.journal.jsonl"
    deadline = time.monotonic() + 120
    while not (journal.exists() and journal.read_text().count("\n") >= 2):
        assert proc.poll() is None, f"the experiment ended before it could be stopped: {proc.stderr.read()}"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signum)
    code = proc.wait(timeout=20)
    stderr = proc.stderr.read()
    assert code == status, stderr
    assert "Traceback" not in stderr and "leaked" not in stderr
    assert "run the same command again to resume" in stderr and len(stderr.strip().splitlines()) == 1, stderr
    time.sleep(1)
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    kept = journal.read_text().count("\n")
    assert kept >= 2 and not results.exists()
    resumed = run_cli(*args[:-4], "--mechanisms", "best-belief,surviving-strategies", "-o", str(results))
    assert resumed.returncode == 0, resumed.stderr
    frame = pd.read_csv(results)
    assert len(frame) == 20 * (1 + 4) and not frame[["instance_sha256", "mechanism"]].astype(str).duplicated().any()
    assert (frame["mechanism"] == "surviving-strategies").sum() == 20


def test_sweep_rows_read_how_generated_files_were_made(tmp_path):
    folder = tmp_path / "inst"
    made = run_cli("generate", "-d", "paths", "-m", "5", "-b", "10", "-n", "3", "--seed", "7", "--knowledge", "exact",
                   "--coalitions", "pairs:1", "-o", str(folder), "--count", "2")
    assert made.returncode == 0, made.stderr
    for path in folder.iterdir():  # a renamed file keeps its record
        path.rename(folder / f"renamed-{path.name}")
    results = tmp_path / "r.csv"
    assert run_cli("sweep", str(folder), "--mechanisms", "vcg", "-o", str(results)).returncode == 0
    frame = pd.read_csv(results)
    assert set(frame["distribution"]) == {"paths"} and set(frame["seed"]) == {7, 8}
    assert set(frame["knowledge"]) == {"exact"} and set(frame["coalition_spec"]) == {"pairs:1"}
    assert frame["mechanism"].isna().sum() == 2 and frame["cabench_version"].notna().all()


def test_a_coalition_size_too_large_is_blamed_on_the_axis(tmp_path):
    """The coalitions of the coalition-size axis are the axis's: too large a size was reported as
    an error of ``--coalitions``, which the user never gave. With a number of players it is
    refused before any work; with bidders (or files) when the instances are drawn."""
    out = tmp_path / "new" / "r.csv"
    result = run_cli("experiment", "--axis", "coalition-size:2,5", "-d", "regions", "-m", "4", "-b", "6",
                     "-n", "2", "-o", str(out))
    assert result.returncode == 2 and not out.parent.exists(), result.stderr
    assert result.stderr.strip() == ("cabench experiment: Invalid value for '--axis': \"coalition-size:5\": 1 "
                                     "coalition "
                                     "of 5 players does not fit among 2 players (K x SIZE <= players)")
    result = run_cli("experiment", "--axis", "coalition-size:9", "-d", "regions", "-m", "4", "-b", "6",
                     "-n", "bidders", "-o", str(out))
    assert result.returncode == 2 and not out.parent.exists(), result.stderr
    assert result.stderr.startswith("cabench experiment: Invalid value for '--axis': \"coalition-size:9\": 1 "
                                    "coalition of 9 players does not fit among"), result.stderr
    assert "--coalitions" not in result.stderr


def test_an_unknown_distribution_is_said_before_the_design_of_the_results(tmp_path):
    """A typo in the distribution's name, into existing results, was reported as another design."""
    out = tmp_path / "r.csv"
    assert run_cli("experiment", "--axis", "noisy-lower:0.5", *GENERATED, "--mechanisms", "vcg",
                   "-o", str(out)).returncode == 0
    result = run_cli("experiment", "--axis", "noisy-lower:0.5", "-d", "regionz", *GENERATED[2:], "--mechanisms",
                     "vcg", "-o", str(out))
    assert result.returncode == 2 and 'unknown distribution "regionz"' in result.stderr, result.stderr


def test_one_results_file_holds_one_design(tmp_path):
    """Another design into the same results (other goods, another axis, other fixed coalitions,
    a sweep's rows) is refused before anything is drawn or written: the table pooled them into
    one family. The same design resumes with new seeds, also where the generator makes more bids
    than asked (the table distribution) and on given files made by ``generate``."""
    out = tmp_path / "r.csv"
    assert run_cli("experiment", "--axis", "noisy-lower:0.5,1", *GENERATED, "--mechanisms", "vcg", "-o",
                   str(out)).returncode == 0
    before = out.read_bytes()
    design = "along noisy-lower; regions, 6 goods, 12 bids, 3 players; coalitions none"
    for args, says in (
            (["--axis", "noisy-lower:0.5,1", "-d", "regions", "-m", "7", "-b", "12", "-n", "3"],
             f"holds an experiment {design}; this experiment is along noisy-lower; regions, 7 goods"),
            (["--axis", "wrong:0,0.5", *GENERATED[:-2]], f"holds an experiment {design}; this experiment is along wrong"),
            (["--axis", "noisy-lower:0.5,1", *GENERATED[:-2], "--coalitions", "pairs:1"],
             "this experiment is along noisy-lower; regions, 6 goods, 12 bids, 3 players; coalitions pairs:1"),
            (["--axis", "noisy-lower:0.5,1", str(EXAMPLES / "seed004-example.json")],
             "this experiment is along noisy-lower; given files")):
        result = run_cli("experiment", *args, "--seeds", "1", "--mechanisms", "vcg", "-o", str(out))
        assert result.returncode == 2 and says in result.stderr, result.stderr
        assert "write it to another results file" in result.stderr and out.read_bytes() == before
    more = run_cli("experiment", "--axis", "noisy-lower:0.5,1", *GENERATED[:-1], "3", "--mechanisms", "vcg",
                   "-o", str(out))
    assert more.returncode == 0 and "2 instance(s) computed, 4 already" in more.stderr, more.stderr  # a seed more
    table = tmp_path / "t.csv"  # (asked for 8 bids, the table distribution makes more: resumed all the same)
    for seeds in ("1", "2"):
        result = run_cli("experiment", "-d", "table", "-m", "3", "-b", "8", "-n", "2", "--axis", "wrong:0,0.5",
                         "--seeds", seeds, "--mechanisms", "vcg", "--solver", "brute", "-o", str(table))
        assert result.returncode == 0, result.stderr
    folder = tmp_path / "inst"
    assert run_cli("generate", "-d", "regions", "-m", "5", "-b", "10", "-n", "3", "--count", "2",
                   "-o", str(folder)).returncode == 0
    given = tmp_path / "g.csv"
    for seeds in ("1", "2"):  # files made by generate carry a distribution: still "given files"
        result = run_cli("experiment", *map(str, sorted(folder.glob("*.json"))), "--axis", "wrong:0,0.5",
                         "--seeds", seeds, "--mechanisms", "vcg", "--solver", "brute", "-o", str(given))
        assert result.returncode == 0, result.stderr
    swept = tmp_path / "s.csv"
    assert run_cli("sweep", str(folder), "-o", str(swept)).returncode == 0
    result = run_cli("experiment", "--axis", "noisy-lower:0.5,1", *GENERATED, "-o", str(swept))
    assert result.returncode == 2 and "holds rows of a sweep" in result.stderr


def test_an_experiment_on_given_files_counts_each_file_or_each_seed_of_one_file(tmp_path):
    """On given files the seed draws the knowledge. A line of several files counts the files (the
    auctions): each (file, seed) was a unit, so two files under two seeds were four, and VCG,
    blind to knowledge, had an interval as if its two values were four independent ones. A line
    of one file counts its knowledge draws, pooled over the points each once. Two files made by
    ``generate`` with the same seed were one auction to the table (their generator's arguments
    and seed)."""
    from cabench.summary import load, summary_table

    folder = tmp_path / "inst"
    assert run_cli("generate", "-d", "arbitrary", "-m", "3", "-b", "4", "-n", "2", "--count", "2",
                   "-o", str(folder)).returncode == 0
    out = tmp_path / "r.csv"
    assert run_cli("experiment", *map(str, sorted(folder.glob("*.json"))), "--axis", "wrong:0,0.5", "--seeds", "2",
                   "--mechanisms", "best-belief", "--solver", "brute", "-o", str(out)).returncode == 0
    frame = load(out)
    per_point = {(r["axis_value"], r["mechanism"]): r["n"] for r in summary_table(frame, per_point=True).records}
    assert per_point[(0.5, "vcg")] == 2  # two files (under two seeds each)
    pooled = {r["mechanism"]: r for r in summary_table(frame).records}
    assert (pooled["vcg"]["n"], pooled["vcg"]["rows"]) == (2, 8)
    vcg = frame[frame["mechanism"] == "vcg"]
    per_file = vcg.groupby("source_sha256")["total_over_MSW"].mean()
    assert len(per_file) == 2 and per_file.iloc[0] != per_file.iloc[1]  # two auctions, not one
    t = 12.706204736174698  # Student's t, 1 degree of freedom
    assert pooled["vcg"]["total_over_MSW_ci95"] == pytest.approx(t * per_file.std() / 2 ** 0.5)
    # a point where one file's rows are missing (not proven) counts in the line's units, the
    # files: --per-point counted that point's two seeds of the other file as two units
    gone = (frame["source_sha256"] == per_file.index[1]) & (frame["axis_value"] == 0.5)
    frame.loc[gone, "total"] = None
    per_point = {(r["axis_value"], r["mechanism"]): r["n"] for r in summary_table(frame, per_point=True).records}
    assert (per_point[(0, "vcg")], per_point[(0.5, "vcg")]) == (2, 1)
    one = tmp_path / "one.csv"
    assert run_cli("experiment", str(sorted(folder.glob("*.json"))[0]), "--axis", "wrong:0,0.5", "--seeds", "3",
                   "--mechanisms", "best-belief", "--solver", "brute", "-o", str(one)).returncode == 0
    lines = {r["mechanism"]: r for r in summary_table(load(one)).records}
    assert (lines["best-belief"]["n"], lines["best-belief"]["rows"]) == (3, 6)  # one file: its three draws


@pytest.mark.parametrize("seeds, says", [
    ("1000000000", "1000000000 is not in the range 1<=x<=100000"),  # it built the seeds' list: 24 GB
    ("60000", "2 points x 60000 seeds = 120,000 instances; at most 100,000"),
])
def test_too_many_instances_are_refused_at_once(tmp_path, seeds, says):
    start = time.monotonic()
    result = run_cli("experiment", "--axis", "noisy-lower:0.5,0.6", "-d", "regions", "-m", "3", "-b", "4", "-n", "2",
                     "--seeds", seeds, "-o", str(tmp_path / "out" / "r.csv"))
    assert result.returncode == 2 and says in result.stderr, result.stderr
    assert time.monotonic() - start < 30 and not (tmp_path / "out").exists()


def test_table_and_plot_refuse_results_of_two_designs_in_one_family(tmp_path):
    """Two experiments' results concatenated by hand (another axis), or an experiment's with a
    sweep's of the same family: ``experiment`` refuses to write such a file, but ``table``
    summarised it with exit 0, pooling both into one family's line (wrong:0.5 counted as
    noisy-lower:0.5, a user's audit); ``plot`` refused the first without the file's name. Both
    now refuse them, naming the file and the two lines. Rows of one experiment with and without a
    design (resumed across the version that added the column) stay accepted, as ``experiment``
    resumes them, and so do rows of another family beside them (summarised apart)."""
    args = ["-d", "regions", "-m", "3", "-b", "4", "-n", "2", "--seeds", "1", "--mechanisms", "vcg",
            "--solver", "brute"]
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    assert run_cli("experiment", "--axis", "noisy-lower:0.5", *args, "-o", str(first)).returncode == 0
    assert run_cli("experiment", "--axis", "wrong:0.5", *args, "-o", str(second)).returncode == 0
    swept = {}
    for kind, source in (("same", "generated"), ("other", str(EXAMPLES / "seed004-example.json"))):
        if source == "generated":
            source = str(tmp_path / "g.json")
            assert run_cli("generate", *args[:8], "--seed", "7", "-o", source).returncode == 0
        swept[kind] = tmp_path / f"{kind}.csv"
        assert run_cli("sweep", source, "--mechanisms", "vcg", "--solver", "brute",
                       "-o", str(swept[kind])).returncode == 0
    joined = tmp_path / "joined.csv"
    for other, drop, says in ((second, [], "of the experiment along wrong"),
                              (second, ["design"], "of an experiment along wrong"),  # (rows before designs)
                              (swept["same"], [], "of no experiment (no knowledge axis)")):
        pd.concat([pd.read_csv(first), pd.read_csv(other)]).drop(columns=drop).to_csv(joined, index=False)
        for command in (["table", str(joined)], ["plot", str(joined), "-o", str(tmp_path / "figures")]):
            result = run_cli(*command)
            assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
            lines = (f"{joined}: line 2 is of an experiment along noisy-lower" if drop else
                     f"{joined}: line 2 is of the experiment along noisy-lower")
            assert result.stderr.startswith(lines), result.stderr
            assert says in result.stderr and "one design per family" in result.stderr
    assert not (tmp_path / "figures").exists()
    pd.read_csv(first).assign(design=None).to_csv(joined, index=False)  # (written before rows had a design)
    resumed = run_cli("experiment", "--axis", "noisy-lower:0.5", *args[:-5], "2", *args[-4:], "-o", str(joined))
    assert resumed.returncode == 0 and "1 already" in resumed.stderr, resumed.stderr
    assert run_cli("table", str(joined)).returncode == 0
    pd.concat([pd.read_csv(first), pd.read_csv(swept["other"])]).to_csv(joined, index=False)
    assert run_cli("table", str(joined)).returncode == 0


def test_results_without_a_design_still_refuse_another_family(tmp_path):
    """Results written before rows had a design were checked by their axis alone: another
    size was accepted and pooled into one family."""
    out = tmp_path / "r.csv"
    args = ["--axis", "noisy-lower:0.5", "--seeds", "1", "--mechanisms", "vcg", "--solver", "brute"]
    assert run_cli("experiment", "-d", "regions", "-m", "3", "-b", "4", "-n", "2", *args, "-o", str(out)).returncode == 0
    frame = pd.read_csv(out).drop(columns=["design", "valuations_sha256", "file_absolute"])
    frame.to_csv(out, index=False)
    result = run_cli("experiment", "-d", "regions", "-m", "4", "-b", "4", "-n", "2", *args, "-o", str(out))
    assert result.returncode == 2 and "holds an experiment on regions, 3 goods, 2 players" in result.stderr
    again = run_cli("experiment", "-d", "regions", "-m", "3", "-b", "4", "-n", "2", *args[:2], "--seeds", "2",
                    *args[4:], "-o", str(out))
    assert again.returncode == 0, again.stderr


def test_an_experiment_on_a_cats_file_reads_it_as_import_does(tmp_path):
    """The knowledge axis on a CATS 2.1 file as written (it said "invalid JSON ... convert it
    with `cabench import`" first): the drawn files keep its valuations and scale, the rows name
    the source file and its SHA-256."""
    source = tmp_path / "matching-40-200-0000.txt"
    source.write_bytes((Path(__file__).parent / "data" / "cats" / source.name).read_bytes())
    results = tmp_path / "exp.csv"
    done = run_cli("experiment", str(source), "--axis", "noisy-lower:0.5,1.0", "--seeds", "1", "--mechanisms",
                   "best-belief", "-o", str(results))
    assert done.returncode == 0, done.stderr
    frame = _frame(results)
    assert set(frame["axis_value"]) == {0.5, 1.0} and set(frame["scale"]) == {100000}
    assert set(frame["source_file"]) == {str(source)}
    assert set(frame["source_sha256"]) == {hashlib.sha256(source.read_bytes()).hexdigest()}
    assert set(frame.loc[frame["mechanism"].isna(), "MSW"]) == {85.33696}  # the generator's own optimum
    assert set(frame["distribution"]) == {"matching"}  # as its header names it


def test_an_axis_spells_each_point_as_the_knowledge_models_take_it():
    """The points of an axis are knowledge specs in the one spelling the models take (``repr``
    wrote 1e-05, which ``--knowledge`` refuses with "write it noisy-lower:0.00001")."""
    from fractions import Fraction

    from cabench.experiment import parse_axis
    from instances.knowledge_models import parse_knowledge

    for spec in ("noisy-lower:0.00001,0.00002,...,0.0001", "wrong:0,0.1,...,1", "noisy-lower:0.1,0.2,...,1.0"):
        axis = parse_axis(spec)
        for value in axis.values:
            knowledge, _ = axis.point(value, "exact", "none", 0)
            assert parse_knowledge(knowledge)[1] == float(value), knowledge
    assert parse_axis("noisy-lower:0.00001").point(Fraction(1, 100000), "", "", 0)[0] == "noisy-lower:0.00001"


def test_drawing_the_instances_reports_progress(tmp_path):
    """Drawing the instances may take longer than computing them (100 files of arbitrary 48 /
    300: 17 s, with no bar): the command shows a bar fed by ``experiment_files``' progress."""
    from cabench.experiment import Family, experiment_files

    seen = []
    files = experiment_files(tmp_path / "made", parse_axis("noisy-lower:0.5,1"), [0, 1, 2],
                             family=Family("regions", 5, 10, 3), progress=lambda done, total: seen.append((done, total)))
    assert len(files) == 6 and seen == [(k, 6) for k in range(7)]


def test_an_axis_of_tiny_decimals_is_read():
    """A value below about 1e-38 is written without exponent in more than 40 characters, which a
    check of the axis's spelling read back as too long: a traceback (a review)."""
    assert parse_axis("noisy-lower:1e-45,1").values == (Fraction(1, 10**45), Fraction(1))
    assert parse_axis("wrong:1.2345678901234567e-25,0.5").values[1] == Fraction(1, 2)
