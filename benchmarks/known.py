"""Known-welfare benchmarks of seed 000: MIKW_i, RK_A, MKW_A, MKW, and the hidden value."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from benchmarks.knowledge import coalition_guaranteed, guaranteed_row
from benchmarks.results import Benchmark, Best, Outcome, best_of
from benchmarks.solving import Request, solve_program, solve_request, weights_program
from ilp import Program, SolveOptions
from instances import Instance

__all__ = ["hidden_value", "mikw", "mikw_program", "mikw_requests", "mkw", "relevant_knowledge",
           "relevant_knowledge_program", "relevant_knowledge_request", "relevant_knowledge_requests"]


def mikw(instance: Instance, i: int, *, options: SolveOptions | str | None = None, canonical: bool = False) -> Benchmark:
    """MIKW_i = MSW(K^i): the maximum social welfare of the profile K^i = (TV_i, g^i_{-i}), the
    welfare i knows it can guarantee by assigning the goods (seed 000 §1.2 Definition 3).

    The witness prices are TV_i(A_i) for i and g^i_j(A_j) for the others, so that the witness is
    also RK_{{i}} of seed 000 Definition 6 and REV(witness) = MIKW_i.

    Parameters
    ----------
    instance : Instance
        The instance.
    i : int
        Index of the player whose knowledge is used.
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
        ``instance.goods[j]``), and ``prices`` as above.

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from benchmarks import mikw
    >>> [mikw(inst, i).value for i in range(inst.n)]
    [125, 180, 150]
    """
    return solve_program(f"MIKW_{instance.players[i]}", mikw_program(instance, i), priced=True,
                         options=options, canonical=canonical)


def mikw_program(instance: Instance, i: int) -> Program:
    """The program of :func:`mikw`: TV_i for i and the guaranteed values g^i_j for the others."""
    return weights_program(instance.m, guaranteed_row(instance, i))


def mikw_requests(instance: Instance, players: Iterable[int]) -> list[Request]:
    """:func:`mikw`'s name and program (MIKW_i, seed 000 Definition 3) of each of ``players``, to be
    solved as one batch (``benchmarks.solving.solve_requests``), each weight built once
    (``benchmarks.knowledge.guaranteed_row``): mixed-second-price's guarantee reads MIKW_i of every
    independent player, and with exact knowledge each is MSW, one program for the batch (1000
    one-bid players: 1000 programs of 1000 weights built and solved one by one before).

    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> [(r.name, r.program == mikw_program(inst, i)) for i, r in enumerate(mikw_requests(inst, range(inst.n)))]
    [('MIKW_p1', True), ('MIKW_p2', True), ('MIKW_p3', True)]
    """
    made: dict = {}
    return [Request(f"MIKW_{instance.players[i]}", weights_program(instance.m, guaranteed_row(instance, i, made)), True)
            for i in players]


def relevant_knowledge(instance: Instance, agent: Iterable[int], *, options: SolveOptions | str | None = None, canonical: bool = False) -> Benchmark:
    """RK_A: the outcome of maximum revenue with P_j = TV_j(A_j) for j in A and P_j <= V_j(A_j)
    for every V the agent considers possible for j outside A (seed 000 §2 Definition 6, with the
    agent's knowledge the union K^A of its members', seed 000 §1.2 Definition 1).

    Its value is MKW_A, the maximum known welfare of agent A (seed 000 Definition 6).

    Parameters
    ----------
    instance : Instance
        The instance; with candidate sets, ``instance.coalition_knowledge`` says how a coalition
        pools them (docs/definitions.md, "Coalition pooling").
    agent : iterable of int
        Indices of the members of A (one player, or a coalition).
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
        ``instance.goods[j]``), and ``prices``: TV_j(A_j) inside the agent, the pooled guaranteed value outside.

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from benchmarks import relevant_knowledge
    >>> rk = relevant_knowledge(inst, [1])  # RK_{p2}: p2 takes {2} at its value 100, sells {1} to p1 at 80
    >>> rk.value, rk.outcome.prices
    (180, (80, 100, 0))
    """
    return solve_request(relevant_knowledge_request(instance, agent), options, canonical)


def relevant_knowledge_request(instance: Instance, agent: Iterable[int]) -> Request:
    """:func:`relevant_knowledge`'s name and program, to be solved with others
    (``mechanisms.Facts.prefetch``)."""
    return relevant_knowledge_requests(instance, [agent])[0]


def relevant_knowledge_requests(instance: Instance, agents: Iterable[Iterable[int]]) -> list[Request]:
    """:func:`relevant_knowledge_request` (RK_A, seed 000 Definition 6) of each of ``agents``, the
    weights of the singletons' programs each built once (``benchmarks.knowledge.guaranteed_row``):
    collusion-leveraging asks for RK_{i} of every player, n programs of n weights (1000 one-bid
    players with exact knowledge: 9 s building and keying a million weights; equal programs now
    share their objects).

    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> [r.name for r in relevant_knowledge_requests(inst, [(1,), (2, 0)])]
    ['MKW_{p2}', 'MKW_{p1,p3}']
    """
    made: dict = {}
    requests = []
    for agent in agents:
        members = tuple(sorted(agent))
        label = ",".join(instance.players[j] for j in members)
        if len(members) == 1:  # g^{i}_j is g^i_j (seed 000 Definition 1): MIKW_i's weights
            program = weights_program(instance.m, guaranteed_row(instance, members[0], made))
        else:
            program = relevant_knowledge_program(instance, members)
        requests.append(Request(f"MKW_{{{label}}}", program, True))
    return requests


def relevant_knowledge_program(instance: Instance, agent: Iterable[int]) -> Program:
    """The program of :func:`relevant_knowledge`: TV_j for members, the pooled g^A_j for others."""
    members = tuple(sorted(agent))
    return weights_program(instance.m, [coalition_guaranteed(instance, members, j) for j in range(instance.n)])


def mkw(instance: Instance, per_agent: Sequence[tuple[tuple[int, ...], Benchmark]]) -> Best:
    """MKW = max over agents A of the collusion structure of MKW_A (seed 000 §2 Definition 6);
    equal to max_i MIKW_i when every player is independent (seed 000 §1.2 Definition 3).
    ``per_agent`` pairs each agent with its :func:`relevant_knowledge`.

    Parameters
    ----------
    instance : Instance
        The instance.
    per_agent : sequence of (tuple of int, Benchmark)
        Every agent of ``instance.agents`` with its :func:`relevant_knowledge`, in that order.

    Returns
    -------
    Best
        ``value`` and ``winner``, the agent (a tuple of player indices) attaining it.

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from benchmarks import mkw, relevant_knowledge
    >>> best = mkw(inst, [(a, relevant_knowledge(inst, a)) for a in inst.agents])
    >>> best.value, best.winner
    (180, (1,))
    """
    return best_of("MKW", list(per_agent))


def hidden_value(instance: Instance, coalition: Iterable[int], outcome: Outcome) -> int:
    """HiddenV_C(Omega) = sum_{k in C} TV_k(A_k) + sum_{k not in C} P_k (seed 000 §5.1).

    Parameters
    ----------
    instance : Instance
        The instance.
    coalition : iterable of int
        Indices of the members of C.
    outcome : Outcome
        An outcome with prices.

    Returns
    -------
    int

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from benchmarks import hidden_value, miew
    >>> offers = miew(inst, 2).outcome  # {1} to p1 at 80, {2} to p2 at 70
    >>> hidden_value(inst, [1], offers)  # p2 values {2} at 100, p1 pays 80
    180
    """
    members = set(coalition)
    prices = outcome.prices or (0,) * instance.n
    return sum(
        instance.valuations[k].value(outcome.allocation[k]) if k in members else prices[k]
        for k in range(instance.n)
    )
