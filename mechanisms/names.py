"""The names of the papers' mechanisms, without importing them.

The command line offers them as ``--mechanism`` choices at every start, ``cabench --help``
included; importing the mechanisms themselves (``mechanisms.MECHANISMS``) imports the benchmarks
and the integer programs. ``tests/test_imports.py`` checks that the two lists agree.
"""

from __future__ import annotations

__all__ = ["MECHANISM_NAMES"]

MECHANISM_NAMES = ("surviving-strategies", "collusion-leveraging", "second-price-bundle", "mixed-second-price",
                   "perfect-revenue", "best-belief-normal", "best-belief", "vcg", "budget-balanced",
                   "naive-1", "naive-2", "naive-3", "naive-4")
"""The keys of ``mechanisms.MECHANISMS``, in its order."""
