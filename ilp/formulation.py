"""Build the integer linear program of a :class:`Program` as plain data, for any backend.

Variables (all integer, most binary):

* ``x[j,a]``   = 1 if player j wins atom a of its :class:`AtomsBlock`;
* ``y[j,g]``   = 1 if good g is offered to player j (robust players only);
* ``q[j,k]``   = the price player j pays under option k of its :class:`RobustBlock`;
* ``u[j,k]``   = 1 if option k is the one used for player j (only with several options);
* ``z[j,k,f,a]`` = 1 if bid a of function f covers the price of option k (robust players).

"Good g goes to player j" is the linear expression ``own[j][g]`` (a sum of x's, or y[j,g]);
each good goes to at most one player. The backends (``ilp.cpsat``, ``ilp.cbc``) only translate
an :class:`ILP` and report variable values; decoding back to bundles happens here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain
from operator import itemgetter, mul

import numpy as np

from ilp.compile import AtomsBlock, Block, BlockCache, RobustBlock, compile_weight
from ilp.program import UNALLOCATED, Program
from instances.bundles import members
from instances.valuation import Semantics

__all__ = ["Formulation", "ILP", "Linear", "build", "holdable"]

Linear = dict[int, int]  # variable index -> integer coefficient


@dataclass
class ILP:
    """An integer linear program: ``lo <= sum(coef * var) <= hi`` rows and a linear objective."""

    names: list[str] = field(default_factory=list)
    lower: list[int] = field(default_factory=list)
    upper: list[int] = field(default_factory=list)
    rows: list[tuple[Linear, int | None, int | None]] = field(default_factory=list)
    objective: Linear = field(default_factory=dict)
    maximize: bool = True
    magnitude: int | None = None
    """The largest of the objective's largest possible |value| and every |coefficient| and
    |right-hand side| (set by :func:`build`; ``ilp.claims`` decides from it whether a
    floating-point solver can separate the program's integer values)."""
    unit: bool = False
    """Every row's coefficients are 1 (set by :func:`build` for the plain programs, whose rows
    are all "at most one"; :meth:`add` clears it): ``ilp.claims`` then sums a row's values
    without multiplying them."""
    floor: int | None = None
    """For a maximum: the least objective value of any use to the caller, who asks "the best
    solution worth at least ``floor``, or none". A backend may take it to prune (CP-SAT as the
    objective's domain, the clique searches as their first incumbent) and then answer
    INFEASIBLE when no solution reaches it; an OPTIMAL answer is the program's optimum as
    without it. The cores of ``ilp.colgen``, ``ilp.certify`` and ``ilp.relaxation`` set it to
    one above their best solution known: they need only a better one, or the proof that there is
    none."""

    def var(self, name: str, upper: int = 1, lower: int = 0) -> int:
        self.names.append(name)
        self.lower.append(lower)
        self.upper.append(upper)
        return len(self.names) - 1

    def add(self, terms: Linear, lo: int | None = None, hi: int | None = None) -> None:
        self.rows.append((terms, lo, hi))
        self.unit = False

    def box_bound(self) -> int:
        """A bound on the objective from the variables' ranges alone (every variable at its
        best end, the rows ignored): the interval of an answer whose solver gave no bound."""
        pick = max if self.maximize else min
        return sum(pick(coef * self.lower[var], coef * self.upper[var]) for var, coef in self.objective.items())

    def tightest_bound(self, *bounds: int | None) -> int:
        """The tightest of valid ``bounds`` on the objective (None where a solver or stage gave
        none), else :meth:`box_bound`: an answer not proven always has its interval."""
        known = [b for b in bounds if b is not None]
        if not known:
            return self.box_bound()
        return min(known) if self.maximize else max(known)


def _plus(a: Linear, b: Linear, scale: int = 1) -> Linear:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + scale * v
    return out


def _add_into(total: Linear, b: Linear, scale: int = 1) -> None:
    """``total += scale * b``, in place (summing many expressions stays linear)."""
    for k, v in b.items():
        total[k] = total.get(k, 0) + scale * v


@dataclass
class Formulation:
    """The ILP together with what is needed to read a solution back."""

    program: Program
    blocks: list[Block | None]
    ilp: ILP
    weight: list[Linear]  # weight[j]: expression of player j's weight
    robust: dict[int, dict[int, Linear]] = field(default_factory=dict)  # :attr:`own` of robust players

    @cached_property
    def own(self) -> list[dict[int, Linear]]:
        """own[j][g]: the expression "good g goes to player j". Made when asked for (fixed owners,
        the owner objective, an allocation to avoid, decoding a robust player): the plain
        programs a report solves by the dozen need only the rows it sums to (:func:`build`)."""
        return [self.robust[j] if j in self.robust else _owned(block, self.weight[j])
                for j, block in enumerate(self.blocks)]

    @cached_property
    def atom_of(self) -> dict[int, tuple[int, int]] | None:
        """x[j, a] -> (j, atom a's bundle) for every player's atoms, when every player's block
        is an ``AtomsBlock`` and no player is robust (None otherwise): a set of these variables
        at 1 gives each player the union of its atoms, as :meth:`decode` reads it (``ilp.lex``
        orders the many optima of a listing by it, without a values vector per optimum)."""
        out: dict[int, tuple[int, int]] = {}
        for j, block in enumerate(self.blocks):
            if block is None:
                continue
            if not isinstance(block, AtomsBlock) or j in self.robust:
                return None
            out.update(zip(self.weight[j], ((j, atom) for atom, _ in block.atoms)))  # (atom order)
        return out

    def decode(self, values: list[int]) -> tuple[int, ...]:
        """The allocation (bundle per player) of an integer solution ``values``."""
        allocation = []
        value = values.__getitem__
        for j, block in enumerate(self.blocks):
            bundle = 0
            w = self.weight[j]
            if block is not None and sum(map(mul, w.values(), map(value, w))) > 0:  # (summed in C)
                if isinstance(block, AtomsBlock):
                    # the union of the atoms won (weight[j] lists x[j, a] in atom order): what
                    # the rows "good g goes to j" say, one step per atom instead of per good and atom
                    for (atom, _), x in zip(block.atoms, map(value, w)):
                        if x > 0:
                            bundle |= atom
                else:
                    for g, expr in self.own[j].items():
                        if sum(c * values[v] for v, c in expr.items()) > 0:
                            bundle |= 1 << g
            allocation.append(bundle)
        return tuple(allocation)

    def encode(self, allocation: tuple[int, ...]) -> list[int] | None:
        """A full assignment of the variables that realises ``allocation`` as well as whole bids
        allow (a warm start: each player keeps its best bid inside its bundle), or None when the
        program has blocks this simple encoding does not cover (OR bids, robust players, the
        owner objective). Solvers check a warm start themselves; a poor one only costs time."""
        if self.program.minimize_owners:
            return None
        values = [0] * len(self.ilp.names)
        for j, block in enumerate(self.blocks):
            if block is None or not allocation[j]:
                continue
            if not isinstance(block, AtomsBlock) or not block.single:
                return None
            bundle = allocation[j]
            inside = [(value, -a) for a, (atom, value) in enumerate(block.atoms) if atom & ~bundle == 0]
            if inside:
                best = -max(inside)[1]
                values[list(self.weight[j])[best]] = 1  # weight[j] lists x[j, a] in atom order
        return values


def build(program: Program, cache: BlockCache | None = None, given: list[Block | None] | None = None) -> Formulation:
    """Formulate ``program`` (see the module docstring for the variables); ``cache`` keeps the
    compiled weights (None: compile each weight). ``given``: the block of each player instead
    (``ilp.colgen`` hands in a core: a player's covering unions worth considering)."""
    ilp = ILP()
    if given is not None:
        blocks = list(given)
    else:
        blocks = [compile_weight(w) for w in program.weights] if cache is None else cache.blocks(program.weights)
    robust: dict[int, dict[int, Linear]] = {}
    weight: list[Linear] = []
    # "good g goes to somebody": the variables of every player's expression "good g goes to j",
    # players in order (each such expression is a sum of distinct variables with coefficient 1,
    # and players have disjoint variables), gathered as lists: linear in the variables
    holding: list[list[int]] = [[] for _ in range(program.n_goods)]
    # without fixed owners or robust players, the rows of the goods are gathered in numpy
    # instead (:func:`_goods_rows`: the same rows)
    placed: list[tuple[AtomsBlock, int]] | None = [] if not program.fixed and not any(
        isinstance(block, RobustBlock) for block in blocks) else None
    for j, block in enumerate(blocks):
        if isinstance(block, AtomsBlock):
            w = _atoms(ilp, j, block, cache)
            if w:
                first = next(iter(w))  # x[j, a] is variable first + a
                if placed is not None:
                    placed.append((block, first))
                else:
                    for g, positions in block.by_good:
                        holding[g].extend(map(first.__add__, positions))
        elif isinstance(block, RobustBlock):
            robust[j], w = _robust(ilp, j, block)
            for g, expr in robust[j].items():
                holding[g].extend(expr)
        else:
            w = {}
        weight.append(w)
    formulation = Formulation(program, blocks, ilp, weight, robust)
    own = formulation.own if program.fixed or program.minimize_owners or program.avoid is not None else None

    if placed is not None:
        ilp.rows.extend((total, None, 1) for total in _goods_rows(placed, program.n_goods))
    for g in range(program.n_goods if placed is None else 0):
        total = dict.fromkeys(holding[g], 1)
        fixed = program.fixed_owner(g)
        if fixed is None:
            if len(total) > 1:  # several players, or several atoms of one OR player
                ilp.add(total, hi=1)
        elif fixed == UNALLOCATED:
            if total:
                ilp.add(total, hi=0)
        else:
            # the fixed owner must hold g (an impossible requirement makes the program infeasible)
            ilp.add(own[fixed].get(g, {}), lo=1, hi=1)
            if len(total) > 1:
                ilp.add(total, hi=1)

    total_weight: Linear = {}
    for w in weight:
        total_weight.update(w)  # (disjoint variables, as above)
    if program.min_total is not None:
        ilp.add(total_weight, lo=program.min_total)
    if program.avoid is not None:
        ilp.add(*_avoiding(own, program.avoid))
    if not program.minimize_owners:
        ilp.objective = total_weight
        ilp.maximize = True
    owners_top = 1
    if program.minimize_owners:
        # mixed radix: good g's digit is the rank of its owner among the players who can hold g
        # (0 when unallocated), so the objective orders allocations as the owner codes do
        objective: Linear = {}
        for g in reversed(program.minimize_owners):
            holders = [j for j in range(len(blocks)) if g in own[j]]
            for rank, j in enumerate(holders, start=1):
                _add_into(objective, own[j][g], scale=owners_top * rank)
            owners_top *= len(holders) + 1
        ilp.objective = objective
        ilp.maximize = False
    if robust or program.fixed or program.min_total is not None or program.avoid is not None or (
            program.minimize_owners):
        ilp.magnitude = _magnitude(ilp, blocks, program, owners_top)
    else:
        # every row is "at most one" of coefficients 1 (a player's atoms, a good's holders): the
        # rows add the number 1 alone (what _magnitude finds, without a pass over every coefficient)
        top = _top(blocks, program.n_goods)
        ilp.magnitude = max(top, 1) if ilp.rows else top
        ilp.unit = True
    return formulation


def _top(blocks: list[Block | None], goods: int) -> int:
    """A bound on the objective of every feasible point of a weight-maximising program whose
    players have ``blocks`` (none robust), integer or fractional: the smaller of the sum of each
    player's largest weight (:func:`_upper`) and :func:`_per_good`'s bound, the latter worked
    out only when the former exceeds ``ilp.claims.FLOAT_SEPARABLE``.

    Why the second bound. ``ilp.claims`` lets a floating-point solver's claims count (and the
    portfolio race HiGHS, SCIP and CBC) only at magnitudes up to 10^6, and the sum of the
    players' best values grows with the players while the optimum cannot exceed what the goods
    hold: 2000 single-minded players on 20 goods (``cabench generate -d uniform -m 20 -b 2000 -n
    bidders``, seed 0: 3-good bids worth up to 1000) sum to 1,006,562, so CP-SAT ran alone on MSW
    and had not proven it after 10 minutes; the per-good bound is 6,663 (optimum 5,959), and the
    race proves MSW in 14-16 s, won by HiGHS (2026-12-02, 2 shared cores, load 5; with
    ``--time-limit 120`` the report now proves MSW and all 2000 MSW_-i, which it proved none of
    before: docs/performance.md, "Many players on few goods").

    Why only then. Below 10^6 the sum already lets every solver race and a smaller number
    changes no outcome (the magnitude is read only by ``ilp.claims`` and passed on to
    ``ilp.certify``'s restricted programs); the plain path is kept free of a pass over every
    (atom, good) pair, since a 500-player file builds 1,500 such programs. Where it runs, the
    pass costs 2.2 ms of CPU on that 2000-player MSW (build 4.5 -> 6.7 ms, best of 40, the
    same file at seed 1, best values summing to 964,699, stays at 4.5 ms; 2026-12-02, load 4)."""
    from ilp.claims import FLOAT_SEPARABLE  # (here: ``ilp.claims`` imports this module)

    top = sum(map(_upper, blocks))
    if top <= FLOAT_SEPARABLE:
        return top
    return min(top, _per_good(blocks, goods))


def _per_good(blocks: list[Block | None], goods: int) -> int:
    """The sum over goods g of the largest share ceil(v / |a|) of an atom a of value v > 0
    holding g, plus the values of positive atoms holding no good; ``blocks`` has no robust block.

    A bound on the objective sum of v_a x_a at every point x of the linear relaxation, so at
    every integer point too (the floating-point solvers compare relaxation values as well as
    integer ones): v_a x_a <= sum over the goods g of a of ceil(v_a / |a|) x_a for x_a >= 0,
    and summing over atoms, good g's terms add up to at most its largest share times the sum
    of x_a over the atoms holding g, which the row "good g at most once" (or, for a good only
    one atom holds, that atom's bound x_a <= 1) keeps at most 1. Each kind of atom:

    * value <= 0: its term is at most 0 (``ilp.compile`` keeps positive bids only, so there
      are none; a negative value would lower the objective, never raise it);
    * no good (``ilp.compile`` makes none: bundles are non-empty): in no good's row, so its
      value counts whole (at most 1 x v);
    * OR blocks (several disjoint atoms of one player): each atom is counted through its own
      goods, so the disjointness rows are all the argument uses;
    * single-choice blocks (explicit / XOR, covering unions): their extra "at most one atom"
      row only shrinks the feasible set.

    It also bounds every other number of a plain program: its rows hold coefficients and
    right-hand sides 1 (at most the bound whenever a positive atom exists), and each objective
    coefficient v_a is at most the bound, since a's own goods give sum over g in a of
    ceil(v_a / |a|) >= v_a. So ``ILP.magnitude`` keeps its meaning (``ilp.claims``)."""
    placed = [block for block in blocks if isinstance(block, AtomsBlock)]  # (None: an excluded player)
    shares = [-(-value // bundle.bit_count()) if bundle else 0 for block in placed for bundle, value in block.atoms]
    if shares and -2**62 < min(shares) and max(shares) < 2**62:  # (int64, with room)
        # in numpy over every (good, atom holding it) pair of ``AtomsBlock.held``, where the
        # Python loop below walks each block's goods: the same bound, the largest share per good
        # summed. Measured with the one-bid steps of ``_atoms`` and ``_upper`` (2026-12-02, 2
        # cores, nothing else running, process CPU, two runs each): formulating the 605 programs
        # of a CATS L4 64 / 500 report with noisy-lower:0.8 (500 one-bid players each, values
        # scaled past 10^6, so this bound is worked out for each), 7.0-9.8 s before, 1.8-2.6 s after
        loose = sum(value for block in placed for bundle, value in block.atoms if not bundle and value > 0)
        held = [block.held for block in placed]
        sizes = [len(block.atoms) for block in placed]
        offsets = np.repeat(np.cumsum(sizes) - sizes, [len(positions) for _, positions in held])
        best_share = np.zeros(goods, dtype=np.int64)
        np.maximum.at(best_share, np.concatenate([owned for owned, _ in held]),
                      np.array(shares, dtype=np.int64)[np.concatenate([positions for _, positions in held]) + offsets])
        return sum(best_share.tolist()) + loose
    best = [0] * goods
    loose = 0
    for block in placed:
        atoms = block.atoms
        shares = [-(-value // bundle.bit_count()) if bundle else 0 for bundle, value in atoms]
        loose += sum(value for bundle, value in atoms if not bundle and value > 0)
        for g, positions in block.by_good:  # (cached per block: ``AtomsBlock.by_good``)
            share = max(map(shares.__getitem__, positions))
            if share > best[g]:
                best[g] = share
    return sum(best) + loose


def _goods_rows(placed: list[tuple[AtomsBlock, int]], goods: int) -> list[Linear]:
    """The rows "good g goes to at most one atom" of players whose blocks are atoms, each
    ``(block, first)`` being a player's block and the index of its first variable, players in
    order: for each good (in order) that two atoms or more can hold, its atoms' variables, the
    players in order and each one's atoms in order, as :func:`build` gathers them good by good.

    Gathered in numpy: every (good, variable) pair of every block (``AtomsBlock.held``), sorted
    by good keeping their order (a stable sort), then cut good by good. A loop over each block's
    goods (1,440 per program on paths 256 / 2000 / 10) cost most of a plain program's
    formulation. Measured (2026-12-02 03:57 UTC, 2 shared cores, load 10, CPU time, this process
    at nice -10; :func:`build` of the 20 MIEW_i and MIKW_i of paths with noisy-lower:0.6, seed 0,
    their blocks compiled, with the names of ``BlockCache.names`` and the plain magnitude): 1.3
    -> 1.0 ms per program on 256 / 2000 / 10 (main before these three: 1.8 ms), 0.30 -> 0.25 ms
    on 64 / 500 / 10 (0.40 ms)."""
    if not placed:
        return []
    owned = np.concatenate([block.held[0] for block, _ in placed])
    # each block's first variable added once to all (one numpy operation per block cost 0.5 s
    # of CPU on a 500-player file whose 1,000 programs hold 500 one-bid blocks each)
    firsts = np.repeat(np.array([first for _, first in placed], dtype=np.int64),
                       [len(block.held[1]) for block, _ in placed])
    variables = np.concatenate([block.held[1] for block, _ in placed]) + firsts
    held = variables[np.argsort(owned, kind="stable")].tolist()
    rows, start = [], 0
    for count in np.bincount(owned, minlength=goods).tolist():
        if count > 1:  # several players, or several atoms of one OR player
            rows.append(dict.fromkeys(held[start:start + count], 1))
        start += count
    return rows


def _avoiding(own: list[dict[int, Linear]], avoid: tuple[int, ...]) -> tuple[Linear, None, int]:
    """The row "some good allocated in ``avoid`` does not go to its owner there": the goods
    kept by their owners number at most one fewer than the goods ``avoid`` allocates."""
    kept: Linear = {}
    count = 0
    for j, bundle in enumerate(avoid):
        for g in members(bundle):
            count += 1
            _add_into(kept, own[j].get(g, {}))
    return kept, None, count - 1


def _upper(block: Block | None) -> int:
    """The largest weight ``block`` can give its player."""
    if block is None:
        return 0
    if isinstance(block, AtomsBlock):
        if len(block.atoms) == 1:  # (one bid: most players of the programs that have many)
            return block.atoms[0][1]
        values = list(map(itemgetter(1), block.atoms))
        return max(values, default=0) if block.single else sum(values)
    return max(min(f.upper for f in option) for option in block.options)


def holdable(block: Block | None) -> int:
    """The goods a player with ``block`` can receive in the integer program (a mask)."""
    if block is None:
        return 0
    if isinstance(block, AtomsBlock):
        mask = 0
        for bundle, _ in block.atoms:
            mask |= bundle
        return mask
    return block.goods


def _magnitude(ilp: ILP, blocks: list[Block | None], program: Program, owners_top: int) -> int:
    if program.minimize_owners:  # the mixed-radix objective stays below the product of radices
        top = owners_top
    elif any(isinstance(b, RobustBlock) for b in blocks):
        top = sum(_upper(b) for b in blocks)
    else:
        # fixed goods, a lower bound on the total, an allocation to avoid: rows that only shrink
        # the feasible set of the plain program, so its bound holds (their numbers are below)
        top = _top(blocks, program.n_goods)
    # every coefficient and right-hand side, each distinct number once (gathered in C)
    rows = ilp.rows
    numbers = set(chain.from_iterable(map(dict.values, map(itemgetter(0), rows))))
    numbers.update(map(itemgetter(1), rows), map(itemgetter(2), rows))
    numbers.discard(None)
    return max(top, *map(abs, numbers)) if numbers else top


def _atoms(ilp: ILP, j: int, block: AtomsBlock, cache: BlockCache | None = None) -> Linear:
    """Player j's variables x[j, a], one per atom, and their "at most one" row for a
    single-choice block; returns the weight expression (the variables in atom order).
    ``cache``: where the variables' names are kept (:meth:`BlockCache.names`)."""
    # the variables in one go, not through ``ILP.var`` per atom: a report builds tens of
    # programs of hundreds of atoms each (the same ILP either way)
    atoms = block.atoms
    first = len(ilp.names)
    if len(atoms) == 1:  # (one bid: most players of the programs that have many)
        ilp.names.append(f"x[{j},0]" if cache is None else cache.names(j, 1)[0])
        ilp.lower.append(0)
        ilp.upper.append(1)
        return {first: atoms[0][1]}
    if cache is None:
        ilp.names.extend([f"x[{j},{a}]" for a in range(len(atoms))])
    else:
        ilp.names.extend(cache.names(j, len(atoms)))
    ilp.lower.extend([0] * len(atoms))
    ilp.upper.extend([1] * len(atoms))
    weight: Linear = dict(zip(range(first, first + len(atoms)), map(itemgetter(1), atoms)))
    if block.single and len(atoms) > 1:
        ilp.add(dict.fromkeys(weight, 1), hi=1)
    # OR blocks: disjointness of one player's atoms follows from "each good at most once"
    return weight


def _owned(block: Block | None, weight: Linear) -> dict[int, Linear]:
    """own[g] of a player whose block is ``block`` (not robust) and weight expression ``weight``
    (:func:`_atoms`): the player's atoms holding g (``AtomsBlock.by_good``, worked out once per
    block), in atom order."""
    if not isinstance(block, AtomsBlock) or not weight:
        return {}
    first = next(iter(weight))
    return {g: dict.fromkeys(map(first.__add__, positions), 1) for g, positions in block.by_good}


def _robust(ilp: ILP, j: int, block: RobustBlock) -> tuple[dict[int, Linear], Linear]:
    relevant = list(members(block.goods))
    y = {g: ilp.var(f"y[{j},{g}]") for g in relevant}  # good g offered to player j
    own = {g: {y[g]: 1} for g in relevant}
    weight: Linear = {}
    several = len(block.options) > 1
    choice: Linear = {}
    for k, option in enumerate(block.options):
        cap = min(f.upper for f in option)
        q = ilp.var(f"q[{j},{k}]", upper=cap)  # price of player j under option k
        weight[q] = 1
        if several:
            u = ilp.var(f"u[{j},{k}]")  # option k is the one used
            choice[u] = 1
            ilp.add({q: 1, u: -cap}, hi=0)
        for f_index, f in enumerate(option):
            z = [ilp.var(f"z[{j},{k},{f_index},{a}]") for a in range(len(f.atoms))]
            cover: Linear = {q: 1}  # q <= value of the chosen bids of f
            for a, (bundle, value) in enumerate(f.atoms):
                cover[z[a]] = -value
            ilp.add(cover, hi=0)
            if f.semantics is Semantics.OR:
                # chosen bids pairwise disjoint and inside the offered bundle
                for g in relevant:
                    inside = {z[a]: 1 for a, (b, _) in enumerate(f.atoms) if b >> g & 1}
                    if inside:
                        ilp.add(_plus(inside, {y[g]: -1}), hi=0)
                continue
            ilp.add({v: 1 for v in z}, hi=1)  # one bid (XOR) or the exact bundle (EXACT)
            for a, (bundle, _) in enumerate(f.atoms):
                for g in relevant:
                    if bundle >> g & 1:
                        ilp.add({z[a]: 1, y[g]: -1}, hi=0)  # bid inside the offered bundle
                    elif f.semantics is Semantics.EXACT:
                        ilp.add({z[a]: 1, y[g]: 1}, hi=1)  # ... and nothing more
    if several:
        ilp.add(choice, hi=1)
    return own, weight
