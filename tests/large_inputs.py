"""Valid but large instance files (issue #15, part 5), written at test time because they are too
large to keep in the repository (a complete 20-good table is 5 MB per player).

* :func:`additive_tables`: complete 20-good ``table`` valuations of additive values written out in
  full (2^20 entries each): no bid strictly contains a bid worth as much, so nothing can be
  dropped before formulating.
* :func:`synergy_tables`: complete 20-good tables that are neither additive nor reducible.
* :func:`xor_players`: 2000 goods and 200 players with 5-10 XOR bids of 5-20 random goods each.

Run as a script to write them for measuring by hand::

    python -m tests.large_inputs DIR
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path


def additive_tables(players: int, goods: int = 20, seed: int = 0) -> str:
    """An instance whose players have additive values 1..1000 per good, each written as a
    complete table (entry k is the value of the bundle whose bit j is good j)."""
    rng = random.Random(seed)
    valuations = {f"p{i + 1}": {"table": _additive(rng, goods)} for i in range(players)}
    return json.dumps({"name": f"additive-tables-{goods}x{players}", "goods": [f"g{k + 1}" for k in range(goods)],
                       "players": list(valuations), "valuations": valuations}, separators=(",", ":"))


def _additive(rng: random.Random, goods: int) -> list[int]:
    """The complete table of additive values 1..1000 per good, drawn from ``rng``: each bundle is
    worth the bundle without its lowest good plus that good."""
    singles = [rng.randint(1, 1000) for _ in range(goods)]
    table = [0] * (1 << goods)
    for bundle in range(1, 1 << goods):
        lowest = bundle & -bundle
        table[bundle] = table[bundle ^ lowest] + singles[lowest.bit_length() - 1]
    return table


def synergy_tables(players: int, goods: int = 20, seed: int = 0) -> str:
    """Complete tables worth additive values 1..1000 per good plus |S|^2 (every larger bundle is
    worth more, and two disjoint bundles together more than apart): not additive, and no bid can
    be dropped."""
    rng = random.Random(seed)
    valuations = {}
    for i in range(players):
        table = _additive(rng, goods)
        for bundle in range(1, 1 << goods):
            table[bundle] += bundle.bit_count() ** 2
        valuations[f"p{i + 1}"] = {"table": table}
    return json.dumps({"name": f"synergy-tables-{goods}x{players}", "goods": [f"g{k + 1}" for k in range(goods)],
                       "players": list(valuations), "valuations": valuations}, separators=(",", ":"))


def xor_players(goods: int = 2000, players: int = 200, seed: int = 0) -> str:
    """Each player has 5-10 XOR bids of 5-20 distinct random goods, worth 1..1000 per good."""
    rng = random.Random(seed)
    names = [f"g{k + 1}" for k in range(goods)]
    valuations = {}
    for i in range(players):
        bids = []
        for _ in range(rng.randint(5, 10)):
            bundle = rng.sample(names, rng.randint(5, 20))
            bids.append([bundle, rng.randint(1, 1000) * len(bundle)])
        valuations[f"p{i + 1}"] = {"xor": bids}
    return json.dumps({"name": f"xor-{goods}x{players}", "goods": names, "players": list(valuations),
                       "valuations": valuations}, separators=(",", ":"))


def main(folder: str) -> None:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    (out / "additive-table-20x1.json").write_text(additive_tables(1))
    (out / "additive-table-20x2.json").write_text(additive_tables(2))
    (out / "synergy-table-20x2.json").write_text(synergy_tables(2))
    (out / "xor-2000x200.json").write_text(xor_players())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
