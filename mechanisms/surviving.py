"""The surviving-strategies mechanism of seed 001 §6 (Chen, Micali 2008), no parameters.

1. every i announces a canonical outcome Omega_i = (alpha^i, pi^i) for -i and a bundle S_i;
   R_i := REV(Omega_i), star := argmax R_i (lowest index on ties), R' := max_{i != star} R_i;
2. every i offered alpha^star_i answers YES or NO; each NO fines star pi^star_i;
3. a fair coin: Heads, star receives S_star; Tails, star pays R', every YES player receives
   alpha^star_i and pays pi^star_i, which star receives.

Rational play (§7 Claims 1-5): announce the MIEW_i witness and a favourite bundle; YES iff
TV_i(alpha_i) >= pi_i (Claim 4); coalition members answer individually when the star is not
theirs (Claim 2) and YES when it is (their coalition keeps the money). Guarantee (§7 Theorem 2,
which proves Theorem 1 of §5): E[SW] + E[REV] >= MIEW(K_I)/2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from benchmarks.results import Outcome
from instances import Instance
from mechanisms.base import Deviation, Evaluation, Facts, Guarantee, Mechanism, agent_of
from mechanisms.common import FAIR, answer_families, argmax_lex, canonical, check_offers, scaled, without
from mechanisms.engine import Decision, Play, Strategy, Terminal

__all__ = ["SURVIVING", "StarAnnouncement", "deviations", "guarantee", "rational", "rules"]


@dataclass(frozen=True)
class StarAnnouncement:
    """Stage 1 of seed 001 §6, made by every player i (the star is chosen from these): a
    canonical outcome for -i and a bundle S_i."""

    outcome: Outcome
    bundle: int


def rules(play: Play, instance: Instance, params: Mapping[str, Fraction]) -> Terminal:
    """One play of mechanism M (seed 001 §6, Stages 1-3 and their variable updates): the
    terminal outcome (A, P)."""
    n = instance.n
    announced = [play.ask(i, "announce") for i in range(n)]
    for i, a in enumerate(announced):
        check_offers(a.outcome, i, n, f"{instance.players[i]}'s announcement", zero_price_offers=True)
    revenues = [a.outcome.revenue for a in announced]
    star = argmax_lex(revenues)
    second = max((r for i, r in enumerate(revenues) if i != star), default=0)
    omega = announced[star].outcome
    offered = [i for i in range(n) if omega.allocation[i]]
    answers = {i: bool(play.ask(i, "answer", offer=(omega.allocation[i], omega.prices[i]), star=star)) for i in offered}
    allocation = [0] * n
    prices = [Fraction(0)] * n
    for i in offered:
        if not answers[i]:
            prices[star] += omega.prices[i]
    if play.chance("coin", FAIR) == "Heads":
        allocation[star] = announced[star].bundle
        return play.end(allocation, prices)
    prices[star] += second
    for i in offered:
        if answers[i]:
            allocation[i] = omega.allocation[i]
            prices[i] += omega.prices[i]
            prices[star] -= omega.prices[i]
    return play.end(allocation, prices)


def _player(instance: Instance, i: int, announcement: StarAnnouncement, coalition: tuple[int, ...]) -> Strategy:
    value = instance.valuations[i]

    def strategy(d: Decision):
        """Stage 1: ``announcement``; Stage 2: YES iff TV_i(alpha^star_i) >= pi^star_i (seed 001
        §7 Claim 4; Claims 1-2 leave the tie open, which §7 then assumes answered YES), or YES
        when the star is a coalition partner."""
        if d.kind == "announce":
            return announcement
        bundle, price = d.info["offer"]
        if d.info["star"] in coalition and len(coalition) > 1:
            return True  # the star is a partner: the payment stays inside the coalition
        return value.value(bundle) >= price

    return strategy


def rational(instance: Instance, params: Mapping[str, Fraction], facts: Facts) -> list[Strategy]:
    """Every player's surviving strategy (seed 001 §7 Claims 1, 2 and 4): announce the MIEW_i
    witness and a favourite bundle S_i; answer YES iff TV_i(alpha^star_i) >= pi^star_i (YES
    when the star is a coalition partner)."""
    facts.prefetch(miew=range(instance.n), favourite=range(instance.n))
    return [
        _player(instance, i, StarAnnouncement(canonical(facts.miew(i), instance.n), facts.favourite(i)),
                agent_of(instance, i))
        for i in range(instance.n)
    ]


def deviations(instance: Instance, params: Mapping[str, Fraction], facts: Facts,
               agent: tuple[int, ...]) -> dict[str, Deviation]:
    """The deviation families of ``agent`` by name: under- and overbidding, an empty S_i, another
    player's witness, and the answer families (seed 001 §7 Claims 1, 2 and 4)."""
    base = rational(instance, params, facts)
    honest = {i: base[i](Decision(i, "announce")) for i in agent}

    def announce(change, dominated: bool, why: str, needs_correct_knowledge: bool = True) -> Deviation:
        profile = list(base)
        for i in agent:
            profile[i] = _player(instance, i, change(honest[i]), agent)
        return Deviation(profile, dominated, why, needs_correct_knowledge)

    others = [j for j in range(instance.n) if j not in agent]
    families = {
        # (it read "not dominated against this profile", which the claim contradicts: found by a
        # user's audit; every case where it paid had wrong knowledge)
        "underbid (prices x1/2)": announce(
            lambda a: StarAnnouncement(scaled(a.outcome, Fraction(1, 2)), a.bundle), True,
            "a surviving strategy does not under-bid: its announced revenue is at least MIEW_i "
            "(seed 001 §7 Claim 4(2)); halving the MIEW_i witness's prices falls below it"),
        "overbid (prices x2)": announce(
            lambda a: StarAnnouncement(scaled(a.outcome, Fraction(2)), a.bundle), False,
            "offers above what the buyers accept cost fines; not dominated by itself"),
        "empty favourite bundle": announce(
            lambda a: StarAnnouncement(a.outcome, 0), True,
            "S_i other than a favourite bundle is dominated (seed 001 §7 Claims 4-5)", needs_correct_knowledge=False),
    }
    if others:
        best = max(others, key=lambda j: facts.miew(j).revenue)
        families["announce another player's witness"] = announce(
            lambda a: StarAnnouncement(canonical(without(facts.miew(best), list(agent)), instance.n), a.bundle),
            False, "its revenue may be above or below MIEW_i")
    families.update(answer_families(base, agent, why="YES iff TV_i(alpha_i) >= pi_i is the surviving answer "
                                                     "(seed 001 §7 Claims 1 and 4; Claim 2 for coalition members when "
                                                     "the star is not theirs, and YES when it is: a NO fines the star)",
                                    for_coalitions=True))
    return families


def guarantee(instance: Instance, params: Mapping[str, Fraction], facts: Facts, ev: Evaluation) -> Guarantee:
    """Seed 001 §7 Theorem 2 (mechanism M's instance of Theorem 1): E[SW] + E[REV] >=
    MIEW(K_I)/2, for external knowledge that contains the truth (Def. 1)."""
    best = facts.miew_independent()
    bound = Fraction(best.value, 2)
    return Guarantee("E[SW] + E[REV] >= MIEW(K_I)/2", "MIEW(K_I)", best.value, ev.total, bound, ev.total >= bound,
                     facts.knowledge_premise("seed 001 Def. 1"))


SURVIVING = Mechanism(
    name="surviving-strategies",
    source="seed 001 §6 (mechanism M), Theorem 2",
    market=False,
    params=(),
    rules=rules,
    rational=rational,
    deviations=deviations,
    guarantee=guarantee,
)
