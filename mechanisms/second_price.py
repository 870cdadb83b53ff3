"""The second-price bundle auction of seed 000 §1.2, and its mixture with best-belief.

``second-price-bundle``: every player bids a value and a bundle; the highest value (lowest
index on ties) wins its bundle and pays the second-highest value; nobody else pays or receives.
Bidding the value of a favourite bundle, with that bundle, is dominant (a second-price auction
for "the right to take one's favourite bundle"). A coalition maximises the sum of its members'
utilities: only its member of highest favourite value (the lowest index on ties) bids, and its
partners bid nothing, since a partner's bid could only raise the price its lead pays or win
goods worth less to the coalition.

``mixed-second-price`` (seed 000 §1.2): run a mechanism guaranteeing revenue c MEW with
probability 1/(c+1), the second-price auction otherwise, for total performance
>= c/(c+1) MIKW_I. cabench mixes best-belief (revenue >= BB'/2 - eps, c = 1/2): with
probability 2/3 best-belief, 1/3 the auction; guarantee E[SW] + E[REV] >= MIKW_I/3 - 2 eps/3,
where MIKW_I = max over independent i of MIKW_i <= TV_i(favourite) + MIEW_i (MIKW_S of seed
000 Definition 3 with S = I; §1.2 writes it MKW_I once).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction

from benchmarks.known import mikw_requests
from benchmarks.solving import solve_requests
from instances import Instance
from mechanisms.base import Deviation, Evaluation, Facts, Guarantee, Mechanism, agent_of
from mechanisms.best_belief import BEST_BELIEF
from mechanisms.common import argmax_lex
from mechanisms.engine import MechanismError, Play, Strategy, Terminal

__all__ = ["Bid", "MIX", "MIXED_SECOND_PRICE", "NO_BID", "SECOND_PRICE", "deviations", "lead_of", "mixed_deviations",
           "mixed_guarantee", "mixed_rational", "mixed_rules", "rational", "rules", "truthful_bid"]


@dataclass(frozen=True)
class Bid:
    """A bid of the auction A' (seed 000 §1.2, "From MEW to MIKW"): a value and a bundle."""

    value: int
    bundle: int


def rules(play: Play, instance: Instance, params: Mapping[str, Fraction]) -> Terminal:
    """One play of the auction A' (seed 000 §1.2, "From MEW to MIKW"): the highest value wins its
    bundle and pays the second-highest value; the terminal outcome (A, P)."""
    n = instance.n
    bids = [play.ask(i, "bid") for i in range(n)]
    for i, b in enumerate(bids):
        if not isinstance(b.value, int) or b.value < 0:
            raise MechanismError(f"{instance.players[i]}: a bid value is a non-negative integer")
    winner = argmax_lex([b.value for b in bids])
    second = max((b.value for i, b in enumerate(bids) if i != winner), default=0)
    allocation = [0] * n
    prices = [Fraction(0)] * n
    allocation[winner] = bids[winner].bundle
    prices[winner] = Fraction(second)
    return play.end(allocation, prices)


def _bidder(bid: Bid) -> Strategy:
    return lambda d: bid


def truthful_bid(instance: Instance, facts: Facts, i: int) -> Bid:
    """Player i's bid in A' (seed 000 §1.2): a favourite bundle and its true value. The paper only
    describes A'; the dominance is cabench's reasoning: A' is a second-price auction for the
    right to take one's favourite bundle, worth TV_i of it to i, and bidding one's value is
    dominant in a second-price auction."""
    favourite = facts.favourite(i)
    return Bid(instance.valuations[i].value(favourite), favourite)


NO_BID = Bid(0, 0)
"""The bid of a coalition member who leaves the bidding to its lead (:func:`rational`)."""


def lead_of(instance: Instance, facts: Facts, coalition: tuple[int, ...]) -> int:
    """The member of ``coalition`` whose favourite bundle is worth the most to it (the lowest
    index on ties): the coalition's one bidder in A' (seed 000 §1.2 describes the auction; that
    a coalition bids through one member is cabench's reasoning, see the module docstring)."""
    return max(coalition, key=lambda i: (truthful_bid(instance, facts, i).value, -i))


def rational(instance: Instance, params: Mapping[str, Fraction], facts: Facts) -> list[Strategy]:
    """Every independent player bids :func:`truthful_bid` (seed 000 §1.2, the auction A'); in a
    coalition only its lead (:func:`lead_of`) does, and its partners bid :data:`NO_BID`."""
    facts.prefetch(favourite=range(instance.n))
    return [_bidder(truthful_bid(instance, facts, i) if lead_of(instance, facts, agent_of(instance, i)) == i
                    else NO_BID) for i in range(instance.n)]


def deviations(instance: Instance, params: Mapping[str, Fraction], facts: Facts,
               agent: tuple[int, ...]) -> dict[str, Deviation]:
    """The deviation families of ``agent`` in A' by name (seed 000 §1.2): under- and overbidding
    and an empty bundle (of the coalition's lead, :func:`lead_of`), and for a coalition every
    member bidding."""
    base = rational(instance, params, facts)

    lead = lead_of(instance, facts, agent)

    def family(change, why: str, dominated: bool = True) -> Deviation:
        profile = list(base)
        profile[lead] = _bidder(change(truthful_bid(instance, facts, lead)))
        # dominant strategies: of a player, and of a coalition bidding as one through its lead
        return Deviation(profile, dominated, why, needs_correct_knowledge=False, for_coalitions=True)

    truthful = ("bidding the favourite bundle's value is (weakly) dominant in a second-price auction (cabench's "
                "reasoning: seed 000 §1.2 describes A' without its strategies)")
    families = {
        "underbid (value x1/2)": family(lambda b: Bid(b.value // 2, b.bundle), truthful),
        "overbid (value x2 + 1)": family(lambda b: Bid(2 * b.value + 1, b.bundle), truthful),
        "empty bundle": family(lambda b: Bid(b.value, 0), truthful),
    }
    if len(agent) > 1:
        profile = list(base)
        for i in agent:
            profile[i] = _bidder(truthful_bid(instance, facts, i))
        families["coalition: every member bids"] = Deviation(
            profile, True, "a partner's bid can only raise the price the coalition's lead pays, or win goods worth "
            "less to the coalition (cabench's reasoning, as above)", needs_correct_knowledge=False,
            for_coalitions=True)
    return families


SECOND_PRICE = Mechanism(
    name="second-price-bundle",
    source="seed 000 §1.2 (the auction A')",
    market=False,
    params=(),
    rules=rules,
    rational=rational,
    deviations=deviations,
    notes="A coalition bids through its member of highest value; its partners bid nothing.",
)


MIX = Fraction(2, 3)  # 1/(c+1) with c = 1/2


def mixed_rules(play: Play, instance: Instance, params: Mapping[str, Fraction]) -> Terminal:
    """One play of M' of seed 000 §1.2 ("From MEW to MIKW") with c = 1/2: best-belief (seed 004
    §6) with probability 1/(c+1) = 2/3, else A'; the terminal outcome (A, P)."""
    if play.chance("mix", (("best-belief", MIX), ("second-price", 1 - MIX))) == "best-belief":
        return BEST_BELIEF.rules(play, instance, params)
    return rules(play, instance, params)


def _combine(belief: Strategy, auction: Strategy) -> Strategy:
    return lambda d: auction(d) if d.kind == "bid" else belief(d)


def mixed_rational(instance: Instance, params: Mapping[str, Fraction], facts: Facts) -> list[Strategy]:
    """Each player's best-belief strategy (seed 004 §6) combined with its A' bid (seed 000 §1.2)."""
    return [_combine(b, a) for b, a in zip(BEST_BELIEF.rational(instance, params, facts), rational(instance, params, facts))]


def mixed_deviations(instance: Instance, params: Mapping[str, Fraction], facts: Facts,
                     agent: tuple[int, ...]) -> dict[str, Deviation]:
    """The deviation families of ``agent`` in best-belief (seed 004 §6) and in A' (seed 000 §1.2),
    each with the rational play in the other part."""
    auction = rational(instance, params, facts)
    belief = BEST_BELIEF.rational(instance, params, facts)
    families = {}
    for name, dev in BEST_BELIEF.deviations(instance, params, facts, agent).items():
        families[f"best-belief part: {name}"] = replace(dev, profile=[_combine(b, a) for b, a in zip(dev.profile,
                                                                                                    auction)])
    for name, dev in deviations(instance, params, facts, agent).items():
        families[f"auction part: {name}"] = replace(dev, profile=[_combine(b, a) for b, a in zip(belief, dev.profile)])
    return families


def mixed_guarantee(instance: Instance, params: Mapping[str, Fraction], facts: Facts, ev: Evaluation) -> Guarantee:
    """Seed 000 §1.2 with c = 1/2: E[SW] + E[REV] >= MIKW_I/3 - 2 eps/3."""
    # one batch: with exact knowledge every MIKW_i is MSW, one program (1000 players: 19 s one by one)
    values = [b.require() for b in solve_requests(mikw_requests(instance, instance.independent), facts.options)]
    mikw_independent = max(values, default=0)
    bound = Fraction(mikw_independent, 3) - MIX * params["eps"]
    return Guarantee("E[SW] + E[REV] >= MIKW_I/3 - 2 eps/3", "MIKW_I", mikw_independent, ev.total, bound,
                     ev.total >= bound, facts.knowledge_premise("seed 000 §1.2"))


MIXED_SECOND_PRICE = Mechanism(
    name="mixed-second-price",
    source="seed 000 §1.2, 'From MEW to MIKW' (a c MEW mechanism mixed with A'; no theorem), with best-belief "
           "(seed 004)",
    market=False,
    params=BEST_BELIEF.params,
    rules=mixed_rules,
    rational=mixed_rational,
    deviations=mixed_deviations,
    guarantee=mixed_guarantee,
)
