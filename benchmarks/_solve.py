"""The one place where benchmarks turn weights into a program and a solve."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.results import Benchmark, from_solution
from ilp import DEFAULT_BACKEND, Program, Weight, solve


def weights_program(n_goods: int, weights: Sequence[Weight | None]) -> Program:
    """Maximise the sum of ``weights`` (None = excluded player)."""
    return Program(n_goods, tuple(weights))


def solve_program(name: str, program: Program, *, priced: bool,
                  solver: str = DEFAULT_BACKEND, time_limit: float | None = None) -> Benchmark:
    """Solve ``program`` into the benchmark ``name``. With ``priced`` the witness prices are each
    player's weight of its bundle: the take-it-or-leave-it offers."""
    weights = program.weights
    solution = solve(program, solver, time_limit)

    def prices(allocation: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(w.value(a) if w is not None and a else 0 for w, a in zip(weights, allocation))

    return from_solution(name, solution, prices if priced else None)
