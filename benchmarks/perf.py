"""The performance suite behind ``cabench perf``: solve the benchmark table of generated
instances with every backend and with a naive baseline, in one run, and report ratios.

The table is MSW, every MIEW_i, every MIKW_i and MKW_A of every agent. The naive baseline builds
one PuLP model per benchmark from scratch (a binary per (player, bid), one "at most one" row per
good and per player, no fast paths, no shortcuts) and solves them one after another with CBC.
Timings are wall-clock seconds on this machine; ratios compare measurements of the same run.
"""

from __future__ import annotations

import csv
import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.table import table_programs
from ilp import Program, solve
from instances.generate import generate_instance

SUITES = {
    # (distribution, goods, bids, players)
    "quick": [("regions", 16, 60, 4), ("paths", 16, 60, 4), ("arbitrary", 16, 60, 4), ("scheduling", 16, 60, 4),
              ("uniform", 16, 60, 4)],
    "standard": [("regions", 32, 200, 6), ("paths", 32, 200, 6), ("arbitrary", 32, 200, 6),
                 ("scheduling", 32, 200, 6), ("uniform", 32, 200, 6), ("regions", 64, 500, 10),
                 ("paths", 64, 500, 10), ("arbitrary", 64, 500, 10)],
    "full": [("regions", 256, 2000, 10), ("paths", 256, 2000, 10), ("arbitrary", 64, 1000, 10),
             ("scheduling", 128, 1000, 10), ("uniform", 128, 1000, 10)],
}


def naive_solve(program: Program, time_limit: float | None) -> tuple[bool, int | None]:
    """The baseline: a fresh PuLP/CBC model straight from the bids. Every weight of the generated
    suite is a maximum of XOR valuations (a true valuation, a lower bound, or a coalition's pooled
    bounds), which is the XOR valuation of all their bids."""
    import pulp

    from ilp.cbc import _command

    problem = pulp.LpProblem("naive", pulp.LpMaximize)
    objective = []
    by_good: dict[int, list] = {}
    for j, weight in enumerate(program.weights):
        if weight is None or not weight.options:
            continue
        bids = []
        for option in weight.options:
            (valuation,) = option  # one valuation per option: lower bounds, not candidates
            bids += valuation.bids
        chosen = []
        for a, (bundle, value) in enumerate(bids):
            x = problem.add_variable(f"x_{j}_{a}", 0, 1, cat=pulp.LpBinary)
            chosen.append(x)
            objective.append(value * x)
            for g in range(program.n_goods):
                if bundle >> g & 1:
                    by_good.setdefault(g, []).append(x)
        if chosen:
            problem += pulp.lpSum(chosen) <= 1
    for xs in by_good.values():
        problem += pulp.lpSum(xs) <= 1
    problem += pulp.lpSum(objective)
    options = {"msg": False}
    if time_limit is not None:
        options["timeLimit"] = time_limit
    problem.solve(_command(**options))
    proven = problem.sol_status == pulp.LpSolutionOptimal
    return proven, round(pulp.value(problem.objective) or 0) if proven else None


@dataclass(frozen=True)
class Row:
    instance: str
    distribution: str
    goods: int
    bids: int
    players: int
    seed: int
    method: str
    programs: int
    proven: int
    seconds: float
    fastest_single_sum: float | None = None


def _timed(solve_one: Callable[[Program], bool], programs: Sequence[tuple[str, Program]]) -> tuple[int, float, list[float]]:
    proven, times = 0, []
    for _, program in programs:
        start = time.perf_counter()
        proven += bool(solve_one(program))
        times.append(time.perf_counter() - start)
    return proven, sum(times), times


def run_suite(suite: str, seeds: int, backends: Sequence[str], default: str, time_limit: float | None,
              progress: Callable[[str], None] = lambda text: None,
              checkpoint: Callable[[list[Row]], None] = lambda rows: None) -> list[Row]:
    """Measure every instance of ``suite`` (``seeds`` seeds each) with the default backend, each
    single backend and the naive baseline; ``checkpoint`` receives the rows after each instance."""
    rows: list[Row] = []
    for distribution, goods, bids, players in SUITES[suite]:
        for seed in range(seeds):
            instance = generate_instance(distribution, goods, bids, players, seed, knowledge="exact")
            programs = table_programs(instance)
            base = dict(instance=instance.name, distribution=distribution, goods=goods, bids=bids,
                        players=players, seed=seed)
            measured: dict[str, tuple[int, float, list[float]]] = {}
            for backend in dict.fromkeys([default, *backends]):
                progress(f"{instance.name}: {backend}")
                measured[backend] = _timed(lambda p: solve(p, backend, time_limit).optimal, programs)
            singles = [b for b in measured if b != "portfolio"]
            fastest = sum(min(measured[b][2][k] for b in singles) for k in range(len(programs))) if singles else None
            for backend, (proven, total, _) in measured.items():
                rows.append(Row(**base, method=backend, programs=len(programs), proven=proven, seconds=total,
                                fastest_single_sum=fastest))
            progress(f"{instance.name}: naive baseline")
            proven, total, _ = _timed(lambda p: naive_solve(p, time_limit)[0], programs)
            rows.append(Row(**base, method="naive-pulp-cbc", programs=len(programs), proven=proven, seconds=total,
                            fastest_single_sum=fastest))
            checkpoint(rows)
    return rows


def summary(rows: Sequence[Row], default: str, cores: int) -> list[dict]:
    """Per suite entry (distribution, goods, bids, players): median seconds per method and the
    ratios the issue asks for: naive / default, and default / (fastest single sum / cores)."""
    groups: dict[tuple, list[Row]] = {}
    for row in rows:
        groups.setdefault((row.distribution, row.goods, row.bids, row.players), []).append(row)
    out = []
    for key, members in groups.items():
        methods: dict[str, list[float]] = {}
        for row in members:
            methods.setdefault(row.method, []).append(row.seconds)
        medians = {m: statistics.median(v) for m, v in methods.items()}
        fastest = [r.fastest_single_sum for r in members if r.method == default and r.fastest_single_sum]
        entry = {"distribution": key[0], "goods": key[1], "bids": key[2], "players": key[3],
                 "median_seconds": medians,
                 "all_proven": all(r.proven == r.programs for r in members if r.method != "naive-pulp-cbc")}
        if default in medians and "naive-pulp-cbc" in medians and medians[default] > 0:
            entry["naive_over_default"] = medians["naive-pulp-cbc"] / medians[default]
        if fastest and medians.get(default):
            entry["default_over_ideal"] = medians[default] / (statistics.median(fastest) / cores)
        out.append(entry)
    return out


def write_rows(rows: Sequence[Row], folder: Path) -> None:
    """perf-rows.csv: one row per instance and method (rewritten after each instance)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "perf-rows.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(asdict(rows[0])))
        writer.writeheader()
        writer.writerows(asdict(r) for r in rows)


def write_results(rows: Sequence[Row], table: list[dict], folder: Path) -> None:
    write_rows(rows, folder)
    (folder / "perf-summary.json").write_text(json.dumps(table, indent=2) + "\n")


