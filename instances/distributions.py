"""Bid distributions in the spirit of the Combinatorial Auction Test Suite (CATS).

Source: K. Leyton-Brown, M. Pearson, Y. Shoham (2000), "Towards a Universal Test Suite for
Combinatorial Auction Algorithms", ACM EC-00 (§4.1 regions, §4.2 paths, §4.3 arbitrary, §4.4
scheduling, §4.5 matching, §5 legacy distributions). These are cabench's own code after the
published descriptions; paths, matching and scheduling also follow what the CATS 2.1 generator
does where the paper is silent, so that one player per bidder gives the generator's proportion
of bidders to bids. Each function documents its parameters and where it differs from CATS 2.1.

Every distribution builds its world once (graph, values) and then yields bidders for ever, each
a list of XOR bids ``(bundle mask, value)`` with positive integer values; ``generate.py`` deals
bidders to players (bidder k to player k mod n) until it has the bids it needs. Randomness comes
only from the ``random.Random`` passed in, so a seed fixes the output.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence

import networkx as nx
import numpy as np

from instances.bundles import mask_of

__all__ = ["Bidder", "DISTRIBUTIONS", "SCALE", "arbitrary", "decay", "grid_graph", "matching", "paths", "regions",
           "road_network", "scheduling", "uniform", "weighted_random"]

Bidder = list[tuple[int, int]]
SCALE = 100
"""Values are drawn on CATS's real-valued scales and multiplied by SCALE, then rounded."""


def _pick(rng: random.Random, weights: Sequence[float]) -> int:
    """Index drawn with probability proportional to ``weights`` (only rng.random() is used, so the
    stream is stable across Python versions)."""
    total = sum(weights)
    x = rng.random() * total
    for k, w in enumerate(weights):
        if x < w:
            return k
        x -= w
    return max(k for k, w in enumerate(weights) if w > 0)


def _value(x: float) -> int:
    return max(1, round(x * SCALE))


def _add_bid(bidder: dict[int, int], bundle: int, value: int) -> None:
    if bundle and value > bidder.get(bundle, 0):
        bidder[bundle] = value


Affinity = Callable[[int], tuple[np.ndarray, np.ndarray]]
"""``affinity(g)``: the goods with which g has an affinity, increasing, and those affinities."""


def _grow(rng: random.Random, m: int, first: int, size: int | None, interests: np.ndarray,
          affinity: Affinity, add_prob: float | None) -> list[int]:
    """Grow a bundle from ``first``: each new good drawn with weight interest x mean affinity to
    the goods already in (``affinity(g)`` lists g's affinities); stop at ``size`` goods, or with
    probability 1 - add_prob before each addition.

    The goods met (those with an affinity to a good of the bundle) and their summed affinities
    are arrays: as dicts, scanned in Python for the goods not yet in the bundle, 1024 goods took
    30 s for 2000 bids. Each sum and product is the one the dicts made, in the same order, and
    the draw (:func:`_pick`) reads the same weights, so the bids are the same."""
    bundle = [first]
    score, met, inside = np.zeros(m), np.zeros(m, dtype=bool), np.zeros(m, dtype=bool)
    inside[first] = True
    goods, affinities = affinity(first)
    score[goods] += affinities
    met[goods] = True
    while len(bundle) < m:
        if size is not None and len(bundle) >= size:
            break
        if add_prob is not None and rng.random() >= add_prob:
            break
        candidates = np.flatnonzero(met & ~inside)
        weights = (interests[candidates] * score[candidates]).tolist()
        if not weights or sum(weights) <= 0:
            break
        g = int(candidates[_pick(rng, weights)])
        bundle.append(g)
        inside[g] = True
        goods, affinities = affinity(g)
        score[goods] += affinities
        met[goods] = True
    return bundle


def _substitutes(rng: random.Random, m: int, bundle: list[int], interests, affinity, price_of,
                 common: Sequence[float], max_sub: int, budget_factor: float, resale_factor: float,
                 bidder: dict[int, int]) -> None:
    """CATS's substitutable bids: for each good of the first bundle, grow a bundle of the same size
    from it; keep the most valuable ones within budget_factor x the first price and worth at least
    resale_factor x the first bundle's common value."""
    first_price = price_of(bundle)
    candidates = []
    for g in bundle:
        sub = _grow(rng, m, g, len(bundle), interests, affinity, None)
        candidates.append((price_of(sub), sub))
    candidates.sort(key=lambda c: -c[0])
    floor = resale_factor * sum(common[g] for g in bundle)
    for price, sub in candidates:
        if len(bidder) > max_sub:
            break
        if 0 < price <= budget_factor * first_price and sum(common[g] for g in sub) >= floor:
            _add_bid(bidder, mask_of(sub), _value(price))


def _pairwise(rng: random.Random, m: int) -> np.ndarray:
    """The symmetric m x m table whose entries (a, b), a < b, are the next m(m-1)/2 values of
    ``rng.random()`` in the order (0, 1), (0, 2), ..., (1, 2), ... (0 on the diagonal).

    They are drawn at once, as the stream's 32-bit words, two a value combined as ``random()``
    combines them (``(a >> 5) * 2^26 + (b >> 6)`` over 2^53): the same numbers, and the stream
    left where that many calls leave it. A dict per good held m^2 Python floats: 1.2 GB and 3 s
    at 4096 goods, for an instance of one bid."""
    table = np.zeros((m, m))
    pairs = m * (m - 1) // 2
    if pairs:
        words = np.frombuffer(rng.getrandbits(64 * pairs).to_bytes(8 * pairs, "little"), dtype="<u4")
        upper = np.triu_indices(m, 1)  # (row by row: the order of the draws)
        table[upper] = ((words[0::2] >> 5).astype(np.float64) * 67108864.0
                        + (words[1::2] >> 6).astype(np.float64)) / 9007199254740992.0
        table.T[upper] = table[upper]
    return table


def arbitrary(rng: random.Random, m: int, *, max_value: float = 10.0, deviation: float = 0.5,
              add_prob: float = 0.9, max_sub: int = 5, additivity: float = 0.2, budget_factor: float = 1.5,
              resale_factor: float = 0.5) -> Iterator[Bidder]:
    """CATS §4.3 "arbitrary relationships": random pairwise affinities between goods, a common
    value per good in [1, max_value], private values common + max_value x deviation x U(-1, 1);
    a bundle starts at a good drawn by private interest and grows (probability add_prob per good)
    by interest x affinity; its price is the sum of private values + size^(1 + additivity); up to
    max_sub substitutable bids (budget_factor, resale_factor) form the bidder's XOR."""
    common = [1 + (max_value - 1) * rng.random() for _ in range(m)]
    table = _pairwise(rng, m)
    everything = np.arange(m)

    def affinity(g: int) -> tuple[np.ndarray, np.ndarray]:
        others = np.delete(everything, g)
        return others, table[g, others]

    return _growing_bidders(rng, m, common, affinity, max_value, deviation, add_prob, max_sub,
                            additivity, budget_factor, resale_factor)


def _growing_bidders(rng, m, common, affinity, max_value, deviation, add_prob, max_sub,
                     additivity, budget_factor, resale_factor) -> Iterator[Bidder]:
    while True:
        interests = [rng.random() + 1e-9 for _ in range(m)]
        private = [common[g] + max_value * deviation * (2 * interests[g] - 1) for g in range(m)]

        def price_of(bundle: list[int]) -> float:
            return sum(private[g] for g in bundle) + len(bundle) ** (1 + additivity)

        first = _pick(rng, interests)
        weights = np.array(interests)
        bundle = _grow(rng, m, first, None, weights, affinity, add_prob)
        if price_of(bundle) <= 0:
            continue
        bidder: dict[int, int] = {}
        _add_bid(bidder, mask_of(bundle), _value(price_of(bundle)))
        _substitutes(rng, m, bundle, weights, affinity, price_of, common, max_sub, budget_factor,
                     resale_factor, bidder)
        yield sorted(bidder.items())


def grid_graph(m: int, rng: random.Random, extra: float = 0.1) -> nx.Graph:
    """Goods on a near-square grid (rows x cols >= m cells, the first m used), neighbours by
    adjacency, plus each diagonal with probability ``extra`` (CATS §4.1)."""
    cols = math.ceil(math.sqrt(m))
    graph = nx.Graph()
    graph.add_nodes_from(range(m))
    for g in range(m):
        r, c = divmod(g, cols)
        for dr, dc, p in ((0, 1, 1.0), (1, 0, 1.0), (1, 1, extra), (1, -1, extra)):
            rr, cc = r + dr, c + dc
            h = rr * cols + cc
            if 0 <= cc < cols and h < m and rng.random() < p:
                graph.add_edge(g, h)
    return graph


def regions(rng: random.Random, m: int, *, max_value: float = 10.0, deviation: float = 0.5,
            add_prob: float = 0.9, max_sub: int = 5, additivity: float = 0.2, budget_factor: float = 1.5,
            resale_factor: float = 0.5, extra_edges: float = 0.1) -> Iterator[Bidder]:
    """CATS §4.1 "proximity in space": goods are cells of a grid (with random diagonal
    neighbours, probability extra_edges); bundles grow only into neighbouring cells, so every bid
    is a connected region; values as in :func:`arbitrary`."""
    graph = grid_graph(m, rng, extra_edges)
    common = [1 + (max_value - 1) * rng.random() for _ in range(m)]

    neighbours = [np.array(sorted(graph.neighbors(g)), dtype=np.intp) for g in range(m)]
    ones = np.ones(max(map(len, neighbours), default=0))

    def affinity(g: int) -> tuple[np.ndarray, np.ndarray]:
        return neighbours[g], ones[:len(neighbours[g])]

    return _growing_bidders(rng, m, common, affinity, max_value, deviation, add_prob, max_sub,
                            additivity, budget_factor, resale_factor)


def road_network(m: int, rng: random.Random, *, connections: int = 2, density: float = 3.0,
                 ) -> tuple[nx.Graph, dict[int, tuple[float, float]]]:
    """The road graph of CATS §4.2 as CATS 2.1 builds it: int(1.2 m / density) cities uniform
    in the unit square, each joined by a straight road to its ``connections`` nearest cities,
    then roads between random pairs of cities until there are ``density`` roads per city. So
    there are about 1.2 m roads, local ones and long ones; :func:`paths` later keeps only the m
    roads that bids use first. As in CATS, a network that cannot get its roads (fewer city
    pairs than roads) is rebuilt with one more city, a disconnected one with the same number.
    Roads carry their Euclidean ``length``; cities are numbered in order of placement."""
    cities = max(connections + 1, int(1.2 * m / density))
    while True:
        position = {c: (rng.random(), rng.random()) for c in range(cities)}
        graph = nx.Graph()
        graph.add_nodes_from(position)

        def build(a: int, b: int) -> bool:
            if graph.has_edge(a, b):
                return False
            graph.add_edge(a, b, length=math.dist(position[a], position[b]))
            return True

        for a in range(cities):
            nearest = sorted((math.dist(position[a], position[b]), b) for b in range(cities) if b != a)
            for _, b in nearest[:connections]:
                build(a, b)
        misses = 0
        while graph.number_of_edges() < cities * density and misses <= cities:
            a = int(rng.random() * cities)
            b = a
            while b == a:
                b = int(rng.random() * cities)
            misses = 0 if build(a, b) else misses + 1
        if misses > cities:  # the pairs ran out before the roads did
            cities += 1
        elif nx.is_connected(graph):
            return graph, position


def _path_bidders(rng: random.Random, m: int, max_paths: int, shipping: float
                  ) -> Iterator[tuple[Bidder, dict[tuple[int, int], int]]]:
    """The bidders of :func:`paths`, each with the road -> good numbering so far (for tests)."""
    graph, position = road_network(m, rng)
    good: dict[tuple[int, int], int] = {}
    nodes = sorted(graph.nodes())
    while True:
        a = nodes[int(rng.random() * len(nodes))]
        b = a
        while b == a:
            b = nodes[int(rng.random() * len(nodes))]
        bound = (1 + (shipping - 1) * rng.random()) * math.dist(position[a], position[b])
        routes: list[tuple[float, list[int]]] = []
        if nx.has_path(graph, a, b):
            for route in nx.shortest_simple_paths(graph, a, b, weight="length"):
                cost = sum(graph[u][v]["length"] for u, v in zip(route, route[1:]))
                if len(routes) == max_paths or cost >= bound:
                    break
                routes.append((cost, route))
        if len(routes) == max_paths:  # CATS 2.1's search bound, and so its price, shrank to this
            bound = routes[-1][0]
        bidder: dict[int, int] = {}
        for _, route in routes:
            roads = [(min(u, v), max(u, v)) for u, v in zip(route, route[1:])]
            new = len({r for r in roads if r not in good})
            if len(good) + new > m:
                continue  # it would need more goods than there are
            for road in roads:
                good.setdefault(road, len(good))
            _add_bid(bidder, mask_of(good[r] for r in roads), _value(10 * bound))
            if new and len(good) == m:
                # every good is named: the roads no bid uses are closed, and this bidder's
                # remaining paths are dropped, as CATS 2.1 does at that moment
                graph.remove_edges_from([r for r in list(graph.edges()) if (min(r), max(r)) not in good])
                break
        if bidder:
            yield sorted(bidder.items()), good


def paths(rng: random.Random, m: int, *, max_paths: int = 5, shipping: float = 1.5) -> Iterator[Bidder]:
    """CATS §4.2 "paths in space", as CATS 2.1 generates it: goods are roads of
    :func:`road_network`; a bidder wants to ship between two random cities a and b and will pay
    d x |ab| for it, d ~ U(1, shipping); it bids XOR on the (at most max_paths) cheapest simple
    paths from a to b that cost (total road length) less than that, every bid at the same price
    (the bidder is indifferent between routes). When max_paths are found CATS 2.1 has narrowed its
    search bound, which is also the price, to the last path's cost; so does this. Goods are
    numbered in the order roads first appear in a bid, and once m roads have appeared the unused
    ones are closed, as CATS 2.1 prunes them. Most bidders have one or two paths and many have
    none (the shortest route is longer than d x |ab|), which gives CATS's proportion of about one
    bidder per two bids. Differences: CATS 2.1 restarts with more cities when its bid count is
    reached before m roads are used, which an endless stream of bidders cannot know (here some
    goods are then in no bid), and it skips a path that would name more goods than m (rather
    than exceed m); it also drops bids not connected to the rest by shared goods, which this
    does not. Prices are scaled by 10 (CATS's are lengths in the unit square)."""
    for bidder, _ in _path_bidders(rng, m, max_paths, shipping):
        yield bidder


def _undominated(bids: list[tuple[int, int]], singles: dict[int, int]) -> Bidder:
    """A new bidder's XOR bids after CATS's removal of dominated bids, as it acts on scheduling and
    matching (their bids within one bidder are distinct bundles of one size, so never dominate each
    other). CATS ties a bidder's bids by a dummy good and drops the dummy of a bidder left with one
    bid, so only such a single bid can dominate a bid of another bidder: a bid on a superset of it
    worth no more is dropped. ``singles`` holds the single bids dealt so far (bundle -> value).
    CATS also lets a later single bid remove earlier bids, keeping the more valuable of two equal
    single bids; cabench has dealt the earlier bidder already, so it drops the later single bid on
    the same bundle instead (as many bidders and bids, the first value rather than the highest).
    A bidder left with no bid comes back empty (the caller skips it)."""
    kept = sorted((bundle, value) for bundle, value in bids
                  if not any(single & ~bundle == 0 and worth >= value for single, worth in singles.items()))
    if len(kept) == 1:
        if kept[0][0] in singles:
            return []
        singles[kept[0][0]] = kept[0][1]
    return kept


def scheduling(rng: random.Random, m: int, *, max_length: int = 10, deviation: float = 0.5,
               deadline_prob: float = 0.7, additivity: float = 0.2) -> Iterator[Bidder]:
    """CATS §4.4 "temporal matching / scheduling": goods are m consecutive time slots 0..m-1; a
    bidder has a job of L slots, L uniform in 1..max_length, a first deadline d1 uniform in
    L-1..m-1 (the last slot the job may use) and a value factor dev uniform in 1 +- deviation.
    It bids XOR on every block of L slots ending by d1, worth dev x L^(1 + additivity); then, with
    probability deadline_prob each time and while the last deadline is before slot m-1, it adds a
    later deadline d uniform after the last one and bids on the blocks ending after the previous
    deadline and by d, worth dev x L^(1 + additivity) x d1 / d. Bids dominated by a single-bid
    bidder's bid are dropped (:func:`_undominated`; only a job's first block [0, L-1] can be). As in
    CATS 2.1 a bidder bids on most blocks of its length: few bidders, most with 3/4 m bids or more.
    Where cabench differs: L is at most m (CATS needs m >= max_length); for d1 = 0 CATS's factor
    d1 / d is 0 / 0 at the first deadline (its file says nan), cabench takes 1 there; CATS adds
    whole bidders until it has at least the bids asked for, while cabench's caller stops inside
    the last bidder."""
    singles: dict[int, int] = {}
    while True:
        length = 1 + int(rng.random() * min(max_length, m))
        first = length - 1 + int(rng.random() * (m - length + 1))
        worth = (1 - deviation + 2 * deviation * rng.random()) * length ** (1 + additivity)
        bids: list[tuple[int, int]] = []
        covered, deadline = length - 2, first  # blocks ending at `covered` or before are bid on
        while True:
            factor = first / deadline if deadline != first else 1.0
            for end in range(covered + 1, deadline + 1):
                bids.append((mask_of(range(end - length + 1, end + 1)), _value(worth * factor)))
            covered = deadline
            if covered == m - 1:
                break
            deadline = covered + 1 + int(rng.random() * (m - covered - 1))
            if rng.random() > deadline_prob:
                break
        yield _undominated(bids, singles)


_AIRPORTS = ((-87.75, 41.98333333), (-77.03333333, 38.85), (-73.783333, 40.65), (-73.8666666, 40.76666666))
"""CATS's four matching airports (longitude, latitude): Chicago O'Hare, Washington National, New
York JFK and New York LaGuardia; every pair but the two New York airports is a route."""


def matching(rng: random.Random, m: int, *, max_airport_price: float = 5.0, early_takeoff: int = 1,
             late_takeoff: int = 2, late_landing: int = 2, deviation: float = 0.5, delay_coeff: float = 0.9,
             late_coeff: float = 0.75) -> Iterator[Bidder]:
    """CATS §4.5 "temporal matching" (the FAA's take-off and landing slots): the four airports of
    ``_AIRPORTS``, T = m // 4 time slots each, good 4 (t - 1) + airport for slot t in 1..T (the
    airports interleaved, as CATS numbers them); each airport costs U(0, max_airport_price). A
    bidder (an airline's flight) takes a random airport and a random route from it; the flight
    lasts F = round(min(10, T - 1) x distance / longest route) slots, so at 40 goods Chicago to New
    York takes 9 of the 10 slots; it prefers to take off at s uniform in 1..T-F and to land at
    s + F. It bids XOR on every (take-off slot in s - early_takeoff .. s + late_takeoff, landing
    slot from take-off + F up to s + F + late_landing) within 1..T, worth dev x (the two airports'
    costs) x delay_coeff^(landing - take-off - F) x late_coeff^min(landing - s - F, 0), dev
    uniform in 1 +- deviation: 10 bids when nothing is cut off by the day's ends, 1, 3 or 6 when
    it is. (That last factor is CATS 2.1's: it is at least 1, so an early landing is worth more
    and a late one is not penalised; CATS's early landing deviation is read but never used.) Bids
    dominated by a single-bid bidder's bid are dropped (:func:`_undominated`): at 40 goods Chicago
    to New York flights have one bid each on one of four bundles, so most of those bidders
    vanish. Where cabench differs: CATS refuses m not divisible by 4, cabench leaves the last
    m % 4 goods unused (and, below 4 goods, yields only empty bidders)."""
    slots = m // 4
    longest = max(math.dist(_AIRPORTS[a], _AIRPORTS[b]) for a in range(4) for b in range(a + 1, 4)
                  if {a, b} != {2, 3})
    cost = [rng.random() * max_airport_price for _ in _AIRPORTS]
    singles: dict[int, int] = {}
    while True:
        if slots == 0:
            yield []
            continue
        origin = int(rng.random() * 4)
        routes = [b for b in range(4) if b != origin and {origin, b} != {2, 3}]
        destination = routes[int(rng.random() * len(routes))]
        flight = int(min(10, slots - 1) * math.dist(_AIRPORTS[origin], _AIRPORTS[destination]) / longest + 0.5)
        start = 1 + int(rng.random() * (slots - flight))
        worth = (1 - deviation + 2 * deviation * rng.random()) * (cost[origin] + cost[destination])
        bids: list[tuple[int, int]] = []
        for takeoff in range(max(1, start - early_takeoff), min(slots, start + late_takeoff) + 1):
            for landing in range(takeoff + flight, min(slots, start + flight + late_landing) + 1):
                value = (worth * delay_coeff ** (landing - takeoff - flight)
                         * late_coeff ** min(landing - start - flight, 0))
                bids.append((mask_of((4 * (takeoff - 1) + origin, 4 * (landing - 1) + destination)), _value(value)))
        yield _undominated(bids, singles)


def _legacy(rng: random.Random, m: int, size: Callable[[], int], price: Callable[[int], float]) -> Iterator[Bidder]:
    """Independent single bids: each its own bidder (CATS §5)."""
    while True:
        k = max(1, min(m, size()))
        goods: list[int] = []
        while len(goods) < k:
            g = int(rng.random() * m)
            if g not in goods:
                goods.append(g)
        yield [(mask_of(goods), _value(price(k)))]


def uniform(rng: random.Random, m: int, *, goods_per_bid: int = 3) -> Iterator[Bidder]:
    """CATS §5 legacy L3 "uniform": every bid names ``goods_per_bid`` distinct random goods and
    is worth U(0, 1) (scaled by 10)."""
    return _legacy(rng, m, lambda: goods_per_bid, lambda k: 10 * rng.random())


def decay(rng: random.Random, m: int, *, alpha: float = 0.55) -> Iterator[Bidder]:
    """CATS §5 legacy L4 "decay": a bid starts with one random good and keeps adding one with
    probability ``alpha``; it is worth U(0, size) (scaled by 10)."""

    def size() -> int:
        k = 1
        while rng.random() < alpha:
            k += 1
        return k

    return _legacy(rng, m, size, lambda k: 10 * k * rng.random())


def weighted_random(rng: random.Random, m: int) -> Iterator[Bidder]:
    """CATS §5 legacy L2 "weighted random": a bid names U{1..m} random goods and is worth
    U(0, size) (scaled by 10)."""
    return _legacy(rng, m, lambda: 1 + int(rng.random() * m), lambda k: 10 * k * rng.random())


DISTRIBUTIONS: dict[str, Callable[..., Iterator[Bidder]]] = {
    "arbitrary": arbitrary,
    "paths": paths,
    "regions": regions,
    "scheduling": scheduling,
    "matching": matching,
    "uniform": uniform,
    "decay": decay,
    "weighted-random": weighted_random,
}
