"""Canonical witnesses of many solved programs at once (``cabench benchmarks --witnesses canonical``).

The canonical witness of a program is its optimal allocation with the lexicographically smallest
owner vector (owner(g_1), ..., owner(g_m)), owner 0 for an unallocated good and j + 1 for player j:
the rule of seed 002 Lemma 3's state omega*, which seed 004's mechanisms apply to every outcome
they read (docs/definitions.md). It is unique, so it does not depend on the backend, the core
count or the run, unlike the optimum a solver happens to return. ``ilp.lex.lex_first`` finds it
from a proven optimum; this module does so for a whole report's programs, with exact savings
that need no solve:

* **Equal programs** are ordered once.
* **A solution known to be first** (``Solution.first``: the dynamic program over subsets of the
  goods, ``ilp.fewgoods``, finds the first optimum) is kept as it is.
* **Optimum 0.** The empty allocation is worth 0 and its owner vector is all zeros: it is the
  canonical optimum of every program whose optimum is 0.
* **One player who takes one bid** (MIKW_i and BA^{i} of a player who knows nothing about the
  others): the canonical optimum is the best bid whose goods, read as the owner vector, come
  first (whole bids suffice, ``ilp.lex``); no solve.
* **Removing a player who wins nothing.** If program P is program Q with player i removed and
  Q's canonical optimum gives i nothing, it is P's canonical optimum too: it is feasible for P
  with Q's optimum, so P's optimum is Q's, P's optima are those of Q that give i nothing, and
  the first of all of Q's optima is among them. So MSW_{-i} of every player whom the canonical
  MSW allocation leaves out is that allocation (as the report's shortcut for the solver's own
  MSW witness), and MIEW_i is MIKW_i's canonical witness when i wins nothing there.

The other programs are ordered by ``ilp.lex.lex_first`` from their proven optimum, as
:class:`ilp.batch.LexFirst` tasks of one ``ilp.solve_batch`` (in worker processes with ``jobs``
of 2 or more): programs whose parent (the program they remove a player from) is among the
programs wait for the parent's canonical optimum, so they are done in rounds.

A program not proven optimal keeps its solution unchanged (it has no value, hence no canonical
optimum). A tie-break that is not proven within the time limit leaves its program FEASIBLE with
the proven value as incumbent and bound: the value is right, but the witness is not known to be
the canonical one, and the benchmark is withheld as any unproven one is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from ilp.backends import as_options
from ilp.batch import PARALLEL_AFTER_SECONDS, PARALLEL_WORK_SECONDS, LexFirst, default_jobs, solve_batch
from ilp.compile import AtomsBlock
from ilp.contract import DEFAULT_WITNESSES, WITNESSES, SolveOptions
from ilp.index import ProgramIndex
from ilp.program import Program, Solution, Status, first_held

__all__ = ["DEFAULT_WITNESSES", "WITNESSES", "canonical_solutions", "one_bid_first", "withheld"]


def one_bid_first(program: Program, solution: Solution, options: SolveOptions) -> Solution | None:
    """The canonical optimum of a ``program`` in which one player only can be given anything and
    takes at most one bid (an ``AtomsBlock`` with ``single``), from its proven ``solution``: among
    the bids worth the optimum, the one whose goods come first (owner vector 1 where held, 0
    elsewhere, compared good by good). None when ``program`` is not of that kind.

    Why this is the canonical optimum: an optimal allocation gives that player a bundle worth
    the optimum, which holds a bid worth as much; the bid alone is optimal and its owner vector
    is no larger, good by good (``ilp.lex``: the first optimum is made of whole bids).
    """
    if program.fixed or program.minimize_owners or program.avoid is not None or program.min_total is not None:
        return None
    blocks = as_options(options).blocks
    players = [j for j, w in enumerate(program.weights) if w is not None and w.options]
    if len(players) != 1:
        return None
    (j,) = players
    block = blocks.block(program.weights[j])
    if not isinstance(block, AtomsBlock) or not block.single:
        return None
    best = [bundle for bundle, value in block.atoms if value == solution.value]
    if not best:
        return None  # (a proven optimum is some bid's value; the general tie-break settles it)
    bundle = first_held(best, program.n_goods)
    allocation = tuple(bundle if k == j else 0 for k in range(len(program.weights)))
    if program.total(allocation) != solution.value:
        return None
    return replace(solution, allocation=allocation)


def withheld(solution: Solution, ordered: Solution) -> Solution:
    """``solution`` (proven) whose tie-break ``ordered`` was not proven: its value is kept as the
    incumbent and the bound, the benchmark withheld (module docstring), and its witness is the
    earliest optimum the tie-break met (``ilp.lex``), no later in the order than the solver's. Its
    time is the tie-break's, which counts the solve of ``solution`` already (as a proven one's)."""
    earliest = ordered.allocation if ordered.allocation is not None and ordered.value == solution.value else None
    return replace(solution, status=Status.FEASIBLE, error=ordered.error or solution.error,
                   allocation=solution.allocation if earliest is None else earliest,
                   wall_time=max(ordered.wall_time, solution.wall_time), withheld=True, first=False)


def canonical_solutions(programs: Sequence[Program], solutions: Sequence[Solution],
                        options: SolveOptions | str | None = None, *,
                        known: Mapping[Program, Solution] | None = None) -> list[Solution]:
    """The canonical optimum of each of ``programs`` (seed 002 Lemma 3's rule of omega*), given a
    proven optimum of each in ``solutions``: see the module docstring.

    Parameters
    ----------
    programs : sequence of Program
        Solved programs (duplicates allowed).
    solutions : sequence of Solution
        ``solutions[k]`` solves ``programs[k]``; a solution not proven optimal is returned unchanged.
    options : SolveOptions or str or None, optional
        How to solve the tie-breaks (``ilp.lex.lex_first``), or just a backend's name.
    known : mapping of Program to Solution, optional
        Canonical optima found already (a report's lexicographically first MSW allocation).

    Returns
    -------
    list of Solution
        One per program, in order: the same values, each witness the canonical one, the same
        whatever the backend, core count or run.

    Examples
    --------
    Player 0 values good 0 at 5 and player 1 both goods at 5: two optima, and the one whose
    owner vector (1, 0) comes first is canonical, whichever one the solver returned:

    >>> from instances.valuation import Form, Valuation
    >>> from ilp import Program, Solution, Status, Weight
    >>> program = Program(2, (Weight.of(Valuation(Form.XOR, ((0b01, 5),))),
    ...                       Weight.of(Valuation(Form.XOR, ((0b11, 5),)))))
    >>> solver_choice = Solution(Status.OPTIMAL, (0, 0b11), 5, 5, "cpsat", 0.0)
    >>> [s.allocation for s in canonical_solutions([program], [solver_choice], "cpsat")]
    [(1, 0)]
    """
    options = as_options(options)
    index = ProgramIndex()
    done: dict[int, Solution] = {}
    for program, solution in (known or {}).items():
        done[index.add(program)] = solution
    first: dict[int, Solution] = {}
    order = []
    for program, solution in zip(programs, solutions, strict=True):
        q = index.add(program)
        order.append(q)
        first.setdefault(q, solution)
    pending = [q for q in dict.fromkeys(order) if q not in done]
    parents = {q: index.parent(q) for q in pending}
    while pending:
        later, tasks = [], []
        for q in pending:
            parent = parents[q]
            if parent is not None and parent[0] in first and parent[0] not in done:
                later.append(q)  # its parent's canonical optimum may answer it: wait for it
                continue
            settled = _without_solve(index.programs[q], first[q], parent, done, options)
            if settled is not None:
                done[q] = settled
            else:
                tasks.append(q)
        if tasks:
            ordered = _lex_batch([index.programs[q] for q in tasks], [first[q] for q in tasks], options)
            for q, solution in zip(tasks, ordered):
                done[q] = solution if solution.optimal else withheld(first[q], solution)
        if len(later) == len(pending):
            raise AssertionError("canonical witnesses: programs wait for each other")
        pending = later
    return [done[q] for q in order]


def _without_solve(program: Program, solution: Solution, parent: tuple[int, int] | None,
                   done: Mapping[int, Solution], options: SolveOptions) -> Solution | None:
    """The canonical optimum of ``program`` when a saving of the module docstring gives it."""
    if not solution.optimal or solution.first:
        return solution  # (the first optimum already: ``Solution.first``)
    if solution.value == 0:
        return replace(solution, allocation=(0,) * len(program.weights))
    if parent is not None:
        settled = done.get(parent[0])
        if settled is not None and settled.optimal and settled.allocation[parent[1]] == 0 and (
                settled.value == solution.value):
            return replace(settled, wall_time=solution.wall_time)
    return one_bid_first(program, solution, options)


def _lex_batch(programs: list[Program], solutions: list[Solution], options: SolveOptions) -> list[Solution]:
    """``ilp.lex.lex_first`` of each program from its proven solution, as one batch (worker
    processes with ``jobs`` of 2 or more, and with automatic ``jobs`` when the programs were slow
    to solve, by the batch's own thresholds): :class:`ilp.batch.LexFirst` tasks added once their
    (known) program is settled, i.e. at once. Measured (2026-12-02, 2 shared cores, load 5-6,
    licences-8x8's 18 tie-breaks): 4.3 and 4.4 s for the canonical report this way, against 7.1
    and 5.1 s with every tie-break in this process (the solver's witnesses: 4.3 and 2.9 s)."""
    spent = [s.wall_time for s in solutions]
    if options.jobs is None and len(programs) > 1 and (
            max(spent) >= PARALLEL_AFTER_SECONDS or sum(spent) >= PARALLEL_WORK_SECONDS):
        # automatic jobs: the batch keeps tie-breaks in this process (it times programs, not
        # tie-breaks), but these take about as long as their programs did, which were slow
        options = replace(options, jobs=default_jobs())
    after = {k: (lambda solution, program=program: [LexFirst(program, solution)]) for k, program in enumerate(programs)}
    results = solve_batch(programs, options, known=dict(zip(programs, solutions)), after=after)
    return results[len(programs):]
