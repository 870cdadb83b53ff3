"""``--players bidders`` on matching and scheduling has the shape of real CATS 2.1 files: the number
of bidders (players) for a number of bids, and how many bids each bidder has.

The CATS numbers come from files of the CATS 2.1 generator built from its source
(``cats -d DIST -goods M -bids B -seed S -n 1``), bidders counted as bids tied by a dummy good
(a bid without one is a bidder of its own):

- matching 40 / 200: bidders per file 35 33 33 29 30 (seeds 1-5), mean 31.7, sd 1.9, 28-35
  (seeds 1-40); every bidder has 1, 3, 6 or 10 bids (1: 161, 3: 213, 6: 412, 10: 483 over seeds
  1-40), so 13% of bidders have one bid and 38% have ten.
- matching 64 / 500: 64 59 63 58 60, mean 61.8, sd 2.3, 58-66; 3, 6 or 10 bids (3: 281, 6: 654,
  10: 1538): none has one bid, 62% have ten.
- scheduling 40 / 200: 7 8 7 7 7, mean 7.65, sd 1.0, 6-11 (seeds 1-300); 1% of bidders have one
  bid, 66% have 30 or more (up to 40); 5.4 goods per bid.
- scheduling 64 / 500: 10 10 11 9 13, mean 11.0, sd 1.1, 9-13 (seeds 1-40); 1% have one bid, 66%
  have 48 or more (up to 64); 5.3 goods per bid.

cabench before it followed CATS here gave matching 22-24 players at 40 / 200 and 53-56 at
64 / 500 (some with 4 or 9 bids, which CATS never has; 5% single-bid bidders at 40 / 200),
scheduling 9-14 and 15-19 (2.9 and 3.6 goods per bid), seeds 1-5. CATS files end with a whole
bidder, cabench's with as many bids of the last bidder as are still needed, so the bid counts
below leave the last player out.
"""

from __future__ import annotations

from collections import Counter

import pytest

from instances.generate import generate_instance

SEEDS = range(1, 6)


def _shape(distribution: str, goods: int, bids: int) -> tuple[list[int], Counter]:
    """Players per seed, and the bids-per-player histogram of every player but each file's last."""
    players, sizes = [], Counter()
    for seed in SEEDS:
        inst = generate_instance(distribution, goods, bids, None, seed)
        assert sum(len(v.bids) for v in inst.valuations) == bids
        players.append(inst.n)
        sizes.update(len(v.bids) for v in inst.valuations[:-1])
    return players, sizes


@pytest.mark.parametrize("distribution, goods, bids, low, high, mean_low, mean_high", [
    ("matching", 40, 200, 26, 38, 29.0, 35.0),  # CATS: mean 31.7, sd 1.9 (the mean of 5 seeds: sd 0.9)
    ("matching", 64, 500, 54, 70, 58.5, 65.5),  # CATS: mean 61.8, sd 2.3 (the mean of 5 seeds: sd 1.0)
    ("scheduling", 40, 200, 5, 11, 6.3, 9.0),  # CATS: mean 7.65, sd 1.0 (the mean of 5 seeds: sd 0.45)
    ("scheduling", 64, 500, 8, 14, 9.6, 12.6),  # CATS: mean 11.0, sd 1.1 (the mean of 5 seeds: sd 0.5)
])
def test_as_many_bidders_as_cats(distribution, goods, bids, low, high, mean_low, mean_high):
    players, _ = _shape(distribution, goods, bids)
    assert all(low <= n <= high for n in players), players
    assert mean_low <= sum(players) / len(players) <= mean_high, players


def test_matching_bidders_have_cats_triangular_bid_counts():
    """A CATS flight bids on every take-off / landing pair of its window: 10 pairs, or 6, 3 or 1
    when the day's first or last slot cuts the window; at 40 goods (10 slots) Chicago - New York
    takes 9 slots, so those flights have one bid each, on one of four bundles, and all but the
    first of each bundle are dominated away."""
    _, small = _shape("matching", 40, 200)
    assert set(small) <= {1, 3, 6, 10}, small
    total = sum(small.values())
    assert 0.06 <= small[1] / total <= 0.22, small  # CATS: 13%
    assert small[1] <= 4 * len(SEEDS), small  # four one-bid bundles, each kept once
    assert 0.25 <= small[10] / total <= 0.5, small  # CATS: 38%
    _, large = _shape("matching", 64, 500)
    assert set(large) <= {3, 6, 10}, large  # CATS: no one-bid flight at 16 slots
    assert 0.5 <= large[10] / sum(large.values()) <= 0.75, large  # CATS: 62%


@pytest.mark.parametrize("goods, bids", [(40, 200), (64, 500)])
def test_scheduling_bidders_bid_on_most_blocks_of_their_length(goods, bids):
    """A CATS job of L <= 10 slots bids on every block of L slots that ends by its last deadline,
    and its deadlines keep moving later with probability 0.7: most bidders have at least 3/4 m
    bids, few have one, and a bid has 5-6 slots on average."""
    _, sizes = _shape("scheduling", goods, bids)
    total = sum(sizes.values())
    assert sum(v for k, v in sizes.items() if k >= 0.75 * goods) / total >= 0.4, sizes  # CATS: 66%
    assert sizes[1] / total <= 0.1, sizes
    assert max(sizes) >= goods - 10, sizes  # CATS: 40 / 200 up to 40 bids, 64 / 500 up to 64
    slots = [bin(bundle).count("1") for seed in SEEDS
             for v in generate_instance("scheduling", goods, bids, None, seed).valuations for bundle, _ in v.bids]
    assert 4.5 <= sum(slots) / len(slots) <= 6.5  # CATS: 5.4 and 5.3 goods per bid
