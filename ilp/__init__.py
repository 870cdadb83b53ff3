"""Integer programs for winner determination: one model, several backends, no paper concepts.

``Program`` (plain data) -> ``solve(program, backend)`` -> ``Solution`` (frozen result).
Backends: ``cpsat`` (OR-Tools CP-SAT, default), ``cbc`` (PuLP + CBC), ``scip`` (PySCIPOpt),
``highs`` (highspy, in a worker process), ``portfolio`` (a race of them), ``brute`` (subset DP).
``solve_batch`` / ``prefetch`` solve many programs at once: duplicates once, related programs
from each other, independent ones in parallel.
"""

from ilp.backends import BACKENDS, SolverError, backend_names, get_backend, solve
from ilp.batch import prefetch, solve_batch
from ilp.contract import DEFAULT_BACKEND, Answer, SolveOptions
from ilp.lex import lex_first
from ilp.program import UNALLOCATED, Program, Solution, Status, Weight, owner_code

__all__ = [
    "Answer",
    "BACKENDS",
    "DEFAULT_BACKEND",
    "Program",
    "Solution",
    "SolveOptions",
    "SolverError",
    "Status",
    "UNALLOCATED",
    "Weight",
    "backend_names",
    "get_backend",
    "lex_first",
    "owner_code",
    "prefetch",
    "solve",
    "solve_batch",
]
