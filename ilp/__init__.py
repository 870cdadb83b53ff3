"""Integer programs for winner determination: one model, several backends, no paper concepts.

``Program`` (plain data) -> ``solve(program, backend)`` -> ``Solution`` (frozen result).
Backends: ``cpsat`` (OR-Tools CP-SAT, default), ``cbc`` (PuLP + CBC), ``brute`` (subset DP).
"""

from ilp.backends import BACKENDS, DEFAULT_BACKEND, SolverError, backend_names, get_backend, solve
from ilp.lex import lex_first
from ilp.program import UNALLOCATED, Program, Solution, Status, Weight, owner_code

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "Program",
    "Solution",
    "SolverError",
    "Status",
    "UNALLOCATED",
    "Weight",
    "backend_names",
    "get_backend",
    "lex_first",
    "owner_code",
    "solve",
]
