"""Mechanisms as games with public actions and explicit chance nodes (after OpenSpiel).

A mechanism is a function ``rules(play, instance, params) -> Terminal`` that states the paper's
rules in order. It asks agents for actions with ``play.ask`` (a decision node: the strategy sees
the public information) and flips coins with ``play.chance`` (a chance node listing its outcomes
with exact probabilities). The evaluator walks every branch of every chance node by replaying
the rules with a fixed prefix of chance outcomes, so expectations are exact Fractions; Monte
Carlo sampling draws the same chance nodes at random instead (a seeded cross-check). What the
rules work out from public information alone they may keep in ``play.shared``, one dict for
all the replays of a walk, with the information it came from (collusion-leveraging's Step 1).
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ilp import SolveOptions
from instances import CabenchError, Instance

__all__ = ["Decision", "MechanismError", "Play", "Rules", "Strategy", "Terminal", "outcome_distribution",
           "sample_outcome"]


@dataclass(frozen=True)
class Decision:
    """A decision node: ``player`` must choose a ``kind`` of action knowing ``info`` (public).
    A strategy reads ``info`` and never changes it: a decision without information is one object
    for every replay of a walk (:meth:`Play.ask`)."""

    player: int
    kind: str
    info: Mapping[str, Any] = field(default_factory=dict)


Strategy = Callable[[Decision], Any]
"""What a player does at each of its decision nodes."""


@dataclass(frozen=True)
class Terminal:
    """A leaf of the game: the outcome (A, P) and the public path that led to it."""

    allocation: tuple[int, ...]
    prices: tuple[Fraction, ...]
    path: tuple[str, ...]
    actions: tuple[tuple[int, str, Any], ...]

    def welfare(self, instance: Instance) -> int:
        """SW = sum_i TV_i(A_i) (seed 000 §5.1; seed 004 §3)."""
        return sum(v.value(a) for v, a in zip(instance.valuations, self.allocation))

    @functools.cached_property
    def revenue(self) -> Fraction:
        """REV = sum_i P_i: in integers over the prices' common denominator, and once per
        terminal (a 1000-player market's JSON summed its 1000 prices twice for each of its 1000
        outcomes, Fraction by Fraction: 4 s)."""
        common = math.lcm(*(p.denominator for p in self.prices))
        return Fraction(sum(p.numerator * (common // p.denominator) for p in self.prices), common)

    def utility(self, instance: Instance, i: int) -> Fraction:
        """u_i = TV_i(A_i) - P_i, minus TV_i(E_i) in a market (seed 003 §3)."""
        v = instance.valuations[i]
        endowed = v.value(instance.endowment[i]) if instance.endowment is not None else 0
        return v.value(self.allocation[i]) - endowed - self.prices[i]


class MechanismError(CabenchError):
    """A mechanism or strategy broke the game's own rules (a bug, or an invalid action)."""


class _Branch(Exception):
    def __init__(self, outcomes: Sequence[tuple[str, Fraction]]) -> None:
        self.outcomes = outcomes


class Play:
    """One run of the rules: asks strategies, resolves chance nodes, records the public path."""

    def __init__(self, profile: Sequence[Strategy], choose: Callable[[str, Sequence[tuple[str, Fraction]]], int],
                 options: SolveOptions | None = None, shared: dict[Any, Any] | None = None):
        self.profile = profile
        self._choose = choose
        # how rules that solve programs on the reports solve them (VCG's allocation and
        # payments): the caller's backend and time limit (None: the defaults)
        self.options = options
        # One dict for every replay of one walk (:func:`outcome_distribution`), a new one
        # otherwise: the rules may keep there what they work out from public information alone,
        # with that information, so that a replay that meets the same reuses it. A walk replays
        # the rules from the start up to each chance node and each terminal (3n + 5 times in
        # collusion-leveraging). Reuse is by the objects' identity: what is kept must be made
        # from immutable objects (frozen announcements), as the strategies return them.
        self.shared: dict[Any, Any] = {} if shared is None else shared
        self.path: list[str] = []
        self.actions: list[tuple[int, str, Any]] = []

    def ask(self, player: int, kind: str, **info: Any) -> Any:
        """A decision node: ``player``'s strategy chooses an action of ``kind`` knowing the public
        ``info`` (seed 003 §3.1, seed 000 §2: public-action extensive form); returns the action,
        recorded."""
        if info:
            decision = Decision(player, kind, info)
        else:  # the same on every replay of a walk: made once (n of them per replay, 3n + 5 replays)
            decision = self.shared.get(("decision", player, kind))
            if decision is None:
                decision = self.shared[("decision", player, kind)] = Decision(player, kind, {})
        action = self.profile[player](decision)
        self.actions.append((player, kind, action))
        return action

    def chance(self, name: str, outcomes: Sequence[tuple[str, Fraction]]) -> str:
        """A chance node; returns the label of the outcome that happened."""
        probabilities = [p for _, p in outcomes]
        first = probabilities[0] if probabilities else None
        if isinstance(first, Fraction) and all(p is first for p in probabilities):
            # n equal outcomes given one Fraction (a uniform draw among n players): checked without
            # n Fraction sums and comparisons, as each of its n branches replays it (n^2 of them)
            valid = first * len(probabilities) == 1
        else:
            valid = all(isinstance(p, Fraction | int) and 0 <= p <= 1 for p in probabilities) and (
                sum(probabilities) == 1)
        if not valid:
            raise MechanismError(f"chance node {name}: probabilities {probabilities} must be exact and sum to 1")
        label = outcomes[self._choose(name, outcomes)][0]
        self.path.append(f"{name}={label}")
        return label

    def note(self, event: str) -> None:
        """Record a deterministic public event (e.g. "abort") on the path."""
        self.path.append(event)

    def end(self, allocation: Sequence[int], prices: Sequence[Fraction | int]) -> Terminal:
        """The terminal node reached: outcome (A, P) with exact prices (seed 000 §2), and the
        public path and actions that led to it."""
        # (a Fraction as it is: n of them per terminal, and a terminal per chance outcome)
        exact = tuple(p if type(p) is Fraction else Fraction(p) for p in prices)
        return Terminal(tuple(allocation), exact, tuple(self.path), tuple(self.actions))


Rules = Callable[[Play, Instance, Mapping[str, Any]], Terminal]


def outcome_distribution(rules: Rules, instance: Instance, params: Mapping[str, Any],
                         profile: Sequence[Strategy], options: SolveOptions | None = None
                         ) -> list[tuple[Fraction, Terminal]]:
    """Every terminal reachable under ``profile`` with its exact probability (zero-probability
    branches are skipped). Probabilities sum to exactly 1. ``options``: how the rules solve
    programs (:attr:`Play.options`)."""
    results: list[tuple[Fraction, Terminal]] = []
    stack: list[tuple[int, ...]] = [()]
    shared: dict[Any, Any] = {}  # (``Play.shared``: one for every replay of this walk)
    while stack:
        prefix = stack.pop()
        probability = Fraction(1)
        position = 0

        def replay(name: str, outcomes: Sequence[tuple[str, Fraction]]) -> int:
            nonlocal position, probability
            if position == len(prefix):
                raise _Branch(outcomes)
            k = prefix[position]
            position += 1
            probability *= Fraction(outcomes[k][1])
            return k

        try:
            terminal = rules(Play(profile, replay, options, shared), instance, params)
        except _Branch as branch:
            for k in reversed(range(len(branch.outcomes))):
                if branch.outcomes[k][1] > 0:
                    stack.append(prefix + (k,))
            continue
        results.append((probability, terminal))
    total = sum(p for p, _ in results)
    if total != 1:
        raise MechanismError(f"outcome probabilities sum to {total}, not 1")
    return results


def sample_outcome(rules: Rules, instance: Instance, params: Mapping[str, Any],
                   profile: Sequence[Strategy], rng: random.Random, options: SolveOptions | None = None) -> Terminal:
    """One play with every coin flipped at random (Monte Carlo); ``options`` as
    :func:`outcome_distribution`'s."""

    def draw(name: str, outcomes: Sequence[tuple[str, Fraction]]) -> int:
        x = Fraction(rng.random())
        for k, (_, p) in enumerate(outcomes):
            if x < p:
                return k
            x -= p
        return max(k for k, (_, p) in enumerate(outcomes) if p > 0)

    return rules(Play(profile, draw, options), instance, params)
