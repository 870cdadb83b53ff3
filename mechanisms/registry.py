"""The papers' mechanisms by name: ``mechanisms.MECHANISMS``.

Importing it imports every mechanism; their names alone are in ``mechanisms.names``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from mechanisms.base import Mechanism
from mechanisms.best_belief import BEST_BELIEF, BEST_BELIEF_NORMAL
from mechanisms.budget_balanced import BUDGET_BALANCED
from mechanisms.collusion import COLLUSION_LEVERAGING
from mechanisms.naive import NAIVE
from mechanisms.perfect_revenue import PERFECT_REVENUE
from mechanisms.second_price import MIXED_SECOND_PRICE, SECOND_PRICE
from mechanisms.surviving import SURVIVING
from mechanisms.vcg import VCG

__all__ = ["MECHANISMS"]

# Read-only: a mechanism added or replaced here would change what every later command means.
MECHANISMS: Mapping[str, Mechanism] = MappingProxyType({
    m.name: m
    for m in (SURVIVING, COLLUSION_LEVERAGING, SECOND_PRICE, MIXED_SECOND_PRICE, PERFECT_REVENUE, BEST_BELIEF_NORMAL,
              BEST_BELIEF, VCG, BUDGET_BALANCED, *NAIVE)
})
"""Every mechanism of the papers by its name, in the order of ``mechanisms.names.MECHANISM_NAMES`` (read-only)."""
