"""External-knowledge revenue benchmarks: MIEW_i = BB_i, MIEW(K_S), BB and BB'."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from benchmarks.knowledge import guaranteed_row
from benchmarks.results import Benchmark, Best, best_of
from benchmarks.solving import Request, solve_request, weights_program
from ilp import Program, SolveOptions
from instances import Instance

__all__ = ["bb", "bb_prime", "miew", "miew_of", "miew_program", "miew_request", "miew_requests"]


def miew(instance: Instance, i: int, *, options: SolveOptions | str | None = None, canonical: bool = False) -> Benchmark:
    """MIEW_i(K_i) = BB_i: the maximum revenue player i can guarantee by take-it-or-leave-it
    offers to the other players.

    Seed 001 §2 Definitions 2-3: the maximum REV over outcomes that are V-feasible for every V in
    K_i (canonical for -i: integer prices >= 0, P_j = 0 when A_j is empty, and P_j <= V_j(A_j)).
    Seed 004 §3 Definition 2 defines BB_i the same way over beliefs B_i. The witness is the
    canonical outcome: its prices are the guaranteed values g^i_j(A_j).

    Parameters
    ----------
    instance : Instance
        The instance; player i's knowledge (lower bounds or candidates) sets the prices.
    i : int
        Index of the selling player (file order, from 0).
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
        ``instance.goods[j]``), and ``prices`` the take-it-or-leave-it price of every offer (0 where nothing is
        offered). Player i receives nothing.

    Examples
    --------
    The example of seed 004 §3: BB_1 = 25, BB_2 = 100, BB_3 = 150.

    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from benchmarks import miew
    >>> [miew(inst, i).value for i in range(inst.n)]
    [25, 100, 150]
    >>> witness = miew(inst, 2).outcome  # p3 offers {1} to p1 at 80 and {2} to p2 at 70
    >>> witness.allocation, witness.prices
    ((1, 2, 0), (80, 70, 0))
    """
    return solve_request(miew_request(instance, i), options, canonical)


def miew_request(instance: Instance, i: int) -> Request:
    """:func:`miew`'s name and program, to be solved with others (``mechanisms.Facts.prefetch``)."""
    return Request(f"MIEW_{instance.players[i]}", miew_program(instance, i), True)


def miew_program(instance: Instance, i: int) -> Program:
    """The program of :func:`miew`: the others' guaranteed values g^i_j, player i removed."""
    row = list(guaranteed_row(instance, i))
    row[i] = None
    return weights_program(instance.m, row)


def miew_requests(instance: Instance, players: Iterable[int]) -> tuple[list[Request], list[Program]]:
    """:func:`miew_request` of each of ``players`` (equal programs, each weight built once), and
    the MIKW_i programs that two or more of them remove their player from, to be solved beside
    them (``benchmarks.solving.solve_requests``'s ``helpers``). MIEW_i is MIKW_i without player i
    (seed 000 Definition 3; seed 001 Definition 3).

    Why. A mechanism's rational play asks for MIEW_i of every player
    (``mechanisms.Facts.prefetch``). With exact knowledge every MIKW_i is MSW, so MIEW_i is
    MSW_{-i}; with MSW in the batch, a player who wins nothing in MSW's (canonical) optimum has
    MSW_{-i} settled from that optimum, without a solve or a tie-break of its own (``ilp.batch``,
    ``ilp.canonical``). Without it each MSW_{-i} was solved and ordered alone: ``evaluate -m
    best-belief`` on 1000 one-bid players with exact knowledge took 57-70 s and 1.2 GB, 4 s
    and 260 MB with it (docs/performance.md, "Session 76"). Rows of their own (lower bounds,
    candidates) share no MIKW_i, and none is added: MIKW_i would cost as much as the MIEW_i it
    could settle.

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> requests, helpers = miew_requests(inst, range(inst.n))
    >>> [r.name for r in requests], len(helpers)
    (['MIEW_p1', 'MIEW_p2', 'MIEW_p3'], 0)
    >>> requests[2].program == miew_program(inst, 2)
    True
    """
    made: dict = {}  # the weights of the rows' valuations, each built once (``guaranteed_row``)
    requests: list[Request] = []
    parents: dict[tuple[int, ...], list] = {}  # the objects of a row -> [MIKW_i's program, requests it serves]
    for i in players:
        row = guaranteed_row(instance, i, made)
        parent = parents.get(key := tuple(map(id, row)))
        if parent is None:
            parent = parents[key] = [weights_program(instance.m, row), 0]
        parent[1] += 1
        requests.append(Request(f"MIEW_{instance.players[i]}", parent[0].without(i), True))
    return requests, [program for program, count in parents.values() if count > 1]


def _best(name: str, instance: Instance, per_player: Sequence[Benchmark], players: Iterable[int]) -> Best:
    return best_of(name, [(i, per_player[i]) for i in players])


def miew_of(instance: Instance, per_player: Sequence[Benchmark], players: Iterable[int] | None = None) -> Best:
    """MIEW(K_S) = max over i in S of MIEW_i (seed 001 §2 Definition 3), evaluated by default on
    the independent players S = I as the benchmark of seed 001 Theorem 1 requires.
    ``per_player[i]`` is :func:`miew` of player i.

    Parameters
    ----------
    instance : Instance
        The instance.
    per_player : sequence of Benchmark
        ``per_player[i]`` is :func:`miew` of player i, for every player.
    players : iterable of int or None, optional
        The set S; None for the independent players I.

    Returns
    -------
    Best
        ``value`` (None unless every MIEW_i it compares is proven) and ``winner``, the index of the
        player attaining it (lowest on ties; None when S is empty, with value 0).

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from benchmarks import miew, miew_of
    >>> per_player = [miew(inst, i) for i in range(inst.n)]
    >>> best = miew_of(inst, per_player)
    >>> best.value, inst.players[best.winner]
    (150, 'p3')
    >>> miew_of(inst, per_player, players=[0, 1]).value
    100
    """
    chosen = instance.independent if players is None else players
    return _best("MIEW", instance, per_player, chosen)


def bb(instance: Instance, per_player: Sequence[Benchmark]) -> Best:
    """BB = max over all players i of BB_i (seed 004 §3 Definition 2).

    Parameters
    ----------
    instance : Instance
        The instance.
    per_player : sequence of Benchmark
        ``per_player[i]`` is :func:`miew` (= BB_i) of player i, for every player.

    Returns
    -------
    Best
        ``value`` and ``winner`` (index of the player attaining it, lowest on ties).

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from benchmarks import bb, miew
    >>> best = bb(inst, [miew(inst, i) for i in range(inst.n)])
    >>> best.value, inst.players[best.winner]
    (150, 'p3')
    """
    return _best("BB", instance, per_player, range(instance.n))


def bb_prime(instance: Instance, per_player: Sequence[Benchmark]) -> Best:
    """BB' = max over independent players of BB_i (seed 004 §6.2.3, collusion).

    Parameters
    ----------
    instance : Instance
        The instance; its coalitions decide who is independent.
    per_player : sequence of Benchmark
        ``per_player[i]`` is :func:`miew` (= BB_i) of player i, for every player.

    Returns
    -------
    Best
        ``value`` and ``winner``; value 0 and winner None when no player is independent.

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from benchmarks import bb_prime, miew
    >>> bb_prime(inst, [miew(inst, i) for i in range(inst.n)]).value  # everyone is independent
    150
    """
    return _best("BB'", instance, per_player, instance.independent)
