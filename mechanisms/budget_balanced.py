"""The budget-balanced market mechanism of seed 003 §5.2 (Azar, Chen, Micali 2011) and the
"simple but wrong" versions Naive-1 .. Naive-4 of §5.1 (markets: instances with an endowment).

Parameters: k (bits per value, B = 2^(k-1) bounds every |value|), eps in (0, 1/(5n)) (Naive-4:
(0, 1/(3n))), delta in (0, eps/B).

``budget-balanced`` (mechanism M): 1. player 1 announces (A*, P*); a. a price of i != 1 outside
the integers of (-2^k, 2^k) or sum P* != 0: A = E, P_1 = 1, halt; b. (A*, P*) = (E, 0): halt;
c. coin c0 (Heads 1 - delta), Tails: sub-mechanism M'; 2. every i != 1 answers YES or NO;
d. Y = n - 1: A = A*, P_1 = P*_1 + 2(n-1)eps, P_i = P*_i - 2 eps; e. coin c1 (Heads 1 - eps):
A = E, P_1 = 2n(n-Y)B + (n-1)eps, P_i = -eps; f. coin c2 (Heads Y/(nB)): as d; g. A = E,
P_1 = (n-1)eps, P_i = -eps. M': h. w uniform; i. w = 1: A_1 = A*_1, P_1 = (n-1)eps, others
nothing and -eps, all other goods destroyed; 3. w answers; j. YES: A_w = A*_w, P_w = P*_w - 2eps,
P_1 = -P*_w + n eps, others -eps; k. NO: A_w = E_w, P_1 = n^2 B/delta + (n-1)eps, others -eps.

Rational play (Corollary 1, Lemmas 7-9): player 1 announces a truthful outcome (Definition 7), or
(E, 0) when E is already socially optimal; others answer YES iff
TV_i(A*_i) - TV_i(E_i) - P*_i >= 0 (a coalition not containing player 1 answers Step 2 by its
summed gain, Step 3 individually; player 1's partners answer YES). Guarantee (Theorem 1'' of
App. B, or without collusion Theorem 1' and Lemma 5 of App. A, read through Definition 6; they
prove §5's Theorem 1): with probability >= 1 - delta the outcome is socially optimal and budget
balanced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from benchmarks.market import endowment_welfare
from benchmarks.results import Outcome
from instances import Instance, Semantics, Valuation
from mechanisms.base import Deviation, Evaluation, Facts, Guarantee, Mechanism, Param, agent_of, perfectly_informed
from mechanisms.common import favourite_of
from mechanisms.engine import Decision, MechanismError, Play, Strategy, Terminal

__all__ = ["BUDGET_BALANCED", "LARGEST_PRICE", "MAX_K", "MarketAnnouncement", "deviations", "guarantee",
           "largest_abs_value", "proposal", "rational", "rules"]


def largest_abs_value(v: Valuation, m: int) -> int:
    """max over bundles S of |v(S)|, exactly (seed 003 §3.3: every value lies in (-2^(k-1), 2^(k-1))).

    EXACT and XOR: |v(S)| is attained on a bid bundle (v is 0 off the bids, or the best bid inside
    S, which is at least v of that bid's own bundle and at most the largest bid). OR: v >= 0 is
    monotone, so the maximum is the value of the favourite bundle (an integer program)."""
    if v.semantics is Semantics.OR:
        return v.value(favourite_of(v, m)) if v.bids else 0
    return max((abs(v.value(b)) for b, _ in v.bids), default=0)


def _max_abs(instance: Instance) -> int:
    """The largest |TV_i(S)| over players and bundles: B = 2^(k-1) must exceed it."""
    return max((largest_abs_value(v, instance.m) for v in instance.valuations), default=0)


def _default_k(instance: Instance, values: Mapping[str, Fraction]) -> Fraction:
    """Smallest k with B = 2^(k-1) above 2 n max|TV_i(S)|, so that every price of a truthful
    outcome (a difference of two values, or player 1's sum of n - 1 of them) lies in (-B, B)."""
    return Fraction((2 * instance.n * _max_abs(instance)).bit_length() + 1)


MAX_K = 480
"""Most bits per value: B = 2^479 is far above any value an instance may hold (at most 10^12 in
absolute value), and a larger k only lengthens the exact numbers (k = 10^5 gave prices of 60,000
digits; k = 10^10 did not end). The reports also give every price and expectation as a float,
which ends near 2^1024, and budget-balanced's largest price, n^2 B / delta with delta below
eps / B, has about 2k + log2(10 n^3) bits: with k = 1024 `deviate` ended with a traceback
(``LARGEST_PRICE`` is checked for delta itself)."""
LARGEST_PRICE = 2**1000
"""What n^2 B / delta, the largest price of budget-balanced (player 1's fine, seed 003 §5.2
Step k), must stay below: every price of a report is also written as a float."""


def _k_check(value: Fraction, params, instance: Instance) -> str | None:
    if value.denominator != 1 or not 1 <= value <= MAX_K:
        return f"k is a whole number of bits from 1 to {MAX_K}"
    if 2 ** int(value - 1) <= _max_abs(instance):
        return (f"seed 003 requires every value in (-2^(k-1), 2^(k-1)); the largest |value| here is "
                f"{_max_abs(instance)}, so k must be at least {_max_abs(instance).bit_length() + 1}")
    return None


def _eps_check(limit: int | None):
    """eps in (0, 1/(limit n)); with no limit, (n - 1) eps < 1 (seed 003 §5.1's condition for
    Naive-2, which Naive-3 keeps; Naive-1 has no eps: M asks 1/(5n), Naive-4 1/(3n))."""
    def check(value: Fraction, params, instance: Instance) -> str | None:
        if limit is None:
            return None if 0 < value and (instance.n - 1) * value < 1 else "seed 003 requires eps > 0 and (n - 1) eps < 1"
        return None if 0 < value < Fraction(1, limit * instance.n) else f"seed 003 requires eps in (0, 1/({limit}n))"
    return check


def _delta_check(value: Fraction, params, instance: Instance) -> str | None:
    k, eps = int(params["k"]), params["eps"]
    if not 0 < value < eps / 2 ** (k - 1):
        return f"seed 003 requires delta in (0, eps/B) = (0, ({eps})/2^{k - 1})"
    if (largest := instance.n ** 2 * 2 ** (k - 1) / value) >= LARGEST_PRICE:
        bits = int(largest).bit_length() - 1
        return (f"player 1's largest price n^2 B/delta would be 2^{bits} or more, beyond what a report "
                "writes (2^1000); take a larger delta or a smaller k")
    return None


def _params(limit: int | None, with_delta: bool, with_eps: bool = True) -> tuple[Param, ...]:
    """k and eps (and delta); ``limit`` as :func:`_eps_check`'s (None: the default eps is
    1/(10n), as M's; else half the bound, 1/(2 limit n)). ``with_eps`` False: k alone (Naive-1,
    whose rules have no epsilon, seed 003 §5.1)."""
    within = "(n - 1) eps < 1" if limit is None else f"in (0, 1/({limit}n))"
    params = (Param("k", "bits per value; B = 2^(k-1)", _default_k, _k_check),)
    if with_eps:
        params += (Param("eps", f"the constant epsilon, {within}",
                         lambda inst, values: Fraction(1, 2 * (limit or 5) * inst.n), _eps_check(limit)),)
    if with_delta:
        params += (Param("delta", "probability of the sub-mechanism M', in (0, eps/B)",
                         lambda inst, values: values["eps"] / 2 ** int(values["k"]), _delta_check),)
    return params


@dataclass(frozen=True)
class MarketAnnouncement:
    """Player 1's proposal (A*, P*) of Step 1 (seed 003 §5.2; also Step 1 of Naive-2 .. Naive-4 and
    every player's announcement in Naive-1, §5.1): an allocation and integer prices summing to 0."""

    outcome: Outcome


def _endowment(instance: Instance) -> tuple[int, ...]:
    return instance.endowment


def _gain(instance: Instance, i: int, outcome: Outcome) -> int:
    """TV_i(A*_i) - TV_i(E_i) - P*_i: what i gains if the proposal is implemented."""
    v = instance.valuations[i]
    return v.value(outcome.allocation[i]) - v.value(instance.endowment[i]) - outcome.prices[i]


def _check_allocation(instance: Instance, outcome: Outcome) -> None:
    used = 0
    for bundle in outcome.allocation:
        if bundle & used or len(outcome.allocation) != instance.n:
            raise MechanismError("player 1's proposal must give each good to at most one player")
        used |= bundle


def _destroy_all_but(instance: Instance, keep: int, bundle: int) -> list[int]:
    allocation = [0] * instance.n
    allocation[keep] = bundle
    return allocation


def rules(play: Play, instance: Instance, params: Mapping[str, Fraction]) -> Terminal:
    """One play of mechanism M with its sub-mechanism M' (seed 003 §5.2, Steps 1-3 and a-k): the
    terminal outcome (A, P)."""
    n, eps, delta = instance.n, params["eps"], params["delta"]
    big = 2 ** int(params["k"] - 1)
    E = _endowment(instance)
    proposal = play.ask(0, "propose").outcome
    _check_allocation(instance, proposal)
    P = proposal.prices
    if not _valid_prices(P[1:], int(params["k"])) or sum(P) != 0:
        play.note("invalid proposal")
        return play.end(E, [1] + [0] * (n - 1))
    if proposal.allocation == E and not any(P):
        return play.end(E, [0] * n)
    fee = 2 * eps

    def implemented() -> list[Fraction]:  # (made where it is played: not on the n branches of w)
        return [P[0] + (n - 1) * fee] + [p - fee for p in P[1:]]

    if play.chance("c0", (("Heads", 1 - delta), ("Tails", delta))) == "Heads":
        answers = [bool(play.ask(i, "answer", proposal=proposal, step=2)) for i in range(1, n)]
        yes = sum(answers)
        if yes == n - 1:
            return play.end(proposal.allocation, implemented())
        if play.chance("c1", (("Heads", 1 - eps), ("Tails", eps))) == "Heads":
            return play.end(E, [2 * n * (n - yes) * big + (n - 1) * eps] + [-eps] * (n - 1))
        if play.chance("c2", (("Heads", Fraction(yes, n * big)), ("Tails", 1 - Fraction(yes, n * big)))) == "Heads":
            return play.end(proposal.allocation, implemented())
        return play.end(E, [(n - 1) * eps] + [-eps] * (n - 1))
    names = instance.players  # (the path names the player, as every path a user reads)
    share = Fraction(1, n)  # (one Fraction for the n outcomes: the coin is replayed on each of its n branches)
    w = names.index(play.chance("w", tuple((name, share) for name in names)))
    prices = [Fraction(-eps)] * n
    if w == 0:
        prices[0] = (n - 1) * eps
        return play.end(_destroy_all_but(instance, 0, proposal.allocation[0]), prices)
    if play.ask(w, "answer", proposal=proposal, step=3):
        prices[w] = P[w] - 2 * eps
        prices[0] = -P[w] + n * eps
        return play.end(_destroy_all_but(instance, w, proposal.allocation[w]), prices)
    prices[0] = Fraction(n * n * big) / delta + (n - 1) * eps
    return play.end(_destroy_all_but(instance, w, E[w]), prices)


def proposal(instance: Instance, facts: Facts) -> Outcome:
    """A truthful outcome (seed 003 Definition 7), or (E, 0) when E is already optimal."""
    best = facts.truthful_outcome()  # (solved once: the rational play and the deviations ask for it)
    if best.require() == endowment_welfare(instance):
        return Outcome(instance.endowment, (0,) * instance.n)
    return best.outcome


def _player(instance: Instance, i: int, announcement: MarketAnnouncement | None) -> Strategy:
    agent = agent_of(instance, i)

    def strategy(d: Decision):
        """Step 1: ``announcement``; Steps 2 and 3: YES iff i's gain is >= 0 (seed 003 Corollary 1,
        Lemma 8), its coalition's summed gain in Step 2 (Lemma 7), always for 1's partners (Lemma 9)."""
        if d.kind == "propose":
            return announcement
        outcome = d.info["proposal"]
        if 0 in agent:
            return True  # player 1's partners accept (seed 003 Lemma 9)
        if d.info.get("step") == 2 and len(agent) > 1:
            return sum(_gain(instance, j, outcome) for j in agent) >= 0  # Lemma 7
        return _gain(instance, i, outcome) >= 0  # Corollary 1, Lemma 8

    return strategy


def rational(instance: Instance, params: Mapping[str, Fraction], facts: Facts) -> list[Strategy]:
    """Every player's rational strategy (seed 003 App. A-B: Corollary 1, Lemmas 3-4 and 7-9):
    player 1 proposes :func:`proposal`; the others answer by the sign of their gain."""
    first = MarketAnnouncement(proposal(instance, facts))
    return [_player(instance, i, first if i == 0 else None) for i in range(instance.n)]


SHIFT = 1000
"""The amount seed 003 §5.1 ("A Collusion Problem") moves from player 3's price to player 2's."""


def _shifted(instance: Instance, facts: Facts, limit: int) -> Outcome | None:
    """The truthful proposal with :data:`SHIFT` moved from player 3's price to player 2's (seed 003
    §5.1, "A Collusion Problem": right if {2, 3} collude, wrong if they are independent), or as
    much as keeps both prices valid, of absolute value below ``limit`` (2^k in M, B in the naive
    mechanisms); None when nothing can be moved. A fixed 1000 made prices out of range on small
    markets (k = 9: 2^k = 512), so the mechanism refused the proposal as invalid, and the row
    measured that refusal instead of the answers it is about."""
    if instance.n < 3:
        return None
    base = proposal(instance, facts)
    prices = list(base.prices)
    amount = min(SHIFT, limit - 1 - prices[1], prices[2] + limit - 1)
    if amount < 1:
        return None
    prices[1] += amount
    prices[2] -= amount
    return Outcome(base.allocation, tuple(prices))


def _why_shift_fails(instance: Instance) -> str:
    """Why :func:`_shifted` does not pay player 1's agent in M, by who colludes with player 2
    (seed 003 §5.1 assumes 2 and 3 collude, or are independent; Lemmas 7-9 cover the others)."""
    first = agent_of(instance, 0)
    if 1 in first:
        return ("player 2 is player 1's partner and says YES (seed 003 Lemma 9): the shift only moves money "
                + ("inside the coalition" if 2 in first else "from the coalition to player 3"))
    if agent_of(instance, 1) == agent_of(instance, 2):
        return ("2 and 3 collude: they say YES in Step 2 (their summed gain is 0, seed 003 Lemma 7), but asked "
                "alone in Step 3 of M' (w = 2), player 2 answers by its own gain and says NO (Lemma 8)")
    return "player 2 loses by it and answers NO (seed 003 §5.1; Corollary 1, or Lemma 7 for its coalition)"


def _greedy(instance: Instance, params: Mapping[str, Fraction]) -> Outcome | None:
    """Seed 003 §5.1, "A New Problem": player 1 gives itself B - 2, player 2 a unit, and charges
    player 3 the rest; goods stay where they are."""
    if instance.n < 3:
        return None
    big = 2 ** int(params["k"] - 1)
    prices = [0] * instance.n
    prices[0], prices[1], prices[2] = -(big - 2), -1, big - 1
    return Outcome(instance.endowment, tuple(prices))


def _valid_prices(prices: Sequence[object], k: int) -> bool:
    """Whether step a accepts ``prices`` of players other than 1: each an integer in (-2^k, 2^k)
    (2^k made once: k is up to 480 bits, and the rules are replayed once per branch, so at n
    players a power per price was n^2 of them)."""
    limit = 2**k
    return all(isinstance(price, int) and -limit < price < limit for price in prices)


def _coalition_claim(instance: Instance, facts: Facts, k: int, coalition: tuple[int, ...],
                     outcome: Outcome) -> tuple[bool, str]:
    """Whether seed 003 proves player 1's proposal ``outcome`` dominated for player 1's
    ``coalition`` C_1, and why: with the endowment optimal, every proposal but (E, 0) (Lemma 10);
    otherwise every proposal that is not semi-truthful (Lemma 11, Definition 8: an optimal
    allocation, prices summing to 0, each player outside C_1 priced at its gain
    TV_i(A_i) - TV_i(E_i), each partner's price an integer in (-2^k, 2^k))."""
    best = facts.msw()
    if endowment_welfare(instance) == best:
        if outcome == Outcome(instance.endowment, (0,) * instance.n):
            return False, "(E, 0) is the coalition's undominated proposal when E is optimal (seed 003 Lemma 10)"
        return True, "with the endowment optimal, every proposal but (E, 0) is dominated (seed 003 Lemma 10)"
    names = instance.players
    wrong = None
    if not _valid_prices(outcome.prices[1:], k):
        wrong = "a price other than player 1's is not an integer in (-2^k, 2^k): step a refuses it"
    elif outcome.welfare(instance) != best:
        wrong = "its allocation is not socially optimal"
    elif sum(outcome.prices) != 0:
        wrong = "its prices do not sum to 0"
    else:
        for i in range(instance.n):
            if i not in coalition and outcome.prices[i] != _gain(instance, i, Outcome(outcome.allocation,
                                                                                     (0,) * instance.n)):
                wrong = f"{names[i]}, outside the coalition, is not priced at its gain TV_i(A_i) - TV_i(E_i)"
                break
    if wrong is None:
        return False, ("semi-truthful (seed 003 Definition 8): every semi-truthful proposal is worth the same to "
                       "player 1's coalition (Lemma 11)")
    return True, f"not semi-truthful ({wrong}): dominated for player 1's coalition (seed 003 Lemma 11, Definition 8)"


def deviations(instance: Instance, params: Mapping[str, Fraction], facts: Facts,
               agent: tuple[int, ...]) -> dict[str, Deviation]:
    """The deviation families of ``agent`` by name: wrong answers (seed 003 Corollary 1) and, for
    player 1, the endowment, greedy and shifted proposals (Lemma 4; §5.1's problems)."""
    base = rational(instance, params, facts)
    families: dict[str, Deviation] = {}

    def answering(change, why: str) -> Deviation:
        profile = list(base)
        for i in agent:
            if i != 0:
                rule = base[i]
                profile[i] = (lambda d, rule=rule: change(d, rule) if d.kind == "answer" else rule(d))
        # (theta is known to all players; a coalition's answers: seed 003 Lemmas 7-9)
        return Deviation(profile, True, why, needs_correct_knowledge=False, for_coalitions=True)

    if agent != (0,):
        truthful = ("answering by the sign of one's gain is the unique best response (seed 003 Corollary 1; for "
                    "a coalition, by the sign of its members' sum, Lemmas 7-9)")
        if 0 in agent:
            truthful = "player 1's partners answer YES (seed 003 Lemma 9): a NO fines player 1, their partner"
        families["contrarian answers"] = answering(lambda d, rule: not rule(d), truthful)
        families["always NO"] = answering(lambda d, rule: False, truthful)
        families["always YES"] = answering(lambda d, rule: True, truthful)
    if 0 in agent:
        def propose(outcome: Outcome, dominated: bool, why: str) -> Deviation:
            profile = list(base)
            profile[0] = _player(instance, 0, MarketAnnouncement(outcome))
            if len(agent) > 1:  # player 1's coalition: seed 003 Lemmas 10-11 say which proposals are dominated
                dominated, claim = _coalition_claim(instance, facts, int(params["k"]), agent, outcome)
                return Deviation(profile, dominated, f"{why}; for player 1's coalition: {claim}",
                                 needs_correct_knowledge=False, for_coalitions=True)
            return Deviation(profile, dominated, why, needs_correct_knowledge=False)

        endowment = Outcome(instance.endowment, (0,) * instance.n)
        if proposal(instance, facts) != endowment:  # (with E optimal, (E, 0) is the rational proposal: Lemma 3)
            families["propose the endowment"] = propose(
                endowment, True, "a non-truthful proposal is dominated for player 1 (seed 003 Lemma 4)")
        greedy = _greedy(instance, params)
        if greedy is not None:
            families["greedy proposal"] = propose(greedy, True, "dominated in M: NO answers fine player 1 2n(n-Y)B")
        shifted = _shifted(instance, facts, 2 ** int(params["k"]))
        if shifted is not None:
            families["shift price from player 3 to player 2"] = propose(shifted, True, _why_shift_fails(instance))
    return families


def guarantee(instance: Instance, params: Mapping[str, Fraction], facts: Facts, ev: Evaluation) -> Guarantee:
    """Seed 003 Theorem 1'' (App. B; without collusion Theorem 1' and Lemma 5 of App. A), read
    through Def. 6 (§4.3): Pr[SW = MSW and sum P = 0] >= 1 - delta, in markets whose players
    have complete information about each other's utilities (seed 003 §1 and §3.2: theta is
    common knowledge to the players). The strategies read the true valuations whatever the
    instance says the players know, so without that information the inequality is shown with
    its premise not met, as perfect-revenue's is."""
    best = facts.msw()
    good = sum((p for p, t in ev.outcomes if t.welfare(instance) == best and t.revenue == 0), Fraction(0))
    bound = 1 - params["delta"]
    premise = perfectly_informed(instance)
    if premise is not None:  # (it was checked nowhere: a market of players who know nothing passed)
        premise = "seed 003 assumes players with complete information about each other's utilities: " + premise
    return Guarantee("Pr[SW = MSW and sum P = 0] >= 1 - delta", "MSW", best, good, bound, good >= bound, premise)


BUDGET_BALANCED = Mechanism(
    name="budget-balanced",
    source="seed 003 §5.2 (mechanism M with M'), Theorem 1''",
    market=True,
    params=_params(5, with_delta=True),
    rules=rules,
    rational=rational,
    deviations=deviations,
    guarantee=guarantee,
)
