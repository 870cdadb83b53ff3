"""``cabench sweep``: the benchmark table and mechanism evaluations of many instances, on a local
process pool or a Dask cluster, resumable, into one CSV or Parquet file that pandas reads.

Every finished instance is appended at once to a journal next to the results
(``RESULTS.journal.jsonl``), so an interrupted sweep loses nothing already finished; the next
run skips every instance found in the results or the journal, and at the end the results file
is rewritten (atomically) with all rows and the journal removed.
"""

from __future__ import annotations

import glob
import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from instances import CabenchError
from instances.units import decimal


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


def sweep_one(path: str, mechanisms: Sequence[str], solver: str, time_limit: float | None) -> list[dict[str, Any]]:
    """The rows of one instance: the benchmark table, then one row per applicable mechanism."""
    from benchmarks import compute_report
    from benchmarks.table import report_programs
    from ilp import prefetch
    from instances import load_instance

    instance = load_instance(path)
    start = time.perf_counter()
    # the sweep runs instances in parallel already: each table in one process; the mechanisms'
    # strategies then reuse the table's solutions (MIEW_i, RK_A) instead of solving them again
    with prefetch(report_programs(instance), solver, time_limit, jobs=1):
        report = compute_report(instance, solver=solver, time_limit=time_limit, jobs=1)
        solve_seconds = time.perf_counter() - start
        return _rows(path, instance, report, solve_seconds, mechanisms, solver, time_limit)


def _rows(path: str, instance, report, solve_seconds: float, mechanisms: Sequence[str], solver: str,
          time_limit: float | None) -> list[dict[str, Any]]:
    from mechanisms import MECHANISMS, Facts, evaluate

    scale = instance.scale

    def money(value: int | None) -> int | float | None:
        """A benchmark in the file's units: the integer itself at scale 1, else the decimal as a
        float, which prints back as the same decimal (at most 15 significant digits)."""
        return value if value is None or scale == 1 else float(decimal(value, scale))

    base = {
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
    }
    rows = [{**base, "mechanism": ""}]
    facts = Facts(instance, solver, time_limit)
    for name in mechanisms:
        m = MECHANISMS[name]
        if m.market != instance.is_market or instance.n < m.min_players:
            continue
        start = time.perf_counter()
        params = m.parameters(instance)
        ev = evaluate(m, instance, params, m.rational(instance, params, facts), facts)
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
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, keep_default_na=False)
    return frame.to_dict("records")


def _journal(results: Path) -> Path:
    return results.with_name(results.name + ".journal.jsonl")


def _read_journal(results: Path) -> list[dict[str, Any]]:
    journal = _journal(results)
    if not journal.exists():
        return []
    rows = []
    for line in journal.read_text().splitlines():
        if line.strip():
            try:
                rows.extend(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut by an interruption: that instance is simply redone
    return rows


def _write_table(rows: list[dict[str, Any]], results: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame(rows)
    tmp = results.with_name(results.name + ".tmp")
    if results.suffix == ".parquet":
        frame.to_parquet(tmp, index=False)
    else:
        frame.to_csv(tmp, index=False)
    os.replace(tmp, results)


def run_sweep(files: Iterable[Path], results: Path, mechanisms: Sequence[str], *, executor: str = "local",
              workers: int = 1, scheduler: str | None = None, solver: str = "cpsat", time_limit: float | None = None,
              progress: Callable[[int, int], None] = lambda done, total: None) -> tuple[int, int]:
    """Sweep ``files`` into ``results``; returns (instances computed now, instances skipped)."""
    if results.suffix not in (".csv", ".parquet"):
        raise CabenchError(f"{results}: the results file must end in .csv or .parquet")
    results.parent.mkdir(parents=True, exist_ok=True)
    rows = _read_table(results) + _read_journal(results)
    done = {str(r["file"]) for r in rows}
    todo = [str(f) for f in files if str(f) not in done]
    skipped = len({str(f) for f in files}) - len(todo)
    journal = _journal(results)
    with open(journal, "a", encoding="utf-8") as handle:
        def record(new_rows: list[dict[str, Any]], finished: int) -> None:
            handle.write(json.dumps(new_rows) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
            rows.extend(new_rows)
            progress(finished, len(todo))

        if executor == "dask":
            from dask.distributed import Client, LocalCluster
            from dask.distributed import as_completed as dask_completed

            cluster = None if scheduler else LocalCluster(n_workers=workers, threads_per_worker=1, processes=True)
            client = Client(scheduler or cluster)
            try:
                futures = [client.submit(sweep_one, f, list(mechanisms), solver, time_limit, pure=False) for f in todo]
                for k, future in enumerate(dask_completed(futures), start=1):
                    record(future.result(), k)
            finally:
                client.close()
                if cluster is not None:
                    cluster.close()
        elif workers <= 1:
            for k, f in enumerate(todo, start=1):
                record(sweep_one(f, mechanisms, solver, time_limit), k)
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = [pool.submit(sweep_one, f, list(mechanisms), solver, time_limit) for f in todo]
                for k, future in enumerate(as_completed(futures), start=1):
                    record(future.result(), k)
    rows.sort(key=lambda r: (str(r["file"]), str(r.get("mechanism") or "")))
    _write_table(rows, results)
    journal.unlink(missing_ok=True)
    return len(todo), skipped
