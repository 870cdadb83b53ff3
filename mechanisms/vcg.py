"""The VCG mechanism, the classical baseline (Vickrey 1961, Clarke 1971, Groves
1973; its failure under collusion is seed 000 §1.1).

Every player reports a valuation; the allocation maximises reported welfare (the
lexicographically first such allocation, so the outcome is unique); player i pays
MSW_{-i}(reports) - sum_{j != i} report_j(A_j). Truthful reporting is dominant for independent
players, but two colluders who value nothing can bid high on complementary goods and win them
all for free (Ausubel and Milgrom, recalled in seed 000 §1.2, reason 2): welfare and revenue 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from fractions import Fraction

from benchmarks import lex_first_optimal, msw_without
from instances import Form, Instance, Valuation
from mechanisms.base import Deviation, Facts, Mechanism
from mechanisms.engine import Play, Strategy, Terminal

__all__ = ["VCG", "deviations", "rational", "rules", "shill_bids"]


def rules(play: Play, instance: Instance, params: Mapping[str, Fraction]) -> Terminal:
    """One play of VCG (the baseline of seed 000 §1.2): the first allocation of maximum reported
    welfare, P_i = MSW_{-i}(reports) - sum_{j != i} report_j(A_j)."""
    reports = tuple(play.ask(i, "report") for i in range(instance.n))
    reported = replace(instance, valuations=reports)
    # with the caller's backend and time limit (a program not proven in time raises
    # NotProvenError through ``require``, as every benchmark does)
    options = play.options
    first = lex_first_optimal(reported, options=options)
    first.require()  # (its witness too: the outcome is the first optimum, whatever the backend)
    allocation = first.outcome.allocation
    worth = [report.value(bundle) for report, bundle in zip(reports, allocation)]
    total = sum(worth)
    prices = []
    for i in range(instance.n):
        others = total - worth[i]  # (each report valued once, not once per player: n^2 at n players)
        # a player who wins nothing in ``first`` (a proven optimum) leaves it optimal without
        # them: MSW_{-i} = MSW, no program (at 1000 one-bid players, 6 programs instead of 1000:
        # 0.2 s instead of 10 s and 560 MB, found by a user's audit)
        prices.append(Fraction(msw_without(reported, i, options=options, optimum=first).require() - others))
    return play.end(allocation, prices)


def rational(instance: Instance, params: Mapping[str, Fraction], facts: Facts) -> list[Strategy]:
    """Every player reports its true valuation: VCG is dominant-strategy truthful for an
    independent player (seed 000 §1.1, "the Ausubel-Milgrom Example")."""
    return [(lambda d, v=v: v) for v in instance.valuations]


def shill_bids(instance: Instance, agent: tuple[int, ...], high: int) -> list[Valuation]:
    """Ausubel-Milgrom (seed 000 §1.1; §1.2, reason 2): the goods are split round-robin among the
    members, each bidding ``high`` on its share (XOR), so that each member's bid is needed and no
    one pays."""
    shares = [0] * len(agent)
    for k, g in enumerate(range(instance.m)):
        shares[k % len(agent)] |= 1 << g
    return [Valuation(Form.XOR, ((s, high),) if s else ()) for s in shares]


def deviations(instance: Instance, params: Mapping[str, Fraction], facts: Facts,
               agent: tuple[int, ...]) -> dict[str, Deviation]:
    """The deviation families of ``agent`` by name: understating, overstating, and for a
    coalition the Ausubel-Milgrom shill bids (seed 000 §1.1; §1.2, reason 2)."""
    base = rational(instance, params, facts)

    def report(change, dominated: bool, why: str) -> Deviation:
        profile = list(base)
        for k, i in enumerate(agent):
            profile[i] = (lambda d, v=change(k, i): v)
        return Deviation(profile, dominated, why, needs_correct_knowledge=False)  # dominant strategies

    single = len(agent) == 1
    # (the coalition {p2, p3} of the Ausubel-Milgrom example was told "dominant ... for an
    # independent player": true of no member of a coalition)
    truthful = ("truthful reporting is dominant in VCG for an independent player" if single else
                "not dominated: truthful reporting is dominant in VCG only for an independent player, "
                "and a coalition may gain by reporting together")
    families = {
        "understate (report zero)": report(lambda k, i: Valuation(Form.EXPLICIT, ()), single, truthful),
        "overstate (bids x2)": report(
            lambda k, i: Valuation(instance.valuations[i].form, tuple((b, 2 * x) for b, x in instance.valuations[i].bids)),
            single, truthful),
    }
    if len(agent) > 1 and instance.m >= 2:
        high = 2 * (facts.msw() + 1)
        bids = shill_bids(instance, agent, high)
        families["Ausubel-Milgrom shill bids"] = report(
            lambda k, i: bids[k], False, "colluders win every good for free: VCG is not collusion-resilient")
    return families


VCG = Mechanism(
    name="vcg",
    source="Vickrey-Clarke-Groves (the classical baseline; Ausubel-Milgrom in seed 000 §1.1)",
    market=False,
    params=(),
    rules=rules,
    rational=rational,
    deviations=deviations,
)
