"""The one place where benchmarks turn weights into a program and a solve."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.results import Benchmark, from_solution
from ilp import Program, SolveOptions, Weight, lex_first, solve


def weights_program(n_goods: int, weights: Sequence[Weight | None]) -> Program:
    """Maximise the sum of ``weights`` (None = excluded player)."""
    return Program(n_goods, tuple(weights))


def solve_program(name: str, program: Program, *, priced: bool,
                  options: SolveOptions | str | None = None,
                  canonical: bool = False) -> Benchmark:
    """Solve ``program`` into the benchmark ``name``. With ``priced`` the witness prices are each
    player's weight of its bundle: the take-it-or-leave-it offers, where an offer whose price
    would be 0 is dropped (seed 001 Def. 2: P_j = 0 exactly where A_j is empty).

    With ``canonical`` the witness is the canonical one: among all optimal allocations, the
    one with the lexicographically smallest owner vector (owner(g_1), ..., owner(g_m)), owner 0
    for an unallocated good and j + 1 for player j (``ilp.lex_first``, as for seed 002's omega*).
    It is unique, so it is the same whatever the backend and run; it costs a few extra solves.
    """
    weights = program.weights
    solution = solve(program, options)
    if canonical:
        solution = lex_first(program, solution, options)

    def price(j: int, bundle: int) -> int:
        return weights[j].value(bundle) if weights[j] is not None else 0

    return from_solution(name, solution, price if priced else None)
