"""Programs of one or two players who each take at most one bid, over few goods, solved exactly
over all bundles of the goods instead of as an integer program.

A complete ``table`` lists a bid for each of the 2^m bundles, and when every larger bundle is
worth more (an additive table plus synergies, say), no bid can be dropped
(``ilp.compile.undominated``): two such players at 20 goods give an integer program of 2^21
variables, which the solvers take minutes to prove, while the program itself is small for a
transform over the 2^m bundles:

    best_2[S] = max value of a bid of player 2 inside S     (m passes over a 2^m array)
    optimum   = max over bids a of player 1 (or none) of  w_1(a) + best_2[goods minus a].

The same transform with the pair (value, owner key) ordered lexicographically answers the
owner objective of ``ilp.lex`` (``Program.minimize_owners``) among the optimal allocations:
for each a, the best bids of player 2 inside the rest are exactly those completing an optimum,
and among them the transform keeps the one of smallest key. Fixed owners restrict each
player's bids (a bid must hold the goods fixed to its player and none fixed to anyone else or
to nobody), exactly as in the integer programs, which hand out whole bids too
(``ilp.program.Program``). Cost: O(m 2^m) time and a few arrays of 2^m integers.
"""

from __future__ import annotations

import numpy as np

from ilp.compile import AtomsBlock, BlockCache
from ilp.program import UNALLOCATED, Program, Status

__all__ = ["MAX_GOODS", "MIN_BIDS", "compact", "solve_program"]

MAX_GOODS = 22
"""Most goods (those of the players' bids) for the transforms: arrays of 2^22 int64, 32 MB each."""
MIN_BIDS = 4096
"""Fewest bids (of both players) for which :func:`solve_program` answers instead of the integer
programs: below, those are fast and keep their own witnesses."""

_NONE = np.int64(-(2**62))  # "no allowed choice": stays far below any sum of real values


def solve_program(program: Program, min_bids: int | None = None,
                  blocks: BlockCache | None = None) -> tuple[Status, tuple[int, ...] | None] | None:
    """``(status, allocation)`` of ``program`` (OPTIMAL with an optimal allocation, or INFEASIBLE),
    or None when the program is not of this module's kind (module docstring), has fewer than
    ``min_bids`` bids (None: :data:`MIN_BIDS`, read at call time), or has a lower bound on the
    total below its optimum with the owner objective (the integer programs handle those). ``blocks``: the compiled weights to use and
    fill (``ilp.compile.BlockCache``; None: a cache for this call)."""
    if program.avoid is not None or program.active_players > 2:
        return None  # checked before compiling: programs of many players cost one pass here
    cache = BlockCache() if blocks is None else blocks
    blocks = cache.blocks(program.weights)
    players = [j for j, b in enumerate(blocks) if b is not None]
    if len(players) > 2 or any(not isinstance(blocks[j], AtomsBlock) or not blocks[j].single for j in players):
        return None
    if sum(len(blocks[j].atoms) for j in players) < (MIN_BIDS if min_bids is None else min_bids):
        return None
    fixed = program.fixed or (None,) * program.n_goods
    if any(f is not None and f != UNALLOCATED and f not in players for f in fixed):
        return Status.INFEASIBLE, None  # a good fixed to a player who can hold nothing
    support = 0
    for j in players:
        for b, _ in blocks[j].atoms:
            support |= b
    goods = [g for g in range(support.bit_length()) if support >> g & 1]
    if len(goods) > MAX_GOODS:
        return None
    position = {g: k for k, g in enumerate(goods)}
    chunk = program.minimize_owners
    # owner key of a bid: the chunk's owner codes as base-3 digits (0 unallocated, 1 and 2 the two
    # players in program order: the order of their codes j + 1), first good most significant;
    # goods outside every bid stay unallocated (code 0 always) and get no digit, so 3^22 at most
    ordered = [position[g] for g in chunk if g in position]
    digits = [(k, 3 ** (len(ordered) - 1 - t)) for t, k in enumerate(ordered)]
    taken = [g for g, f in enumerate(fixed) if f is not None]
    sides = []
    for rank, j in enumerate(players, start=1):
        atoms = blocks[j].atoms
        index = compact(atoms, goods)
        must = [g for g in taken if fixed[g] == j]
        if any(g not in position for g in must):
            allowed = np.zeros(len(atoms), dtype=bool)  # a fixed good that no bid of j holds
        else:
            must_mask = sum(1 << position[g] for g in must)
            banned = sum(1 << position[g] for g in taken if fixed[g] != j and g in position)
            allowed = (index & must_mask == must_mask) & (index & banned == 0)
        rows = np.flatnonzero(allowed)
        index = index[rows]
        values = np.fromiter((v for _, v in atoms), dtype=np.int64, count=len(atoms))[rows]
        keys = np.zeros(len(rows), dtype=np.int64)
        for k, d in digits:
            keys += (index >> k & 1) * (rank * d)
        sides.append((j, atoms, rows, index, values, keys, not must))
    while len(sides) < 2:  # a missing player takes nothing
        empty = np.zeros(0, np.int64)
        sides.insert(0, (None, (), empty, empty, empty, empty, True))
    first, second = sides
    full = (1 << len(goods)) - 1
    best, key, which = _inside(second, len(goods))
    # the choices of the first player: each allowed bid, and nothing when allowed
    nothing = np.zeros(1 if first[6] else 0, np.int64)
    a_index, a_value, a_key = (np.concatenate([first[k], nothing]) for k in (3, 4, 5))
    rest = full & ~a_index
    total = np.where(best[rest] == _NONE, _NONE, a_value + best[rest])
    if total.size == 0 or total.max() == _NONE:
        return Status.INFEASIBLE, None
    optimum = int(total.max())
    if program.min_total is not None and program.min_total > optimum:
        return Status.INFEASIBLE, None
    if chunk:
        if program.min_total is not None and program.min_total < optimum:
            return None
        pair = np.where(total == optimum, a_key + key[rest], np.iinfo(np.int64).max)
        pick = int(np.argmin(pair))
    else:
        pick = int(np.argmax(total))  # the first optimal choice: deterministic
    allocation = [0] * len(program.weights)
    if first[0] is not None and pick < len(first[2]):
        allocation[first[0]] = first[1][int(first[2][pick])][0]
    b = int(which[rest[pick]])
    if b >= 0:
        allocation[second[0]] = second[1][int(second[2][b])][0]
    return Status.OPTIMAL, tuple(allocation)


def compact(atoms: tuple[tuple[int, int], ...], goods: list[int]) -> np.ndarray:
    """The atoms' bundles renumbered over ``goods`` (good goods[k] becomes bit k), as int64."""
    count = len(atoms)
    if not count:
        return np.zeros(0, dtype=np.int64)
    if goods == list(range(len(goods))):  # the common case: goods 0..k-1, bundles as they are
        return np.fromiter((b for b, _ in atoms), dtype=np.int64, count=count)
    out = np.zeros(count, dtype=np.int64)
    for limb in sorted({g // 62 for g in goods}):  # 62-bit pieces of the bundles
        piece = np.fromiter(((b >> (62 * limb)) & (2**62 - 1) for b, _ in atoms), dtype=np.int64, count=count)
        for k, g in enumerate(goods):
            if g // 62 == limb:
                out |= (piece >> (g - 62 * limb) & 1) << k
    return out


def _inside(side: tuple, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every bundle S of the k goods: the best (value, then smallest key) choice of the
    side's player inside S (the empty choice included when allowed), as three arrays: value
    (or ``_NONE``), key, and the index of the bid (-1 for nothing)."""
    _, _, rows, index, values, keys, may_skip = side
    size = 1 << k
    best = np.full(size, _NONE, dtype=np.int64)
    key = np.zeros(size, dtype=np.int64)
    which = np.full(size, -1, dtype=np.int64)
    if may_skip:
        best[0] = 0
    # distinct bundles within a block (ilp.compile lists each bundle once)
    best[index], key[index], which[index] = values, keys, np.arange(len(rows), dtype=np.int64)
    for bit in range(k):
        shape = (-1, 2, 1 << bit)
        b, y, w = best.reshape(shape), key.reshape(shape), which.reshape(shape)
        # S with the bit set also sees the best choice inside S without it
        better = (b[:, 0, :] > b[:, 1, :]) | ((b[:, 0, :] == b[:, 1, :]) & (y[:, 0, :] < y[:, 1, :]))
        for array in (b, y, w):
            np.copyto(array[:, 1, :], array[:, 0, :], where=better)
    return best, key, which
