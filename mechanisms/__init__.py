"""Mechanisms of the papers as games, their rational strategies, deviations and exact evaluation.

The library's top layer (instances -> ilp -> benchmarks -> mechanisms), under the ``cabench``
application package. Its names are imported on first use (``instances.lazy``).
"""

from instances.lazy import lazy_exports

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

__getattr__, __dir__ = lazy_exports(__name__, {
    "mechanisms.base": ("Deviation", "Evaluation", "Facts", "Guarantee", "Mechanism", "ParameterError", "agent_of",
                        "evaluate"),
    "mechanisms.registry": ("MECHANISMS",),
})
