"""Sweeps under faults (issue #15, part 2): kills at any point, two sweeps at once, resuming with
other spellings and settings; no row is ever lost or duplicated. Run as a user runs cabench."""

from __future__ import annotations

import fcntl
import os
import random
import signal
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from instances import dump_instance
from instances.generate import generate_instance
from tests.conftest import cabench_command, run_cli

MECHS = "best-belief,vcg"


@pytest.fixture()
def folder(tmp_path) -> Path:
    out = tmp_path / "instances"
    out.mkdir()
    for seed in range(6):
        inst = generate_instance("regions" if seed % 2 else "paths", 6, 12, 3, seed, knowledge="exact")
        dump_instance(inst, out / f"{inst.name}.json")
    return out


def _rows(results: Path) -> pd.DataFrame:
    frame = pd.read_csv(results, dtype=str, keep_default_na=False)
    return frame.sort_values(["instance_sha256", "mechanism"]).reset_index(drop=True)


def _assert_same_rows(got: pd.DataFrame, want: pd.DataFrame) -> None:
    keys = list(zip(got["instance_sha256"], got["mechanism"]))
    assert len(keys) == len(set(keys)), "a row is duplicated"
    assert keys == list(zip(want["instance_sha256"], want["mechanism"])), "a row is lost"
    for column in ("MSW", "MIEW", "BB", "MKW", "E_SW", "E_REV", "holds", "proven"):
        assert list(got[column]) == list(want[column]), column


def _sweep(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen([*cabench_command(), "sweep", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})}, cwd=cwd)


def test_kills_at_any_point_lose_and_duplicate_nothing(folder, tmp_path):
    reference = tmp_path / "reference.csv"
    assert run_cli("sweep", str(folder), "--mechanisms", MECHS, "-o", str(reference)).returncode == 0
    want = _rows(reference)
    assert len(want) == 6 * 3

    results = tmp_path / "out" / "results.csv"
    spellings = [str(folder), str(folder) + "/", str(folder / "*.json"), os.path.relpath(folder, tmp_path),
                 str(folder / ".." / folder.name)]
    rng = random.Random(15)
    # deterministic fault points: after an instance reaches the journal (twice), then kills at
    # random moments, then between the replacement of the results file and the removal of the
    # journal (reached by every run, even one with nothing left to compute)
    for point in ["journal-written", "journal-written", None, None, None, None, None, "results-replaced"]:
        proc = _sweep([rng.choice(spellings), "--mechanisms", MECHS, "-o", str(results)],
                      env={"CABENCH_KILL_AT": point} if point else None, cwd=tmp_path)
        if point is None:
            time.sleep(rng.uniform(0.3, 2.5))
            proc.kill()
        code = proc.wait(timeout=120)
        assert point is None or code == -signal.SIGKILL, proc.stderr.read()
    final = run_cli("sweep", rng.choice(spellings), "--mechanisms", MECHS, "-o", str(results), cwd=tmp_path)
    assert final.returncode == 0, final.stderr
    _assert_same_rows(_rows(results), want)
    assert not results.with_name("results.csv.journal.jsonl").exists()
    # resuming again, with any spelling of the paths, computes and adds nothing
    for spelling in spellings:
        again = run_cli("sweep", spelling, "--mechanisms", MECHS, "-o", str(results), cwd=tmp_path)
        assert again.returncode == 0 and "0 instance(s) computed, 6 already" in again.stderr
    _assert_same_rows(_rows(results), want)
    assert [p.name for p in results.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_a_kill_between_the_replacement_and_the_journal_removal(folder, tmp_path):
    results = tmp_path / "r.csv"
    proc = _sweep([str(folder), "--mechanisms", MECHS, "-o", str(results)], env={"CABENCH_KILL_AT": "results-replaced"})
    assert proc.wait(timeout=120) == -signal.SIGKILL
    assert results.exists() and (tmp_path / "r.csv.journal.jsonl").exists()
    again = run_cli("sweep", str(folder), "--mechanisms", MECHS, "-o", str(results))
    assert again.returncode == 0 and "0 instance(s) computed" in again.stderr
    assert len(_rows(results)) == 6 * 3


def test_a_second_sweep_into_the_same_file_is_refused(folder, tmp_path):
    # one instance that takes seconds (its programs stop at the time limit), so the first sweep
    # is still running when the second starts
    result = run_cli("generate", "-d", "arbitrary", "-m", "64", "-b", "800", "-n", "6", "--knowledge", "exact",
                     "-o", str(folder / "zz-hard.json"))
    assert result.returncode == 0, result.stderr
    results = tmp_path / "r.csv"
    lock = tmp_path / "r.csv.lock"
    args = [str(folder), "--solver", "cpsat", "--time-limit", "1", "-o", str(results)]
    first = _sweep(args)
    deadline = time.monotonic() + 60
    while True:  # wait until the first sweep holds the lock
        assert time.monotonic() < deadline and first.poll() is None, "the first sweep never took the lock"
        if lock.exists():
            with open(lock) as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(handle, fcntl.LOCK_UN)
                except BlockingIOError:
                    break
        time.sleep(0.01)
    second = run_cli("sweep", *args)
    assert first.poll() is None, "the first sweep ended too soon for this test"
    assert first.wait(timeout=300) == 3, first.stderr.read()
    assert second.returncode == 2
    assert "another cabench sweep" in second.stderr and len(second.stderr.strip().splitlines()) == 1
    frame = _rows(results)
    assert len(frame) == 7 and not frame.duplicated(["instance_sha256", "mechanism"]).any()


def test_resuming_with_more_mechanisms_computes_them(folder, tmp_path):
    results = tmp_path / "r.parquet"
    assert run_cli("sweep", str(folder), "-o", str(results)).returncode == 0
    assert len(pd.read_parquet(results)) == 6
    more = run_cli("sweep", str(folder), "--mechanisms", MECHS, "-o", str(results))
    assert more.returncode == 0 and "6 instance(s) computed" in more.stderr
    frame = pd.read_parquet(results)
    assert len(frame) == 6 * 3 and frame.groupby(["instance_sha256", "mechanism"]).size().max() == 1
    fewer = run_cli("sweep", str(folder), "--mechanisms", "vcg", "-o", str(results))
    assert fewer.returncode == 0 and "0 instance(s) computed" in fewer.stderr


def test_unproven_rows_are_marked_and_recomputed_with_a_larger_limit(tmp_path):
    folder = tmp_path / "hard"
    result = run_cli("generate", "-d", "regions", "-m", "40", "-b", "250", "-n", "5", "--knowledge", "exact",
                     "-o", str(folder), "--count", "2")
    assert result.returncode == 0, result.stderr
    results = tmp_path / "r.csv"
    short = run_cli("sweep", str(folder), "--solver", "cpsat", "--time-limit", "0.01", "-o", str(results))
    assert short.returncode == 3, short.stderr
    assert "not proven" in short.stderr and "1e+20" not in short.stderr and "100000000000000000000" not in short.stderr
    frame = _rows(results)
    assert set(frame["proven"]) == {"False"} and set(frame["MSW"]) == {""}
    same = run_cli("sweep", str(folder), "--solver", "cpsat", "--time-limit", "0.01", "-o", str(results))
    assert same.returncode == 3 and "0 instance(s) computed, 2 already" in same.stderr
    longer = run_cli("sweep", str(folder), "--solver", "cpsat", "--time-limit", "120", "-o", str(results))
    assert longer.returncode == 0 and "2 instance(s) computed" in longer.stderr
    frame = _rows(results)
    assert len(frame) == 2 and set(frame["proven"]) == {"True"} and "" not in set(frame["MSW"])


def test_csv_cells_that_look_like_formulas_are_neutralised(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    inst = replace(generate_instance("paths", 4, 6, 2, 0), name="=HYPERLINK(x)")
    dump_instance(inst, folder / "=HYPERLINK(x).json")
    results = tmp_path / "r.csv"
    assert run_cli("sweep", str(folder / "*.json"), "-o", str(results)).returncode == 0
    frame = pd.read_csv(results, dtype=str, keep_default_na=False)
    assert frame["instance"][0] == "'=HYPERLINK(x)"
    assert all(not str(cell).startswith(("=", "+", "@")) for cell in frame.to_numpy().ravel())


def test_ctrl_c_just_after_an_instance_reached_the_journal_says_it_is_kept(folder, tmp_path):
    """Ctrl-C between an instance's journal line and the count of instances done said "no
    instance was computed in this run" over a journal that kept one: the journal decides."""
    results = tmp_path / "r.csv"
    proc = _sweep([str(folder), "-o", str(results)], env={"CABENCH_INTERRUPT_AT": "journal-written"})
    _, stderr = proc.communicate(timeout=120)
    journal = tmp_path / "r.csv.journal.jsonl"
    assert proc.returncode == 130 and journal.read_bytes().count(b"\n") == 1, stderr
    assert f"1 instance(s) computed in this run are kept (in {journal})" in stderr, stderr
    assert "Traceback" not in stderr
