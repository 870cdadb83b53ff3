"""Outputs under faults (issue #15, parts 6 and 7): refused output paths, failing writes,
closed pipes, and the private local Dask cluster. Run as a user runs cabench."""

from __future__ import annotations

import os
import resource
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.conftest import EXAMPLES, cabench_command, run_cli

EXAMPLE = str(EXAMPLES / "seed004-example.json")


def _one_line_exit_2(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize("args", [
    ["generate", "-d", "paths", "-m", "4", "-b", "6", "-n", "2", "-o", "/dev/null"],
    ["export", EXAMPLE, "--format", "cats", "-o", "/dev/null"],
    ["import", str(EXAMPLES.parent.parent / "tests" / "hostile" / "valid.cats"), "--format", "cats", "-o", "/dev/null"],
    ["sweep", str(EXAMPLES), "-o", "{tmp}/a-file/results.csv"],
    ["generate", "-d", "paths", "-m", "4", "-b", "6", "-n", "2", "-o", "{tmp}/a-file/sub.json"],
    ["plot", "{tmp}/r.csv", "-o", "{tmp}/a-file"],
    ["perf", "--backends", "none", "--no-naive", "-o", "{tmp}/a-file"],
    ["generate", "-d", "paths", "-m", "4", "-b", "6", "-n", "2", "-o", "{tmp}/a-folder"],
])
def test_outputs_that_cannot_be_files_are_refused_before_computing(tmp_path, args):
    (tmp_path / "a-file").write_text("keep me")
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "a-folder" / "x.json").mkdir()  # a folder where --count 1 output would go
    (tmp_path / "r.csv").write_text("instance_sha256,mechanism\n")
    result = run_cli(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    if args[-1] == "{tmp}/a-folder":  # a folder is a valid target for generate: it writes inside
        assert result.returncode == 0, result.stderr
        return
    _one_line_exit_2(result)
    assert (tmp_path / "a-file").read_text() == "keep me"
    assert Path("/dev/null").is_char_device()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    _one_line_exit_2(run_cli("generate", "-d", "paths", "-m", "4", "-b", "6", "-n", "2", "-o", str(folder / "x.json")))


def test_a_write_that_fails_midway_leaves_nothing_behind(tmp_path):
    """A full disk, simulated by a file-size limit (EFBIG): one line, exit 2, no partial file."""
    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))

    target = tmp_path / "out.json"
    result = subprocess.run([*cabench_command(), "generate", "-d", "paths", "-m", "16", "-b", "60", "-n", "4",
                             "-o", str(target)], capture_output=True, text=True, preexec_fn=small_files, timeout=120)
    _one_line_exit_2(result)
    assert "cannot write" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [["benchmarks", EXAMPLE], ["benchmarks", EXAMPLE, "--json"],
                                  ["evaluate", EXAMPLE, "-m", "all"],
                                  ["export", str(EXAMPLES.parent.parent / "tests" / "hostile" / "valid.json"),
                                   "--format", "cats"]])
@pytest.mark.parametrize("reader", [["true"], ["head", "-c", "10"]])
def test_a_closed_pipe_is_a_quiet_clean_end(args, reader):
    command = " ".join(f"'{a}'" for a in [*cabench_command(), *args])
    result = subprocess.run(["bash", "-c", f"{command} | {' '.join(reader)} >/dev/null; echo ${{PIPESTATUS[0]}} >&2"],
                            capture_output=True, text=True, timeout=120)
    assert result.stderr.strip() == "0", result.stderr


def test_the_local_dask_cluster_is_private(monkeypatch, tmp_path):
    """Localhost only, no dashboard, temporary TLS credentials, a private scratch folder, within
    the command's own folder (``ilp.lifetime.scratch_folder``: in /tmp, untagged, a SIGKILL left
    it for ever)."""
    import distributed

    from cabench import sweep
    from ilp import lifetime
    from instances import dump_instance
    from instances.generate import generate_instance

    seen = {}
    original = distributed.LocalCluster

    class Recording(original):
        def __init__(self, *args, **kwargs):
            seen.update(kwargs)
            seen["scratch_mode"] = os.stat(kwargs["local_directory"]).st_mode & 0o777
            seen["scratch_parent"] = os.path.dirname(kwargs["local_directory"])
            super().__init__(*args, **kwargs)
            seen["address"] = self.scheduler_address
            try:  # the scheduler's HTTP server answers health checks only, no dashboard pages
                seen["dashboard"] = urllib.request.urlopen(self.dashboard_link, timeout=10).status
            except urllib.error.HTTPError as exc:
                seen["dashboard"] = exc.code
            seen["listening"] = [c.laddr.ip for c in psutil.Process().net_connections("tcp")
                                 if c.status == psutil.CONN_LISTEN]

    monkeypatch.setattr(distributed, "LocalCluster", Recording)
    dump_instance(generate_instance("paths", 4, 6, 2, 0), tmp_path / "a.json")
    monkeypatch.delenv(lifetime.SCRATCH, raising=False)
    with lifetime.scratch_folder():
        folder = lifetime.scratch()
        sweep.run_sweep([tmp_path / "a.json"], tmp_path / "r.csv", [], executor="dask", workers=1)
    assert seen["scratch_parent"] == folder
    # from Python (no command's folder): in the system's, named for this process
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    sweep.run_sweep([tmp_path / "a.json"], tmp_path / "r2.csv", [], executor="dask", workers=1)
    assert seen["scratch_parent"] == str(tmp_path / "tmp")
    assert os.path.basename(seen["local_directory"]).startswith(f"cabench-dask-{os.getpid()}.")
    assert list((tmp_path / "tmp").iterdir()) == []
    assert seen["host"] == "127.0.0.1" and seen["dashboard"] == 404
    assert seen["address"].startswith("tls://127.0.0.1:")
    assert seen["listening"] and all(host == "127.0.0.1" for host in seen["listening"])
    assert seen["scratch_mode"] == 0o700


def test_a_writer_error_names_the_output_not_the_temporary_file(tmp_path, monkeypatch):
    import instances.files
    from instances.files import OutputError, atomic_write

    target = tmp_path / "out.parquet"

    def write(tmp):
        raise OSError(f"failed to open local file '{tmp}'")  # as pyarrow says it, without strerror

    with pytest.raises(OutputError) as caught:
        atomic_write(target, write)
    assert str(caught.value) == f"{target}: cannot write: failed to open local file '{target}'"
    assert list(tmp_path.iterdir()) == []

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(instances.files, "_created", full)  # (mkstemp's, a traceback before)
    with pytest.raises(OutputError, match="out.parquet: cannot write: No space left on device"):
        atomic_write(target, write)


@pytest.mark.parametrize("command", [["benchmarks", EXAMPLE], ["evaluate", EXAMPLE, "-m", "vcg"]])
def test_a_report_that_cannot_be_printed_leaves_no_csv(tmp_path, command):
    """``--players-csv`` was written before the report, so a report to a full disk (exit 2) left
    the CSV behind, and the folders made for it: the files take their places after the report."""
    csv = tmp_path / "new" / "deeper" / "p.csv"
    with open("/dev/full", "w") as full:
        done = subprocess.run([*cabench_command(), *command, "--players-csv", str(csv)], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    _one_line_exit_2(done)
    assert "standard output: cannot write" in done.stderr and list(tmp_path.iterdir()) == []
    ok = run_cli(*command, "--players-csv", str(csv))
    assert ok.returncode == 0 and csv.read_text().count("\n") > 1, ok.stderr


def test_a_second_csv_that_cannot_be_created_is_refused_before_computing(tmp_path):
    """A folder where no file can be created passed the access check (as root, a folder of
    /proc): the refusal came after the solves, with the first CSV already written."""
    first = tmp_path / "p.csv"
    done = run_cli("benchmarks", EXAMPLE, "--players-csv", str(first), "--coalitions-csv", "/proc/x.csv")
    _one_line_exit_2(done)
    assert done.stderr.startswith("/proc/x.csv: cannot write") and not first.exists()
    from instances.files import OutputError, written_together

    with pytest.raises(OutputError), written_together() as stage:  # (the library's own: all or none)
        stage(first, lambda tmp: tmp.write_text("a"))
        stage(tmp_path / "q.csv", lambda tmp: tmp.write_text("b"))
        stage("/proc/x.csv", lambda tmp: tmp.write_text("c"))
    assert list(tmp_path.iterdir()) == []


def test_a_reader_that_stops_reading_keeps_the_csv(tmp_path):
    """``cabench benchmarks ... --players-csv p.csv | head``: the reader going away is no failure
    (exit 0), and the CSV is written (kept back with the report, it was dropped)."""
    csv = tmp_path / "p.csv"
    reader, writer = os.pipe()
    os.close(reader)  # (every write to the pipe fails at once)
    try:
        done = subprocess.run([*cabench_command(), "benchmarks", EXAMPLE, "--players-csv", str(csv)], stdout=writer,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(writer)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert csv.read_text().startswith("player,")


@pytest.mark.parametrize("write", ["check_output", "written_together"])
def test_a_stop_while_a_temporary_file_is_made_leaves_none(tmp_path, monkeypatch, write):
    """Ctrl-C as the probe of an output's folder, or a staged output, is being created (the file
    made, its name not yet returned): nothing is left beside the output. With
    ``tempfile.mkstemp`` the file stayed, and the folder a stopped ``perf`` had made was then not
    empty and stayed too (one CI run)."""
    import instances.files as files

    made = os.open

    def stopped_after_making(name, flags, mode=0o777, *args, **kwargs):
        os.close(made(name, flags, mode, *args, **kwargs))
        raise KeyboardInterrupt

    target = tmp_path / "out" / "r.csv"
    monkeypatch.setattr(files.os, "open", stopped_after_making)
    with pytest.raises(KeyboardInterrupt):
        if write == "check_output":
            files.check_output(target)
        else:
            with files.written_together() as stage:
                monkeypatch.setattr(files, "check_output", lambda path: path)  # (its own probe: above)
                target.parent.mkdir()
                stage(target, lambda tmp: tmp.write_text("x"))
    monkeypatch.undo()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == []


def test_an_output_a_thousand_folders_deep_is_written(tmp_path):
    """Python's ``mkdir(parents=True)`` recurses once per missing folder: a path about 1,000
    folders deep (2,000 characters, within the system's limit) ended every writing command in a
    RecursionError traceback (``instances.files.make_folders`` makes them in a loop)."""
    deep = tmp_path.joinpath(*["d"] * 1000)
    try:
        result = run_cli("generate", "-d", "uniform", "-m", "6", "-b", "8", "-n", "2", "-o", str(deep / "x.json"))
        assert result.returncode == 0, result.stderr
        assert (deep / "x.json").is_file()
    finally:  # removed in a loop: pytest's own removal of old temporary folders recurses too
        (deep / "x.json").unlink(missing_ok=True)
        while deep != tmp_path:
            if deep.is_dir():
                deep.rmdir()
            deep = deep.parent


def test_generate_count_writes_all_its_files_or_none(tmp_path, monkeypatch):
    """``generate --count`` wrote its files one by one: a full disk or a Ctrl-C part-way left
    some of them, in the folder the command had made. A failure at the second file now leaves
    nothing, and the folder is removed again."""
    import errno

    from click.testing import CliRunner

    import instances.files
    from cabench.cli import cli

    real, calls = instances.files._created, []

    def second_fails(path):
        if "-s1.json" in path.name:  # the second file: its check, then its write
            calls.append(path)
            if len(calls) == 2:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real(path)

    monkeypatch.setattr(instances.files, "_created", second_fails)
    out = tmp_path / "many"
    result = CliRunner().invoke(cli, ["generate", "-d", "uniform", "-m", "6", "-b", "8", "-n", "2", "--count", "5",
                                      "-o", str(out)])
    assert isinstance(result.exception, instances.files.OutputError), result.output
    assert "No space left on device" in str(result.exception)
    assert not out.exists() and list(tmp_path.iterdir()) == []
