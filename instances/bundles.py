"""Bundles of goods as integer bitmasks: bit k is set when the k-th good of the instance is in it.

Bitmasks keep bundles hashable, ordered and cheap to intersect; names appear only at the file
boundary (loader, writer, printed reports).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

__all__ = ["is_subset", "mask_of", "members", "names", "submasks"]


def mask_of(indices: Iterable[int]) -> int:
    """The bitmask of a collection of good indices."""
    mask = 0
    for k in indices:
        mask |= 1 << k
    return mask


def members(mask: int) -> Iterator[int]:
    """Indices of the goods in ``mask``, in increasing order."""
    while mask:
        lowest = mask & -mask  # one step per member, not per bit: masks of 256 goods are sparse
        yield lowest.bit_length() - 1
        mask ^= lowest


def names(mask: int, goods: Sequence[str]) -> list[str]:
    """The goods' names of ``mask``, in instance order."""
    return [goods[k] for k in members(mask)]


def is_subset(small: int, big: int) -> bool:
    return small & ~big == 0


def submasks(mask: int) -> Iterator[int]:
    """Every subset of ``mask``, itself and the empty bundle included (largest first)."""
    sub = mask
    while True:
        yield sub
        if sub == 0:
            return
        sub = (sub - 1) & mask
