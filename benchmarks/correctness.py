"""Is a player's knowledge correct, i.e. is the true sub-profile TV_{-i} in the player's set?

Seed 001 Definition 1 requires it (TV_{-i} in K_i); seed 004 §3 (after Definition 1) calls a
belief correct when theta is in B_i and keeps BB defined either way; seed 000 §1.2 requires
0 <= K^i_j(S) <= TV_j(S). cabench reports it per player and never refuses incorrect knowledge.

Deciding it means comparing two set functions on all 2^m bundles. The answer is exact: shortcuts
proven below decide most cases without enumerating; otherwise every bundle is checked when
2^m is small enough; only beyond that is the answer ``None``, with the reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from instances import ZERO, Candidates, Form, Instance, LowerBounds, Semantics, Valuation
from instances.bundles import names
from instances.units import show

__all__ = ["Correctness", "ENUMERATION_LIMIT", "all_values", "bound_holds", "each_knowledge_verdict",
           "knowledge_correct", "knowledge_verdicts", "same_valuation"]

ENUMERATION_LIMIT = 20
"""Largest number of goods for which every bundle is checked (2^20 values per valuation)."""


@dataclass(frozen=True)
class Correctness:
    """``correct`` is True, False, or None (undecided within limits); ``reason`` says why."""

    correct: bool | None
    reason: str


def all_values(v: Valuation, m: int) -> np.ndarray:
    """v(S) for every bundle S in 0 .. 2^m - 1, vectorised (int64)."""
    size = 1 << m
    masks = np.array([b for b, _ in v.bids], dtype=np.int64)
    values = np.array([x for _, x in v.bids], dtype=np.int64)
    if v.semantics is Semantics.EXACT:
        out = np.zeros(size, dtype=np.int64)
        out[masks] = values
        return out
    if v.semantics is Semantics.XOR:
        floor = np.iinfo(np.int64).min
        out = np.full(size, floor, dtype=np.int64)
        np.maximum.at(out, masks, values)
        for k in range(m):  # propagate each bid's value to every superset, one good at a time
            view = out.reshape(-1, 2, 1 << k)
            np.maximum(view[:, 1, :], view[:, 0, :], out=view[:, 1, :])
        out[out == floor] = 0
        return out
    everything = np.arange(size, dtype=np.int64)
    out = np.zeros(size, dtype=np.int64)
    for b, x in v.bids:  # 0/1 knapsack over bids: use bid b inside S or not
        if x <= 0:
            continue
        inside = everything[(everything & b) == b]
        out[inside] = np.maximum(out[inside], x + out[inside ^ b])
    return out


def _show(bundle: int, instance: Instance) -> str:
    return "{" + ", ".join(names(bundle, instance.goods)) + "}"


def _monotone(v: Valuation) -> bool:
    """Non-negative free-disposal valuations are monotone: S subset of T implies v(S) <= v(T)."""
    return v.monotone


def _probe_bundles(instance: Instance, *vs: Valuation) -> list[int]:
    bundles = {instance.all_goods}
    for v in vs:
        bundles.update(b for b, _ in v.bids)
    return sorted(bundles)


def _unlisted_superset(bundle: int, listed: set[int] | dict[int, int], m: int) -> tuple[int | None, list[int]]:
    """A superset of ``bundle`` that is not in ``listed`` if there is one; otherwise (None, every
    superset of ``bundle``), of which there are then at most ``len(listed)``."""
    free = ((1 << m) - 1) & ~bundle
    supersets = []
    sub = free
    while True:  # pigeonhole: at most len(listed) + 1 steps before an unlisted superset appears
        if (bundle | sub) not in listed:
            return bundle | sub, []
        supersets.append(bundle | sub)
        if sub == 0:
            return None, supersets
        sub = (sub - 1) & free


def _bids_below(true: Valuation, bound: Valuation) -> bool:
    """A sufficient condition for bound(S) <= true(S) for every S, checked bid by bid: an XOR
    bound with non-negative bids, each worth at most true(its bundle), and a monotone true
    valuation. Then bound(S) = x_b for a bid b inside S (or 0), and x_b <= true(b) <= true(S).
    Noisy lower bounds keep the true bids' bundles, so true(b) is mostly the bid listed at b
    (a 500-player file with knowledge has 250,000 bounds: about a microsecond each)."""
    form = bound.form
    if not (form is Form.XOR or form is Form.SINGLE_MINDED) or not true.monotone:
        return False
    at = true.listed.get
    return all(0 <= x <= at(b, -1) or 0 <= x <= true.value(b) for b, x in bound.bids)


def bound_holds(instance: Instance, true: Valuation, bound: Valuation) -> tuple[bool | None, int | None]:
    """Decide bound(S) <= true(S) for every bundle S: (answer, violating bundle when False)."""
    m = instance.m
    if bound is true or bound == true:
        return True, None  # the same bids under the same form: bound(S) = true(S) everywhere
    if _bids_below(true, bound):
        return True, None  # n^2 bounds with knowledge at n players: no probe of every bundle
    for s in _probe_bundles(instance, bound):
        if bound.value(s) > true.value(s):
            return False, s
    if true.is_nonnegative and bound.is_nonnegative:
        if all(x <= 0 for _, x in bound.bids):
            return True, None  # bound <= 0 <= true
        if bound.semantics is Semantics.EXACT:
            return True, None  # bound is 0 off its bundles, all probed
        if bound.semantics is Semantics.XOR and _monotone(true):
            # bound(S) = x_b for a bid b inside S, and x_b <= true(b) <= true(S)
            return True, None
        if bound.semantics is Semantics.OR and true.semantics is Semantics.OR:
            # bound(S) = sum of disjoint bids b_k inside S <= sum true(b_k) <= true(S) (superadditive)
            return True, None
        if true.semantics is Semantics.EXACT:
            listed = dict(true.bids)
            for b, x in bound.bids:
                if x <= 0:
                    continue
                unlisted, supersets = _unlisted_superset(b, listed, m)
                if unlisted is not None:
                    return False, unlisted  # true(unlisted) = 0 < x <= bound(unlisted)
                for s in supersets:
                    if bound.value(s) > listed[s]:
                        return False, s
            # bound is positive only on supersets of positive bids, and all of those were checked
            return True, None
    if m <= ENUMERATION_LIMIT:
        gap = all_values(bound, m) - all_values(true, m)
        worst = int(np.argmax(gap))
        return (False, worst) if gap[worst] > 0 else (True, None)
    return None, None


def same_valuation(instance: Instance, f: Valuation, h: Valuation) -> tuple[bool | None, int | None]:
    """Decide f(S) = h(S) for every bundle S: (answer, a bundle where they differ when False)."""
    if f is h or f == h:
        return True, None
    for s in _probe_bundles(instance, f, h):
        if f.value(s) != h.value(s):
            return False, s
    # f and h agree on every bid bundle of both and on the set of all goods
    if f.is_zero and h.is_zero:
        return True, None
    if f.semantics is Semantics.EXACT and h.semantics is Semantics.EXACT:
        return True, None  # both are 0 off their bid bundles
    if f.semantics is h.semantics and f.is_nonnegative and h.is_nonnegative:
        # XOR: f(S) = max over bids b inside S of f(b) = max h(b) <= h(S), and symmetrically.
        # OR: f(S) = sum of disjoint f(b_k) = sum h(b_k) <= h(S) (superadditive), and symmetrically.
        return True, None
    if instance.m <= ENUMERATION_LIMIT:
        diff = np.nonzero(all_values(f, instance.m) != all_values(h, instance.m))[0]
        return (False, int(diff[0])) if len(diff) else (True, None)
    return None, None


def _negative_bundle(true: Valuation) -> int | None:
    """A bundle where ``true`` is below 0, or None: where the bound 0 of a player left out of a
    player's lower bounds fails (only in markets, whose valuations may be negative). Exact for
    every form: an OR valuation is never below 0 (the empty packing); an XOR one is below 0 at S
    only if every bid inside S is, and then at the bundle of any such bid; an explicit one only
    at its listed bundles."""
    if true.is_nonnegative:
        return None
    return next((b for b, _ in true.bids if true.value(b) < 0), None)


def knowledge_correct(instance: Instance, i: int) -> Correctness:
    """Whether player i's knowledge contains the true valuations of the others: TV_{-i} in K_i
    (seed 001 Definition 1), theta in B_i (seed 004 §3), or 0 <= K^i_j <= TV_j for lower bounds
    (seed 000 §1.2); see the module doc.

    Parameters
    ----------
    instance : Instance
        The instance.
    i : int
        Index of the player whose knowledge is checked.

    Returns
    -------
    Correctness
        ``correct`` (True, False, or None when undecidable within limits) and ``reason``.

    Examples
    --------
    In seed 004 §3, player 2's belief is incorrect.

    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from benchmarks import knowledge_correct
    >>> [knowledge_correct(inst, i).correct for i in range(inst.n)]
    [True, False, True]
    >>> knowledge_correct(inst, 1).reason
    'TV_p3({2}) = 0 < 20, the lower bound p2 holds'
    """
    return _knowledge_correct(instance, i, defaultdict(set), _negative(instance))


def _negative(instance: Instance) -> dict[int, int]:
    """:func:`_negative_bundle` of every player whose valuation has one, by player."""
    return {j: b for j, v in enumerate(instance.valuations) if (b := _negative_bundle(v)) is not None}


def knowledge_verdicts(instance: Instance) -> list[Correctness]:
    """:func:`knowledge_correct` of every player, in player order (seed 001 Definition 1).

    Whether a lower bound holds depends on the bound and the true valuation only, and a file
    read by ``instances.loader`` holds each distinct bound once however many players know it:
    each pair (player j, bound object on j) is checked once here (CATS-L4-shaped ``generate -d
    decay -m 64 -b 500 -n bidders --knowledge noisy-lower:0.8``, seed 1: 249,500 bounds, 79,572
    pairs; 0.53-0.58 s to 0.20-0.23 s, 2026-12-02, load 4-5).

    Parameters
    ----------
    instance : Instance
        The instance.

    Returns
    -------
    list of Correctness
        ``knowledge_correct(instance, i)`` for each player i.

    Examples
    --------
    >>> from instances import load_instance
    >>> from benchmarks.correctness import knowledge_verdicts
    >>> [c.correct for c in knowledge_verdicts(load_instance("instances/examples/seed004-example.json"))]
    [True, False, True]
    """
    return list(each_knowledge_verdict(instance))


def each_knowledge_verdict(instance: Instance) -> Iterator[Correctness]:
    """:func:`knowledge_verdicts` one player at a time, in player order (seed 001 Definition 1;
    seed 000 §1.2 for lower bounds): a caller that needs only the first player whose knowledge
    is not correct stops there. The work shared by the players is done once, as
    :func:`knowledge_verdicts` does; one :func:`knowledge_correct` per player scanned every
    valuation for a negative bundle each time (n^2 scans: at 1000 one-bid players, 2.2 of the
    11.5 s of a profiled ``evaluate -m surviving-strategies``, 2026-12-07).

    Parameters
    ----------
    instance : Instance
        The instance.

    Returns
    -------
    Iterator of Correctness
        ``knowledge_correct(instance, i)`` for i = 0, 1, ..., each made when it is asked for
        (the scan for negative bundles, which they share, is made at the call).

    Examples
    --------
    >>> from instances import load_instance
    >>> from benchmarks.correctness import each_knowledge_verdict
    >>> verdicts = each_knowledge_verdict(load_instance("instances/examples/seed004-example.json"))
    >>> next(verdicts).correct, next(verdicts).correct
    (True, False)
    """
    held: defaultdict[int, set[int]] = defaultdict(set)  # (the instance keeps each bound alive: ids stay unique)
    negative = _negative(instance)
    return (_knowledge_correct(instance, i, held, negative) for i in range(instance.n))


def _knowledge_correct(instance: Instance, i: int, held: defaultdict[int, set[int]],
                       negative: dict[int, int]) -> Correctness:
    """:func:`knowledge_correct`; ``held[j]``: the ids of lower bounds on player j known to
    hold, skipped, and completed with those found to hold here; ``negative``: :func:`_negative`."""
    knowledge = instance.knowledge[i]
    players = instance.players
    too_big = (
        f"undecided: {instance.m} goods are too many to compare every bundle "
        f"(limit {ENUMERATION_LIMIT}) and no exact shortcut applies to these valuation forms"
    )
    if knowledge is None:
        return Correctness(True, "no knowledge: every valuation profile is possible")
    if isinstance(knowledge, LowerBounds):
        undecided = False
        valuations = instance.valuations
        for j, bound in knowledge.bounds.items():
            true = valuations[j]
            if bound is true or id(bound) in held[j]:
                continue  # exact knowledge of j (the bound is TV_j itself), or a bound checked already
            if _bids_below(true, bound):
                held[j].add(id(bound))  # (checked bid by bid)
                continue
            holds, where = bound_holds(instance, true, bound)
            if holds is False:
                tv = instance.valuations[j].value(where)
                return Correctness(
                    False,
                    f"TV_{players[j]}({_show(where, instance)}) = {show(tv, instance.scale)} < "
                    f"{show(bound.value(where), instance.scale)}, "
                    f"the lower bound {players[i]} holds",
                )
            if holds:
                held[j].add(id(bound))
            undecided |= holds is None
        for j, where in negative.items():  # a player left out has the bound 0 (README, "Instance files")
            if j != i and j not in knowledge.bounds:
                tv = instance.valuations[j].value(where)
                return Correctness(
                    False,
                    f"TV_{players[j]}({_show(where, instance)}) = {show(tv, instance.scale)} < 0, "
                    f"the bound {players[i]} holds by leaving {players[j]} out",
                )
        if undecided:
            return Correctness(None, too_big)
        return Correctness(True, "every lower bound is at most the true valuation")
    assert isinstance(knowledge, Candidates)
    undecided = False
    mismatches = []
    for k, profile in enumerate(knowledge.profiles):
        verdicts = []
        for j in range(instance.n):
            if j == i:
                continue
            same, where = same_valuation(instance, profile.get(j, ZERO), instance.valuations[j])
            verdicts.append(same)
            if same is False:
                mismatches.append(f"candidate {k} differs from TV_{players[j]} at {_show(where, instance)}")
                break
        if all(v is True for v in verdicts):
            return Correctness(True, f"candidate {k} is the true sub-profile")
        undecided |= None in verdicts and False not in verdicts
    if undecided:
        return Correctness(None, too_big)
    return Correctness(False, "no candidate is the true sub-profile: " + "; ".join(mismatches[:3]))
