"""Portfolio backend: cabench's own searches where they apply, CP-SAT alone for a short probe,
then a race of several solvers.

The stages of :func:`run`, in order, each ending the solve when it proves the program:

0. a tiny program (at most ``ilp.exhaustive.MOST_VARIABLES`` variables, of few values each): an
   exhaustive search (``ilp.exhaustive``), which spares small instances the import of OR-Tools;
1. sparse plain set packing: the maximum-weight clique search (below);
2. dense plain set packing: the linear relaxation and a small core of it
   (``ilp.relaxation.settle``), then, with the C module and at most :data:`DUAL_BIDS` bids, the
   dual-bounded search (``_dual_stage``: a short CP-SAT probe first when the relaxation's gap is
   small, then ``ilp.dualclique`` for :data:`DUAL_NODES` nodes);
3. in a batch's thread or worker (``SolveOptions.alone``): the solver that won the batch's
   latest race, alone, with no probe and no race;
4. otherwise the CP-SAT probe and the race, as below.

A plain winner-determination program (whole bids, nothing but "each good at most once" and "one
bid per single-choice player") of at least :data:`CLIQUE_MIN_BIDS` bids whose bids are pairwise
compatible in at most :data:`SPARSE` of pairs goes to ``ilp.clique`` first: on such programs
(CATS "arbitrary" bids) it proves in seconds what the other solvers take minutes for, or do not
prove at all, and the one search needs no second core. Its work is capped (:data:`CLIQUE_WORK`):
a program it has not proven by then (many near-ties weaken its bound) goes on as below, with the
clique search as the race's first racer.

Most benchmark programs of small and medium instances are proven by CP-SAT in well under a
second, so the portfolio first gives CP-SAT ``PROBE_WORK`` (deterministic time) in this process. A program still
open after that is raced: one worker process per available core, at least two, each running a
different solver (HiGHS, CP-SAT, SCIP, CBC, in that order; see :func:`racers`). HiGHS proves
large "regions" tables that CP-SAT does not, and CP-SAT is the fastest on mid-sized programs
just beyond the probe (measured by ``cabench perf``; see docs/performance.md).
The first proven optimum wins and the other workers are stopped. "Proven" means accepted by
``ilp.claims``: every answer is checked exactly, and a floating-point racer wins only a program
whose magnitude its tolerances can separate; a program beyond that magnitude is not raced at all
(only CP-SAT could win it): CP-SAT goes on with one search worker per core instead. If nobody proves optimality within the time limit, the best incumbent and the
tightest proven bound are returned, marked FEASIBLE (never as a benchmark value).

Racers are worker processes of ``ilp.workers`` (never a fork: the solvers' own threads make
forking unsafe; never multiprocessing's spawn: it would run the caller's script again). They die
with this process (``ilp.lifetime``); a racer that dies without answering (killed, out of memory)
is noticed at once (its pipe closes) and the race goes on without it, down to CP-SAT in this
process if every racer died. A racer's crash message is kept in the answer's ``error``. ``CABENCH_CORES`` (set by the sweep in its workers) is the
number of cores this process may use: below two there is no race.
"""

from __future__ import annotations

import importlib
import os
import queue as queue_module
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from ilp import claims, clique, dualclique, exhaustive, native, relaxation
from ilp.contract import Answer, SolveOptions
from ilp.formulation import ILP, Formulation
from ilp.program import Status

__all__ = ["CLIQUE_MIN_BIDS", "CLIQUE_WORK", "DUAL_BIDS", "DUAL_NODES", "EXACT", "EXACT_RACERS", "NAME",
           "PROBE_SECONDS", "PROBE_WORK", "QUICK_GAP", "QUICK_WORK", "RACERS", "SPARSE", "available", "cores", "race",
           "racers", "run", "sparse_graph", "usable_cores"]

NAME = "portfolio"
EXACT = True  # it returns only claims that ilp.claims accepts
PROBE_WORK = 1.0
"""The probe's budget in CP-SAT's deterministic time (``max_deterministic_time``), not in seconds:
the probe decides whether CP-SAT's own optimum or a race's winner is the witness, and with a time
limit that depended on the machine's load, so one input could print other witnesses on another
run. With one worker CP-SAT stops at the same point on every run. Measured (2026-12-02 01:36 UTC,
2 shared cores, load 7; MSW with CP-SAT, one worker): deterministic time per wall second 1.03 on
regions 64 / 500 / 10 (2.9 s), 1.10 (seed 1, 1.6 s), 0.93 on regions 32 / 200 / 10 (0.13 s), 0.92 and
1.21 on arbitrary 64 / 500 / 10 and regions 128 / 1000 / 10 (stopped at 5 s); programs of a few
milliseconds count less (0.4-0.7). So 1.0 keeps the former one-second probe's intent."""
PROBE_SECONDS = PROBE_WORK
"""About how long the probe takes (``ilp.batch`` compares solve times with it)."""
SPARSE = 0.4
"""Set-packing programs whose bids are compatible in at most this fraction of pairs go to the
maximum-weight clique search (``ilp.clique``) first, up to :data:`CLIQUE_WORK`, before the
probe, and race with it after. Measured (2026-12-01, 2 cores shared with other jobs; MSW programs, the clique
search against CP-SAT with one worker, 15 s each): on CATS arbitrary files (density 0.25-0.30)
and L2 (0.06) the clique search proves in 0.01-8 s what the integer programming solvers prove in
0.3 s to minutes (see ``ilp.clique``); L6 (0.60) ties (0.29 s against 0.23 s); from L5 (0.76)
up, e.g. L3 (0.86), regions and paths, it is the slower by far or proves nothing in 15 s."""
CLIQUE_MIN_BIDS = 64
"""Smaller programs keep the probe: CP-SAT proves them in milliseconds as well."""


def sparse_graph(ilp: ILP, plain: bool | None = None, built_anyway: bool = False) -> clique.Graph | None:
    """The compatibility graph of ``ilp`` when it goes to the clique search (:data:`SPARSE`,
    :data:`CLIQUE_MIN_BIDS`), else None. ``plain``: ``ilp.clique.applies(ilp)`` if known. With
    ``built_anyway`` also a denser graph whose degrees had to be counted to know its density
    (``ilp.clique.graph``): its density says which, and :func:`run` hands a dense one on to
    the dual-bounded stage instead of building it again."""
    if len(ilp.objective) < CLIQUE_MIN_BIDS or not (clique.applies(ilp) if plain is None else plain):
        return None
    return clique.graph(ilp, densest=SPARSE, built_anyway=built_anyway)
DUAL_NODES = 400_000
"""Nodes of the dual-bounded clique search (``ilp.dualclique``: the relaxation's duals and
subset-row cuts bound every node) on a dense plain program that the relaxation did not settle
(``ilp.relaxation``: CATS "regions", the legacy distributions), between a short CP-SAT probe
(:data:`QUICK_WORK`) and the usual one (:data:`PROBE_WORK`); 0 turns it off. Only with the C
module (``ilp.native``), where 400,000 nodes take about 0.2 s; a count, so the search stops at
the same node on every run. Measured (2026-12-03 16:05 UTC, 2 cores, MSW
of generated instances, each alone, the search's time including its graph and relaxation):
regions 64 / 500 / 10 seeds 0-2 proven in 0.18-0.21 s where the portfolio took 0.5 s to 5 s
(seed 1, in the race), regions 64 / 500 with one player per bidder (seed 1, 101 players) 0.19 s
against 5.1 s, scheduling, matching, decay and weighted-random 64 / 500 in 0.09-0.22 s; not
proven: uniform 64 / 500 (500 one-bid players, 0.36 s spent) and regions 256 / 2000 (2.4 s, most
of it building the graph and the cuts, so programs of more than DUAL_BIDS bids skip it)."""
QUICK_WORK = 0.005
"""A CP-SAT probe in deterministic time (10-20 ms) before the search of :data:`DUAL_NODES`. Where
CP-SAT proves a program at once, the search is slower even when it succeeds (the relaxation and
its cuts alone take about 10 ms on 500 bids), and where it fails it spends 0.2-0.3 s. Measured
(2026-12-03 22:10 UTC, 2 cores; programs of the search's stage sampled from reports): CP-SAT
with 0.005 proved every program of 500 one-bid players of decay (``generate -d decay -m 64 -b
500 -n bidders``, with and without ``--knowledge noisy-lower:0.8``) in 14 ms, where the search
took 15-290 ms and failed on 1 in 20 (400,000 nodes); it proved none of the regions 64 / 500 / 10,
scheduling or uniform programs, at a cost of 13-22 ms each. The decay file with lower-bound
knowledge for everyone (605 programs) took 11-17 s instead of 25-28 s, the others as long as
before (the same values)."""
QUICK_GAP = 0.12
"""The probe of :data:`QUICK_WORK` runs only when the best packing known (the relaxation's
rounding, ``ilp.relaxation``, or a better hint) is within this share of the relaxation's bound
U: U - packing <= QUICK_GAP U. Where it proves a
program the bound is close: on the programs of ``generate -d decay -m 64 -b 500 -n bidders``
(seeds 0, 1, 3, 500 one-bid players, with and without ``--knowledge noisy-lower:0.8``) and
``-m 40 -b 200``, all 690 proven by the probe, the gap was 0.2-8.3 %. Where it proves none it
is wide: regions 64 / 500 (10 players, and one per bidder) 15-57 %; scheduling (1-12 %) and
uniform (2-22 %) are on both sides, and fail either way (the search proves scheduling's).
Measured 2026-12-04, 2 cores: the probe cost 15-25 ms per regions program, a fifth of each."""
DUAL_BIDS = 1_200
"""Most bids of a program given to the search of :data:`DUAL_NODES`."""
RACERS = ("highs", "cpsat", "scip", "cbc")
EXACT_RACERS = ("cpsat", "clique")
"""Racers in exact arithmetic: their claims stand whatever the program's magnitude (``ilp.claims``)."""
CLIQUE_WORK = 30_000_000
"""How much a sparse program's clique search may do (``ilp.clique.work_units``, a count: the
same stop on every run) before CP-SAT's probe and a race in which the clique search goes on.
The search's colouring bound can be weak where many bids nearly tie: on 143 players bidding
within 50 of 10^12 on every bundle of 6 goods (9009 bids, 15 % of pairs compatible) it had not
proven the optimum after 345 s of CPU, which CP-SAT proves in 0.4 s (2026-12-02, 2 shared
cores). The sparse programs it is for take far less: 4.4-12.9 million units (1.6-5.0 CPU s) for
MSW and MSW_-i of generated arbitrary 64 / 1000 / 10 (seeds 0 and 2). The cap is about 11 CPU s
on such graphs in Python, 7 s on that one; the C module (``ilp.native``) does the same work about
25 times as fast (MSW of arbitrary 64 / 1000 / 10 seed 0: 0.32 s against 7.9 s, 2026-12-03)."""


def available() -> bool:
    return True


def usable_cores() -> int:
    """The cores the operating system lets this process run on: its CPU affinity, which a
    cluster's job or ``taskset`` may set below the machine's cores."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def cores() -> int:
    """The cores this process may use: ``CABENCH_CORES`` if set (a sweep divides the machine
    among its workers; a user may set it too), else :func:`usable_cores` (it was every core of
    the machine, so a job given one core still raced its solvers on all of them). The race, a
    batch's automatic ``jobs`` and a sweep's share of the machine all count these."""
    budget = os.environ.get("CABENCH_CORES", "")
    if budget.isascii() and budget.isdigit() and int(budget) >= 1:  # ("²" is a digit to isdigit)
        return int(budget)
    return usable_cores()


def racers(lead: str | None = None, sparse: bool = False, separable: bool = True) -> list[str]:
    """The solvers to race, among those installed: one per core, at least two.

    ``sparse``: a program for the clique search (:data:`SPARSE`), which then comes first (after
    ``lead``); with ``separable`` False, only exact racers (:data:`EXACT_RACERS`) could prove it.

    A first race runs HiGHS and CP-SAT, then SCIP and CBC as cores allow. One racer per core,
    never more: three racers on two cores each ran at two thirds of their speed, and the
    racer that wins is nearly always HiGHS or CP-SAT. Measured (2026-12-01, 2 cores, load
    average 7 to 10, the race at the highest priority; MSW alone, the probe included, one run
    each), three racers against HiGHS and CP-SAT: generated regions 256 / 2000 / 10 (seed 0),
    58.6 s against 38.7 s (HiGHS won); uniform 64 / 500 with one player per bidder (seed 0),
    5.8 s against 4.7 s, and regions 64 / 500, one player per bidder (seed 1), 6.0 s against
    3.3 s (CP-SAT won both). SCIP, third in the race before, won none of them; it used to
    win the sparse CATS "arbitrary" programs, which go to the clique search now (``ilp.clique``).
    Letting the third racer share one core at a lower priority instead kept HiGHS at 38.1 s
    but slowed CP-SAT's wins to 7.1 s.

    With ``lead``, the solver that won the latest race of the same batch (``ilp.batch``), the
    race is a later one: that solver and one other per remaining core, at least two. A later
    race still catches a solver that is slow on the new kind of program (the solver fastest on
    MSW need not be fastest on MSW_{-i}), but the winner runs at full speed: on regions
    256 / 2000 / 10 (seed 0) HiGHS proves MSW_{-0} in 15.9 s alone and in 24.9 s raced against
    two others (2026-12-01, 2 cores, the race's processes at the highest priority)."""
    names = []
    for name in (("clique",) if sparse else ()) + RACERS:
        module = importlib.import_module(f"ilp.{name}")
        if module.available() and (separable or name in EXACT_RACERS):
            names.append(name)
    if lead in names:
        names.remove(lead)
        names.insert(0, lead)
    return names[: max(2, cores())]


def _race_one(name: str, formulation: Formulation, options: SolveOptions, hint: list[int] | None) -> Answer:
    """One racer's solve, in its worker process (``ilp.workers``)."""
    module = importlib.import_module(f"ilp.{name}")
    if name == "highs":
        # this worker has not loaded OR-Tools: HiGHS can run right here (through its usual
        # worker process, stopping this racer would leave that one solving)
        return module.solve_here(formulation.ilp, options.time_limit, options.threads, hint)
    return module.run(formulation, options, hint)


def _better(ilp: ILP, a: Answer, b: Answer) -> Answer:
    """The answer with the better incumbent objective (values present)."""
    if a.values is None:
        return b
    if b.values is None:
        return a

    def objective(values):
        return sum(c * values[k] for k, c in ilp.objective.items())

    if ilp.maximize:
        return a if objective(a.values) >= objective(b.values) else b
    return a if objective(a.values) <= objective(b.values) else b


def run(formulation: Formulation, options: SolveOptions, hint: list[int] | None = None) -> Answer:
    """CP-SAT for a short probe here, then a race (module docstring). The answer's ``solver``
    is the solver whose answer it is: ``ilp.batch`` gives that solver the related programs it
    then solves side by side."""
    if (tiny := exhaustive.run(formulation)) is not None:
        return tiny  # (a tiny program: proven with no import of OR-Tools, ``ilp.exhaustive``)
    from ilp import cpsat  # imported here, not at the top: racer processes must not load OR-Tools

    ilp = formulation.ilp
    options = replace(options, known={})  # the racers need no cache (it would be pickled to each)
    start, limit = time.monotonic(), options.time_limit

    def left() -> float | None:
        """What is left of the time limit (at least 0.01 s: a solver takes no limit of 0)."""
        return None if limit is None else max(0.01, limit - (time.monotonic() - start))

    # whether it is plain set packing, asked once for the clique search and the relaxation
    plain = clique.applies(ilp) if len(ilp.objective) >= CLIQUE_MIN_BIDS else None
    # the graph is built once: a dense one whose density took its degrees to know goes on to
    # the dual-bounded stage below, when that stage can run (about 10 ms per program of regions
    # 64 / 500 / 10); otherwise it is not built beyond its degrees
    staged = bool(DUAL_NODES) and len(ilp.objective) <= DUAL_BIDS and native.available()
    solved: relaxation.Relaxed | None = None  # the linear relaxation, when a stage solves it
    searched: int | None = None  # the bound of a clique search stopped early, when one ran
    whole = sparse_graph(ilp, plain, built_anyway=staged)
    graph = whole if whole is not None and whole.density <= SPARSE else None
    if graph is not None:
        settled = clique.solve_graph(formulation, graph, options, hint, work=CLIQUE_WORK)
        if settled.status in (Status.OPTIMAL, Status.INFEASIBLE):  # (INFEASIBLE: below a core's floor)
            return settled
        hint = settled.values  # the best packing found starts the probe, and the race's clique search
        searched = settled.bound
    elif relaxation.applies(formulation, plain):
        # dense set packing (paths, regions with many players): the relaxation and a small
        # core often prove it in milliseconds (ilp.relaxation); else its rounding starts the probe
        solved = relaxation.relaxed(ilp)
        settled, hint = relaxation.settle(formulation, cpsat, options, hint, solved)
        if settled is not None:
            return settled
        if staged:
            settled, hint = _dual_stage(formulation, options, hint, left, whole, solved)
            if settled is not None:
                return settled

    def bounded(answer: Answer, *more: int | None) -> Answer:
        """``answer`` with the tightest bound any stage found (``more``: those after the ones
        above), when it stopped short of a proof (a solver stopped by the limit may have none,
        and the ranges' bound is looser)."""
        stages = (answer.bound, searched, None if solved is None else solved.bound, *more)
        if answer.status in (Status.OPTIMAL, Status.INFEASIBLE) or all(b is None for b in stages):
            return answer
        return replace(answer, bound=ilp.tightest_bound(*stages))

    if options.alone is not None:
        # beside other programs in a batch's worker (ilp.batch._parallel_options): no probe and
        # no race, the solver that won the batch's latest race goes on alone (CP-SAT where that
        # one could not prove this program: the clique search on a dense program, a
        # floating-point solver beyond its tolerances)
        name = options.alone
        if (name == "clique" and graph is None) or (name not in EXACT_RACERS and not claims.separable(ilp)):
            name = cpsat.NAME
        module = importlib.import_module(f"ilp.{name}")
        answer = module.run(formulation, replace(options, alone=None, time_limit=left()), hint)
        if name in EXACT_RACERS or answer.error is not None:
            return bounded(answer)
        # a floating-point solver's claims are checked as a racer's are (this backend's answers
        # count as exact): a doubted one is proven again by CP-SAT, from its solution
        (status, values, bound), doubted = claims.check(ilp, (answer.status, answer.values, answer.bound), exact=False)
        if not doubted:
            return bounded(Answer(status, values, bound, name))
        return bounded(cpsat.run(formulation, replace(options, alone=None, time_limit=left()), values or hint))
    # the user's time limit still bounds the probe in seconds (a time limit is never reproducible)
    first = cpsat.run(formulation, options, hint, work=PROBE_WORK) if PROBE_WORK > 0 else Answer(Status.UNKNOWN)
    if first.status in (Status.OPTIMAL, Status.INFEASIBLE):
        return first
    if limit is not None and time.monotonic() - start >= limit:
        # the limit is spent: a race would start its processes (about half a second) only to
        # stop them, for every program (a report of 15 programs with --time-limit 0.001 took
        # 4.7 s where it takes 0.8 s without a limit); the best packing known, unproven
        if first.bound is None and searched is None and solved is None and relaxation.applies(formulation, plain):
            solved = relaxation.relaxed(ilp)  # (milliseconds: an interval rather than none)
        bound = ilp.tightest_bound(first.bound, searched, None if solved is None else solved.bound)
        known = _better(ilp, first, Answer(Status.FEASIBLE, hint, bound, first.solver))
        return replace(known, bound=bound) if known.values is not None else replace(first, bound=bound)
    options = replace(options, time_limit=left())
    hint = hint if first.values is None else first.values
    if cores() < 2:  # one core is no place for a race
        if graph is not None:
            return bounded(clique.solve_graph(formulation, graph, options, hint), first.bound)
        return bounded(cpsat.run(formulation, options, hint), first.bound)
    if graph is not None:
        # the clique search races on: it proves sparse programs that the other solvers do not
        # (CP-SAT then, on a program beyond the floating-point racers' tolerances)
        return bounded(race(formulation, options, first, hint, sparse=True), first.bound)
    if not claims.separable(ilp):
        # no floating-point racer could prove a program beyond their tolerances (ilp.claims), so
        # there is no race: CP-SAT alone goes on, with one search worker per core (the witness
        # may then differ between runs among equally good optima, as a race's does; the value
        # cannot). Real CATS files have such magnitudes (prices with five decimals). Measured
        # (2026-12-01, 2 shared cores): CP-SAT proves the MSW of the real CATS paths file at
        # 256 goods / 2000 bids in 22 s with two workers against 114 s with one; the regions
        # files at 64 / 500 (seeds 1-3) in 2.9, 2.8 and 0.8 s against 5.6, 3.3 and 2.2 s.
        return bounded(cpsat.run(formulation, replace(options, threads=max(options.threads, cores())), hint),
                       first.bound)
    return bounded(race(formulation, options, first, hint), first.bound)


def _dual_stage(formulation: Formulation, options: SolveOptions, hint: list[int] | None,
                left: Callable[[], float | None], graph: clique.Graph | None = None,
                solved: relaxation.Relaxed | None = None) -> tuple[Answer | None, list[int] | None]:
    """``(answer, hint)`` for a dense plain program that the relaxation did not settle: a CP-SAT
    probe of :data:`QUICK_WORK` when the relaxation's bound is within :data:`QUICK_GAP` of the
    best packing known, then the dual-bounded clique search on the whole program
    (``ilp.dualclique``) for :data:`DUAL_NODES` nodes, in C only (in Python it would cost
    seconds where it fails). ``graph`` and ``solved``: the program's compatibility graph and
    solved relaxation (``ilp.relaxation.relaxed``), if built already. ``answer`` is a proven one
    or None; ``hint`` the best packing found."""
    from ilp import cpsat

    if (work := min(QUICK_WORK, PROBE_WORK)) > 0 and _close(formulation.ilp, solved, hint):
        quick = cpsat.run(formulation, replace(options, time_limit=left()), hint, work=work)
        if quick.status in (Status.OPTIMAL, Status.INFEASIBLE):
            return quick, hint
        hint = _better(formulation.ilp, Answer(Status.FEASIBLE, hint), quick).values
    settled = dualclique.run(formulation, replace(options, time_limit=left()), hint, max_nodes=DUAL_NODES,
                             native_only=True, graph=graph, primal=None if solved is None else solved.primal)
    if settled.status in (Status.OPTIMAL, Status.INFEASIBLE):
        # named as CP-SAT, as relaxation.settle names its answers: a batch gives the programs it
        # solves next the backend of the latest answer (ilp.batch._parallel_options), which
        # must not be the bare clique search
        return replace(settled, solver=cpsat.NAME), hint
    return None, settled.values or hint


def _close(ilp: ILP, solved: relaxation.Relaxed | None, hint: list[int] | None) -> bool:
    """Whether the relaxation's bound is within :data:`QUICK_GAP` of the packing ``hint`` (True
    when either is unknown): where the short probe can prove the program."""
    if solved is None or hint is None or len(hint) != len(ilp.names) or solved.bound <= 0:
        return True
    return solved.bound - claims.objective(ilp, hint) <= QUICK_GAP * solved.bound


def race(formulation: Formulation, options: SolveOptions, incumbent: Answer = Answer(Status.UNKNOWN),
         hint: list[int] | None = None, sparse: bool = False) -> Answer:
    """Run the racers in parallel worker processes; the first proven answer wins. ``sparse``: a
    program for the clique search (:data:`SPARSE`), which then runs as the first racer."""
    from ilp.workers import OVERRUN, Worker, WorkerDied

    ilp = formulation.ilp
    # what is pickled to each racer: the formulation is built, so no cache of blocks, no known
    # solutions, and never the report's shared worker processes (``ilp.batch.shared_workers``),
    # which cannot be pickled: each racer then failed at once and the program fell back to
    # CP-SAT with one worker in this process, without a race (every report run inside
    # ``shared_workers``; regions 256 / 2000 / 10's MSW went unproven for minutes)
    options = options.sendable()
    names = racers(options.lead, sparse=sparse, separable=claims.separable(ilp))
    answers: queue_module.Queue = queue_module.Queue()
    workers = {name: Worker() for name in names}

    def play(name: str) -> None:
        try:
            answer = workers[name].call(_race_one, name, formulation, options, hint)
        except WorkerDied as exc:  # killed, out of memory, or stopped because another won
            answer = Answer(Status.UNKNOWN, solver=name, error=str(exc))
        except Exception as exc:  # a crash of the solver: kept, so the race does not hide it
            answer = Answer(Status.UNKNOWN, solver=name, error=f"{type(exc).__name__}: {exc}")
        answers.put((name, answer))

    for name in names:
        threading.Thread(target=play, args=(name,), name=f"cabench-racer-{name}", daemon=True).start()
    best = incumbent
    bounds = [incumbent.bound] if incumbent.bound is not None else []
    errors: list[str] = []
    pending = set(names)
    deadline = None if options.time_limit is None else time.monotonic() + options.time_limit + OVERRUN
    try:
        while pending:
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                break  # a worker overran its own limit by far: give up on it
            try:
                name, answer = answers.get(timeout=wait)
            except queue_module.Empty:
                break
            pending.discard(name)
            if answer.error is not None:
                errors.append(f"{name}: {answer.error}")
                continue
            (status, values, bound), _ = claims.check(ilp, (answer.status, answer.values, answer.bound),
                                                      exact=name in EXACT_RACERS)
            if status in (Status.OPTIMAL, Status.INFEASIBLE):
                return Answer(status, values, bound, name)
            best = _better(ilp, best, Answer(status, values, bound, name))
            if bound is not None:
                bounds.append(bound)
    finally:
        for worker in workers.values():
            worker.stop()
    error = "; ".join(errors) or None
    if len(errors) == len(names):
        # every racer died (the out-of-memory killer, most likely): CP-SAT here, if time is left
        from ilp import cpsat

        left = None if deadline is None else deadline - OVERRUN - time.monotonic()
        if left is None or left > 0:
            answer = cpsat.run(formulation, replace(options, time_limit=left), hint if best.values is None else best.values)
            return replace(answer, error=error)
    if best.values is None:
        return Answer(Status.UNKNOWN, error=error)
    tight = (min(bounds) if ilp.maximize else max(bounds)) if bounds else None
    return Answer(Status.FEASIBLE, best.values, tight, best.solver or NAME, error)
