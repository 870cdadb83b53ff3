"""The best-belief mechanisms of seed 004 (Chen, Micali 2016).

``best-belief-normal`` (§4, mechanism M_Normal), parameter eps in (0, 1]:
  1. every player i announces a valuation v_i and an outcome w^i = (alpha^i, pi^i) with
     alpha^i_i empty and pi^i_j a positive integer exactly where alpha^i_j is non-empty;
  b. R_i := REV(w^i); the winner w := argmax R_i (lowest index on ties);
  c. a fair coin r;
  d. Heads: A_w := argmax_a v_w(a) (lexicographic ties), halt;
  e. Tails: for each i offered alpha^w_i: if v_i(alpha^w_i) < pi^w_i the winner pays the fine
     pi^w_i, else i receives alpha^w_i and pays pi^w_i - eps/n;
  f. every i receives the reward delta_i = (eps/n) R_i / (1 + R_i).

``best-belief`` (§6, mechanism M_BB): as above, but Step 1 announces a bundle xi_i instead of a
valuation (Heads: A_w := xi_w), and in Tails each offered player answers YES or NO (step 3).

Rational play (Lemmas 1-4): report theta_i (or the favourite bundle), announce the BB_i witness,
answer YES iff theta_i(alpha) >= pi. A coalition maximises the sum of its members' utilities
(§6.2.3): its members announce as independents and answer an outsider's offer as independents
(footnote 11: the other members' goods and prices are the same either way), and answer YES to an
offer of a winner who is their partner, since a NO would fine the partner the whole price
(YES - NO = theta_i(alpha) + eps/n > 0 for the coalition). Guarantee (Theorems 1-2):
E[REV] >= BB/2 - eps; for M_BB also E[REV] >= BB'/2 - eps when some players collude (§6.2.3,
which argues for M_BB only: with coalitions, M_Normal's guarantee is reported with its premise not
met).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from benchmarks.results import Outcome
from instances import ZERO, Instance, Valuation
from mechanisms.base import Deviation, Evaluation, Facts, Guarantee, Mechanism, Param, agent_of
from mechanisms.common import (
    FAIR,
    announcer,
    answer_families,
    argmax_lex,
    canonical,
    check_offers,
    favourite_of,
    scaled,
    truthful_answer,
    without,
)
from mechanisms.engine import Decision, Play, Strategy, Terminal

__all__ = ["BEST_BELIEF", "BEST_BELIEF_NORMAL", "BeliefAnnouncement", "PARAMS"]


@dataclass(frozen=True)
class BeliefAnnouncement:
    """Step 1 of seed 004 §4 (M_Normal) and §6 (M_BB): an outcome omega^i and either a valuation
    v_i (normal form) or a bundle xi_i."""

    outcome: Outcome
    valuation: Valuation | None = None
    bundle: int | None = None


def _eps_check(value: Fraction, params: Mapping[str, Fraction], instance: Instance) -> str | None:
    return None if 0 < value <= 1 else "seed 004 requires eps in (0, 1]"


PARAMS = (Param("eps", "the constant epsilon of seed 004, in (0, 1]", lambda inst, values: Fraction(1, 10), _eps_check),)


def _rules(normal: bool):
    def rules(play: Play, instance: Instance, params: Mapping[str, Fraction]) -> Terminal:
        """One play of M_Normal (seed 004 §4, Steps 1 and a-f) or of M_BB (seed 004 §6, Steps a-e
        and 1-3): the terminal outcome (A, P)."""
        n, eps = instance.n, params["eps"]
        announced = [play.ask(i, "announce") for i in range(n)]
        for i, a in enumerate(announced):
            check_offers(a.outcome, i, n, f"{instance.players[i]}'s announcement", zero_price_offers=False)
        revenues = [a.outcome.revenue for a in announced]
        w = argmax_lex(revenues)
        allocation = [0] * n
        prices = [Fraction(0)] * n
        if play.chance("r", FAIR) == "Heads":
            if normal:
                allocation[w] = favourite_of(announced[w].valuation, instance.m, play.options)
            else:
                allocation[w] = announced[w].bundle
            return play.end(allocation, prices)
        offers = [(i, announced[w].outcome.allocation[i], announced[w].outcome.prices[i])
                  for i in range(n) if announced[w].outcome.allocation[i]]
        if normal:
            accepts = {i: announced[i].valuation.value(bundle) >= price for i, bundle, price in offers}
        else:  # simultaneous answers: nobody sees the others' answers
            accepts = {i: bool(play.ask(i, "answer", offer=(bundle, price), winner=w)) for i, bundle, price in offers}
        for i, bundle, price in offers:
            if accepts[i]:
                allocation[i] = bundle
                prices[i] += price - eps / n
            else:
                prices[w] += price
        for i in range(n):
            prices[i] -= eps / n * Fraction(revenues[i], 1 + revenues[i])
        return play.end(allocation, prices)

    return rules


def _believer(instance: Instance, i: int, announcement: BeliefAnnouncement, coalition: tuple[int, ...]) -> Strategy:
    """Player i's strategy in M_BB (seed 004 §6): ``announcement`` in Step 1; in Step 3 YES iff
    theta_i(alpha^w_i) >= pi^w_i (Lemma 3), or YES when the winner w is a partner in
    ``coalition`` (§6.2.3: a NO would fine the partner the price, a loss to the coalition)."""
    truthful = truthful_answer(instance, i)
    partners = frozenset(coalition) if len(coalition) > 1 else frozenset()

    def strategy(d: Decision):
        if d.kind == "announce":
            return announcement
        if d.info["winner"] in partners:
            return True
        bundle, price = d.info["offer"]
        return truthful(bundle, price)

    return strategy


def _rational(normal: bool):
    def rational(instance: Instance, params: Mapping[str, Fraction], facts: Facts) -> list[Strategy]:
        """Every player announces theta_i (M_Normal) or a favourite bundle (M_BB) and the BB_i
        witness, and answers YES iff theta_i(alpha^w_i) >= pi^w_i (seed 004 Lemmas 1-4), or
        YES when the winner is a coalition partner (§6.2.3)."""
        profile = []
        facts.prefetch(miew=range(instance.n), favourite=() if normal else range(instance.n))
        for i in range(instance.n):
            witness = canonical(facts.miew(i), instance.n)
            if normal:
                announcement = BeliefAnnouncement(witness, valuation=instance.valuations[i])
                profile.append(announcer(announcement, truthful_answer(instance, i)))
            else:
                announcement = BeliefAnnouncement(witness, bundle=facts.favourite(i))
                profile.append(_believer(instance, i, announcement, agent_of(instance, i)))
        return profile

    return rational


def _deviations(normal: bool):
    rational = _rational(normal)

    def deviations(instance: Instance, params: Mapping[str, Fraction], facts: Facts,
                   agent: tuple[int, ...]) -> dict[str, Deviation]:
        """The deviation families of ``agent`` by name (seed 004 Lemmas 1-4): under- and overbidding,
        nothing or another player's witness; a false valuation in M_Normal (Lemma 1), an empty
        bundle and the answer families in M_BB (Lemma 3)."""
        base = rational(instance, params, facts)
        honest = {i: base[i](Decision(i, "announce")) for i in agent}

        def announce(change, dominated: bool, why: str, by_beliefs: bool = True) -> Deviation:
            profile = list(base)
            for i in agent:
                changed = change(i, honest[i])
                profile[i] = (announcer(changed, truthful_answer(instance, i)) if normal
                              else _believer(instance, i, changed, agent))
            # Seed 004 judges dominance by the player's beliefs, which may be wrong (§3; Lemma 4
            # holds in every context): no claim needs correct knowledge. Those about the player's
            # own valuation (Lemma 1, the favourite bundle) need no beliefs at all.
            return Deviation(profile, dominated, why, needs_correct_knowledge=False,
                             by_beliefs=dominated and by_beliefs)

        def replace_outcome(i: int, a: BeliefAnnouncement, outcome: Outcome) -> BeliefAnnouncement:
            return BeliefAnnouncement(outcome, a.valuation, a.bundle)

        others = [j for j in range(instance.n) if j not in agent]
        best_other = max(others, key=lambda j: facts.miew(j).revenue, default=None)
        over = ("not dominated: a larger announced revenue earns a larger reward delta_i when the agent "
                "does not win, and costs fines when it wins")
        families = {
            "underbid (prices x1/2)": announce(
                lambda i, a: replace_outcome(i, a, scaled(a.outcome, Fraction(1, 2))), True,
                "an outcome of revenue below BB_i is dominated (seed 004 Lemmas 2 and 4)"),
            "overbid (prices x2)": announce(
                lambda i, a: replace_outcome(i, a, scaled(a.outcome, Fraction(2))), False, over),
            "announce nothing": announce(
                lambda i, a: replace_outcome(i, a, Outcome((0,) * instance.n, (0,) * instance.n)), True,
                "revenue 0 <= BB_i: dominated when BB_i > 0 (seed 004 Lemmas 2 and 4)"),
        }
        if best_other is not None:
            families["announce another player's witness"] = announce(
                lambda i, a: replace_outcome(i, a, canonical(without(facts.miew(best_other), [i]), instance.n)),
                False, "dominated when its revenue is below BB_i; when above, " + over)
        if normal:
            families["understate valuation (report zero)"] = announce(
                lambda i, a: BeliefAnnouncement(a.outcome, valuation=ZERO), True,
                "reporting v_i != theta_i is dominated (seed 004 Lemma 1)", by_beliefs=False)
            families["overstate valuation (bids x2)"] = announce(
                lambda i, a: BeliefAnnouncement(
                    a.outcome, valuation=Valuation(a.valuation.form, tuple((b, 2 * x) for b, x in a.valuation.bids))),
                True, "reporting v_i != theta_i is dominated (seed 004 Lemma 1)", by_beliefs=False)
        else:
            families["empty favourite bundle"] = announce(
                lambda i, a: BeliefAnnouncement(a.outcome, bundle=0), False,
                "weakly dominated only: a bundle other than a favourite one pays less when the agent wins (on "
                "Heads the winner receives xi_w, seed 004 §6 Step c) and the same otherwise; announced at the "
                "root, it is told apart from every other profile, so it is not distinguishably dominated "
                "(Definition 4). Lemma 4's proof announces a favourite bundle", by_beliefs=False)
            families.update(answer_families(base, agent, why="answering NO to an acceptable offer, or YES to "
                                            "an unacceptable one, is dominated (seed 004 Lemma 3; for a coalition "
                                            "§6.2.3 and footnote 11, and YES to a partner's offer)",
                                            for_coalitions=True))
        return families

    return deviations


def _guarantee(normal: bool):
    def guarantee(instance: Instance, params: Mapping[str, Fraction], facts: Facts, ev: Evaluation) -> Guarantee:
        """Seed 004 Theorem 1 (M_Normal) and Theorem 2 (M_BB): E[REV] >= BB/2 - eps, for players
        who act individually. With coalitions §6.2.3 argues (informally, no theorem) that M_BB's
        revenue is at least half of BB' when at least some player is independent, checked here as
        E[REV] >= BB'/2 - eps with Theorem 2's eps; for M_Normal no theorem covers coalitions. Where
        no theorem covers the instance, its premise is reported as not met."""
        colluding = bool(instance.coalitions)
        premise = None
        if colluding and normal:
            premise = ("Theorem 1 assumes independent players; the BB' bound with coalitions (§6.2.3) "
                       "is proved for best-belief (M_BB) only")
        elif colluding and not instance.independent:
            # (BB' is a maximum over none of them: 0, and the bound held for nothing)
            premise = "§6.2.3 bounds the revenue by BB' when at least some player is independent; here none is"
        best = facts.bb_prime() if colluding and not normal else facts.bb()
        name = "BB'" if colluding and not normal else "BB"
        bound = Fraction(best.value, 2) - params["eps"]
        return Guarantee(f"E[REV] >= {name}/2 - eps", name, best.value, ev.rev, bound, ev.rev >= bound, premise)

    return guarantee


BEST_BELIEF_NORMAL = Mechanism(
    name="best-belief-normal",
    source="seed 004 §4 (M_Normal), Theorem 1",
    market=False,
    params=PARAMS,
    rules=_rules(normal=True),
    rational=_rational(normal=True),
    deviations=_deviations(normal=True),
    guarantee=_guarantee(normal=True),
)

BEST_BELIEF = Mechanism(
    name="best-belief",
    source="seed 004 §6 (M_BB), Theorem 2; with coalitions §6.2.3's argument (no theorem)",
    market=False,
    params=PARAMS,
    rules=_rules(normal=False),
    rational=_rational(normal=False),
    deviations=_deviations(normal=False),
    guarantee=_guarantee(normal=False),
    notes="Coalition members announce as independents, answer an outsider's offer individually (seed 004 §6.2.3, "
          "footnote 11) and a partner's offer YES (a NO would fine the partner).",
)
