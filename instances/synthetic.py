"""Random small instances covering every valuation form, knowledge form, coalitions and markets.

Used by the property-based tests and to make the bundled random examples; the same seed always
gives the same instance. (The CATS-style distributions for large instances are a separate,
documented generator.)
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from instances.model import Candidates, Instance, Knowledge, LowerBounds
from instances.valuation import Form, Valuation

__all__ = ["COMPANIES", "FORMS", "KNOWLEDGE_KINDS", "LICENCES", "bundled_random_examples", "licences_instance", "main",
           "random_instance", "random_valuation", "scaled_down"]

FORMS = tuple(Form)
KNOWLEDGE_KINDS = ("none", "lower_bounds", "candidates")


def _bundle(rng: random.Random, m: int, max_size: int = 3) -> int:
    size = rng.randint(1, min(m, max_size))
    return sum(1 << g for g in rng.sample(range(m), size))


def random_valuation(rng: random.Random, m: int, form: Form, *, low: int = 0, high: int = 20,
                     max_bids: int = 4) -> Valuation:
    """A valuation of ``form`` with values in [low, high] (``low < 0`` only for markets)."""
    if form is Form.TABLE:
        bids = tuple((s, v) for s in range(1, 1 << m) if (v := rng.randint(low, high)) != 0 and rng.random() < 0.6)
        return Valuation(form, bids)
    if form is Form.ADDITIVE:
        goods = rng.sample(range(m), rng.randint(1, m))
        return Valuation(form, tuple(sorted((1 << g, rng.randint(low, high)) for g in goods)))
    count = 1 if form is Form.SINGLE_MINDED else rng.randint(1, max_bids)
    bids: dict[int, int] = {}
    for _ in range(count):
        bids.setdefault(_bundle(rng, m), rng.randint(low, high))
    return Valuation(form, tuple(bids.items()))


def scaled_down(rng: random.Random, v: Valuation) -> Valuation:
    """A lower bound of ``v``: every bid value scaled by a random factor in [0, 1] (rounded
    down), which keeps bound(S) <= v(S) for every S in each form's semantics."""
    bids = tuple((b, x * rng.randint(0, 4) // 4 if x > 0 else x) for b, x in v.bids)
    if v.form is Form.TABLE:  # a table keeps only its non-zero entries
        bids = tuple((b, x) for b, x in bids if x != 0)
    return Valuation(v.form, bids)


def _knowledge(rng: random.Random, m: int, i: int, truth: Sequence[Valuation], kind: str,
               forms: Sequence[Form], low: int) -> Knowledge:
    others = [j for j in range(len(truth)) if j != i]
    if kind == "none" or not others:
        return None
    if kind == "lower_bounds":
        bounds = {}
        for j in rng.sample(others, rng.randint(1, len(others))):
            if rng.random() < 0.5:
                bounds[j] = scaled_down(rng, truth[j])
            else:  # possibly incorrect (seed 004 allows it)
                bounds[j] = random_valuation(rng, m, rng.choice(forms), low=0)
        return LowerBounds(dict(sorted(bounds.items())))
    profiles = []
    for _ in range(rng.randint(1, 3)):
        profile = {}
        for j in others:
            if rng.random() < 0.8:
                profile[j] = random_valuation(rng, m, rng.choice(forms), low=low)
        profiles.append(profile)
    if rng.random() < 0.5:  # make the knowledge correct: the truth is one of the candidates
        profiles.insert(rng.randint(0, len(profiles)), {j: truth[j] for j in others})
    return Candidates(tuple(profiles))


def random_instance(seed: int, *, goods: int | None = None, players: int | None = None,
                    forms: Sequence[Form] = FORMS, knowledge: Sequence[str] = KNOWLEDGE_KINDS,
                    coalitions: bool | None = None, market: bool | None = None,
                    name: str | None = None) -> Instance:
    """A random small instance; unspecified sizes and options are drawn from ``seed`` too."""
    rng = random.Random(seed)
    m = goods if goods is not None else rng.randint(1, 5)
    n = players if players is not None else rng.randint(1, 4)
    is_market = market if market is not None else rng.random() < 0.15
    low = -10 if is_market else 0
    if Form.TABLE in forms and m > 6:
        forms = [f for f in forms if f is not Form.TABLE]
    truth = tuple(random_valuation(rng, m, rng.choice(forms), low=low) for _ in range(n))
    kinds = tuple(rng.choice(knowledge) for _ in range(n))
    know = tuple(_knowledge(rng, m, i, truth, kinds[i], forms, low) for i in range(n))
    groups: list[tuple[int, ...]] = []
    if (coalitions if coalitions is not None else rng.random() < 0.4) and n >= 2:
        order = rng.sample(range(n), n)
        while len(order) >= 2 and rng.random() < 0.8:
            size = rng.randint(2, min(3, len(order)))
            groups.append(tuple(sorted(order[:size])))
            order = order[size:]
    endowment = None
    if is_market:
        owners = [rng.randrange(-1, n) for _ in range(m)]
        endowment = tuple(sum(1 << g for g in range(m) if owners[g] == i) for i in range(n))
    return Instance(
        name=name or f"random-{seed}",
        goods=tuple(f"g{k + 1}" for k in range(m)),
        players=tuple(f"p{i + 1}" for i in range(n)),
        valuations=truth,
        knowledge=know,
        coalitions=tuple(sorted(groups)),
        endowment=endowment,
    )


LICENCES = tuple(f"Web{k}.0" for k in range(11, 19))
COMPANIES = ("AT&T'", "T-Mobile'", "Verizon'", "Sprint'", "Mannesmann'", "China-Mobile'", "Orange'", "Telecom-Italia'")


def licences_instance(seed: int = 2008) -> Instance:
    """The seed 001 §1 story: 8 licences (Web 11.0 .. 18.0) sold to 8 wireless companies, with
    full 256-entry valuation tables ("truly combinatorial": random complementarities) and
    knowledge for every company:

    * AT&T' .. Sprint': correct lower bounds on every peer (each table entry scaled down);
    * Mannesmann', China-Mobile': two candidate profiles each, the truth among them;
    * Orange': XOR lower bounds on three peers' favourite licence pairs, one of them too high
      (an incorrect belief, which seed 004 allows);
    * Telecom-Italia': candidates that do not contain the truth (incorrect).
    """
    rng = random.Random(seed)
    m, n = len(LICENCES), len(COMPANIES)
    truth = []
    for _ in range(n):
        base = [rng.choice([0, 0, 20, 40, 60, 80, 100]) for _ in range(m)]
        synergy = {s: rng.choice([-40, 0, 0, 30, 60, 120]) for s in range(1, 1 << m)}
        table = []
        for s in range(1, 1 << m):
            goods = [g for g in range(m) if s >> g & 1]
            extra = synergy[s] if len(goods) > 1 else 0
            table.append((s, max(0, sum(base[g] for g in goods) + extra)))
        truth.append(Valuation(Form.TABLE, tuple((s, v) for s, v in table if v)))

    def lower(v: Valuation) -> Valuation:
        return Valuation(Form.TABLE, tuple((s, x * 3 // 4) for s, x in v.bids if x * 3 // 4))

    def perturbed(v: Valuation) -> Valuation:
        return Valuation(Form.TABLE, tuple((s, x + rng.choice([0, 0, 10])) for s, x in v.bids))

    knowledge: list[Knowledge] = []
    for i in range(n):
        others = [j for j in range(n) if j != i]
        if i < 4:
            knowledge.append(LowerBounds({j: lower(truth[j]) for j in others}))
        elif i < 6:
            decoy = {j: perturbed(truth[j]) for j in others}
            knowledge.append(Candidates(({j: truth[j] for j in others}, decoy)))
        elif i == 6:
            bounds = {}
            for k, j in enumerate(others[:3]):
                pair, value = max(((s, x) for s, x in truth[j].bids if bin(s).count("1") == 2), key=lambda t: t[1])
                bounds[j] = Valuation(Form.XOR, ((pair, value + (25 if k == 2 else -10)),))
            knowledge.append(LowerBounds(bounds))
        else:
            knowledge.append(Candidates(({j: perturbed(truth[j]) for j in others},)))
    return Instance(
        name="licences-8x8",
        goods=LICENCES,
        players=COMPANIES,
        valuations=tuple(truth),
        knowledge=tuple(knowledge),
    )


def bundled_random_examples() -> dict[str, Instance]:
    """The generated example files shipped in ``instances/examples`` (see ``main``)."""
    return {
        "licences-8x8.json": licences_instance(),
        "random-xor-lower-bounds.json": random_instance(
            11, goods=6, players=4, forms=(Form.XOR, Form.SINGLE_MINDED), knowledge=("lower_bounds",),
            coalitions=False, market=False, name="random-xor-lower-bounds"),
        "random-candidates.json": random_instance(
            7, goods=5, players=4, forms=(Form.XOR, Form.OR, Form.ADDITIVE), knowledge=("candidates",),
            coalitions=False, market=False, name="random-candidates"),
        "random-coalitions.json": random_instance(
            38, goods=5, players=5, coalitions=True, market=False, name="random-coalitions"),
        "random-market.json": random_instance(
            5, goods=4, players=3, market=True, coalitions=False, name="random-market"),
    }


def main() -> None:
    """Regenerate the bundled random examples: ``python -m instances.synthetic``."""
    from pathlib import Path

    from instances.writer import dump_instance

    folder = Path(__file__).parent / "examples"
    for filename, instance in bundled_random_examples().items():
        dump_instance(instance, folder / filename)
        print(f"wrote {folder / filename}")


if __name__ == "__main__":
    main()
