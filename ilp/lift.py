"""A proven optimum of one program lifted into a program whose weights are each at most its own:
when the lift reaches the same total, the lower program is solved with no search.

Let ``upper`` be a program whose weight u_j is one valuation v_j (or ``None``: player j
excluded), and ``program`` one over the same goods whose every weight is at most v_j on every
bundle (:func:`dominates`: each option of w_j, a minimum over valuations, lists v_j itself, so
w_j <= v_j; a player excluded in ``upper`` is excluded or worth 0 in ``program``). Every
allocation is then worth at most as much under ``program`` as under ``upper``, so the optimum
of ``program`` is at most U, the proven optimum of ``upper``. An allocation worth U under
``program`` is therefore optimal for it, proven by ``upper``'s proof alone.

:func:`lift` looks for one from ``upper``'s optimal allocation T. With t_j = v_j(T_j) (so the
t_j add up to U), it is enough that every player j gets a bundle S_j with w_j(S_j) >= t_j:

* a player whose w_j(T_j) >= t_j already keeps T_j;
* the others are *released*: each is given, for each valuation of one option of w_j, one of
  that valuation's bids worth at least t_j, all taken from the *pool* (the goods nobody holds
  in T and those of the released players), the bids of two released players disjoint, and
  S_j is the union of its bids (a monotone valuation is worth at least any bid inside the
  bundle). The choices are searched depth first: the valuation with the fewest bids to choose
  from first, and its bids using the fewest goods outside T_j first;
* if that fails, one kept player whose goods those bids need is released with them, then two.

Each choice is followed by a forward check (:func:`_open`): a branch where some later valuation
has no bid left that avoids the other players' goods is cut at once. The search stops after
:data:`LIFT_NODES` nodes in all, and the allocation found is checked by definition (pairwise
disjoint, worth U under ``program``), so a lift is either a proven optimum or nothing: the
caller then solves ``program`` as usual. Everything is in a fixed order, so the same ``upper``
optimum gives the same lift.

Where it pays: a report with candidate knowledge (``benchmarks.table``) bounds MIKW_i by MSW
and MIEW_i by MSW_{-i} (the truth is one of the candidates, so the guaranteed value is at most
the true one). On paths as CATS 2.1 builds them, with ``candidates:3`` at 256 goods / 2000 bids
/ 10 players, those bounds are reached by 15-20 of the 20 programs (seeds 0-2), whose column
generation had to prove the bound against many equal optima: up to 43 s each, 200 s for the
whole report of seed 0 (docs/performance.md, session 34), 1.7 s with the lifts. Each lift takes
1-15 ms (1-60 ms before the forward check); the programs it misses have optima below their
bounds and are solved as before (0.1-5 s each, 2026-12-03). On regions the optima lie below the
bounds and every lift fails, in 1-8 ms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations, repeat
from operator import is_
from time import perf_counter

from ilp.program import Program, Solution, Status, disjoint
from instances.valuation import Semantics, Valuation

__all__ = ["LIFT_NODES", "MOST_RELEASED_KEPT", "dominates", "lift"]

LIFT_NODES = 50_000
"""Most search nodes (bids tried) of one lift, over all its attempts: a few milliseconds to a
tenth of a second. The lifts of paths 256 / 2000 / 10 with ``candidates:3`` took at most 44,000."""

MOST_RELEASED_KEPT = 2
"""Most players who could keep their bundle of ``upper``'s optimum but are released with the
others (all pairs of them are tried)."""


def dominates(upper: Program, program: Program) -> bool:
    """True when every weight of ``program`` is at most the weight of ``upper`` on every bundle,
    as :mod:`ilp.lift` reads it: the same goods, no side constraints, each weight of ``upper``
    one valuation (or ``None``, or no option), and each option of ``program``'s weight listing
    that valuation (a valuation worth 0 everywhere, for a weight with no option).

    Parameters
    ----------
    upper : Program
        The program whose optimum bounds ``program``'s.
    program : Program
        The program bounded.

    Returns
    -------
    bool

    Examples
    --------
    >>> from instances.valuation import Form, Valuation
    >>> from ilp import Program, Weight
    >>> truth, other = Valuation(Form.XOR, ((0b01, 5),)), Valuation(Form.XOR, ((0b01, 3),))
    >>> upper = Program(1, (Weight.of(truth),))
    >>> dominates(upper, Program(1, (Weight.minimum((other, truth)),)))
    True
    >>> dominates(upper, Program(1, (Weight.of(other),)))  # 3 <= 5, but not as a minimum with the truth
    False
    """
    if (program.n_goods != upper.n_goods or len(program.weights) != len(upper.weights)
            or _constrained(program) or _constrained(upper)):
        return False
    for w, u in zip(program.weights, upper.weights):
        if w is u or w is None:
            continue
        if u is None:
            if w.options:
                return False
            continue
        if not u.options:  # 0 everywhere (a true valuation worth 0 is no option): so must w be
            if not all(any(x.is_zero for x in option) for option in w.options):
                return False
            continue
        if len(u.options) != 1 or len(u.options[0]) != 1:
            return False
        v = u.options[0][0]
        if not all(_lists(option, v) for option in w.options):
            return False
    return True


def _lists(option: tuple[Valuation, ...], v: Valuation) -> bool:
    """Whether ``option`` lists ``v`` (the same object or an equal one). The file's equal
    valuations are one object (``instances.loader``): looked for by identity first, in C, then
    by value. ``v in option`` compared by value each valuation before ``v`` (a CATS file of 200
    single-minded players with ``candidates:3``: 605 lifts' tests of 200 weights took 1 s,
    2026-12-08)."""
    return any(map(is_, option, repeat(v))) or v in option


def _constrained(program: Program) -> bool:
    return bool(program.fixed) or program.min_total is not None or bool(program.minimize_owners) or (
        program.avoid is not None)


def lift(program: Program, upper: Program, solution: Solution) -> Solution | None:
    """A proven optimum of ``program`` worth ``solution.value``, grown from ``solution`` (a proven
    optimum of ``upper``) as the module docstring says; None when ``upper`` does not dominate
    ``program`` (:func:`dominates`), ``solution`` is not proven, or no such allocation is found.

    Parameters
    ----------
    program : Program
        The program to solve.
    upper : Program
        A program that dominates it.
    solution : Solution
        A solution of ``upper``.

    Returns
    -------
    Solution or None
        Status OPTIMAL, bound equal to the value, ``solution``'s backend (whose proof it rests on).

    Examples
    --------
    Two goods; the truth is one of the candidates of player 0, and the other candidate values
    good 0 alone at 4 only, but both goods at 6. Good 1 is left over in ``upper``'s optimum, so
    player 0 can be sure of 5 by taking both goods:

    >>> from instances.valuation import Form, Valuation
    >>> from ilp import Program, Solution, Status, Weight
    >>> truth = Valuation(Form.XOR, ((0b01, 5),))
    >>> other = Valuation(Form.XOR, ((0b01, 4), (0b11, 6)))
    >>> upper = Program(2, (Weight.of(truth),))
    >>> best = Solution(Status.OPTIMAL, (0b01,), 5, 5, "cpsat", 0.0)
    >>> lifted = lift(Program(2, (Weight.minimum((truth, other)),)), upper, best)
    >>> lifted.status.value, lifted.allocation, lifted.value
    ('optimal', (3,), 5)
    """
    start = perf_counter()
    if not solution.optimal or solution.allocation is None or solution.value is None or not dominates(upper, program):
        return None
    if len(solution.allocation) != len(upper.weights) or upper.total(solution.allocation) != solution.value:
        raise ValueError("lift: the solution given is not one of the upper program")
    # a player excluded from ``program`` (or worth 0 on every bundle there) adds nothing: its
    # goods in ``upper``'s optimum are free for the others
    held = tuple(b if w is not None and w.options else 0 for w, b in zip(program.weights, solution.allocation))
    free = (1 << program.n_goods) - 1
    for bundle in held:
        free &= ~bundle
    targets: dict[int, int] = {}
    short: list[int] = []
    for j, (w, u) in enumerate(zip(program.weights, upper.weights)):
        if w is None or not held[j]:
            continue
        targets[j] = t = u.value(held[j])
        if w is not u and w.value(held[j]) < t:
            short.append(j)
    search = _Search(program, held, targets, free)
    if short:
        kept = [j for j in targets if j not in short]
        found = None
        for extra in range(MOST_RELEASED_KEPT + 1):
            for released in combinations(search.neighbours(short, kept), extra):
                found = search.attempt(sorted(short + list(released)))
                if found is not None or search.nodes > LIFT_NODES:
                    break
            if found is not None or search.nodes > LIFT_NODES:
                break
        if found is None:
            return None
        allocation = tuple(found.get(j, bundle) for j, bundle in enumerate(held))
    else:
        allocation = held
    if not disjoint(allocation):
        raise AssertionError("a lift gave one good to two players")
    value = program.total(allocation)
    if value != solution.value:
        if value > solution.value:  # impossible when ``upper`` dominates: the bound would be wrong
            raise AssertionError(f"a lifted allocation is worth {value}, above the bound {solution.value}")
        return None
    return Solution(Status.OPTIMAL, allocation, value, value, solution.backend, perf_counter() - start)


@dataclass
class _Search:
    """The depth-first search of :func:`lift`, counting its nodes over every attempt."""

    program: Program
    held: tuple[int, ...]
    targets: dict[int, int]
    free: int
    nodes: int = 0
    listings: dict[int, list[tuple[Valuation, list[int]]] | None] = field(default_factory=dict)  # by :meth:`_listed`

    def neighbours(self, short: list[int], kept: list[int]) -> list[int]:
        """The kept players (in order) holding a good of some bid that a short player could use
        (worth its target, inside the goods that are free, its own or held by kept players)."""
        reach = self.free
        for k in (*short, *kept):
            reach |= self.held[k]
        wanted = 0
        for j in short:
            t = self.targets[j]
            for option in self.program.weights[j].options:
                for valuation in option:
                    for bundle, value in valuation.bids:
                        if value >= t and not bundle & ~reach:
                            wanted |= bundle
        return [k for k in kept if self.held[k] & wanted]

    def attempt(self, released: list[int]) -> dict[int, int] | None:
        """New bundles for the ``released`` players (the others keep theirs), or None."""
        pool = self.free
        for k in released:
            pool |= self.held[k]
        steps: list[tuple[int, Valuation, list[int], int, bool]] = []  # (player, valuation, bids, target, XOR)
        for k in released:
            if self.targets[k] <= 0:  # the empty bundle serves it
                continue
            listed = self._listed(k)
            if listed is None:
                return None
            for valuation, candidates in listed:
                bids = [b for b in candidates if not b & ~pool]
                if not bids:
                    return None
                steps.append((k, valuation, bids, self.targets[k], valuation.semantics is Semantics.XOR))
        steps.sort(key=lambda step: (len(step[2]), step[0]))
        bundles = dict.fromkeys(released, 0)
        return bundles if self._place(steps, 0, bundles) else None

    def _listed(self, k: int) -> list[tuple[Valuation, list[int]]] | None:
        """Player ``k``'s option with the fewest valuations short of its target (None: no
        monotone option), each valuation with its distinct bids worth the target, those using
        the fewest goods outside k's bundle first. The same in every attempt (only the pool
        changes, which each attempt filters by), so made once per player."""
        if k not in self.listings:
            t, own = self.targets[k], self.held[k]
            choices = None
            for option in self.program.weights[k].options:
                if not all(v.monotone for v in option):
                    continue
                if choices is None or sum(v.value(own) < t for v in option) < sum(v.value(own) < t for v in choices):
                    choices = option
            self.listings[k] = None if choices is None else [
                (v, sorted({b for b, value in v.bids if value >= t}, key=lambda b: ((b & ~own).bit_count(), b)))
                for v in choices]
        return self.listings[k]

    def _place(self, steps: list, n: int, bundles: dict[int, int]) -> bool:
        if n == len(steps):
            return True
        k, valuation, bids, t, xor = steps[n]
        mine = bundles[k]
        # a bid chosen for another of k's valuations may serve this one (under XOR: one of the
        # bids listed, all inside the pool, lies inside k's bundle)
        if any(not b & ~mine for b in bids) if xor else valuation.value(mine) >= t:
            return self._place(steps, n + 1, bundles)
        held = 0
        for bundle in bundles.values():
            held |= bundle
        others = held & ~mine  # (the players' bundles are disjoint)
        for bid in bids:
            self.nodes += 1
            if self.nodes > LIFT_NODES:
                return False
            if bid & others:
                continue
            bundles[k] = mine | bid
            if _open(steps, n + 1, bundles, held | bid, k) and self._place(steps, n + 1, bundles):
                return True
        bundles[k] = mine
        return False


def _open(steps: list, n: int, bundles: dict[int, int], held: int, chose: int) -> bool:
    """Whether every XOR step from the ``n``-th on can still be served, after player ``chose``
    took another bid: some bid it lists meets no other player's goods (``held``: all the goods
    given so far). Forward checking: bundles only grow and never meet, and a player's bundle
    serves an XOR valuation only through a listed bid inside it, which meets no other player's
    goods either; so a step failing this now fails in every completion, and the branch is cut
    before its nodes are counted. The steps of ``chose`` itself are skipped: its own bid took
    nothing from them, and they passed at the node above (at the root every step lists a bid).
    It changes no answer of the depth-first order, only what a failing branch costs: measured
    (2026-12-03, the lifts of the reports of paths 64 / 500 / 10 with ``candidates:3``, seeds
    0-2, 16-17 failing of 20 each, replayed five times, best of five), the failing lifts took
    2-50,011 nodes before and 1-6,323 now, a report's twenty 106-367 ms before and 27-70 ms now
    (paths 256 / 2000 / 10 seeds 1 and 2: 109-157 ms before, 33-74 ms now, and one lift more on
    seed 2, which had stopped at :data:`LIFT_NODES`). An OR valuation may be served by several
    smaller bids together, so its steps are not checked."""
    for m in range(n, len(steps)):
        k, _, bids, _, xor = steps[m]
        if xor and k != chose:
            others = held & ~bundles[k]
            for b in bids:
                if not b & others:
                    break
            else:
                return False
    return True
