"""Programs of many players who each hold at most one bid, over few goods, solved exactly by a
dynamic program over the subsets of the goods instead of as an integer program.

CATS's legacy distributions give every bid a player of its own (single-minded players). With
thousands of them over 20 goods the winner determination is a set packing of thousands of
columns on 20 rows whose relaxation is weak: on 2000 three-good bids (``cabench generate -d
uniform -m 20 -b 2000 -n bidders``) HiGHS took 14-36 s for MSW and CP-SAT longer (2026-12-02), and a report
solves MSW, MSW_{-i} of every winner and the tie-break. The goods are few, so the dynamic
program over the subsets of the goods (Rothkopf, Pekeč and Harstad 1998) is exact and
fast. With g the first good of S in the goods' order,

    F[S] = max( F[S - {g}],  max over bids b with g in b and b inside S:  v(b) + F[S - b] ),

F[empty] = 0, and the optimum is F[all goods]: in a packing inside S, g is unallocated or in
exactly one bid, whose other goods follow g.

Only the most valuable bid on a bundle can be in an optimum: swapping it in for a less valuable
one on the same bundle raises the total, since its player (one bid only) holds nothing else.
Among equally valuable bids on a bundle the first player's is kept (the smallest owner code).

**The witness is the lexicographically first optimum** (``ilp.lex``). Walking from all goods,
at each S the choice for its first good g is the one of smallest owner code among those that
reach F[S]: g unallocated (code 0) when that is optimal, else the optimal bid of the first
player. Every good's owner is chosen when it is the first good left, after every earlier
good's, and a player's one bid also settles its later goods; so the walk picks, good by good,
the smallest owner code any optimum allows given the earlier ones. ``ilp.lex.lex_first`` takes
this allocation as it is; the plain solve returns it too (deterministic, whatever the backend).

Layout: the k-th of the program's m goods (those of its bids, in order) is bit m - 1 - k of a
state, so the states whose first good is the k-th are the contiguous block [2^p, 2^(p+1)) with
p = m - 1 - k, and the states of later goods are [0, 2^p). A bid's update reads and writes two
strided views of those blocks (one axis per run of the bid's goods and per run between them),
with no index arrays: sum over bids of 2^(p - |b| + 1) values, in int32 when the values allow.

Programs that follow one another differ in few bids: MSW_{-i} is MSW without one winner's bid,
and the tie-break solves MSW again. The latest table computed afresh stays in the cache
(``BlockCache.fewgoods``). A program one bundle away from it reads it as it is: a state without
a good g of the changed bundle has the same bids, hence the same F, and a state holding g either
leaves g unallocated or puts it in a bid holding it, both leading to states without g, so one
step of the recursion corrects it (:meth:`_Table.at`). A few changes update a copy of the table
on the states holding a changed bundle; more, a table afresh.

Measured (2026-12-02, 2 cores, quiet): on the 2000 three-good bids above (920-940 distinct
bundles) a table takes 0.12-0.14 s, each MSW_{-i} after it 0-14 ms, and the whole report went
from 57-94 s to 1.5-1.8 s (docs/performance.md).

A table computed afresh, or updated on the states holding a few changed bundles, is filled in C
when ``ilp.native`` is built (:func:`ilp.native.fill`, the same values): the bids' updates in
numpy cost one strided view per bid and additions that numpy does not fuse with the maximum
(an update of two bundles of 1000 one-bid players over 20 goods: about 34 ms in numpy).
The witness this module returns is the first optimum already: ``ilp.backends.solve`` marks it
(``Solution.first``), and no tie-break orders it again.

With lower bounds for everyone, each MIKW_i is a table of its own (n tables of n bids): on
uniform bids over 20 goods with ``noisy-lower:0.8`` (2026-12-05, 2 shared cores), 500, 1000 and
2000 bids took 25-31, 46-72 and 68-107 ms a table in numpy, 11-24, 16-44 and 24-40 ms in C, and
``cabench benchmarks`` on the 500- and 1000-player files 30.2 -> 9.6 s and 96.9 -> 50.2 s (the
same JSON).

Most of a table's time was spent on the bids holding one of the three lowest bits of the layout:
their runs are 1, 2 or 4 states long, and stepping to the next run cost more than the update.
The C fill takes those bids' states in groups of 8, and with gcc on x86-64 Linux it is built
twice, for AVX2 and for any x86-64 processor, the loader choosing (the same integers). On 1000
random three-good bids over 20 goods a table takes 8-10 ms instead of 21-25 ms (medians), and
``cabench benchmarks`` of 1000 one-bid players with ``noisy-lower:0.8`` 23 s instead of 32 s
(2026-12-07, 2 cores, the same JSON; docs/performance.md, "Session 77").
"""

from __future__ import annotations

import numpy as np

from ilp import native
from ilp.compile import AtomsBlock, BlockCache
from ilp.dense import compact
from ilp.program import Program, Status

__all__ = ["MAX_CHANGES", "MAX_GOODS", "MAX_WORK", "MIN_BIDS", "solve_program"]

MAX_GOODS = 22
"""Most goods (those of the players' bids): F is an array of 2^22 values, 16 or 32 MB."""
MIN_BIDS = 200
"""Fewest bids for which :func:`solve_program` answers instead of the integer programs (read at
call time): below, those are as fast and keep their own witnesses. Measured (2026-12-02, one
MSW of generated uniform bids on 20 goods, one player per bid, seeds 0 and 1; this module
against the portfolio): 100 bids 0.015-0.021 s against 0.015-0.045 s, 200 bids 0.033 s against
0.058-0.066 s, 300 bids 0.04-0.05 s against 0.41-0.49 s, 500 bids 0.06-0.08 s against 2.7-7.3 s."""
MAX_WORK = 2**28
"""Most values the bids' updates may touch (module docstring): about 1.5 s. Beyond, many large
bundles over 22 goods, say, the integer programs are left to answer."""
MAX_CHANGES = 8
"""Most bundles whose values may differ from the latest table's for F to be updated from it
rather than computed afresh (:meth:`_Table._changes`)."""
_LIMIT = 2**62  # values must sum below this in int64 (file values are integers of any size)


def solve_program(program: Program, min_bids: int | None = None,
                  blocks: BlockCache | None = None) -> tuple[Status, tuple[int, ...] | None] | None:
    """``(status, allocation)`` of ``program``: OPTIMAL with its lexicographically first optimal
    allocation (module docstring), or INFEASIBLE when ``min_total`` exceeds the optimum; None
    when the program is not of this module's kind, and the integer programs answer.

    The dynamic program over subsets of the goods of Rothkopf, Pekeč and Harstad (1998),
    "Computationally manageable combinational auctions", Management Science 44(8); the order
    of its choices gives seed 002 Lemma 3's lexicographically first optimal allocation.

    Parameters
    ----------
    program : Program
        A plain program (no fixed owners, owner objective or excluded allocation) whose players
        each hold at most one bid (a block of at most one atom), over at most
        :data:`MAX_GOODS` goods, with at least ``min_bids`` bids and at most :data:`MAX_WORK`
        work.
    min_bids : int or None, optional
        Fewest bids (None: :data:`MIN_BIDS`, read at call time).
    blocks : BlockCache or None, optional
        The compiled weights to use and fill (None: a cache for this call).

    Returns
    -------
    tuple or None
        ``(Status.OPTIMAL, allocation)``, ``(Status.INFEASIBLE, None)``, or None.

    Examples
    --------
    Three single-minded players on two goods (and no least number of bids): {g1, g2} for 5,
    {g1} for 3 and {g2} for 2. Both optima are worth 5; the first player's comes first, owner
    codes (1, 1) before (2, 3):

    >>> from instances.valuation import Form, Valuation
    >>> from ilp import Program, Weight
    >>> from ilp.fewgoods import solve_program
    >>> bid = lambda bundle, value: Weight.of(Valuation(Form.XOR, ((bundle, value),)))
    >>> status, allocation = solve_program(Program(2, (bid(0b11, 5), bid(0b01, 3), bid(0b10, 2))), 0)
    >>> status.value, allocation
    ('optimal', (3, 0, 0))
    """
    if program.avoid is not None or program.minimize_owners or any(f is not None for f in program.fixed):
        return None
    least = MIN_BIDS if min_bids is None else min_bids
    if program.active_players < least:
        return None  # checked before compiling (each player holds one bid at most)
    cache = BlockCache() if blocks is None else blocks
    owners, atoms, support = [], [], 0
    # with more goods in the auction than a table takes, the bids' goods are counted as they
    # come: a 500-player program over 64 goods (CATS L4, lower bounds for everyone) is given up
    # after a few dozen players rather than after all of them (1.5 ms a program, 587 programs)
    wide = program.n_goods > MAX_GOODS
    for j, block in enumerate(cache.each_block(program.weights)):
        if block is None:
            continue
        if not isinstance(block, AtomsBlock) or len(block.atoms) > 1:
            return None  # a player with several bids: the packing would need a row per player
        if block.atoms:
            owners.append(j)
            atoms.append(block.atoms[0])
            support |= block.atoms[0][0]
            if wide and len(atoms) % 16 == 0 and support.bit_count() > MAX_GOODS:
                return None
    if len(atoms) < least:
        return None
    goods = [g for g in range(support.bit_length()) if support >> g & 1]
    m = len(goods)
    if m > MAX_GOODS or sum(v for _, v in atoms) >= _LIMIT:
        return None
    table = _Table(atoms, owners, goods)
    if table.work > MAX_WORK:
        return None
    # from the latest table of this cache computed afresh: MSW's, when MSW_{-i} of its winners
    # (one bundle away) and its tie-break (none) follow it (``ilp.batch``); a table of fewer
    # goods (an MSW_{-i} whose winner alone held a good) does not replace a wider one
    latest = cache.fewgoods
    if table.fill(latest) and (latest is None or len(table.goods) >= len(latest.goods)):
        cache.fewgoods = table
    optimum = int(table.at(np.array([(1 << m) - 1]))[0])
    if program.min_total is not None and program.min_total > optimum:
        return Status.INFEASIBLE, None
    allocation = [0] * len(program.weights)
    for k in table.first_optimum():
        allocation[int(table.owners[k])] = table.bundle(k)
    return Status.OPTIMAL, tuple(allocation)


def _values_at(table: "_Table", bundles: np.ndarray) -> np.ndarray:
    """The table's best value of each of ``bundles`` (sorted), 0 where it has no bid."""
    if not len(table.bundles):
        return np.zeros(len(bundles), dtype=np.int64)
    at = np.searchsorted(table.bundles, bundles).clip(max=len(table.bundles) - 1)
    return np.where(table.bundles[at] == bundles, table.values[at], 0)


class _Table:
    """The distinct bids (the best of each bundle, module docstring) in the state layout, and F."""

    def __init__(self, atoms: list[tuple[int, int]], owners: list[int], goods: list[int]) -> None:
        m = len(goods)
        index = compact(tuple(atoms), goods)
        state = np.zeros(len(atoms), dtype=np.int64)
        for k in range(m):  # the k-th good is bit m - 1 - k (module docstring)
            state |= (index >> k & 1) << (m - 1 - k)
        values = np.fromiter((v for _, v in atoms), dtype=np.int64, count=len(atoms))
        owner = np.asarray(owners, dtype=np.int64)
        order = np.lexsort((owner, -values, state))  # by bundle, the best first, then the first player
        state, values, owner = state[order], values[order], owner[order]
        first = np.ones(len(state), dtype=bool)
        first[1:] = state[1:] != state[:-1]
        self.bundles, self.values, self.owners = state[first], values[first], owner[first]
        self.goods, self.m = goods, m
        self.top = np.zeros(len(self.bundles), dtype=np.int64)  # p: the bid's first good is bit p
        for p in range(m):
            self.top[(self.bundles >> p) == 1] = p
        sizes = np.zeros(len(self.bundles), dtype=np.int64)
        for p in range(m):
            sizes += self.bundles >> p & 1
        free = self.top - sizes + 1  # a bid's update touches 2^free states
        self.work = int(np.sum(np.left_shift(1, free))) if len(sizes) else 0
        self.best: np.ndarray | None = None  # F, when this table has one of its own
        self.base: np.ndarray | None = None  # else the F it reads (:meth:`fill`)
        self.pivot = 0  # the good (bit) whose states :meth:`at` corrects
        self.pivot_bids = np.zeros(0, dtype=np.int64)  # the positions of the bids holding it
        self.views: dict[tuple[int, int, int], tuple[list[int], tuple, tuple]] = {}
        """:func:`_axes` of the bids' updates in a fresh table, by their arguments (:meth:`_refresh`)."""

    def at(self, states: np.ndarray) -> np.ndarray:
        """F of ``states`` (int64). Without a table of its own: the base's F where a state lacks
        the pivot good g (the base has the same bids there: every changed bundle holds g), and
        where it holds g, F[S] = max(F[S - {g}], v(b) + F[S - b] for the bids b holding g
        inside S), S - {g} and S - b lacking g again: one step of the recursion, exactly."""
        if self.best is not None:
            return self.best[states].astype(np.int64)
        found = self.base[states].astype(np.int64)
        if not self.pivot:
            return found
        rows = np.flatnonzero(states & self.pivot)
        if not len(rows):
            return found
        inside = states[rows]
        bids = self.bundles[self.pivot_bids]
        reach = self.values[self.pivot_bids][None, :] + self.base[inside[:, None] ^ bids[None, :]]
        reach = np.where((bids[None, :] & ~inside[:, None]) == 0, reach, np.iinfo(np.int64).min)
        found[rows] = np.maximum(self.base[inside ^ self.pivot], reach.max(axis=1, initial=np.iinfo(np.int64).min))
        return found

    def fill(self, previous: "_Table | None" = None) -> bool:
        """Make F available (module docstring): ``previous``'s F read through :meth:`at` when
        at most one bundle's value differs, an updated copy of it when a few do
        (:meth:`_changes`), else a table of this one's own computed afresh (then True)."""
        # int32 when every value fits (F never exceeds the sum of the bids): half the memory
        # traffic, 1.5-1.9x faster on the files measured in the module docstring
        dtype = np.int32 if int(self.values.sum()) < 2**31 else np.int64
        if previous is not None:
            self.views = previous.views
        changed = self._changes(previous)
        if changed is not None and len(changed) <= 1:
            # previous's F as it is (the tie-break after MSW), or corrected lazily by :meth:`at`
            # on the states holding the pivot: the changed bundle's good in fewest bids
            # (MSW_{-i} after MSW); :meth:`at` works in int64 whatever previous's width
            self.base = previous.best
            if changed:
                holders = [(int(np.count_nonzero(self.bundles >> bit & 1)), bit)
                           for bit in range(self.m) if changed[0] >> bit & 1]
                self.pivot = 1 << min(holders)[1]  # the good of the bundle in fewest bids
                self.pivot_bids = np.flatnonzero(self.bundles & self.pivot)
            return False
        if changed is not None:
            # A refreshed state may read one that holds a later changed bundle and keeps its old
            # value until that bundle's turn: old and new values together must fit the integers
            # (int64 then; in C a wrapped int32 sum is undefined, in numpy it wrapped silently)
            wide = int(self.values.sum()) + int(previous.values.sum()) >= 2**31
            self.best = previous.best.astype(np.int64 if wide else previous.best.dtype)  # (a copy)
            for bundle in changed:  # (in C when built: numpy's view per bid made each about 34 ms)
                if not native.fill(self.best, self.m, self.bundles, self.values, bundle):
                    self._refresh(bundle)
            return False
        self.best = np.zeros(1 << self.m, dtype=dtype)
        if not native.fill(self.best, self.m, self.bundles, self.values):
            self._refresh(0)  # every state holds the empty bundle
        return True

    def _changes(self, previous: "_Table | None") -> list[int] | None:
        """The bundles whose best value differs between ``previous`` and this table (a missing
        bundle counts as 0, which no optimum needs), or None when F must be computed afresh:
        no previous F, other goods, more than :data:`MAX_CHANGES` changes, or changes whose
        updates would cost about a table (a bundle of k goods is held by 2^-k of the states:
        afresh when these shares sum to 1 or more, two one-good bundles say). Only states
        holding a changed bundle change: MSW_{-i} after MSW touches one bundle (the winner's
        bid, which the next best bid on it may replace)."""
        if previous is None or previous.best is None or previous.goods != self.goods:
            return None
        bundles = np.union1d(previous.bundles, self.bundles)
        mine, theirs = _values_at(self, bundles), _values_at(previous, bundles)
        changed = bundles[mine != theirs].tolist()
        # a refresh touches the states holding the bundle: about the whole fill's work / 2^|bundle|
        if len(changed) > MAX_CHANGES or sum(2.0 ** -b.bit_count() for b in changed) >= 1:
            return None
        return changed

    def _refresh(self, changed: int) -> None:
        """F again on every state holding ``changed`` (every state for the empty bundle: the
        whole table), block by block from the bundle's top bit upward. A state read either
        holds ``changed`` too and was refreshed before, or does not and is as final as the
        other changes' refreshes make it: one that holds a later changed bundle is stale now,
        but so is the state reading it, and both are refreshed with that bundle, in order."""
        best = self.best
        bundles, values = self.bundles.tolist(), self.values.tolist()
        first = max(changed.bit_length() - 1, 0)
        # A fresh table's views depend on its bids' bundles alone: worked out once for the tables
        # of one cache (``self.views``, handed on by :meth:`fill`). Knowledge programs over the
        # same bundles each fill a table of their own: on weighted-random 20 / 500 with
        # noisy-lower:0.8 (514 tables) the views took about a third of the tables' time.
        views = self.views if not changed else {}
        for p in range(first, self.m):
            later, block = best[:1 << p], best[1 << p:2 << p]
            held = changed ^ (1 << p) if p == first else changed  # bits every refreshed state holds
            shape, target, _ = _axes(held, 0, p)
            block.reshape(shape)[target] = later.reshape(shape)[target]  # the first good unallocated
            for k in np.flatnonzero(self.top == p).tolist():
                rest = bundles[k] ^ (1 << p)
                key = (rest | held, rest, p)
                axes = views.get(key)
                if axes is None:
                    axes = views[key] = _axes(*key)
                shape, target, source = axes
                into = block.reshape(shape)[target]
                np.maximum(into, later.reshape(shape)[source] + values[k], out=into)

    def bundle(self, k: int) -> int:
        """The k-th bid's bundle over the program's goods (bit g for good g)."""
        state, m = int(self.bundles[k]), self.m
        return sum(1 << g for position, g in enumerate(self.goods) if state >> (m - 1 - position) & 1)

    def first_optimum(self) -> list[int]:
        """The table positions of the bids of the lexicographically first optimum (module
        docstring), in the order of their first goods."""
        chosen = []
        state = (1 << self.m) - 1
        while state:
            p = state.bit_length() - 1
            rest = state ^ (1 << p)
            without, optimum = self.at(np.array([rest, state])).tolist()
            if without == optimum:
                state = rest  # the first good unallocated: code 0, the smallest
                continue
            fits = np.flatnonzero((self.top == p) & (self.bundles & ~state == 0))
            reach = self.values[fits] + self.at(state ^ self.bundles[fits]) == optimum
            candidates = fits[reach]
            k = int(candidates[np.argmin(self.owners[candidates])])  # owners differ: one bid each
            chosen.append(k)
            state ^= int(self.bundles[k])
        return chosen


def _axes(held: int, cleared: int, p: int) -> tuple[list[int], tuple, tuple]:
    """A block of 2^p states reshaped with one axis per run of consecutive bits (below p,
    highest first, as numpy's C order lists them) of one kind: outside ``held``, in
    ``cleared`` (a subset of ``held``), or held and not cleared; with the index of the states
    holding every bit of ``held`` (the targets) and of the same states with the bits of
    ``cleared`` removed (the sources). Runs, not bits, keep the axes within numpy's limit."""
    shape: list[int] = []
    target: list = []
    source: list = []
    kept = held & ~cleared
    kinds = [(held >> bit & 1) + (kept >> bit & 1) for bit in range(p)]  # 0 outside, 1 cleared, 2 kept
    bit = p - 1
    while bit >= 0:
        kind = kinds[bit]
        run = 1
        while bit - run >= 0 and kinds[bit - run] == kind:
            run += 1
        shape.append(1 << run)
        # slices rather than -1 and 0, so that an index fixing every axis is still a view
        every, none = slice(-1, None), slice(0, 1)
        target.append(every if kind else slice(None))
        source.append(slice(None) if not kind else none if kind == 1 else every)
        bit -= run
    return shape or [1], tuple(target) or (slice(None),), tuple(source) or (slice(None),)
