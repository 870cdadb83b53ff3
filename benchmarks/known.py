"""Known-welfare benchmarks of seed 000: MIKW_i, RK_A, MKW_A, MKW, and the hidden value."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from benchmarks._solve import solve_program, weights_program
from benchmarks.knowledge import coalition_guaranteed, guaranteed
from benchmarks.results import Benchmark, Best, Outcome, best_of
from ilp import Program, SolveOptions
from instances import Instance


def mikw(instance: Instance, i: int, *, options: SolveOptions | str | None = None, canonical: bool = False) -> Benchmark:
    """MIKW_i = MSW(K^i): the maximum social welfare of the profile K^i = (TV_i, g^i_{-i}), the
    welfare i knows it can guarantee by assigning the goods (seed 000 §1.2 Definition 3).

    The witness prices are TV_i(A_i) for i and g^i_j(A_j) for the others, so that the witness is
    also RK_{{i}} of seed 000 Definition 6 and REV(witness) = MIKW_i.
    """
    return solve_program(f"MIKW_{instance.players[i]}", mikw_program(instance, i), priced=True,
                         options=options, canonical=canonical)


def mikw_program(instance: Instance, i: int) -> Program:
    """The program of :func:`mikw`: TV_i for i and the guaranteed values g^i_j for the others."""
    return weights_program(instance.m, [guaranteed(instance, i, j) for j in range(instance.n)])


def relevant_knowledge(instance: Instance, agent: Iterable[int], *, options: SolveOptions | str | None = None, canonical: bool = False) -> Benchmark:
    """RK_A: the outcome of maximum revenue with P_j = TV_j(A_j) for j in A and P_j <= V_j(A_j)
    for every V the agent considers possible for j outside A (seed 000 §2 Definition 6, with the
    agent's knowledge the union K^A of its members', seed 000 §1.2 Definition 1).

    Its value is MKW_A, the maximum known welfare of agent A (seed 000 Definition 6).
    """
    label = ",".join(instance.players[j] for j in sorted(agent))
    return solve_program(f"MKW_{{{label}}}", relevant_knowledge_program(instance, agent), priced=True,
                         options=options, canonical=canonical)


def relevant_knowledge_program(instance: Instance, agent: Iterable[int]) -> Program:
    """The program of :func:`relevant_knowledge`: TV_j for members, the pooled g^A_j for others."""
    members = tuple(sorted(agent))
    return weights_program(instance.m, [coalition_guaranteed(instance, members, j) for j in range(instance.n)])


def mkw(instance: Instance, per_agent: Sequence[tuple[tuple[int, ...], Benchmark]]) -> Best:
    """MKW = max over agents A of the collusion structure of MKW_A (seed 000 §2 Definition 6);
    equal to max_i MIKW_i when every player is independent (seed 000 §1.2 Definition 3).
    ``per_agent`` pairs each agent with its :func:`relevant_knowledge`."""
    return best_of("MKW", list(per_agent))


def hidden_value(instance: Instance, coalition: Iterable[int], outcome: Outcome) -> int:
    """HiddenV_C(Omega) = sum_{k in C} TV_k(A_k) + sum_{k not in C} P_k (seed 000 §5.1)."""
    members = set(coalition)
    prices = outcome.prices or (0,) * instance.n
    return sum(
        instance.valuations[k].value(outcome.allocation[k]) if k in members else prices[k]
        for k in range(instance.n)
    )
