"""What every backend receives and returns (in the manner of PuLP's ``LpSolver.actualSolve``).

A backend is a module with ``NAME``, ``EXACT`` (its claims are exact, see ``ilp.claims``),
``available()`` and ``run(formulation, options, hint) -> Answer``. ``ilp.backends.solve`` calls it
the same way for every backend, checks the :class:`Answer` and turns it into a ``Solution``. An
ILP with a ``floor`` (``ilp.formulation.ILP.floor``, set only on the cores of the exact bounds)
may be answered INFEASIBLE when no solution reaches it; a backend that ignores the floor
answers as for any other ILP, which is also right.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from ilp.program import Status
from instances.errors import CabenchError

__all__ = ["Answer", "BACKEND_MODULES", "DEFAULT_BACKEND", "DEFAULT_WITNESSES", "SolveOptions", "SolverError",
           "WITNESSES"]

BACKEND_MODULES: Mapping[str, str] = MappingProxyType({
    "cpsat": "ilp.cpsat",
    "cbc": "ilp.cbc",
    "scip": "ilp.scip",
    "highs": "ilp.highs",
    "portfolio": "ilp.portfolio",
    "brute": "ilp.brute",
    "clique": "ilp.clique",
})
"""Backend name -> its adapter module, the registry ``ilp.backends.BACKENDS`` starts from. Here,
not there, so that the command line names the backends (``--solver``) without importing them."""

DEFAULT_BACKEND = "portfolio"

WITNESSES = ("canonical", "solver")
"""The values of ``cabench benchmarks --witnesses``: the canonical optimum, or the solver's own
(``ilp.canonical``)."""
DEFAULT_WITNESSES = "solver"


class SolverError(CabenchError):
    """A backend answered something that cannot be right (a bug, never bad input)."""


@dataclass(frozen=True)
class SolveOptions:
    """How to solve: one value passed down from the command line or the Python API to every solve.

    Parameters
    ----------
    backend : str
        The backend's name (``ilp.backend_names()``): portfolio, cpsat, cbc, scip, highs, brute, clique.
    time_limit : float or None
        Seconds per integer program; None for no limit. A program not proven optimal within it
        reports its interval, never a value.
    jobs : int or None
        Worker processes for batches of independent programs; None chooses automatically.
    threads : int
        Threads of one solver run (1 keeps witnesses reproducible). CBC takes them only under a
        time limit of a second or more, or none (``ilp.cbc.THREADS_FROM_SECONDS``).
    known : Mapping
        The explicit cache: programs already solved with these options (``Program`` ->
        ``Solution``), answered from here instead of solved again (``ilp.batch.prefetch`` makes
        it). Not part of the value's identity, and never sent to a worker process.
    blocks : ilp.compile.BlockCache or None
        The explicit cache of compiled weights (``ilp.compile.BlockCache``), shared by every
        solve with these options; ``ilp.backends.as_options`` gives options without one a fresh
        one. Not part of the value's identity; a worker process receives the blocks of the
        weights it is sent, and keeps what it compiles (``ilp.remote``).
    workers : ilp.remote.Remote or None
        Worker processes shared by every batch solved with these options, with the weights and
        blocks they hold (``ilp.batch.shared_workers`` makes and stops them); None: each batch
        starts its own. Not part of the value's identity, and never sent to a worker process.
    lead : str or None
        For the ``portfolio`` backend: the solver that won the latest race of the same batch
        (``ilp.batch`` sets it). A race then runs that solver and one other per remaining core
        first, instead of HiGHS and CP-SAT first (``ilp.portfolio.racers``); a tie-break
        (``ilp.lex.lex_first``) is then not raced: ``lead`` solves its welfare programs and CP-SAT
        its ordering steps. Not part of the value's identity: it changes which solver proves a
        value, never the value.
    alone : str or None
        For the ``portfolio`` backend, in a batch's worker beside other programs (``ilp.batch``
        sets it): the portfolio's own stages, then this solver alone instead of a race (a race
        there would share the cores with the other workers), its claims checked as a racer's are.
        Not part of the value's identity.
    """

    backend: str = DEFAULT_BACKEND
    time_limit: float | None = None
    jobs: int | None = None
    threads: int = 1
    known: Mapping[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    blocks: Any = field(default=None, compare=False, repr=False)
    workers: Any = field(default=None, compare=False, repr=False)
    lead: str | None = field(default=None, compare=False)
    alone: str | None = field(default=None, compare=False)

    def sendable(self) -> "SolveOptions":
        """These options as a worker process can receive them (pickled): without the known
        solutions, the cache of blocks and the shared workers, which either cannot be pickled
        or belong to this process."""
        return replace(self, known={}, blocks=None, workers=None)


@dataclass(frozen=True)
class Answer:
    """A backend's raw answer, before ``ilp.claims`` checks it.

    ``values`` is a full assignment of the ILP's variables, or None; a backend that does not
    go through the integer program (brute force) gives ``allocation`` (a bundle per player)
    instead. ``bound`` is the proven objective bound, if reported. ``solver`` names the solver
    whose answer this is (a portfolio's winner); ``error`` says why a solver gave no answer (a
    racer that crashed), and is kept up to the returned solution.
    """

    status: Status
    values: list[int] | None = None
    bound: int | None = None
    solver: str = ""
    error: str | None = None
    allocation: tuple[int, ...] | None = None
