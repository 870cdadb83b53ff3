"""``cabench sweep`` and ``cabench plot``: local and Dask executors, resuming, figures."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import socket
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from cabench.sweep import run_sweep
from instances import dump_instance
from instances.generate import generate_instance
from tests.conftest import EXAMPLES, run_cli

MECHS = ["best-belief", "surviving-strategies"]


@pytest.fixture()
def folder(tmp_path):
    out = tmp_path / "instances"
    out.mkdir()
    for seed in range(3):
        inst = generate_instance("regions", 6, 12, 3, seed, knowledge="exact")
        dump_instance(inst, out / f"{inst.name}.json")
    return out


def test_local_sweep_writes_one_row_per_instance_and_mechanism(folder, tmp_path):
    results = tmp_path / "results.csv"
    computed, skipped, proven = run_sweep(sorted(folder.glob("*.json")), results, MECHS, workers=2)
    assert (computed, skipped, proven) == (3, 0, True)
    frame = pd.read_csv(results)
    assert len(frame) == 3 * (1 + len(MECHS))
    rows = frame[frame["mechanism"] == "best-belief"]
    assert rows["holds"].all() and (rows["E_REV"] >= rows["guarantee_value"] / 2 - 0.1).all()
    assert not (tmp_path / "results.csv.journal.jsonl").exists()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_results_columns_have_one_order_and_whole_numbers_stay_whole(folder, tmp_path, suffix):
    """The columns of an evaluated row come last in one order whatever the first row is (an
    unproven row's ``eval_seconds`` came before ``E_SW``), and whole numbers with gaps (a seed
    unknown) stay whole: the seed was written 0.0."""
    from cabench.sweep import LATE, _write_table

    first = {"file": "a.json", "seed": None, "mechanism": "vcg", "proven": False, "eval_seconds": 0.5}
    second = {"file": "b.json", "seed": 3, "mechanism": "vcg", "proven": True, "E_SW": 1.5, "E_REV": 0.5,
              "total": 2.0, "eval_seconds": 0.25}
    results = tmp_path / f"r{suffix}"
    _write_table([first, second], results)
    frame = pd.read_csv(results) if suffix == ".csv" else pd.read_parquet(results)
    assert list(frame.columns) == ["file", "seed", "mechanism", "proven", "E_SW", "E_REV", "total", "eval_seconds"]
    assert [c for c in LATE if c in frame.columns] == list(frame.columns[4:])
    if suffix == ".csv":
        assert results.read_text().splitlines()[2].startswith("b.json,3,vcg,")
    else:
        assert str(frame["seed"].dtype) == "Int64" and frame["seed"].iloc[1] == 3
    huge = tmp_path / f"huge{suffix}"  # a seed beyond 64 bits stays a Python int (Int64 overflowed)
    _write_table([first, {**second, "seed": 10**20}], huge)
    if suffix == ".csv":
        assert "b.json,100000000000000000000,vcg," in huge.read_text()
    else:
        assert pd.read_parquet(huge)["seed"].tolist()[1] == "100000000000000000000"
    swept = tmp_path / f"swept{suffix}"
    run_sweep(sorted(folder.glob("*.json")), swept, MECHS)
    again = pd.read_csv(swept, dtype=str) if suffix == ".csv" else pd.read_parquet(swept).astype(str)
    assert set(again["goods"]) == {"6"} and all(v.isdigit() for v in again["MSW"])  # (whole: not 123.0)
    if suffix == ".parquet":  # a number column with no value (no time limit) is typed as numbers, not objects
        assert str(pd.read_parquet(swept)["time_limit"].dtype) == "float64"


def test_interrupted_sweep_resumes_without_losing_work(folder, tmp_path):
    results = tmp_path / "results.parquet"
    files = sorted(folder.glob("*.json"))

    def stop_after_first(done, total):
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(files, results, MECHS, progress=stop_after_first)
    assert (tmp_path / "results.parquet.journal.jsonl").exists()  # the finished instance is kept
    computed, skipped, _ = run_sweep(files, results, MECHS)
    assert (computed, skipped) == (2, 1)
    assert len(pd.read_parquet(results)) == 3 * (1 + len(MECHS))
    assert run_sweep(files, results, MECHS) == (0, 3, True)


def test_a_changed_file_replaces_its_earlier_rows(folder, tmp_path, monkeypatch):
    """Rows are keyed by the file's bytes: an edited file is a new instance, and its earlier rows
    stayed beside the new ones (``table`` counted the instance twice). They are replaced, with a
    note; a copy of the old bytes elsewhere in the run keeps them."""
    import json
    import shutil

    monkeypatch.chdir(tmp_path)
    files = sorted(p.relative_to(tmp_path) for p in folder.glob("*.json"))
    results = tmp_path / "r.csv"
    run_sweep(files, results, MECHS)
    data = json.loads(files[0].read_text())
    shutil.copy(files[0], tmp_path / "old-copy.json")
    data["name"] = "renamed"
    files[0].write_text(json.dumps(data))
    kept: list[str] = []  # the old bytes are still swept (as old-copy.json): their rows stay
    assert run_sweep([*files, tmp_path / "old-copy.json"], results, MECHS, notes=kept) == (1, 3, True)
    assert kept == [] and len(pd.read_csv(results)) == 4 * (1 + len(MECHS))
    notes: list[str] = []
    assert run_sweep(files, results, MECHS, notes=notes) == (0, 3, True)
    assert notes == [f"{files[0]}: changed since it was swept; its 3 earlier rows replaced"]
    frame = pd.read_csv(results)
    assert len(frame) == 3 * (1 + len(MECHS)) and "renamed" in set(frame["instance"])
    shown = run_cli("sweep", str(folder), "--mechanisms", ",".join(MECHS), "--solver", "cpsat", "-o", str(results),
                    cwd=tmp_path)  # (the same files spelled otherwise: nothing changed)
    assert shown.returncode == 0 and "cabench sweep: note" not in shown.stderr
    assert "0 instance(s) computed, 3 already" in shown.stderr


def test_dask_local_cluster_gives_the_same_rows(folder, tmp_path, monkeypatch):
    local = tmp_path / "local.csv"
    dask = tmp_path / "dask.csv"
    run_sweep(sorted(folder.glob("*.json")), local, MECHS)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    run_sweep(sorted(folder.glob("*.json")), dask, MECHS, executor="dask", workers=1)
    columns = ["instance", "mechanism", "MSW", "MKW", "E_SW", "E_REV", "holds"]
    assert pd.read_csv(local)[columns].equals(pd.read_csv(dask)[columns])
    # the scheduler's scratch space too is in the private folder, removed at the end (it left
    # dask-scratch-space/global.lock and purge.lock in the machine's temporary folder)
    assert list(temporary.iterdir()) == []


def test_sweep_and_plot_through_the_cli(folder, tmp_path):
    results = tmp_path / "r.parquet"
    result = run_cli("sweep", str(folder), "--mechanisms", ",".join(MECHS), "-o", str(results))
    assert result.returncode == 0, result.stderr
    assert "3 instance(s) computed" in result.stderr
    figures = tmp_path / "figures"
    result = run_cli("plot", str(results), "-o", str(figures))
    assert result.returncode == 0, result.stderr
    for name in ("performance-over-benchmark.png", "solve-time.png"):
        assert (figures / name).stat().st_size > 1000
    assert not (figures / "collusion.png").exists() and "collusion not drawn" in result.stderr  # no colluders


@pytest.mark.parametrize(
    "args, message",
    [
        (["sweep", "nowhere/*.json", "-o", "x.csv"], "no instance files"),
        (["sweep", "{folder}", "-o", "x.txt"], "must end in .csv or .parquet"),
        (["sweep", "{folder}", "--mechanisms", "nope", "-o", "x.csv"], 'unknown mechanism "nope"'),
        (["plot", "missing.csv"], "no such results file"),
    ],
)
def test_sweep_errors(folder, tmp_path, args, message):
    result = run_cli(*[a.replace("{folder}", str(folder)) for a in args], cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("executor", ["dask", "local"])
def test_a_bad_scheduler_is_one_line(folder, tmp_path, executor):
    # "--scheduler foo" ended in a traceback with --executor dask, and was ignored with local
    result = run_cli("sweep", str(folder), "--executor", executor, "--scheduler", "foo", "-o", str(tmp_path / "r.csv"))
    assert result.returncode == 2 and "--scheduler" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [
    ["table", "{tmp}/bad.csv", "-o", "{tmp}/new/sub/t.md"],
    ["plot", "{tmp}/bad.csv", "-o", "{tmp}/new/figures"],
    ["sweep", "{tmp}/broken.json", "-o", "{tmp}/new/r.csv"],
    ["experiment", "{tmp}/broken.json", "--axis", "candidates:2", "-o", "{tmp}/new/r.csv"],
    # the third point of the axis does not fit 3 players: found after the first two were drawn
    ["experiment", "-d", "paths", "-m", "8", "-b", "20", "-n", "3", "--seeds", "1", "--axis", "coalition-size:2,3,4",
     "-o", "{tmp}/new/r.csv"],
    # results that are not a sweep's: refused before any instance file is drawn
    ["experiment", "-d", "paths", "-m", "8", "-b", "20", "-n", "3", "--seeds", "1", "--axis", "candidates:2",
     "-o", "{tmp}/bad.csv"],
    # the parameter is refused inside the sweep, once the journal is open
    ["sweep", "{tmp}/market.json", "--mechanisms", "budget-balanced", "--param", "k=2000", "-o", "{tmp}/new/r.csv"],
])
def test_a_failing_results_command_leaves_nothing(tmp_path, args):
    """Each of these left a folder, a lock file, an empty journal or instance files: exit 2, one
    line, and only the inputs remain."""
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    (tmp_path / "broken.json").write_text('{"goods":')
    (tmp_path / "market.json").write_text((EXAMPLES / "seed003-market.json").read_text())
    result = run_cli(*[a.replace("{tmp}", str(tmp_path)) for a in args], cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "broken.json", "market.json"]
    assert (tmp_path / "bad.csv").read_text() == "a,b\n1,2\n"


def test_a_parameter_one_instance_refuses_is_refused_before_any_instance_is_computed(tmp_path):
    """``--param eps=1/12`` fits perfect-revenue on 2 players (eps < 1/10), not on 3 (1/15): the
    sweep used to compute the first file, then stop at the second with a journal left behind.
    Every instance's parameters are now checked before any is computed: one line naming the
    file, and nothing written."""
    folder = tmp_path / "instances"
    folder.mkdir()
    for name, players in (("a-two.json", 2), ("b-three.json", 3)):
        dump_instance(generate_instance("regions", 4, 6, players, 0, knowledge="exact"), folder / name)
    results = tmp_path / "out" / "r.csv"
    result = run_cli("sweep", str(folder), "--mechanisms", "perfect-revenue", "--param", "eps=1/12",
                     "-o", str(results))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"{folder / 'b-three.json'}: perfect-revenue: eps = 1/12"), result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["instances"]
    ok = run_cli("sweep", str(folder / "a-two.json"), "--mechanisms", "perfect-revenue", "--param", "eps=1/12",
                 "-o", str(results))
    assert ok.returncode == 0, ok.stderr


def test_an_interruption_before_any_instance_names_no_journal(tmp_path, capsys):
    from cabench.experiment_commands import run_resumable

    def interrupted(progress):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_resumable("sweep", interrupted, tmp_path / "r.csv", "sweeping")
    assert capsys.readouterr().err == ("cabench sweep: interrupted; no instance was computed in this run; run the "
                                       "same command again to resume\n")


def test_a_finished_sweep_leaves_no_lock(folder, tmp_path):
    results = tmp_path / "r.csv"
    assert run_cli("sweep", str(folder), "-o", str(results)).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["r.csv"]


@pytest.mark.parametrize("text", ["name,price\n", "name,price\nchair,12\n", ""])
def test_a_results_file_of_other_columns_is_refused_and_kept(folder, tmp_path, text):
    # the header alone was written over by the sweep's results; an empty file was refused with
    # the name of pandas' exception (EmptyDataError)
    results = tmp_path / "r.csv"
    results.write_text(text)
    result = run_cli("sweep", str(folder), "-o", str(results))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert ("not results of cabench sweep or experiment (no instance_sha256 column" in result.stderr if text
            else f"{results}: empty, not results of cabench sweep or experiment" in result.stderr)
    assert results.read_text() == text and sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["r.csv"]


def test_a_sweep_removes_the_temporary_file_a_killed_sweep_left(folder, tmp_path):
    """A kill while the results file was being replaced leaves its temporary file; the next sweep
    into the same results, holding the lock, removes it (and nothing else)."""
    stale, other = tmp_path / ".r.csv.z4w60ftr.tmp", tmp_path / ".other.csv.a1b2c3d4.tmp"
    stale.write_text("half a table")
    other.write_text("not ours")
    assert run_cli("sweep", str(folder), "-o", str(tmp_path / "r.csv")).returncode == 0
    assert not stale.exists() and other.exists()


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """The results of a real sweep (two instances, one mechanism), to be damaged by the tests."""
    out = tmp_path_factory.mktemp("real")
    for seed in range(2):
        inst = generate_instance("regions", 5, 10, 3, seed, knowledge="exact")
        dump_instance(inst, out / f"{inst.name}.json")
    result = run_cli("sweep", str(out), "--mechanisms", "best-belief", "-o", str(out / "r.csv"))
    assert result.returncode == 0, result.stderr
    return out


def _leftovers(folder, *expected):
    return sorted(p.name for p in folder.iterdir() if p.suffix != ".json") == sorted(expected)


@pytest.mark.parametrize("drop, message", [
    (["file"], "(no file column)"),
    (["proven"], "(no proven column)"),  # every row was computed again and the sweep exited 3
    (["file", "solver", "time_limit"], "(no file, solver, time_limit columns)"),
])
def test_results_without_a_column_the_sweep_reads_back_are_refused(real, tmp_path, drop, message):
    """Results lacking "file" were a KeyError traceback and left an empty journal."""
    for p in real.glob("*.json"):
        (tmp_path / p.name).write_bytes(p.read_bytes())
    results = tmp_path / "r.csv"
    pd.read_csv(real / "r.csv", dtype=str, keep_default_na=False).drop(columns=drop).to_csv(results, index=False)
    before = results.read_bytes()
    result = run_cli("sweep", str(tmp_path), "--mechanisms", "best-belief", "-o", str(results))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert f"{results}: not results of cabench sweep or experiment {message}" in result.stderr
    assert results.read_bytes() == before and _leftovers(tmp_path, "r.csv")


@pytest.mark.parametrize("name, write", [
    ("h.csv", lambda path: path.write_text("instance_sha256,mechanism\nabc,\n")),
    ("h.parquet", lambda path: pd.DataFrame({"instance_sha256": ["abc"]}).to_parquet(path)),
])
def test_results_of_the_key_alone_are_refused(folder, tmp_path, name, write):
    results = tmp_path / name
    write(results)
    result = run_cli("sweep", str(folder), "-o", str(results))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "not results of cabench sweep or experiment (no file, " in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["instances", name])


def test_a_results_file_cut_in_a_row_is_resumed_without_the_cut_row(real, tmp_path):
    """A copy cut in the middle of a row kept the half row (its "proven" empty) beside the
    recomputed one; now the cut row is not a finished row: its instance is computed again and
    the cut row dropped."""
    for p in real.glob("*.json"):
        (tmp_path / p.name).write_bytes(p.read_bytes())
    whole = (real / "r.csv").read_text()
    results = tmp_path / "r.csv"
    results.write_text(whole[:whole.rindex("\n", 0, len(whole) - 1) + 150])  # into the last row
    result = run_cli("sweep", str(tmp_path), "--mechanisms", "best-belief", "-o", str(results))
    assert result.returncode == 0, result.stderr
    assert "1 instance(s) computed, 1 already" in result.stderr
    got = pd.read_csv(results, dtype=str, keep_default_na=False)
    want = pd.read_csv(real / "r.csv", dtype=str, keep_default_na=False)
    assert len(got) == len(want) and (got["proven"] == "True").all()
    keys = ["instance_sha256", "mechanism"]
    assert got[keys].sort_values(keys).values.tolist() == want[keys].sort_values(keys).values.tolist()
    assert _leftovers(tmp_path, "r.csv")


@pytest.mark.parametrize("args, message", [
    (["-o", ".csv"], ".csv: the results file has no name before .csv"),
    (["--mechanisms", "best-belief", "--param", "foo=1", "-o", "r.csv"],
     "Invalid value for '--param': unknown parameter \"foo\" of the mechanisms evaluated (best-belief); "
     "expected one of: eps"),
    (["--param", "eps=1/10", "-o", "r.csv"],
     '"eps" is a parameter of a mechanism, and no mechanism is evaluated: give --mechanisms with the --param'),
    (["--mechanisms", "vcg", "--param", "eps=1/10", "-o", "r.csv"],
     'unknown parameter "eps" of the mechanisms evaluated (vcg); they take no parameter'),
    (["--time-limit", "nan", "-o", "r.csv"], "cabench sweep: Invalid value for '--time-limit': 'nan' is not a number of seconds"),
    (["--workers", "1000", "-o", "r.csv"], "cabench sweep: Invalid value for '--workers': 1000 worker processes; "
                                           "at most"),
    (["--executor", "dask", "--workers", "1000", "-o", "r.csv"], "Invalid value for '--workers'"),
])
def test_sweep_option_errors_leave_nothing(folder, tmp_path, args, message):
    result = run_cli("sweep", str(folder), *args, cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["instances"]


def test_a_solver_refusing_an_instance_names_its_file(tmp_path):
    """"(this program has 14)" said nothing of which file."""
    inst = generate_instance("regions", 14, 12, 3, 0)
    dump_instance(inst, tmp_path / "big.json")
    result = run_cli("sweep", str(tmp_path / "big.json"), "--solver", "brute", "-o", str(tmp_path / "r.csv"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"{tmp_path / 'big.json'}: the brute-force backend (--solver brute) handles "
                                    "at most 12 goods (this program has 14)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.json"]


@contextlib.contextmanager
def _server(answer: bytes | None):
    """A TCP server on a free port of 127.0.0.1 that sends ``answer`` to whoever connects (None:
    says nothing and keeps the connection open), in a thread; yields its address."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def serve():
        with contextlib.suppress(OSError):
            while True:
                connection, _ = listener.accept()
                accepted.append(connection)
                if answer is not None:
                    connection.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()
        for connection in accepted:
            connection.close()


@pytest.mark.parametrize("answer", [b"SSH-2.0-OpenSSH_9.6 junk banner\r\n" * 4,  # was "out of memory", exit 1
                                    b"\x01" + b"\x00" * 7 + b"\x03" + b"\x00" * 7 + b"abc"])  # a struct.error
def test_a_scheduler_that_is_not_dask_is_one_line(folder, tmp_path, answer):
    with _server(answer) as address:
        start = time.monotonic()
        result = run_cli("sweep", str(folder), "--executor", "dask", "--scheduler", address, "-o",
                         str(tmp_path / "r.csv"))
    assert time.monotonic() - start < 20
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"cannot connect to a Dask scheduler at {address} (--scheduler): what answered "
                                    "does not speak Dask's protocol")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["instances"]


def test_a_scheduler_port_where_nothing_listens_is_said_at_once(folder, tmp_path):
    # Dask's connect retries a refused connection until its 25 s timeout
    import socket

    with socket.socket() as probe:  # a free port, closed again: nothing listens there
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    start = time.monotonic()
    result = run_cli("sweep", str(folder), "--executor", "dask", "--scheduler", address, "-o", str(tmp_path / "r.csv"))
    assert time.monotonic() - start < 15
    assert result.returncode == 2 and result.stderr == (
        f"cannot connect to a Dask scheduler at {address} (--scheduler): connection refused\n"), result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["instances"]


def test_a_scheduler_that_never_answers_is_given_up(monkeypatch):
    """A server that accepts and never answers (an HTTP server) hung the sweep for good: Dask's
    connect timeout does not cover its handshake."""
    from cabench.sweep import _check_scheduler
    from instances import CabenchError

    with _server(None) as address:
        start = time.monotonic()
        with pytest.raises(CabenchError, match=f"at {address} .*: no answer within 1 s"):
            _check_scheduler(address, seconds=1)
    assert time.monotonic() - start < 10


def test_a_pipe_or_fifo_is_refused_not_read_twice(folder, tmp_path):
    """A sweep reads each instance twice (its key, then to compute it): a pipe was empty the
    second time ("invalid JSON" for valid JSON), and a FIFO in a folder hung the sweep."""
    import os

    fifo = folder / "stray.json"
    os.mkfifo(fifo)
    result = run_cli("sweep", str(folder), "-o", str(tmp_path / "r.csv"))
    assert result.returncode == 2 and f"{fifo}: not a regular file (a pipe or a device)" in result.stderr
    assert not (tmp_path / "r.csv").exists()


def test_a_mechanism_that_applies_to_no_instance_is_said(folder, tmp_path):
    """A market mechanism asked of auctions wrote no row without a word, and table then advised
    running the sweep "with --mechanisms", which the user had done."""
    result = run_cli("sweep", str(folder), "--mechanisms", "budget-balanced,vcg", "--solver", "cpsat",
                     "-o", str(tmp_path / "r.csv"))
    assert result.returncode == 0, result.stderr
    assert ("cabench sweep: note: budget-balanced (for markets) does not apply to 3 of the 3 instances, which have "
            "no row of it") in result.stderr
    assert "note: vcg" not in result.stderr


def test_the_same_relative_path_from_another_directory_is_another_file(tmp_path):
    """``A/x.json`` swept from A, then ``B/x.json`` (other bytes) from B into the same results:
    A's rows were dropped as "changed" (the stored relative path was resolved against B)."""
    for name, seed in (("A", 0), ("B", 1)):
        (tmp_path / name).mkdir()
        dump_instance(generate_instance("regions", 5, 8, 2, seed), tmp_path / name / "x.json")
    results = tmp_path / "r.csv"
    for name in ("A", "B"):
        result = run_cli("sweep", "x.json", "--solver", "cpsat", "-o", str(results), cwd=tmp_path / name)
        assert result.returncode == 0 and "note" not in result.stderr, result.stderr
    assert len(pd.read_csv(results)) == 2


def test_a_glob_of_folders_alone_is_no_instance(tmp_path):
    """A glob matching only folders wrote a one-byte results file that every later run refused."""
    (tmp_path / "sub1").mkdir()
    result = run_cli("sweep", str(tmp_path / "sub*"), "-o", str(tmp_path / "r.csv"))
    assert result.returncode == 2 and "no instance files" in result.stderr
    assert not (tmp_path / "r.csv").exists()


def test_many_changed_files_are_one_note(tmp_path):
    """An experiment resumed by a newer version (which writes more into each instance's record)
    redraws every file: one note, not one per file."""
    from cabench.sweep import KEY, _changed_files

    paths = [str(tmp_path / f"f{k}.json") for k in range(5)]
    rows = {(f"old{k}", "", "", "cpsat"): {KEY: f"old{k}", "file": p, "file_absolute": p} for k, p in enumerate(paths)}
    notes = _changed_files(rows, {p: f"new{k}" for k, p in enumerate(paths)})
    assert rows == {} and notes == [f"5 files changed since they were swept (the first: {paths[0]}); their 5 earlier "
                                    "rows replaced"]
    kept = {("old", "", "", "cpsat"): {KEY: "old", "file": "x.json"}}  # old results: no file_absolute, other spelling
    assert _changed_files(kept, {"./x.json": "new"}) == [] and len(kept) == 1


def test_a_sweep_refuses_an_experiments_results(tmp_path):
    """A sweep into an experiment's results added rows the table pooled with the experiment's,
    and the experiment could no longer resume ("holds rows of a sweep")."""
    out = tmp_path / "e.csv"
    assert run_cli("experiment", str(EXAMPLES / "seed004-example.json"), "--axis", "wrong:0,0.5", "--seeds", "1",
                   "--mechanisms", "vcg", "--solver", "cpsat", "-o", str(out)).returncode == 0
    before = out.read_bytes()
    result = run_cli("sweep", str(EXAMPLES / "seed004-example.json"), "--solver", "cpsat", "-o", str(out))
    assert result.returncode == 2 and "holds an experiment's rows (along wrong)" in result.stderr
    assert out.read_bytes() == before


def test_a_sweep_of_an_experiments_files_resumes_and_refuses_what_table_would(tmp_path):
    """A sweep of an experiment's instance files wrote results that it then refused to resume
    ("holds an experiment's rows"): only a file that is an experiment's results (its instance
    files beside it) is refused now. A sweep whose results ``table`` would refuse (an
    experiment's files beside another file of their family) is refused before anything is
    computed, naming both files; it was computed, and only ``table`` refused it."""
    import shutil

    args = ["-d", "regions", "-m", "3", "-b", "4", "-n", "2"]
    made = tmp_path / "e.csv"
    assert run_cli("experiment", "--axis", "noisy-lower:0.5,1", *args, "--seeds", "1", "--mechanisms", "vcg",
                   "--solver", "brute", "-o", str(made)).returncode == 0
    drawn = tmp_path / "drawn"
    shutil.copytree(tmp_path / "e.csv.instances", drawn)
    swept = tmp_path / "s.csv"
    sweep = ["--mechanisms", "vcg", "--solver", "brute", "-o", str(swept)]
    assert run_cli("sweep", str(drawn), *sweep).returncode == 0
    again = run_cli("sweep", str(drawn), *sweep)
    assert again.returncode == 0 and "0 instance(s) computed, 2 already" in again.stderr, again.stderr
    before = swept.read_bytes()
    other = tmp_path / "other" / "g.json"
    assert run_cli("generate", *args, "--seed", "7", "-o", str(other)).returncode == 0
    added = run_cli("sweep", str(other), *sweep)  # beside the rows of the experiment's files
    assert added.returncode == 2 and added.stderr.count("\n") == 1, added.stderr
    assert added.stderr.startswith(f"{swept}'s rows of {drawn}") and f"and {other} of no experiment" in added.stderr
    assert "in one family (regions)" in added.stderr and swept.read_bytes() == before
    shutil.copy(other, drawn / "g.json")
    fresh = tmp_path / "fresh.csv"
    mixed = run_cli("sweep", str(drawn), "--mechanisms", "vcg", "--solver", "brute", "-o", str(fresh))
    assert mixed.returncode == 2 and f"{drawn / 'g.json'} is of no experiment" in mixed.stderr, mixed.stderr
    assert "of the experiment along noisy-lower" in mixed.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["drawn", "e.csv", "e.csv.instances", "other", "s.csv"]


def test_rows_of_an_annotated_file_name_the_knowledge_it_has(tmp_path):
    """``annotate --replace`` on a generated file kept its record of ``generate``'s specs, so
    sweep rows said knowledge exact and no coalitions beside a file with wrong:0.5 and a pair
    (as the Python API's annotate did)."""
    import cabench
    from cabench.provenance import read_record

    made = tmp_path / "made.json"
    assert run_cli("generate", "-d", "regions", "-m", "6", "-b", "12", "-n", "3", "--knowledge", "exact",
                   "--seed", "4", "-o", str(made)).returncode == 0
    folder = tmp_path / "in"
    folder.mkdir()
    done = run_cli("annotate", str(made), "--knowledge", "wrong:0.5", "--coalitions", "pairs:1", "--seed", "9",
                   "--replace", "-o", str(folder / "annotated.json"))
    assert done.returncode == 0, done.stderr
    results = tmp_path / "r.csv"
    assert run_cli("sweep", str(folder), "-o", str(results)).returncode == 0
    row = pd.read_csv(results).iloc[0]
    assert (row["knowledge"], row["coalition_spec"], row["seed"], row["colluders"]) == ("wrong:0.5", "pairs:1", 4, 2)
    assert row["knowledge_seed"] == row["coalitions_seed"] == 9  # (files annotated with two seeds looked alike)
    record = read_record(cabench.load(folder / "annotated.json"))
    assert record["knowledge_seed"] == record["coalitions_seed"] == 9 and record["distribution"] == "regions"
    # the API keeps it true too, and a file without a record stays without one
    again = cabench.annotate(cabench.generate("regions", 6, 12, 3, seed=4), knowledge="noisy-lower:0.7", seed=2)
    assert read_record(again)["knowledge"] == "noisy-lower:0.7" and read_record(again)["knowledge_seed"] == 2
    plain = cabench.annotate(EXAMPLES / "vcg-collusion.json", knowledge="exact", replace=True)
    assert read_record(plain) == {}
    # a file of an experiment, redrawn, is at none of its points
    from cabench.provenance import annotated, with_record

    point = with_record(again, **read_record(again), axis="noisy-lower", axis_value="0.5", design="d")
    assert {"axis", "axis_value", "design"}.isdisjoint(read_record(annotated(point, "exact", None, 1)))


def test_files_of_the_same_bytes_are_named_in_a_note(tmp_path):
    """Two files with the same bytes are one instance, computed once: the second was left out
    without a word (the count said one instance for two files)."""
    folder = tmp_path / "in"
    folder.mkdir()
    assert run_cli("generate", "-d", "paths", "-m", "5", "-b", "8", "-n", "3", "-o", str(folder / "a.json")).returncode == 0
    for twin in ("b.json", "c.json"):
        (folder / twin).write_bytes((folder / "a.json").read_bytes())
    done = run_cli("sweep", str(folder), "-o", str(tmp_path / "r.csv"))
    assert done.returncode == 0, done.stderr
    assert (f"cabench sweep: note: {folder / 'b.json'} has the same bytes as {folder / 'a.json'} (and 1 more file "
            f"like it): one instance, computed once, its rows name {folder / 'a.json'}\n") in done.stderr
    assert set(pd.read_csv(tmp_path / "r.csv")["file"]) == {str(folder / "a.json")}
    # a twin added later: the rows name the file they were computed from (b, swept alone first)
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "b.json").write_bytes((folder / "a.json").read_bytes())
    assert run_cli("sweep", str(alone), "-o", str(tmp_path / "s.csv")).returncode == 0
    (alone / "a.json").write_bytes((folder / "a.json").read_bytes())
    again = run_cli("sweep", str(alone), "-o", str(tmp_path / "s.csv"))
    assert f"its rows name {alone / 'b.json'}\n" in again.stderr, again.stderr


def test_a_parameter_given_at_a_default_the_same_on_every_instance_keys_the_default_rows():
    """``parameter_spec``: a value equal to a default that reads no instance is left out of the
    key; a default that depends on the instance (collusion-leveraging's eps2 = 1/(40 n)) or on a
    parameter that does cannot be known before the instance is read, so its value stays."""
    from fractions import Fraction

    from cabench.sweep import parameter_spec

    assert parameter_spec("best-belief", {"eps": Fraction(1, 10)}) == ""
    assert parameter_spec("best-belief", {"eps": Fraction(1, 100)}) == "eps=1/100"
    assert parameter_spec("vcg", {"eps": Fraction(1, 100)}) == ""  # (not a parameter of vcg)
    assert parameter_spec("collusion-leveraging", {"eps": Fraction(1, 100), "eps1": Fraction(1, 10),
                                                   "eps2": Fraction(1, 120)}) == "eps2=1/120"
    assert parameter_spec("perfect-revenue", {"eps": Fraction(1, 30), "ratio": Fraction(1, 2)}) == "eps=1/30"


def test_a_folder_of_cats_files_is_swept_as_import_reads_them(tmp_path):
    """A practitioner's folder of CATS 2.1 output: each ``*.txt`` file is read as ``cabench
    import`` reads it (it said "no instance files", expecting JSON), next to a JSON instance;
    MSW is the CATS generator's own optimum, in the file's money."""
    folder = tmp_path / "cats"
    folder.mkdir()
    data = Path(__file__).parent / "data" / "cats"
    expected = json.loads((data / "expected.json").read_text())
    for name in ("matching-40-200-0000.txt", "L7-40-200-0000.txt"):
        shutil.copy(data / name, folder / name)
    shutil.copy(EXAMPLES / "seed004-example.json", folder / "seed004-example.json")
    results = tmp_path / "r.csv"
    done = run_cli("sweep", str(folder), "--mechanisms", "vcg", "-o", str(results))
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(results)
    table = frame[frame["mechanism"].isna()].set_index("file")
    assert sorted(Path(f).name for f in table.index) == ["L7-40-200-0000.txt", "matching-40-200-0000.txt",
                                                         "seed004-example.json"]
    for name in ("matching-40-200-0000.txt", "L7-40-200-0000.txt"):
        assert Fraction(str(table.loc[str(folder / name), "MSW"])) == Fraction(expected[name])
    assert frame["mechanism"].eq("vcg").sum() == 3
    # the distribution their headers name, so that the table draws a line for each
    assert table.loc[str(folder / "L7-40-200-0000.txt"), "distribution"] == "L7"
    assert table.loc[str(folder / "matching-40-200-0000.txt"), "distribution"] == "matching"
    assert pd.isna(table.loc[str(folder / "seed004-example.json"), "distribution"])
    lines = run_cli("table", str(results), "--format", "csv")
    assert lines.returncode == 0, lines.stderr
    assert {"L7", "matching", "other files"} <= set(pd.read_csv(io.StringIO(lines.stdout))["family"])


def test_a_folder_s_other_text_files_are_left_alone_and_a_price_to_round_says_how(tmp_path):
    """A folder's ``notes.txt`` is not a CATS file and is left alone, as before CATS files were
    read (it ended the sweep); a CATS file whose name is in capitals is read. A price that needs
    rounding sends the user to ``cabench import --round`` (a sweep has no --round)."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "notes.txt").write_text("prices in dollars\n")
    shutil.copy(Path(__file__).parent / "data" / "cats" / "matching-40-200-0000.txt", folder / "M.TXT")
    shutil.copy(EXAMPLES / "seed004-example.json", folder / "seed004-example.json")
    done = run_cli("sweep", str(folder), "-o", str(tmp_path / "r.csv"))
    assert done.returncode == 0, done.stderr
    assert sorted(Path(f).name for f in pd.read_csv(tmp_path / "r.csv")["file"]) == ["M.TXT", "seed004-example.json"]
    fine = tmp_path / "fine" / "fine.txt"
    fine.parent.mkdir()
    fine.write_text("goods 2\nbids 1\n0 2.361040000001234 0 1 #\n")
    done = run_cli("sweep", str(fine.parent), "-o", str(tmp_path / "f.csv"))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == (f"{fine}: line 3: price 2.361040000001234 needs scale 10^15 to be an integer, above "
                                   f"the limit 10^9; round the prices to DIGITS decimals with `cabench import {fine} "
                                   "--round DIGITS -o NEW.json` and give NEW.json instead")
    assert not (tmp_path / "f.csv").exists()


def test_a_journal_cut_in_a_line_keeps_the_next_runs_entries_apart(folder, tmp_path):
    """A full disk or a kill can leave the journal's last line without its newline: the next
    run's first entry was appended onto it, read as one broken line, and that instance was
    computed again by every later run. Now it starts a line of its own."""
    results = tmp_path / "r.csv"
    files = sorted(folder.glob("*.json"))

    def stop_after_first(done, total):
        if done == 1:
            raise KeyboardInterrupt

    journal = tmp_path / "r.csv.journal.jsonl"
    with pytest.raises(KeyboardInterrupt):
        run_sweep(files, results, MECHS, progress=stop_after_first)
    whole = journal.read_bytes()
    journal.write_bytes(whole + whole[:len(whole) // 2])  # a second entry cut in the middle
    with pytest.raises(KeyboardInterrupt):
        run_sweep(files, results, MECHS, progress=stop_after_first)
    lines = journal.read_bytes().split(b"\n")
    assert len(lines) == 4 and lines[-1] == b"" and json.loads(lines[2])["rows"]  # whole, cut, whole
    assert run_sweep(files, results, MECHS) == (1, 2, True)  # the two entries kept, one instance left


def test_a_results_file_cut_in_a_quoted_cell_is_resumed(real, tmp_path):
    """The README promises that results cut short are resumed; cut inside a quoted cell (the
    parameters, the software), the parser refused the whole file ("EOF inside string")."""
    for p in real.glob("*.json"):
        (tmp_path / p.name).write_bytes(p.read_bytes())
    whole = (real / "r.csv").read_text()
    last = whole.rindex("\n", 0, len(whole) - 1)
    quote = whole.index(',"', last) + 3  # just inside the last row's first quoted cell
    results = tmp_path / "r.csv"
    results.write_text(whole[:quote])
    result = run_cli("sweep", str(tmp_path), "--mechanisms", "best-belief", "-o", str(results))
    assert result.returncode == 0, result.stderr
    assert "1 instance(s) computed, 1 already" in result.stderr
    assert len(pd.read_csv(results)) == len(pd.read_csv(real / "r.csv"))


@pytest.mark.parametrize("column, value, kind", [
    ("MSW", "abc", "is not a finite number"),  # was written back as it was, exit 0
    ("proven", "maybe", "is not True or False"),  # made its instance unproven for good
    ("mechanism", "no-such-mech", "is not surviving-strategies or"),
])
def test_a_resumed_cell_that_table_refuses_is_refused(real, tmp_path, column, value, kind):
    for p in real.glob("*.json"):
        (tmp_path / p.name).write_bytes(p.read_bytes())
    frame = pd.read_csv(real / "r.csv", dtype=str, keep_default_na=False)
    row = 1 if column == "mechanism" else 0
    frame.loc[row, column] = value
    results = tmp_path / "r.csv"
    frame.to_csv(results, index=False)
    before = results.read_bytes()
    result = run_cli("sweep", str(tmp_path), "--mechanisms", "best-belief", "-o", str(results))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert f'{results}: line {row + 2}, column {column}: "{value}" {kind}' in result.stderr
    assert "mend that cell or move the file away" in result.stderr
    assert results.read_bytes() == before and _leftovers(tmp_path, "r.csv")


def test_table_refuses_a_repeated_row_and_a_huge_number_and_notes_a_journal(real, tmp_path):
    """A row copied by hand was counted twice; 1e200 ended in an OverflowError traceback; an
    interrupted sweep's journal was ignored without a word."""
    lines = (real / "r.csv").read_text().splitlines(keepends=True)
    twice = tmp_path / "twice.csv"
    twice.write_text("".join([*lines, lines[1]]))
    result = run_cli("table", str(twice))
    assert result.returncode == 2 and f"{twice}: lines 2 and {len(lines) + 1} are the same row" in result.stderr
    frame = pd.read_csv(real / "r.csv", dtype=str, keep_default_na=False)
    frame.loc[frame["mechanism"] == "best-belief", "E_REV"] = "1e200"
    huge = tmp_path / "huge.csv"
    frame.to_csv(huge, index=False)
    for command in ("table", "plot"):
        args = [command, str(huge)] + (["-o", str(tmp_path / "figs")] if command == "plot" else [])
        result = run_cli(*args)
        assert result.returncode == 2 and "column E_REV" in result.stderr and "magnitude at most 1e+30" in (
            result.stderr), result.stderr
    results = tmp_path / "r.csv"
    results.write_bytes((real / "r.csv").read_bytes())
    (tmp_path / "r.csv.journal.jsonl").write_text('{"key": "x", "rows": []}\n')
    result = run_cli("table", str(results))
    assert result.returncode == 0 and "r.csv.journal.jsonl holds 1 instance of an interrupted sweep" in result.stderr
    results.unlink()
    result = run_cli("table", str(results))
    assert result.returncode == 2 and "no such results file yet;" in result.stderr


def test_a_journal_or_results_that_cannot_be_written_are_named_with_what_is_kept(folder, tmp_path, monkeypatch):
    """A full disk while the journal was written read "standard output: cannot write" (its error
    names no file); results that cannot be replaced after all the work did not say that the
    journal keeps every instance."""
    import errno
    import os

    from instances import CabenchError

    results = tmp_path / "r.csv"
    files = sorted(folder.glob("*.json"))

    fsync = os.fsync

    def full(fd):  # the journal's disk is full (the journal is unbuffered: closing it raises nothing more)
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".journal.jsonl"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return fsync(fd)

    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", full)
        with pytest.raises(CabenchError, match=r"r\.csv\.journal\.jsonl: cannot write: No space left on device; "
                                               r"the instances it holds are kept: rerun the same command"):
            run_sweep(files, results, MECHS)

    def refused(rows, path):
        raise PermissionError(errno.EPERM, "Operation not permitted", str(path))

    monkeypatch.setattr("cabench.sweep._write_table", refused)
    with pytest.raises(CabenchError, match=r"r\.csv: cannot write: Operation not permitted; every instance computed "
                                           r"is kept in .*r\.csv\.journal\.jsonl: rerun the same command"):
        run_sweep(files, results, MECHS)
    monkeypatch.undo()
    assert run_sweep(files, results, MECHS) == (0, 3, True)  # all three from the journal


def test_a_header_alone_without_its_newline_is_resumed(folder, tmp_path):
    """Results of no row yet, their header not ended by a newline, are resumed (a cut last
    line is dropped only when an earlier line ends)."""
    results = tmp_path / "r.csv"
    run_sweep(sorted(folder.glob("*.json")), results, MECHS)
    results.write_bytes(results.read_bytes().split(b"\n")[0])
    assert run_sweep(sorted(folder.glob("*.json")), results, MECHS) == (3, 0, True)


def test_a_journal_that_is_not_a_file_is_refused(folder, tmp_path):
    """A journal that is a device (``/dev/zero``) was read without end."""
    from instances import CabenchError

    (tmp_path / "r.csv.journal.jsonl").symlink_to("/dev/zero")
    with pytest.raises(CabenchError, match="r.csv.journal.jsonl: not a regular file"):
        run_sweep(sorted(folder.glob("*.json")), tmp_path / "r.csv", MECHS)


def test_a_resumed_sweep_writes_its_earlier_rows_as_they_were(tmp_path):
    """Earlier rows were read back as written (``'=evil``) and passed through the CSV guard again
    at each run: ``''=evil``, then ``'''=evil``, beside new rows spelled ``'=evil``."""
    from dataclasses import replace

    folder = tmp_path / "in"
    folder.mkdir()
    inst = generate_instance("regions", 5, 10, 3, 0, knowledge="exact")
    dump_instance(replace(inst, name="=evil"), folder / "a.json")
    dump_instance(replace(generate_instance("regions", 5, 10, 3, 1), name="'quoted"), folder / "b.json")
    results = tmp_path / "r.csv"
    files = sorted(folder.glob("*.json"))
    run_sweep(files, results, ["vcg"])
    run_sweep(files, results, ["vcg"])
    run_sweep(files, results, ["vcg", "second-price-bundle"])
    names = set(pd.read_csv(results, dtype=str, keep_default_na=False)["instance"])
    assert names == {"'=evil", "''quoted"}


def test_a_rows_verdict_can_be_checked_from_its_achieved_value(tmp_path):
    """A market mechanism's guarantee bounds a probability, which no column held: its verdict
    could not be checked from the results (a user's audit). ``achieved`` is what the bound is
    compared with: the probability for a market, E[REV] or E[SW] + E[REV] (in money) otherwise."""
    results = tmp_path / "r.csv"
    for example, mechanism in (("seed003-market.json", "budget-balanced"), ("seed004-example.json", "best-belief")):
        done = run_cli("sweep", str(EXAMPLES / example), "--mechanisms", mechanism, "-o", str(results))
        assert done.returncode == 0, done.stderr
    rows = pd.read_csv(results).set_index("mechanism")
    market, auction = rows.loc["budget-balanced"], rows.loc["best-belief"]
    assert market["guarantee_on"] == "probability" and 0 < market["bound"] <= market["achieved"] <= 1
    assert (market["achieved"] >= market["bound"]) == market["holds"]
    assert auction["guarantee_on"] == "revenue" and auction["achieved"] == auction["E_REV"] >= auction["bound"]


def test_imported_cats_files_keep_the_distribution_their_header_names(tmp_path):
    """A sweep of CATS files imported from two distributions put both in one family, "other
    files", where a sweep of the CATS files themselves tells them apart (a user's audit):
    ``import`` (and the API's ``import_cats``) records the header's distribution; knowledge
    drawn on import keeps the record true, the same bytes as import then annotate."""
    import cabench
    from cabench.provenance import read_record

    data = Path(__file__).parent / "data" / "cats"
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("L7-40-200-0000", "matching-40-200-0000"):
        assert run_cli("import", str(data / f"{name}.txt"), "-o", str(folder / f"{name}.json")).returncode == 0
    assert read_record(cabench.import_cats(data / "L7-40-200-0000.txt")) == {"distribution": "L7"}
    results = tmp_path / "r.csv"
    assert run_cli("sweep", str(folder), "--mechanisms", "vcg", "-o", str(results)).returncode == 0
    lines = run_cli("table", str(results), "--format", "csv")
    assert set(pd.read_csv(io.StringIO(lines.stdout))["family"]) == {"L7", "matching"}, lines.stdout
    direct = run_cli("import", str(data / "L7-40-200-0000.txt"), "--knowledge", "noisy-lower:0.8", "--seed", "3")
    after = run_cli("annotate", str(folder / "L7-40-200-0000.json"), "--knowledge", "noisy-lower:0.8", "--seed", "3")
    assert direct.returncode == 0 and direct.stdout == after.stdout
    assert json.loads(direct.stdout)["description"].endswith('"knowledge":"noisy-lower:0.8","knowledge_seed":3}')
