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
maximum) is first tried as **covering unions** (:func:`covering_unions`): when no valuation is OR,
the weight is exactly a single-choice block over the unions of one bid per valuation of an
option, and the integer program becomes a plain winner-determination problem. Only when those
unions are too many to list (:data:`UNION_BUDGET`) or an OR valuation is involved does the weight
become a :class:`RobustBlock`: the bundle offered is chosen good by good and every valuation of
an option must cover the price with bids inside the bundle (the robust program of docs/definitions.md, "Exactness").

A plain maximisation never compiles such a weight: ``ilp.colgen`` prices its covering unions
(:func:`union_options`, :meth:`BlockCache.search`) instead of listing them. The blocks here serve
the programs it leaves (fixed goods, a lower bound on the total, the owner objective of
``ilp.lex``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import repeat
from operator import itemgetter, lt

import numpy as np

from ilp import native
from ilp.program import Weight, positions_of
from instances.bundles import members
from instances.valuation import Semantics, Valuation

__all__ = ["Atoms", "AtomsBlock", "Block", "BlockCache", "DENSE_GOODS", "Function", "PAIRS_WORK", "PAIRWISE_WORK",
           "RobustBlock", "UNION_BUDGET", "VECTOR_BIDS", "VECTOR_CELLS", "VECTOR_UNIONS", "additive_table",
           "compile_weight", "covering_unions", "undominated", "union_options"]

Atoms = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class AtomsBlock:
    """Win whole bids: at most one when ``single``, else any pairwise-disjoint set. ``unions``
    says that the atoms are covering unions (:func:`covering_unions`), not a valuation's own
    bids: a hint for the solvers (``ilp.cpsat``), not part of the block's value."""

    single: bool
    atoms: Atoms
    unions: bool = field(default=False, compare=False)

    @cached_property
    def by_good(self) -> tuple[tuple[int, tuple[int, ...]], ...]:
        """(good g, the positions of the atoms holding g, in atom order) for every good of the
        atoms, goods in order of first appearance (atoms in order, each one's goods from the
        lowest): the rows "good g goes to this player" of ``ilp.formulation``, worked out once
        per block rather than once per program that holds it (a knowledge report formulates
        each player's view of another in MIKW_i and MIEW_i, and each true valuation in MSW and
        every MSW_{-i})."""
        holders: dict[int, list[int]] = {}
        for a, (bundle, _) in enumerate(self.atoms):
            while bundle:
                lowest = bundle & -bundle
                holders.setdefault(lowest.bit_length() - 1, []).append(a)
                bundle ^= lowest
        return tuple((g, tuple(positions)) for g, positions in holders.items())

    @cached_property
    def held(self) -> tuple[np.ndarray, np.ndarray]:
        """Every (good, atom holding it) pair as two arrays, the goods and the atoms' positions,
        atom by atom (each atom's goods from the lowest), so each good's atoms come in
        increasing position (``ilp.formulation`` gathers the rows of every good of a program
        from them in numpy). Read from the bundles' bytes in numpy, not from :attr:`by_good`:
        the cores of ``ilp.colgen`` are new blocks of 100-1,200 unions each, and walking their
        goods in Python took 0.5 ms a block (regions 64 / 500 / 10 with 3 candidates: 354 blocks,
        2026-12-04)."""
        if not self.atoms:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        width = max(1, -(-max(map(itemgetter(0), self.atoms)).bit_length() // 8))
        raw = b"".join(bundle.to_bytes(width, "little") for bundle, _ in self.atoms)
        bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8).reshape(len(self.atoms), width), axis=1,
                             bitorder="little")
        positions, goods = np.nonzero(bits)  # (row-major: atom by atom)
        return goods.astype(np.int64), positions.astype(np.int64)


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
    if min(map(itemgetter(1), v.bids), default=1) > 0:  # the common case: share the bids (2^20 of a complete table)
        return Function(v.semantics, v.bids)
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
    if len(unique) > 1 and all(f.semantics is Semantics.XOR for f in unique):
        unique = _lowest(unique)
    return unique


MAX_LEVELS = 2_000
"""Most functions (distinct candidates, after :func:`_lowest`) in one minimum whose covering
unions are searched (:func:`covering_unions`, ``ilp.colgen``); a minimum of more is the robust
block. The pricing search in C (``_native.walk``) goes one stack frame per function: 40,000
ended the process (a segmentation fault), and 2,000 leaves a margin of ten on a thread's 8 MB
(10,000 ran). The same limit holds without the C module, whose Python search keeps its own
stack (so that both take the same path). The robust block is no deeper for more candidates but
is a much weaker program: with 300 candidates, none at most another, regions 16 / 100 / 2
reports took about 1 s priced and 30 s robust, some programs unproven in 10 s (2026-12-07)."""


def _too_deep(options: list[tuple[Function, ...]]) -> bool:
    """Whether some minimum of ``options`` holds more than :data:`MAX_LEVELS` functions: its
    covering unions are neither listed nor priced (the robust block instead)."""
    return max(map(len, options)) > MAX_LEVELS


DOMINANCE_WORK = 5_000_000
"""Most bid comparisons :func:`_lowest` makes for one minimum (a few seconds in the worst case);
the functions it has not reached by then are kept, which is exact too."""


def _lowest(functions: tuple[Function, ...]) -> tuple[Function, ...]:
    """``functions`` (distinct XOR functions of positive atoms) without those that another one
    is at most on every bundle: the minimum over them is the same function, and each function
    is a level of the searches over covering unions (``_UnionSearch``, ``ilp.colgen``), whose
    time grows with the levels and whose depth is one frame per level. Drawn candidates of a
    player with few bids are mostly such: of 40,000 candidates of two bids each, about ten
    remain (a report searched 40,000 levels, and a C stack that deep ended the process).

    g <= f everywhere when every atom (b, v) of g has an atom of f on the same bundle worth at
    least v: g(S) is some atom of g inside S, at most f at that bundle, hence at most f(S) (a
    maximum over the atoms inside S). (A sufficient test: f may be worth more at a bundle
    through an atom inside it; such a g is kept, which is exact too.) Only a function of a lower
    or equal top value can be below another, so the functions are taken by increasing top
    value, each compared with those kept so far, bid by bid until one is above: drawn
    candidates of many bids differ at once, and this costs 0.02-0.15 ms a minimum with 3
    candidates (2-8 ms a report on regions and paths 64 / 500 / 10 and paths 256 / 2000 / 10,
    2026-12-07; a first version filling a numpy table per minimum cost 17-46 ms). The result
    keeps the given order."""
    tops = [f.upper for f in functions]  # (each function's largest value: these are XOR)
    kept: list[int] = []  # positions
    work = 0
    for k in sorted(range(len(functions)), key=tops.__getitem__):
        if work <= DOMINANCE_WORK:
            atoms = dict(functions[k].atoms)
            below = False
            for g in kept:
                for b, v in functions[g].atoms:
                    work += 1
                    if atoms.get(b, 0) < v:
                        break
                else:
                    below = True  # min(g, f) = g everywhere: f adds nothing
                    break
            if below:
                continue
        kept.append(k)
    if len(kept) == len(functions):
        return functions
    return tuple(functions[k] for k in sorted(kept))


UNION_BUDGET = 20_000
"""Most search nodes :func:`covering_unions` may visit for one weight before the weight falls back
to the robust formulation. Measured (2026-12-01, 2 shared cores): the generated candidate knowledge
of 64 goods / 500 bids / 10 players (about 50 bids per candidate valuation) needs at most 2,000
nodes per guaranteed value with 3 candidates and 20,000 with 5 (128 / 1000 / 10 with 3: 10,000);
256 / 2000 / 10 (200 bids each) needs over 100,000 and keeps the robust model (only in the
programs ``ilp.colgen`` leaves: it prices the unions of every plain maximisation). Why unions: on
regions 64 / 500 / 10 with 3 candidates the robust MIEW_i was not proven in 120 s on CP-SAT or
HiGHS, and the union block of the same weight is proven in 6-11 s (the whole report: proven, where
it was not before); on paths 64 / 500 / 10 the two cost about the same (HiGHS on unions 24 s,
CP-SAT on the robust model 24 s, for 3 programs under load). Listing costs time linear in the
nodes, up to about a second per weight at the budget."""


def compile_weight(weight: Weight | None, budget: int | None = None) -> Block | None:
    """The exact block for ``weight``; None when the player can never have a positive weight.
    ``budget``: the most search nodes for covering unions (default :data:`UNION_BUDGET`; 0:
    the robust block, never unions). Compiles every time: :class:`BlockCache` keeps blocks."""
    if weight is None:
        return None
    return _compile(weight, UNION_BUDGET if budget is None else budget)


_UNSEEN = object()
"""A weight :class:`BlockCache` has not compiled yet (None is the block of a weight never positive)."""


class BlockCache:
    """The blocks of weights, each weight compiled once (at the default budget).

    An explicit cache owned by whoever solves several programs that share weights: a report's
    ~2n programs share each guaranteed value between MIEW_i and MIKW_i, a lexicographic search
    solves one program again and again, and listing the covering unions of one candidate weight
    costs up to tens of milliseconds (90 of them on paths 64 / 500 / 10 with 3 candidates: about
    3 s). It rides in ``SolveOptions.blocks`` (``ilp.backends.as_options`` gives options that
    have none a fresh one), lives as long as those options, and a batch sends a worker process
    the blocks of the weights it sends there (:meth:`part`; the worker keeps its own cache,
    ``ilp.remote``). Weights are looked up by identity first (programs
    share weight objects), then by value. Unbounded on purpose: MSW, each MSW_-i and each
    tie-break step weigh all n players, and a bounded cache smaller than n recompiled every
    weight at every build (2000 players: 54,000 compilations for 25 builds).
    """

    def __init__(self) -> None:
        self._by_value: dict[Weight, Block | None] = {}
        self._by_id: dict[int, tuple[Weight, Block | None]] = {}
        # id -> block and id -> "takes covering unions", for lookups of a whole program's
        # weights in C (:meth:`blocks`, :meth:`priced`); ``_by_id`` and ``_alive`` keep the
        # weights alive, so ids stay their own
        self._block_of: dict[int, Block | None] = {id(None): None}
        self._priced: dict[int, bool] = {id(None): False}
        self._alive: list[Weight] = []
        self._searches: dict[Weight, "_UnionSearch | None"] = {}
        self._shapes: dict[tuple[int, ...], _Shape | None] = {}  # see :class:`_Shape` (None: met once)
        self._names: dict[int, list[str]] = {}  # see :meth:`names`
        self.bundle_goods: dict[int, tuple[int, ...]] = {}
        """The goods of each bundle (a bit mask) met by ``ilp.colgen``'s pricers, listed once per
        cache (the candidates about a player share its bundles; see ``colgen._Pricer.of``)."""
        self.fewgoods: object | None = None
        """The latest table of ``ilp.fewgoods`` computed afresh with this cache, which the next
        programs of nearly the same bids update instead (MSW_{-i} after MSW)."""

    def __len__(self) -> int:
        return len(self._by_value)

    def __getstate__(self) -> dict:
        """Pickled without what is keyed by ids: they are this process's (a part sent to a
        worker, or a worker's blocks sent back, is read by value, :meth:`update`)."""
        state = dict(self.__dict__)
        for name in ("_by_id", "_block_of", "_priced", "_alive"):
            del state[name]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._by_id, self._block_of, self._priced, self._alive = {}, {id(None): None}, {id(None): False}, []

    def block(self, weight: Weight | None) -> Block | None:
        """``compile_weight(weight)``, compiled on first use."""
        if weight is None:
            return None
        entry = self._by_id.get(id(weight))
        if entry is not None and entry[0] is weight:
            return entry[1]
        block = self._by_value.get(weight, _UNSEEN)  # (not try/except: a knowledge report meets
        if block is _UNSEEN:  # most of its n^2 weights once, and a raise costs more than a lookup)
            block = self._by_value[weight] = _compile(weight, UNION_BUDGET, self._shapes)
        self._by_id[id(weight)] = (weight, block)  # the entry keeps the weight alive: ids stay unique
        self._block_of[id(weight)] = block
        return block

    def blocks(self, weights: tuple[Weight | None, ...]) -> list[Block | None]:
        """``[self.block(w) for w in weights]``, with the weights met before looked up in C: a
        program of n players is looked at by several solvers in turn (``ilp.dense``,
        ``ilp.fewgoods``, the formulation), and a report with knowledge has 2n programs of n
        weights, most of them met before (1000 players: about 2 s of Python calls)."""
        found = self._known(weights)
        for k in positions_of(found, _UNSEEN):
            found[k] = self.block(weights[k])
        return found

    def each_block(self, weights: tuple[Weight | None, ...]) -> Iterator[Block | None]:
        """:meth:`blocks` one at a time: a weight not met before is compiled only when reached,
        so a caller that stops early (``ilp.fewgoods`` at a player of several bids) compiles
        none after it (covering unions of candidates are listed by compiling)."""
        for weight, block in zip(weights, self._known(weights)):
            yield self.block(weight) if block is _UNSEEN else block

    def _known(self, weights: tuple[Weight | None, ...]) -> list[Block | None]:
        """The block of each of ``weights`` compiled already, ``_UNSEEN`` for the others (in C)."""
        return list(map(self._block_of.get, map(id, weights), repeat(_UNSEEN)))

    def priced(self, weights: tuple[Weight | None, ...]) -> list[bool]:
        """Whether each of ``weights`` takes covering unions (:meth:`search` is not None), the
        weights met before looked up in C (``ilp.colgen.applies`` asks it of every program)."""
        found = list(map(self._priced.get, map(id, weights)))
        for k in positions_of(found, None):
            weight = weights[k]
            flag = self._priced[id(weight)] = self.search(weight) is not None
            self._alive.append(weight)
            found[k] = flag
        return found

    def search(self, weight: Weight | None) -> "_UnionSearch | None":
        """The covering-union search of ``weight`` (its :func:`union_options`), made on first use
        and kept with its memo of function values, or None when ``weight`` takes no unions.
        ``ilp.colgen`` prices a guaranteed value through it in every program that holds it
        (MIEW_i and MIKW_i share the values of n - 1 players)."""
        if weight is None or (len(weight.options) == 1 and len(weight.options[0]) == 1):
            return None  # (one valuation: no unions, as :func:`union_options` says; not kept)
        try:
            return self._searches[weight]
        except KeyError:
            options = union_options(weight)
            found = self._searches[weight] = None if options is None else _UnionSearch(options)
            return found

    def names(self, j: int, count: int) -> list[str]:
        """The names ``x[j,a]`` of player j's first ``count`` atom variables (``ilp.formulation``):
        one list per player, grown as needed and sliced, shared by every block a program puts at
        j (a knowledge report's MIKW_i and MIEW_i hold n - 1 blocks met nowhere else). Measured
        (2026-12-02 04:40 UTC, 2 shared cores, load 9, CPU time, nice -10; compiling and
        formulating the 31 programs of a paths report with noisy-lower:0.6, seed 0, names made
        per block and player before): 64 / 500 / 10 11.7 -> 10.9 ms, 256 / 2000 / 10 41.7 ->
        38.3 ms."""
        made = self._names.get(j)
        if made is None or len(made) < count:
            made = self._names[j] = [f"x[{j},{a}]" for a in range(count)]
        return made if len(made) == count else made[:count]

    def part(self, weights: tuple[Weight | None, ...]) -> "BlockCache":
        """A cache holding the blocks of ``weights`` already compiled here (and nothing else)."""
        out = BlockCache()
        for w in weights:
            if w is None:
                continue
            entry = self._by_id.get(id(w))
            if entry is not None and entry[0] is w:
                out._by_value[w] = entry[1]
            elif w in self._by_value:
                out._by_value[w] = self._by_value[w]
        return out

    def update(self, other: "BlockCache") -> None:
        """Take the blocks ``other`` holds that this cache does not."""
        for w, block in other._by_value.items():
            self._by_value.setdefault(w, block)


def _options(weight: Weight) -> list[tuple[Function, ...]]:
    """The weight's options, each simplified by :func:`_minimum`, without repeats or options
    that are never positive."""
    options = [f for option in weight.options if (f := _minimum(option)) is not None]
    return list(dict.fromkeys(options))


def union_options(weight: Weight | None) -> tuple[tuple[Function, ...], ...] | None:
    """The simplified options of ``weight`` when :func:`compile_weight` would list covering
    unions for it (a minimum of two or more XOR valuations somewhere, no OR valuation); None
    when a simpler block is exact, or an OR valuation rules unions out. ``ilp.colgen`` prices
    such weights' unions instead of listing them."""
    if weight is None or all(len(option) == 1 for option in weight.options):
        return None  # no minimum of two valuations (what follows returns None then too, slower)
    options = _options(weight)
    if not options or all(len(o) == 1 and o[0].semantics is not Semantics.OR for o in options):
        return None
    if len(options) == 1 and len(options[0]) == 1:
        return None
    if any(f.semantics is Semantics.OR for option in options for f in option):
        return None
    if _too_deep(options):
        return None
    return tuple(options)


def _compile(weight: Weight, budget: int, shapes: dict[tuple[int, ...], "_Shape | None"] | None = None) -> Block | None:
    """The block of ``weight`` (:func:`compile_weight`); ``shapes``: the :class:`_Shape` of
    each set of bundles met so far (a :class:`BlockCache`'s), used and filled for single-choice
    blocks (the same block as without)."""
    if len(weight.options) == 1 and len(weight.options[0]) == 1 and len(weight.options[0][0].bids) == 1:
        return _one_bid(weight.options[0][0], shapes)
    options = _options(weight)
    if not options:
        return None
    if len(options) == 1 and len(options[0]) == 1 and (additive := additive_table(options[0][0])) is not None:
        return AtomsBlock(False, additive)
    if all(len(o) == 1 and o[0].semantics is not Semantics.OR for o in options):
        atoms = options[0][0].atoms if len(options) == 1 else ()
        bundles = tuple(map(itemgetter(0), atoms))
        if not (atoms and all(map(lt, bundles, bundles[1:]))):
            # the best value of each bundle: the bids by increasing value, the last of a bundle
            # kept (bids already listed by increasing bundle, as generated files and the
            # knowledge of ``noisy-lower`` and ``wrong`` list them, are that already)
            best = dict(sorted([atom for (f,) in options for atom in f.atoms], key=itemgetter(1)))
            atoms = tuple(sorted(best.items()))
            bundles = tuple(map(itemgetter(0), atoms))
        if shapes is None or len(atoms) < 2 or len(atoms) ** 2 > PAIRWISE_WORK:
            return AtomsBlock(True, undominated(atoms))
        return _shaped(atoms, bundles, shapes)
    if len(options) == 1 and len(options[0]) == 1:
        return AtomsBlock(False, options[0][0].atoms)
    if budget > 0 and not _too_deep(options):
        atoms = covering_unions(tuple(options), budget)
        if atoms is not None:
            return AtomsBlock(True, atoms, unions=True) if atoms else None
    return RobustBlock(tuple(options))


def _one_bid(valuation: Valuation, shapes: dict[tuple[int, ...], "_Shape | None"] | None) -> Block | None:
    """:func:`_compile` of the weight of one valuation of one bid, without its general passes:
    the same block. A single-minded player's weight (CATS's legacy distributions: a player per
    bid) and, with ``noisy-lower`` or ``wrong`` knowledge, each player's view of one: a report
    compiles n - 1 such views for every MIKW_i, n^2 in all. The general path gives: nothing for
    a bid worth at most 0 (never positive); the bid as an OR block under OR semantics; else the
    bid as a single-choice block (one bid dominates no other). Its ``held`` comes from a
    :class:`_Shape` of the bundle, made when the bundle is met again as larger blocks' shapes
    are (the general path made none for one bid; the contents are the same), so the n - 1 views
    of one player's bid share it. Measured (2026-12-02, 2 cores, nothing else running,
    process CPU, two runs each): compiling the weights of the 605 programs of a CATS L4 64 / 500
    file with noisy-lower:0.8 (250,000 such weights), 5.6-6.3 s through the general path, 2.9-3.8 s
    so (1.4-2.1 s with the cyclic collector off)."""
    atoms = valuation.bids
    if atoms[0][1] <= 0:
        return None
    if valuation.semantics is Semantics.OR:
        return AtomsBlock(False, atoms)
    return AtomsBlock(True, atoms) if shapes is None else _shaped(atoms, (atoms[0][0],), shapes)


def _shaped(atoms: Atoms, bundles: tuple[int, ...], shapes: dict[tuple[int, ...], "_Shape | None"]) -> AtomsBlock:
    """The single-choice block of ``atoms`` (positive, distinct and sorted ``bundles``) through
    the :class:`_Shape` of its bundles in ``shapes``, made when they are met the second time;
    the first time, as without shapes (an exact report meets each TV_j's bundles once, and a
    shape costs more than that)."""
    shape = shapes.get(bundles, False)
    if shape is False:
        shapes[bundles] = None
        return AtomsBlock(True, undominated(atoms))
    if shape is None:
        shape = shapes[bundles] = _Shape.of(bundles)
    return shape.block(atoms)


DENSE_GOODS = 22
"""Up to this many goods in a single-choice block's bids, :func:`undominated` works on an array
indexed by every bundle of them (2^22 values, 32 MB); beyond, it compares bids pairwise."""
PAIRWISE_WORK = 4 * 10**6
"""Most pairwise bundle comparisons :func:`undominated` spends beyond :data:`DENSE_GOODS`; a larger
block is kept whole (correct, only bigger)."""


def additive_table(f: Function) -> Atoms | None:
    """The singletons (good, value) of an EXACT function that is additive on every bundle of
    its support, as the atoms of an OR block; None when it is not (or not worth checking).

    A complete ``table`` with v(S) = sum of v({g}) over S (an additive valuation written out in
    full: 2^m entries, none of which :func:`undominated` may drop, since every superset is worth
    more) is the same function on every bundle of its support as the OR of its singletons: a
    packing of singletons inside S is worth at most their sum, which is v(S). Outside the
    support the EXACT function is 0, and the OR block hands out only goods of positive
    singletons, so the integer program meets the same (bundle, value) pairs; a good whose
    singleton is worth 0 adds nothing and is left out, as :func:`undominated` would leave it
    (no optimum and no lexicographically first optimum needs it). The check is exact and costs
    one pass over a 2^k array (k goods in the support): v(S) = v(S minus its lowest good) + v(that good)
    for every S, which by induction on |S| is additivity."""
    atoms = f.atoms
    if f.semantics is not Semantics.EXACT or len(atoms) < 4:
        return None
    support = 0
    for bundle, _ in atoms:
        support |= bundle
    goods = support.bit_count()
    # a positive additive function is positive on every bundle meeting a positive good: at least
    # half of the 2^goods bundles
    if goods > DENSE_GOODS or len(atoms) < 1 << (goods - 1):
        return None
    index, values, bits = _dense_index(atoms, support, goods)
    table = np.zeros(1 << goods, dtype=np.int64)
    table[index] = values
    every = np.arange(1, 1 << goods, dtype=np.int64)
    lowest = every & -every
    if not np.array_equal(table[every], table[every ^ lowest] + table[lowest]):
        return None
    return tuple(sorted((bits[k], int(table[1 << k])) for k in range(goods) if table[1 << k] > 0))


@dataclass(frozen=True)
class _Shape:
    """What a single-choice block's pruning and rows depend on that its bundles alone decide:
    for a set of distinct bundles (sorted), the bundles strictly inside each one, and the goods of
    each. A knowledge report compiles many weights over the same bundles: ``noisy-lower`` and
    ``wrong`` change the values of TV_j's bids, never their bundles, so g^i_j of every i has
    TV_j's bundles (before pruning), and MIKW_i / MIEW_i compile n - 1 of them each.

    :meth:`block` gives the block :func:`undominated` gives (a bid is dropped when a bundle
    strictly inside its own is worth at least as much: by the definition, over the inclusions
    found here), with its ``held`` (the rows of ``ilp.formulation``) picked from the goods found
    here in numpy; its ``by_good``, which only programs with fixed owners and the owner
    objective read, is left to be made when asked for. The bundles of paths bids nest rarely
    (10-80 strict inclusions among 40-210 bundles), so most bids need no comparison at all. A
    shape is made when a set of bundles is met the second time: an exact report meets each only
    once (TV_j), and making it costs more than pruning once. Measured (2026-12-02 04:05 UTC, 2
    shared cores, load 11, this process at nice -10, CPU time, best of 15; the 100 weights of
    the MIKW_i with noisy-lower:0.6, seed 0, compiled with what their formulations read into a
    fresh cache; before, each pruned by :func:`undominated` and its ``by_good`` made, its bids
    sorted again): paths 64 / 500 / 10 10.4 -> 5.0 ms, 256 / 2000 / 10 50.4 -> 15.6 ms. Used for
    blocks of at most :data:`PAIRWISE_WORK` pairs of bids (beyond, :func:`undominated` keeps some
    blocks whole, which a shape would not)."""

    nested: tuple[tuple[int, tuple[int, ...]], ...]
    """(a, the positions of the bundles strictly inside bundle a) for every a with some."""
    goods: np.ndarray
    """One entry per (good, bundle holding it): the good (``AtomsBlock.held``'s first array)."""
    positions: np.ndarray
    """... and the bundle's position (each good's in increasing order)."""

    @cached_property
    def held(self) -> tuple[np.ndarray, np.ndarray]:
        """``AtomsBlock.held`` of a block of these bundles with none dropped."""
        return self.goods, self.positions

    @staticmethod
    def of(bundles: tuple[int, ...]) -> "_Shape":
        goods = [tuple(members(b)) for b in bundles]
        # a bundle inside b has its lowest good in b: only the bundles whose lowest good is one
        # of b's are compared with b (a few each on paths, where numpy's all-pairs comparison
        # of 200 bundles of 256 goods cost three times as much)
        by_lowest: dict[int, list[int]] = {}
        for c, held in enumerate(goods):
            by_lowest.setdefault(held[0] if held else -1, []).append(c)
        empty = tuple(by_lowest.get(-1, ()))  # (the empty bundle is inside every other one)
        nested = []
        for a, (bundle, held) in enumerate(zip(bundles, goods)):
            inner = [c for g in held for c in by_lowest.get(g, ()) if c != a and bundles[c] | bundle == bundle]
            if bundle and empty:
                inner += empty
            if inner:
                nested.append((a, tuple(inner)))
        entries = np.array([g for held in goods for g in held], dtype=np.int64)
        positions = np.repeat(np.arange(len(bundles), dtype=np.int64), [len(held) for held in goods])
        return _Shape(tuple(nested), entries, positions)

    def block(self, atoms: Atoms) -> "AtomsBlock":
        """The single-choice block of ``atoms`` (positive, distinct and sorted bundles: this
        shape's), pruned as :func:`undominated` prunes, its ``held`` set."""
        if self.nested:  # (none in most shapes: one bid, or bundles none of which nests)
            values = list(map(itemgetter(1), atoms))
            dropped = [a for a, inner in self.nested if max(map(values.__getitem__, inner)) >= values[a]]
        else:
            dropped = []
        if not dropped:
            block = AtomsBlock(True, atoms)
            block.__dict__["held"] = self.held  # (the cached_property's own slot; one tuple for all)
            return block
        kept = np.ones(len(atoms), dtype=bool)
        kept[dropped] = False
        renumber = np.cumsum(kept) - 1  # a kept bid's position among the kept ones
        entries = kept[self.positions]
        block = AtomsBlock(True, tuple(map(atoms.__getitem__, np.flatnonzero(kept).tolist())))
        block.__dict__["held"] = (self.goods[entries], renumber[self.positions[entries]])
        return block


def _dense_index(atoms: Atoms, support: int, goods: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """The atoms' bundles renumbered over the ``support``'s goods (0..goods-1), their values, and
    the bit of each support good."""
    bits = [1 << k for k in range(support.bit_length()) if support >> k & 1]
    if bits == [1 << k for k in range(goods)]:
        index = np.fromiter((b for b, _ in atoms), dtype=np.int64, count=len(atoms))
    else:  # renumber the support's goods 0..goods-1
        def compact(bundle: int) -> int:
            return sum(1 << k for k, bit in enumerate(bits) if bundle & bit)
        index = np.fromiter((compact(b) for b, _ in atoms), dtype=np.int64, count=len(atoms))
    values = np.fromiter((v for _, v in atoms), dtype=np.int64, count=len(atoms))
    return index, values, bits


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
    pairs = len(atoms) ** 2
    if goods <= DENSE_GOODS and (pairs > PAIRWISE_WORK or pairs > goods << goods):
        # the cheaper exact method: a CATS regions bidder's few bids over 20 goods cost 400
        # comparisons pairwise, 2 x 20 passes over 2^20 values densely (0.1-0.3 s per bidder)
        return _undominated_dense(atoms, support, goods)
    if pairs > PAIRWISE_WORK:
        return atoms
    kept: list[tuple[int, int]] = []
    # the kept bundles by their lowest good: a bundle inside b has its lowest good in b, so only
    # the groups of b's goods can hold one (a few bundles each, where all the kept bundles were
    # compared; a knowledge report compiles each player's view of every other player's bids)
    by_lowest: dict[int, list[int]] = {}
    lowests = 0  # the goods that are the lowest of a kept bundle (the groups' keys)
    # by value, largest first, and smaller bundles first among equal values (the bundle order
    # of ``atoms`` last): every bid that could dominate one is met before it, and a dominated
    # bid is dominated by a kept one (transitivity)
    for _, _, bundle, value in sorted([(-v, b.bit_count(), b, v) for b, v in atoms]):
        if 0 in by_lowest:
            continue  # the empty bundle, kept, is inside every later one
        rest = bundle & lowests
        while rest:
            lowest = rest & -rest
            # a kept bundle inside this one is one whose union with it is this one (looped in C)
            if bundle in map(bundle.__or__, by_lowest[lowest]):
                break
            rest ^= lowest
        else:
            kept.append((bundle, value))
            lowest = bundle & -bundle
            by_lowest.setdefault(lowest, []).append(bundle)
            lowests |= lowest
    return tuple(sorted(kept))


def _undominated_dense(atoms: Atoms, support: int, goods: int) -> Atoms:
    """:func:`undominated` through the best value below every bundle of the ``support`` goods
    (a sum over subsets with max, 'goods' passes over a 2^goods array)."""
    index, values, _ = _dense_index(atoms, support, goods)
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
    search = _UnionSearch(options)
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
    return _without_dominated(listed)


VECTOR_UNIONS = 256
VECTOR_BIDS = 400
""":meth:`_UnionSearch.minimal_of` computes in numpy when it has at least ``VECTOR_UNIONS`` unions
and the functions' bids times the 64-bit words of a bundle are at most ``VECTOR_BIDS``. Numpy
looks at every (union, bid, word), about 20 ns each; one union at a time Python stops at the
first bid inside and costs about 10 us a union whatever the bids. Measured (2026-12-02, 2 cores
shared with other jobs, CPU seconds of every core listing of one report, both ways on the same
lists): regions 64 / 500 / 10, ``candidates:3``, seed 0 (150 bids x 1 word): 0.92 s one at a
time, 0.30 s in numpy, of a 12 s report; paths 128 / 1000 / 10, ``candidates:5`` (500 bids
x 2 words): 0.61 s against 1.12 s, so Python there; paths 64 / 500, ``candidates:3`` (lists of
under 1,200 unions): 0.014 s against 0.027 s."""
VECTOR_CELLS = 1 << 22
"""Most (unions x bids x 64-bit words) in one numpy pass of :meth:`_UnionSearch.minimal_of`
(a pass's largest array is 8 bytes a cell: 32 MB)."""
PAIRS_WORK = 25 * 10**6
"""Above this many (pairs of listed unions x 64-bit words of a bundle), :func:`covering_unions`
keeps the unions that no smaller bundle matches by :meth:`_UnionSearch.minimal`, one union at a
time, instead of comparing all pairs at once in numpy. Measured (2026-12-01, 2 shared cores):
the 90 guaranteed values of paths 64 / 500 / 10 with 3 candidates (300-1,000 unions each) take
0.5 s in pairs and 1.1 s one at a time; one of paths 256 / 2000 / 10 (12,000 unions over 4
words) takes 45 s in pairs and 0.3 s one at a time."""


def _word_count(atoms: list[tuple[int, int]]) -> int:
    return max(1, -(-max((b for b, _ in atoms), default=0).bit_length() // 64))


def _without_dominated(atoms: list[tuple[int, int]]) -> Atoms:
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


class _UnionSearch:
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
        smaller bundle matches in weight: what :func:`_without_dominated` keeps, since every
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
