"""The worked examples of docs/definitions.md with their exact numbers, each citing its source.

Gambit's tests/games.py style: one factory per example, the expected values next to it.
"""

from __future__ import annotations

from instances import Instance, load_instance
from tests.conftest import EXAMPLES


def seed004_example() -> Instance:
    """Seed 004 (Chen, Micali 2016) §3, the example after Definition 2: goods {1, 2}; theta_1({1})
    = 100, theta_2({2}) = 100, theta_3({1,2}) = 50; lower-bound beliefs as in the paper."""
    return load_instance(EXAMPLES / "seed004-example.json")


SEED004 = {
    "BB": {"p1": 25, "p2": 100, "p3": 150},  # seed 004 §3: "BB_1 = 25", "BB_2 = 100", "BB_3 = 150"
    "BB_max": 150,
    "MSW": 200,  # p1 gets {1}, p2 gets {2}
    "MSW_allocation": {"p1": ["1"], "p2": ["2"]},
    "MIKW": {"p1": 125, "p2": 180, "p3": 150},  # seed 000 Definition 3 applied to this instance
    "MKW": 180,
    "correct": {"p1": True, "p2": False, "p3": True},  # seed 004 §3: "Player 2's beliefs are incorrect"
}


def vcg_collusion() -> Instance:
    """Ausubel and Milgrom's two colluders (seed 000 §1.2, reason 2): p1 values {A, B} at 2,
    p2 and p3 value A and B at 0 and collude. MSW = 2."""
    return load_instance(EXAMPLES / "vcg-collusion.json")


def seed003_market() -> Instance:
    """Seed 003 market (§3.3; Appendix A, Definition 7): p1 endowed with a (worth 3 to p1), p2 values a at 10. The
    truthful outcome (seed 003 Definition 7) moves a to p2 with P*_2 = 10, P*_1 = -10."""
    return load_instance(EXAMPLES / "seed003-market.json")
