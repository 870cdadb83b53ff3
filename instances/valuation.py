"""Valuations: the value a player attaches to every bundle of goods.

The papers work with unrestricted ("truly combinatorial") valuations, v(S) an integer for every
bundle S with v(empty) = 0 (seed 004 §3; seed 000 §1). Every form of the instance file
maps to one of three semantics over a list of bids (bundle, value):

========== ===================== =====================================================
semantics  file forms            v(S)
========== ===================== =====================================================
EXACT      explicit, table       the bid's value if S is exactly a bid bundle, else 0
XOR        xor, single_minded    max value of a bid contained in S, 0 if none
OR         or, additive          best packing of pairwise disjoint bids contained in S
========== ===================== =====================================================

Bid lists are kept as written, so an ``xor`` or ``or`` list may name a bundle twice (real files
do: a CATS bidder may repeat a bundle at two prices). Under XOR the bundle is worth the larger of
its bids (the maximum over bids inside S sees both); under OR the two are two bids, but equal
bundles are never disjoint, so a packing holds at most one of them and again the larger counts.
``explicit`` and ``table`` give one value per bundle and never repeat one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from operator import itemgetter

from instances.bundles import is_subset

__all__ = ["Form", "SEMANTICS", "Semantics", "Valuation", "ZERO", "valuation_key"]


class Form(str, Enum):
    """How a valuation is written in an instance file (docs/definitions.md, "Valuations")."""

    EXPLICIT = "explicit"
    TABLE = "table"
    XOR = "xor"
    OR = "or"
    ADDITIVE = "additive"
    SINGLE_MINDED = "single_minded"


class Semantics(str, Enum):
    EXACT = "exact"
    XOR = "xor"
    OR = "or"


SEMANTICS: dict[Form, Semantics] = {
    Form.EXPLICIT: Semantics.EXACT,
    Form.TABLE: Semantics.EXACT,
    Form.XOR: Semantics.XOR,
    Form.SINGLE_MINDED: Semantics.XOR,
    Form.OR: Semantics.OR,
    Form.ADDITIVE: Semantics.OR,
}


_VALUE = itemgetter(1)


def valuation_key(v: "Valuation") -> tuple[str, tuple[tuple[int, int], ...]]:
    """``v`` as a plain tuple (its form's name, its bids): equal for equal valuations, and
    hashed and compared in C, where a :class:`Form` hashes in Python (the readers and the
    knowledge models make equal valuations one object by it; a form given as its string works
    too)."""
    return getattr(v.form, "_value_", v.form), v.bids


@dataclass(frozen=True)
class Valuation:
    """A valuation in one of the file forms, kept as a tuple of bids ``(bundle mask, value)``.

    ``table`` keeps only its non-zero entries and ``additive`` one singleton bid per good, so every
    form is a list of bids read under its :data:`SEMANTICS`. Bundles are non-empty; they are
    distinct except in ``xor`` and ``or`` lists, which keep a repeated bundle as written.
    """

    form: Form
    bids: tuple[tuple[int, int], ...]

    # A file with knowledge holds n^2 valuations, each hashed by the loader (equal ones become
    # one object), then by every cache keyed on a weight built from it: the hash is computed
    # once per object, kept in its __dict__ (as ``listed``), and never pickled (hashes of
    # strings, hence of forms, differ between processes).

    def __hash__(self) -> int:
        value = self.__dict__.get("_hash")
        if value is None:
            value = self.__dict__["_hash"] = hash((self.form, self.bids))
        return value

    def __reduce__(self):
        return Valuation, (self.form, self.bids)

    @property
    def semantics(self) -> Semantics:
        return SEMANTICS[self.form]

    @property
    def is_zero(self) -> bool:
        """True when v(S) = 0 for every S (no bid with a non-zero value)."""
        return not any(map(_VALUE, self.bids))

    @property
    def is_nonnegative(self) -> bool:
        return min(map(_VALUE, self.bids), default=0) >= 0

    @cached_property
    def monotone(self) -> bool:
        """True when S subset of T implies v(S) <= v(T): free disposal (XOR or OR semantics) with
        non-negative bids. False says nothing (an EXACT valuation may happen to be monotone)."""
        return self.semantics is not Semantics.EXACT and self.is_nonnegative

    @cached_property
    def listed(self) -> dict[int, int]:
        """Bundle -> the largest bid listed for exactly that bundle (v(bundle) is at least that
        under XOR and OR semantics, and equal to it under EXACT)."""
        best: dict[int, int] = {}
        for bundle, value in self.bids:
            if value > best.get(bundle, value - 1):
                best[bundle] = value
        return best

    @property
    def support(self) -> int:
        """The union of all bid bundles: goods outside it never change v."""
        mask = 0
        for bundle, _ in self.bids:
            mask |= bundle
        return mask

    @cached_property
    def _exact(self) -> dict[int, int]:
        return dict(self.bids)

    def value(self, bundle: int) -> int:
        """v(bundle), by the definition of the form's semantics (module docstring)."""
        if bundle == 0:
            return 0
        semantics = self.semantics
        if semantics is Semantics.EXACT:
            return self._exact.get(bundle, 0)
        if semantics is Semantics.XOR:
            outside = ~bundle  # (is_subset inlined: every witness of every program is evaluated)
            inside = [value for b, value in self.bids if not b & outside]
            return max(inside) if inside else 0
        return self._packing(bundle)

    def _packing(self, bundle: int) -> int:
        """Best packing of disjoint bids inside ``bundle`` (OR semantics): the bids are split
        into groups that share no good (each group packs on its own, and the values add up),
        and within a group the lowest good left is either given to one of its bids or left
        out, memoised by the goods left. An additive valuation is a group per good, so linear
        in its goods (the earlier recursion over (goods left, next bid) was exponential in the
        number of disjoint bids: 24 goods of an additive valuation took over 30 s, and a
        thousand recursed past Python's limit)."""
        bids = [(b, v) for b, v in self.bids if v > 0 and is_subset(b, bundle)]
        union = 0
        for b, _ in bids:
            if b & union:
                break
            union |= b
        else:  # pairwise disjoint (an additive valuation): every bid is packed
            return sum(v for _, v in bids)
        groups: list[tuple[int, list[tuple[int, int]]]] = []  # (their goods, their bids)
        for bid in bids:
            goods, members = bid[0], [bid]
            kept = []
            for group in groups:
                if group[0] & goods:
                    goods |= group[0]
                    members += group[1]
                else:
                    kept.append(group)
            groups = kept + [(goods, members)]
        return sum(_pack(goods, members) for goods, members in groups)


def _pack(goods: int, bids: list[tuple[int, int]]) -> int:
    """The best packing of ``bids`` (bundle, value > 0) inside ``goods``: the lowest good left is
    given to a bid holding it or to nobody, memoised by the goods left; depth first with a stack
    of its own (a chain of overlapping bids is as deep as it has goods: a thousand passed
    Python's recursion limit)."""
    if len(bids) == 1:
        return bids[0][1]
    by_low: dict[int, list[tuple[int, int]]] = {}
    for b, v in bids:
        by_low.setdefault(b & -b, []).append((b, v))

    def start(rest: int) -> int:
        """``rest`` without its lowest goods that are the lowest good of no bid (nobody takes them)."""
        while rest and rest & -rest not in by_low:
            rest ^= rest & -rest
        return rest

    memo: dict[int, int] = {0: 0}
    first = start(goods)
    stack = [first]
    while stack:
        rest = stack[-1]
        if rest in memo:
            stack.pop()
            continue
        low = rest & -rest
        # nobody takes the lowest good, or a bid whose lowest good it is (bids of earlier goods are decided)
        options = [(start(rest ^ low), 0)] + [(start(rest & ~b), v) for b, v in by_low[low] if not b & ~rest]
        missing = [after for after, _ in options if after not in memo]
        if missing:
            stack.extend(missing)
            continue
        memo[rest] = max(memo[after] + v for after, v in options)
        stack.pop()
    return memo[first]


ZERO = Valuation(Form.EXPLICIT, ())
"""The valuation that is 0 on every bundle (a player one knows nothing about)."""
