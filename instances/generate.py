"""Instance generation: a bid distribution, dealt to players as XOR valuations, plus knowledge and
a collusion structure from short specs (``cabench generate``).

Knowledge specs: ``none``; ``exact`` (every player's lower bounds equal the truth);
``noisy-lower:F`` (each bound is the truth with every bid scaled by U(F, 1), so at least F on
average, always correct); ``wrong:P`` (as noisy-lower:0.5, but each bid is raised above the
truth with probability P: incorrect beliefs); ``candidates:K`` (K candidate profiles, the truth
among them, the others with every bid scaled by U(0.5, 1.5)).
Coalition specs: ``none``; ``pairs:K`` (K disjoint random pairs); ``random:K:SIZE``.
"""

from __future__ import annotations

import random

from instances.distributions import DISTRIBUTIONS, Bidder
from instances.errors import CabenchError
from instances.model import Candidates, Instance, Knowledge, LowerBounds
from instances.valuation import Form, Valuation

TABLE_MAX_GOODS = 12


class SpecError(CabenchError):
    """A --knowledge or --coalitions spec that cannot be read."""


def _table_bidders(rng: random.Random, m: int, players: int) -> list[Bidder]:
    """``table``: for each player a full random table, a sum of per-good values plus a random
    synergy per bundle (the papers' truly combinatorial case), as positive-value bids."""
    bidders = []
    for _ in range(players):
        base = [int(rng.random() * 10) * 10 for _ in range(m)]
        bids = []
        for s in range(1, 1 << m):
            goods = [g for g in range(m) if s >> g & 1]
            value = sum(base[g] for g in goods) + (int(rng.random() * 7 - 2) * 20 if len(goods) > 1 else 0)
            if value > 0:
                bids.append((s, value))
        bidders.append(bids)
    return bidders


def deal(rng: random.Random, distribution: str, goods: int, bids: int, players: int | None) -> list[dict[int, int]]:
    """Draw bidders from one world of the distribution and deal bidder k to player k mod n (a
    player's XOR keeps the best value per bundle) until the players hold exactly ``bids``
    distinct bids. ``players=None`` gives every bidder a player of its own, as CATS files do
    (its dummy goods tie a bidder's XOR bids together; the legacy distributions' bidders are
    single bids, so there one player per bid); the proportion of players to bids is then the
    distribution's own."""
    dealt: list[dict[int, int]] = [{} for _ in range(players or 0)]
    total, stale = 0, 0
    for k, bidder in enumerate(DISTRIBUTIONS[distribution](rng, goods)):
        if players is None:
            dealt.append({})
        book = dealt[k % players] if players is not None else dealt[-1]
        before = total
        for bundle, value in bidder:
            if total == bids:
                return dealt
            if bundle not in book:
                total += 1
            book[bundle] = max(value, book.get(bundle, 0))
        if total == bids:
            return dealt
        if total == before and players is None:
            dealt.pop()  # a bidder with no new bid is no player
        stale = stale + 1 if total == before else 0
        if stale > 100 * (players or 1) + 1000:
            break
    raise SpecError(f"--bids: the {distribution} distribution on {goods} goods yields only {total} distinct bids "
                    f"for {players} players; ask for fewer bids or more goods")


def _scaled(rng: random.Random, v: Valuation, low: float, high: float, raise_prob: float = 0.0) -> Valuation:
    bids = []
    for bundle, value in v.bids:
        if rng.random() < raise_prob:
            bids.append((bundle, value + 1 + int(value * (0.1 + 0.4 * rng.random()))))
        else:
            scaled = int(value * (low + (high - low) * rng.random()))
            if scaled > 0:
                bids.append((bundle, scaled))
    return Valuation(v.form, tuple(bids))


def parse_knowledge(spec: str) -> tuple[str, float]:
    kind, _, arg = spec.partition(":")
    try:
        if kind in ("none", "exact") and not arg:
            return kind, 0.0
        if kind == "noisy-lower" and 0 < float(arg) <= 1:
            return kind, float(arg)
        if kind == "wrong" and 0 <= float(arg) <= 1:
            return kind, float(arg)
        if kind == "candidates" and int(arg) >= 1 and str(int(arg)) == arg:
            return kind, float(int(arg))
    except ValueError:
        pass
    raise SpecError(f'--knowledge: cannot read "{spec}"; expected none, exact, noisy-lower:F (0 < F <= 1), '
                    "wrong:P (0 <= P <= 1) or candidates:K (K >= 1)")


def parse_coalitions(spec: str, players: int) -> tuple[int, int]:
    """(number of coalitions, size); checks that they fit among the players."""
    parts = spec.split(":")
    try:
        if parts == ["none"]:
            return 0, 0
        if parts[0] == "pairs" and len(parts) == 2:
            count, size = int(parts[1]), 2
        elif parts[0] == "random" and len(parts) == 3:
            count, size = int(parts[1]), int(parts[2])
        else:
            raise ValueError
    except ValueError:
        raise SpecError(f'--coalitions: cannot read "{spec}"; expected none, pairs:K or random:K:SIZE') from None
    if count < 0 or size < 2 or count * size > players:
        raise SpecError(f"--coalitions: {count} coalitions of {size} players do not fit among {players} players "
                        "(SIZE >= 2, K x SIZE <= players)")
    return count, size


def _knowledge(rng: random.Random, truth: tuple[Valuation, ...], spec: str) -> tuple[Knowledge, ...]:
    kind, arg = parse_knowledge(spec)
    n = len(truth)
    result: list[Knowledge] = []
    for i in range(n):
        others = [j for j in range(n) if j != i]
        if kind == "none" or not others:
            result.append(None)
        elif kind == "exact":
            result.append(LowerBounds({j: truth[j] for j in others}))
        elif kind == "noisy-lower":
            result.append(LowerBounds({j: _scaled(rng, truth[j], arg, 1.0) for j in others}))
        elif kind == "wrong":
            result.append(LowerBounds({j: _scaled(rng, truth[j], 0.5, 1.0, raise_prob=arg) for j in others}))
        else:
            k = int(arg)
            position = int(rng.random() * k)
            profiles = []
            for c in range(k):
                if c == position:
                    profiles.append({j: truth[j] for j in others})
                else:
                    profiles.append({j: _scaled(rng, truth[j], 0.5, 1.5) for j in others})
            result.append(Candidates(tuple(profiles)))
    return tuple(result)


def _coalitions(rng: random.Random, players: int, spec: str) -> tuple[tuple[int, ...], ...]:
    count, size = parse_coalitions(spec, players)
    order = list(range(players))
    for k in range(players - 1, 0, -1):  # Fisher-Yates with rng.random() only
        j = int(rng.random() * (k + 1))
        order[k], order[j] = order[j], order[k]
    return tuple(sorted(tuple(sorted(order[c * size:(c + 1) * size])) for c in range(count)))


def generate_instance(distribution: str, goods: int, bids: int, players: int | None, seed: int = 0,
                      knowledge: str = "none", coalitions: str = "none") -> Instance:
    """One instance; the same arguments always give the same instance (and file bytes).
    ``players=None``: one player per bidder, the shape of CATS files (see :func:`deal`)."""
    if distribution != "table" and distribution not in DISTRIBUTIONS:
        names = ", ".join([*DISTRIBUTIONS, "table"])
        raise SpecError(f'--distribution: unknown distribution "{distribution}"; expected one of: {names}')
    if goods < 1 or (players is not None and players < 1) or bids < 1:
        raise SpecError("--goods, --bids and --players must be at least 1")
    if players is None and distribution == "table":
        raise SpecError("--players bidders: the table distribution has no bidders; give a number of players")
    if distribution == "table" and goods > TABLE_MAX_GOODS:
        raise SpecError(f"--distribution table: full tables need at most {TABLE_MAX_GOODS} goods")
    parse_knowledge(knowledge)  # bad specs are reported before any work
    if players is not None:
        parse_coalitions(coalitions, players)
    shape = players if players is not None else "bidders"
    rng = random.Random(f"{distribution}:{goods}:{bids}:{shape}:{seed}")
    if distribution == "table":
        truth = tuple(Valuation(Form.TABLE, tuple(b)) for b in _table_bidders(rng, goods, players))
    else:
        dealt = deal(rng, distribution, goods, bids, players)
        truth = tuple(Valuation(Form.XOR, tuple(sorted(book.items()))) for book in dealt)
    players = len(truth)
    parse_coalitions(coalitions, players)
    name = f"{distribution}-m{goods}-b{bids}-n{shape}-s{seed}"
    if knowledge != "none":
        name += f"-k{knowledge.replace(':', '')}"
    if coalitions != "none":
        name += f"-c{coalitions.replace(':', '')}"
    return Instance(
        name=name,
        goods=tuple(f"g{k + 1}" for k in range(goods)),
        players=tuple(f"p{i + 1}" for i in range(players)),
        valuations=truth,
        knowledge=_knowledge(rng, truth, knowledge),
        coalitions=_coalitions(rng, players, coalitions),
    )
