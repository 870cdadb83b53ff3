"""Mechanisms of the papers as games, their rational strategies, deviations and exact evaluation.

Top layer of cabench (instances -> ilp -> benchmarks -> mechanisms).
"""

from mechanisms.base import Deviation, Evaluation, Facts, Guarantee, Mechanism, ParameterError, agent_of, evaluate
from mechanisms.best_belief import BEST_BELIEF, BEST_BELIEF_NORMAL
from mechanisms.budget_balanced import BUDGET_BALANCED
from mechanisms.collusion import COLLUSION_LEVERAGING
from mechanisms.naive import NAIVE
from mechanisms.perfect_revenue import PERFECT_REVENUE
from mechanisms.second_price import MIXED_SECOND_PRICE, SECOND_PRICE
from mechanisms.surviving import SURVIVING
from mechanisms.vcg import VCG

MECHANISMS: dict[str, Mechanism] = {
    m.name: m
    for m in (SURVIVING, COLLUSION_LEVERAGING, SECOND_PRICE, MIXED_SECOND_PRICE, PERFECT_REVENUE, BEST_BELIEF_NORMAL,
              BEST_BELIEF, VCG,
              BUDGET_BALANCED, *NAIVE)
}

__all__ = [
    "MECHANISMS",
    "Deviation",
    "Evaluation",
    "Facts",
    "Guarantee",
    "Mechanism",
    "ParameterError",
    "agent_of",
    "evaluate",
]
