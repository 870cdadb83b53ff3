"""The parent process's shortcuts on a file with knowledge about every other player (issue #16):
each one gives exactly what the plain way gives (values, objects, bytes), checked here on
random data and through the command."""

from __future__ import annotations

import dataclasses
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.knowledge import NOTHING
from benchmarks.table import Weights
from ilp import Weight
from ilp.compile import one_bid_each
from ilp.remote import PACKED_BIDS, pack_weights, received
from instances import Form, LowerBounds, Valuation, instance_text, load_instance, parse_instance
from instances.generate import generate_instance
from instances.loader import _STRING, _without_escaped_strings
from tests.conftest import run_cli

_texts = st.text(alphabet='ab[]{}"\\:,\u00e9\n', max_size=6)
_values = st.recursive(st.integers(-5, 5) | _texts,
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_texts, inner, max_size=3),
                       max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(_values, st.booleans())
def test_strings_with_escapes_are_dropped_as_the_whole_text_substitution_drops_them(value, ascii_only):
    """``instances.loader._without_escaped_strings`` rewrites only the strings from the first
    to the last holding a backslash, yet leaves no backslash, and the text outside strings is
    what ``_STRING.sub`` over the whole text leaves (so the depth check reads the same)."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    if "\\" not in text:
        return
    out = _without_escaped_strings(text)
    assert "\\" not in out
    assert _STRING.sub('""', out) == _STRING.sub('""', text)


def _valuation(rng: random.Random, form: Form) -> Valuation:
    bids = tuple((rng.randrange(1, 1 << 70), rng.choice([0, 1, 7, 10 ** 12])) for _ in range(rng.randrange(1, 4)))
    if form is Form.EXPLICIT:
        bids = tuple(dict(bids).items())
    return Valuation(form, bids)


@pytest.mark.parametrize("seed", range(20))
def test_packed_weights_are_the_weights_sent(seed):
    """A request's weights (``ilp.remote.pack_weights``: single valuations and minima of single
    bids as plain lists, the rest as objects) come back in the worker equal to what was sent,
    key by key: every form, bundles beyond 64 goods, weights of no option, minima and maxima of
    several valuations, minima of single bids sharing valuations or listing one twice."""
    rng = random.Random(seed)
    forms = [Form.XOR, Form.OR, Form.EXPLICIT, Form.SINGLE_MINDED, Form.ADDITIVE, Form.TABLE]
    shared = [Valuation(rng.choice((Form.XOR, Form.SINGLE_MINDED)), ((rng.randrange(1, 1 << 70), rng.randint(0, 9)),))
              for _ in range(4)]
    weights = {}
    for k in rng.sample(range(2, 10 ** 6), 40):
        kind = rng.randrange(5)
        one = _valuation(rng, rng.choice(forms))
        if kind == 0:
            weights[k] = Weight.of(one if rng.random() < 0.8 else Valuation(Form.XOR, tuple(
                (1 << g, g + 1) for g in range(PACKED_BIDS + 1))))
        elif kind == 1:
            weights[k] = Weight(())
        elif kind == 2:
            weights[k] = Weight.minimum((one, _valuation(rng, Form.XOR)))
        elif kind == 3:
            weights[k] = Weight.maximum((Weight.of(one), Weight.of(_valuation(rng, Form.OR))))
        else:  # a single-minded player's candidates: its truth (shared) among copies of one bid
            copies = [Valuation(Form.XOR, ((rng.randrange(1, 1 << 70), rng.randint(0, 9)),)) for _ in range(2)]
            option = [rng.choice(shared), *copies, rng.choice(shared + copies)]
            rng.shuffle(option)
            weights[k] = Weight.minimum(tuple(option))
    packed, others = pack_weights(weights)
    keys = packed.keys + packed.minimum_keys
    assert set(keys).isdisjoint(others) and len(keys) + len(others) == len(weights)
    assert all(len(w.options) != 1 or (len(w.options[0]) != 1 or len(w.options[0][0].bids) > PACKED_BIDS) and not (
        one_bid_each(w.options[0])) for w in others.values())
    assert len(packed.minimum_forms) < sum(len(weights[k].options[0]) for k in packed.minimum_keys)  # listed once
    back = received((packed, others))
    assert back == weights and list(back) != [] and set(back) == set(weights)
    assert len({id(v) for k in packed.minimum_keys for v in back[k].options[0]}) == len(packed.minimum_forms)


def test_bounds_read_again_are_one_object_and_exact_bounds_the_true_valuation():
    """The loader finds a bound read before by its plain (form, bids) without building it again:
    equal bounds of different players are one object, and a bound equal to the true valuation
    is that very object (exact knowledge is recognised by identity downstream)."""
    base = generate_instance("decay", 16, 12, None, 0)
    n = base.n
    shared = Valuation(Form.XOR, ((0b11, 1),))
    knowledge = tuple(LowerBounds({j: (base.valuations[j] if (i + j) % 2 else shared) for j in range(n) if j != i})
                      for i in range(n))
    inst = parse_instance(json.loads(instance_text(dataclasses.replace(base, knowledge=knowledge))))
    others = []
    for i, known in enumerate(inst.knowledge):
        assert len(known.bounds) == n - 1
        for j, bound in known.bounds.items():
            if (i + j) % 2:
                assert bound is inst.valuations[j]
            else:
                assert bound == shared
                others.append(bound)
    assert len(others) > n and len({id(bound) for bound in others}) == 1


@pytest.mark.parametrize("seed", range(6))
def test_rows_of_bounds_in_any_order_are_the_guaranteed_values(seed):
    """``Weights.row(i)`` (MIKW_i's weights) is (g^i_j)_j with TV_i at i whatever the order of
    player i's bounds, with players left out (bound 0), bounds worth 0, and repeated bounds."""
    rng = random.Random(seed)
    base = generate_instance("decay", 16, 9, None, seed, knowledge="noisy-lower:0.8")
    n = base.n
    zero = Valuation(Form.XOR, ((0b1, 0),))
    knowledge = []
    for i in range(n):
        bounds = dict(base.knowledge[i].bounds)
        if rng.random() < 0.5:
            for j in rng.sample(sorted(bounds), 2):
                del bounds[j]
        if rng.random() < 0.5 and bounds:
            bounds[rng.choice(sorted(bounds))] = zero
        if rng.random() < 0.5 and len(bounds) > 1:
            a, b = rng.sample(sorted(bounds), 2)
            bounds[a] = bounds[b]
        items = sorted(bounds.items())  # as read from a file; else in any order
        if rng.random() < 0.5:
            rng.shuffle(items)
        knowledge.append(LowerBounds(dict(items)))
    inst = dataclasses.replace(base, knowledge=tuple(knowledge))
    weights = Weights(inst)
    for i in range(n):
        row = weights.row(i)
        assert row[i] is weights.true[i]
        for j in range(n):
            if j != i:
                bound = inst.knowledge[i].bounds.get(j)
                expected = NOTHING if bound is None or bound.is_zero else Weight.of(bound)
                assert row[j] == expected


@pytest.mark.parametrize("distribution", ["weighted-random", "decay"])
def test_cli_json_is_the_same_bytes_with_one_two_and_three_jobs(tmp_path, distribution):
    """``cabench benchmarks FILE --json`` of a file with lower bounds about every other player
    writes the same bytes with 1, 2 and 3 worker processes (weights packed for the workers,
    restricted programs keyed by their known ids)."""
    path = tmp_path / "knowledge.json"
    path.write_text(instance_text(generate_instance(distribution, 12, 24, None, 3, knowledge="noisy-lower:0.8")))
    outputs = []
    for jobs in ("1", "2", "3"):
        done = run_cli("benchmarks", str(path), "--json", "--solver", "cpsat", "--jobs", jobs)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] == outputs[2]


@pytest.mark.parametrize("knowledge", ["noisy-lower:0.8", "wrong:0.3", "exact"])
def test_knowledge_verdicts_are_each_players_verdict(knowledge):
    """``knowledge_verdicts`` (each pair of player and bound checked once) gives every player's
    ``knowledge_correct``, verdict and reason, read back from a file (bounds shared by value)."""
    from benchmarks.correctness import knowledge_correct, knowledge_verdicts

    for seed in range(3):
        inst = parse_instance(json.loads(instance_text(generate_instance("decay", 12, 16, None, seed,
                                                                         knowledge=knowledge))))
        assert knowledge_verdicts(inst) == [knowledge_correct(inst, i) for i in range(inst.n)]


def test_a_bound_that_holds_for_one_player_is_checked_again_for_another():
    """One bound object on two players: it holds below the larger true valuation and not below
    the smaller, and every player holding it on both is found incorrect."""
    from benchmarks.correctness import knowledge_correct, knowledge_verdicts
    from instances import Instance

    big, small = Valuation(Form.XOR, ((0b1, 10),)), Valuation(Form.XOR, ((0b1, 2),))
    bound = Valuation(Form.XOR, ((0b1, 5),))
    n = 4
    knowledge = (None, None, LowerBounds({0: bound, 1: bound}), LowerBounds({0: bound, 1: bound, 2: small}))
    inst = Instance(name="shared-bound", goods=("a",), players=tuple(f"p{k}" for k in range(n)),
                    valuations=(big, small, small, small), knowledge=knowledge)
    verdicts = knowledge_verdicts(inst)
    assert verdicts == [knowledge_correct(inst, i) for i in range(n)]
    assert [v.correct for v in verdicts] == [True, True, False, False]


def test_the_knowledge_premise_scans_the_valuations_for_negative_bundles_once(monkeypatch):
    """A mechanism's knowledge premise (``Facts.knowledge_premise``) reads the players' verdicts
    one by one, sharing their common work: each valuation is scanned for a negative bundle once,
    not once per player (n^2 scans), and the scan stops at the first player whose knowledge is
    not correct, with the message it gave before."""
    from benchmarks import correctness
    from mechanisms.base import Facts

    scanned = []
    scan = correctness._negative_bundle
    monkeypatch.setattr(correctness, "_negative_bundle", lambda v: scanned.append(v) or scan(v))
    inst = generate_instance("decay", 12, 30, None, 0, knowledge="noisy-lower:0.8")
    assert Facts(inst).knowledge_premise("seed 000") is None
    assert len(scanned) == inst.n

    asked = []
    check = correctness._knowledge_correct
    monkeypatch.setattr(correctness, "_knowledge_correct",
                        lambda inst, i, *rest: asked.append(i) or check(inst, i, *rest))
    wrong = load_instance("instances/examples/seed004-example.json")
    assert Facts(wrong).knowledge_premise("seed 004") == (
        "seed 004 assumes every player's knowledge is correct; p2's is incorrect "
        "(TV_p3({2}) = 0 < 20, the lower bound p2 holds)")
    assert asked == [0, 1]


@pytest.mark.parametrize("coalitions", ["none", "pairs:2", "random:2:3"])
def test_agent_of_is_the_part_of_the_collusion_structure_holding_the_player(coalitions):
    """``agent_of`` reads the coalitions alone and gives each player's part of ``instance.agents``."""
    from mechanisms.base import agent_of

    inst = generate_instance("paths", 16, 40, 9, 1, coalitions=coalitions)
    for i in range(inst.n):
        assert agent_of(inst, i) == next(a for a in inst.agents if i in a)
