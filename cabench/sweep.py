"""``cabench sweep``: the benchmark table and mechanism evaluations of many instances, on a local
process pool or a Dask cluster, resumable, into one CSV or Parquet file that pandas reads.

What survives a fault, and why:

* **Rows are keyed by what they are**: (``instance_sha256``, ``mechanism``, ``parameter_spec``,
  ``solver``): the SHA-256 of the instance file's bytes, the mechanism (null for the row of
  benchmarks), the parameters given to it and the backend. A resumed run computes exactly the
  rows it wants that are missing (a new mechanism, new parameters, another solver, a changed
  file), however the files' paths are spelled; identical files count once. A proven row
  answers any ``--time-limit`` (proven values do not depend on it). The rows of an earlier
  version of a swept file are dropped (:func:`_changed_files`).
* **Every finished instance is committed at once** to a journal next to the results
  (``RESULTS.journal.jsonl``, one line per instance, flushed to disk), so a kill loses at most
  the instances being computed. At the end the results file is rewritten atomically (an
  exclusive temporary file in the same folder, flushed, renamed) and the journal removed. A
  journal row replaces the row with its key, so replaying it after a kill between the rename
  and the removal changes nothing: no row is ever lost or duplicated.
* **A row cut short is not a row**: in a CSV results file cut in the middle of a row (a copy
  interrupted; the sweep's own replacement is atomic), a row with fewer fields than the header,
  or a last line without its newline, is treated as not computed and is not written back.
* **One sweep per results file**: an exclusive lock (``RESULTS.lock``, present while a sweep
  runs) makes a second sweep into the same file stop at once with a clear message.
* **Unproven rows are recomputed**: an instance whose table was not proven within
  ``--time-limit`` is recorded with ``proven`` false (the sweep exits with status 3), and a later
  run with a larger limit (or none) computes it again (its new row replaces the old one).

Every row carries its provenance: the file and its hash, how the file was made (distribution,
seed, knowledge and coalition specs, read from the record cabench writes into the files it
makes, see ``cabench.provenance``; null for other files), goods/bids/players, the mechanism and
its parameters, solver, time limit, proven flags, timings, cabench's version and the host's
core count.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import io
import json
import logging
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import as_completed
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from instances import CabenchError
from instances.files import atomic_write, exclusive_lock, read_input, sync_folder
from instances.spreadsheet import neutral, restored
from instances.units import decimal

if TYPE_CHECKING:
    from instances import Instance
    from mechanisms.base import Param

__all__ = ["CONNECT_SECONDS", "KEY", "LATE", "RESUMED", "check_results", "check_results_name", "guarantee_on",
           "instance_files", "instance_key", "journal_of", "parameter_spec", "results_lock", "row_key", "run_sweep",
           "sweep_one", "valuations_key"]

KEY = "instance_sha256"


def instance_files(pattern: str) -> list[Path]:
    """A directory (all its ``*.json`` instance files, and its ``*.txt`` files that open as
    CATS files do: ``instances.cats.looks_like_cats``), a file, or a glob pattern; sorted."""
    from instances.cats import looks_like_cats

    path = Path(pattern)
    if path.is_dir():
        # (a pipe or a device is kept for the check below, never read here: reading it would hang)
        files = sorted(f for f in path.iterdir() if not f.is_dir() and (f.suffix.lower() == ".json" or (
            f.suffix.lower() == ".txt" and (not f.is_file() or looks_like_cats(f)))))
        if not files:
            raise CabenchError(f"{pattern}: no instance files in this folder (instance files *.json, CATS files *.txt)")
    elif path.is_file():
        files = [path]
    else:
        files = sorted(Path(p) for p in glob.glob(pattern))
    files = [f for f in files if not f.is_dir()]  # (a glob of folders alone wrote an empty results file)
    if not files:
        raise CabenchError(f"{pattern}: no instance files (expected a directory, a file or a glob of instance files "
                           "*.json or CATS files *.txt)")
    for f in files:  # (a pipe read for its key was empty when read again: "invalid JSON"; a FIFO hung the sweep)
        if f.exists() and not f.is_file():
            raise CabenchError(f"{f}: not a regular file (a pipe or a device); a sweep reads each instance more than "
                               "once (for its key, then to compute it): save it to a file first")
    return files


def valuations_key(instance) -> str:
    """The SHA-256 of what an auction is apart from what its players know: goods, players,
    valuations, endowment and scale, not knowledge, coalitions, name or description. Files that
    share it (one auction annotated several ways, an experiment's points) are one auction to
    ``cabench table`` (``cabench.summary.auction``)."""
    from dataclasses import replace

    from instances import instance_text

    bare = replace(instance, name="auction", knowledge=tuple(None for _ in instance.players), coalitions=(),
                   description=None)
    return hashlib.sha256(instance_text(bare).encode("utf-8")).hexdigest()


def instance_key(path: str | Path) -> str:
    """The key of an instance's rows: the SHA-256 of its file's bytes."""
    return hashlib.sha256(read_input(path).encode("utf-8")).hexdigest()


def parameter_spec(mechanism: str, given: Mapping[str, Fraction]) -> str:
    """The parameters given to ``mechanism``, canonical (``eps=1/100,eps1=0``; "" for the
    defaults): the part of ``given`` that ``mechanism`` has, less the values equal to a default
    that is the same on every instance (best-belief's ``eps=1/10`` keys the rows of no
    ``--param``; a default that depends on the instance, as collusion-leveraging's ``eps2``,
    cannot be known before the instance is read). Part of a row's key."""
    from mechanisms import MECHANISMS

    values: dict[str, Fraction] = {}  # the parameters so far, as a later default reads them
    kept = []
    for p in MECHANISMS[mechanism].params:
        default = _same_on_every_instance(p, values)
        if p.name in given:
            values[p.name] = Fraction(given[p.name])
            if values[p.name] != default:
                kept.append(p.name)
        elif default is not None:
            values[p.name] = default
    return ",".join(f"{k}={values[k]}" for k in sorted(kept))


class _InstanceRead(Exception):
    """A parameter's default read the instance (:class:`_AnyInstance`)."""


class _AnyInstance:
    """Stands for every instance: a default that reads any of its attributes depends on it."""

    def __getattr__(self, name: str):
        raise _InstanceRead(name)


def _same_on_every_instance(param: Param, values: Mapping[str, Fraction]) -> Fraction | None:
    """``param``'s default when it reads no instance, given the parameters before it
    (``values``); None when it reads the instance or a parameter not known without it."""
    try:
        return Fraction(param.default(_AnyInstance(), values))
    except Exception:  # (_InstanceRead, a KeyError for a parameter not in values, or what a
        return None    # default computed from a stand-in raises: it depends on the instance)


def row_key(row: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """What a row is: (instance hash, mechanism, parameter spec, solver); "" mechanism for the
    benchmark row. Rows with the same key replace each other (see :func:`_needs_row`)."""
    return (str(row[KEY]), str(row.get("mechanism") or ""), str(row.get("parameter_spec") or ""),
            str(row.get("solver") or ""))


def _kind(name: str) -> str:
    """What a mechanism is for, for a note: "for markets", or "for auctions, with at least 2
    players" (what :func:`_applicable` asks)."""
    from mechanisms import MECHANISMS

    m = MECHANISMS[name]
    return f"for {'markets' if m.market else 'auctions'}" + (
        f", with at least {m.min_players} players" if m.min_players > 1 else "")


def _applicable(name: str, instance) -> bool:
    from cabench.api import applicable
    from mechanisms import MECHANISMS

    return applicable(MECHANISMS[name], instance)


def sweep_one(path: str, mechanisms: Sequence[str], solver: str, time_limit: float | None,
              cores: int | None = None, given: Mapping[str, Fraction] | None = None) -> list[dict[str, Any]]:
    """The rows of one instance: the benchmark table, then one row per applicable mechanism
    (its parameters: the defaults overridden by the part of ``given`` it has).
    ``cores``: the cores this process may use (a worker's share of the machine), which bounds
    the portfolio's race."""
    if cores is not None:
        os.environ["CABENCH_CORES"] = str(cores)
    from benchmarks import compute_report
    from benchmarks.table import report_programs
    from ilp import SolveOptions, prefetch
    from instances.cats import read_instance_or_cats
    from mechanisms.base import ParameterError

    try:
        instance = read_instance_or_cats(path)
        start = time.perf_counter()
        # the sweep runs instances in parallel already: each table in one process; the mechanisms'
        # strategies then reuse the table's solutions (MIEW_i, RK_A) instead of solving them again
        options = prefetch(report_programs(instance), SolveOptions(solver, time_limit, jobs=1))
        report = compute_report(instance, options)
        solve_seconds = time.perf_counter() - start
        return _rows(path, instance, report, solve_seconds, mechanisms, options, dict(given or {}))
    except CabenchError as exc:
        # a solver's or a mechanism's refusal ("--solver brute handles at most 12 goods") says which
        # instance; the other kinds keep their class (a SolverError is an internal error, exit 1)
        if type(exc) not in (CabenchError, ParameterError) or str(exc).startswith(str(path)):
            raise
        raise CabenchError(f"{path}: {exc}") from None


def guarantee_on(statement: str) -> str:
    """What a theorem bounds: "total" (E[SW] + E[REV]), "revenue" or "probability"."""
    if statement.startswith("Pr"):
        return "probability"
    return "total" if statement.startswith("E[SW] + E[REV]") else "revenue"


def _rows(path: str, instance, report, solve_seconds: float, mechanisms: Sequence[str], options,
          given: Mapping[str, Fraction]) -> list[dict[str, Any]]:
    from benchmarks.results import NotProvenError
    from cabench.provenance import host
    from mechanisms import MECHANISMS, Facts, evaluate

    scale = instance.scale

    def money(value: int | None) -> int | float | None:
        """A benchmark in the file's units: the integer itself at scale 1, else the decimal as a
        float, which prints back as the same decimal (at most 15 significant digits)."""
        return value if value is None or scale == 1 else float(decimal(value, scale))

    record = _record(instance, path)
    base = {
        KEY: instance_key(path),
        "file": str(path),
        "file_absolute": os.path.abspath(path),
        "instance": instance.name,
        "valuations_sha256": valuations_key(instance),
        # how the file was made (from its own record, never parsed from its name); None if unknown
        "distribution": record.get("distribution"),
        "seed": record.get("seed"),
        "knowledge": record.get("knowledge"),
        "coalition_spec": record.get("coalitions"),
        # the seeds annotate drew them with, when not the generator's ``seed`` (a user's audit:
        # files annotated with two seeds had the same provenance columns)
        "knowledge_seed": record.get("knowledge_seed"),
        "coalitions_seed": record.get("coalitions_seed"),
        "axis": record.get("axis"),
        "axis_value": record.get("axis_value"),
        "source_file": record.get("source_file"),
        "source_sha256": record.get("source_sha256"),
        "design": record.get("design"),
        "goods": instance.m,
        "players": instance.n,
        "bids": sum(len(v.bids) for v in instance.valuations),
        "coalitions": len(instance.coalitions),
        "colluders": sum(len(c) for c in instance.coalitions),
        "market": instance.is_market,
        "mechanism": None,
        "parameter_spec": "",
        "parameters": None,
        "solver": options.backend,
        "time_limit": options.time_limit,
        "proven": report.all_proven,
        "benchmarks_proven": report.all_proven,
        "scale": scale,
        "MSW": money(report.msw.value),
        "MIEW": money(report.miew.value),
        "BB": money(report.bb.value),
        "BB_prime": money(report.bb_prime.value),
        "MKW": money(report.mkw.value),
        "solve_seconds": solve_seconds,
        **host(),
    }
    rows = [dict(base)]
    facts = Facts(instance, options)
    msw = report.msw.value
    for name in mechanisms:
        if not _applicable(name, instance):
            continue
        m = MECHANISMS[name]
        start = time.perf_counter()
        params = _parameters(name, instance, given)
        head = {**base, "mechanism": name, "parameter_spec": parameter_spec(name, given),
                "parameters": json.dumps({k: str(v) for k, v in params.items()}, sort_keys=True)}
        try:
            ev = evaluate(m, instance, params, m.rational(instance, params, facts), facts)
        except NotProvenError:
            rows.append({**head, "proven": False, "eval_seconds": time.perf_counter() - start})
            continue
        g = ev.guarantee
        ratio = g is not None and bool(g.benchmark_value) and not g.on_probability
        rows.append({
            **head,
            "E_SW": float(ev.sw / scale),
            "E_REV": float(ev.rev / scale),
            "total": float(ev.total / scale),
            "guarantee": g.statement if g else None,
            "guarantee_benchmark": g.benchmark if g else None,
            "guarantee_value": money(g.benchmark_value) if g else None,
            "guarantee_on": guarantee_on(g.statement) if g else None,
            "bound": (float(g.bound) if g.on_probability else float(g.bound / scale)) if g else None,
            # what the bound is compared with (a market's probability had no column: a user's audit)
            "achieved": (float(g.achieved) if g.on_probability else float(g.achieved / scale)) if g else None,
            "bound_over_benchmark": float(g.bound / g.benchmark_value) if ratio else None,
            "verdict": g.verdict if g else None,
            # the theorem's verdict: None when its premise is not met (it says nothing here)
            "holds": (g.holds if g.premise_unmet is None else None) if g else None,
            "total_over_benchmark": float(ev.total / g.benchmark_value) if ratio else None,
            "revenue_over_benchmark": float(ev.rev / g.benchmark_value) if ratio else None,
            "total_over_MSW": float(ev.total / msw) if msw else None,
            "revenue_over_MSW": float(ev.rev / msw) if msw else None,
            "eval_seconds": time.perf_counter() - start,
        })
    return rows


RESUMED = (KEY, "file", "mechanism", "parameter_spec", "solver", "time_limit", "proven")
"""The columns a sweep reads back from its results: the row key, the file (the rows' order) and
what says whether a row must be computed again. Every sweep writes them all."""


def check_results_name(results: Path) -> None:
    """A results file's name: something before ``.csv`` or ``.parquet`` (``-o .csv`` is a hidden
    file of no suffix to ``pathlib``)."""
    if results.name in (".csv", ".parquet"):
        raise CabenchError(f"{results}: the results file has no name before {results.name}; "
                           f"give one (e.g. results{results.name})")
    if results.suffix not in (".csv", ".parquet"):
        raise CabenchError(f"{results}: the results file must end in .csv or .parquet")


def _read_table(path: Path) -> list[dict[str, Any]]:
    import pandas as pd

    if not path.exists():
        return []
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:  # every cell as its text, as it was before ``neutral`` wrote it: written back unchanged
            data = _whole_lines(path)
            frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
            frame = frame.map(restored) if hasattr(frame, "map") else frame.applymap(restored)
    except pd.errors.EmptyDataError:  # (an empty file: pandas' exception was named)
        raise CabenchError(f"{path}: empty, not results of cabench sweep or experiment; move the file away or "
                           "choose another -o") from None
    except pd.errors.ParserError as exc:  # says where: "Expected 49 fields in line 9, saw 50"
        raise CabenchError(f"{path}: cannot read these results ({str(exc).strip()}); "
                           "move the file away or choose another -o") from None
    except Exception as exc:  # pandas and pyarrow raise many kinds
        raise CabenchError(f"{path}: cannot read these results ({type(exc).__name__}); "
                           "move the file away or choose another -o") from None
    if KEY not in frame.columns:  # (a header of other columns alone was written over)
        raise CabenchError(f"{path}: not results of cabench sweep or experiment (no {KEY} column; another "
                           "file, or written by an older cabench); move the file away or choose another -o")
    missing = [c for c in RESUMED if c not in frame.columns]
    if missing:  # (a missing "file" was a KeyError; a missing "proven" made every row unproven)
        raise CabenchError(f"{path}: not results of cabench sweep or experiment (no {', '.join(missing)} "
                           f"column{'s' * (len(missing) > 1)}); move the file away or choose another -o")
    _check_resumed_cells(path, frame, None if path.suffix == ".parquet" else data)
    if path.suffix != ".parquet":
        frame = frame[~_incomplete(path, frame)]
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in frame.to_dict("records")]


def _check_resumed_cells(path: Path, frame, data: bytes | None) -> None:
    """Refuse results with a cell that ``table`` would refuse (``cabench.summary``: a number, True
    or False, or one of a few words where the sweep writes one), naming its line and column.
    Resumed, a hand-edited cell was written back as it was (``MSW`` of "abc", exit 0), and a
    ``proven`` of "maybe" made its instance unproven for good: no time limit computed it again.
    ``data``: the CSV's whole lines (:func:`_whole_lines`), None for Parquet."""
    import pandas as pd

    from cabench.summary import check_cells

    # (numbers parsed as ``table`` parses them; a CSV's ``frame`` holds every cell as its text)
    parsed = frame if data is None else pd.read_csv(io.BytesIO(data))
    try:
        check_cells(str(path), parsed, data)
    except CabenchError as exc:
        raise CabenchError(f"{exc}; mend that cell or move the file away") from None


def _whole_lines(path: Path) -> bytes:
    """The bytes of the CSV at ``path`` up to its last line end: a file that does not end in a
    newline was cut in the middle of a row, and its last row is left out (its instance is
    computed again). Cut inside a quoted cell, the whole file was refused by the parser ("EOF
    inside string") where the README promises that results cut short are resumed."""
    data = path.read_bytes()
    if data and not data.endswith((b"\n", b"\r")):
        end = max(data.rfind(b"\n"), data.rfind(b"\r"))
        if end >= 0:  # (a header alone without its newline is kept: results of no row yet)
            data = data[:end + 1]
    return data


def _incomplete(path: Path, frame) -> Any:
    """The rows of a CSV ``frame`` that are not finished rows: those with fewer fields than the
    header (pandas fills them with NaN; an empty cell, as the sweep writes None, reads as ""). The
    sweep replaces its results atomically, so only a copy cut short holds such rows (a row cut
    in the middle is left out before, :func:`_whole_lines`): their instances are computed again,
    and the broken rows are not written back."""
    return frame.isna().any(axis=1)


def check_results(path: Path) -> list[dict[str, Any]]:
    """Raise :class:`CabenchError` when ``path`` exists and holds no results a sweep can resume
    (``cabench experiment`` asks before it writes its instance files); returns its rows, with
    those of an interrupted run's journal."""
    return list(_merge(_read_table(path), _read_journal(path)).values())


def journal_of(results: Path) -> Path:
    """The journal beside ``results`` (``RESULTS.journal.jsonl``, see the module docstring)."""
    return results.with_name(results.name + ".journal.jsonl")


def _read_journal(results: Path) -> list[list[dict[str, Any]]]:
    """The journal's entries, in order (each the rows of one instance computed by one run)."""
    journal = journal_of(results)
    if not journal.exists():
        return []
    if not journal.is_file():  # (a device, /dev/zero, was read without end)
        raise CabenchError(f"{journal}: not a regular file, not a journal of cabench sweep; move it away")
    entries = []
    with open(journal, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                rows = json.loads(line)["rows"]
                if isinstance(rows, list) and all(isinstance(r, dict) and set(RESUMED) <= set(r) for r in rows):
                    entries.append(rows)
            except (json.JSONDecodeError, KeyError, TypeError):
                continue  # a line cut by an interruption: that instance is simply redone
    return entries


def _merge(table: list[dict[str, Any]], journal: list[list[dict[str, Any]]]) -> dict[tuple, dict[str, Any]]:
    """All rows by :func:`row_key`: the table's, then the journal's in order, a later row
    replacing an earlier one with the same key."""
    rows: dict[tuple, dict[str, Any]] = {}
    for row in table:
        rows[row_key(row)] = row
    for entry in journal:
        for row in entry:
            rows[row_key(row)] = row
    return rows


def _true(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "1.0")


def _limit(value: Any) -> float | None:
    try:
        limit = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(limit) else limit


def _needs_row(row: dict[str, Any] | None, time_limit: float | None) -> bool:
    """Whether a wanted row must be computed (again): it is missing, or it was not proven
    within a smaller time limit than this run's. A proven row answers every time limit: proven
    values do not depend on it."""
    if row is None:
        return True
    if _true(row.get("proven")):
        return False
    before = _limit(row.get("time_limit"))
    return before is not None and (time_limit is None or time_limit > before)


LATE = ("E_SW", "E_REV", "total", "guarantee", "guarantee_benchmark", "guarantee_value", "guarantee_on", "bound",
        "achieved", "bound_over_benchmark", "verdict", "holds", "total_over_benchmark", "revenue_over_benchmark",
        "total_over_MSW", "revenue_over_MSW", "eval_seconds")
"""The columns of an evaluated mechanism's row, last and in this order whatever the first row
is (a mechanism row left unproven has ``eval_seconds`` alone: it came before ``E_SW``)."""


def _write_table(rows: list[dict[str, Any]], results: Path) -> None:
    import pandas as pd

    from cabench.summary import NUMBERS

    frame = pd.DataFrame(rows)
    frame = frame[[c for c in frame.columns if c not in LATE] + [c for c in LATE if c in frame.columns]]
    for column in frame.columns:
        # whole numbers stay whole where some rows have none (a seed unknown, MSW unproven):
        # pandas made them floats, written 0.0
        values = [row[column] for row in rows if row.get(column) is not None]
        if values and all(type(v) is int for v in values):
            if all(-2**63 <= v < 2**63 for v in values):
                frame[column] = frame[column].astype("Int64")
            elif results.suffix == ".parquet":  # (beyond 64 bits, a seed of 10^20: Parquet has no such integer)
                frame[column] = frame[column].map(lambda v: None if v is None or v != v else str(v))
        elif not values and column in NUMBERS:  # (no time limit: a column of nothing, typed as numbers)
            frame[column] = frame[column].astype("float64")
    if results.suffix == ".parquet":
        atomic_write(results, lambda tmp: frame.to_parquet(tmp, index=False))
    else:
        frame = frame.map(neutral) if hasattr(frame, "map") else frame.applymap(neutral)
        atomic_write(results, lambda tmp: frame.to_csv(tmp, index=False))


def _fault_point(name: str) -> None:
    """Fault injection for the tests: ``CABENCH_KILL_AT=name`` kills this process here,
    ``CABENCH_INTERRUPT_AT=name`` sends it Ctrl-C (SIGINT) here."""
    if os.environ.get("CABENCH_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get("CABENCH_INTERRUPT_AT") == name:
        os.kill(os.getpid(), signal.SIGINT)


def results_lock(results: Path) -> contextlib.AbstractContextManager[None]:
    """The lock that one sweep or experiment at a time holds on ``results`` (the file
    ``RESULTS.lock`` beside it, there while it is held); taken by another process, a
    ``CabenchError`` at once (``instances.files.exclusive_lock``)."""
    return exclusive_lock(results.with_name(results.name + ".lock"), str(results))


def run_sweep(files: Iterable[Path], results: Path, mechanisms: Sequence[str], *, executor: str = "local",
              workers: int = 1, scheduler: str | None = None, solver: str = "cpsat", time_limit: float | None = None,
              progress: Callable[[int, int], None] = lambda done, total: None,
              given: Mapping[str, Fraction] | None = None, notes: list[str] | None = None,
              experiment: bool = False, locked: bool = False) -> tuple[int, int, bool]:
    """Sweep ``files`` into ``results`` (see the module docstring); returns (instances computed
    now, instances already done, whether every row of these files is proven). ``given``:
    mechanism parameters, each for the mechanisms that have it (the others keep their defaults).
    ``notes``: what the caller should tell the user, such as rows dropped because their file
    changed (:func:`_changed_files`). ``experiment``: ``cabench experiment`` sweeps its own
    instances (a plain sweep refuses results holding an experiment's rows). ``locked``: the caller
    holds :func:`results_lock` (an experiment takes it before it draws its instances)."""
    from instances.files import check_output

    check_results_name(results)
    check_output(results)
    _check_replaceable(results)
    with contextlib.nullcontext() if locked else results_lock(results), _journal_kept_if_written(results):
        # a kill while the results were being replaced left its temporary file (instances.files.atomic_write);
        # the lock says no sweep writes one now
        for stale in results.parent.glob(glob.escape(f".{results.name}.") + "*.tmp"):
            stale.unlink(missing_ok=True)
        return _sweep_locked(list(files), results, mechanisms, executor, workers, scheduler, solver, time_limit,
                             progress, dict(given or {}), [] if notes is None else notes, experiment)


def _changed_files(rows: dict[tuple, dict[str, Any]], keys: Mapping[str, str]) -> list[str]:
    """Drop from ``rows`` those of an earlier version of a file this run sweeps: the same path
    (``file_absolute``, resolved when it was swept; in older results without it, ``file`` spelled
    as this run spells it) now holds other bytes, which no file of this run holds. Kept, they
    stayed beside the new version's rows, and ``table`` counted that instance twice (a renamed
    auction in an edited file). Returns the notes for the user: one per file, or one for many."""
    now = {os.path.abspath(f): key for f, key in keys.items()}
    held = set(keys.values())
    dropped: dict[str, int] = {}
    spelled = {str(f) for f in keys}
    for k, row in list(rows.items()):
        path = row.get("file_absolute")  # (resolved when swept: ``file`` is relative to a directory not recorded)
        if not isinstance(path, str) or not path:  # older results: only a path spelled as this run spells it
            path = os.path.abspath(str(row.get("file"))) if str(row.get("file")) in spelled else None
        if path in now and row.get(KEY) != now[path] and row.get(KEY) not in held:
            del rows[k]
            dropped[str(row.get("file"))] = dropped.get(str(row.get("file")), 0) + 1
    if len(dropped) > 3:  # (an experiment resumed by a newer version redraws every file: one line, not hundreds)
        first = min(dropped)
        return [f"{len(dropped)} files changed since they were swept (the first: {first}); their "
                f"{sum(dropped.values())} earlier rows replaced"]
    return [f"{path}: changed since it was swept; its {count} earlier row{'s' * (count > 1)} replaced"
            for path, count in sorted(dropped.items())]


def _not_applied(mechanisms: Sequence[str], left: Mapping[str, int], instances: int) -> list[str]:
    """The notes for mechanisms asked for that do not apply to ``left[name]`` of the
    ``instances`` (a market mechanism on auctions): one line per count and kind, so the five
    market mechanisms of ``--mechanisms all`` on auctions are one line. They wrote no row, and
    ``table`` then advised running the sweep "with --mechanisms"."""
    grouped: dict[tuple[int, str], list[str]] = {}
    for name in mechanisms:
        if name in left:
            grouped.setdefault((left[name], _kind(name)), []).append(name)
    return [f"{', '.join(names)} ({kind}) {'does' if len(names) == 1 else 'do'} not apply to {count} of the "
            f"{instances} instances, which have no row of {'it' if len(names) == 1 else 'them'}"
            for (count, kind), names in grouped.items()]


def _parameters(mechanism: str, instance: Instance, given: Mapping[str, Fraction]) -> dict[str, Fraction]:
    """The parameters of ``mechanism`` on ``instance``: those of ``given`` that it has, its
    defaults for the others (``Mechanism.parameters``, which refuses what the paper does)."""
    from mechanisms import MECHANISMS

    m = MECHANISMS[mechanism]
    return m.parameters(instance, {k: v for k, v in given.items() if k in {p.name for p in m.params}})


def _refuse_two_designs(results: Path, designs: list[tuple[str, tuple[str, object, object]]]) -> None:
    """Refuse, before anything is computed, a sweep whose results ``table`` would refuse
    (``summary.design_clash``): ``designs`` holds, for the rows already in ``results`` and for
    each file given, what it is (the results' rows of a file, or the file) and its rows' family,
    axis and design. A folder holding an experiment's instance files beside other files of their
    family was swept, and only ``table`` refused the results."""
    from cabench.summary import design_clash, design_text

    clash = design_clash(design for _, design in designs)
    if clash is not None:
        (one, (family, *first)), (other, (_, *second)) = (designs[k] for k in clash)
        raise CabenchError(f"{one} is of {design_text(*first)} and {other} of {design_text(*second)}, in one "
                           f"family ({family}): one results file holds one design per family (their table would "
                           "pool them); sweep them into separate results files")


def _record(instance: Instance, path: str | Path) -> dict[str, Any]:
    """How the instance file at ``path`` was made: its own record, or a CATS file's header's."""
    from cabench.provenance import cats_record, read_record

    return read_record(instance) or cats_record(path)


def _row_design(row: Mapping[str, Any]) -> tuple[str, object, object]:
    """A results row's family, axis and design (``summary.design_clash``)."""
    from cabench.summary import family_of

    return family_of(row.get("distribution"), row.get("source_file")), row.get("axis"), row.get("design")


def _wanted(path: str, mechanisms: Sequence[str], solver: str, given: Mapping[str, Fraction], key: str | None = None
            ) -> tuple[str, list[tuple[tuple[str, str, str, str], str]], tuple[str, object, object]]:
    """The key of ``path`` (``key`` if known), the rows this run wants of it: (row key,
    mechanism) with "" for the benchmark row, then the mechanisms that apply to the instance;
    and its rows' design (``summary.design_clash``: family, axis, design)."""
    from instances.cats import read_instance_or_cats

    key = key or instance_key(path)
    instance = read_instance_or_cats(path)
    design = _row_design(_record(instance, path))
    wanted = [((key, "", "", solver), "")]
    wanted += [((key, name, parameter_spec(name, given), solver), name) for name in mechanisms
               if _applicable(name, instance)]
    for _, name in wanted[1:]:  # a --param that this instance refuses, before anything is computed
        try:
            _parameters(name, instance, given)
        except CabenchError as exc:  # (found while computing, it ended the sweep at this file)
            raise exc if str(exc).startswith(str(path)) else CabenchError(f"{path}: {exc}") from None
    return key, wanted, design


def _sweep_locked(files: list[Path], results: Path, mechanisms: Sequence[str], executor: str, workers: int,
                  scheduler: str | None, solver: str, time_limit: float | None,
                  progress: Callable[[int, int], None], given: Mapping[str, Fraction],
                  notes: list[str], experiment: bool) -> tuple[int, int, bool]:
    from cabench.experiment import instance_folder
    from ilp.portfolio import cores as usable  # (imported here: a bad flag loads no solver and no numpy)

    rows = _merge(_read_table(results), _read_journal(results))
    if not experiment and instance_folder(results).is_dir():
        # an experiment's results (its instance files beside): rows added by a sweep could
        # never be resumed by the experiment
        for row in rows.values():
            if isinstance(row.get("axis"), str) and row.get("axis"):
                raise CabenchError(f"{results}: holds an experiment's rows (along {row['axis']}); sweep into another "
                                   "results file, or rerun the experiment to add mechanisms")
    keys = {f: instance_key(f) for f in map(str, files)}
    notes += _changed_files(rows, keys)
    seen: dict[str, list] = {}  # key -> the rows wanted of the first file with that content
    first: dict[str, str] = {}  # key -> that file
    twins: list[tuple[str, str]] = []  # (a file, the earlier file with its bytes)
    todo = []
    left: dict[str, int] = {}  # mechanism -> instances it does not apply to (a market mechanism on auctions)
    # what each row already there and each file given is, and its rows' design (``_refuse_two_designs``)
    designs = [] if experiment else [(f"{results}'s rows of {row.get('file')}", _row_design(row))
                                     for row in rows.values()]
    for f in files:
        key, wanted, design = _wanted(str(f), mechanisms, solver, given, keys.get(str(f)))
        if not experiment:
            designs.append((str(f), design))
        if key in seen:
            twins.append((str(f), first[key]))
            continue
        first[key] = str(f)
        for name in set(mechanisms) - {name for _, name in wanted}:
            left[name] = left.get(name, 0) + 1
        seen[key] = [k for k, _ in wanted]
        missing = [name for k, name in wanted if _needs_row(rows.get(k), time_limit)]
        if missing:
            todo.append((key, str(f), [name for name in missing if name]))
    _refuse_two_designs(results, designs)
    notes += _not_applied(mechanisms, left, len(seen))
    if twins:  # (left out without a word: the count said one instance fewer than the files given)
        file, earlier = twins[0]
        # the rows name the file they were computed from: this run's first, or an earlier run's
        named = next((str(row["file"]) for k, row in rows.items() if k[0] == keys[earlier] and row.get("file")),
                     earlier)
        more = f" (and {len(twins) - 1} more file{'s' * (len(twins) > 2)} like it)" if len(twins) > 1 else ""
        notes.append(f"{file} has the same bytes as {earlier}{more}: one instance, computed once, its rows "
                     f"name {named}")
    journal = journal_of(results)
    cores = usable()
    # written through its descriptor, with no buffer: a full disk raised again when a buffered
    # file was closed, and that error (no file name in it) was reported as standard output's
    with open(journal, "ab", buffering=0) as handle:
        sync_folder(results.parent)
        if not _ends_a_line(journal):
            # a line cut by a full disk or a kill: the next entry starts on a line of its own,
            # or it would be read as part of the cut one and its instance computed again
            _append(journal, handle, b"\n")

        def record(key: str, new_rows: list[dict[str, Any]], finished: int) -> None:
            _append(journal, handle, (json.dumps({"key": key, "rows": new_rows}, default=str) + "\n").encode())
            for row in new_rows:
                rows[row_key(row)] = row
            _fault_point("journal-written")
            progress(finished, len(todo))

        progress(0, len(todo))
        if executor == "dask":
            _run_dask(todo, solver, time_limit, workers, scheduler, cores, record, given)
        elif workers <= 1:
            for k, (key, f, names) in enumerate(todo, start=1):
                record(key, sweep_one(f, names, solver, time_limit, None, given), k)
        else:
            from ilp.batch import worker_pool

            pool = worker_pool(workers)
            try:
                # each worker races on its share of the cores: workers x racers <= the cores
                futures = {pool.submit(sweep_one, f, names, solver, time_limit, max(1, cores // workers), given): key
                           for key, f, names in todo}
                for k, future in enumerate(as_completed(futures), start=1):
                    record(futures[future], future.result(), k)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)  # an interruption: do not wait for the workers
                raise
            pool.shutdown()
    table = sorted(rows.values(), key=lambda r: (str(r["file"]), *row_key(r)[1:]))
    try:
        _write_table(table, results)
    except OSError as exc:
        raise CabenchError(f"{exc.filename or results}: cannot write: {exc.strerror or exc}; every instance "
                           f"computed is kept in {journal}: rerun the same command to write the results") from None
    _fault_point("results-replaced")
    journal.unlink(missing_ok=True)
    proven = all(_true(rows[k].get("proven")) for wanted in seen.values() for k in wanted if k in rows)
    return len(todo), len(seen) - len(todo), proven


def _append(journal: Path, handle, data: bytes) -> None:
    """Append ``data`` to the journal, open unbuffered as ``handle``, and flush it to disk; a
    failure (a full disk) names the journal and what it keeps."""
    try:
        view = memoryview(data)
        while view:  # (an unbuffered write may take part of the bytes)
            view = view[handle.write(view):]
        os.fsync(handle.fileno())
    except OSError as exc:
        raise CabenchError(f"{journal}: cannot write: {exc.strerror or exc}; the instances it holds are kept: "
                           "rerun the same command to go on") from None


def _ends_a_line(path: Path) -> bool:
    """Whether the file at ``path`` is empty or ends with a newline."""
    with open(path, "rb") as handle:
        if not handle.seek(0, os.SEEK_END):
            return True
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def _check_replaceable(results: Path) -> None:
    """Refuse, before any computing, results that exist but cannot be replaced because of a file
    attribute (``chattr +i`` or ``+a``: EPERM), which the folder's check does not see: all the
    instances were computed before the write failed. (A read-only mode is no obstacle: the
    results are replaced by a rename in the folder.)"""
    try:
        with open(results, "r+b"):
            pass
    except FileNotFoundError:
        return
    except PermissionError as exc:
        if exc.errno == errno.EPERM:
            raise CabenchError(f"{results}: cannot be replaced ({exc.strerror}: a file attribute such as "
                               "immutable); choose another -o") from None


@contextlib.contextmanager
def _journal_kept_if_written(results: Path) -> Iterator[None]:
    """Within the block the journal of ``results`` may be created; if the block fails before any
    instance is recorded, the journal is removed again (empty, it holds nothing to resume)."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(OSError):
            if journal_of(results).stat().st_size == 0:
                journal_of(results).unlink()
        raise


CONNECT_SECONDS = 25
"""How long ``--executor dask`` waits for its scheduler (or the local cluster) to answer: with
cabench's start, one line and exit 2 within 30 s (the README's promise)."""


def _run_dask(todo, solver: str, time_limit: float | None, workers: int, scheduler: str | None, cores: int,
              record, given: Mapping[str, Fraction]) -> None:
    """Compute ``todo`` on a Dask cluster: the one at ``scheduler`` (its security settings come
    from Dask's configuration, see the README), or a private local one: listening on this
    machine only, with temporary TLS credentials (no other user can submit work to it), no
    dashboard, and its scratch space in a private temporary folder."""
    import dask
    from dask.distributed import Client, LocalCluster
    from dask.distributed import as_completed as dask_completed
    from distributed.deploy.spec import SpecCluster

    from ilp import lifetime
    from ilp.lifetime import Interrupted

    cluster = client = None
    quiet: list[tuple[logging.Logger, int]] = []  # each logger and its level before, while the cluster closes
    clusters_before = set(SpecCluster._instances)
    # the scheduler's scratch space too (Dask's "temporary-directory", else /tmp/dask-scratch-space,
    # left behind with its lock files): removed with the folder at the end; named for this
    # process, within the command's own folder if any, so that the next cabench process removes
    # it after a SIGKILL, or a SIGTERM of a Python process (ilp.lifetime.private_folder)
    with lifetime.private_folder("dask") as scratch, \
            dask.config.set({"temporary-directory": scratch}):
        try:  # (from the cluster's start: a stop while it starts is a stop too)
            if scheduler is None:
                with _deaf_children(), _workers_say_nothing():
                    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                           host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                           scheduler_kwargs={"dashboard": False}, security=True,
                                           local_directory=scratch)
            else:
                _check_scheduler(scheduler)
            try:
                client = Client(scheduler or cluster, timeout=CONNECT_SECONDS)
            except (OSError, ValueError, TypeError) as exc:  # no scheduler there, or not an address
                if scheduler is not None:
                    raise CabenchError(_no_scheduler(scheduler, str(exc))) from None
                raise CabenchError(f"--executor dask: the local Dask cluster did not answer ({exc})") from None
            share = max(1, cores // workers) if scheduler is None else None
            futures = {client.submit(sweep_one, f, names, solver, time_limit, share, given, pure=False): key
                       for key, f, names in todo}
            for k, future in enumerate(dask_completed(list(futures)), start=1):
                record(futures[future], future.result(), k)
        except BaseException as exc:
            # stopped (Ctrl-C, or an error): the workers are stopped at once (``ilp.lifetime``), and
            # what the closing scheduler then logs about their connections cut short is no news
            # to the user (34 lines of tornado and distributed tracebacks under the one-line message)
            quiet = _quiet_dask_logs()
            if isinstance(exc, Interrupted):
                # the command line's stop: the process ends, Dask keeps quiet to its end, when it
                # still logs (a cluster stopped while starting cleans a scratch folder already
                # removed), and does not close at exit a cluster stopped while starting (its
                # workers are killed: closing it printed an AssertionError traceback)
                quiet = []
                for started in set(SpecCluster._instances) - clusters_before:
                    started.shutdown_on_close = False
            raise
        finally:
            try:
                if client is not None:
                    client.close()
                if cluster is not None:
                    cluster.close()
            except Interrupted:  # stopped while closing (all computed): quiet to the end too
                _quiet_dask_logs()
                quiet = []
                raise
            finally:
                for logger, level in quiet:
                    logger.setLevel(level)


@contextlib.contextmanager
def _workers_say_nothing() -> Iterator[None]:
    """Within the block, this process's standard error is ``/dev/null``: the local cluster's
    worker processes, started within it, keep that as theirs for the whole run (a worker the
    cluster restarts later has this process's again). A Ctrl-C reaches the whole process group,
    and a worker still importing printed a ``KeyboardInterrupt`` traceback under the command's
    line (``_deaf_children`` cannot hold SIGINT back: see there). What they say otherwise is
    Dask's logging (memory warnings among it), and their errors come back with their results.
    Nothing is redirected when standard error is closed, or is not file descriptor 2."""
    if sys.stderr is None or _descriptor(sys.stderr) != 2:
        yield
        return
    from cabench.cli_common import forced_cleanups  # (the command line's; a fresh list elsewhere)

    sys.stderr.flush()
    kept = os.dup(2)

    def restore() -> None:
        os.dup2(kept, 2)

    forced = forced_cleanups()  # a forced end says its line where standard error was
    forced.append(restore)
    try:
        with open(os.devnull, "w") as nothing:
            os.dup2(nothing.fileno(), 2)
        yield
    finally:
        forced.remove(restore)
        restore()
        os.close(kept)


def _descriptor(stream) -> int | None:
    """The file descriptor of ``stream``, None if it has none."""
    try:
        return stream.fileno()
    except (OSError, ValueError):  # (io.UnsupportedOperation is both)
        return None


@contextlib.contextmanager
def _deaf_children() -> Iterator[None]:
    """Within the block, the threads and processes started (the local cluster's workers, and the
    threads that start them) block the terminal's stop signals, a mask they inherit: SIGHUP
    reaches the whole process group, and a worker that saw it logged its own cancelled task
    under the command's line. This process stops them (``ilp.lifetime`` kills them). SIGINT
    does not stay blocked: multiprocessing starts its resource tracker from the thread that
    starts the first worker, and unblocks SIGINT and SIGTERM there once it has (for Ctrl-C, see
    ``_workers_say_nothing``)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    stops = {signal.SIGINT, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, stops)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _quiet_dask_logs() -> list[tuple[logging.Logger, int]]:
    """Silence Dask's, tornado's and asyncio's loggers (some have levels of their own, such as
    ``tornado.application``; asyncio's says "Task exception was never retrieved" of the cluster's
    tasks cut short); returns each with its level before, to restore."""
    # (a copy made at once: the cluster's threads may add loggers meanwhile)
    names = [n for n in list(logging.root.manager.loggerDict)
             if n.split(".")[0] in ("tornado", "distributed", "asyncio")]
    before = [(logging.getLogger(n), logging.getLogger(n).level) for n in names]
    for logger, _ in before:
        logger.setLevel(logging.CRITICAL + 1)
    return before


def _refused(address: str, seconds: float) -> None:
    """Raise :class:`CabenchError` at once when nothing listens at a TCP (or TLS) ``address``:
    Dask's connect retries a refused connection until its timeout (a mistyped port took 25 s
    to say so). Other addresses, and one that accepts, are left to the handshake."""
    import socket

    from distributed.comm.addressing import normalize_address, parse_address, parse_host_port

    try:
        scheme, location = parse_address(normalize_address(address))
        host, port = parse_host_port(location) if scheme in ("tcp", "tls") else (None, None)
    except (ValueError, TypeError):
        return  # (the handshake says what is wrong with the address)
    if host is None:
        return
    try:
        socket.create_connection((host, port), timeout=seconds).close()
    except ConnectionRefusedError:
        raise CabenchError(_no_scheduler(address, "connection refused")) from None
    except TimeoutError:  # (before OSError, its base)
        raise CabenchError(_no_scheduler(address, f"no answer within {seconds:g} s")) from None
    except OSError:
        return  # (unreachable, unknown host: the handshake says so)


def _no_scheduler(address: str, why: str) -> str:
    return f"cannot connect to a Dask scheduler at {address} (--scheduler): {why or 'no answer'}"


def _check_scheduler(address: str, seconds: float | None = None) -> None:
    """Raise :class:`CabenchError` unless a Dask scheduler at ``address`` answers Dask's handshake
    within ``seconds`` (:data:`CONNECT_SECONDS`). ``Client(timeout=...)`` bounds the connection
    but not the handshake: a server that accepts and never answers (an HTTP server) hung it for
    good, and one that answers something else (an SSH banner, read as a frame's length) made it
    allocate exabytes (MemoryError); other bytes fail in other ways (struct.error)."""
    import asyncio

    from distributed.comm import connect
    from distributed.security import Security

    seconds = CONNECT_SECONDS if seconds is None else seconds
    _refused(address, seconds)

    async def handshake() -> None:
        comm = await connect(address, timeout=seconds, **Security().get_connection_args("client"))
        await comm.close()

    try:
        asyncio.run(asyncio.wait_for(handshake(), seconds))
    except TimeoutError:  # (before OSError, its base): its message is empty
        raise CabenchError(_no_scheduler(address, f"no answer within {seconds:g} s")) from None
    except (OSError, ValueError, TypeError) as exc:  # refused, not an address, TLS not configured
        raise CabenchError(_no_scheduler(address, str(exc))) from None
    except Exception:  # only the handshake is in the block: MemoryError, struct.error, ...
        raise CabenchError(_no_scheduler(address, "what answered does not speak Dask's protocol")) from None
