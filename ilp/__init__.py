"""Integer programs for winner determination: one model, several backends, no paper concepts.

The code knows programs, weights and players only; its comments name the report's programs
(MSW, MIKW_i, MIEW_i = MIKW_i without player i...) where they are the case that motivated a
method or a measurement, so that a reader can find it in ``benchmarks``.

``Program`` (plain data) -> ``solve(program, backend)`` -> ``Solution`` (frozen result).
Backends (``backend_names()``): ``portfolio`` (the default: cabench's own searches, then a race
of the solvers), ``cpsat`` (OR-Tools CP-SAT), ``cbc`` (PuLP + CBC), ``scip`` (PySCIPOpt),
``highs`` (highspy, in a worker process), ``brute`` (subset DP), ``clique`` (the clique search
of ``ilp.clique``).
``solve_batch`` / ``prefetch`` solve many programs at once: duplicates once, related programs
from each other, independent ones in parallel. Its names are imported on first use
(``instances.lazy``).
"""

from instances.lazy import lazy_exports

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

__getattr__, __dir__ = lazy_exports(__name__, {
    "ilp.backends": ("BACKENDS", "SolverError", "backend_names", "get_backend", "solve"),
    "ilp.batch": ("prefetch", "solve_batch"),
    "ilp.contract": ("DEFAULT_BACKEND", "Answer", "SolveOptions"),
    "ilp.lex": ("lex_first",),
    "ilp.program": ("UNALLOCATED", "Program", "Solution", "Status", "Weight", "owner_code"),
})
