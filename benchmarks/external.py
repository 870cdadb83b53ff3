"""External-knowledge revenue benchmarks: MIEW_i = BB_i, MIEW(K_S), BB and BB'."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from benchmarks._solve import solve_program, weights_program
from benchmarks.knowledge import guaranteed
from benchmarks.results import Benchmark, Best, best_of
from ilp import Program, SolveOptions
from instances import Instance


def miew(instance: Instance, i: int, *, options: SolveOptions | str | None = None, canonical: bool = False) -> Benchmark:
    """MIEW_i(K_i) = BB_i: the maximum revenue player i can guarantee by take-it-or-leave-it
    offers to the other players.

    Seed 001 §2 Definitions 2-3: the maximum REV over outcomes that are V-feasible for every V in
    K_i (canonical for -i: integer prices >= 0, P_j = 0 when A_j is empty, and P_j <= V_j(A_j)).
    Seed 004 §3 Definition 2 defines BB_i the same way over beliefs B_i. The witness is the
    canonical outcome: its prices are the guaranteed values g^i_j(A_j).
    """
    return solve_program(f"MIEW_{instance.players[i]}", miew_program(instance, i), priced=True,
                         options=options, canonical=canonical)


def miew_program(instance: Instance, i: int) -> Program:
    """The program of :func:`miew`: the others' guaranteed values g^i_j, player i removed."""
    return weights_program(instance.m, [None if j == i else guaranteed(instance, i, j) for j in range(instance.n)])


def _best(name: str, instance: Instance, per_player: Sequence[Benchmark], players: Iterable[int]) -> Best:
    return best_of(name, [(i, per_player[i]) for i in players])


def miew_of(instance: Instance, per_player: Sequence[Benchmark], players: Iterable[int] | None = None) -> Best:
    """MIEW(K_S) = max over i in S of MIEW_i (seed 001 §2 Definition 3), evaluated by default on
    the independent players S = I as the benchmark of seed 001 Theorem 1 requires.
    ``per_player[i]`` is :func:`miew` of player i."""
    chosen = instance.independent if players is None else players
    return _best("MIEW", instance, per_player, chosen)


def bb(instance: Instance, per_player: Sequence[Benchmark]) -> Best:
    """BB = max over all players i of BB_i (seed 004 §3 Definition 2)."""
    return _best("BB", instance, per_player, range(instance.n))


def bb_prime(instance: Instance, per_player: Sequence[Benchmark]) -> Best:
    """BB' = max over independent players of BB_i (seed 004 §6.2.3, collusion)."""
    return _best("BB'", instance, per_player, instance.independent)
