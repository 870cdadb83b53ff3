"""Random small instances at the extremes: many ties (values 1..3), and values near the accepted
cap of 10^12 (all within 50 of it, so near-optimal allocations differ by a few units)."""

from __future__ import annotations

import random
from collections.abc import Sequence

from instances.model import Candidates, Instance, Knowledge, LowerBounds
from instances.synthetic import random_valuation
from instances.valuation import Form, Valuation

CAP = 10**12
TIE_FORMS = (Form.EXPLICIT, Form.XOR, Form.OR, Form.ADDITIVE, Form.SINGLE_MINDED)
NEAR_CAP_FORMS = (Form.OR, Form.XOR, Form.EXPLICIT)
NEAR_CAP_MIXED_FORMS = (Form.OR, Form.XOR, Form.EXPLICIT, Form.ADDITIVE, Form.SINGLE_MINDED)


def _knowledge(rng: random.Random, m: int, i: int, truth: Sequence[Valuation], forms: Sequence[Form],
               low: int, high: int) -> Knowledge:
    """None, lower bounds (half of them the truth minus a little, so correct; the rest drawn
    afresh) or one to three candidate profiles (the truth among them half of the time)."""
    others = [j for j in range(len(truth)) if j != i]
    kind = rng.choice(("none", "lower_bounds", "candidates"))
    if kind == "none" or not others:
        return None

    def fresh() -> Valuation:
        return random_valuation(rng, m, rng.choice(forms), low=low, high=high)

    if kind == "lower_bounds":
        bounds = {}
        for j in rng.sample(others, rng.randint(1, len(others))):
            v = truth[j]
            slack = max(0, min((high - low) // 2, 50))
            bounds[j] = (Valuation(v.form, tuple((b, max(0, x - rng.randint(0, slack))) for b, x in v.bids))
                         if rng.random() < 0.5 else fresh())
        return LowerBounds(dict(sorted(bounds.items())))
    profiles = [{j: fresh() for j in others if rng.random() < 0.8} for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.5:
        profiles.insert(rng.randint(0, len(profiles)), {j: truth[j] for j in others})
    return Candidates(tuple(profiles))


def _instance(seed: int, name: str, m: int, n: int, forms: Sequence[Form], low: int, high: int,
              rng: random.Random) -> Instance:
    truth = tuple(random_valuation(rng, m, rng.choice(forms), low=low, high=high) for _ in range(n))
    know = tuple(_knowledge(rng, m, i, truth, forms, low, high) for i in range(n))
    groups: tuple[tuple[int, ...], ...] = ()
    if n >= 2 and rng.random() < 0.4:
        groups = (tuple(sorted(rng.sample(range(n), 2))),)
    return Instance(name=name, goods=tuple(f"g{k + 1}" for k in range(m)),
                    players=tuple(f"p{i + 1}" for i in range(n)), valuations=truth, knowledge=know,
                    coalitions=groups, endowment=None)


def tied_instance(seed: int) -> Instance:
    """1-3 goods, 2-3 players, every value in 1..3: most benchmarks have several optimal witnesses."""
    rng = random.Random(seed)
    return _instance(seed, f"tied-{seed}", rng.randint(1, 3), rng.randint(2, 3), TIE_FORMS, 1, 3, rng)


def near_cap_instance(seed: int) -> Instance:
    """3-6 goods, 2-4 players, OR/XOR/explicit valuations, lower-bound and candidate knowledge,
    a coalition in some; every value within 50 of 10^12 (issue #15's audit)."""
    rng = random.Random(seed)
    return _instance(seed, f"near-cap-{seed}", rng.randint(3, 6), rng.randint(2, 4), NEAR_CAP_FORMS,
                     CAP - 50, CAP, rng)


def near_cap_or_instance(seed: int) -> Instance:
    """7 goods, 2-4 players with OR valuations within 50 of 10^12, knowledge as in
    :func:`near_cap_instance`: their robust programs stalled CP-SAT's default search."""
    rng = random.Random(seed)
    return _instance(seed, f"near-cap-or-{seed}", 7, rng.randint(2, 4), (Form.OR,), CAP - 50, CAP, rng)


def near_cap_mixed_instance(seed: int, top: int = CAP) -> Instance:
    """5-9 goods, 2-5 players, OR/XOR/explicit/additive/single-minded valuations within 1,000 of
    ``top``: near 10^12 CP-SAT's presolve answered wrong optima on some of their robust programs,
    and near 10^8 its one-worker search stalled on some."""
    rng = random.Random(seed)
    return _instance(seed, f"near-{top}-mixed-{seed}", rng.randint(5, 9), rng.randint(2, 5), NEAR_CAP_MIXED_FORMS,
                     top - 1000, top, rng)
