"""Welfare benchmarks on true valuations: MSW, MSW_{-i}, BA^C and the lexicographically first
welfare-maximising allocation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from benchmarks.knowledge import true_weight
from benchmarks.results import Benchmark, from_solution
from benchmarks.solving import Request, solve_program, solve_request, weights_program
from ilp import Program, Solution, SolveOptions, lex_first, solve
from instances import Instance

__all__ = ["best_allocation", "best_allocation_program", "best_allocation_request", "favourite_bundle",
           "favourite_bundle_request", "lex_first_optimal", "msw", "msw_program", "msw_without", "msw_without_program"]


def msw(instance: Instance, *, options: SolveOptions | str | None = None,
        canonical: bool = False) -> Benchmark:
    """Maximum social welfare MSW = max over allocations A of sum_j TV_j(A_j).

    Seed 002 §2 ("maximum rational revenue coincides with the maximum social welfare");
    seed 000 §1.2 (MSW(V) in the definition of MIKW). Goods may stay unallocated.

    Parameters
    ----------
    instance : Instance
        The instance (from :func:`instances.load_instance`).
    options : SolveOptions, str or None, optional
        How to solve (:class:`ilp.SolveOptions`: backend, time limit per program, jobs), or just a
        backend's name of ``ilp.backend_names()`` (``"portfolio"``, the default, ``"cpsat"``,
        ``"cbc"``, ``"scip"``, ``"highs"``, ``"brute"`` or ``"clique"``). Values never
        depend on the backend. A program not proven optimal within the time limit returns a
        result whose ``value`` is None (with ``incumbent`` and ``bound``).
    canonical : bool, optional
        Return the canonical witness (the optimal allocation with the lexicographically smallest
        owner vector) instead of the solver's own optimum. Costs extra solves; the value is the same.

    Returns
    -------
    Benchmark
        ``value`` (the proven integer, or None), ``status``, and the witness ``outcome``: its
        ``allocation`` holds one bitmask per player (bit j set when the player receives
        ``instance.goods[j]``); ``prices`` is None.

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from benchmarks import msw
    >>> result = msw(inst)
    >>> result.value, result.proven
    (200, True)
    >>> result.outcome.allocation  # p1 receives good "1", p2 receives good "2"
    (1, 2, 0)
    """
    return solve_program("MSW", msw_program(instance), priced=False, options=options,
                         canonical=canonical)


def msw_program(instance: Instance) -> Program:
    """The program of :func:`msw`: every player with its true valuation."""
    return weights_program(instance.m, [true_weight(instance, j) for j in range(instance.n)])


def msw_without(instance: Instance, i: int, *, options: SolveOptions | str | None = None, optimum: Benchmark | None = None,
                canonical: bool = False) -> Benchmark:
    """MSW_{-i}: the maximum social welfare with player i removed (the VCG externality term,
    used by the VCG baseline; docs/definitions.md, "Benchmarks", row MSW_-i).

    Exact shortcut: when ``optimum`` (a proven MSW result) gives player i nothing, it is also
    optimal without i, so MSW_{-i} = MSW with the same witness and no solve.

    Parameters
    ----------
    instance : Instance
        The instance.
    i : int
        Index of the removed player (file order, from 0).
    options : SolveOptions, str or None, optional
        How to solve (:class:`ilp.SolveOptions`: backend, time limit per program, jobs), or just a
        backend's name of ``ilp.backend_names()`` (``"portfolio"``, the default, ``"cpsat"``,
        ``"cbc"``, ``"scip"``, ``"highs"``, ``"brute"`` or ``"clique"``). Values never
        depend on the backend. A program not proven optimal within the time limit returns a
        result whose ``value`` is None (with ``incumbent`` and ``bound``).
    optimum : Benchmark or None, optional
        A proven :func:`msw` result of the same instance, for the shortcut above.
    canonical : bool, optional
        Return the canonical witness (the optimal allocation with the lexicographically smallest
        owner vector) instead of the solver's own optimum. Costs extra solves; the value is the same.

    Returns
    -------
    Benchmark
        ``value`` (the proven integer, or None), ``status``, and the witness ``outcome``: its
        ``allocation`` holds one bitmask per player (bit j set when the player receives
        ``instance.goods[j]``); player i receives nothing.

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from benchmarks import msw_without
    >>> [msw_without(inst, i).value for i in range(inst.n)]
    [100, 100, 200]
    """
    name = f"MSW_-{instance.players[i]}"
    if optimum is not None and optimum.proven and optimum.outcome.allocation[i] == 0:
        return replace(optimum, name=name, wall_time=0.0)
    return solve_program(name, msw_without_program(instance, i), priced=False, options=options, canonical=canonical)


def msw_without_program(instance: Instance, i: int) -> Program:
    """The program of :func:`msw_without`: MSW's with player i removed."""
    return weights_program(instance.m, [None if j == i else true_weight(instance, j) for j in range(instance.n)])


def best_allocation(instance: Instance, coalition: Iterable[int], *, options: SolveOptions | str | None = None, canonical: bool = False) -> Benchmark:
    """BA^C = argmax over allocations giving goods only to members of C of sum_{k in C} TV_k(A_k).

    Seed 000 Appendix A ("Best Allocation"), used by the collusion-leveraging mechanism.

    Parameters
    ----------
    instance : Instance
        The instance.
    coalition : iterable of int
        Indices of the members of C; everyone else receives nothing.
    options : SolveOptions, str or None, optional
        How to solve (:class:`ilp.SolveOptions`: backend, time limit per program, jobs), or just a
        backend's name of ``ilp.backend_names()`` (``"portfolio"``, the default, ``"cpsat"``,
        ``"cbc"``, ``"scip"``, ``"highs"``, ``"brute"`` or ``"clique"``). Values never
        depend on the backend. A program not proven optimal within the time limit returns a
        result whose ``value`` is None (with ``incumbent`` and ``bound``).
    canonical : bool, optional
        Return the canonical witness (the optimal allocation with the lexicographically smallest
        owner vector) instead of the solver's own optimum. Costs extra solves; the value is the same.

    Returns
    -------
    Benchmark
        ``value`` (the proven integer, or None), ``status``, and the witness ``outcome``: its
        ``allocation`` holds one bitmask per player (bit j set when the player receives
        ``instance.goods[j]``); its value is sum over k in C of TV_k(A_k).

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from benchmarks import best_allocation
    >>> best_allocation(inst, [2]).value  # BA^{p3}: p3 alone gets {1, 2}, worth 50
    50
    >>> best_allocation(inst, [0, 1]).value
    200
    """
    return solve_request(best_allocation_request(instance, coalition), options, canonical)


def best_allocation_request(instance: Instance, coalition: Iterable[int]) -> Request:
    """:func:`best_allocation`'s name and program, to be solved with others
    (``mechanisms.Facts.prefetch``)."""
    coalition = tuple(coalition)
    label = ",".join(instance.players[j] for j in sorted(set(coalition)))
    return Request(f"BA^{{{label}}}", best_allocation_program(instance, coalition), False)


def best_allocation_program(instance: Instance, coalition: Iterable[int]) -> Program:
    """The program of :func:`best_allocation`: only the members of the coalition, truthfully."""
    members = set(coalition)
    return weights_program(instance.m, [true_weight(instance, j) if j in members else None
                                        for j in range(instance.n)])


def lex_first_optimal(instance: Instance, *, options: SolveOptions | str | None = None, optimum: Benchmark | None = None) -> Benchmark:
    """omega*: the lexicographically first allocation of welfare MSW (seed 002 Lemma 3).

    Allocations are ordered by (owner(g_1), ..., owner(g_m)) with owner 0 for an unallocated good
    and players numbered 1..n in instance order. Pass ``optimum`` (an MSW result from the same
    solver) to skip re-solving MSW.

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
    optimum : Benchmark or None, optional
        A proven :func:`msw` result, to skip re-solving MSW.

    Returns
    -------
    Benchmark
        ``value`` (the proven integer, or None), ``status``, and the witness ``outcome``: its
        ``allocation`` holds one bitmask per player (bit j set when the player receives
        ``instance.goods[j]``).

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from benchmarks import lex_first_optimal
    >>> omega = lex_first_optimal(inst)
    >>> omega.value, omega.outcome.allocation
    (200, (1, 2, 0))
    """
    program = msw_program(instance)
    if optimum is None:
        first = solve(program, options)
    else:
        allocation = optimum.outcome.allocation if optimum.outcome else None
        first = Solution(optimum.status, allocation, optimum.incumbent, optimum.bound,
                         optimum.backend, optimum.wall_time)
    return from_solution("lex-first MSW allocation", lex_first(program, first, options))


def favourite_bundle(instance: Instance, i: int, *, options: SolveOptions | str | None = None) -> Benchmark:
    """argmax_S TV_i(S) with ties broken lexicographically on the characteristic vector
    (in(g_1), ..., in(g_m)), so the empty bundle is preferred when nothing has positive value.

    The favourite bundle S_i of seed 001 (announced in §6 Stage 1; §7 Claims 4-5), xi_i of seed
    004 §6, and the bundle a normal-form winner receives in seed 004 §4 Step d.

    Parameters
    ----------
    instance : Instance
        The instance.
    i : int
        Index of the player.
    options : SolveOptions, str or None, optional
        How to solve (:class:`ilp.SolveOptions`: backend, time limit per program, jobs), or just a
        backend's name of ``ilp.backend_names()`` (``"portfolio"``, the default, ``"cpsat"``,
        ``"cbc"``, ``"scip"``, ``"highs"``, ``"brute"`` or ``"clique"``). Values never
        depend on the backend. A program not proven optimal within the time limit returns a
        result whose ``value`` is None (with ``incumbent`` and ``bound``).

    Returns
    -------
    Benchmark
        ``value`` (the proven integer, or None), ``status``, and the witness ``outcome``: its
        ``allocation`` holds one bitmask per player (bit j set when the player receives
        ``instance.goods[j]``); only player i receives a bundle, and ``value`` is TV_i of it.

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from benchmarks import favourite_bundle
    >>> fav = favourite_bundle(inst, 2)  # p3 wants both goods together
    >>> fav.value, fav.outcome.allocation
    (50, (0, 0, 3))
    """
    return solve_request(favourite_bundle_request(instance, i), options, canonical=True)


def favourite_bundle_request(instance: Instance, i: int) -> Request:
    """:func:`favourite_bundle`'s name and program (player i alone, truthfully; its canonical
    optimum is the favourite bundle), to be solved with others (``mechanisms.Facts.prefetch``)."""
    weights = tuple(true_weight(instance, j) if j == i else None for j in range(instance.n))
    return Request(f"favourite bundle of {instance.players[i]}", Program(instance.m, weights), False)
