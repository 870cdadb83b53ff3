"""``cabench sweep``: the benchmark table and mechanism evaluations of many instances, on a local
process pool or a Dask cluster, resumable, into one CSV or Parquet file that pandas reads.

What survives a fault, and why:

* **Rows are keyed by what they are**: ``instance_sha256`` (the SHA-256 of the instance file's
  bytes) and ``mechanism``. A resumed sweep skips every instance whose rows are present, however
  its path is spelled; identical files count once.
* **Every finished instance is committed at once** to a journal next to the results
  (``RESULTS.journal.jsonl``, one line per instance, flushed to disk), so a kill loses at most
  the instances being computed. At the end the results file is rewritten atomically (an
  exclusive temporary file in the same folder, flushed, renamed) and the journal removed. A
  journal line replaces all rows of its instance, so replaying it after a kill between the
  rename and the removal changes nothing: no row is ever lost or duplicated.
* **One sweep per results file**: an exclusive lock (``RESULTS.lock``) makes a second sweep into
  the same file stop at once with a clear message.
* **Unproven rows are recomputed**: an instance whose table was not proven within
  ``--time-limit`` is recorded with ``proven`` false (the sweep exits with status 3), and a later
  run with a larger limit (or none) computes it again; so is an instance that lacks a requested
  mechanism.
"""

from __future__ import annotations

import glob
import hashlib
import json
import math
import os
import signal
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import as_completed
from pathlib import Path
from typing import Any

from instances import CabenchError
from instances.files import atomic_write, exclusive_lock, read_input, sync_folder
from instances.units import decimal

KEY = "instance_sha256"
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""CSV cells starting with these are formulas in spreadsheets; they get a leading apostrophe
(as OWASP advises and common CSV writers do), unless the cell is a number."""


def instance_files(pattern: str) -> list[Path]:
    """A directory (all its ``*.json``), a file, or a glob pattern; sorted."""
    path = Path(pattern)
    if path.is_dir():
        files = sorted(path.glob("*.json"))
    elif path.is_file():
        files = [path]
    else:
        files = sorted(Path(p) for p in glob.glob(pattern))
    if not files:
        raise CabenchError(f"{pattern}: no instance files (expected a directory, a file or a glob of .json files)")
    return files


def _distribution(name: str) -> str:
    return name.split("-m")[0] if "-m" in name else "file"


def instance_key(path: str | Path) -> str:
    """The key of an instance's rows: the SHA-256 of its file's bytes."""
    return hashlib.sha256(read_input(path).encode("utf-8")).hexdigest()


def sweep_one(path: str, mechanisms: Sequence[str], solver: str, time_limit: float | None,
              cores: int | None = None) -> list[dict[str, Any]]:
    """The rows of one instance: the benchmark table, then one row per applicable mechanism.
    ``cores``: the cores this process may use (a worker's share of the machine), which bounds
    the portfolio's race."""
    if cores is not None:
        os.environ["CABENCH_CORES"] = str(cores)
    from benchmarks import compute_report
    from benchmarks.table import report_programs
    from ilp import SolveOptions, prefetch
    from instances import load_instance

    instance = load_instance(path)
    start = time.perf_counter()
    # the sweep runs instances in parallel already: each table in one process; the mechanisms'
    # strategies then reuse the table's solutions (MIEW_i, RK_A) instead of solving them again
    options = prefetch(report_programs(instance), SolveOptions(solver, time_limit, jobs=1))
    report = compute_report(instance, options)
    solve_seconds = time.perf_counter() - start
    return _rows(path, instance, report, solve_seconds, mechanisms, options)


def _rows(path: str, instance, report, solve_seconds: float, mechanisms: Sequence[str], options) -> list[dict[str, Any]]:
    from benchmarks.results import NotProvenError
    from mechanisms import MECHANISMS, Facts, evaluate

    scale = instance.scale

    def money(value: int | None) -> int | float | None:
        """A benchmark in the file's units: the integer itself at scale 1, else the decimal as a
        float, which prints back as the same decimal (at most 15 significant digits)."""
        return value if value is None or scale == 1 else float(decimal(value, scale))

    base = {
        KEY: instance_key(path),
        "file": str(path),
        "instance": instance.name,
        "distribution": _distribution(instance.name),
        "goods": instance.m,
        "players": instance.n,
        "bids": sum(len(v.bids) for v in instance.valuations),
        "coalitions": len(instance.coalitions),
        "colluders": sum(len(c) for c in instance.coalitions),
        "market": instance.is_market,
        "proven": report.all_proven,
        "scale": scale,
        "MSW": money(report.msw.value),
        "MIEW": money(report.miew.value),
        "BB": money(report.bb.value),
        "BB_prime": money(report.bb_prime.value),
        "MKW": money(report.mkw.value),
        "solve_seconds": solve_seconds,
        "solver": options.backend,
        "time_limit": options.time_limit,
    }
    rows = [{**base, "mechanism": "", "evaluated": ",".join(mechanisms)}]
    facts = Facts(instance, options)
    for name in mechanisms:
        m = MECHANISMS[name]
        if m.market != instance.is_market or instance.n < m.min_players:
            continue
        start = time.perf_counter()
        params = m.parameters(instance)
        try:
            ev = evaluate(m, instance, params, m.rational(instance, params, facts), facts)
        except NotProvenError:
            rows.append({**base, "mechanism": name, "proven": False, "eval_seconds": time.perf_counter() - start})
            continue
        g = ev.guarantee
        rows.append({
            **base,
            "mechanism": name,
            "E_SW": float(ev.sw / scale),
            "E_REV": float(ev.rev / scale),
            "total": float(ev.total / scale),
            "guarantee_benchmark": g.benchmark if g else "",
            "guarantee_value": money(g.benchmark_value) if g else None,
            "bound": float(g.bound / scale) if g else None,
            "holds": g.holds if g else None,
            "total_over_benchmark": float(ev.total / g.benchmark_value) if g and g.benchmark_value else None,
            "revenue_over_benchmark": float(ev.rev / g.benchmark_value) if g and g.benchmark_value else None,
            "eval_seconds": time.perf_counter() - start,
        })
    return rows


def _read_table(path: Path) -> list[dict[str, Any]]:
    import pandas as pd

    if not path.exists():
        return []
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:  # every cell as its text: written back unchanged
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:  # pandas and pyarrow raise many kinds
        raise CabenchError(f"{path}: cannot read these results ({type(exc).__name__}); "
                           "move the file away or choose another -o") from None
    if len(frame) and KEY not in frame:
        raise CabenchError(f"{path}: results without the {KEY} column (written by an older cabench); "
                           "move the file away or choose another -o")
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in frame.to_dict("records")]


def _journal(results: Path) -> Path:
    return results.with_name(results.name + ".journal.jsonl")


def _read_journal(results: Path) -> dict[str, list[dict[str, Any]]]:
    """The journal's instances, by key (a later line replaces an earlier one)."""
    journal = _journal(results)
    if not journal.exists():
        return {}
    groups: dict[str, list[dict[str, Any]]] = {}
    with open(journal, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
                groups[entry["key"]] = entry["rows"]
            except (json.JSONDecodeError, KeyError, TypeError):
                continue  # a line cut by an interruption: that instance is simply redone
    return groups


def _merge(table: list[dict[str, Any]], journal: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """All rows by instance key: the table's, each instance of the journal replacing its rows;
    within an instance, one row per mechanism."""
    groups: dict[str, dict[str, dict[str, Any]]] = {}
    for row in table:
        groups.setdefault(str(row[KEY]), {})[str(row.get("mechanism") or "")] = row
    for key, rows in journal.items():
        groups[key] = {str(r.get("mechanism") or ""): r for r in rows}
    return {key: list(rows.values()) for key, rows in groups.items()}


def _true(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "1.0")


def _limit(value: Any) -> float | None:
    try:
        limit = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(limit) else limit


def _needs_work(rows: list[dict[str, Any]] | None, mechanisms: Sequence[str], time_limit: float | None) -> bool:
    """Whether an instance with these rows must be computed (again) for this run."""
    if not rows:
        return True
    base = [r for r in rows if not r.get("mechanism")]
    if not base:
        return True
    evaluated = set(filter(None, str(base[0].get("evaluated") or "").split(",")))
    if not set(mechanisms) <= evaluated:
        return True
    if all(_true(r.get("proven")) for r in rows):
        return False
    before = _limit(base[0].get("time_limit"))
    return before is not None and (time_limit is None or time_limit > before)


def _neutral(value: Any) -> Any:
    """A CSV cell that a spreadsheet will not read as a formula."""
    if not isinstance(value, str) or not value.startswith(CSV_FORMULA_START):
        return value
    try:
        float(value)
        return value  # a negative number, not a formula
    except ValueError:
        return "'" + value


def _write_table(rows: list[dict[str, Any]], results: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame(rows)
    if results.suffix == ".parquet":
        atomic_write(results, lambda tmp: frame.to_parquet(tmp, index=False))
    else:
        frame = frame.map(_neutral) if hasattr(frame, "map") else frame.applymap(_neutral)
        atomic_write(results, lambda tmp: frame.to_csv(tmp, index=False))


def _fault_point(name: str) -> None:
    """Fault injection for the tests: ``CABENCH_KILL_AT=name`` kills this process here."""
    if os.environ.get("CABENCH_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def run_sweep(files: Iterable[Path], results: Path, mechanisms: Sequence[str], *, executor: str = "local",
              workers: int = 1, scheduler: str | None = None, solver: str = "cpsat", time_limit: float | None = None,
              progress: Callable[[int, int], None] = lambda done, total: None) -> tuple[int, int, bool]:
    """Sweep ``files`` into ``results`` (see the module docstring); returns (instances computed
    now, instances already done, whether every row of these files is proven)."""
    from instances.files import check_output

    if results.suffix not in (".csv", ".parquet"):
        raise CabenchError(f"{results}: the results file must end in .csv or .parquet")
    check_output(results)
    with exclusive_lock(results.with_name(results.name + ".lock"), str(results)):
        return _sweep_locked(list(files), results, mechanisms, executor, workers, scheduler, solver, time_limit,
                             progress)


def _sweep_locked(files: list[Path], results: Path, mechanisms: Sequence[str], executor: str, workers: int,
                  scheduler: str | None, solver: str, time_limit: float | None,
                  progress: Callable[[int, int], None]) -> tuple[int, int, bool]:
    groups = _merge(_read_table(results), _read_journal(results))
    keys: dict[str, str] = {}  # key -> the first file with that content
    for f in files:
        keys.setdefault(instance_key(f), str(f))
    todo = []
    for key, f in keys.items():
        rows = groups.get(key)
        if _needs_work(rows, mechanisms, time_limit):
            base = [r for r in rows or () if not r.get("mechanism")]
            before = set(filter(None, str(base[0].get("evaluated") or "").split(","))) if base else set()
            todo.append((key, f, sorted(set(mechanisms) | before)))
    journal = _journal(results)
    cores = os.cpu_count() or 1
    with open(journal, "a", encoding="utf-8") as handle:
        sync_folder(results.parent)

        def record(key: str, new_rows: list[dict[str, Any]], finished: int) -> None:
            handle.write(json.dumps({"key": key, "rows": new_rows}, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
            groups[key] = new_rows
            _fault_point("journal-written")
            progress(finished, len(todo))

        if executor == "dask":
            _run_dask(todo, solver, time_limit, workers, scheduler, cores, record)
        elif workers <= 1:
            for k, (key, f, names) in enumerate(todo, start=1):
                record(key, sweep_one(f, names, solver, time_limit), k)
        else:
            from ilp.batch import worker_pool

            pool = worker_pool(workers)
            try:
                futures = {pool.submit(sweep_one, f, names, solver, time_limit, max(1, cores // workers)): key
                           for key, f, names in todo}
                for k, future in enumerate(as_completed(futures), start=1):
                    record(futures[future], future.result(), k)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)  # an interruption: do not wait for the workers
                raise
            pool.shutdown()
    rows = [r for group in groups.values() for r in group]
    rows.sort(key=lambda r: (str(r["file"]), str(r.get("mechanism") or "")))
    _write_table(rows, results)
    _fault_point("results-replaced")
    journal.unlink(missing_ok=True)
    proven = all(_true(r.get("proven")) for key in keys for r in groups.get(key, ()))
    return len(todo), len(keys) - len(todo), proven


def _run_dask(todo, solver: str, time_limit: float | None, workers: int, scheduler: str | None, cores: int,
              record) -> None:
    """Compute ``todo`` on a Dask cluster: the one at ``scheduler`` (its security settings come
    from Dask's configuration, see the README), or a private local one: listening on this
    machine only, with temporary TLS credentials (no other user can submit work to it), no
    dashboard, and its scratch space in a private temporary folder."""
    import tempfile

    from dask.distributed import Client, LocalCluster
    from dask.distributed import as_completed as dask_completed

    cluster = None
    with tempfile.TemporaryDirectory(prefix="cabench-dask-") as scratch:
        if scheduler is None:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False},
                                   security=True, local_directory=scratch)
        client = Client(scheduler or cluster)
        try:
            share = max(1, cores // workers) if scheduler is None else None
            futures = {client.submit(sweep_one, f, names, solver, time_limit, share, pure=False): key
                       for key, f, names in todo}
            for k, future in enumerate(dask_completed(list(futures)), start=1):
                record(futures[future], future.result(), k)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
