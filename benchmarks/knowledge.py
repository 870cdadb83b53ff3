"""What players know about each other, as weights for the integer programs.

* guaranteed value g^i_j(S) = min over the valuations of j that i considers possible of V_j(S):
  for lower bounds simply L^i_j(S) (seed 000 §1.2, "guaranteed knowledge"), for candidates the
  minimum over the candidates (seed 001 Definition 3, seed 004 Definition 2);
* coalition knowledge g^C_j(S) = max over members i of C of g^i_j(S) (seed 000 Definition 1,
  the knowledge union K^C).
"""

from __future__ import annotations

from collections.abc import Iterable

from ilp import Weight
from instances import ZERO, Candidates, Instance, LowerBounds

NOTHING = Weight(())
"""The weight of a player about whom nothing is known: 0 on every bundle."""


def true_weight(instance: Instance, j: int) -> Weight:
    """TV_j as a weight."""
    return Weight.of(instance.valuations[j])


def guaranteed(instance: Instance, i: int, j: int) -> Weight:
    """g^i_j: the highest take-it-or-leave-it price for each bundle that i is sure j accepts
    (seed 001 §2 Definition 3; seed 004 §3 Definition 2; seed 000 §1.2)."""
    if i == j:
        return true_weight(instance, j)
    knowledge = instance.knowledge[i]
    if isinstance(knowledge, LowerBounds):
        bound = knowledge.bounds.get(j)
        return Weight.of(bound) if bound is not None else NOTHING
    if isinstance(knowledge, Candidates):
        return Weight.minimum(tuple(profile.get(j, ZERO) for profile in knowledge.profiles))
    return NOTHING


def coalition_guaranteed(instance: Instance, members: Iterable[int], j: int) -> Weight:
    """g^C_j = max over i in C of g^i_j (seed 000 §1.2 Definition 1); TV_j when j is in C."""
    members = tuple(members)
    if j in members:
        return true_weight(instance, j)
    return Weight.maximum(tuple(guaranteed(instance, i, j) for i in members))
