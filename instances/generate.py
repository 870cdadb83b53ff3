"""Instance generation: a bid distribution, dealt to players as XOR valuations, plus knowledge and
a collusion structure from short specs (``cabench generate``).

The knowledge and coalition specs are those of :mod:`instances.knowledge_models`; the generator
draws them from the same random stream as the bids, right after them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from instances.distributions import DISTRIBUTIONS, Bidder
from instances.files import MAX_INPUT_BYTES, MAX_STDIN_BYTES
from instances.knowledge_models import SpecError, draw_coalitions, draw_knowledge, parse_coalitions, parse_knowledge
from instances.loader import MAX_GOODS
from instances.model import Instance
from instances.valuation import Form, Valuation

TABLE_MAX_GOODS = 12


__all__ = ["Auction", "SpecError", "deal", "draw_auction", "generate_instance", "parse_coalitions", "parse_knowledge"]


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
                    f"for {'one player per bidder' if players is None else f'{players} players'}; ask for fewer "
                    "bids or more goods")


PLAYER_BYTES = 20
"""Fewest bytes a player takes in an instance file: its name twice and its valuation."""
MAX_PLAYERS = MAX_INPUT_BYTES // PLAYER_BYTES
"""Most players of a generated instance: no file above ``instances.files.MAX_INPUT_BYTES`` is
read."""


def check_spec(distribution: str, goods: int, bids: int, players: int | None, knowledge: str = "none",
               coalitions: str = "none") -> None:
    """A :class:`SpecError` for arguments :func:`generate_instance` refuses before drawing
    anything (an unknown distribution, sizes out of range, a bad knowledge or coalitions spec)."""
    if distribution != "table" and distribution not in DISTRIBUTIONS:
        names = ", ".join([*DISTRIBUTIONS, "table"])
        raise SpecError(f'--distribution: unknown distribution "{distribution}"; expected one of: {names}')
    if goods < 1 or (players is not None and players < 1) or bids < 1:
        raise SpecError("--goods, --bids and --players must be at least 1")
    if players is None and distribution == "table":
        raise SpecError("--players bidders: the table distribution has no bidders; give a number of players")
    if players is not None and players > MAX_PLAYERS:  # (10^7 ran out of memory drawing coalitions)
        raise SpecError(f"--players: {players} players; at most {MAX_PLAYERS:,} (no file of more could be read back)")
    if goods > MAX_GOODS:  # (every reader refuses such a file: it is never written)
        raise SpecError(f"--goods: {goods} goods; cabench accepts at most {MAX_GOODS}")
    if distribution == "table" and goods > TABLE_MAX_GOODS:
        raise SpecError(f"--distribution table: full tables need at most {TABLE_MAX_GOODS} goods")
    parse_knowledge(knowledge)  # bad specs are reported before any work
    if players is not None:
        parse_coalitions(coalitions, players)


@dataclass(frozen=True)
class Auction:
    """The true valuations :func:`generate_instance` draws for one distribution, size and seed,
    with the state of its stream after them, from which the knowledge is drawn: an experiment
    along a knowledge axis draws each seed's auction once for all its points
    (``cabench.experiment``; the valuations are most of the drawing)."""

    key: tuple[str, int, int, int | None, int]  # (distribution, goods, bids, players, seed)
    truth: tuple[Valuation, ...]
    state: tuple


def draw_auction(distribution: str, goods: int, bids: int, players: int | None, seed: int = 0) -> Auction:
    """The :class:`Auction` of these arguments, as :func:`generate_instance` draws it."""
    check_spec(distribution, goods, bids, players)
    shape = players if players is not None else "bidders"
    rng = random.Random(f"{distribution}:{goods}:{bids}:{shape}:{seed}")
    if distribution == "table":
        truth = tuple(Valuation(Form.TABLE, tuple(b)) for b in _table_bidders(rng, goods, players))
    else:
        dealt = deal(rng, distribution, goods, bids, players)
        truth = tuple(Valuation(Form.XOR, tuple(sorted(book.items()))) for book in dealt)
    return Auction((distribution, goods, bids, players, seed), truth, rng.getstate())


def generate_instance(distribution: str, goods: int, bids: int, players: int | None, seed: int = 0,
                      knowledge: str = "none", coalitions: str = "none", most_bytes: int = MAX_STDIN_BYTES,
                      auction: Auction | None = None) -> Instance:
    """One instance; the same arguments always give the same instance (and file bytes).
    ``players=None``: one player per bidder, the shape of CATS files (see :func:`deal`).

    The valuations and the knowledge are drawn from one stream, the coalitions from a stream of
    their own: the same seed gives the same auction and the same coalitions whatever the
    knowledge (drawn after it from one stream, the colluders changed with the knowledge spec,
    and an experiment along a knowledge axis compared other coalitions at each point).
    ``most_bytes``: the largest file the knowledge may make
    (``instances.knowledge_models.check_knowledge_size``). ``auction``: these arguments'
    :func:`draw_auction`, drawn before (the same instance, without drawing the valuations again)."""
    check_spec(distribution, goods, bids, players, knowledge, coalitions)
    shape = players if players is not None else "bidders"
    stream = f"{distribution}:{goods}:{bids}:{shape}:{seed}"
    if auction is None:
        auction = draw_auction(distribution, goods, bids, players, seed)
    elif auction.key != (distribution, goods, bids, players, seed):
        raise ValueError(f"an auction drawn for {auction.key}, not for {(distribution, goods, bids, players, seed)}")
    rng = random.Random()
    rng.setstate(auction.state)
    truth = auction.truth
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
        knowledge=draw_knowledge(rng, truth, knowledge, goods, most_bytes),
        coalitions=draw_coalitions(random.Random(f"{stream}:coalitions"), players, coalitions),
    )
