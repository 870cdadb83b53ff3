"""Turn a :class:`Weight` into the smallest exact integer-programming block.

Fast paths (each exact, proof in the comment) avoid the robust formulation whenever possible:

* one valuation: its positive bids, "at most one" for EXACT/XOR, "disjoint packing" for OR;
* a minimum containing an EXACT valuation: it is positive only on that valuation's bid bundles,
  so the minimum is the EXACT valuation over those bundles with the minimum of all values;
* a maximum of options that are each single-choice (EXACT or XOR): choosing at most one bid of
  the union and receiving exactly its bundle attains every value of the maximum, and never more;
* in such a single-choice block, a bid whose bundle strictly contains another bid's bundle of at
  least its value is dropped (:func:`undominated`): giving the player the smaller bundle instead
  keeps every good constraint, the total weight and the lower bound, and only lowers owner codes,
  so no optimum and no lexicographically first optimum (``ilp.lex``) needs it. A complete random
  20-good table (2^20 bids) keeps a few hundred.

What is left (a minimum of two or more free-disposal valuations, or an OR valuation inside a
maximum) becomes a :class:`RobustBlock`: the bundle offered is chosen good by good and every
valuation of an option must cover the price with bids inside the bundle (SPEC §2, "Exactness").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ilp.program import Weight
from instances.valuation import Semantics, Valuation

Atoms = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class AtomsBlock:
    """Win whole bids: at most one when ``single``, else any pairwise-disjoint set."""

    single: bool
    atoms: Atoms


@dataclass(frozen=True)
class Function:
    semantics: Semantics
    atoms: Atoms  # positive bids only

    @property
    def upper(self) -> int:
        """The largest value the function takes."""
        values = [v for _, v in self.atoms]
        return sum(values) if self.semantics is Semantics.OR else max(values)


@dataclass(frozen=True)
class RobustBlock:
    """w(S) = max over options of min over functions; chosen good by good (see module doc)."""

    options: tuple[tuple[Function, ...], ...]

    @property
    def goods(self) -> int:
        mask = 0
        for option in self.options:
            for f in option:
                for bundle, _ in f.atoms:
                    mask |= bundle
        return mask


Block = AtomsBlock | RobustBlock


def _positive(v: Valuation) -> Function:
    return Function(v.semantics, tuple((b, x) for b, x in v.bids if x > 0))


def _minimum(option: tuple[Valuation, ...]) -> tuple[Function, ...] | None:
    """Simplify min over ``option``; None when the minimum is never positive."""
    functions = [_positive(v) for v in option]
    if any(not f.atoms for f in functions):
        return None  # one valuation is never positive, so neither is the minimum
    exact = [v for v in option if v.semantics is Semantics.EXACT]
    if len(option) > 1 and exact:
        base = min(exact, key=lambda v: len(v.bids))
        atoms = tuple(
            (b, value)
            for b, _ in base.bids
            if (value := min(v.value(b) for v in option)) > 0
        )
        return (Function(Semantics.EXACT, atoms),) if atoms else None
    unique = tuple(dict.fromkeys(functions))  # identical valuations add nothing to a minimum
    return unique


def compile_weight(weight: Weight | None) -> Block | None:
    """The exact block for ``weight``; None when the player can never have a positive weight.

    The block is kept on the weight object (outside its fields, so equality and hashing do not
    see it): a report builds many programs from the same shared weights (the lexicographic
    steps, MSW_-i, ...), and compiling a 2^20-entry table takes seconds.
    """
    if weight is None:
        return None
    cache = vars(weight)
    if _BLOCK not in cache:
        cache[_BLOCK] = _compile(weight)  # a frozen dataclass's __dict__ is writable directly
    return cache[_BLOCK]


_BLOCK = "_compiled_block"


def _compile(weight: Weight) -> Block | None:
    options = [f for option in weight.options if (f := _minimum(option)) is not None]
    options = list(dict.fromkeys(options))
    if not options:
        return None
    if all(len(o) == 1 and o[0].semantics is not Semantics.OR for o in options):
        best: dict[int, int] = {}
        for (f,) in options:
            for bundle, value in f.atoms:
                best[bundle] = max(value, best.get(bundle, 0))
        return AtomsBlock(True, undominated(tuple(sorted(best.items()))))
    if len(options) == 1 and len(options[0]) == 1:
        return AtomsBlock(False, options[0][0].atoms)
    return RobustBlock(tuple(options))


DENSE_GOODS = 22
"""Up to this many goods in a single-choice block's bids, :func:`undominated` works on an array
indexed by every bundle of them (2^22 values, 32 MB); beyond, it compares bids pairwise."""
PAIRWISE_WORK = 4 * 10**6
"""Most pairwise bundle comparisons :func:`undominated` spends beyond :data:`DENSE_GOODS`; a larger
block is kept whole (correct, only bigger)."""


def undominated(atoms: Atoms) -> Atoms:
    """The bids of a single-choice block that no bid inside them matches: (b, v) is dropped when
    another bid (b', v') has b' a proper subset of b and v' >= v (see the module docstring).

    ``atoms`` are positive bids with distinct bundles, sorted by bundle; so is the result.
    """
    if len(atoms) < 2:
        return atoms
    support = 0
    for bundle, _ in atoms:
        support |= bundle
    goods = support.bit_count()
    if goods <= DENSE_GOODS:
        return _undominated_dense(atoms, support, goods)
    if len(atoms) ** 2 > PAIRWISE_WORK:
        return atoms
    kept: list[tuple[int, int]] = []
    # by value, largest first, and smaller bundles first among equal values: every bid that could
    # dominate one is met before it, and a dominated bid is dominated by a kept one (transitivity)
    for bundle, value in sorted(atoms, key=lambda bid: (-bid[1], bid[0].bit_count())):
        if not any(other & ~bundle == 0 for other, _ in kept):
            kept.append((bundle, value))
    return tuple(sorted(kept))


def _undominated_dense(atoms: Atoms, support: int, goods: int) -> Atoms:
    """:func:`undominated` through the best value below every bundle of the ``support`` goods
    (a sum over subsets with max, 'goods' passes over a 2^goods array)."""
    bits = [1 << k for k in range(support.bit_length()) if support >> k & 1]
    if bits == [1 << k for k in range(goods)]:
        index = np.fromiter((b for b, _ in atoms), dtype=np.int64, count=len(atoms))
    else:  # renumber the support's goods 0..goods-1
        def compact(bundle: int) -> int:
            return sum(1 << k for k, bit in enumerate(bits) if bundle & bit)
        index = np.fromiter((compact(b) for b, _ in atoms), dtype=np.int64, count=len(atoms))
    values = np.fromiter((v for _, v in atoms), dtype=np.int64, count=len(atoms))
    best = np.zeros(1 << goods, dtype=np.int64)
    best[index] = values
    for k in range(goods):  # best[S] = max value of a bid inside S
        view = best.reshape(-1, 2, 1 << k)
        np.maximum(view[:, 1, :], view[:, 0, :], out=view[:, 1, :])
    below = np.zeros(1 << goods, dtype=np.int64)  # max value of a bid strictly inside S
    for k in range(goods):
        view_below = below.reshape(-1, 2, 1 << k)
        view_best = best.reshape(-1, 2, 1 << k)
        np.maximum(view_below[:, 1, :], view_best[:, 0, :], out=view_below[:, 1, :])
    keep = values > below[index]
    return tuple(atom for atom, kept in zip(atoms, keep.tolist()) if kept)
