"""Knowledge correctness: exact on small instances (checked against the definition in
test_agreement), and decided by the proven shortcuts on instances far too large to enumerate."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import correctness, knowledge_correct
from benchmarks.correctness import ENUMERATION_LIMIT
from instances import ZERO, Candidates, Form, Instance, LowerBounds, Valuation
from instances.synthetic import random_instance
from tests import reference

M = 40  # 2^40 bundles: only the shortcuts can answer
assert M > ENUMERATION_LIMIT


def big(truth: Valuation, knowledge, m: int = M) -> Instance:
    """Two players: p1 with ``knowledge`` about p2, whose true valuation is ``truth``."""
    return Instance(
        name="big",
        goods=tuple(f"g{k}" for k in range(m)),
        players=("p1", "p2"),
        valuations=(ZERO, truth),
        knowledge=(knowledge, None),
    )


XOR_TRUTH = Valuation(Form.XOR, ((0b11, 10), (0b1100, 7), (1 << 39, 4)))
OR_TRUTH = Valuation(Form.OR, ((0b11, 10), (0b1100, 7)))
EXACT_TRUTH = Valuation(Form.EXPLICIT, ((0b11, 10),))


@pytest.mark.parametrize(
    "truth, bound, expected",
    [
        pytest.param(XOR_TRUTH, Valuation(Form.XOR, ((0b11, 9), (0b1111, 10))), True, id="xor-under-xor"),
        pytest.param(XOR_TRUTH, Valuation(Form.XOR, ((0b11, 11),)), False, id="xor-over-at-bid"),
        pytest.param(XOR_TRUTH, Valuation(Form.EXPLICIT, ((0b1100, 7), (0b111, 10))), True, id="explicit-under-xor"),
        pytest.param(XOR_TRUTH, Valuation(Form.SINGLE_MINDED, ((0b1111, 11),)), False, id="xor-not-additive"),
        pytest.param(OR_TRUTH, Valuation(Form.ADDITIVE, ((0b1, 5), (0b10, 5), (0b100, 7))), False, id="additive-over-or-at-single-good"),
        pytest.param(OR_TRUTH, Valuation(Form.OR, ((0b11, 9), (0b100, 0))), True, id="or-under-or"),
        pytest.param(OR_TRUTH, Valuation(Form.OR, ((0b11, 10), (0b1100, 7), (0b110000, 1))), False, id="or-extra-bid"),
        pytest.param(OR_TRUTH, Valuation(Form.XOR, ((0b1111, 17),)), True, id="xor-under-or-superadditive"),
        pytest.param(EXACT_TRUTH, Valuation(Form.XOR, ((0b11, 1),)), False, id="free-disposal-over-exact"),
        pytest.param(EXACT_TRUTH, Valuation(Form.EXPLICIT, ((0b11, 10),)), True, id="exact-under-exact"),
    ],
)
def test_lower_bounds_on_large_instances(truth, bound, expected):
    verdict = knowledge_correct(big(truth, LowerBounds({1: bound})), 0)
    assert verdict.correct is expected, verdict.reason


def test_violation_is_named_with_a_bundle():
    verdict = knowledge_correct(big(EXACT_TRUTH, LowerBounds({1: Valuation(Form.XOR, ((0b11, 1),))})), 0)
    assert verdict.correct is False
    assert "TV_p2({" in verdict.reason and "}) = 0 < 1" in verdict.reason


@pytest.mark.parametrize(
    "truth, candidate, expected",
    [
        pytest.param(XOR_TRUTH, XOR_TRUTH, True, id="same-xor"),
        pytest.param(XOR_TRUTH, Valuation(Form.XOR, XOR_TRUTH.bids + ((0b111, 5),)), True, id="xor-redundant-bid"),
        pytest.param(XOR_TRUTH, Valuation(Form.XOR, ((0b11, 10),)), False, id="xor-missing-bid"),
        pytest.param(OR_TRUTH, Valuation(Form.OR, OR_TRUTH.bids[::-1]), True, id="same-or-reordered"),
        pytest.param(EXACT_TRUTH, Valuation(Form.EXPLICIT, ((0b11, 10),)), True, id="same-explicit"),
        pytest.param(EXACT_TRUTH, Valuation(Form.XOR, ((0b11, 10),)), False, id="explicit-vs-xor"),
    ],
)
def test_candidates_on_large_instances(truth, candidate, expected):
    verdict = knowledge_correct(big(truth, Candidates(({1: candidate},))), 0)
    assert verdict.correct is expected, verdict.reason


def test_undecidable_within_limits_says_why():
    """An OR candidate against XOR truth that agree on every bid bundle and on all goods: no
    shortcut applies and 2^40 bundles are too many, so the answer is None with a reason."""
    truth = Valuation(Form.XOR, ((0b1, 5), (0b10, 5), (0b11, 10)))
    candidate = Valuation(Form.OR, ((0b1, 5), (0b10, 5)))
    verdict = knowledge_correct(big(truth, Candidates(({1: candidate},))), 0)
    assert verdict.correct is None
    assert "too many" in verdict.reason
    # the same pair on few goods is decided by enumeration (they are in fact equal)
    assert knowledge_correct(big(truth, Candidates(({1: candidate},)), m=4), 0).correct is True


def test_candidate_omitting_a_player_means_zero():
    inst = big(ZERO, Candidates(({},)))
    assert knowledge_correct(inst, 0).correct is True
    inst = big(XOR_TRUTH, Candidates(({},)))
    assert knowledge_correct(inst, 0).correct is False


@pytest.mark.parametrize("m", [4, M])
def test_lower_bounds_omitting_a_player_mean_zero(m):
    """Leaving a player out of one's lower bounds is the bound 0, which fails where the player's
    valuation is below 0 (markets): at a bid of an XOR valuation all of whose bids inside it are
    negative, at a negative entry of an explicit one, never for an OR one (the empty packing);
    decided without enumerating, on 40 goods too."""
    cases = [(Valuation(Form.SINGLE_MINDED, ((0b1, -5),)), 0b1),
             (Valuation(Form.XOR, ((0b11, 4), (0b100, -3))), 0b100),
             (Valuation(Form.XOR, ((0b11, -4), (0b1, 2))), None),  # {g1, g2}: the bid on g1 inside, worth 2
             (Valuation(Form.EXPLICIT, ((0b11, 4), (0b110, -1))), 0b110),
             (Valuation(Form.OR, ((0b11, -4), (0b1, 2))), None)]
    for truth, where in cases:
        verdict = knowledge_correct(big(truth, LowerBounds({}), m=m), 0)
        assert verdict.correct is (where is None), truth
        if where is not None:
            assert verdict.reason.startswith(f"TV_p2({{{', '.join(f'g{g}' for g in range(m) if where >> g & 1)}}})")
            assert verdict.reason.endswith("< 0, the bound p1 holds by leaving p2 out")
            # a listed bound below the valuation holds (on 40 goods no shortcut decides a negative one)
            stated = knowledge_correct(big(truth, LowerBounds({1: Valuation(Form.XOR, ((where, -10),))}), m=m), 0)
            assert stated.correct is (True if m <= ENUMERATION_LIMIT else None)


@settings(max_examples=1000)
@given(st.integers(0, 2**32))
def test_matches_the_definition_on_small_instances(seed):
    inst = random_instance(seed)
    for i in range(inst.n):
        assert knowledge_correct(inst, i).correct == reference.is_correct(inst, i)


@settings(max_examples=1000)
@given(st.integers(0, 2**32))
def test_shortcuts_alone_are_sound(seed):
    """With enumeration switched off, every answer the shortcuts give is still right."""
    inst = random_instance(seed)
    original = correctness.ENUMERATION_LIMIT
    correctness.ENUMERATION_LIMIT = -1
    try:
        verdicts = [knowledge_correct(inst, i).correct for i in range(inst.n)]
    finally:
        correctness.ENUMERATION_LIMIT = original
    for i, verdict in enumerate(verdicts):
        if verdict is not None:
            assert verdict == reference.is_correct(inst, i)
