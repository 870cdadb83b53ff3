"""Naive-1 .. Naive-4: the "simple but wrong" market mechanisms of seed 003 §5.1, implemented so
their failure modes can be shown next to the real mechanism (``budget_balanced``).

* Naive-1: everyone announces a budget-balanced outcome (prices in (-B, B)); if all agree it is
  implemented, else (E, 0). Any outcome that no one loses from is an equilibrium: a profile that
  coordinates on the endowment ("belief mismatch") loses all the welfare gain.
* Naive-2: player 1 proposes (A, P); if all others say YES the outcome is
  (A, P_1 + (n-1)eps, P_i - eps), else (E, 0). If the others each believe someone else will say
  NO they may all say YES to a proposal that hurts them; player 1 then grabs everything.
* Naive-3: as Naive-2, but with Y YES answers the proposal is still implemented with probability
  eps Y / n, so answers are truthful; player 1 now gains by a proposal paying itself B - 2.
* Naive-4: Naive-3 plus a fine of 1 for player 1 when someone says NO (coin c1 Heads with
  probability 1 - eps) and implementation with probability Y/(nB) otherwise; a player 1 who
  wrongly believes that 2 and 3 collude shifts 1000 from 3's price to 2's (less when prices in
  (-B, B) do not allow it), and 2 says NO.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from benchmarks.results import Outcome
from instances import Instance
from mechanisms.base import Deviation, Evaluation, Facts, Guarantee, Mechanism
from mechanisms.budget_balanced import (
    MarketAnnouncement,
    _check_allocation,
    _gain,
    _greedy,
    _params,
    _player,
    _shifted,
    proposal,
)
from mechanisms.engine import Decision, Play, Strategy, Terminal

__all__ = ["NAIVE", "naive1_rules", "naive2_rules", "naive3_rules", "naive4_rules", "rational", "welfare_guarantee"]


def _valid(outcome: Outcome, big: int) -> bool:
    return sum(outcome.prices) == 0 and all(isinstance(p, int) and abs(p) < big for p in outcome.prices)


def _discounted(outcome: Outcome, eps: Fraction, n: int) -> list[Fraction]:
    return [outcome.prices[0] + (n - 1) * eps] + [p - eps for p in outcome.prices[1:]]


def naive1_rules(play: Play, instance: Instance, params: Mapping[str, Fraction]) -> Terminal:
    """One play of Naive-1 (seed 003 §5.1): the outcome all announced if they agree and it is
    budget balanced with prices in (-B, B), else (E, 0)."""
    big = 2 ** int(params["k"] - 1)
    announced = [play.ask(i, "propose").outcome for i in range(instance.n)]
    for outcome in announced:
        _check_allocation(instance, outcome)
    if all(o == announced[0] for o in announced) and _valid(announced[0], big):
        return play.end(announced[0].allocation, announced[0].prices)
    play.note("disagreement: (E, 0)")
    return play.end(instance.endowment, [0] * instance.n)


def _propose_and_answer(play: Play, instance: Instance, params: Mapping[str, Fraction]):
    big = 2 ** int(params["k"] - 1)
    outcome = play.ask(0, "propose").outcome
    _check_allocation(instance, outcome)
    if not _valid(outcome, big) or (outcome.allocation == instance.endowment and not any(outcome.prices)):
        return outcome, None
    answers = [bool(play.ask(i, "answer", proposal=outcome, step=2)) for i in range(1, instance.n)]
    return outcome, sum(answers)


def naive2_rules(play: Play, instance: Instance, params: Mapping[str, Fraction]) -> Terminal:
    """One play of Naive-2 (seed 003 §5.1): player 1's proposal, discounted by eps, if every other
    player says YES, else (E, 0)."""
    outcome, yes = _propose_and_answer(play, instance, params)
    if yes == instance.n - 1:
        return play.end(outcome.allocation, _discounted(outcome, params["eps"], instance.n))
    return play.end(instance.endowment, [0] * instance.n)


def naive3_rules(play: Play, instance: Instance, params: Mapping[str, Fraction]) -> Terminal:
    """One play of Naive-3 (seed 003 §5.1): as Naive-2, but with Y < n - 1 YES answers the
    proposal is still implemented with probability eps Y / n (coin c1)."""
    n, eps = instance.n, params["eps"]
    outcome, yes = _propose_and_answer(play, instance, params)
    if yes is None:
        return play.end(instance.endowment, [0] * n)
    if yes == n - 1:
        return play.end(outcome.allocation, _discounted(outcome, eps, n))
    if play.chance("c1", (("Heads", 1 - eps * yes / n), ("Tails", eps * yes / n))) == "Heads":
        return play.end(instance.endowment, [0] * n)
    return play.end(outcome.allocation, _discounted(outcome, eps, n))


def naive4_rules(play: Play, instance: Instance, params: Mapping[str, Fraction]) -> Terminal:
    """One play of Naive-4 (seed 003 §5.1, Steps 1-2 and a-e): on a NO, coin c1 fines player 1
    with probability 1 - eps, else coin c2 implements the proposal with probability Y/(nB)."""
    n, eps = instance.n, params["eps"]
    big = 2 ** int(params["k"] - 1)
    outcome, yes = _propose_and_answer(play, instance, params)
    if yes is None:
        return play.end(instance.endowment, [0] * n)
    if yes == n - 1:
        return play.end(outcome.allocation, _discounted(outcome, eps, n))
    if play.chance("c1", (("Heads", 1 - eps), ("Tails", eps))) == "Heads":
        return play.end(instance.endowment, [1] + [0] * (n - 1))
    if play.chance("c2", (("Heads", Fraction(yes, n * big)), ("Tails", 1 - Fraction(yes, n * big)))) == "Heads":
        return play.end(outcome.allocation, _discounted(outcome, eps, n))
    return play.end(instance.endowment, [0] * n)


def rational(instance: Instance, params: Mapping[str, Fraction], facts: Facts) -> list[Strategy]:
    """The truthful equilibrium of seed 003 §5.1: player 1 proposes a truthful outcome (Naive-1:
    everyone does), the others answer by the sign of their gain (Naive-3's unique best response)."""
    first = MarketAnnouncement(proposal(instance, facts))
    return [_player(instance, i, first) for i in range(instance.n)]


def _with(base: list[Strategy], changes: Mapping[int, Strategy]) -> list[Strategy]:
    return [changes.get(i, s) for i, s in enumerate(base)]


def _proposer(outcome: Outcome, answer: bool | None = None, instance: Instance | None = None, i: int = 0) -> Strategy:
    def strategy(d: Decision):
        """Proposes ``outcome`` (seed 003 §5.1 Step 1); answers ``answer`` if given, else YES iff
        the gain TV_i(A_i) - TV_i(E_i) - P_i is >= 0."""
        if d.kind == "propose":
            return MarketAnnouncement(outcome)
        if answer is not None:
            return answer
        return _gain(instance, i, d.info["proposal"]) >= 0

    return strategy


def _exploits(number: int):
    def deviations(instance: Instance, params: Mapping[str, Fraction], facts: Facts,
                   agent: tuple[int, ...]) -> dict[str, Deviation]:
        """The failure modes of seed 003 §5.1. Every player knows theta (seed 003 §3), so no
        claim depends on the knowledge section; the belief-mismatch rows change the other
        players' strategies too and say so in ``scenario``."""
        base = rational(instance, params, facts)
        endowment = Outcome(instance.endowment, (0,) * instance.n)
        families: dict[str, Deviation] = {}

        def family(changes: Mapping[int, Strategy], dominated: bool, why: str, scenario: str | None = None):
            return Deviation(_with(base, changes), dominated, why, needs_correct_knowledge=False, scenario=scenario)

        if number == 1:
            everyone = {i: _proposer(endowment, instance=instance, i=i) for i in range(instance.n)}
            families["belief mismatch: everyone announces (E, 0)"] = family(
                everyone, False, "an equilibrium of Naive-1 that keeps the endowment (seed 003 §5.1)",
                "every player announces (E, 0), each believing the others will")
            if 0 in agent and instance.n > 1:
                families["disagree"] = family({0: _proposer(endowment, instance=instance)}, True,
                                              "disagreeing yields (E, 0)")
            return families
        if 0 not in agent:
            truthful = "answering against the sign of one's gain"
            flip = {i: (lambda d, rule=base[i]: (not rule(d)) if d.kind == "answer" else rule(d)) for i in agent}
            families["contrarian answers"] = family(flip, number >= 3, truthful)
            return families
        if number == 2 and instance.n >= 2:
            # player 1 takes every good and charges the others as much as prices allow. Only in
            # Naive-2: from Naive-3 on, answering by the sign of one's gain is each player's unique
            # best response whatever the others say, so the YES answers of this scenario are
            # irrational there (seed 003 §5.1, after Naive-3).
            big = 2 ** int(params["k"] - 1)
            charge = (big - 1) // (instance.n - 1)
            grab = Outcome((instance.all_goods,) + (0,) * (instance.n - 1),
                           (-(instance.n - 1) * charge,) + (charge,) * (instance.n - 1))
            everyone_yes = {0: _proposer(grab, instance=instance)}
            everyone_yes.update({j: (lambda d, rule=base[j]: True if d.kind == "answer" else rule(d))
                                 for j in range(1, instance.n)})
            families["belief mismatch: grab everything, everyone says YES"] = family(
                everyone_yes, False, "each player says YES believing another will say NO (seed 003 §5.1, Naive-2)",
                "players 2..n all answer YES to a proposal that hurts them, each believing another says NO")
        greedy = _greedy(instance, params)
        if greedy is not None:
            families["greedy proposal (pay itself B - 2)"] = family(
                {0: _proposer(greedy, instance=instance)}, number == 4,
                "seed 003 §5.1 'A New Problem': pays in Naive-3 when B is large; fined in Naive-4")
        shifted = _shifted(instance, facts, 2 ** int(params["k"] - 1))
        if shifted is not None:
            families["shift price from player 3 to player 2"] = family(
                {0: _proposer(shifted, instance=instance)}, False,
                "seed 003 §5.1 'A Collusion Problem': right if {2, 3} collude, breaks welfare if not")
        return families

    return deviations


def welfare_guarantee(instance: Instance, params: Mapping[str, Fraction], facts: Facts, ev: Evaluation) -> Guarantee:
    """What the naive mechanisms aim at (and fail to guarantee, seed 003 §5.1): Pr[SW = MSW] = 1
    under rational play."""
    best = facts.msw()
    good = sum((p for p, t in ev.outcomes if t.welfare(instance) == best), Fraction(0))
    return Guarantee("Pr[SW = MSW] = 1 (aimed at, not guaranteed)", "MSW", best, good, Fraction(1), good >= 1)


def _naive(number: int, rules, eps_limit: int | None, with_eps: bool = True) -> Mechanism:
    return Mechanism(
        name=f"naive-{number}",
        source=f"seed 003 §5.1 (Naive-{number})",
        market=True,
        params=_params(eps_limit, with_delta=False, with_eps=with_eps),
        rules=rules,
        rational=rational,
        deviations=_exploits(number),
        guarantee=welfare_guarantee,
    )


NAIVE = (  # eps: (n - 1) eps < 1 for Naive-2 and 3 (seed 003 §5.1 states no other range), 1/(3n) for Naive-4
    _naive(1, naive1_rules, None, with_eps=False),  # (its rules have no epsilon)
    _naive(2, naive2_rules, None),
    _naive(3, naive3_rules, None),
    _naive(4, naive4_rules, 3),
)
