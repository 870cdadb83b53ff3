"""Pricing the covering unions of one guaranteed value against integer duals, without listing them.

Pricing is exact and needs no list. For any bundle S let c_k be the best bid of candidate k
inside S and U the union of the c_k: min_k v(c_k) = w(S), U is inside S, and Y >= 0, so the
"tuple value" SCALE min_k v(c_k) - Y(U) - Y_j of the tuple (c_k) is at least the reduced cost of
S; and any tuple's value is at most the reduced cost of its own union (w(U) >= min_k v(c_k)).
So the largest reduced cost of a bundle equals the largest tuple value, which a depth-first
search over one bid per candidate finds exactly in integers (:class:`Pricer`): bids by
decreasing value, a branch cut when SCALE min(value so far, best value of the candidates left)
minus the dual cost already incurred cannot beat the threshold, and the first bid already inside
the union ends its candidate's loop (it dominates every later one). Several options (a coalition
pooling knowledge) are searched one after the other; an EXACT option prices its own bundles.

``ilp.colgen`` asks a :class:`Pricer` for the bundles of positive reduced cost at each round of
its column generation, and for every tuple above a level when it lists a core.
"""

from __future__ import annotations

from itertools import accumulate
from time import monotonic

from ilp import native, stopping
from ilp.certify import SCALE
from ilp.compile import BlockCache
from ilp.unions import UnionSearch
from instances.bundles import members
from instances.valuation import Semantics

__all__ = ["LOOK_EVERY", "Late", "Overflow", "Pricer"]


class Overflow(Exception):
    """A listing went over its budget (a core search over ``ilp.colgen.LIST_BUDGET``)."""


class Late(Exception):
    """A pricing walk passed its deadline, or its solve was asked to stop (``ilp.stopping``)."""


LOOK_EVERY = 1_024
"""Search nodes between two looks at the clock of a pricing walk with a deadline, counted in each
option's search, in Python as in C (``SIGNAL_EVERY`` of ``ilp/_native.c``). A walk of many short
options never looks: each ends within that many nodes."""


class Pricer:
    """The bundles of one guaranteed value by reduced cost (the module docstring says why it is exact)."""

    def __init__(self, search: UnionSearch, goods: dict[int, tuple[int, ...]] | None = None) -> None:
        self.search = search
        self.goods = {} if goods is None else goods  # a bundle's goods, by bundle
        # per option: (exact, functions in search order, cap of the values left, their bids),
        # in two orders: ``plans`` for pricing (a rising floor: the best tuples), ``listing``
        # for the cores (every tuple above a fixed level)
        self.plans, self.listing = [], []
        bids: dict[int, list[tuple[int, int, tuple[int, ...]]]] = {}
        for numbers in search.option_numbers:
            if search.functions[numbers[0]].semantics is Semantics.EXACT:
                self.plans.append((True, numbers, (), ()))
                self.listing.append((True, numbers, (), ()))
                continue
            # Pricing: the candidate of the lowest best bid first: it bounds the minimum from
            # the first level on, so the cut applies near the root. Measured (2026-12-02 04:09
            # UTC, 2 shared cores, load 7-9): on the 300 longest pricing searches of paths 256 /
            # 2000 / 10 seed 1 (3 candidates of 218 bids each) 3,400 bids looked at instead of
            # 293,000, where 61,108 of 73,720 pairs passed the second level only to be cut at
            # the third; the 20 colgen programs replayed 0.33 -> 0.19 s (seed 0 0.155 -> 0.120
            # s; 64 / 500 seed 1 0.177 -> 0.157 s, seed 0 unchanged); by the sum of the values
            # instead, 0.24 s and 0.13 s. Listing: by number of bids (as before), since on
            # regions 64 / 500 / 10 the listing of the cores took 2.9 s instead of 2.1 s in
            # the other order (the pricing the same).
            for plans, key in ((self.plans, lambda k: (search.ranked[k][0][1], len(search.functions[k].atoms))),
                               (self.listing, lambda k: len(search.functions[k].atoms))):
                order = sorted(numbers, key=key)
                # the lowest best bid of the candidates from each level on, in one pass from the
                # last (a minimum per level over the rest was quadratic in the candidates: 4 of 5
                # seconds of a report with 10,000 candidates, before any solving)
                lowest = list(accumulate((search.ranked[k][0][1] for k in reversed(order)), min))
                caps = [*reversed(lowest), None]
                for k in order:
                    if k not in bids:
                        bids[k] = self._bids((k,))[0]
                plans.append((False, tuple(order), tuple(caps), [bids[k] for k in order]))
        self.upper = max(min(search.ranked[k][0][1] for k in numbers) for numbers in search.option_numbers)
        self.packed: dict[tuple[bool, int, int], tuple | None] = {}  # ilp.native's plans (_native)

    @staticmethod
    def of(search: UnionSearch, blocks: BlockCache | None = None) -> "Pricer":
        """The pricer of ``search``, made once and kept with it (its weight's search lives in
        the ``BlockCache`` of every program that holds the weight). The goods of each bundle
        are listed once per ``blocks``, kept with it: the candidates about a player share its
        bundles (on paths 64 / 500 / 10 with 3 candidates, a report's 90 guaranteed values
        hold 500 bundles, listed 13,500 times when each pricer listed its own: 30 ms of a
        256 / 2000 / 10 report, measured 2026-12-02 04:05 UTC, load 8)."""
        pricer = search.__dict__.get("pricer")
        if pricer is None:
            shared = None if blocks is None else blocks.bundle_goods
            pricer = search.__dict__["pricer"] = Pricer(search, shared)
        return pricer

    def _bids(self, order: tuple[int, ...]) -> list[list[tuple[int, int, tuple[int, ...]]]]:
        """(bundle, value, goods) of each candidate's bids, best first, in search order."""
        goods = self.goods
        out = []
        for k in order:
            bids = []
            for b, v in self.search.ranked[k]:
                gs = goods.get(b)
                if gs is None:
                    gs = goods[b] = tuple(members(b))
                bids.append((b, v, gs))
            out.append(bids)
        return out

    def _native(self, listing: bool, index: int, cost: list[int], own: int, floor: int, rising: bool,
                budget: int | None, keep: int | None = None, found: dict[int, int] | None = None,
                tie: int | None = None, minimal: bool = False, deadline: float | None = None) -> tuple | None:
        """One option's search of :meth:`walk` in C (``ilp.native.walk``), its plan packed once
        per option and bundle width; None when it cannot run there. With ``keep`` of 2 or more,
        ``found`` and ``tie`` are :meth:`_walk`'s so far, and C returns them as ``record`` leaves
        them. ``minimal``: :meth:`_walk`'s, and C drops the unions ``minimal_of`` would, where
        it can test them."""
        words = max(1, -(-len(cost) // 64))
        key = (listing, index, words)
        plan = self.packed.get(key, False)
        if plan is False:
            _, _, caps, bids = (self.listing if listing else self.plans)[index]
            plan = self.packed[key] = native.walk_plan(bids, caps, self.upper, words)
        if plan is None:
            return None
        tests = self.search.native_plan(words) if minimal else None
        return native.walk(plan, cost, own, floor, rising, budget, SCALE, keep, found, tie, minimal, tests, deadline)

    def walk(self, cost: list[int], own: int, floor: int, keep: int | None = None,
             budget: int | None = None, minimal: bool = False, deadline: float | None = None) -> dict[int, int]:
        """The unions of the tuples whose value SCALE min v - cost(union) - ``own`` exceeds
        ``floor``, each with its best tuple value: every such first-best-bid tuple (module
        docstring; ``budget`` search nodes at most), or with ``keep`` only the best, the floor
        rising as they are found. With ``keep = 1`` the result lists the improving unions met, in
        order, the last one the best. With ``keep`` of 2 or more it holds up to twice ``keep``,
        but unions that tie at the ``keep``-th value are dropped (:meth:`best`), so it may hold
        none of the best: only :meth:`best` says what they are worth. ``minimal`` (without
        ``keep``): the unions that ``minimal_of`` drops may be left out (:meth:`_walk`).
        :class:`Late` once ``deadline`` (``time.monotonic()``) has passed, looked at every
        :data:`LOOK_EVERY` nodes, or (in Python) once its solve is asked to stop (in C the walk
        raises ``Stopped`` then, ``ilp.native.walk``)."""
        return self._walk(cost, own, floor, keep, budget, minimal, deadline)[0]

    def best(self, cost: list[int], own: int, floor: int, keep: int, budget: int | None = None) -> list[int]:
        """The ``keep`` highest values of :meth:`walk` without a ``keep`` (each union's best
        tuple value above ``floor``), highest first, fewer if fewer unions are above ``floor``.
        :meth:`walk` with ``keep`` holds up to twice as many; when pruning to the ``keep``-th
        value leaves as many (ties at that value), it drops those too and raises the floor to
        that value (kept, the dict would grow with every tied union and be sorted again at each:
        on paths, where a bidder's bids share one price, with 5 candidates at 256 goods that
        never ended); the list then counts them at that value. Each value is at most the reduced
        cost of the same rank among all bundles (a union's tuples are worth at most its reduced
        cost), so the threshold ``ilp.colgen.solve`` chooses from them has a core that holds at
        least the columns wanted."""
        found, tie = self._walk(cost, own, floor, keep, budget)
        values = sorted(found.values(), reverse=True)[:keep]
        if tie is not None:  # more than keep unions were worth the tie (dropped), fewer above it
            values += [tie] * (keep - len(values))
        return values

    def _walk(self, cost: list[int], own: int, floor: int, keep: int | None,
              budget: int | None, minimal: bool = False,
              deadline: float | None = None) -> tuple[dict[int, int], int | None]:
        """:meth:`walk`'s dict, and with ``keep`` of 2 or more the value at which it last
        dropped ties (:meth:`best`; None: never).

        ``minimal``: only the tuples that take each candidate's first bid inside their union (in
        C, also only the unions ``minimal_of`` keeps). A union U that ``minimal_of`` keeps lies
        in the dict with its best value all the same: U's best value comes from an option o
        whose value on U is U's weight W, and o's tuple of first bids inside U (each worth
        f_c(U)) is worth W; its union lies inside U, and if it were smaller it would match W,
        so it is U. A tuple whose bid at some level has an earlier bid of the same candidate
        inside the union so far has that bid inside every union below it: its branch is cut
        (on decay 64 / 500 / 10 with 5 candidates the ten longest listings of a report walked
        11,882 nodes instead of 1,485,208: 0.011 s instead of 1.49 s in C). C and Python cut the
        same branches, so a budget runs out at the same node."""
        search, found = self.search, {}
        nodes = [0 if budget is None else budget]
        tie = None
        stop = stopping.current()
        looks = [LOOK_EVERY]  # nodes to the next look at the clock (counted per option, as in C)

        def late() -> bool:
            return (deadline is not None and monotonic() > deadline) or (stop is not None and stop.requested)

        def record(union: int, value: int) -> None:
            nonlocal floor, tie
            if value > found.get(union, floor):
                found[union] = value
                if keep == 1:
                    floor = value
                elif keep is not None and len(found) >= 2 * keep:
                    kth = sorted(found.values(), reverse=True)[keep - 1]
                    floor = max(floor, kth - 1)
                    for u in [u for u, d in found.items() if d <= floor]:
                        del found[u]
                    if len(found) >= 2 * keep:  # more than keep tie at the keep-th value: they
                        floor = tie = kth  # go too, counted by best()
                        for u in [u for u, d in found.items() if d <= floor]:
                            del found[u]

        plans = self.listing if keep is None else self.plans
        canonical = minimal and keep is None
        for index, (exact, order, caps, bids) in enumerate(plans):
            if exact:
                for b, v in search.ranked[order[0]]:
                    top = SCALE * v - own
                    if top <= floor:
                        break
                    record(b, top - sum(cost[g] for g in members(b)))
                continue
            if (keep is None or keep >= 1) and native.available():  # in C
                done = self._native(plans is self.listing, index, cost, own, floor, keep == 1,
                                    None if budget is None else nodes[0], keep, found, tie, canonical, deadline)
                if done is not None:
                    overflow, nodes[0], floor, records, tie = done
                    if keep is not None and keep >= 2:  # the dict itself, as record leaves it
                        found.clear()
                        found.update(records)
                    else:
                        for union, value in records:
                            if value > found.get(union, floor if keep is None else -1 << 70):
                                found[union] = value
                    if overflow:
                        raise Late if overflow == 2 else Overflow
                    continue
            last = len(order) - 1
            chosen = [0] * len(order)  # canonical: the bid taken at each level

            def earlier_inside(level: int, taken: int, union: int) -> bool:
                """A bid before the one taken at a level up to ``level`` lies inside ``union``."""
                return any(not e & ~union for c in range(level + 1)
                           for e, _, _ in bids[c][:taken if c == level else chosen[c]])

            # depth first on a stack of its own, a frame per level (the interpreter's frames
            # reached Python's recursion limit at about 1,000 candidates): [level, union, spent,
            # low, the next bid, the level's cap]; the same tuples, order, nodes and cuts as the
            # recursive search in C (``_native.walk``)
            stack: list[list] = []
            looks[0] = LOOK_EVERY

            def enter(level: int, union: int, spent: int, low: int) -> None:
                if budget is not None:
                    nodes[0] -= 1
                    if nodes[0] < 0:
                        raise Overflow
                looks[0] -= 1
                if not looks[0]:
                    looks[0] = LOOK_EVERY
                    if late():
                        raise Late
                stack.append([level, union, spent, low, 0, caps[level + 1]])

            enter(0, 0, 0, self.upper)
            while stack:
                frame = stack[-1]
                level, union, spent, low, i, cap = frame
                level_bids = bids[level]
                if i == len(level_bids):
                    stack.pop()
                    continue
                b, v, gs = level_bids[i]
                frame[4] = i + 1
                m = low if low < v else v
                if cap is not None and cap < m:
                    m = cap
                top = SCALE * m - spent - own
                if top <= floor:
                    stack.pop()  # later bids are worth no more
                    continue
                new = b & ~union
                inside = not new
                if inside:
                    frame[4] = len(level_bids)  # the best bid inside the union dominates every later one
                extra = 0
                if new == b:
                    for g in gs:
                        extra += cost[g]
                else:  # the goods not in the union yet, lowest bit first
                    while new:
                        bit = new & -new
                        extra += cost[bit.bit_length() - 1]
                        new ^= bit
                if top - extra > floor:
                    if canonical and not inside and earlier_inside(level, i, union | b):
                        pass  # no tuple through here is the best of its union
                    elif level == last:
                        record(union | b, top - extra)
                    else:
                        chosen[level] = i
                        enter(level + 1, union | b, spent + extra, m)
        return found, tie
