"""The full benchmark table of an instance, and its JSON form (the output of ``cabench benchmarks``)."""

from __future__ import annotations

import gc
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from benchmarks.correctness import Correctness, knowledge_verdicts
from benchmarks.external import bb, bb_prime, miew_of
from benchmarks.intervals import (
    best_allocations,
    best_bundle_bound,
    narrowed_agent,
    narrowed_player,
    narrowed_tie_break,
    raised_by_welfare,
    without_player,
)
from benchmarks.known import mkw
from benchmarks.market import endowment_welfare, truthful_outcome
from benchmarks.results import Benchmark, Best, Outcome, from_solution
from benchmarks.table import ReportPlan, Weights, knows_nothing
from ilp import Program, Solution, SolveOptions, Status, solve_batch
from ilp.batch import Arrivals, LexFirst, Progress, frozen_heap, shared_workers
from instances import Instance, LowerBounds
from instances.bundles import members as goods_in
from instances.bundles import names
from instances.spreadsheet import records_csv

__all__ = ["AgentRow", "BENCHMARK_COLUMNS", "COALITION_COLUMNS", "EarlyWelfare", "PLAYER_COLUMNS", "PlayerRow",
           "Report", "benchmark_json", "benchmark_rows", "coalition_rows", "coalitions_csv", "compute_report",
           "data_frame", "integer_columns", "outcome_json", "player_rows", "players_csv", "report_json"]


@dataclass(frozen=True)
class PlayerRow:
    player: int
    miew: Benchmark
    mikw: Benchmark
    msw_without: Benchmark
    correctness: Correctness


@dataclass(frozen=True)
class AgentRow:
    members: tuple[int, ...]
    mkw: Benchmark
    best_allocation: Benchmark


@dataclass(frozen=True)
class Report:
    """Every benchmark of docs/definitions.md ("Benchmarks") for one instance, each proven
    optimal with its witness or reported as the interval its program reached, narrowed by the
    relations between the benchmarks (``benchmarks.intervals``).

    Attributes
    ----------
    instance : Instance
        The instance, as computed (its knowledge and coalitions included).
    solver : str
        The backend asked for (``--solver``); each :class:`Benchmark` names the one that proved it.
    msw : Benchmark
        MSW, the maximum social welfare (seed 002 §2; seed 000 §1.2).
    lex_first : Benchmark
        The lexicographically first allocation of welfare MSW (seed 002 Lemma 3).
    players : tuple of PlayerRow
        Per player i, in file order: MIEW_i = BB_i (seed 001 Definitions 2-3; seed 004
        Definition 2), MIKW_i (seed 000 Definition 3), MSW_-i, and whether i's knowledge is
        correct.
    agents : tuple of AgentRow
        Per agent (seed 000 Definition 5: a coalition, or an independent player as an agent of one), in
        order of lowest member (``Instance.agents``): MKW_A (seed 000 Definition 6; an independent player's
        MKW_{i} is its MIKW_i) and the best allocation BA^A (seed 000 Appendix A).
    miew, bb, bb_prime, mkw : Best
        MIEW(K_I) over the independent players (seed 001 Definition 3), BB over all players and
        BB' over the independent ones (seed 004 Definition 2, §6.2.3), MKW over the agents (seed
        000 Definitions 3 and 6), each with the player or agent attaining it.
    market : Benchmark or None
        A market's truthful outcome (seed 003 Appendix A, Definition 7); None for an auction.
    wall_time : float
        Seconds the report took (not compared: two equal reports may take different times).
    """

    instance: Instance
    solver: str
    msw: Benchmark
    lex_first: Benchmark
    players: tuple[PlayerRow, ...]
    agents: tuple[AgentRow, ...]
    miew: Best
    bb: Best
    bb_prime: Best
    mkw: Best
    market: Benchmark | None
    wall_time: float = field(compare=False)

    def __repr__(self) -> str:
        # One line (the dataclass's repr holds every witness: megabytes at 500 players)
        msw = self.msw.value if self.msw.value is not None else "not proven"
        proven = "all proven" if self.all_proven else "not all proven"
        return (f"<Report of {self.instance.name!r}: MSW {msw}, {len(self.players)} players, "
                f"{len(self.agents)} agents, {proven}>")

    @property
    def benchmarks(self) -> list[Benchmark]:
        """Every benchmark of the report, in the order of the JSON output: MSW, the
        lexicographically first allocation, each player's MIEW_i, MIKW_i and MSW_-i, each
        agent's MKW_A and BA^C, and the market's truthful outcome."""
        out = [self.msw, self.lex_first]
        for p in self.players:
            out += [p.miew, p.mikw, p.msw_without]
        for a in self.agents:
            out += [a.mkw, a.best_allocation]
        if self.market is not None:
            out.append(self.market)
        return out

    @property
    def all_proven(self) -> bool:
        """Whether every benchmark was proven optimal (``cabench benchmarks`` exits 3 if not)."""
        return all(b.proven for b in self.benchmarks)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` output of ``cabench benchmarks`` (:func:`report_json`)."""
        return report_json(self)

    def rows(self) -> list[dict[str, Any]]:
        """One record per benchmark (:func:`benchmark_rows`)."""
        return benchmark_rows(self)

    def to_frame(self):
        """:meth:`rows` as a pandas DataFrame (:func:`data_frame`)."""
        return integer_columns(data_frame(self.rows(), BENCHMARK_COLUMNS), ("value", "incumbent", "bound"))

    def player_rows(self) -> list[dict[str, Any]]:
        """One record per player, in file order (:func:`player_rows`): the columns of
        ``cabench benchmarks --players-csv`` (:data:`PLAYER_COLUMNS`)."""
        return player_rows(self)

    def players_frame(self):
        """:meth:`player_rows` as a pandas DataFrame, one row per player: the same columns and
        cells as ``--players-csv`` (``frame.to_csv(index=False)`` writes the same text, but for
        a name a spreadsheet would read as a formula, which the CSV gives a leading apostrophe:
        ``instances.spreadsheet``; the frame keeps it as written).
        ``MIEW``, ``MIKW`` and ``MSW_without`` are integers (missing where not proven; the
        ``*_status`` column says why), in integer units as in the JSON (the instance's ``scale``
        says the power of ten). Needs pandas, as :meth:`to_frame` does.

        Examples
        --------
        >>> from benchmarks import compute_report
        >>> from instances import load_instance
        >>> report = compute_report(load_instance("instances/examples/seed004-example.json"))
        >>> report.players_frame()[["player", "MIEW", "MIKW", "knowledge_correct"]]
          player  MIEW  MIKW  knowledge_correct
        0     p1    25   125               True
        1     p2   100   180              False
        2     p3   150   150               True
        """
        return integer_columns(data_frame(self.player_rows(), PLAYER_COLUMNS), ("MIEW", "MIKW", "MSW_without"))

    def players_csv(self) -> str:
        """The text ``cabench benchmarks --players-csv`` writes (:func:`players_csv`)."""
        return players_csv(self)

    def coalition_rows(self) -> list[dict[str, Any]]:
        """One record per coalition (agent of two or more players), in file order
        (:func:`coalition_rows`): the columns of ``--coalitions-csv`` (:data:`COALITION_COLUMNS`)."""
        return coalition_rows(self)

    def coalitions_frame(self):
        """:meth:`coalition_rows` as a pandas DataFrame (``MKW`` and ``BA`` integers, missing
        where not proven), the same cells as ``--coalitions-csv`` (but for names a spreadsheet
        would read as formulas, neutralised there as in :meth:`players_frame`)."""
        return integer_columns(data_frame(self.coalition_rows(), COALITION_COLUMNS), ("MKW", "BA"))

    def coalitions_csv(self) -> str:
        """The text ``cabench benchmarks --coalitions-csv`` writes (:func:`coalitions_csv`)."""
        return coalitions_csv(self)


def integer_columns(frame, columns: tuple[str, ...]):
    """``frame`` with ``columns`` as pandas' nullable integers: integers stay integers next to
    missing values (unproven ones); beyond 64 bits they stay Python integers."""
    try:
        return frame.astype({c: "Int64" for c in columns})
    except (OverflowError, TypeError, ValueError):
        return frame


def compute_report(instance: Instance, options: SolveOptions | str | None = None, *,
                   progress: Progress | None = None, early: "EarlyWelfare | None" = None,
                   witnesses: str = "solver") -> Report:
    """Compute the whole table; ``options.time_limit`` applies to each integer program separately.

    The programs (``benchmarks.table.ReportPlan``) are solved as one batch (``ilp.solve_batch``,
    ``options.jobs`` worker processes, None = automatic), which also takes, as soon as MSW is
    solved, MSW_{-i} for the players who win something in MSW's optimum and the lexicographic
    tie-break; this gives the same values as solving every benchmark one by one.
    ``progress(done, total)`` follows the batch.

    Parameters
    ----------
    instance : Instance
        The instance.
    options : SolveOptions, str or None, optional
        How to solve (:class:`ilp.SolveOptions`: backend, time limit per program, jobs), or just a
        backend's name of ``ilp.backend_names()`` (``"portfolio"``, the default, ``"cpsat"``,
        ``"cbc"``, ``"scip"``, ``"highs"``, ``"brute"`` or ``"clique"``). Values never
        depend on the backend. A program not proven optimal within the time limit returns a
        result whose ``value`` is None (with ``incumbent`` and ``bound``).
    progress : callable or None, optional
        Called as ``progress(done, total)``.
    early : EarlyWelfare or None, optional
        MSW, its winners' MSW_{-i} and its tie-break, started while ``instance`` was read
        (:class:`EarlyWelfare`): taken from there instead of solved again.
    witnesses : {"solver", "canonical"}, optional
        ``"solver"``: each witness is the optimum the solver returned, which may differ between
        backends, core counts and runs when several allocations are optimal. ``"canonical"``:
        each is the optimal allocation with the lexicographically smallest owner vector (seed
        002 Lemma 3's rule of omega*, ``ilp.canonical``), the same whatever the backend, core
        count or run. Values are the same either way.

    Returns
    -------
    Report
        Every benchmark of docs/definitions.md: ``msw``, ``lex_first``, ``players`` (per player: ``miew``, ``mikw``, ``msw_without``,
        ``correctness``), ``agents`` (per agent: ``mkw``, ``best_allocation``), the maxima ``miew``,
        ``bb``, ``bb_prime``, ``mkw`` (each a Best), and ``market`` (markets only).
        ``all_proven`` says whether every value is proven.

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from benchmarks import compute_report
    >>> report = compute_report(inst)
    >>> report.msw.value, report.bb.value, report.mkw.value, report.all_proven
    (200, 150, 180, True)
    >>> [row.miew.value for row in report.players]
    [25, 100, 150]
    """
    start = time.perf_counter()
    # The instance and the plan live through the report and hold no cycles (a 500-player file
    # with knowledge: millions of objects, n^2 weights). Left to the cyclic collector, they were
    # walked again and again while the plan was built (most of the planning time) and while
    # the programs were solved; the plan is built with the collector paused, then both are
    # frozen (never walked) until the report is done.
    with shared_workers(options) as options:  # started first (see there); MSW_{-i} (in _compute) reuses them
        if early is not None and not early.serves(instance, options):
            early.discard()  # (its solves share the workers, which serve one batch at a time)
            early = None
        try:
            enabled = gc.isenabled()
            gc.disable()
            try:
                plan = ReportPlan.of(instance) if early is None else early.plan(instance)
                programs = plan.programs()
            finally:
                if enabled:
                    gc.enable()
            # Whether each player's knowledge is correct needs no solution: decided in a thread
            # while the programs are solved (the worker processes, or a solver that releases the
            # interpreter), not after them (250,000 lower bounds at 500 players).
            verdicts = _Background(lambda: knowledge_verdicts(instance))
            with frozen_heap():
                if early is None:
                    # what waits for MSW joins the batch as soon as MSW is solved, while the workers
                    # are still busy with the knowledge programs (no second round after the first)
                    solutions = solve_batch(programs, options, progress=progress, after={0: partial(_after_msw, plan)},
                                            bounds=plan.bounds())
                else:  # the batch started while the file was read: the rest of its programs join it
                    solutions = early.solutions(programs, progress, plan.bounds())
                if witnesses == "canonical":
                    solutions = _canonical(plan, programs, solutions, options)
                return _compute(instance, plan, programs, solutions, options, start, verdicts.result())
        except BaseException:
            if early is not None:
                # the batch's thread waits for programs that will not come: it ends once the
                # requests under way end or the workers stop (never waited for here)
                early.failed()
            raise


def _after_msw(plan: "ReportPlan | EarlyWelfare", welfare: Solution) -> list[Program | LexFirst]:
    """What the report solves once MSW's ``welfare`` is known: MSW_{-i} for each player i who
    wins something in it, when it is proven (for the others MSW_{-i} = MSW, see
    ``ReportPlan``; with MSW unproven, :func:`_without_unproven`), then the lexicographically
    first optimum (seed 002 Lemma 3's omega*) from it. With exact knowledge MSW_{-i} is MIEW_i
    itself, solved once (``ilp.solve_batch`` keys programs by value)."""
    winners = [i for i, bundle in enumerate(welfare.allocation or ()) if bundle] if welfare.optimal else []
    return [*(plan.msw_without(i) for i in winners), LexFirst(plan.msw, welfare)]


def _canonical(plan: ReportPlan, programs: list[Program], solutions: list[Solution],
               options: SolveOptions) -> list[Solution]:
    """``solutions`` (the batch's: ``programs``', then :func:`_after_msw`'s) with every witness
    canonical (``ilp.canonical``), in the layout :func:`_compute` reads: MSW's is the
    lexicographically first allocation already computed (or, its tie-break not proven, the
    earliest optimum it met: MSW withheld), and MSW_{-i} is listed for each player who wins
    something in it (for the others MSW_{-i}'s canonical witness is MSW's)."""
    from ilp.canonical import canonical_solutions, withheld

    welfare, lex = solutions[0], solutions[-1]
    if not welfare.optimal:
        # MSW unproven (_compute gives MSW_{-i} intervals, and no MSW_{-i} was solved): the
        # other programs' proven witnesses are ordered all the same
        ordered = canonical_solutions(programs[1:], solutions[1:len(programs)], options)
        return [welfare, *ordered, lex]
    # MSW's witness: the lexicographically first optimum, or, when its tie-break was not proven
    # in the time limit, the earliest optimum it met (MSW withheld: its value known, its witness
    # not proven the first; ``_compute`` then reads MSW_{-i} as for a proven MSW)
    msw_witness = lex if lex.optimal else withheld(welfare, lex)
    removed = dict(zip(_after_msw(plan, welfare)[:-1], solutions[len(programs):-1]))
    winners = [i for i, bundle in enumerate(msw_witness.allocation) if bundle]
    # MSW_{-i} of a winner of that witness who won nothing in the solver's: the solver's MSW
    # witness, optimal for it (``ReportPlan``), then ordered
    without = [plan.msw_without(i) for i in winners]
    pairs = [*zip(programs[1:], solutions[1:len(programs)]),
             *((p, removed.get(p, welfare)) for p in without)]
    ordered = canonical_solutions([p for p, _ in pairs], [s for _, s in pairs], options,
                                  known={plan.msw: lex} if lex.optimal else None)
    return [msw_witness, *ordered, lex]


class EarlyWelfare:
    """The report's batch of programs, started while the file is read: MSW, MSW_{-i} of each
    player who wins something in it (docs/definitions.md, "MSW" and "MSW_-i") and the
    lexicographically first optimal allocation (seed 002 Lemma 3's omega*) as soon as the true
    valuations are read, then each player's MIKW_i (seed 000 Definition 3) as soon as that
    player's lower bounds are read, in the background, on the worker processes.

    ``cabench benchmarks`` with ``--jobs`` of 2 or more: a 500-player file with knowledge is
    250,000 lower bounds, which take this process over a second to read and to plan, while the
    worker processes, ready by then, had nothing to solve. :meth:`start` is the ``on_valuations``
    of ``instances.load_instance``, and the :class:`instances.loader.KnowledgeReader` that
    follows the rest of the reading. :func:`compute_report` then plans the rest (``ReportPlan``,
    with the rows and MIKW_i programs made here) and closes the batch with the whole list of
    programs (``ilp.batch.Arrivals``): it is the report's own batch, given its programs over time
    instead of at once, so it finds the same solutions: the same programs, options, warm starts
    (MSW_{-i} from MSW, MIEW_i from MIKW_i, looked up once every program is known) and
    tie-break (``_after_msw``), and a program's solution does not depend on what else is being
    solved (``ilp.batch``). Nothing starts without worker processes, and nothing waits for it: a
    file found invalid later abandons the batch and ends the command with its error, the
    workers killed mid-solve (``ilp.batch.shared_workers``).

    Only a player's lower bounds are followed (MIKW_i of a player who knows nothing, and
    candidate sets, are planned with the rest): they are what makes a file large."""

    def __init__(self, options: SolveOptions) -> None:
        self.options = options
        self.valuations: tuple | None = None
        self.msw: Program | None = None
        self.weights: Weights | None = None
        self.mikw: dict[int, Program] = {}  # MIKW_i made while the file was read, by player
        self.made_of: dict[int, Any] = {}  # the knowledge they were made of, by player
        self._reading: _Reading | None = None
        self._arrivals = Arrivals()
        self._run: _Background | None = None

    @staticmethod
    def wanted(options: SolveOptions) -> bool:
        """Whether to start early: with worker processes started ahead (``--jobs`` 2 or more;
        automatic ``--jobs`` solves MSW in this process first, see ``ilp.batch``)."""
        return options.workers is not None and options.jobs is not None and options.jobs > 1

    def start(self, m: int, valuations: tuple) -> "EarlyWelfare":
        """Start solving MSW of ``valuations`` (the instance's tuple) over ``m`` goods; returns
        this object, which then follows the knowledge as it is read (:meth:`knowledge`)."""
        self.valuations = valuations
        self._reading = _Reading(valuations, [None] * len(valuations))
        self.weights = Weights(self._reading)  # type: ignore[arg-type]
        self.msw = Program(m, self.weights.true)
        # (the collector is left alone: the reading thread pauses it and freezes what it built)
        self._run = _Background(lambda: solve_batch([self.msw], self.options, after={0: partial(_after_msw, self)},
                                                    freeze=False, more=self._arrivals))
        return self

    def knowledge(self, i: int, knowledge: Any) -> None:
        """Player ``i``'s knowledge, just read: with lower bounds on others, not all 0
        (``benchmarks.table.knows_nothing``, as ``ReportPlan`` reads them), MIKW_i joins the batch."""
        self._reading.knowledge[i] = knowledge
        if isinstance(knowledge, LowerBounds) and not knows_nothing(self._reading, i):
            program = self.mikw[i] = Program(self.msw.n_goods, self.weights.row(i))
            self.made_of[i] = knowledge
            self._arrivals.add((program,))

    def failed(self) -> None:
        """The file proved invalid: the batch sends nothing more (the workers end with the command)."""
        self._arrivals.abandon()

    def msw_without(self, i: int) -> Program:
        """MSW_{-i}'s program (``ReportPlan.msw_without``)."""
        return self.msw.without(i)

    def serves(self, instance: Instance, options: SolveOptions) -> bool:
        """True when started on this instance's own valuations and knowledge, with these options."""
        return self._run is not None and instance.valuations is self.valuations and options == self.options and (
            options.workers is self.options.workers) and all(
            instance.knowledge[i] is known for i, known in self.made_of.items())

    def plan(self, instance: Instance) -> ReportPlan:
        """The report's plan of ``instance`` (which it :meth:`serves`), with what was made here."""
        return ReportPlan.of(instance, weights=self.weights, mikw_made=self.mikw)

    def solutions(self, programs: list[Program], progress: Progress | None = None,
                  bounds: dict[int, Program] | None = None) -> list[Solution]:
        """The batch's solutions, once ``programs`` (the plan's, MSW first) are all in it: one per
        program, then MSW_{-i}'s of MSW's winners (in player order), then the tie-break's (waits
        for them; an error of the solves is raised here). ``progress`` follows the batch;
        ``bounds``: the plan's (``ReportPlan.bounds``)."""
        self._arrivals.close(programs, progress, bounds)
        return self._run.result()

    def discard(self) -> None:
        """Give the batch up and wait until the requests under way end, their results unused (a
        report of another instance or other options): a batch of its own on the same worker
        processes must not start while they still serve this one."""
        if self._run is not None:
            self._arrivals.abandon()
            self._run.wait()


@dataclass
class _Reading:
    """What ``Weights`` reads of an instance still being read (:class:`EarlyWelfare`)."""

    valuations: tuple
    knowledge: list

    @property
    def n(self) -> int:
        return len(self.valuations)


class _Background:
    """``function()`` run in a daemon thread: a report that is interrupted or fails exits at
    once, never waiting for it. :meth:`result` waits for it and returns its value or raises."""

    def __init__(self, function: Callable[[], Any]) -> None:
        self._outcome: tuple[bool, Any] = (False, None)
        self._thread = threading.Thread(target=self._run, args=(function,), name="cabench-background", daemon=True)
        self._thread.start()

    def _run(self, function: Callable[[], Any]) -> None:
        try:
            self._outcome = (True, function())
        except BaseException as exc:  # raised again in the caller's thread by result()
            self._outcome = (False, exc)

    def wait(self) -> None:
        """Wait for ``function`` to end, whatever it returns or raises."""
        self._thread.join()

    def result(self) -> Any:
        self.wait()
        done, value = self._outcome
        if not done:
            raise value
        return value


@dataclass
class _Shared:
    """What a report's benchmarks share, keyed by the ids of objects the report keeps alive
    (the plan's weights and programs, the batch's solutions), so ids stay unique: ``prices``,
    w(bundle) by (weight, bundle); ``benchmarks``, a wrapped solution by (solution, weights,
    restriction). With exact knowledge every MIKW_i is MSW's program with MSW's solution: its
    witness is built and priced once for all n players (one outcome object, which the JSON
    writer also renders once), not once per player."""

    prices: dict[tuple[int, int], int] = field(default_factory=dict)
    benchmarks: dict[tuple, Benchmark] = field(default_factory=dict)


def _benchmark(name: str, program: Program, solution: Solution, priced: bool,
               players: tuple[int, ...] | None = None, n: int | None = None,
               shared: _Shared | None = None) -> Benchmark:
    """``benchmarks.solving.solve_program`` for a solution already found: with ``priced`` the
    witness prices are each player's weight of its bundle (the take-it-or-leave-it offers).
    ``players``: the instance's players of a restricted program (``ReportPlan``), of ``n``.
    ``shared``: the report's cache (:class:`_Shared`)."""
    shared = _Shared() if shared is None else shared
    key = (id(solution), id(program.weights), priced, players)
    known = shared.benchmarks.get(key)
    if known is not None:
        return replace(known, name=name)
    if not priced:
        made = from_solution(name, solution, players=players, n=n)
    else:
        weights, cache = program.weights, shared.prices

        def price(k: int, bundle: int) -> int:
            weight = weights[k]
            if weight is None:
                return 0
            value = cache.get((id(weight), bundle))
            if value is None:
                value = cache[id(weight), bundle] = weight.value(bundle)
            return value

        made = from_solution(name, solution, price, players=players, n=n)
    shared.benchmarks[key] = made
    return made


def _without_unproven(plan: ReportPlan, welfare: Solution, i: int | None) -> Solution:
    """MSW_{-i} when MSW itself is not proven: its interval, without a solve. Every MSW_{-i}
    program is MSW's with one player removed, as hard as MSW and n of them, so solving them
    would multiply the time spent on an instance whose MSW the time limit could not prove (200
    players: 200 more solves to the limit). MSW's incumbent with player i's bundle dropped is
    feasible for MSW_{-i}, and MSW_{-i} <= MSW <= MSW's proven bound (docs/definitions.md,
    "MSW_-i": fewer players, no larger optimum); the value is withheld, as for any unproven
    program. ``i`` None: a player who wins nothing in MSW's incumbent (the incumbent as it is)."""
    if welfare.allocation is None:
        return replace(welfare, wall_time=0.0)
    if i is None:
        return Solution(Status.FEASIBLE, welfare.allocation, plan.msw.total(welfare.allocation), welfare.bound,
                        welfare.backend, 0.0)
    allocation = tuple(0 if j == i else a for j, a in enumerate(welfare.allocation))
    value = plan.msw_without(i).total(allocation)
    return Solution(Status.FEASIBLE, allocation, value, welfare.bound, welfare.backend, 0.0)


def _nothing(name: str, empty: Outcome, solver: str) -> Benchmark:
    """MIEW_i of a player who knows nothing: 0, proven, with the empty outcome (ReportPlan)."""
    return Benchmark(name, Status.OPTIMAL, 0, 0, 0, empty, solver, 0.0)


def _compute(instance: Instance, plan: ReportPlan, programs: list[Program], solutions: list[Solution],
             options: SolveOptions, start: float, verdicts: list[Correctness]) -> Report:
    solver = options.backend
    names = instance.players
    n = instance.n
    found = iter(solutions)
    welfare_solution = next(found)
    welfare = from_solution("MSW", welfare_solution)
    miew_solutions = [next(found) if p is not None else None for p in plan.miew]
    mikw_solutions = [next(found) for _ in plan.mikw]
    agent_solutions = [(next(found), next(found)) for _ in plan.agents]
    *removed, lex_solution = found  # what _after_msw added
    if welfare.proven or welfare_solution.withheld:
        # MSW_{-i} = MSW for a player who wins nothing in MSW's witness (welfare.msw_without);
        # with MSW withheld (its tie-break not proven: the value known, the witness an optimum)
        # they are withheld alike, and the winners' MSW_{-i} solved (_canonical)
        without = dict(zip(welfare.outcome.holders, removed))
        losers = welfare
    else:
        # MSW_{-i}'s interval, one for all the players who win nothing in MSW's incumbent, made
        # once (made per player, n allocations of n players: 10,000 players, 24 s)
        held = welfare_solution.allocation or ()
        without = {i: _without_unproven(plan, welfare_solution, i) for i, bundle in enumerate(held) if bundle}
        losers = from_solution("MSW_-i", _without_unproven(plan, welfare_solution, None))
    empty = Outcome.sparse(n, (), ())  # one object for every MIEW_i of a player who knows nothing
    shared = _Shared()  # witnesses and prices built once (exact knowledge: MIKW_i is MSW n times)
    players = []
    for i in range(n):
        if i in without:
            msw_i = from_solution(f"MSW_-{names[i]}", without[i])
        else:  # the same witness object for all: no copy per player
            msw_i = replace(losers, name=f"MSW_-{names[i]}", wall_time=0.0)
        miew_program = plan.miew[i]
        players.append(PlayerRow(
            player=i,
            miew=(_nothing(f"MIEW_{names[i]}", empty, solver) if miew_program is None
                  else _benchmark(f"MIEW_{names[i]}", miew_program, miew_solutions[i], priced=True,
                                  shared=shared)),
            mikw=_benchmark(f"MIKW_{names[i]}", plan.mikw[i], mikw_solutions[i], priced=True,
                            players=plan.mikw_players[i], n=n, shared=shared),
            msw_without=msw_i,
            correctness=verdicts[i],
        ))
    agents = []
    for members, (known, best), (known_solution, best_solution) in zip(instance.agents, plan.agents,
                                                                       agent_solutions):
        label = ",".join(names[j] for j in members)
        known_players = plan.mikw_players[members[0]] if len(members) == 1 else None
        agents.append(AgentRow(members,
                               _benchmark(f"MKW_{{{label}}}", known, known_solution, priced=True,
                                          players=known_players, n=n, shared=shared),
                               _benchmark(f"BA^{{{label}}}", best, best_solution, priced=False,
                                          players=members, n=n, shared=shared)))
    welfare, players, agents = _narrowed(instance, welfare, players, agents)
    per_player = [row.miew for row in players]
    return Report(
        instance=instance,
        solver=solver,
        msw=welfare,
        lex_first=narrowed_tie_break(from_solution("lex-first MSW allocation", lex_solution), welfare, instance),
        players=tuple(players),
        agents=tuple(agents),
        miew=miew_of(instance, per_player),
        bb=bb(instance, per_player),
        bb_prime=bb_prime(instance, per_player),
        mkw=mkw(instance, [(row.members, row.mkw) for row in agents]),
        market=truthful_outcome(instance, optimum=welfare, options=options) if instance.is_market else None,
        wall_time=time.perf_counter() - start,
    )


def _narrowed(instance: Instance, welfare: Benchmark, players: list[PlayerRow],
              agents: list[AgentRow]) -> tuple[Benchmark, list[PlayerRow], list[AgentRow]]:
    """MSW and the rows with the intervals of programs not proven in their time limit narrowed
    by the relations between the benchmarks (``benchmarks.intervals``); proven values stay as
    they are."""
    if welfare.proven and all(b.proven for row in players for b in (row.miew, row.mikw, row.msw_without)) and all(
            row.mkw.proven and row.best_allocation.proven for row in agents):
        return welfare, players, agents  # (nothing to narrow)
    witnesses = [welfare.outcome, *(b.outcome for row in players for b in (row.miew, row.mikw, row.msw_without)),
                 *(row.best_allocation.outcome for row in agents), *(row.mkw.outcome for row in agents)]
    top = best_allocations(instance, witnesses)  # (MSW's witness among them once raised)
    welfare = raised_by_welfare(welfare, instance, top[:1])
    # each one without a player who holds nothing in it: itself without prices, made once (and
    # its welfare summed once), not once per player (10,000 players: 30,000 copies of 45 bundles)
    bare = [without_player(o, -1) for o in top]
    holds = [set(o.holders) for o in top]

    def narrowed(row: PlayerRow, mikw: Benchmark) -> tuple[Benchmark, Benchmark, Benchmark]:
        i = row.player
        # (an open MIKW_i only needs player i's best bundle: one pass over its bids)
        best = best_bundle_bound(instance.valuations[i]) if mikw.value is None and not mikw.withheld else None
        without = raised_by_welfare(row.msw_without, instance, (
            row.miew.outcome, without_player(row.mikw.outcome, i),
            *(without_player(o, i) if i in held else o for o, held in zip(bare, holds))))
        return narrowed_player(row.miew, mikw, without, welfare, best, row.correctness.correct)

    rows = []
    for row in players:
        miew, mikw, msw_without = narrowed(row, row.mikw)
        rows.append(replace(row, miew=miew, mikw=mikw, msw_without=msw_without))
    coalitions = []
    for row in agents:
        correct = all(players[j].correctness.correct is True for j in row.members)
        mkw_a, best_allocation = narrowed_agent(row.mkw, row.best_allocation, welfare, correct)
        if len(row.members) == 1:  # MKW_{i} is MIKW_i (seed 000 Definition 6): narrowed as MIKW_i is
            mkw_a = narrowed(players[row.members[0]], row.mkw)[1]
        coalitions.append(replace(row, mkw=mkw_a, best_allocation=best_allocation))
    return welfare, rows, coalitions


# ---------------------------------------------------------------- JSON


def outcome_json(instance: Instance, outcome: Outcome) -> dict[str, Any]:
    """{"allocation": {player: [goods]}, "prices": {player: price}} listing non-empty entries
    (a price is listed for every player who receives something or pays). One step per listed
    player: most players of a large instance receive nothing and are not visited."""
    players, goods = instance.players, instance.goods
    data: dict[str, Any] = {"allocation": {players[j]: names(bundle, goods) for j, bundle in outcome.bundles}}
    if outcome.offers is not None:
        offers = dict(outcome.offers)
        listed = sorted(offers.keys() | {j for j, _ in outcome.bundles})
        data["prices"] = {players[j]: offers.get(j, 0) for j in listed}
    return data


def benchmark_json(instance: Instance, b: Benchmark, witnesses: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:
    """One benchmark as JSON. ``witnesses`` caches the JSON of outcome objects shared by many
    benchmarks (MSW_-i of every player who wins nothing in MSW has MSW's witness object); each
    benchmark gets its own copy of the dictionaries."""
    data: dict[str, Any] = {"value": b.value, "status": b.status.value}
    if not b.proven:
        data["incumbent"] = b.incumbent
        data["bound"] = b.bound  # the optimum lies in [incumbent, bound]
        if b.incumbent is not None and b.bound is not None:
            data["gap"] = (b.bound - b.incumbent) / max(1, abs(b.bound))
        if b.withheld:
            data["withheld"] = True  # worth the incumbent; the witness not proven the first optimum
    if b.outcome is not None:
        if witnesses is None:
            witness = outcome_json(instance, b.outcome)
        else:
            key = id(b.outcome)  # the report keeps every outcome alive while its JSON is built
            if key not in witnesses:
                witnesses[key] = outcome_json(instance, b.outcome)
            witness = {k: {player: list(v) if isinstance(v, list) else v for player, v in entries.items()}
                       for k, entries in witnesses[key].items()}
        if b.outcome.offers is None:
            data.update(witness)
        else:
            data["outcome"] = witness
    return data


def _best_json(instance: Instance, best: Best, key: str) -> dict[str, Any]:
    if isinstance(best.winner, tuple):
        winner: Any = [instance.players[j] for j in best.winner]
    else:
        winner = instance.players[best.winner] if best.winner is not None else None
    data: dict[str, Any] = {"value": best.value, key: winner}
    if best.value is None:
        data["incumbent"] = best.incumbent
        data["bound"] = best.bound  # the maximum lies in [incumbent, bound]
    return data


def report_json(report: Report) -> dict[str, Any]:
    """The ``--json`` output of ``cabench benchmarks`` (documented in the README).

    Parameters
    ----------
    report : Report
        A :func:`compute_report` result.

    Returns
    -------
    dict
        The benchmarks of docs/definitions.md, JSON-ready: integers in units of 1/``scale``, player names instead of indices.

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from benchmarks import compute_report, report_json
    >>> data = report_json(compute_report(inst))
    >>> data["MSW"]["value"], data["BB"], data["players"]["p2"]["knowledge_correct"]
    (200, {'value': 150, 'player': 'p3'}, False)
    """
    inst = report.instance
    witnesses: dict[int, dict[str, Any]] = {}
    lex = benchmark_json(inst, report.lex_first, witnesses)
    if report.lex_first.outcome is not None:
        owners: list[str | None] = [None] * inst.m  # owner(g) of each good, from the holders only
        for j, bundle in report.lex_first.outcome.bundles:
            for g in goods_in(bundle):
                owners[g] = inst.players[j]
        lex["owners"] = owners
    data: dict[str, Any] = {
        "instance": inst.name,
        "solver": report.solver,
        "scale": inst.scale,
        "goods": list(inst.goods),
        "players_order": list(inst.players),
        "coalitions": [[inst.players[j] for j in c] for c in inst.coalitions],
        "proven": report.all_proven,
        "MSW": benchmark_json(inst, report.msw, witnesses),
        "lex_first_MSW_allocation": lex,
        "players": {
            inst.players[row.player]: {
                "MIEW": benchmark_json(inst, row.miew, witnesses),
                "MIKW": benchmark_json(inst, row.mikw, witnesses),
                "MSW_without": benchmark_json(inst, row.msw_without, witnesses),
                "knowledge_correct": row.correctness.correct,
                "knowledge_reason": row.correctness.reason,
            }
            for row in report.players
        },
        "agents": [
            {
                "members": [inst.players[j] for j in row.members],
                "MKW": benchmark_json(inst, row.mkw, witnesses),
                "BA": benchmark_json(inst, row.best_allocation, witnesses),
            }
            for row in report.agents
        ],
        "MIEW": _best_json(inst, report.miew, "player"),
        "BB": _best_json(inst, report.bb, "player"),
        "BB'": _best_json(inst, report.bb_prime, "player"),
        "MKW": _best_json(inst, report.mkw, "agent"),
    }
    if report.market is not None:
        market = benchmark_json(inst, report.market, witnesses)
        market["endowment_welfare"] = endowment_welfare(inst)
        if report.market.value is not None:
            market["welfare_gain"] = report.market.value - market["endowment_welfare"]
        data["market"] = market
    data["coalition_knowledge"] = inst.coalition_knowledge
    return data


# ---------------------------------------------------------------- tidy table


def data_frame(rows: list[dict[str, Any]], columns: tuple[str, ...] | None = None):
    """``rows`` as a pandas DataFrame; pandas is imported only here, so the library never needs it."""
    try:
        import pandas
    except ModuleNotFoundError as exc:
        if exc.name != "pandas":  # (pandas is there, and something it imports is not: its own error)
            raise
        from instances import CabenchError

        raise CabenchError("to_frame() needs pandas: pip install 'cabench[sweep]'") from None
    return pandas.DataFrame(rows, columns=list(columns) if columns else None)


BENCHMARK_COLUMNS = ("benchmark", "value", "proven", "player", "agent", "incumbent", "bound", "witness")


def benchmark_rows(report: Report) -> list[dict[str, Any]]:
    """One record per benchmark (``BENCHMARK_COLUMNS``), in the order of the text report: MSW, the
    lexicographically first MSW allocation, per player MIEW, MIKW and MSW_without, per agent MKW
    and BA, the maxima MIEW, BB, BB' and MKW, and the market's truthful outcome. ``player`` names
    the player of a per-player benchmark (the winner of a maximum over players), ``agent`` the
    members of an agent (comma-separated). ``value`` is the proven value (None if not proven;
    then ``incumbent`` and ``bound`` give the interval), in integer units, as in the JSON (the
    instance's ``scale`` says the power of ten). ``witness`` is the witness outcome in one string,
    ``player:{goods}`` and, for a priced outcome, ``@price`` per player who receives something
    or pays (``report.to_dict()`` has it as JSON)."""
    inst = report.instance
    texts: dict[int, str] = {}  # by outcome object: MSW's witness is shared by many MSW_-i

    def witness(outcome: Outcome | None) -> str | None:
        if outcome is None:
            return None
        if id(outcome) not in texts:
            data = outcome_json(inst, outcome)  # its entries are in player order
            allocation, prices = data["allocation"], data.get("prices", {})
            shown = []
            for player in prices or allocation:  # a priced outcome lists every holder's price
                text = f"{player}:{{{','.join(allocation.get(player, []))}}}"
                shown.append(text + (f"@{prices[player]}" if player in prices else ""))
            texts[id(outcome)] = " ".join(shown)
        return texts[id(outcome)]

    def row(name: str, b: Benchmark, player: str | None = None, agent: str | None = None) -> dict[str, Any]:
        return {"benchmark": name, "player": player, "agent": agent, "value": b.value, "proven": b.proven,
                "witness": witness(b.outcome), "incumbent": b.incumbent, "bound": b.bound}

    rows = [row("MSW", report.msw), row("lex-first MSW allocation", report.lex_first)]
    for p in report.players:
        name = inst.players[p.player]
        rows += [row("MIEW", p.miew, player=name), row("MIKW", p.mikw, player=name),
                 row("MSW_without", p.msw_without, player=name)]
    for a in report.agents:
        label = ",".join(inst.players[j] for j in a.members)
        rows += [row("MKW", a.mkw, agent=label), row("BA", a.best_allocation, agent=label)]
    for name, best in (("MIEW", report.miew), ("BB", report.bb), ("BB'", report.bb_prime), ("MKW", report.mkw)):
        winner = best.winner
        who = {"player": inst.players[winner]} if isinstance(winner, int) else (
            {"agent": ",".join(inst.players[j] for j in winner)} if winner is not None else {})
        rows.append({"benchmark": f"max {name}", "player": who.get("player"), "agent": who.get("agent"),
                     "value": best.value, "proven": best.value is not None, "witness": None,
                     "incumbent": best.incumbent, "bound": best.bound})
    if report.market is not None:
        rows.append(row("truthful outcome", report.market))
    return rows


# ---------------------------------------------------------------- per-player table


PLAYER_COLUMNS = ("player", "MIEW", "MIEW_status", "MIKW", "MIKW_status", "MSW_without", "MSW_without_status",
                  "MSW_bundle", "independent", "knowledge_correct", "knowledge_reason", "scale", "MSW_goods",
                  "MSW_status")


def player_rows(report: Report) -> list[dict[str, Any]]:
    """One record per player, in file order (``PLAYER_COLUMNS``): the per-player benchmarks (an
    unproven value is empty, with its status), the bundle the player receives in the MSW
    witness (``MSW_bundle``: goods joined by spaces, for reading; ``MSW_goods``: a JSON list of
    their names, which no name can make ambiguous, ``[]`` for nothing and empty with no witness),
    the knowledge verdict, the instance's ``scale`` (the values are integers in 1/scale of the
    file's money), and ``MSW_status``, whether that witness is a proven optimum.
    ``pandas.DataFrame(rows)`` makes it a data frame."""
    inst = report.instance
    independent = set(inst.independent)
    outcome = report.msw.outcome
    rows = []
    for row in report.players:
        i = row.player
        rows.append({
            "player": inst.players[i],
            "MIEW": row.miew.value, "MIEW_status": row.miew.status.value,
            "MIKW": row.mikw.value, "MIKW_status": row.mikw.status.value,
            "MSW_without": row.msw_without.value, "MSW_without_status": row.msw_without.status.value,
            "MSW_bundle": " ".join(names(outcome.bundle(i), inst.goods)) if outcome is not None else "",
            "independent": i in independent,
            "knowledge_correct": row.correctness.correct,
            "knowledge_reason": row.correctness.reason,
            "scale": inst.scale,  # (the values are integers in 1/scale of the file's money)
            # (goods named "a", "b" and "a b": {a, b} and {a b} were both "a b" above)
            "MSW_goods": json.dumps(names(outcome.bundle(i), inst.goods), ensure_ascii=False)
            if outcome is not None else "",
            "MSW_status": report.msw.status.value,
        })
    return rows


def players_csv(report: Report) -> str:
    """:func:`player_rows` as CSV text (a header line, then one line per player)."""
    return records_csv(PLAYER_COLUMNS, player_rows(report))


COALITION_COLUMNS = ("coalition", "members", "size", "MKW", "MKW_status", "BA", "BA_status", "scale")


def coalition_rows(report: Report) -> list[dict[str, Any]]:
    """One record per coalition, an agent of two or more players (seed 000 §2), in file order
    (``COALITION_COLUMNS``): its members (comma-separated, as the ``agent`` of
    :func:`benchmark_rows`, and as a JSON list, which a name with a comma cannot make ambiguous),
    their number, MKW_A = REV(RK_A) and SW(BA^A), each an integer in the file's integer units
    (empty when not proven) with its solver status, and the instance's ``scale``. An
    independent player's MKW_{i} is its MIKW_i, in :func:`player_rows`."""
    inst = report.instance
    return [{"coalition": ",".join(inst.players[j] for j in a.members),
             "members": json.dumps([inst.players[j] for j in a.members], ensure_ascii=False), "size": len(a.members),
             "MKW": a.mkw.value, "MKW_status": a.mkw.status.value,
             "BA": a.best_allocation.value, "BA_status": a.best_allocation.status.value, "scale": inst.scale}
            for a in report.agents if len(a.members) > 1]


def coalitions_csv(report: Report) -> str:
    """:func:`coalition_rows` as CSV text (a header line, then one line per coalition)."""
    return records_csv(COALITION_COLUMNS, coalition_rows(report))
