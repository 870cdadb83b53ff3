"""Pieces shared by several mechanisms: announced outcomes, coins, lexicographic argmax, and the
answer rules and deviation families that recur across the papers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING

from benchmarks.results import NotProvenError, Outcome
from ilp import Program, SolveOptions, Weight, lex_first, solve
from instances import Instance, Valuation
from mechanisms.engine import Decision, MechanismError, Strategy

if TYPE_CHECKING:
    from mechanisms.base import Deviation

__all__ = ["FAIR", "FAVOURITES_KEPT", "announcer", "answer_families", "argmax_lex", "canonical", "check_offers",
           "favourite_of", "pseudo_random_bit", "scaled", "truthful_answer", "without"]

FAIR = (("Heads", Fraction(1, 2)), ("Tails", Fraction(1, 2)))


def argmax_lex(values: Sequence[Fraction | int]) -> int:
    """The first index of a maximum ("ties broken lexicographically": lowest player first)."""
    best = 0
    for i, v in enumerate(values):
        if v > values[best]:
            best = i
    return best


FAVOURITES_KEPT = 256
"""How many announced valuations' favourite bundles :func:`favourite_of` remembers: a Monte Carlo
run plays the same announcements up to a million times."""


def favourite_of(valuation: Valuation, m: int, options: SolveOptions | None = None) -> int:
    """argmax_a v(a) over all bundles, ties broken lexicographically on (in(g_1), ..., in(g_m))
    (seed 004 §4 Step d, applied to an announced valuation), solved with ``options`` (the
    caller's backend and time limit, :attr:`mechanisms.engine.Play.options`; None: the
    defaults). Raises ``NotProvenError`` when the time limit ends the solve first."""
    if options is None:
        return _favourite(valuation, m, None, None)
    # remembered by the backend and the limit alone: the options object carries the caller's
    # solved programs and compiled weights, which the cache would keep alive
    return _favourite(valuation, m, options.backend, options.time_limit)


@lru_cache(maxsize=FAVOURITES_KEPT)
def _favourite(valuation: Valuation, m: int, backend: str | None, time_limit: float | None) -> int:
    options = None if backend is None else SolveOptions(backend, time_limit)
    program = Program(m, (Weight.of(valuation),))
    what = "the favourite bundle of an announced valuation"
    first = solve(program, options)
    if not first.optimal:
        raise NotProvenError(what, first.status.value, first.value, first.bound)
    best = lex_first(program, first, options)
    if not best.optimal:  # (its value proven; the first of its optima not)
        raise NotProvenError(what, best.status.value, first.value, first.value, withheld=True)
    return best.allocation[0]


def canonical(outcome: Outcome, n: int) -> Outcome:
    """An announced outcome with integer prices, P_j = 0 exactly where A_j is empty (offers of
    price 0 are dropped): the form seed 004 §4 and §6 Step 1 require; seed 001 Def. 2 requires
    only P_j = 0 where A_j is empty, so it allows this form too."""
    given = outcome.prices or (0,) * n  # once: not one tuple of n zeros per player
    allocation = tuple(a if given[j] > 0 else 0 for j, a in enumerate(outcome.allocation))
    prices = tuple(p if allocation[j] else 0 for j, p in enumerate(given))
    return Outcome(allocation, prices)


def check_offers(outcome: Outcome, announcer: int | None, n: int, who: str, zero_price_offers: bool) -> None:
    """Reject announcements that break the mechanism's message format: integer prices >= 0,
    P_j = 0 where A_j is empty, no good given twice, nothing offered to the announcer.

    ``zero_price_offers`` says whether a bundle may be offered at price 0: seed 001 Def. 2
    (canonical outcomes, surviving-strategies) allows it; seed 004 Step 1 (best-belief) requires
    a positive integer price wherever a bundle is offered. The rational announcements never
    contain such offers (:func:`canonical` drops them), but a deviation may."""
    prices = outcome.prices or ()
    if len(outcome.allocation) != n or len(prices) != n:
        raise MechanismError(f"{who}: an outcome must give a bundle and a price to each of the {n} players")
    used = 0
    for j, (a, p) in enumerate(zip(outcome.allocation, prices)):
        if a & used:
            raise MechanismError(f"{who}: the announced allocation gives a good twice")
        used |= a
        if not isinstance(p, int) or p < 0 or (a == 0 and p != 0):
            raise MechanismError(f"{who}: price {p} for player {j + 1} must be an integer >= 0, and 0 where "
                                 "no bundle is offered")
        if a != 0 and p == 0 and not zero_price_offers:
            raise MechanismError(f"{who}: price 0 for player {j + 1}: a bundle must be offered at a positive "
                                 "integer price (seed 004 Step 1)")
    if announcer is not None and outcome.allocation[announcer]:
        raise MechanismError(f"{who}: the announcer may not offer goods to itself")


def announcer(announcement: object, answer: Callable[[int, Fraction | int], bool]) -> Strategy:
    """A strategy that makes ``announcement`` at its announce node and answers every offer
    (``d.info["offer"] = (bundle, price)``) with ``answer``."""

    def strategy(d: Decision):
        """``announcement`` at the announce node (seed 000 §4 Step 1, seed 004 §4 and §6 Step 1);
        at an answer node, ``answer`` to the take-it-or-leave-it offer (seed 000 §4 Step 2, seed 004
        §6 Step 3)."""
        if d.kind == "announce":
            return announcement
        bundle, price = d.info["offer"]
        return answer(bundle, price)

    return strategy


def truthful_answer(instance: Instance, i: int) -> Callable[[int, Fraction | int], bool]:
    """YES iff TV_i(bundle) >= price: the undominated answer to a take-it-or-leave-it offer
    (seed 001 §7 Claim 4, seed 000 Lemma 2, seed 004 Lemma 3)."""
    v = instance.valuations[i]
    return lambda bundle, price: v.value(bundle) >= price


def pseudo_random_bit(*key: object) -> bool:
    """A deterministic "random" answer: the same question always gets the same answer, so that
    exact evaluation by replay stays consistent."""
    return hashlib.sha256(repr(key).encode()).digest()[0] & 1 == 1


def scaled(outcome: Outcome, factor: Fraction) -> Outcome:
    """Every price multiplied by ``factor`` (rounded down, offers that fall to 0 dropped)."""
    prices = tuple(int(p * factor) for p in outcome.prices)
    return canonical(Outcome(outcome.allocation, prices), len(prices))


def without(outcome: Outcome, players: Sequence[int]) -> Outcome:
    """The outcome with the offers to ``players`` removed."""
    removed = set(players)
    keep = [j not in removed for j in range(len(outcome.allocation))]
    return Outcome(tuple(a if k else 0 for a, k in zip(outcome.allocation, keep)),
                   tuple(p if k else 0 for p, k in zip(outcome.prices, keep)))


def answer_families(rational: Sequence[Strategy], agent: Sequence[int], kind: str = "answer",
                    why: str = "answering against one's own value is dominated",
                    needs_correct_knowledge: bool = False, for_coalitions: bool = False) -> dict[str, Deviation]:
    """The YES/NO deviation families: contrarian, always YES, always NO, pseudo-random. An answer
    to a take-it-or-leave-it offer is judged by the player's own value, so by default the claim
    needs nothing about the player's knowledge of the others. ``for_coalitions``: the claim
    covers a coalition's answers too (``Deviation.for_coalitions``)."""

    def family(change: Callable[[Decision, Strategy], bool]) -> Deviation:
        profile = list(rational)
        for i in agent:
            base = rational[i]
            profile[i] = (lambda d, base=base: change(d, base) if d.kind == kind else base(d))
        from mechanisms.base import Deviation  # base imports this module

        return Deviation(profile, True, why, needs_correct_knowledge, for_coalitions=for_coalitions)

    return {
        "contrarian answers": family(lambda d, base: not base(d)),
        "always YES": family(lambda d, base: True),
        "always NO": family(lambda d, base: False),
        "random answers": family(lambda d, base: pseudo_random_bit(d.player, sorted(d.info.items(), key=str))),
    }
