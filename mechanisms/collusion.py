"""The collusion-leveraging mechanism of seed 000 §4 (Chen, Micali, Valiant 2009).

Parameters eps, eps1, eps2 in (0, 1) with 2 n eps2 < eps1.

1. every i announces a set C_i containing i, an allocation S^i for C_i, and a reasonable outcome
   Omega^i (prices >= 0); R_i := REV(Omega^i), star := argmax R_i (lowest index on ties),
   R' := max_{i not in C_star} R_i (0 if none);
 * each i whose C_i names some j with i not in C_j is fined R_star + eps1, and pays R_star + eps1
   to every such j; if anyone was fined, ABORT (nothing allocated, fines stand);
 * coin c1 (Heads with probability eps): star := a uniformly random player, R' := 0;
 * fair coin c2: Heads, A := S^star and halt;
2. Tails: each i outside C_star with pi^star_i >= 1 answers YES or NO; P_star := R' - n eps2;
   members of C_star and players with pi^star_i = 0 receive alpha^star_i; a NO fines star
   pi^star_i; a YES gives alpha^star_i to i for pi^star_i - eps2, which star receives;
   finally every i receives eps2 (1 - 1/(1 + R_i)).

Rational play (seed 000 Lemmas 1-5; docs/definitions.md, "Rational play"): independents announce ({i}, BA^{i}, RK_{i}); every
member of a coalition announces C, BA^C and one outcome (the strategy in Lemma 1's proof
also announces one for all): RK_C, with its lexicographically first member's price raised so that its revenue is at
least each member's own REV(RK_{k}) (Lemma 4); answers YES iff TV_i(alpha) >= pi. Guarantee (Theorem 1): E[SW] + E[REV] >= (1 - eps) MKW/6 - eps1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from operator import is_

from benchmarks.results import Outcome
from ilp.program import disjoint
from instances import Instance
from mechanisms.base import Deviation, Evaluation, Facts, Guarantee, Mechanism, Param, in_open_unit
from mechanisms.common import FAIR, announcer, answer_families, argmax_lex, scaled, truthful_answer
from mechanisms.engine import MechanismError, Play, Strategy, Terminal

__all__ = ["COLLUSION_LEVERAGING", "CollusionAnnouncement", "PARAMS", "announcements", "deviations", "guarantee",
           "rational", "rules"]


@dataclass(frozen=True)
class CollusionAnnouncement:
    """Step 1 of seed 000 §4: C_i, S^i (an allocation for C_i) and a reasonable outcome."""

    coalition: frozenset[int]
    allocation: tuple[int, ...]
    outcome: Outcome

    @cached_property
    def checks(self) -> tuple[frozenset[int], bool, bool]:
        """What :func:`rules` checks that does not depend on who announces it: (the players S^i
        gives goods to, whether every price of Omega^i is a natural number, whether S^i and
        Omega^i's allocation each give every good at most once). Worked out once per
        announcement: the evaluator replays the rules once per chance outcome (the random star
        alone has n), checking all n announcements each time, and this walk over n players was
        most of an evaluation at 200 players (32 of 39 s of ``cabench deviate``)."""
        holders = frozenset(j for j, bundle in enumerate(self.allocation) if bundle)
        natural = all(p >= 0 and int(p) == p for p in self.outcome.prices)
        return holders, natural, all(disjoint(bundles) for bundles in (self.allocation, self.outcome.allocation))


def _eps2_check(value: Fraction, params: Mapping[str, Fraction], instance: Instance) -> str | None:
    if not 0 < value < 1:
        return "must lie in the open interval (0, 1)"
    if not 2 * instance.n * value < params["eps1"]:
        return (f"seed 000 requires 2 n eps2 < eps1 (here n = {instance.n}, eps1 = {params['eps1']}: eps2 < "
                f"{params['eps1'] / (2 * instance.n)})")
    return None


PARAMS = (
    Param("eps", "probability of re-drawing the star uniformly (coin c1)", lambda inst, values: Fraction(1, 100), in_open_unit),
    Param("eps1", "inconsistency fine margin", lambda inst, values: Fraction(1, 10), in_open_unit),
    Param("eps2", "YES discount and reward scale, 2 n eps2 < eps1", lambda inst, values: Fraction(1, 40 * inst.n), _eps2_check),
)


def _check(a: CollusionAnnouncement, i: int, n: int, who: str) -> None:
    holders, natural, goods_once = a.checks
    if i not in a.coalition or any(not 0 <= j < n for j in a.coalition):
        raise MechanismError(f"{who}: C_i must be a set of players containing i")
    if not holders <= a.coalition:
        raise MechanismError(f"{who}: S^i must give goods only to members of C_i")
    if not natural:
        raise MechanismError(f"{who}: a reasonable outcome has non-negative integer prices")
    if not goods_once:
        raise MechanismError(f"{who}: an announced allocation gives a good twice")


def rules(play: Play, instance: Instance, params: Mapping[str, Fraction]) -> Terminal:
    """One play of mechanism M (seed 000 §4: Step 1, the consistency fines and ABORT, coins c1
    and c2, Step 2 and the final rewards): the terminal outcome (A, P)."""
    n = instance.n
    eps, eps2 = params["eps"], params["eps2"]
    announced = [play.ask(i, "announce") for i in range(n)]
    step = _step1(play, instance, params, announced)
    star, second = step.star, step.second
    allocation = [0] * n
    if step.fines is not None:
        play.note("ABORT: inconsistent coalition declarations")
        return play.end(allocation, step.fines)
    prices = [Fraction(0)] * n
    if play.chance("c1", (("Heads", eps), ("Tails", 1 - eps))) == "Heads":
        # labelled by the players' names, as every path a user reads (the index is the position)
        names = instance.players
        share = Fraction(1, n)  # (one Fraction for the n outcomes: the coin is replayed on each of its n branches)
        star = names.index(play.chance("random star", tuple((name, share) for name in names)))
        second = 0
    if play.chance("c2", FAIR) == "Heads":
        return play.end(announced[star].allocation, prices)
    omega = announced[star].outcome
    members = announced[star].coalition
    asked = [i for i in range(n) if i not in members and omega.prices[i] >= 1]
    answers = {i: bool(play.ask(i, "answer", offer=(omega.allocation[i], omega.prices[i]), star=star)) for i in asked}
    prices[star] = second - n * eps2
    for i in range(n):
        if i in members or omega.prices[i] == 0:
            allocation[i] = omega.allocation[i]
    for i in asked:
        if answers[i]:
            allocation[i] = omega.allocation[i]
            prices[i] += omega.prices[i] - eps2
            prices[star] -= omega.prices[i] - eps2
        else:
            prices[star] += omega.prices[i]
    # finally every i receives eps2 (1 - 1/(1 + R_i)): ``step.rewards`` holds it as a price, and
    # most prices are still 0 here (no n Fraction sums at each of the n + 1 such terminals)
    return play.end(allocation, [p + r if p else r for p, r in zip(prices, step.rewards)])


@dataclass(frozen=True)
class _Step1:
    """What Step 1 of seed 000 §4 makes of the announcements, before any coin: star and R'
    (``star``, ``second``), the prices after the consistency fines when someone is fined
    (``fines``; None: nobody, and the play goes on), and each player's final reward
    eps2 (1 - 1/(1 + R_i)) as a price (``rewards``, negative). ``instance``, ``announced`` and
    ``params``: what they were made from."""

    instance: Instance
    announced: tuple[CollusionAnnouncement, ...]
    params: Mapping[str, Fraction]
    star: int
    second: Fraction | int
    fines: tuple[Fraction, ...] | None
    rewards: tuple[Fraction, ...]


_STEP1 = "collusion-leveraging: step 1"
"""The key of :func:`_step1`'s result in ``Play.shared``."""


def _step1(play: Play, instance: Instance, params: Mapping[str, Fraction],
           announced: list[CollusionAnnouncement]) -> _Step1:
    """Step 1 of seed 000 §4 (:class:`_Step1`): the announcements checked, the star and R', the
    fines, the rewards. It depends on the announcements and the parameters alone, and the
    evaluator replays the rules up to each chance node and terminal (3n + 5 times): it is worked
    out once per walk and kept in ``play.shared`` with the announcement objects it was made from.
    A replay whose strategies return those same (frozen) objects reuses it, and one that
    announces other objects works it out again (at 1000 players, the n^2 checks, fines and
    rewards were about half of an evaluation: docs/performance.md, "Session 77")."""
    kept = play.shared.get(_STEP1)
    if (kept is not None and kept.instance is instance and kept.params is params
            and len(kept.announced) == len(announced) and all(map(is_, kept.announced, announced))):
        return kept
    n = instance.n
    for i, a in enumerate(announced):
        _check(a, i, n, f"{instance.players[i]}'s announcement")
    revenues = [a.outcome.revenue for a in announced]
    star = argmax_lex(revenues)
    second = max((r for i, r in enumerate(revenues) if i not in announced[star].coalition), default=0)
    prices = [Fraction(0)] * n
    fine = revenues[star] + params["eps1"]
    fined = False
    for i, a in enumerate(announced):
        liars = [j for j in sorted(a.coalition) if i not in announced[j].coalition]
        if liars:
            fined = True
            prices[i] += fine
            for j in liars:
                prices[i] += fine
                prices[j] -= fine
    eps2 = params["eps2"]
    rewards = tuple(-eps2 * (1 - Fraction(1, 1 + r)) for r in revenues)
    step = _Step1(instance, tuple(announced), params, star, second, tuple(prices) if fined else None, rewards)
    play.shared[_STEP1] = step
    return step


def announcements(instance: Instance, facts: Facts) -> list[CollusionAnnouncement]:
    """The rational Step-1 announcements (seed 000 Lemma 1 for C_i, Lemmas 4-5 for Omega^i; BA^C
    as the strategies of their proofs in App. A announce it)."""
    result: list[CollusionAnnouncement | None] = [None] * instance.n
    facts.prefetch(relevant_knowledge=[*((k,) for k in range(instance.n)), *(a for a in instance.agents if len(a) > 1)],
                   best_allocation=instance.agents)
    for agent in instance.agents:
        coalition = frozenset(agent)
        desired = facts.best_allocation(agent)
        for k in agent:
            result[k] = CollusionAnnouncement(coalition, desired, facts.relevant_knowledge((k,)))
        if len(agent) > 1:
            lead = agent[0]
            top = max(result[k].outcome.revenue for k in agent)
            rk = facts.relevant_knowledge(agent)
            raised = list(rk.prices)
            raised[lead] += max(0, top - rk.revenue)  # Lemma 4: HiddenV unchanged, revenue matched
            # every member announces the lead's outcome (the strategy in Lemma 1's proof also has
            # them all announce one): the lead stays the star of the coalition (the lowest index
            # at the same revenue); with correct knowledge a member made the star by coin c1
            # sells RK_C, whose hidden value is the coalition's highest, and each member's reward
            # grows with its revenue, so the coalition gets at least what it got when each other
            # member announced its own RK_{k} (with wrong knowledge either may get more: RK_C's
            # offers rest on the pooled bounds)
            shared = CollusionAnnouncement(coalition, desired, Outcome(rk.allocation, tuple(raised)))
            for k in agent:
                result[k] = shared
    return result


def rational(instance: Instance, params: Mapping[str, Fraction], facts: Facts) -> list[Strategy]:
    """Every player's rational strategy: the Step-1 announcement of :func:`announcements`, and in
    Step 2 YES iff TV_i(alpha^star_i) >= pi^star_i (seed 000 §5.2 Lemmas 1-5)."""
    return [announcer(a, truthful_answer(instance, i)) for i, a in enumerate(announcements(instance, facts))]


def deviations(instance: Instance, params: Mapping[str, Fraction], facts: Facts,
               agent: tuple[int, ...]) -> dict[str, Deviation]:
    """The deviation families of ``agent`` by name: under- and overbidding, an empty S^i, an
    inconsistent C_i, and the answer families (seed 000 §5.2 Lemmas 1-5)."""
    base = rational(instance, params, facts)
    honest = announcements(instance, facts)

    def announce(change, dominated: bool, why: str, needs_correct_knowledge: bool = True,
                 for_coalitions: bool = False) -> Deviation:
        profile = list(base)
        for i in agent:
            profile[i] = announcer(change(i, honest[i]), truthful_answer(instance, i))
        return Deviation(profile, dominated, why, needs_correct_knowledge, for_coalitions=for_coalitions)

    outsiders = [j for j in range(instance.n) if j not in agent]
    families = {
        # (it read "not dominated", which Lemma 4 contradicts: found by a user's audit; every case
        # where it paid had wrong knowledge)
        "underbid (prices x1/2)": announce(
            lambda i, a: CollusionAnnouncement(a.coalition, a.allocation, scaled(a.outcome, Fraction(1, 2))), True,
            "the lead's outcome has hidden value at least REV(RK_C) (seed 000 Lemma 4, for every agent C): "
            "halving RK_C's prices, all accepted, leaves less", for_coalitions=True),
        "overbid (prices x2)": announce(
            lambda i, a: CollusionAnnouncement(a.coalition, a.allocation, scaled(a.outcome, Fraction(2))), False,
            "offers above what buyers accept cost fines when the agent is the star, but a higher announced "
            "revenue raises the reward eps2 (1 - 1/(1 + R_i)): it may pay a little (no lemma rules it out)"),
        "empty desired allocation": announce(
            lambda i, a: CollusionAnnouncement(a.coalition, (0,) * instance.n, a.outcome), True,
            "S^i is what the coalition gets on Heads when one of it is the star: BA^{C_i} is worth the most "
            "(the strategies of seed 000's proofs of Lemmas 1, 4 and 5 announce it)", needs_correct_knowledge=False,
            for_coalitions=True),
    }
    if outsiders:
        stranger = outsiders[0]
        families["inconsistent coalition declaration"] = announce(
            lambda i, a: CollusionAnnouncement(a.coalition | {stranger}, a.allocation, a.outcome), True,
            "naming a player who does not name you back is fined R_star + eps1 twice and aborts "
            "(seed 000 Lemma 1, on every agent)", needs_correct_knowledge=False, for_coalitions=True)
    families.update(answer_families(base, agent, why="YES iff TV_i(alpha_i) >= pi_i is undominated "
                                                     "(seed 000 Lemma 2; a coalition's members are asked only when "
                                                     "the star is not theirs)", for_coalitions=True))
    return families


def guarantee(instance: Instance, params: Mapping[str, Fraction], facts: Facts, ev: Evaluation) -> Guarantee:
    """Seed 000 Theorem 1: E[SW] + E[REV] >= (1 - eps) MKW / 6 - eps1."""
    best = facts.mkw()
    bound = (1 - params["eps"]) * Fraction(best.value, 6) - params["eps1"]
    return Guarantee("E[SW] + E[REV] >= (1 - eps) MKW/6 - eps1", "MKW", best.value, ev.total, bound, ev.total >= bound,
                     facts.knowledge_premise("seed 000 §1.2"))


COLLUSION_LEVERAGING = Mechanism(
    name="collusion-leveraging",
    source="seed 000 §4 (mechanism M), Theorem 1",
    market=False,
    params=PARAMS,
    rules=rules,
    rational=rational,
    deviations=deviations,
    guarantee=guarantee,
)
