"""Valuation semantics (the representations table of docs/definitions.md), by hand and against the vectorised
evaluation used for knowledge correctness."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.correctness import all_values
from instances import Form, Valuation
from instances.synthetic import random_valuation

A, B, C = 0b001, 0b010, 0b100


@pytest.mark.parametrize(
    "form, bids, bundle, expected",
    [
        pytest.param(Form.EXPLICIT, ((A | B, 5),), A | B, 5, id="explicit-exact-bundle"),
        pytest.param(Form.EXPLICIT, ((A | B, 5),), A | B | C, 0, id="explicit-no-free-disposal"),
        pytest.param(Form.EXPLICIT, ((A | B, 5),), A, 0, id="explicit-subset"),
        pytest.param(Form.TABLE, ((A, 1), (A | C, 7)), A | C, 7, id="table-entry"),
        pytest.param(Form.XOR, ((A, 3), (A | B, 4)), A | B | C, 4, id="xor-best-bid-inside"),
        pytest.param(Form.XOR, ((A, 3), (B, 4)), A | B, 4, id="xor-one-bid-only"),
        pytest.param(Form.XOR, ((A | B, 4),), A, 0, id="xor-nothing-inside"),
        pytest.param(Form.OR, ((A, 3), (B, 4), (A | B, 6)), A | B, 7, id="or-packs-disjoint-bids"),
        pytest.param(Form.OR, ((A | B, 3), (B | C, 4)), A | B | C, 4, id="or-overlapping-bids"),
        pytest.param(Form.ADDITIVE, ((A, 2), (C, 5)), A | B | C, 7, id="additive-sum"),
        pytest.param(Form.SINGLE_MINDED, ((A | B, 9),), A | B | C, 9, id="single-minded-superset"),
        pytest.param(Form.SINGLE_MINDED, ((A | B, 9),), A, 0, id="single-minded-subset"),
        pytest.param(Form.XOR, ((A, 3),), 0, 0, id="empty-bundle-is-zero"),
    ],
)
def test_value_by_hand(form, bids, bundle, expected):
    assert Valuation(form, bids).value(bundle) == expected


@settings(max_examples=200)
@given(st.integers(0, 2**32), st.sampled_from(list(Form)), st.integers(1, 6), st.booleans())
def test_vectorised_values_match_definition(seed, form, m, negative):
    import random

    v = random_valuation(random.Random(seed), m, form, low=-10 if negative else 0, max_bids=6)
    table = all_values(v, m)
    assert [int(x) for x in table] == [v.value(s) for s in range(1 << m)]


@given(st.integers(0, 2**300))
def test_members_lists_the_set_bits_in_order(mask):
    from instances.bundles import mask_of, members

    assert list(members(mask)) == [k for k in range(mask.bit_length()) if mask >> k & 1]
    assert mask_of(members(mask)) == mask


@settings(max_examples=300)
@given(st.lists(st.tuples(st.integers(1, 2**8 - 1), st.integers(-3, 20)), min_size=1, max_size=10),
       st.integers(0, 2**8 - 1))
def test_or_value_is_the_best_packing_of_disjoint_bids(bids, bundle):
    from itertools import combinations

    best = 0
    for k in range(1, len(bids) + 1):
        for chosen in combinations(bids, k):
            union, total = 0, 0
            for b, v in chosen:
                if b & union or b & ~bundle:
                    break
                union, total = union | b, total + v
            else:
                best = max(best, total)
    assert Valuation(Form.OR, tuple(bids)).value(bundle) == best


@pytest.mark.parametrize("form", [Form.ADDITIVE, Form.OR])
def test_many_disjoint_bids_are_packed_at_once(form):
    # 1,200 goods of one good each, and an OR of 1,200 chained pairs: the earlier recursion over
    # (goods left, next bid) was exponential in the number of disjoint bids and passed Python's
    # recursion limit at about a thousand (a 24-good additive valuation took over 30 s)
    m = 1200
    if form is Form.ADDITIVE:
        bids = tuple((1 << g, g + 1) for g in range(m))
        expected = m * (m + 1) // 2
    else:  # pairs {g, g+1} worth 3 and singles worth 2: every single is better
        bids = tuple((3 << g, 3) for g in range(m - 1)) + tuple((1 << g, 2) for g in range(m))
        expected = 2 * m
    assert Valuation(form, bids).value((1 << m) - 1) == expected
