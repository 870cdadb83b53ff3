"""The perfect-revenue mechanism of seed 002 §4 (Chen, Hassidim, Micali 2011), for perfectly
informed players (every player knows every true valuation).

Parameters: eps in (0, 1/(5n)) and the ladder eps^i_j = eps * ratio^((i - 2) n + j) for
i = 2..n, j = 1..n (ratio in (0, 1)), which gives 1/(5n) > eps > eps^2_1 > ... > eps^n_n > 0.

(1) player 1 announces a state omega* (an allocation) and natural-number prices K^1;
(a) sum K^1 = 0: end with (bottom, 0);
(2..n) player i announces natural raises Delta^i with Delta^i_i = 0;
(b) R_i = {l : Delta^l_i > 0}; if non-empty bip_i = max R_i and P*_i = K^1_i + sum_{l=2}^{bip_i}
    Delta^l_i, else bip_i = 1 and P*_i = K^1_i (the reading
    that seed 002 Lemma 2 needs; the printed text of Step (b) has lost its indices);
(n+1) each i with P*_i > 0 answers YES or NO (P*_i = 0, and player 1 when bip_1 = 1, say YES);
(c) Y = n: omega := omega*, P_i := P*_i - eps; (d) coin c1, Heads with probability 1 - eps;
(e) Heads: each NO player i makes bip_i pay 2 P*_i; (f) Tails: B = sum of the NO players' P*_i,
    coin c2 Heads with probability Y/(nB): omega := omega*, P_i := P*_i - eps;
(g) P_1 -= eps + 2 eps sum K^1 - eps f_r/n_r; every other P_i -= eps + sum_j eps^i_j Delta^i_j.
n_r counts the (state, natural price profile) pairs of revenue r = sum K^1; f_r ranks
(omega*, K^1) among them: states in lexicographic order of owner vectors, then price profiles
with larger P_1 first, then larger P_2, and so on.

The unique subgame-perfect equilibrium (Lemmas 1-3): player 1 announces the lexicographically
first welfare-maximising state and prices every agent at its total value (on its lowest member);
later players raise under-priced agents to their value (Lemma 2); answers by Lemma 1.
Guarantee (Theorem 2): SW = MSW and REV >= (1 - 4 eps n) MSW.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import compress
from math import comb

from instances import Instance
from mechanisms.base import (
    Deviation,
    Evaluation,
    Facts,
    Guarantee,
    Mechanism,
    Param,
    agent_of,
    in_open_unit,
    perfectly_informed,
)
from mechanisms.common import answer_families
from mechanisms.engine import Decision, MechanismError, Play, Strategy, Terminal

__all__ = ["PARAMS", "PERFECT_REVENUE", "Proposal", "deviations", "guarantee", "ladder", "optimal_proposal",
           "price_rank", "profiles", "rank_term", "rational", "rules", "state_rank"]


@dataclass(frozen=True)
class Proposal:
    """Step (1) of seed 002 §4: player 1's state omega* (bundle per player) and natural-number
    prices K^1."""

    state: tuple[int, ...]
    prices: tuple[int, ...]


def _eps_check(value: Fraction, params, instance: Instance) -> str | None:
    return None if 0 < value < Fraction(1, 5 * instance.n) else "seed 002 requires 0 < eps < 1/(5n)"


PARAMS = (
    Param("eps", "the constant epsilon, in (0, 1/(5n))", lambda inst, values: Fraction(1, 10 * inst.n), _eps_check),
    Param("ratio", "ladder ratio: eps^i_j = eps ratio^((i-2)n + j), in (0, 1)", lambda inst, values: Fraction(1, 2),
          in_open_unit),
)


def ladder(params: Mapping[str, Fraction], n: int, i: int, j: int) -> Fraction:
    """eps^i_j for raiser i (0-based, i >= 1) and raised player j (0-based): the reward constants
    of seed 002 §4 (Notation; Step (g)), which the paper only orders; the geometric ladder is
    cabench's choice."""
    return params["eps"] * params["ratio"] ** ((i - 1) * n + j + 1)


def state_rank(state: Sequence[int], m: int, n: int) -> int:
    """Rank of an allocation among all (n+1)^m in lexicographic order of owner vectors: cabench's
    reading of the lexicographic state order of f_r (seed 002 §4, Notation) and of Lemma 3's
    "lexicographically first state"."""
    rank = 0
    for g in range(m):
        owner = next((j + 1 for j, bundle in enumerate(state) if bundle >> g & 1), 0)
        rank = rank * (n + 1) + owner
    return rank


def profiles(total: int, parts: int) -> int:
    """Number of profiles of ``parts`` natural numbers summing to ``total``."""
    return comb(total + parts - 1, parts - 1) if parts > 0 else int(total == 0)


def price_rank(prices: Sequence[int]) -> int:
    """Rank of a price profile among those of the same sum, larger P_1 first, then P_2, ...
    (the order of f_r in seed 002 §4, Step (g)).

    The profiles ranked before it are, for each position j, those that agree with it before j
    and put a larger price at j: with ``remaining`` left for positions j..n-1 and k = n - j - 1
    positions after j, the sum over larger prices q of profiles(remaining - q, k), which by the
    hockey-stick identity (sum over t <= T of C(t + k - 1, k - 1) = C(T + k, k), with T =
    remaining - P_j - 1) is C(remaining - P_j - 1 + k, k). Summed price by price, the loop ran
    once per unit of revenue: a CATS file whose values are in units of 1/10^4 took 17 minutes
    to evaluate (``tests/test_mechanisms.py`` checks the closed form against every profile listed)."""
    rank, remaining, n = 0, sum(prices), len(prices)
    for j, p in enumerate(prices[:-1]):
        if p < remaining:
            k = n - j - 1
            rank += comb(remaining - p - 1 + k, k)
        remaining -= p
    return rank


def rank_term(proposal: Proposal, m: int, n: int) -> Fraction:
    """f_r(omega*, K^1) / n_r of Step (g) (seed 002 §4; f_r and n_r as its Notation defines them)."""
    r = sum(proposal.prices)
    per_state = profiles(r, n)
    n_r = (n + 1) ** m * per_state
    f_r = state_rank(proposal.state, m, n) * per_state + price_rank(proposal.prices)
    return Fraction(f_r, n_r)


def rules(play: Play, instance: Instance, params: Mapping[str, Fraction]) -> Terminal:
    """One play of mechanism M (seed 002 §4, Steps 1 to n+1 and a-g): the terminal outcome
    (state, P), the empty state giving no goods."""
    n, m, eps = instance.n, instance.m, params["eps"]
    bottom = [0] * n
    proposal = play.ask(0, "propose")
    K = proposal.prices
    if len(K) != n or any(not isinstance(k, int) or k < 0 for k in K):
        raise MechanismError("player 1's prices must be n natural numbers")
    if sum(K) == 0:
        return play.end(bottom, [0] * n)
    raises: dict[int, tuple[int, ...]] = {}
    current = list(K)  # K plus the raises so far, column by column: public, derived from the raises
    for i in range(1, n):
        delta = tuple(play.ask(i, "raise", state=proposal.state, K=K, raises=dict(raises), current=tuple(current)))
        if len(delta) != n or delta[i] != 0 or any(not isinstance(d, int) or d < 0 for d in delta):
            raise MechanismError(f"{instance.players[i]}'s raises must be n natural numbers with its own 0")
        raises[i] = delta
        for j in compress(range(n), delta):
            current[j] += delta[j]
    bip, provisional = [], []
    for j in range(n):
        raisers = [l for l in range(1, n) if raises[l][j] > 0]
        if raisers:
            b = max(raisers)
            bip.append(b)
            provisional.append(K[j] + sum(raises[l][j] for l in range(1, b + 1)))
        else:
            bip.append(0)
            provisional.append(K[j])
    answers = []
    for i in range(n):
        if provisional[i] == 0 or (i == 0 and bip[0] == 0):
            answers.append(True)
        else:
            answers.append(bool(play.ask(i, "answer", state=proposal.state, price=provisional[i], bip=bip[i],
                                         provisional=tuple(provisional))))
    yes = sum(answers)
    state, prices = bottom, [Fraction(0)] * n
    implemented = [Fraction(p) - eps for p in provisional]
    if yes == n:
        state, prices = list(proposal.state), implemented
    elif play.chance("c1", (("Heads", 1 - eps), ("Tails", eps))) == "Heads":
        for i in range(n):
            if not answers[i]:
                prices[bip[i]] += 2 * provisional[i]
    else:
        fines = sum(provisional[i] for i in range(n) if not answers[i])
        q = Fraction(yes, n * fines)
        if play.chance("c2", (("Heads", q), ("Tails", 1 - q))) == "Heads":
            state, prices = list(proposal.state), implemented
    prices[0] -= eps + 2 * eps * sum(K) - eps * rank_term(proposal, m, n)
    for i in range(1, n):
        # (the raises made only: most are 0, and each rung is an exact power of up to n^2)
        prices[i] -= eps + sum(ladder(params, n, i, j) * d for j, d in enumerate(raises[i]) if d)
    return play.end(state, prices)


def _agent_value(instance: Instance, agent: Sequence[int], state: Sequence[int]) -> int:
    return sum(instance.valuations[j].value(state[j]) for j in agent)


def optimal_proposal(instance: Instance, facts: Facts) -> Proposal:
    """Seed 002 Lemma 3 (§5.1): the lexicographically first welfare-maximising state, each agent
    priced at its total value on its lowest member."""
    state = facts.lex_first().allocation
    prices = [0] * instance.n
    for agent in instance.agents:
        prices[agent[0]] = _agent_value(instance, agent, state)
    return Proposal(state, tuple(prices))


def _raises(instance: Instance, i: int, state: Sequence[int], K: Sequence[int],
            earlier: Mapping[int, Sequence[int]], current: Sequence[int] | None = None) -> tuple[int, ...]:
    """Lemma 2: raise every under-priced agent to its value, on its lowest member (for i's own
    coalition, on its lowest other member, and only if someone outside it acts later).
    ``current``: K plus the ``earlier`` raises, column by column, when the rules keep it."""
    n = instance.n
    own = agent_of(instance, i)
    delta = [0] * n
    if current is None:
        # (summed column by column in C: a loop per player over the earlier raisers made the n - 1
        # raises of a play cubic in n, 48 million steps at 200 players; still n^2 per player, so
        # the rules keep the sums as they go: 1000 players, 8.6 of perfect-revenue's 9.6 s here)
        current = list(map(sum, zip(K, *earlier.values())))
    worth = [v.value(a) for v, a in zip(instance.valuations, state)]
    for agent in instance.agents:
        deficit = (worth[agent[0]] - current[agent[0]] if len(agent) == 1
                   else sum(worth[j] - current[j] for j in agent))
        if deficit <= 0:
            continue
        if agent == own:
            later_outsider = any(k not in own for k in range(i + 1, n))
            others = [j for j in agent if j != i]
            if later_outsider and others:
                delta[others[0]] = deficit
        else:
            delta[agent[0]] = deficit
    return tuple(delta)


def _answer(instance: Instance, i: int, d: Decision) -> bool:
    """Lemma 1: independents accept iff TV_i(omega*) >= P*_i; a coalition member accepts iff its
    best-informed player is a partner or the coalition's value covers its provisional prices."""
    agent = agent_of(instance, i)
    state, provisional = d.info["state"], d.info["provisional"]
    if len(agent) == 1:
        return instance.valuations[i].value(state[i]) >= d.info["price"]
    return d.info["bip"] in agent or _agent_value(instance, agent, state) >= sum(provisional[j] for j in agent)


def _player(instance: Instance, i: int, proposal: Proposal | None, raise_rule=None, answer_rule=None) -> Strategy:
    def strategy(d: Decision):
        """Step 1: ``proposal``; Steps 2..n: the raises of ``raise_rule`` (Lemma 2 by default);
        Step n+1: the answer of ``answer_rule`` (Lemma 1 by default) (seed 002 §5.1)."""
        if d.kind == "propose":
            return proposal
        if d.kind == "raise":
            if raise_rule is None:
                return _raises(instance, i, d.info["state"], d.info["K"], d.info["raises"], d.info.get("current"))
            return raise_rule(instance, i, d.info["state"], d.info["K"], d.info["raises"])
        return (answer_rule or _answer)(instance, i, d)

    return strategy


def rational(instance: Instance, params: Mapping[str, Fraction], facts: Facts) -> list[Strategy]:
    """The unique subgame-perfect equilibrium (seed 002 §5.1 Lemmas 1-3): player 1 proposes
    :func:`optimal_proposal`, the others raise by Lemma 2, everyone answers by Lemma 1."""
    first = optimal_proposal(instance, facts)
    return [_player(instance, i, first if i == 0 else None) for i in range(instance.n)]


def deviations(instance: Instance, params: Mapping[str, Fraction], facts: Facts,
               agent: tuple[int, ...]) -> dict[str, Deviation]:
    """The deviation families of ``agent`` by name: player 1's mispriced or empty proposals, wrong
    raises, and the answer families; none pays at the unique SPE (seed 002 §5.1 Lemmas 1-3)."""
    base = rational(instance, params, facts)
    honest = optimal_proposal(instance, facts)
    spe = ("with perfectly informed players the subgame-perfect equilibrium is unique, so no deviation pays "
           "(seed 002 Lemmas 1-3)")
    families: dict[str, Deviation] = {}

    def with_players(make) -> list[Strategy]:
        profile = list(base)
        for i in agent:
            profile[i] = make(i)
        return profile

    if 0 in agent:
        def proposing(proposal: Proposal):
            return with_players(lambda i: _player(instance, i, proposal if i == 0 else None))

        families["player 1 overprices (K x2)"] = Deviation(
            proposing(Proposal(honest.state, tuple(2 * k for k in honest.prices))), True, spe)
        families["player 1 underprices (K // 2)"] = Deviation(
            proposing(Proposal(honest.state, tuple(k // 2 for k in honest.prices))), True, spe)
        families["player 1 proposes the empty state"] = Deviation(
            proposing(Proposal((0,) * instance.n, honest.prices)), True, spe)
    if any(i > 0 for i in agent):
        def overbid(inst, i, state, K, earlier):
            delta = list(_raises(inst, i, state, K, earlier))
            for j in range(inst.n):
                if j != i and j not in agent:
                    delta[j] += 1
            return tuple(delta)

        families["raise others above their value (+1)"] = Deviation(
            with_players(lambda i: _player(instance, i, honest if i == 0 else None, raise_rule=overbid)), True, spe)
        families["never raise"] = Deviation(
            with_players(lambda i: _player(instance, i, honest if i == 0 else None,
                                           raise_rule=lambda inst, i, s, K, e: (0,) * inst.n)), True, spe)
    families.update(answer_families(base, agent, why=spe + "; Lemma 1 for a coalition's answers",
                                    needs_correct_knowledge=True, for_coalitions=True))
    return families


def guarantee(instance: Instance, params: Mapping[str, Fraction], facts: Facts, ev: Evaluation) -> Guarantee:
    """Seed 002 Theorem 2: SW = MSW and REV >= (1 - 4 eps n) MSW at the unique SPE, for perfectly
    informed players, not all of them in one coalition (§1, "perfectly resilient to collusion").
    The strategies read the true valuations whatever the instance says the players know, so on
    other instances the inequality is shown with its premise not met."""
    best = facts.msw()
    bound = (1 - 4 * params["eps"] * instance.n) * best
    holds = ev.sw == best and all(t.welfare(instance) == best for _, t in ev.outcomes) and ev.rev >= bound
    premise = perfectly_informed(instance)
    if premise is not None:
        premise = "seed 002 assumes perfectly informed players: " + premise
    elif any(len(agent) == instance.n for agent in instance.agents):
        # seed 002 §1: perfect revenue "as long as not all players belong to the same coalition"
        # (one coalition of everyone is priced by nobody outside it: its rational play may underprice)
        premise = ("seed 002 §1 guarantees perfect revenue as long as not all players belong to the same "
                   "coalition; here every player is in one")
    return Guarantee("SW = MSW and REV >= (1 - 4 eps n) MSW", "MSW", best, ev.rev, bound, holds, premise)


PERFECT_REVENUE = Mechanism(
    name="perfect-revenue",
    source="seed 002 §4 (mechanism M), Theorem 2",
    market=False,
    params=PARAMS,
    rules=rules,
    rational=rational,
    deviations=deviations,
    guarantee=guarantee,
    notes="Players are perfectly informed: strategies use every true valuation (seed 002 §2).",
    min_players=2,  # prices are checked by players 2..n raising them
)
