"""Covering unions: a guaranteed value over candidates as one list of whole bundles.

A weight that is a maximum over options of a minimum over XOR (free-disposal) valuations, such
as the guaranteed value of seed 001 Definition 3 (the minimum over a player's candidates of
their value of a bundle), takes the value of a bundle S at a union of one bid per valuation
inside S: :func:`covering_unions` lists the unions no smaller bundle matches, and the program
then treats the weight as a single-choice list of those unions (``ilp.compile``).
:class:`UnionSearch` holds one weight's search with its memo of values; ``ilp.colgen`` prices
unions through it instead of listing them all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ilp import native
from instances.bundles import members
from instances.valuation import Semantics

__all__ = ["Atoms", "Function", "PAIRS_WORK", "UnionSearch", "VECTOR_BIDS", "VECTOR_CELLS", "VECTOR_UNIONS",
           "covering_unions", "without_dominated"]

Atoms = tuple[tuple[int, int], ...]
"""(bundle, value) pairs: bids, or covering unions with their values."""


@dataclass(frozen=True)
class Function:
    """A valuation's positive bids under its semantics (XOR, OR or EXACT)."""

    semantics: Semantics
    atoms: Atoms  # positive bids only

    @property
    def upper(self) -> int:
        """The largest value the function takes."""
        values = [v for _, v in self.atoms]
        return sum(values) if self.semantics is Semantics.OR else max(values)


def covering_unions(options: tuple[tuple[Function, ...], ...], budget: int) -> Atoms | None:
    """w = max over options of min over the option's functions, as a single-choice list of
    (bundle, w(bundle)) whose best atom inside any bundle S is worth exactly w(S); None when an
    OR function is involved or the search needs more than ``budget`` nodes.

    Why it is exact (seed 001 Definition 3, the guaranteed value min over candidates of V(S), as
    a maximum over whole bundles). For an option o = (f_1, ..., f_K) of XOR functions and any
    bundle S with g_o(S) > 0, let c_k be the best bid of f_k inside S and U = the union of their
    bundles: U is inside S, so g_o(U) <= g_o(S) (free disposal), and every f_k still has c_k
    inside U, so g_o(U) >= g_o(S). Hence g_o(S) = max over covering unions U inside S of g_o(U),
    and w(S) = max over options of the same, with each atom valued w(U) by definition (a
    larger w(U) is still at most w(S) since U is inside S). An EXACT function is positive only
    on its own bids' bundles, which are listed as atoms too. The search lists, for every such U,
    a union U' inside U at least as good: function by function it either keeps the best bid
    already inside the union or adds a bid strictly better than it (taking c_k whenever c_k is
    not beaten inside the union so far). A union is dropped when a strictly smaller bundle is
    worth at least as much (the union without one of the bids it added, or an atom kept
    inside it): by induction on the size, an atom inside it at least as good is kept."""
    if any(f.semantics is Semantics.OR for option in options for f in option):
        return None
    search = UnionSearch(options)
    unions: dict[int, int] = {}
    for o, option in enumerate(options):
        if option[0].semantics is Semantics.EXACT:  # positive only on its bundles (alone in its option)
            unions.update((b, search.weight(b)) for b, _ in option[0].atoms)
            continue
        budget = search.tight_unions(o, unions, budget)
        if budget < 0:
            return None
    listed = sorted((u, w) for u, w in unions.items() if w > 0)
    if len(listed) ** 2 * _word_count(listed) > PAIRS_WORK:
        return search.minimal(listed)  # the same atoms, in time linear in the unions listed
    return without_dominated(listed)


VECTOR_UNIONS = 256
VECTOR_BIDS = 400
""":meth:`UnionSearch.minimal_of` computes in numpy when it has at least ``VECTOR_UNIONS`` unions
and the functions' bids times the 64-bit words of a bundle are at most ``VECTOR_BIDS``. Numpy
looks at every (union, bid, word), about 20 ns each; one union at a time Python stops at the
first bid inside and costs about 10 us a union whatever the bids. Measured (2026-12-02, 2 cores
shared with other jobs, CPU seconds of every core listing of one report, both ways on the same
lists): regions 64 / 500 / 10, ``candidates:3``, seed 0 (150 bids x 1 word): 0.92 s one at a
time, 0.30 s in numpy, of a 12 s report; paths 128 / 1000 / 10, ``candidates:5`` (500 bids
x 2 words): 0.61 s against 1.12 s, so Python there; paths 64 / 500, ``candidates:3`` (lists of
under 1,200 unions): 0.014 s against 0.027 s."""
VECTOR_CELLS = 1 << 22
"""Most (unions x bids x 64-bit words) in one numpy pass of :meth:`UnionSearch.minimal_of`
(a pass's largest array is 8 bytes a cell: 32 MB)."""
PAIRS_WORK = 25 * 10**6
"""Above this many (pairs of listed unions x 64-bit words of a bundle), :func:`covering_unions`
keeps the unions that no smaller bundle matches by :meth:`UnionSearch.minimal`, one union at a
time, instead of comparing all pairs at once in numpy. Measured (2026-12-01, 2 shared cores):
the 90 guaranteed values of paths 64 / 500 / 10 with 3 candidates (300-1,000 unions each) take
0.5 s in pairs and 1.1 s one at a time; one of paths 256 / 2000 / 10 (12,000 unions over 4
words) takes 45 s in pairs and 0.3 s one at a time."""


def _word_count(atoms: list[tuple[int, int]]) -> int:
    return max(1, -(-max((b for b, _ in atoms), default=0).bit_length() // 64))


def without_dominated(atoms: list[tuple[int, int]]) -> Atoms:
    """The atoms (distinct bundles, sorted) that no atom strictly inside them matches in value.
    A dominated atom is dominated by a kept one (the relation is transitive), so all pairs are
    compared at once, as 64-bit words in numpy (pairs of Python integers cost a quarter of the
    union search on the candidate knowledge of paths 64 / 500 / 10)."""
    if len(atoms) < 2:
        return tuple(atoms)
    bundles = [b for b, _ in atoms]
    values = np.fromiter((v for _, v in atoms), dtype=object if max(v for _, v in atoms) >= 2**62 else np.int64,
                         count=len(atoms))
    words = _words(bundles)
    inside = np.ones((len(atoms), len(atoms)), dtype=bool)  # inside[a, c]: bundle a is inside bundle c
    for column in words.T:
        inside &= (column[:, None] & ~column[None, :]) == 0
    np.fill_diagonal(inside, False)  # distinct bundles: inside means strictly inside
    dominated = (inside & (values[:, None] >= values[None, :])).any(axis=0)
    return tuple(atom for atom, drop in zip(atoms, dominated.tolist()) if not drop)


def _words(bundles: list[int], count: int | None = None) -> np.ndarray:
    """The bundles as rows of 64-bit words (the lowest goods in the first word); ``count``
    words each (enough for the largest bundle when None)."""
    if count is None:
        count = max(1, -(-max(bundles).bit_length() // 64))
    mask = (1 << 64) - 1
    return np.array([[(b >> (64 * k)) & mask for k in range(count)] for b in bundles], dtype=np.uint64)


class UnionSearch:
    """The search of :func:`covering_unions` over one weight's options. Functions are numbered,
    and the value of a function and the weight on a bundle are computed once per bundle: the
    search meets the same unions again and again (measured on the candidate knowledge of paths
    64 / 500 / 10: memoised and numbered, listing the unions of the 90 guaranteed values took
    about a third of the time of re-evaluating them at each node)."""

    def __init__(self, options: tuple[tuple[Function, ...], ...]) -> None:
        self.options = options
        self.functions: list[Function] = list(dict.fromkeys(f for option in options for f in option))
        number = {f: k for k, f in enumerate(self.functions)}
        self.option_numbers = [tuple(number[f] for f in option) for option in options]
        # bids by decreasing value: the best bid inside a union is the first one inside, and
        # the bids strictly better than it are the ones before it (a search node costs what it adds)
        self.ranked = [sorted(f.atoms, key=lambda atom: -atom[1]) for f in self.functions]
        self.exact = [dict() if f.semantics is not Semantics.EXACT else _best_per_bundle(f.atoms)
                      for f in self.functions]
        self._values: list[dict[int, int]] = [{} for _ in self.functions]
        self._weights: dict[int, int] = {}
        self._goods: dict[int, list[tuple[int, ...]]] = {}
        self.packed: dict[int, tuple | None] = {}  # ilp.native's plans for minimal_of, by words

    def goods(self, k: int) -> list[tuple[int, ...]]:
        """The goods of each of f_k's bids, in the order of ``ranked[k]`` (``ilp.colgen`` prices
        a bid good by good)."""
        found = self._goods.get(k)
        if found is None:
            found = self._goods[k] = [tuple(members(b)) for b, _ in self.ranked[k]]
        return found

    def value(self, k: int, bundle: int) -> int:
        """f_k(bundle)."""
        memo = self._values[k]
        value = memo.get(bundle)
        if value is None:
            if self.functions[k].semantics is Semantics.EXACT:
                value = self.exact[k].get(bundle, 0)
            else:
                outside = ~bundle
                value = 0
                for b, v in self.ranked[k]:  # a plain loop: twice as fast as next() on a generator
                    if not b & outside:
                        value = v
                        break
            memo[bundle] = value
        return value

    def weight(self, bundle: int) -> int:
        """w(bundle) = max over options of min over their functions."""
        w = self._weights.get(bundle)
        if w is None:
            value = self.value
            w = self._weights[bundle] = max(min(value(k, bundle) for k in option) for option in self.option_numbers)
        return w

    def minimal(self, listed: list[tuple[int, int]]) -> Atoms:
        """The atoms of ``listed`` (every tight union, with its weight; sorted) that no strictly
        smaller bundle matches in weight: what :func:`without_dominated` keeps, since every
        bundle worth as much inside one is matched by a tight union inside it.

        Why one union at a time suffices. Let W = w(U). A smaller bundle U' with w(U') >= W has
        an option o with g_o(U') >= W. For an EXACT option that means one of its own bundles,
        strictly inside U, worth at least W. For an option of free-disposal functions,
        g_o(U) >= g_o(U') >= W, and inside U' each function f_c has a bid worth at least W;
        conversely bids e_c inside U worth at least W each (one per function) have a union
        U' = the union of the e_c worth at least W. So U is matched by a smaller bundle through o
        exactly when some choice of one such bid per function misses a good of U, that is when
        the goods that all of f_c's bids inside U worth at least W share, gathered over c, are
        not all of U."""
        kept = []
        options = [(self.functions[numbers[0]].semantics is Semantics.EXACT, numbers) for numbers in self.option_numbers]
        for union, w in listed:
            outside = ~union
            matched = False
            for exact, numbers in options:
                if exact:
                    matched = any(v >= w and b != union and not b & outside for b, v in self.functions[numbers[0]].atoms)
                elif min(self.value(k, union) for k in numbers) >= w:
                    covered = 0
                    for k in numbers:
                        shared = -1  # the goods shared by f_k's bids inside the union worth w or more
                        for b, v in self.ranked[k]:
                            if v < w:
                                break
                            if not b & outside:
                                shared &= b
                        covered |= shared
                    matched = covered != union
                if matched:
                    break
            if not matched:
                kept.append((union, w))
        return tuple(kept)

    def native_plan(self, words: int) -> tuple | None:
        """The functions packed for ``ilp.native.minimal`` with bundles of ``words`` 64-bit
        words, once per width; None when the C test does not apply (the module is not here, a
        function is not XOR, or a value does not fit 64 bits)."""
        if not native.available() or not all(f.semantics is Semantics.XOR for f in self.functions):
            return None
        plan = self.packed.get(words, False)
        if plan is False:
            plan = self.packed[words] = native.minimal_plan(self.ranked, self.option_numbers, words)
        return plan

    def minimal_of(self, unions: list[int]) -> Atoms:
        """``self.minimal(sorted((u, self.weight(u)) for u in unions))``: the same atoms in the
        same order (tested). For a long list over few bids (:data:`VECTOR_UNIONS`,
        :data:`VECTOR_BIDS`) of free-disposal (XOR) functions with values in [0, 2^62), the
        weights and :meth:`minimal`'s test are computed for all unions at once as 64-bit words
        in numpy: ``ilp.colgen`` lists each core this way, 3,000-21,000 unions per player on
        regions 64 / 500 / 10 with 3 candidates. With the C module (``ilp.native.minimal``) XOR
        functions take its loop instead, one union at a time as :meth:`minimal` does, whatever
        the list's length: on the settling cores of paths 256 / 2000 / 10 (3 candidates of about
        200 bids, 4 words) 0.08 s where Python took 0.9 s."""
        unions = sorted(unions)
        ranked = self.ranked
        if unions and native.available() and all(f.semantics is Semantics.XOR for f in self.functions):  # in C
            words = max(1, -(-max([unions[-1], *(b for bids in ranked for b, _ in bids)]).bit_length() // 64))
            plan = self.native_plan(words)
            if plan is not None and (kept := native.minimal(plan, unions)) is not None:
                return tuple(kept)
        count = 0 if len(unions) < VECTOR_UNIONS else max(  # (short lists, most of them: no pass over the bids)
            1, -(-max(unions[-1], *(b for bids in ranked for b, _ in bids)).bit_length() // 64))
        if (not count or sum(map(len, ranked)) * count > VECTOR_BIDS
                or any(f.semantics is not Semantics.XOR or not f.atoms for f in self.functions)
                or not all(0 <= v < 2**62 for bids in ranked for _, v in bids)):
            weight = self.weight
            return self.minimal([(u, weight(u)) for u in unions])
        bids = [_words([b for b, _ in r], count) for r in ranked]
        values = [np.array([v for _, v in r], dtype=np.int64) for r in ranked]
        # a pass holds (unions x bids x words) of one function at most VECTOR_CELLS
        step = max(64, VECTOR_CELLS // (count * max(map(len, ranked))))
        kept: list[tuple[int, int]] = []
        for start in range(0, len(unions), step):
            chunk = unions[start:start + step]
            words = _words(chunk, count)
            inside, value = [], []
            for k, r in enumerate(ranked):  # inside[k][a, c]: f_k's bid c lies inside union a
                holds = np.ones((len(chunk), len(r)), dtype=bool)
                for w in range(count):
                    holds &= (bids[k][None, :, w] & ~words[:, w, None]) == 0
                inside.append(holds)
                value.append(np.where(holds, values[k][None, :], 0).max(axis=1))  # f_k(union)
            weight = np.max([np.min([value[k] for k in numbers], axis=0) for numbers in self.option_numbers], axis=0)
            matched = np.zeros(len(chunk), dtype=bool)
            for numbers in self.option_numbers:  # minimal's test, option by option
                tested = np.min([value[k] for k in numbers], axis=0) >= weight
                covered = np.zeros((len(chunk), count), dtype=np.uint64)
                for k in numbers:
                    chosen = inside[k] & (values[k][None, :] >= weight[:, None])  # inside, worth w or more
                    # no such bid: minimal's -1, here every bit of the words; it differs from the
                    # union all the same (a bid of f_k lies outside it, so it misses a good)
                    covered |= np.bitwise_and.reduce(
                        np.where(chosen[:, :, None], bids[k][None, :, :], np.uint64(2**64 - 1)), axis=1)
                matched |= tested & (covered != words).any(axis=1)
            kept += [(u, w) for u, w, drop in zip(chunk, weight.tolist(), matched.tolist()) if not drop]
        return tuple(kept)

    def tight_unions(self, o: int, unions: dict[int, int], budget: int) -> int:
        """Add the unions of option ``o`` to ``unions`` (see :func:`covering_unions`), visiting at
        most ``budget`` nodes; the nodes left, or -1 when the search needed more."""
        value, weight, ranked, memo = self.value, self.weight, self.ranked, self._values
        functions = sorted(self.option_numbers[o], key=lambda k: len(self.functions[k].atoms))
        last = len(functions)
        # (union, functions covered, bids added, (function, value) of each added bid)
        stack: list[tuple[int, int, tuple[int, ...], tuple[tuple[int, int], ...]]] = [(0, 0, (), ())]
        seen: set[tuple[int, int, tuple[tuple[int, int], ...]]] = set()
        while stack:
            union, k, added, covers = stack.pop()
            key = (union, k, covers)
            if key in seen:  # the prunings below depend on the covers too
                continue
            seen.add(key)
            budget -= 1
            if budget < 0:
                return -1
            if k == last:
                if union not in unions:
                    w = weight(union)
                    if w > 0 and all(weight(rest) < w for rest in _without_one(added) if rest != union):
                        unions[union] = w
                continue
            floor = weight(union)
            cap = min((v for _, v in covers), default=None)
            f = functions[k]
            if cap is not None and cap <= floor:
                capped = True  # no bid may be added (below); only keeping the best inside remains
            else:
                capped = False
            outside = ~union
            memo_f = memo[f]
            for b, _ in ranked[f]:
                if not b & outside:  # the best bid inside: keep it
                    stack.append((union, k + 1, added, covers))
                    break
                if capped:
                    continue
                # Add b, a bid better than every bid inside. Two prunings, safe for the path of
                # every tight union U (no smaller bundle worth as much; it is made of its covering
                # bids): there an added bid stays its function's best inside U, so U is worth at
                # most every added bid's value, and strictly more than the smaller union so far.
                grown = union | b
                v = memo_f.get(grown)
                if v is None:
                    v = value(f, grown)  # >= the bid's own value (a bundle may be listed twice)
                if v <= floor:
                    continue
                for g, gv in covers:
                    w = memo[g].get(grown)
                    if w is None:
                        w = value(g, grown)
                    if w > gv:
                        break  # an earlier added bid is beaten: not the path of a tight union
                else:
                    stack.append((grown, k + 1, added + (b,), covers + ((f, v),)))
        return budget


def _best_per_bundle(atoms: Atoms) -> dict[int, int]:
    best: dict[int, int] = {}
    for b, v in atoms:
        best[b] = max(v, best.get(b, 0))
    return best


def _without_one(bundles: tuple[int, ...]) -> list[int]:
    """The unions of ``bundles`` with one of them left out (none for fewer than two)."""
    if len(bundles) < 2:
        return []
    return [_union(bundles[:i] + bundles[i + 1:]) for i in range(len(bundles))]


def _union(bundles: tuple[int, ...]) -> int:
    out = 0
    for b in bundles:
        out |= b
    return out
