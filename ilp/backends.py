"""Backend registry and the one ``solve`` entry point (in the manner of PuLP's ``getSolver``).

Every backend solves the same :class:`Program`; the integer-programming ones share the
formulation of ``ilp.formulation`` and differ only in the adapter. Every answer is checked
exactly (``ilp.claims``). A program whose magnitude a floating-point backend's tolerances cannot
separate goes to CP-SAT instead, and a floating-point claim that fails the exact check is
re-proved by CP-SAT. Whatever the backend (except the brute-force reference), four kinds of
program are answered by cabench's own exact methods first: guaranteed values of candidate
knowledge (covering unions) by the column generation of ``ilp.colgen``, which hands only a
small core to the backend; one player alone taking one of its bids by its best bid
(``ilp.onebid``); one or two players taking one bid each out of thousands over at
most 22 goods (complete tables) by ``ilp.dense``; and many one-bid players over at most 22
goods by the dynamic program over subsets of ``ilp.fewgoods``. Whatever the backend, the returned
:class:`Solution` carries the allocation's weight evaluated by definition, and an answer that
still contradicts that evaluation is a bug, reported as a :class:`SolverError`.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from types import ModuleType
from typing import Any

from ilp import certify, claims, colgen, dense, fewgoods, onebid, relaxation
from ilp.compile import BlockCache, RobustBlock
from ilp.contract import BACKEND_MODULES, Answer, SolveOptions, SolverError
from ilp.formulation import Formulation, build
from ilp.program import Program, Solution, Status
from instances.bundles import members
from instances.errors import CabenchError

__all__ = ["BACKENDS", "as_options", "backend_names", "count_solving", "get_backend", "solve", "solver_clock"]

BACKENDS: dict[str, Any] = dict(BACKEND_MODULES)
"""Name -> adapter module, or its import path, imported by :func:`get_backend` on first use
(OR-Tools and PuLP are slow to import, and a run needs only one of them). An adapter follows
``ilp.contract``; a test or a plug-in may register its own module here."""

MIN_TIME_LEFT = 0.001
"""Seconds a backend gets when a program's time limit is spent before it starts (a limit of 0 is
refused by some backends): it then stops at once with what it has, reported as an interval."""

_SOLVING: ContextVar[list[float] | None] = ContextVar("cabench_solving", default=None)
"""The open :func:`solver_clock` of this context, if any."""


@contextmanager
def solver_clock() -> Iterator[list[float]]:
    """Measure the solver time of a block: ``clock[0]`` is the wall seconds spent in
    :func:`solve` (formulating, solving, decoding) and waiting for worker processes' solves
    while the block ran; the rest of the block's time is bookkeeping (``cabench perf``).

    Examples
    --------
    >>> from ilp.backends import solver_clock
    >>> with solver_clock() as clock:
    ...     pass
    >>> clock
    [0.0]
    """
    clock = [0.0]
    token = _SOLVING.set(clock)
    try:
        yield clock
    finally:
        _SOLVING.reset(token)


def count_solving(seconds: float) -> None:
    """Add ``seconds`` of solving (e.g. waiting for worker processes) to the open :func:`solver_clock`."""
    clock = _SOLVING.get()
    if clock is not None:
        clock[0] += seconds


def backend_names() -> list[str]:
    """The names of every registered backend, whether or not it is installed here.

    Returns
    -------
    list of str
        The keys of :data:`BACKENDS`, in registration order (the ``--solver`` choices).

    Examples
    --------
    >>> from ilp import backend_names
    >>> backend_names()
    ['cpsat', 'cbc', 'scip', 'highs', 'portfolio', 'brute', 'clique']
    """
    return list(BACKENDS)


def get_backend(name: str) -> ModuleType:
    """The adapter module of backend ``name``, imported on first use (``ilp.contract``).

    Parameters
    ----------
    name : str
        A backend's name, one of :func:`backend_names`.

    Returns
    -------
    module
        The adapter: ``NAME``, ``EXACT``, ``available()`` and ``run(formulation, options, hint)``.

    Raises
    ------
    CabenchError
        When ``name`` is not a backend, or the backend's library is not installed here.

    Examples
    --------
    >>> from ilp import get_backend
    >>> backend = get_backend("brute")
    >>> backend.NAME, backend.EXACT, backend.available()
    ('brute', True, True)
    >>> get_backend("gurobi")
    Traceback (most recent call last):
    ...
    instances.errors.CabenchError: unknown solver "gurobi"; expected one of: cpsat, cbc, scip, highs, portfolio, brute, clique
    """
    if name not in BACKENDS:
        raise CabenchError(f'unknown solver "{name}"; expected one of: {", ".join(BACKENDS)}')
    backend = BACKENDS[name]
    if isinstance(backend, str):  # (imported once: Python keeps it in sys.modules; the registry stays as written)
        backend = importlib.import_module(backend)
    if not backend.available():
        raise CabenchError(f'solver "{name}" is not available on this machine')
    return backend


def _shrink(formulation: Formulation, allocation: tuple[int, ...]) -> tuple[int, ...]:
    """Drop goods a robust player was offered without need (same weight without them), so
    witnesses are minimal; the freed goods simply stay unallocated."""
    result = list(allocation)
    for j, block in enumerate(formulation.blocks):
        if not isinstance(block, RobustBlock) or not result[j]:
            continue
        weight = formulation.program.weights[j]
        value = weight.value(result[j])
        for g in members(result[j]):
            smaller = result[j] & ~(1 << g)
            if weight.value(smaller) >= value:
                result[j] = smaller
    return tuple(result)


def as_options(options: SolveOptions | str | None) -> SolveOptions:
    """``options`` itself, or a backend's name as ``SolveOptions(backend=name)`` (None: defaults),
    with a fresh ``ilp.compile.BlockCache`` when it has none."""
    if options is None:
        options = SolveOptions()
    elif isinstance(options, str):
        options = SolveOptions(backend=options)
    if options.blocks is None:  # every solve with the returned options shares one cache of blocks
        options = replace(options, blocks=BlockCache())
    return options


_REACHING_CP_SAT = frozenset({"portfolio", "cpsat", "clique"})
"""The backends that hand some programs to CP-SAT (the portfolio's stages, the clique search's
programs that are not plain set packing); column generation's cores may go there under any."""


def solve(program: Program, options: SolveOptions | str | None = None,
          hint: tuple[int, ...] | None = None) -> Solution:
    """Solve ``program`` as ``options`` say (a :class:`SolveOptions`, or just a backend's name);
    see :class:`Solution` for what comes back.

    ``hint`` is an allocation (a bundle per player) to start from: a warm start, which may make
    the solve faster and never changes what is proven. Backends without warm starts ignore it.

    Parameters
    ----------
    program : Program
        The weighted set-packing program (``ilp.program``).
    options : SolveOptions or str or None, optional
        How to solve, or just a backend's name; None for the defaults (``SolveOptions()``).
    hint : tuple of int or None, optional
        A feasible allocation (bundle mask per player) to warm-start from.

    Returns
    -------
    Solution
        ``status`` (only ``OPTIMAL`` values may be reported), ``allocation``, its ``value``
        evaluated by definition, the proven ``bound``, the ``backend`` whose proof stands and the
        ``wall_time``.

    Raises
    ------
    SolverError
        When a backend's answer contradicts the exact evaluation (a bug, never bad input).

    Examples
    --------
    Two goods; player 0 values good 0 at 5, player 1 values both goods together at 5:

    >>> from instances.valuation import Form, Valuation
    >>> from ilp import Program, Weight, solve
    >>> p0 = Weight.of(Valuation(Form.XOR, ((0b01, 5),)))
    >>> p1 = Weight.of(Valuation(Form.XOR, ((0b11, 5),)))
    >>> solution = solve(Program(2, (p0, p1)), "cpsat")
    >>> solution.status.value, solution.value, solution.bound
    ('optimal', 5, 5)
    >>> solve(Program(2, (p0, p1)), "brute").value  # every backend proves the same optimum
    5
    """
    options = as_options(options)
    known = options.known.get(program)
    if known is not None:
        return known
    module = get_backend(options.backend)
    priced = options.backend != "brute" and colgen.applies(program, options.blocks)
    if options.time_limit is not None and (priced or options.backend in _REACHING_CP_SAT):
        # CP-SAT may solve it or a part of it: OR-Tools' one-time import (``ilp.cpsat.ortools``)
        # before the clock starts, not out of the time limit (0.6 s of a first solve's)
        get_backend("cpsat").ortools()
    start = time.perf_counter()
    if priced:
        # guaranteed values of candidates: unions priced by column generation, never listed
        outcome = colgen.solve(program, module, options, hint, _solve_core)
        if outcome is not None:
            return _priced(program, outcome, options, time.perf_counter() - start)
        if options.time_limit is not None:
            # given up (a core too large to list): the ordinary way gets the time left, not the
            # whole limit again (which let one program run for nearly twice it)
            options = replace(options, time_limit=max(options.time_limit - (time.perf_counter() - start),
                                                      MIN_TIME_LEFT))
    if options.backend != "brute" and (allocation := onebid.best_bid(program, options.blocks)) is not None:
        # one player alone who takes one bid: its best bid, the first of several (ilp.onebid)
        value = program.total(allocation)
        count_solving(time.perf_counter() - start)
        return Solution(Status.OPTIMAL, allocation, value, value, options.backend, time.perf_counter() - start)
    if options.backend != "brute" and (
            (answer := dense.solve_program(program, blocks=options.blocks)) is not None
            or (table_answer := fewgoods.solve_program(program, blocks=options.blocks)) is not None):
        # no integer program: one or two single-choice players with thousands of bids over few
        # goods (complete tables), by exact transforms over every bundle (ilp.dense); or many
        # players of one bid each over few goods (CATS's legacy shape), by the dynamic program
        # over subsets of the goods, whose witness is the lexicographically first optimum
        # (ilp.fewgoods, which leaves owner objectives to the others): marked ``first``, so that
        # a tie-break takes it as it is instead of filling the program's table again
        status, allocation = answer if answer is not None else table_answer
        value = program.total(allocation) if allocation is not None else None
        count_solving(time.perf_counter() - start)
        return Solution(status, allocation, value, value if not program.minimize_owners else None,
                        options.backend, time.perf_counter() - start, first=answer is None and allocation is not None)
    formulation = build(program, options.blocks)
    start_values = formulation.encode(hint) if hint is not None else None
    checked = _proven(formulation, module, options, start_values, _run)
    claimed, allocation, value = _witness(program, formulation, checked)
    if checked.status is Status.OPTIMAL and not program.minimize_owners and claimed is not None and value > claimed:
        # an optimum claimed below a solution's worth: CP-SAT's presolve did so near 10^12
        # (``ilp.cpsat.ROBUST_MAGNITUDE``); the program is proven again without it, from that solution
        from ilp import cpsat

        checked, _ = _checked(formulation, cpsat.run(formulation, options, formulation.encode(allocation),
                                                     safe=True), cpsat)
        claimed, allocation, value = _witness(program, formulation, checked)
    status, bound, solver = checked.status, checked.bound, checked.solver or options.backend
    wall = time.perf_counter() - start
    if not program.minimize_owners and claimed is not None:
        # checked integer solutions of an exact formulation: the formulation never over-counts,
        # and at a proven optimum it counts exactly (a failure here is a bug in cabench)
        if value < claimed or (status is Status.OPTIMAL and value != claimed):
            raise SolverError(f"{solver}: the solver claims {claimed} but the witness is worth {value}")
        if status is Status.OPTIMAL and bound is not None and bound != value:
            raise SolverError(f"{solver}: proven optimum {bound} but the witness is worth {value}")
    if status is Status.OPTIMAL and not program.minimize_owners:
        bound = value
    elif status in (Status.FEASIBLE, Status.UNKNOWN) and not program.minimize_owners:
        # a solver stopped by the time limit before it had a bound (CBC never gives one; SCIP
        # gives its infinity, 10^20): the variables' ranges bound the welfare too, so an answer
        # not proven always has its interval
        box = formulation.ilp.box_bound()
        bound = formulation.ilp.tightest_bound(bound, box)
        if value is not None and value == bound == box:
            # a solution worth the exact bound of the ranges is an optimum, proven (not one worth
            # a floating-point solver's rounded bound: that may be a unit short)
            status = Status.OPTIMAL
    count_solving(time.perf_counter() - start)
    return Solution(status, allocation, value, bound, solver, wall, checked.error)


def _priced(program: Program, outcome: "colgen.Outcome", options: SolveOptions, seconds: float) -> Solution:
    """The :class:`Solution` of an ``ilp.colgen`` outcome, its witness evaluated by definition."""
    allocation = outcome.allocation
    value = program.total(allocation) if allocation is not None else None
    solver = outcome.solver or options.backend
    status = outcome.status
    if status is Status.FEASIBLE and value is not None and value == outcome.bound:
        status = Status.OPTIMAL  # (a core stopped by the clock after its solution met the exact dual bound)
    if status is Status.OPTIMAL and value != outcome.bound:
        raise SolverError(f"{solver}: proven optimum {outcome.bound} but the witness is worth {value}")
    count_solving(seconds)
    return Solution(status, allocation, value, outcome.bound, solver, seconds, outcome.error)


def _witness(program: Program, formulation: Formulation, answer: Answer
             ) -> tuple[int | None, tuple[int, ...] | None, int | None]:
    """(the objective the solver claims for its solution, the allocation it decodes to, that
    allocation's value), None where there is no solution."""
    claimed, allocation = None, answer.allocation
    if answer.values is not None:
        claimed = claims.objective(formulation.ilp, answer.values)
        allocation = formulation.decode(answer.values)
        if not program.minimize_owners:
            allocation = _shrink(formulation, allocation)
    return claimed, allocation, program.total(allocation) if allocation is not None else None


def _solve_core(formulation: Formulation, module: ModuleType, options: SolveOptions,
                hint: list[int] | None) -> Answer:
    """``module``'s checked answer to a core of ``ilp.colgen``, routed and re-proved exactly as
    :func:`solve` does for a whole program (the core goes to the backend as it is)."""
    return _proven(formulation, module, options, hint, lambda f, m, o, h: m.run(f, o, h))


def _proven(formulation: Formulation, module: ModuleType, options: SolveOptions, hint: list[int] | None,
            run: Callable[[Formulation, ModuleType, SolveOptions, list[int] | None], Answer]) -> Answer:
    """``run``'s answer with ``module``, checked by ``ilp.claims``: a program whose integers a
    floating-point backend cannot separate goes to CP-SAT, and a floating-point claim that
    fails the exact check is re-proved by CP-SAT."""
    if not getattr(module, "EXACT", False) and not claims.separable(formulation.ilp):
        module = get_backend("cpsat")
    checked, doubted = _checked(formulation, run(formulation, module, options, hint), module)
    if doubted:
        cpsat = get_backend("cpsat")
        checked, _ = _checked(formulation, run(formulation, cpsat, options, checked.values or hint), cpsat)
    return checked


def _checked(formulation: Formulation, answer: Answer, module: ModuleType) -> tuple[Answer, bool]:
    """``ilp.claims.check`` of a backend's answer (an allocation, given by a backend that solves
    the program by definition, is evaluated by definition instead); an exact backend's broken
    constraint is a bug."""
    if answer.allocation is not None:
        return answer, False
    try:
        (status, values, bound), doubted = claims.check(formulation.ilp, (answer.status, answer.values, answer.bound),
                                                        exact=getattr(module, "EXACT", False))
    except ValueError as exc:
        raise SolverError(f"{answer.solver or module.NAME}: {exc}") from None
    return replace(answer, status=status, values=values, bound=bound), doubted


def _run(formulation: Formulation, module: ModuleType, options: SolveOptions, hint: list[int] | None) -> Answer:
    for terms, lo, hi in formulation.ilp.rows:
        if not terms and ((lo is not None and lo > 0) or (hi is not None and hi < 0)):
            # e.g. a good fixed to a player who cannot hold it
            return Answer(Status.INFEASIBLE, solver=getattr(module, "NAME", ""))
    if module.NAME != "brute" and certify.applies(formulation):
        # covering unions: an exact dual bound and small cores instead of the whole program
        return certify.run(formulation, module, options, hint)
    if module.NAME == "cpsat" and relaxation.applies(formulation):
        # plain winner determination: the relaxation first (ilp.relaxation; the portfolio does
        # the same for the programs it does not give the clique search). Only where OR-Tools,
        # whose GLOP solves it, is loaded anyway
        settled, hint = relaxation.settle(formulation, module, options, hint)
        if settled is not None:
            return settled
    return module.run(formulation, options, hint)
