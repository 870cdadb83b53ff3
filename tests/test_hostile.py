"""Hostile files cost little and end in one line (issue #15, part 5; issue #13, deep nesting).

Every file of ``tests/hostile/`` (written by ``tests/hostile/make_corpus.py``) and a few inputs
made here (too large to commit: /dev/zero, /dev/urandom, an endless pipe, a huge good index) is
run through the console script as a subprocess limited to 3 GB of address space: it must end
within 30 s with status 0, 2 or 3, at most one line on standard error, and no traceback.
"""

from __future__ import annotations

import resource
import subprocess
from pathlib import Path

import pytest

from tests.conftest import cabench_command

CORPUS = Path(__file__).resolve().parent / "hostile"
FILES = sorted(p for p in CORPUS.iterdir() if p.suffix in (".json", ".cats"))
MEMORY = 3 * 2**30


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _run(args: list[str], stdin=subprocess.DEVNULL, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*cabench_command(), *args], stdin=stdin, capture_output=True, timeout=30,
                          preexec_fn=_limits, cwd=cwd)


def _check(result: subprocess.CompletedProcess) -> None:
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode in (0, 2, 3), stderr
    assert "Traceback" not in stderr and len(stderr.splitlines()) <= 1, stderr
    assert "\x1b" not in result.stdout.decode("utf-8", "replace"), "a terminal escape from the file reached the output"


def _args(path: Path) -> list[str]:
    # the default solver, as a user runs it: ``--solver cpsat`` would load OR-Tools before the
    # file is read (0.45 s of CPU per refused file, 2026-12-02)
    return ["benchmarks", str(path), "--time-limit", "10"]


def test_the_corpus_is_large_enough():
    assert len(FILES) >= 100


VALID = ("valid", "bom-valid", "markup", "ansi", "emoji", "or-valid", "at-cap")
"""The files whose names start so are valid: the command must succeed."""


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_hostile_file(path, tmp_path):
    """An instance file goes through benchmarks. A CATS file goes through import to a file, and
    import applies the loader's rules: whatever it writes, benchmarks accepts, and a file it
    refuses is not written (import to standard output: test_generate.py, test_real_files.py)."""
    if path.suffix == ".cats":
        out = tmp_path / f"{path.stem}.json"
        result = _run(["import", str(path), "--format", "cats", "-o", str(out)])
    else:
        result = _run(_args(path))
    _check(result)
    if path.stem.startswith(VALID):
        assert result.returncode == 0, result.stderr
    if path.suffix != ".cats":
        return
    if result.returncode == 0:
        assert result.stdout == b"" and "\x1b" not in out.read_text(encoding="utf-8")
        _check(again := _run(_args(out)))
        assert again.returncode == 0, again.stderr
    else:
        assert not out.exists()


def test_markup_and_escapes_in_names_are_printed_as_written():
    result = _run(["benchmarks", str(CORPUS / "markup-bold.json"), "--solver", "cpsat"])
    assert result.returncode == 0 and "[bold red]boo" in result.stdout.decode()
    result = _run(["benchmarks", str(CORPUS / "ansi-clear-screen.json"), "--solver", "cpsat"])
    assert result.returncode == 0 and "\\x1b[2J" in result.stdout.decode()


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
@pytest.mark.parametrize("command", [["benchmarks"], ["import", "--format", "cats"]])
def test_endless_devices_are_refused(device, command):
    result = _run([command[0], device, *command[1:]])
    _check(result)
    assert result.returncode == 2


def test_an_endless_pipe_is_refused():
    yes = subprocess.Popen(["yes", "[1,"], stdout=subprocess.PIPE)
    try:
        result = _run(["benchmarks", "/dev/stdin"], stdin=yes.stdout)
    finally:
        yes.kill()
        yes.wait()
    _check(result)
    assert result.returncode == 2 and b"MiB" in result.stderr


def test_large_generated_files_are_refused_cheaply(tmp_path):
    big = tmp_path / "big-table.json"  # 2^22 table entries for 22 goods: refused by the goods count
    goods = [f"g{k}" for k in range(22)]
    big.write_text('{"goods": %s, "players": ["p"], "valuations": {"p": {"table": [%s]}}}'
                   % (str(goods).replace("'", '"'), ",".join(["1"] * (1 << 22))))
    huge_goods = tmp_path / "goods-million.json"
    huge_goods.write_text('{"goods": [%s], "players": ["p"], "valuations": {"p": {"xor": []}}}'
                          % ",".join(f'"g{k}"' for k in range(1_000_000)))
    too_big = tmp_path / "too-big.json"
    with open(too_big, "w") as handle:
        handle.write('{"goods": ["a"], "name": "')
        handle.write("x" * (65 * 2**20))
        handle.write('"}')
    for path in (big, huge_goods, too_big):
        result = _run(["benchmarks", str(path)])
        _check(result)
        assert result.returncode == 2
