"""Single benchmarks turned into a program and a solve: one benchmark (:func:`solve_program`)
or many as one batch (:func:`solve_requests`, which ``mechanisms`` uses for the benchmarks its
strategies read). The report (``benchmarks.report``) batches its own plan's programs
(``benchmarks.table.ReportPlan``) with ``ilp.solve_batch`` directly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from benchmarks.results import Benchmark, from_solution
from ilp import Program, SolveOptions, Weight, lex_first, solve

__all__ = ["Request", "solve_program", "solve_request", "solve_requests", "weights_program"]


def weights_program(n_goods: int, weights: Sequence[Weight | None]) -> Program:
    """Maximise the sum of ``weights`` (None = excluded player)."""
    return Program(n_goods, tuple(weights))


def solve_program(name: str, program: Program, *, priced: bool,
                  options: SolveOptions | str | None = None,
                  canonical: bool = False) -> Benchmark:
    """Solve ``program`` into the benchmark ``name``. With ``priced`` the witness prices are each
    player's weight of its bundle: the take-it-or-leave-it offers, where an offer whose price
    would be 0 is dropped, so P_j = 0 exactly where A_j is empty: the form of seed 004 §4 and §6
    Step 1 (seed 001 Def. 2 requires only P_j = 0 where A_j is empty).

    With ``canonical`` the witness is the canonical one: among all optimal allocations, the
    one with the lexicographically smallest owner vector (owner(g_1), ..., owner(g_m)), owner 0
    for an unallocated good and j + 1 for player j (``ilp.lex_first``, as for seed 002's omega*).
    It is unique, so it is the same whatever the backend and run; it costs a few extra solves.
    """
    solution = solve(program, options)
    if canonical:
        solution = lex_first(program, solution, options)
    return from_solution(name, solution, _offers(program) if priced else None)


def _offers(program: Program):
    """The witness price of player j's bundle: its weight there (the take-it-or-leave-it offer)."""
    weights = program.weights

    def price(j: int, bundle: int) -> int:
        return weights[j].value(bundle) if weights[j] is not None else 0

    return price


class Request(NamedTuple):
    """A benchmark to solve: its name, its program and whether its witness is priced, as
    :func:`solve_program` takes them (made by ``miew_request``, ``relevant_knowledge_request``,
    ``best_allocation_request`` and ``favourite_bundle_request``)."""

    name: str
    program: Program
    priced: bool


def solve_request(request: Request, options: SolveOptions | str | None = None, canonical: bool = False) -> Benchmark:
    """:func:`solve_program` of one request, alone."""
    return solve_program(request.name, request.program, priced=request.priced, options=options, canonical=canonical)


def solve_requests(requests: Sequence[Request], options: SolveOptions | str | None = None,
                   canonical: bool = False, helpers: Sequence[Program] = ()) -> list[Benchmark]:
    """:func:`solve_program` of every request, as one batch: ``ilp.solve_batch`` (equal programs
    once, a program that removes a player from another warm-started by it, worker processes on
    the cores once the solves prove slow), then, with ``canonical``, the canonical witnesses of
    all of them (``ilp.canonical.canonical_solutions``, whose tie-breaks run as one batch too).
    ``helpers`` are programs solved in the same batch but not returned: programs that requests
    remove a player from, whose optimum settles those of the requests whose removed player wins
    nothing in it (``benchmarks.external.miew_requests``).
    Proven benchmarks are those of one :func:`solve_program` each, with ``canonical`` witnesses
    too (the canonical witness is unique); an unproven program, or a tie-break not proven in the
    time limit, is reported unproven either way (its interval may differ: a withheld tie-break
    keeps the proven value as incumbent and bound, ``ilp.canonical.withheld``)."""
    from ilp import solve_batch
    from ilp.backends import as_options
    from ilp.canonical import canonical_solutions

    options = as_options(options)
    programs = [*helpers, *(r.program for r in requests)]
    # programs solved already (``options.known``, as ``cabench sweep`` fills it from the report)
    # are taken from there, as ``ilp.solve`` would
    solutions = solve_batch(programs, options, known=options.known)
    if canonical:
        solutions = canonical_solutions(programs, solutions, options)
    solutions = solutions[len(helpers):]
    return [from_solution(r.name, s, _offers(r.program) if r.priced else None) for r, s in zip(requests, solutions)]
