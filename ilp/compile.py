"""Turn a :class:`Weight` into the smallest exact integer-programming block.

Fast paths (each exact, proof in the comment) avoid the robust formulation whenever possible:

* one valuation: its positive bids, "at most one" for EXACT/XOR, "disjoint packing" for OR;
* a minimum containing an EXACT valuation: it is positive only on that valuation's bid bundles,
  so the minimum is the EXACT valuation over those bundles with the minimum of all values;
* a minimum of XOR valuations of one bid each: valuation k is v_k on every bundle holding b_k,
  so the minimum is the least v_k on every bundle holding all the b_k: one bid on their union
  (nothing when that least value is 0 or less, as a market's values may be);
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

from ilp.program import Weight, positions_of
from ilp.unions import Atoms, Function, UnionSearch, covering_unions
from instances.bundles import members
from instances.valuation import SEMANTICS, Semantics, Valuation

__all__ = ["AtomsBlock", "Block", "BlockCache", "DENSE_GOODS", "PAIRWISE_WORK", "RobustBlock", "UNION_BUDGET",
           "additive_table", "compile_weight", "one_bid_each", "undominated", "union_options"]


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
    if len(option) > 1 and one_bid_each(option):
        return _minimum_of_bids(option)
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


_XOR_FORMS = frozenset(form for form, semantics in SEMANTICS.items() if semantics is Semantics.XOR)


def one_bid_each(option: tuple[Valuation, ...]) -> bool:
    """Whether every valuation of ``option`` is an XOR valuation of one bid: their minimum is
    one bid (:func:`_minimum_of_bids`), compiled at once (a plain loop over the forms: asked of
    every minimum up to three times, and ``all`` over the semantics took five times as long)."""
    for v in option:
        if len(v.bids) != 1 or v.form not in _XOR_FORMS:
            return False
    return bool(option)


def _minimum_of_bids(option: tuple[Valuation, ...]) -> tuple[Function, ...] | None:
    """:func:`_minimum` of XOR valuations of one bid each, in one pass. Valuation k is worth
    v_k on every bundle holding b_k and 0 elsewhere, so the minimum is min_k v_k on every
    bundle holding the union of the b_k, and 0 elsewhere: one bid, the only covering union
    (None when min_k v_k <= 0: never positive). Candidates drawn for single-minded players are
    such (a CATS file of one player per bid with ``candidates:3``: n - 1 minima in each of 2n
    programs); the general path made a function per valuation, compared them (:func:`_lowest`)
    and, for other bundles, left the union to the column generation (docs/performance.md,
    "Session 78": the report of such a file in half the time)."""
    union, lowest = 0, None
    for valuation in option:
        (bundle, value), = valuation.bids
        union |= bundle
        if lowest is None or value < lowest:
            lowest = value
    return (Function(Semantics.XOR, ((union, lowest),)),) if lowest > 0 else None


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
    is a level of the searches over covering unions (``UnionSearch``, ``ilp.colgen``), whose
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
    the robust block, never unions, where a search is needed: a minimum of one bid per
    valuation is that one bid whatever the budget). Compiles every time: :class:`BlockCache`
    keeps blocks."""
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
        self._searches: dict[Weight, "UnionSearch | None"] = {}
        self._shapes: dict[tuple[int, ...], _Shape | None] = {}  # see :class:`_Shape` (None: met once)
        self._names: dict[int, list[str]] = {}  # see :meth:`names`
        self.bundle_goods: dict[int, tuple[int, ...]] = {}
        """The goods of each bundle (a bit mask) met by ``ilp.colgen``'s pricers, listed once per
        cache (the candidates about a player share its bundles; see ``pricing.Pricer.of``)."""
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

    def search(self, weight: Weight | None) -> "UnionSearch | None":
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
            found = self._searches[weight] = None if options is None else UnionSearch(options)
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
    if all(map(one_bid_each, weight.options)):
        return None  # each minimum is one bid (:func:`_minimum_of_bids`): no unions, as below
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
    if len(weight.options) == 1 and one_bid_each(weight.options[0]):
        # a minimum of one-bid XOR valuations is one bid (:func:`_minimum_of_bids`): the block
        # the general path below makes of it (a single-choice block of that bid), without it
        found = _minimum_of_bids(weight.options[0])
        return None if found is None else _single_bid(found[0].atoms, shapes)
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
    return _single_bid(atoms, shapes)


def _single_bid(atoms: Atoms, shapes: dict[tuple[int, ...], "_Shape | None"] | None) -> AtomsBlock:
    """The single-choice block of one positive bid ``atoms``, through the bundle's shape."""
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
