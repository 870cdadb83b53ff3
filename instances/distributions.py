"""Bid distributions in the spirit of the Combinatorial Auction Test Suite (CATS).

Source: K. Leyton-Brown, M. Pearson, Y. Shoham (2000), "Towards a Universal Test Suite for
Combinatorial Auction Algorithms", ACM EC-00 (§4.1 regions, §4.2 paths, §4.3 arbitrary, §4.4
scheduling, §4.5 matching, §5 legacy distributions). These are re-implementations from the
published descriptions, not ports of the CATS code; each function documents its parameters.

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


def _mask(goods: Sequence[int]) -> int:
    return sum(1 << g for g in set(goods))


def _value(x: float) -> int:
    return max(1, round(x * SCALE))


def _add_bid(bidder: dict[int, int], bundle: int, value: int) -> None:
    if bundle and value > bidder.get(bundle, 0):
        bidder[bundle] = value


def _grow(rng: random.Random, m: int, first: int, size: int | None, interests: Sequence[float],
          affinity: Callable[[int], dict[int, float]], add_prob: float | None) -> list[int]:
    """Grow a bundle from ``first``: each new good drawn with weight interest x mean affinity to
    the goods already in (``affinity(g)`` lists g's positive affinities); stop at ``size`` goods,
    or with probability 1 - add_prob before each addition."""
    bundle = [first]
    score: dict[int, float] = {}
    for g, a in affinity(first).items():
        score[g] = score.get(g, 0.0) + a
    while len(bundle) < m:
        if size is not None and len(bundle) >= size:
            break
        if add_prob is not None and rng.random() >= add_prob:
            break
        candidates = sorted(g for g in score if g not in bundle)
        weights = [interests[g] * score[g] for g in candidates]
        if not candidates or sum(weights) <= 0:
            break
        g = candidates[_pick(rng, weights)]
        bundle.append(g)
        for h, a in affinity(g).items():
            score[h] = score.get(h, 0.0) + a
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
            _add_bid(bidder, _mask(sub), _value(price))


def arbitrary(rng: random.Random, m: int, *, max_value: float = 10.0, deviation: float = 0.5,
              add_prob: float = 0.9, max_sub: int = 5, additivity: float = 0.2, budget_factor: float = 1.5,
              resale_factor: float = 0.5) -> Iterator[Bidder]:
    """CATS §4.3 "arbitrary relationships": random pairwise affinities between goods, a common
    value per good in [1, max_value], private values common + max_value x deviation x U(-1, 1);
    a bundle starts at a good drawn by private interest and grows (probability add_prob per good)
    by interest x affinity; its price is the sum of private values + size^(1 + additivity); up to
    max_sub substitutable bids (budget_factor, resale_factor) form the bidder's XOR."""
    common = [1 + (max_value - 1) * rng.random() for _ in range(m)]
    table: list[dict[int, float]] = [{} for _ in range(m)]
    for a in range(m):
        for b in range(a + 1, m):
            table[a][b] = table[b][a] = rng.random()

    def affinity(g: int) -> dict[int, float]:
        return table[g]

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
        bundle = _grow(rng, m, first, None, interests, affinity, add_prob)
        if price_of(bundle) <= 0:
            continue
        bidder: dict[int, int] = {}
        _add_bid(bidder, _mask(bundle), _value(price_of(bundle)))
        _substitutes(rng, m, bundle, interests, affinity, price_of, common, max_sub, budget_factor,
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

    neighbours = [{h: 1.0 for h in sorted(graph.neighbors(g))} for g in range(m)]

    def affinity(g: int) -> dict[int, float]:
        return neighbours[g]

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
            _add_bid(bidder, _mask(good[r] for r in roads), _value(10 * bound))
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


def scheduling(rng: random.Random, m: int, *, max_length: int = 5, deadlines: int = 3,
               lateness: float = 0.7) -> Iterator[Bidder]:
    """CATS §4.4 "temporal matching / scheduling": goods are m consecutive time slots; a bidder
    has a job of length L in [1, max_length], a first deadline and up to ``deadlines`` later
    ones, the value falling by the factor ``lateness`` per extra deadline; it bids XOR on every
    block of L consecutive slots that finishes by a deadline (the best deadline it meets)."""
    while True:
        length = 1 + int(rng.random() * min(max_length, m))
        first = length + int(rng.random() * (m - length + 1))
        value = length * (1 + rng.random()) * 10
        bidder: dict[int, int] = {}
        deadline = first
        for _ in range(1 + int(rng.random() * deadlines)):
            for start in range(0, deadline - length + 1):
                _add_bid(bidder, _mask(range(start, start + length)), _value(value))
            deadline = min(m, deadline + 1 + int(rng.random() * length))
            value *= lateness
        yield sorted(bidder.items())


def matching(rng: random.Random, m: int, *, airports: int = 4, max_delay: int = 2,
             flexibility: int = 3, max_bids: int = 10) -> Iterator[Bidder]:
    """CATS §4.5 "temporal matching" (airport take-off and landing slots): goods are time slots
    at ``airports`` airports (m // airports slots each); an airline flies from an origin to a
    destination airport with a travel time; it bids XOR on pairs (take-off slot t at the origin,
    landing slot t + travel + delay at the destination), delay <= max_delay, t within
    ``flexibility`` of its preferred time, the value falling with deviation and delay."""
    airports = max(2, min(airports, m // 2))
    slots = m // airports

    def good(airport: int, t: int) -> int:
        return airport * slots + t

    while True:
        origin = int(rng.random() * airports)
        destination = (origin + 1 + int(rng.random() * (airports - 1))) % airports
        travel = 1 + int(rng.random() * max(1, slots // 3))
        preferred = int(rng.random() * slots)
        base = (1 + rng.random()) * 10
        bidder: dict[int, int] = {}
        for t in range(max(0, preferred - flexibility), min(slots, preferred + flexibility + 1)):
            for delay in range(max_delay + 1):
                landing = t + travel + delay
                if landing < slots:
                    value = base * (1 - 0.1 * abs(t - preferred)) * (1 - 0.15 * delay)
                    if value > 0:
                        _add_bid(bidder, _mask((good(origin, t), good(destination, landing))), _value(value))
        if bidder:  # its max_bids most valuable pairs
            yield sorted(sorted(bidder.items(), key=lambda bv: (-bv[1], bv[0]))[:max_bids])


def _legacy(rng: random.Random, m: int, size: Callable[[], int], price: Callable[[int], float]) -> Iterator[Bidder]:
    """Independent single bids: each its own bidder (CATS §5)."""
    while True:
        k = max(1, min(m, size()))
        goods: list[int] = []
        while len(goods) < k:
            g = int(rng.random() * m)
            if g not in goods:
                goods.append(g)
        yield [(_mask(goods), _value(price(k)))]


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
