"""The performance suite behind ``cabench perf``: solve the benchmark table of generated
instances with cabench, with every single backend and with a naive baseline, in one run, and
report ratios.

The table is MSW, every MIEW_i, every MIKW_i and MKW_A of every agent (``benchmarks.table``).
The measurements, all wall-clock seconds on this machine, in the same run:

* ``report:<backend>``: the whole ``cabench benchmarks`` report (``compute_report``), and next to
  it the ideal: each distinct program it must solve (:func:`needed_programs`: MSW, MSW_{-i} of
  each winner, each distinct knowledge program) solved once, plus MSW's lexicographic tie-break
  (:func:`tie_break_seconds`), each by the fastest single backend that proved it, summed and
  divided by the cores;
* ``cabench:<backend>``: ``ilp.solve_batch`` on the table
  (duplicates once, the player-removal shortcut, warm starts, programs in parallel processes),
  and next to it its ideal: each distinct program of the table once by the fastest single
  backend that proved it, summed and divided by the cores (:func:`fastest_sum`);
* each single backend, program by program in this process, no batch savings;
* ``naive-pulp-cbc``: one PuLP model per benchmark built from scratch (a binary per (player,
  bid), one "at most one" row per good and per player, no fast paths, no shortcuts), solved one
  after another with CBC. A player whose weight is not a maximum of XOR valuations (candidate
  knowledge: a minimum over candidates, possibly inside a coalition's maximum; an OR valuation)
  gets the textbook robust model instead: a binary per offered good, a price per option covered
  by bids inside the offered bundle of every valuation of the option (one bid under XOR,
  disjoint bids under OR); EXACT valuations (explicit, table) are their listed bundles;
* ``report-exact:<backend>``: with knowledge other than ``exact``, the whole report of the same
  instance (same valuations, same coalitions) with exact knowledge, for the ratio
  ``knowledge/exact``;
* ``kind:<MSW|MIEW|MIKW|MKW>``: the programs of that kind in cabench's batch, each distinct
  program's wall time counted once, and how many of them were proven;
* for CATS-shaped instances (one player per bidder) with exact knowledge, and files of XOR bids
  measured with exact knowledge, ``wdp-highs``: one HiGHS solve of the
  plain winner-determination problem of the same bids (a binary per bid, one row per good and
  one per bidder, as CATS's own LP file has it), proven optimal; with the winners of MSW it
  gives the budget 2 s + (1 + winners) x that solve (:func:`budget`).

Every time is a steady-state one: before the first timed report, one untimed report of a small
instance (:func:`warm_up`) pays the solvers' one-time imports. A report shorter than a second is
timed three times (alternated with the exact-knowledge report of the same instance, when there
is one, which is then timed as often unless it takes 10 s or more: :data:`PAIR_BELOW`) and the
fastest counts (:data:`REPEATS`).

Instances are generated with every knowledge spec of ``--knowledge`` and every coalition spec of
``--coalitions`` (the ``cabench generate`` language); the knowledge suites have their own
default lists (:data:`KNOWLEDGE_SPECS`). Or they are given as files (:func:`run_files`: JSON
instances, or CATS files imported as ``cabench import`` does), measured as written or with
those specs drawn on them, each file with the winner-determination baseline when its
valuations are XOR bids and it is measured with exact knowledge.

For the single backends and the naive baseline, a program that occurs several times in the
table is solved once and its time counted at each occurrence: they have no batch, so they would
repeat the same work, and the suite saves that time. Each "ideal" counts each distinct program
once (with exact knowledge MIKW_i is MSW's program: once, not n + 1 times).
"""

from __future__ import annotations

import contextlib
import csv
import json
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.report import compute_report
from benchmarks.table import table_bounds, table_programs
from ilp import Program, SolveOptions, solve, solve_batch
from ilp.backends import solver_clock
from ilp.cpsat import ortools
from instances import Instance
from instances.cats import read_instance_or_cats
from instances.generate import generate_instance

__all__ = ["ALL_KNOWLEDGE", "BUDGET_BASE_SECONDS", "CABENCH", "KINDS", "KNOWLEDGE", "KNOWLEDGE_SPECS", "NAIVE",
           "PAIR_BELOW", "REPEATS", "REPEAT_BELOW", "Row", "SUITES", "TABLE_PLAYERS", "budget", "check_files",
           "check_suite", "exact_knowledge", "fastest_sum", "file_paths", "holds_summary", "labels", "measure_instance",
           "naive_solve", "needed_programs", "run_files", "run_suite", "suite_specs", "summary", "tie_break_seconds",
           "warm_up", "wdp_highs", "wdp_ilp", "write_results", "xor_only"]

SUITES = {
    # (distribution, goods, bids, players)
    "quick": [("regions", 16, 60, 4), ("paths", 16, 60, 4), ("arbitrary", 16, 60, 4), ("scheduling", 16, 60, 4),
              ("uniform", 16, 60, 4)],
    "standard": [("regions", 32, 200, 6), ("paths", 32, 200, 6), ("arbitrary", 32, 200, 6),
                 ("scheduling", 32, 200, 6), ("uniform", 32, 200, 6), ("regions", 64, 500, 10),
                 ("paths", 64, 500, 10), ("arbitrary", 64, 500, 10)],
    # how cabench's cost grows with goods and bids (run it with --backends none --no-naive)
    "scaling": [(d, m, b, 10) for d in ("regions", "paths", "arbitrary")
                for m, b in ((16, 60), (32, 200), (64, 500), (128, 1000), (256, 2000))],
    # the sizes of the performance goals (README): regions and paths at 256/2000/10, arbitrary at 64/1000/10
    "target": [("regions", 256, 2000, 10), ("paths", 256, 2000, 10), ("arbitrary", 64, 1000, 10)],
    "full": [("regions", 256, 2000, 10), ("paths", 256, 2000, 10), ("arbitrary", 64, 1000, 10),
             ("scheduling", 128, 1000, 10), ("uniform", 128, 1000, 10)],
    # players axis: one player per bid (CATS legacy shape), 20 goods, 10 to 2000 players, no knowledge
    "players": [("uniform", 20, b, None) for b in (10, 100, 500, 1000, 2000)],
    # CATS-shaped files at 64 goods / 500 bids: one player per bidder (players=None), exact knowledge
    "cats": [(d, 64, 500, None) for d in ("regions", "arbitrary", "paths", "matching", "scheduling", "uniform",
                                          "decay", "weighted-random")],
    # large CATS-shaped files: regions and arbitrary at 256 goods / 2000 bids
    "cats-large": [(d, 256, 2000, None) for d in ("regions", "arbitrary")],
    # knowledge workloads: candidate, noisy, wrong and coalition knowledge at 32-256 goods
    "knowledge": [("regions", 32, 200, 6), ("paths", 32, 200, 6), ("regions", 64, 500, 10), ("paths", 64, 500, 10)],
    "knowledge-target": [("regions", 64, 500, 10), ("paths", 64, 500, 10), ("paths", 256, 2000, 10)],
    # how the cost grows with goods and bids under candidate knowledge (fixed 10 players)
    "knowledge-scaling": [("paths", m, b, 10) for m, b in ((32, 200), (64, 500), (128, 1000), (256, 2000))],
}
KNOWLEDGE = {"players": "none"}
"""Knowledge of the generated instances per suite (``exact`` when not listed)."""
ALL_KNOWLEDGE = ("exact", "noisy-lower:0.6", "wrong:0.3", "candidates:2", "candidates:3", "candidates:5")
KNOWLEDGE_SPECS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "knowledge": (ALL_KNOWLEDGE, ("none", "pairs:2")),
    "knowledge-target": (("exact", "noisy-lower:0.6", "wrong:0.3", "candidates:3"), ("none", "pairs:2")),
    "knowledge-scaling": (("candidates:2", "candidates:3", "candidates:5"), ("none",)),
}
"""(knowledge specs, coalition specs) measured by default per knowledge suite; every other suite
uses :data:`KNOWLEDGE` and no coalitions unless ``--knowledge`` / ``--coalitions`` say otherwise."""

KINDS = ("MSW", "MIEW", "MIKW", "MKW")
"""Program kinds of the table, by the prefix of their name in ``benchmarks.table.table_programs``."""


TABLE_PLAYERS = 50
"""Above this many players the per-program measurements use the programs a report must solve
(:func:`needed_programs`) instead of the whole table of 2n + 1 programs."""


def needed_programs(instance: Instance, report) -> list[Program]:
    """The programs that a report of ``instance`` cannot do without, each once: MSW, MSW_{-i}
    for every player who wins something in MSW's witness, and each distinct knowledge program
    (MIEW_i, MIKW_i, MKW_A, BA^A) that is neither one of those nor trivial by definition (no
    positive weight, MSW with a player removed who wins nothing, or one player alone who takes
    one bid: its optimum is its best bid, the first of several, a maximum, not a program). The
    lexicographic tie-break is not included: its programs depend on the solver's answers.
    Linear in the programs' size: parents are found by hashing (``ilp.index.ProgramIndex``)."""
    from benchmarks.table import ReportPlan
    from ilp.compile import BlockCache
    from ilp.index import ProgramIndex
    from ilp.onebid import best_bid_solution

    plan = ReportPlan.of(instance)
    outcome = report.msw.outcome
    winners = [j for j, _ in outcome.bundles] if outcome is not None else list(range(instance.n))
    index = ProgramIndex()
    msw = index.add(plan.msw)
    out = {msw: plan.msw}
    for i in winners:
        out.setdefault(index.add(plan.msw_without(i)), plan.msw_without(i))
    knowledge = [(index.add(program), program) for program in plan.programs()]
    blocks = BlockCache()  # each weight compiled once
    won = set(winners)
    for q, program in knowledge:
        parent = index.parent(q)
        if parent is not None and parent[0] == msw and parent[1] not in won:
            continue  # MSW without a player who wins nothing in MSW: MSW's own optimum
        if not index.trivial(q) and best_bid_solution(program, "cpsat", blocks) is None:
            out.setdefault(q, program)
    return list(out.values())


BUDGET_BASE_SECONDS = 2.0
"""The fixed part of :func:`budget`."""


def budget(wdp_seconds: float, winners: int) -> float:
    """The target for a whole exact-knowledge report of a CATS file: 2 s plus one
    winner-determination solve for MSW and one for MSW_{-i} of each winner, each costing what
    one HiGHS solve of the plain problem costs (:func:`wdp_highs`)."""
    return BUDGET_BASE_SECONDS + (1 + winners) * wdp_seconds


def wdp_ilp(instance: Instance):
    """The plain winner-determination problem of ``instance``'s true valuations, as CATS's own
    LP file states it: a binary per bid, at most one bid per good, and at most one bid per player
    (CATS ties a bidder's XOR bids with a dummy good). XOR valuations only (every generated one)."""
    from ilp.formulation import ILP
    from instances.bundles import members
    from instances.valuation import Semantics

    ilp = ILP()
    by_good: list[dict[int, int]] = [{} for _ in range(instance.m)]
    for j, valuation in enumerate(instance.valuations):
        if valuation.semantics is not Semantics.XOR:
            raise ValueError("the winner-determination baseline handles XOR valuations only")
        bids = {}
        for bundle, value in valuation.bids:
            x = ilp.var(f"x[{j},{len(bids)}]")
            ilp.objective[x] = value
            bids[x] = 1
            for g in members(bundle):
                by_good[g][x] = 1
        if len(bids) > 1:
            ilp.add(bids, hi=1)
    for row in by_good:
        if row:
            ilp.add(row, hi=1)
    return ilp


def wdp_highs(instance: Instance, time_limit: float | None = None) -> tuple[float, int | None]:
    """(seconds, optimum or None when not proven) of one HiGHS solve of :func:`wdp_ilp`, in a
    worker process of its own (HiGHS and OR-Tools do not share a process, see ``ilp.highs``),
    started and warmed up before the clock starts. The optimum is MSW: a cross-check."""
    from ilp.formulation import ILP
    from ilp.highs import solve_here
    from ilp.program import Status
    from ilp.workers import Worker

    ilp = wdp_ilp(instance)
    worker = Worker()
    try:
        worker.call(solve_here, ILP(), None)  # imports highspy before the clock starts
        start = time.perf_counter()
        answer = worker.call(solve_here, ilp, time_limit)
        seconds = time.perf_counter() - start
    finally:
        worker.stop()
    if answer.status is not Status.OPTIMAL:
        return seconds, None
    return seconds, sum(c * answer.values[k] for k, c in ilp.objective.items())


def naive_solve(program: Program, time_limit: float | None) -> tuple[bool, int | None]:
    """The baseline: a fresh PuLP/CBC model straight from the bids, for every valuation form
    (``instances.valuation``). A weight that is a maximum of XOR valuations (a true valuation, a
    lower bound, or a coalition's pooled bounds) is one choice among all their bids; any other
    weight (a minimum over candidates, or one holding an OR valuation: a packing of its bids)
    gets the textbook robust model (:func:`_naive_robust`). An option holding an EXACT valuation
    is first written as the XOR list of that valuation's listed bundles, each at the option's
    value there (:func:`_listed`)."""
    import pulp

    from ilp.cbc import solve_problem
    from instances.valuation import Semantics

    problem = pulp.LpProblem("naive", pulp.LpMaximize)
    objective = []
    by_good: dict[int, list] = {}
    for j, weight in enumerate(program.weights):
        if weight is None or not weight.options:
            continue
        options = [_listed(option) for option in weight.options]
        if any(len(option) > 1 or option[0].semantics is Semantics.OR for option in options):
            objective += _naive_robust(problem, j, options, program.n_goods, by_good)
            continue
        bids = []
        for (valuation,) in options:
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
    solve_problem(problem, **options)
    proven = problem.sol_status == pulp.LpSolutionOptimal
    return proven, round(pulp.value(problem.objective) or 0) if proven else None


def _listed(option: tuple) -> tuple:
    """``option`` (a minimum over valuations) unchanged, or, when one of its valuations f has
    EXACT semantics, the one XOR valuation whose bids are f's listed bundles S, each at the
    option's value min over the option of v(S) when positive. Both give a program the same
    optimum: the option is worth nothing on a bundle f does not list, a player may always be
    given less, and goods may stay unallocated (``ilp.program``)."""
    from instances.valuation import Form, Semantics, Valuation

    exact = next((f for f in option if f.semantics is Semantics.EXACT), None)
    if exact is None:
        return option
    bids = ((bundle, min(f.value(bundle) for f in option)) for bundle in exact.listed)
    return (Valuation(Form.XOR, tuple((bundle, value) for bundle, value in bids if value > 0)),)


def _naive_robust(problem, j: int, options: Sequence[tuple], n_goods: int, by_good: dict[int, list]) -> list:
    """Player j's part of the naive model for w_j = max over ``options`` of min over an option's
    XOR or OR valuations: y_g = 1 if good g is offered to j; price q_k <= cap_k * u_k for option
    k, at most one option used; for every valuation f of option k, bids z inside the offered
    bundle with value >= q_k: at most one bid under XOR, pairwise disjoint bids (at most one per
    good) under OR. Returns the objective terms (the prices)."""
    import pulp

    from instances.valuation import Semantics

    def cap(f) -> int:  # the most f is worth: its best bid, or under OR all its bids together
        values = [v for _, v in f.bids if v > 0]
        return sum(values) if f.semantics is Semantics.OR else max(values, default=0)

    y = {g: problem.add_variable(f"y_{j}_{g}", 0, 1, cat=pulp.LpBinary) for g in range(n_goods)}
    for g, var in y.items():
        by_good.setdefault(g, []).append(var)
    prices, used = [], []
    for k, option in enumerate(options):
        top = min(cap(f) for f in option)
        if top <= 0:
            continue
        q = problem.add_variable(f"q_{j}_{k}", 0, top, cat=pulp.LpInteger)
        u = problem.add_variable(f"u_{j}_{k}", 0, 1, cat=pulp.LpBinary)
        problem += q - top * u <= 0
        prices.append(q)
        used.append(u)
        for f_index, f in enumerate(option):
            z = []
            on_good: dict[int, list] = {}
            for a, (bundle, value) in enumerate(f.bids):
                if value <= 0:
                    continue
                var = problem.add_variable(f"z_{j}_{k}_{f_index}_{a}", 0, 1, cat=pulp.LpBinary)
                z.append((var, value))
                for g in range(n_goods):
                    if bundle >> g & 1:
                        problem += var - y[g] <= 0
                        on_good.setdefault(g, []).append(var)
            problem += q - pulp.lpSum(value * var for var, value in z) <= 0
            if f.semantics is Semantics.OR:
                for xs in on_good.values():
                    if len(xs) > 1:
                        problem += pulp.lpSum(xs) <= 1
            elif z:
                problem += pulp.lpSum(var for var, _ in z) <= 1
    if used:
        problem += pulp.lpSum(used) <= 1
    return prices


@dataclass(frozen=True)
class Row:
    """One method on one instance: ``seconds`` for the whole table, ``distinct`` programs solved."""

    instance: str
    distribution: str
    goods: int
    bids: int
    players: int
    seed: int
    method: str
    programs: int
    distinct: int
    proven: int
    seconds: float
    fastest_single_sum: float | None = None
    needed: int | None = None
    ideal_report: float | None = None
    # whether every program of each ideal (fastest_single_sum, ideal_report) was proven by some
    # single backend, whose fastest counts: under --time-limit one none proved counts what it
    # took, and the ratio is marked "!"
    fastest_proven: bool | None = None
    ideal_proven: bool | None = None
    knowledge: str = "exact"
    coalitions: str = "none"
    solver_seconds: float | None = None  # of a report row: time in solves (the rest is bookkeeping)
    winners: int | None = None
    wdp_highs: float | None = None
    wdp_proven: bool | None = None
    msw: int | None = None  # of a report row with the baseline: the report's MSW ...
    wdp_optimum: int | None = None  # ... and HiGHS's optimum of the plain problem (equal when both are proven)
    players_drawn: str = ""  # "bidders" for a suite's one player per bidder (the count varies by seed)


CABENCH = "cabench"
NAIVE = "naive-pulp-cbc"


def _per_program(solve_one: Callable[[Program], bool], programs: Sequence[Program]
                 ) -> tuple[list[bool], list[float]]:
    """Solve each distinct program once, one after another; whether each program of the table
    was proven, and its time (a repeated program costs what its first occurrence cost: same
    model, same work)."""
    seconds: dict[Program, float] = {}
    proven: dict[Program, bool] = {}
    for program in dict.fromkeys(programs):
        start = time.perf_counter()
        proven[program] = bool(solve_one(program))
        seconds[program] = time.perf_counter() - start
    return [proven[p] for p in programs], [seconds[p] for p in programs]


def _kind(name: str) -> str:
    """MSW, MIEW, MIKW or MKW: the kind of a program named by ``table_programs``."""
    return name.split("_", 1)[0]


def _kind_rows(common: dict, names: Sequence[str], programs: Sequence[Program], solutions: Sequence) -> list[Row]:
    """One row per program kind of the table: the wall time of its distinct programs (each
    counted once, at its first occurrence) and how many of its programs were proven."""
    seen: set[Program] = set()
    seconds = dict.fromkeys(KINDS, 0.0)
    count = dict.fromkeys(KINDS, 0)
    proven = dict.fromkeys(KINDS, 0)
    for name, program, solution in zip(names, programs, solutions):
        kind = _kind(name)
        count[kind] += 1
        proven[kind] += solution.optimal
        if program not in seen:
            seen.add(program)
            seconds[kind] += solution.wall_time
    return [Row(**dict(common, programs=count[k]), method=f"kind:{k}", proven=proven[k], seconds=seconds[k])
            for k in KINDS if count[k]]


def fastest_sum(programs: Sequence[Program], times: dict[str, Sequence[float]],
                proven: dict[str, Sequence[bool]] | None = None) -> tuple[float, bool]:
    """The ideal's solving time: over the distinct programs of ``programs`` (equal programs are
    one, counted once), the sum of the fastest backend's time, and whether every program was
    proven; ``times[backend][k]`` is that backend's time of ``programs[k]``, ``proven[backend][k]``
    whether it proved it (None: all were). Of the backends that proved a program the fastest
    counts (a backend that gave up at once is no ideal); a program none proved counts its fastest
    time, and the sum is then not proven (under ``--time-limit``: the table marks it "!")."""
    first = {}
    for k, program in enumerate(programs):
        first.setdefault(program, k)
    total, everything = 0.0, True
    for k in first.values():
        provers = [b for b in times if proven is None or proven[b][k]]
        everything &= bool(provers)
        total += min(times[b][k] for b in provers or times)
    return total, everything


def tie_break_seconds(program: Program, backend: str, time_limit: float | None) -> float:
    """Seconds of the lexicographic tie-break of ``program`` (``ilp.lex.lex_first``: the
    lexicographically first optimal allocation, every canonical witness's rule) by ``backend``
    alone in this process, from that backend's own optimum, solved before the clock starts;
    infinite when that optimum is not proven."""
    from ilp.lex import lex_first

    options = SolveOptions(backend, time_limit)
    optimum = solve(program, options)
    if not optimum.optimal:
        return float("inf")
    start = time.perf_counter()
    lex_first(program, optimum, options)
    return time.perf_counter() - start


REPEATS = 3
"""How many times a report shorter than :data:`REPEAT_BELOW` is timed; the fastest counts, as
``timeit`` takes it (the others were slowed by something else: the collector, the machine).
Measured (2026-12-05 19:41 UTC, the 2-core machine quiet, the 12 reports of regions and paths
64 / 500 / 10, seeds 0-2, exact and ``noisy-lower:0.6`` knowledge, four runs each in one
process after the warm-up): no run is slower for being the first, and one report's runs differ
by up to 18 % (0.320-0.377 s), which moves the ratio of two reports by up to 0.35."""
REPEAT_BELOW = 1.0
"""Seconds below which a report is timed :data:`REPEATS` times (a longer one, once)."""
PAIR_BELOW = 10.0
"""Seconds below which a report is timed as many times as the exact-knowledge report beside it
(and the reverse), so that the ratio ``knowledge/exact`` compares the fastest of as many runs of
each: a report of 1.2 s timed once beside the fastest of three of 0.3 s made the ratio higher
(a user's audit). A longer one is timed once: its ratio is large, and three runs would cost
much."""


def _timed_report(instance: Instance, options: SolveOptions) -> tuple[float, object, float]:
    """``(seconds, report, solver seconds)`` of one ``compute_report``."""
    start = time.perf_counter()
    with solver_clock() as solving:
        report = compute_report(instance, options)
    return time.perf_counter() - start, report, solving[0]


def measure_instance(instance: Instance, base: dict, backends: Sequence[str], default: str,
                     time_limit: float | None, jobs: int | None,
                     progress: Callable[[str], None] = lambda text: None, naive: bool = True,
                     exact: Instance | None = None, wdp: bool = False, batch: bool = True,
                     workers=None) -> list[Row]:
    """The rows of one instance: the whole report, cabench's table pipeline (unless ``batch``
    is false) with the per-kind times of its batch, each single backend, the naive baseline
    (unless ``naive`` is false), given ``exact`` (the same instance with exact knowledge) the
    whole report of that instance and, with ``wdp`` (exact knowledge only: the setting of
    :func:`budget`), the winner-determination baseline (:func:`wdp_highs`) and MSW's winners in
    the report's row. With single backends each row
    carries the two ideals' solving times (the module docstring): ``fastest_single_sum``, the
    table's distinct programs, and ``ideal_report``, the report's distinct needed programs plus
    MSW's tie-break, each by its fastest single backend. ``workers``: the run's worker processes
    (:func:`kept_workers`), or None."""
    progress(f"{instance.name}: cabench benchmarks ({default}, whole report)")
    options = SolveOptions(default, time_limit, jobs, workers=workers)
    whole, report, solving = _timed_report(instance, options)
    baseline: dict = {}
    if wdp:
        progress(f"{instance.name}: one HiGHS solve of the winner-determination problem")
        seconds, optimum = wdp_highs(instance, time_limit)
        if optimum is not None and report.msw.proven and optimum != report.msw.value:
            raise AssertionError(f"{instance.name}: HiGHS's winner determination gives {optimum}, "
                                 f"the report's MSW is {report.msw.value}")
        winners = len(report.msw.outcome.holders) if report.msw.outcome is not None else 0
        baseline = dict(winners=winners, wdp_highs=seconds, wdp_proven=optimum is not None, msw=report.msw.value,
                        wdp_optimum=optimum)
    exact_seconds = exact_proven = None
    if exact is not None:
        progress(f"{exact.name}: cabench benchmarks ({default}, whole report, exact knowledge)")
        exact_seconds, exact_report, _ = _timed_report(exact, options)
        exact_proven = exact_report.all_proven
        # each short report again, alternated (knowledge, exact, ...): the fastest of each counts,
        # and a report beside a short one is timed as often unless it is long (PAIR_BELOW)
        short = whole < REPEAT_BELOW or (exact_seconds < REPEAT_BELOW and whole < PAIR_BELOW)
        short_exact = exact_seconds < REPEAT_BELOW or (whole < REPEAT_BELOW and exact_seconds < PAIR_BELOW)
        for _ in range(REPEATS - 1 if short or short_exact else 0):
            if short:
                again = _timed_report(instance, options)
                if again[0] < whole:
                    whole, report, solving = again
            if short_exact:
                exact_seconds = min(exact_seconds, _timed_report(exact, options)[0])
    else:
        for _ in range(REPEATS - 1):
            if whole >= REPEAT_BELOW:
                break
            again = _timed_report(instance, options)
            if again[0] < whole:
                whole, report, solving = again
    needed = needed_programs(instance, report)
    named = table_programs(instance) if instance.n <= TABLE_PLAYERS else []
    table = [p for _, p in named] if named else needed
    programs = table
    distinct = len(set(programs))
    rows = []
    if batch:
        progress(f"{instance.name}: cabench ({default}, batch)")
        start = time.perf_counter()
        # (the bounds the report's batch takes too: knowledge programs lifted from MSW's optima)
        solutions = solve_batch(programs, options, bounds=table_bounds(instance) if named else None)
        ours = time.perf_counter() - start
    times: dict[str, list[float]] = {}
    proven: dict[str, list[bool]] = {}
    for backend in backends:
        progress(f"{instance.name}: {backend}, program by program")
        proven[backend], times[backend] = _per_program(lambda p: solve(p, SolveOptions(backend, time_limit)).optimal,
                                                       programs)
    singles = [b for b in times if b != "portfolio"]
    fastest = ideal = fastest_proven = ideal_proven = None
    if singles:
        fastest, fastest_proven = fastest_sum(programs, {b: times[b] for b in singles}, proven)
        ideal, ideal_proven = fastest, fastest_proven
    if singles and programs is not needed:
        progress(f"{instance.name}: the programs a report must solve, by each single backend")
        best: dict[str, list[float]] = {}
        settled: dict[str, list[bool]] = {}
        for backend in singles:
            settled[backend], best[backend] = _per_program(
                lambda p: solve(p, SolveOptions(backend, time_limit)).optimal, needed)
        ideal, ideal_proven = fastest_sum(needed, best, settled)
    if singles:
        progress(f"{instance.name}: MSW's lexicographic tie-break, by each single backend")
        tie_break = min(tie_break_seconds(needed[0], b, time_limit) for b in singles)
        if tie_break < float("inf"):  # (infinite: MSW not proven by any single backend)
            ideal += tie_break
        else:
            ideal_proven = False
    common = dict(base, programs=len(programs), distinct=distinct, fastest_single_sum=fastest,
                  needed=len(needed), ideal_report=ideal, fastest_proven=fastest_proven, ideal_proven=ideal_proven)
    rows.append(Row(**common, **baseline, method=f"report:{default}",
                    proven=len(programs) if report.all_proven else 0, seconds=whole, solver_seconds=solving))
    if exact_seconds is not None:
        # the exact-knowledge instance's own programs (its row had the counts of this one's)
        exact_named = table_programs(exact) if exact.n <= TABLE_PLAYERS else []
        exact_needed = needed_programs(exact, exact_report)
        exact_table = [p for _, p in exact_named] if exact_named else exact_needed
        rows.append(Row(**base, programs=len(exact_table), distinct=len(set(exact_table)), needed=len(exact_needed),
                        method=f"report-exact:{default}", proven=len(exact_table) if exact_proven else 0,
                        seconds=exact_seconds))
    if batch:
        rows.append(Row(**common, method=f"{CABENCH}:{default}", proven=sum(s.optimal for s in solutions),
                        seconds=ours))
    if batch and named:
        rows += _kind_rows(common, [name for name, _ in named], programs, solutions)
    for backend in backends:
        rows.append(Row(**common, method=backend, proven=sum(proven[backend]), seconds=sum(times[backend])))
    if naive:
        progress(f"{instance.name}: naive baseline")
        naive_proven, naive_times = _per_program(lambda p: naive_solve(p, time_limit)[0], programs)
        rows.append(Row(**common, method=NAIVE, proven=sum(naive_proven), seconds=sum(naive_times)))
    return rows


def warm_up(default: str, time_limit: float | None, jobs: int | None,
            progress: Callable[[str], None] = lambda text: None, backends: Sequence[str] = (),
            naive: bool = False, workers=None) -> None:
    """One untimed report of a small generated instance with the measured options, before the
    first timed one: the solvers' one-time imports (OR-Tools' CP-SAT and GLOP: about 0.45 s,
    against reports of 0.1-0.2 s on paths 64 / 500 / 10) are then paid by no measured report.
    Without it the first instance of a run paid them in its knowledge report and not in its
    exact-knowledge report, measured right after, so its knowledge / exact ratio was 7 where
    every other instance's was about 2 (paths 64 / 500 / 10, noisy-lower:0.6, seed 0, measured
    first: 0.65 s against 0.09 s). ``brute`` gets an instance of 10 goods (its limit is 12).
    Then one untimed solve of a small program by each single backend of ``backends`` and, with
    ``naive``, by the naive baseline, which time programs in this process (HiGHS in its worker,
    which stays alive): without it the first instance charged the HiGHS worker's start to the
    ``highs`` column (quick suite, paths, --backends highs,scip --no-naive, 3 seeds, 2026-12-02,
    2 shared cores, load 3.2-3.3, two runs each, alternated: seed 0 0.67 and 0.69 s against
    0.03-0.05 s on seeds 1 and 2; with it 0.049 and 0.050 s on seed 0)."""
    goods, bids, players = (10, 30, 3) if default == "brute" else (32, 200, 6)
    progress(f"warm-up: one untimed report of paths {goods} / {bids} / {players}")
    compute_report(generate_instance("paths", goods, bids, players, 0, knowledge="noisy-lower:0.6"),
                   SolveOptions(default, time_limit, jobs, workers=workers))
    ortools()  # (imported by the first solve that reaches CP-SAT, which that report may not have)
    if not backends and not naive:
        return
    progress("warm-up: one untimed program (paths 10 / 30 / 3) by each single backend"
             + (" and the naive baseline" if naive else ""))
    (_, program), *_ = table_programs(generate_instance("paths", 10, 30, 3, 0, knowledge="noisy-lower:0.6"))
    for backend in backends:
        solve(program, SolveOptions(backend, time_limit))
    if naive:
        naive_solve(program, time_limit)


@contextlib.contextmanager
def kept_workers(default: str, time_limit: float | None, jobs: int | None) -> Iterator[object]:
    """With ``jobs`` of 2 or more, worker processes started once for the whole run and shared by
    every report and batch it times (``ilp.batch.shared_workers``), as a sweep's or a notebook's
    reports share theirs; else None (automatic ``jobs`` starts workers only for slow programs).
    Each timed report started its own: 1.4 s of start-up in reports of 0.02 s (report/ideal 135
    with ``--jobs 2`` against 1.6 without, quick suite, uniform, 2026-12-06). Each imports
    OR-Tools' CP-SAT module as it starts, so that no timed report pays it."""
    if jobs is None or jobs < 2:
        yield None
        return
    from ilp.batch import shared_workers

    with shared_workers(SolveOptions(default, time_limit, jobs), cp_sat=True) as options:
        yield options.workers


def suite_specs(suite: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The (knowledge specs, coalition specs) measured by default for ``suite``."""
    return KNOWLEDGE_SPECS.get(suite, ((KNOWLEDGE.get(suite, "exact"),), ("none",)))


def check_suite(suite: str, seeds: int, only: set[str] | None, coalitions: Sequence[str] | None,
                knowledge: Sequence[str] | None = None) -> None:
    """Check that each coalition spec fits among the players of every instance of ``suite`` whose
    player count comes from its generator (one player per bidder: ``players`` None in
    :data:`SUITES`), and that the knowledge each knowledge spec would draw on every instance fits
    the knowledge limit (``instances.knowledge_models.check_knowledge_size``), by generating
    the instances' bids first (each seed's where the players are drawn, else the first seed's: the
    counts are the same), so that a spec that does not fit stops ``perf`` before anything is
    measured or written (``SpecError`` naming the instance and the flag: ``--players ...
    --knowledge candidates:2`` stopped at the 2,000-player instance after measuring the smaller
    ones). Checking the coalitions costs a fraction of one instance's measurement (3 seeds,
    2026-12-02, load 4-5: cats 1.2 s, cats-large 16 s, players 0.5 s)."""
    from instances.knowledge_models import SpecError, check_knowledge_size, parse_coalitions

    specs = [spec for spec in coalitions or suite_specs(suite)[1] if spec != "none"]
    drawn = [spec for spec in knowledge or suite_specs(suite)[0] if spec != "none"]
    for distribution, goods, bids, players in SUITES[suite]:
        if only is not None and distribution not in only:
            continue
        if players is not None and not drawn:
            continue
        for seed in range(seeds if players is None else 1):
            instance = generate_instance(distribution, goods, bids, players, seed, knowledge="none")
            where = f"{distribution} {goods} / {bids} seed {seed} has {instance.n} players"
            for spec in specs if players is None else ():
                try:
                    parse_coalitions(spec, instance.n)
                except SpecError as error:
                    raise SpecError(f"--coalitions: {where}: {str(error).split(': ', 1)[-1]}") from None
            for spec in drawn:
                try:
                    check_knowledge_size(instance.valuations, spec, instance.m)
                except SpecError as error:
                    raise SpecError(f"--knowledge: {where}: {str(error).split(': ', 1)[-1]}") from None


def run_suite(suite: str, seeds: int, backends: Sequence[str], default: str, time_limit: float | None,
              progress: Callable[[str], None] = lambda text: None,
              checkpoint: Callable[[list[Row]], None] = lambda rows: None,
              jobs: int | None = None, only: set[str] | None = None, naive: bool = True,
              knowledge: Sequence[str] | None = None, coalitions: Sequence[str] | None = None,
              advance: Callable[[int, int, str], None] = lambda done, total, current: None) -> list[Row]:
    """Measure every instance of ``suite`` (``seeds`` seeds each; only the distributions in
    ``only`` if given), with every knowledge spec and coalition spec given (the suite's defaults,
    :func:`suite_specs`, when None); ``checkpoint`` receives the rows after each instance and
    ``advance(done, total, current)`` the instances measured, their number and the one measured
    next (empty at the end). Knowledge other than ``exact`` also times the same instance's report
    with exact knowledge."""
    default_knowledge, default_coalitions = suite_specs(suite)
    entries = [entry for entry in SUITES[suite] if only is None or entry[0] in only]
    total = len(entries) * seeds * len(coalitions or default_coalitions) * len(knowledge or default_knowledge)
    rows: list[Row] = []
    done = 0
    with kept_workers(default, time_limit, jobs) as workers:
        if total:
            warm_up(default, time_limit, jobs, progress, backends, naive, workers)
        for distribution, goods, bids, players in entries:
            for seed in range(seeds):
                for coalition_spec in coalitions or default_coalitions:
                    for knowledge_spec in knowledge or default_knowledge:
                        def make(spec: str) -> Instance:
                            return generate_instance(distribution, goods, bids, players, seed, knowledge=spec,
                                                     coalitions=coalition_spec)
                        instance = make(knowledge_spec)
                        advance(done, total, instance.name)
                        exact = make("exact") if knowledge_spec not in ("exact", "none") else None
                        base = dict(instance=instance.name, distribution=distribution, goods=goods, bids=bids,
                                    players=instance.n, seed=seed, knowledge=knowledge_spec,
                                    coalitions=coalition_spec, players_drawn="bidders" if players is None else "")
                        rows += measure_instance(instance, base, backends, default, time_limit, jobs, progress, naive,
                                                 exact, wdp=players is None and knowledge_spec == "exact",
                                                 workers=workers)
                        checkpoint(rows)
                        done += 1
    advance(done, total, "")
    return rows


def file_paths(paths: Sequence[Path]) -> list[Path]:
    """The instance files of ``paths``: each file as given, and every ``*.json`` and ``*.txt``
    file of a folder in name order (an :class:`InputError` for a missing path or an empty folder)."""
    from instances.errors import InputError

    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(f for f in path.iterdir() if f.is_file() and f.suffix in (".json", ".txt"))
            if not found:
                raise InputError(str(path), "", "no instance file (*.json, or a CATS file *.txt) in this folder")
            out += found
        elif path.is_file():
            out.append(path)
        elif str(path) == "-" and not path.exists():  # (other commands read "-" as standard input)
            raise InputError("-", "", "standard input is not read by perf, which reads each instance more than "
                             "once: save it to a file and give its path")
        elif path.exists():  # (a pipe was "no such file or folder")
            raise InputError(str(path), "", "not a regular file (a pipe or a device); perf reads each instance more "
                             "than once: save it to a file first")
        else:
            raise InputError(str(path), "", "no such file or folder")
    return list(dict.fromkeys(out))


def xor_only(instance: Instance) -> bool:
    """Whether every valuation is an XOR list of bids: the winner-determination baseline's input."""
    from instances.valuation import Semantics

    return all(v.semantics is Semantics.XOR for v in instance.valuations)


def exact_knowledge(instance: Instance) -> bool:
    """Whether every player knows every other player's true valuation exactly, as ``--knowledge
    exact`` draws it (``instances.knowledge_models``): lower bounds equal to TV_j for every j != i
    (a player alone knows nothing). The setting of :func:`budget`. The loader makes equal
    valuations one object, so the comparison is mostly by identity."""
    from instances.model import LowerBounds

    truth = instance.valuations
    if instance.n == 1:
        return True  # no one else to know about
    for i, known in enumerate(instance.knowledge):
        if not isinstance(known, LowerBounds) or len(known.bounds) != instance.n - 1:
            return False
        for j, bound in known.bounds.items():
            if j == i or not (bound is truth[j] or bound == truth[j]):
                return False
    return True


def check_files(paths: Sequence[Path], knowledge: Sequence[str] | None, coalitions: Sequence[str] | None) -> int:
    """Read every file of ``paths`` (:func:`file_paths`, ``instances.cats.read_instance_or_cats``) and
    check that each coalition spec fits among its players and each knowledge spec's draw fits the knowledge
    limit, so that bad input stops ``perf`` before anything is measured or written
    (:class:`InputError` or ``SpecError`` naming the file, both exit 2). Returns the most goods
    of a file (the ``brute`` backend takes at most 12)."""
    from instances.knowledge_models import SpecError, check_knowledge_size, parse_coalitions

    goods = 0
    for path in file_paths(paths):
        instance = read_instance_or_cats(path)
        goods = max(goods, instance.m)
        try:
            for spec in coalitions or ():
                parse_coalitions(spec, instance.n)
            for spec in knowledge or ():
                check_knowledge_size(instance.valuations, spec, instance.m)
        except SpecError as error:
            raise SpecError(f"{path}: {error}") from None
    return goods


def labels(files: Sequence[Path]) -> list[str]:
    """Each file's name in the rows (its ``distribution``, so each file is its own entry of
    :func:`summary`): the name without suffix, or its path without suffix where two files of
    different folders share a name, or its whole path where two files differ by the suffix alone
    (``s.json`` and ``s.txt`` were one entry, their times mixed)."""
    stems = [f.stem for f in files]
    bare = [stem if stems.count(stem) == 1 else str(f.with_suffix("")) for stem, f in zip(stems, files)]
    return [name if bare.count(name) == 1 else str(f) for name, f in zip(bare, files)]


def run_files(paths: Sequence[Path], backends: Sequence[str], default: str, time_limit: float | None,
              progress: Callable[[str], None] = lambda text: None,
              checkpoint: Callable[[list[Row]], None] = lambda rows: None,
              jobs: int | None = None, naive: bool = True, knowledge: Sequence[str] | None = None,
              coalitions: Sequence[str] | None = None,
              advance: Callable[[int, int, str], None] = lambda done, total, current: None) -> list[Row]:
    """:func:`run_suite` on given instance files (:func:`file_paths`,
    ``instances.cats.read_instance_or_cats``): each file as written, or with every knowledge
    spec and coalition spec given drawn on it (seed 0, replacing what it has, as ``cabench
    annotate --replace`` does). Knowledge other than exact,
    drawn or the file's own, also times the report of the same instance with exact knowledge
    (same valuations, same coalitions). Every file whose valuations are all XOR bids, measured
    with exact knowledge (drawn, or its own: :func:`exact_knowledge`), also gets the
    winner-determination baseline and the budget (:func:`budget`), as the suites' CATS-shaped
    instances do with exact knowledge only: the budget is the target of that setting, and a
    file without knowledge (a CATS file) needs ``--knowledge exact`` for it.
    A file's rows carry its name (:func:`labels`) as their distribution, so each file is one
    entry of :func:`summary`.

    Like the suites, each file's table is also solved by cabench's batch, which gives the
    per-kind rows (``kind:MSW`` ...), unless the file has more than :data:`TABLE_PLAYERS`
    players and neither a single backend nor the naive baseline is measured: there the batch
    would solve the programs the report needs (no per-kind rows, the table is not used), the
    report's own work again, for a time nothing is compared with; on real CATS files, whose
    reports run up to 26 minutes (docs/performance.md), that would double the run."""
    from instances.knowledge_models import annotate

    files = file_paths(paths)
    knowledge_specs = list(knowledge) if knowledge else [None]
    coalition_specs = list(coalitions) if coalitions else [None]
    total = len(files) * len(knowledge_specs) * len(coalition_specs)
    rows: list[Row] = []
    done = 0
    with kept_workers(default, time_limit, jobs) as workers:
        if total:
            warm_up(default, time_limit, jobs, progress, backends, naive, workers)
        for path, label in zip(files, labels(files)):
            written = read_instance_or_cats(path)
            for coalition_spec in coalition_specs:
                for knowledge_spec in knowledge_specs:
                    def make(spec: str | None) -> Instance:
                        if spec is None and coalition_spec is None:
                            return written
                        return annotate(written, spec, coalition_spec, 0, replace=True)
                    instance = make(knowledge_spec)
                    advance(done, total, instance.name)
                    # knowledge drawn, or the file's own: the same instance with exact knowledge too
                    own = knowledge_spec is None and any(k is not None for k in instance.knowledge)
                    exactly = knowledge_spec == "exact" or (own and exact_knowledge(instance))
                    known = knowledge_spec not in (None, "exact", "none") or (own and not exactly)
                    exact = make("exact") if known else None
                    base = dict(instance=instance.name, distribution=label, goods=instance.m,
                                bids=sum(len(v.bids) for v in instance.valuations), players=instance.n, seed=0,
                                knowledge=knowledge_spec or "file", coalitions=coalition_spec or "file")
                    # the budget is exact knowledge's target; the batch: see the docstring
                    rows += measure_instance(instance, base, backends, default, time_limit, jobs, progress, naive,
                                             exact, wdp=exactly and xor_only(instance),
                                             batch=bool(backends) or naive or instance.n <= TABLE_PLAYERS,
                                             workers=workers)
                    checkpoint(rows)
                    done += 1
    advance(done, total, "")
    return rows


def summary(rows: Sequence[Row], cores: int) -> list[dict]:
    """Per suite entry (distribution, goods, bids, players): median seconds per method and the
    ratios naive / cabench, cabench / ideal with ideal = (sum over the table's distinct programs
    of the fastest single backend's time) / cores, report / ideal with the report's ideal
    (:func:`measure_instance`) and knowledge / exact. Each ratio is the median over the seeds of
    each instance's own ratio, as report / budget is (the ratio of the medians differed: 6.13
    where the seeds' ratios were 8.71 and 5.26, a user's audit); ``fastest_proven`` (of
    cabench's ideal) and ``ideal_proven`` (of the report's) are false when some program of that
    ideal was proven by no single backend. ``cores``: the cores the ideals are divided by. The
    counts (players, programs, distinct, needed) are the lower medians over the seeds: one player
    per bidder makes them differ, and such an entry is one over its seeds (``players_per_seed``
    lists them)."""
    groups: dict[tuple, list[Row]] = {}
    for row in rows:
        # one player per bidder: one entry over the seeds, whose player counts differ (198, 199)
        players = row.players_drawn or row.players
        groups.setdefault((row.distribution, row.goods, row.bids, players, row.knowledge, row.coalitions),
                          []).append(row)
    out = []
    for key, members in groups.items():
        methods: dict[str, list[float]] = {}
        kinds: dict[str, list[Row]] = {}
        for row in members:
            if row.method.startswith("kind:"):
                kinds.setdefault(row.method.removeprefix("kind:"), []).append(row)
            else:
                methods.setdefault(row.method, []).append(row.seconds)
        medians = {m: statistics.median(v) for m, v in methods.items()}
        ours = next((m for m in medians if m.startswith(CABENCH)), None)
        # (the counts of the instance measured: a report-exact row counts its exact-knowledge twin's)
        table_rows = [r for r in members if not r.method.startswith(("kind:", "report-exact:"))]
        counts = {r.seed: r.players for r in table_rows}  # (the medians of the seeds, as the times)
        entry = {"distribution": key[0], "goods": key[1], "bids": key[2],
                 "players": statistics.median_low(counts.values()), "knowledge": key[4], "coalitions": key[5],
                 **({"players_per_seed": list(counts.values())} if len(set(counts.values())) > 1 else {}),
                 "programs": statistics.median_low({r.seed: r.programs for r in table_rows}.values()),
                 "distinct": statistics.median_low({r.seed: r.distinct for r in table_rows}.values()),
                 "median_seconds": medians,
                 "all_proven": all(r.proven == r.programs for r in members if r.method != NAIVE),
                 # cabench's own rows alone (the whole reports and the batch): a single backend
                 # program by program that proves less said "not proven" of a report that was
                 "cabench_proven": all(r.proven == r.programs for r in members
                                       if r.method.startswith(("report:", "report-exact:", f"{CABENCH}:"))),
                 "kinds": {k: {"median_seconds": statistics.median(r.seconds for r in v),
                               "programs": v[0].programs, "all_proven": all(r.proven == r.programs for r in v)}
                           for k, v in kinds.items()}}
        whole = next((m for m in medians if m.startswith("report:")), None)
        exact = next((m for m in medians if m.startswith("report-exact:")), None)
        # (knowledge/exact: none with exact knowledge, whose report has no exact twin timed)
        for name, top, bottom in (("naive_over_cabench", NAIVE, ours), ("knowledge_over_exact", whole, exact)):
            ratios = _per_seed(members, top, bottom)
            if ratios:
                entry[name] = statistics.median(ratios)
        # (the ideals' ratios: each row carries its own ideal)
        batches = [r for r in members if r.method == ours and r.fastest_single_sum]
        if batches:
            entry["cabench_over_ideal"] = statistics.median(r.seconds / (r.fastest_single_sum / cores) for r in batches)
        ideals = [r for r in members if r.method == whole and r.ideal_report is not None]
        for flag in ("fastest_proven", "ideal_proven"):  # ("!" on cabench/ideal and report/ideal)
            if any(getattr(r, flag) is not None for r in members):
                entry[flag] = all(getattr(r, flag) is not False for r in members)
        needed = {r.seed: r.needed for r in table_rows if r.needed is not None}
        entry["needed"] = statistics.median_low(needed.values()) if needed else None
        solver = [r.solver_seconds for r in members if r.method == whole and r.solver_seconds is not None]
        if solver and whole:  # the report's time in solves, and the rest: its bookkeeping
            entry["report_solver_seconds"] = statistics.median(solver)
            entry["report_bookkeeping_seconds"] = statistics.median(
                r.seconds - r.solver_seconds for r in members if r.method == whole and r.solver_seconds is not None)
        if ideals:
            entry["ideal_report_seconds"] = statistics.median(r.ideal_report for r in ideals)
            entry["report_over_ideal"] = statistics.median(r.seconds / max(1e-9, r.ideal_report / cores) for r in ideals)
        reports = [r for r in members if r.method == whole and r.wdp_highs is not None]
        if reports:
            # per instance (winners and the baseline differ between seeds), then the median
            entry["wdp_highs_seconds"] = statistics.median(r.wdp_highs for r in reports)
            entry["winners"] = statistics.median(r.winners for r in reports)
            entry["budget_seconds"] = statistics.median(budget(r.wdp_highs, r.winners) for r in reports)
            entry["report_over_budget"] = statistics.median(r.seconds / budget(r.wdp_highs, r.winners)
                                                            for r in reports)
            entry["within_budget"] = sum(r.seconds <= budget(r.wdp_highs, r.winners) for r in reports)
            # (a HiGHS solve stopped by --time-limit is no baseline: its seconds are the limit's)
            entry["wdp_proven"] = all(bool(r.wdp_proven) for r in reports)
        out.append(entry)
    return out


def _per_seed(rows: Sequence[Row], top: str | None, bottom: str | None) -> list[float]:
    """The ratio of method ``top``'s seconds to method ``bottom``'s, seed by seed, over the seeds
    of ``rows`` (one instance's) that have both."""
    below = {r.seed: r.seconds for r in rows if r.method == bottom and r.seconds > 0}
    return [r.seconds / below[r.seed] for r in rows if r.method == top and r.seed in below]


def _rows_csv(rows: Sequence[Row], path: Path) -> None:
    """perf-rows.csv: one row per instance and method."""
    from instances.spreadsheet import neutral

    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(asdict(rows[0])))
        writer.writeheader()
        writer.writerows({k: neutral(v) for k, v in asdict(r).items()} for r in rows)  # (file names as cells)


def holds_summary(folder: Path, table: list[dict]) -> bool:
    """Whether ``folder``'s perf-summary.json is ``table``, as :func:`write_results` writes it."""
    try:
        return (folder / "perf-summary.json").read_text(encoding="utf-8") == _summary_text(table)
    except (OSError, ValueError):
        return False


def _summary_text(table: list[dict]) -> str:
    return json.dumps(table, indent=2) + "\n"


def write_results(rows: Sequence[Row], table: list[dict], folder: Path) -> None:
    """perf-rows.csv and perf-summary.json, together (``instances.files.written_together``),
    after each instance: a stopped run left the new rows beside the summary of an earlier run
    in the same folder, which disagreed without a word."""
    from instances.files import written_together

    with written_together() as stage:
        stage(folder / "perf-rows.csv", lambda tmp: _rows_csv(rows, tmp))
        stage(folder / "perf-summary.json",
              lambda tmp: tmp.write_text(_summary_text(table), encoding="utf-8"))


