"""What players know about each other, as weights for the integer programs.

* guaranteed value g^i_j(S) = min over the valuations of j that i considers possible of V_j(S):
  for lower bounds simply L^i_j(S) (seed 000 §1.2, "guaranteed knowledge"), for candidates the
  minimum over the candidates (seed 001 Definition 3, seed 004 Definition 2);
* coalition knowledge g^C_j(S), in one of two readings (``Instance.coalition_knowledge``):

  ``bounds`` (the default): g^C_j = max over members i of C of g^i_j. This is seed 000
  Definition 1 (the knowledge union K^C of lower bounds) applied to the lower bound that each
  member's knowledge implies. Seed 000 defines pooling for lower bounds only; this reading
  needs nothing beyond that definition, is never lower than what any single member can
  guarantee alone, and stays safe when some member's knowledge is incorrect.

  ``sets``: the members pool their candidate sets into one set of possible outsider profiles,
  the agent's external knowledge EK_A of seed 000 Definitions 5 and 6 (a set of valuation
  sub-profiles, over which RK_A quantifies); a coalition knows its own members' valuations. A member's candidate survives only if it gives every
  partner its true valuation, and the outsiders' part of it is also possible for every other
  member with candidate knowledge; g^C_j is the minimum of V_j over the surviving outsider
  profiles (and at least every lower bound a member holds). It is never lower than ``bounds``
  and can be much higher: with one good worth 10 to p1 and 1 to p2 and p3, p2's candidates
  [{p1: 10, p3: 1}, {p3: 7}] and p3's [{p1: 10, p2: 1}, {p2: 8}], MKW_{p2,p3} is 1 under
  ``bounds`` and 10 under ``sets``. It relies on the members' candidate sets containing the
  truth: when no candidate survives (their knowledge contradicts itself) it falls back to
  ``bounds``, and a comparison of two valuations that cannot be decided exactly (over 20 goods
  with no shortcut, see ``benchmarks.correctness``) keeps the candidate, the cautious side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from benchmarks.correctness import same_valuation
from ilp import Weight
from instances import ZERO, Candidates, Instance, LowerBounds, Valuation

__all__ = ["NOTHING", "coalition_guaranteed", "guaranteed", "guaranteed_row", "pooled_candidates", "true_weight"]

NOTHING = Weight(())
"""The weight of a player about whom nothing is known: 0 on every bundle."""


def true_weight(instance: Instance, j: int) -> Weight:
    """TV_j as a weight (the true valuation of seed 000 §2, "Combinatorial Auctions"; the profile
    TV is item 1 of Definition 5).

    Parameters
    ----------
    instance : Instance
        The instance.
    j : int
        Index of the player.

    Returns
    -------
    Weight

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from benchmarks import true_weight
    >>> true_weight(inst, 2).value(0b11), true_weight(inst, 2).value(0b01)
    (50, 0)
    """
    return Weight.of(instance.valuations[j])


def guaranteed(instance: Instance, i: int, j: int) -> Weight:
    """g^i_j: the highest take-it-or-leave-it price for each bundle that i is sure j accepts
    (seed 001 §2 Definition 3; seed 004 §3 Definition 2; for lower bounds it is K^i_j(S), the
    guaranteed knowledge of seed 000 §1.2).

    Parameters
    ----------
    instance : Instance
        The instance.
    i : int
        Index of the player who knows.
    j : int
        Index of the other player (j != i).

    Returns
    -------
    Weight
        ``value(bundle)`` gives g^i_j of a bundle (a bitmask over ``instance.goods``); 0 everywhere
        when i knows nothing about j.

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from benchmarks import guaranteed
    >>> guaranteed(inst, 2, 0).value(0b01)  # p3 is sure p1 pays 80 for good "1"
    80
    >>> guaranteed(inst, 2, 0).value(0b10)
    0
    """
    if i == j:
        return true_weight(instance, j)
    knowledge = instance.knowledge[i]
    if isinstance(knowledge, LowerBounds):
        bound = knowledge.bounds.get(j)
        return Weight.of(bound) if bound is not None else NOTHING
    if isinstance(knowledge, Candidates):
        return Weight.minimum(tuple(profile.get(j, ZERO) for profile in knowledge.profiles))
    return NOTHING


def guaranteed_row(instance: Instance, i: int, made: dict[int, Weight] | None = None) -> tuple[Weight, ...]:
    """(g^i_1, ..., TV_i, ..., g^i_n): :func:`guaranteed` of every player, TV_i at position i, the
    weights of MIKW_i (seed 000 Definition 3); equal to them weight by weight.

    ``made`` (the id of a valuation -> its weight, kept by the caller over several rows of one
    instance) builds each bound's and each true valuation's weight once: rows of lower bounds
    and exact knowledge that are equal are then made of the same objects, and n such rows cost
    n^2 lookups, not n^2 weights (a mechanism asks for MIEW_i of every player:
    ``benchmarks.external.miew_requests``). A candidate set's g^i_j is a minimum made per row.

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> row = guaranteed_row(inst, 2)
    >>> row == tuple(guaranteed(inst, 2, j) for j in range(inst.n))
    True
    """
    made = {} if made is None else made

    def weight_of(valuation: Valuation) -> Weight:
        weight = made.get(id(valuation))
        if weight is None:
            weight = made[id(valuation)] = Weight.of(valuation)
        return weight

    knowledge = instance.knowledge[i]
    if isinstance(knowledge, LowerBounds):
        bounds = knowledge.bounds
        row = [NOTHING if (bound := bounds.get(j)) is None else weight_of(bound) for j in range(instance.n)]
    elif isinstance(knowledge, Candidates):
        row = [guaranteed(instance, i, j) for j in range(instance.n)]
    else:
        row = [NOTHING] * instance.n
    row[i] = weight_of(instance.valuations[i])
    return tuple(row)


def coalition_guaranteed(instance: Instance, members: Iterable[int], j: int) -> Weight:
    """g^C_j, the guaranteed value of j known to coalition C; TV_j when j is in C (K^C_j(S) of
    seed 000 §1.2 Definition 1, in the reading ``instance.coalition_knowledge``: see the module
    docstring).

    Parameters
    ----------
    instance : Instance
        The instance.
    members : iterable of int
        Indices of the members of C.
    j : int
        Index of any player.

    Returns
    -------
    Weight
        ``value(bundle)`` gives g^C_j of a bundle (a bitmask over ``instance.goods``).

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from benchmarks import coalition_guaranteed
    >>> coalition_guaranteed(inst, [0, 2], 1).value(0b10)  # max(25 from p1, 70 from p3)
    70
    """
    members = tuple(members)
    if j in members:
        return true_weight(instance, j)
    union = Weight.maximum(tuple(guaranteed(instance, i, j) for i in members))
    if instance.coalition_knowledge == "bounds" or len(members) < 2:
        return union
    if instance.coalition_knowledge != "sets":
        raise ValueError(f"unknown coalition knowledge reading {instance.coalition_knowledge!r}")
    pooled = pooled_candidates(instance, members)
    if not pooled:
        return union  # no member holds candidates, or their candidates contradict each other
    held = tuple(guaranteed(instance, i, j) for i in members if isinstance(instance.knowledge[i], LowerBounds))
    return Weight.maximum((Weight.minimum(tuple(profile[j] for profile in pooled)),) + held)


def pooled_candidates(instance: Instance, members: Sequence[int]) -> list[Mapping[int, Valuation]]:
    """The outsiders' sub-profiles that every member with candidate knowledge thinks possible,
    given the partners' true valuations (the ``sets`` reading): the agent's external knowledge
    EK_A of seed 000 Definition 5 (item 3), over which Definition 6 defines RK_A. Empty if no
    member holds candidates or no candidate survives."""
    outsiders = [j for j in range(instance.n) if j not in members]

    def possible(a: Valuation, b: Valuation) -> bool:
        return same_valuation(instance, a, b)[0] is not False  # undecided: keep (cautious)

    surviving: list[list[dict[int, Valuation]]] = []
    for i in members:
        knowledge = instance.knowledge[i]
        if not isinstance(knowledge, Candidates):
            continue
        kept = [
            {j: profile.get(j, ZERO) for j in outsiders}
            for profile in knowledge.profiles
            if all(possible(profile.get(k, ZERO), instance.valuations[k]) for k in members if k != i)
        ]
        surviving.append(kept)
    if not surviving:
        return []
    first, others = surviving[0], surviving[1:]
    return [
        profile for profile in first
        if all(any(all(possible(profile[j], other[j]) for j in outsiders) for other in kept) for kept in others)
    ]
