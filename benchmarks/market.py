"""Markets with endowments (seed 003): the socially optimal, truthful outcome."""

from __future__ import annotations

from dataclasses import replace

from benchmarks.results import Benchmark, Outcome
from benchmarks.welfare import lex_first_optimal
from ilp import SolveOptions
from instances import Instance

__all__ = ["endowment_welfare", "truthful_outcome"]


def endowment_welfare(instance: Instance) -> int:
    """SW(E) = sum_i TV_i(E_i): the welfare of leaving every good with its owner (seed 003 §3.3).

    Parameters
    ----------
    instance : Instance
        A market (an instance with an endowment).

    Returns
    -------
    int

    Examples
    --------
    >>> from instances import load_instance
    >>> from benchmarks import endowment_welfare
    >>> endowment_welfare(load_instance("instances/examples/seed003-market.json"))  # p1 keeps a, worth 3
    3
    """
    endowment = instance.endowment or (0,) * instance.n
    return sum(v.value(e) for v, e in zip(instance.valuations, endowment))


def truthful_outcome(instance: Instance, *, options: SolveOptions | str | None = None,
                     optimum: Benchmark | None = None) -> Benchmark:
    """The truthful outcome (A*, P*) of seed 003 Appendix A, Definition 7:
    A* maximises SW over all allocations (goods may be destroyed), P*_i = TV_i(A*_i) - TV_i(E_i)
    for every i other than player 1, and P*_1 = -sum of the others, so sum P* = 0.

    Among the socially optimal allocations A* is the lexicographically first one, so the answer
    is unique. The value is SW(A*) = MSW; player 1's utility is the welfare gain MSW - SW(E).

    Parameters
    ----------
    instance : Instance
        A market (an instance with an endowment).
    options : SolveOptions, str or None, optional
        How to solve (:class:`ilp.SolveOptions`: backend, time limit per program, jobs), or just a
        backend's name of ``ilp.backend_names()`` (``"portfolio"``, the default, ``"cpsat"``,
        ``"cbc"``, ``"scip"``, ``"highs"``, ``"brute"`` or ``"clique"``). Values never
        depend on the backend. A program not proven optimal within the time limit returns a
        result whose ``value`` is None (with ``incumbent`` and ``bound``).
    optimum : Benchmark or None, optional
        A proven :func:`benchmarks.msw` result of the same instance, to skip re-solving it.

    Returns
    -------
    Benchmark
        ``value`` (the proven integer, or None), ``status``, and the witness ``outcome``: its
        ``allocation`` holds one bitmask per player (bit j set when the player receives
        ``instance.goods[j]``), and ``prices`` P* (negative: the player receives money).

    Examples
    --------
    >>> from instances import load_instance
    >>> from benchmarks import truthful_outcome
    >>> market = load_instance("instances/examples/seed003-market.json")
    >>> out = truthful_outcome(market)  # a moves from p1 to p2, who pays 10 to p1
    >>> out.value, out.outcome.allocation, out.outcome.prices
    (10, (0, 1), (-10, 10))
    """
    first = lex_first_optimal(instance, options=options, optimum=optimum)
    if first.outcome is None:
        return first
    allocation = first.outcome.allocation
    endowment = instance.endowment or (0,) * instance.n
    prices = [v.value(a) - v.value(e) for v, a, e in zip(instance.valuations, allocation, endowment)]
    prices[0] = -sum(prices[1:])
    return replace(first, name="truthful outcome", outcome=Outcome(allocation, tuple(prices)))
