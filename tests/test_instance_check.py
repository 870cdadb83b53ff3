"""Instances built or changed in memory: checked against the file's rules before any program
(``instances.check``), and usable as Python values (hash, a short repr, results that pickle)."""

from __future__ import annotations

import dataclasses
import pickle
import random

import numpy as np
import pytest

import cabench
from instances import Candidates, Form, InputError, LowerBounds, Valuation, load_instance
from instances.check import _Checker, check_instance
from instances.generate import generate_instance
from tests.conftest import EXAMPLES

SEED004 = EXAMPLES / "seed004-example.json"
MARKET = EXAMPLES / "random-market.json"


def _replaced(path, **changes):
    return dataclasses.replace(load_instance(path), **changes)


def test_every_example_and_generated_instance_passes():
    for path in sorted(EXAMPLES.glob("*.json")):
        inst = load_instance(path)
        assert check_instance(inst) is inst, path
    for knowledge in ("exact", "noisy-lower:0.5", "wrong:0.3", "candidates:3"):
        inst = generate_instance("uniform", 6, 12, 5, 1, knowledge=knowledge, coalitions="pairs:2")
        assert check_instance(inst) is inst, knowledge


BAD = [
    (SEED004, {"coalitions": ((0, 7),)}, "coalitions[0][1]", "player 7 out of range; expected 0 to 2"),
    (SEED004, {"coalitions": ((1, 1),)}, "coalitions[0][1]", "already in this coalition"),
    (SEED004, {"coalitions": ((0, 1), (1, 2))}, "coalitions[1][0]", "already in coalitions[0]"),
    (SEED004, {"coalitions": ((0,),)}, "coalitions[0]", "two or more"),
    (SEED004, {"coalitions": ((0, True),)}, "coalitions[0][1]", "player True, a bool; expected an int"),
    (SEED004, {"coalitions": ((np.int64(0), np.int64(1)),)}, "coalitions[0][0]", "a int64; expected an int"),
    (SEED004, {"coalitions": [(0, 1)]}, "coalitions", "expected a tuple"),
    (SEED004, {"players": ("p1", "p2")}, "valuations", "3 items; expected a tuple of 2"),
    (SEED004, {"goods": ("a", "a")}, "goods[1]", "reads the same as goods[0]"),
    (SEED004, {"goods": ()}, "goods", "at least one"),
    (SEED004, {"players": ("p1", "", "p3")}, "players[1]", "non-empty str"),
    (SEED004, {"scale": 3}, "scale", "power of ten"),
    (SEED004, {"coalition_knowledge": "both"}, "coalition_knowledge", "expected one of"),
    (SEED004, {"name": None}, "name", "expected a str"),
    (SEED004, {"valuations": (Valuation(Form.XOR, ((4, 5),)),) * 3}, "valuations[0].bids[0][0]",
     "a non-empty bundle mask of the 2 goods"),
    (SEED004, {"valuations": (Valuation(Form.XOR, ((1, -5),)),) * 3}, "valuations[0].bids[0][1]",
     "negative values only in a market"),
    (SEED004, {"valuations": (Valuation(Form.XOR, ((1, 2.5),)),) * 3}, "valuations[0].bids[0][1]",
     "expected an int from 0 to 10^12"),
    (SEED004, {"valuations": (Valuation(Form.XOR, ((1, 10**13),)),) * 3}, "valuations[0].bids[0][1]",
     "10^12"),
    (SEED004, {"valuations": (Valuation(Form.EXPLICIT, ((1, 2), (1, 3))),) * 3}, "valuations[0].bids",
     "listed twice"),
    (SEED004, {"valuations": (Valuation(Form.SINGLE_MINDED, ((1, 2), (2, 3))),) * 3}, "valuations[0].bids",
     "exactly one"),
    (SEED004, {"valuations": (Valuation(Form.ADDITIVE, ((3, 2),)),) * 3}, "valuations[0].bids[0][0]",
     "one bid per good"),
    (SEED004, {"valuations": ("xor",) * 3}, "valuations[0]", "expected a Valuation"),
    (SEED004, {"valuations": (Valuation("xor", ((1, 2),)),) * 3}, "valuations[0].form",
     "'xor'; expected a Form, such as Form.XOR (Form('xor') if it is a form's name)"),
    (SEED004, {"valuations": (Valuation(Form.XOR, [(1, 2)]),) * 3}, "valuations[0].bids",
     "a list; expected a tuple of (bundle mask, value) pairs"),
    (SEED004, {"knowledge": (LowerBounds({0: Valuation(Form.XOR, ((1, 2),))}), None, None)}, "knowledge[0].bounds[0]",
     "knowledge about oneself"),
    (SEED004, {"knowledge": (LowerBounds({5: Valuation(Form.XOR, ((1, 2),))}), None, None)},
     "knowledge[0].bounds[5]", "out of range"),
    (SEED004, {"knowledge": (Candidates(()), None, None)}, "knowledge[0].profiles", "non-empty tuple"),
    (SEED004, {"knowledge": (Candidates(({1: Valuation(Form.XOR, ((8, 2),))},)), None, None)},
     "knowledge[0].profiles[0][1].bids[0][0]", "bundle mask"),
    (SEED004, {"knowledge": ({1: Valuation(Form.XOR, ((1, 2),))}, None, None)}, "knowledge[0]",
     "expected LowerBounds, Candidates or None"),
    (MARKET, {"endowment": (1, 1) + (0,) * 2}, "endowment", "expected a tuple of 3"),
]


@pytest.mark.parametrize(("path", "changes", "where", "what"), BAD, ids=[b[2] + ":" + b[3][:20] for b in BAD])
def test_a_broken_rule_is_named_by_its_attribute(path, changes, where, what):
    inst = _replaced(path, **changes)
    with pytest.raises(InputError) as caught:
        check_instance(inst)
    assert caught.value.path == where and what in caught.value.message, str(caught.value)
    repr(inst)
    assert str(caught.value).startswith(f'instance "{inst.name}": ' if isinstance(inst.name, str) else "instance: ")


def test_endowments_must_be_disjoint_and_inside_the_goods():
    inst = load_instance(MARKET)
    n, full = inst.n, inst.all_goods
    with pytest.raises(InputError, match=r"endowment\[1\]: a good already endowed"):
        check_instance(dataclasses.replace(inst, endowment=(1, 1) + (0,) * (n - 2)))
    with pytest.raises(InputError, match=r"endowment\[0\]: .*bundle mask"):
        check_instance(dataclasses.replace(inst, endowment=(full + 1,) + (0,) * (n - 1)))


def test_coalitions_come_back_in_the_loaders_order():
    inst = _replaced(SEED004, coalitions=((2, 0),))
    checked = check_instance(inst)
    assert checked.coalitions == ((0, 2),)
    assert checked == dataclasses.replace(inst, coalitions=((0, 2),))


def _mutations(inst, rng):
    """Instances with one bid of one valuation or bound broken, and where it is."""
    m = inst.m
    for bad_bid in ((0, 5), (1 << m, 5), (1, -1), (1, 2.0), (1, True), (True, 3), (1,), [1, 2]):
        k = rng.randrange(inst.n)
        known = inst.knowledge[k]
        if isinstance(known, LowerBounds) and known.bounds and rng.random() < 0.7:
            j = rng.choice(sorted(known.bounds))
            v = known.bounds[j]
            broken = Valuation(v.form, v.bids[:-1] + (bad_bid,))
            knowledge = list(inst.knowledge)
            knowledge[k] = LowerBounds({**known.bounds, j: broken})
            yield dataclasses.replace(inst, knowledge=tuple(knowledge)), f"knowledge[{k}].bounds[{j}].bids"
        else:
            v = inst.valuations[k]
            broken = Valuation(v.form, v.bids[:-1] + (bad_bid,))
            valuations = inst.valuations[:k] + (broken,) + inst.valuations[k + 1:]
            yield dataclasses.replace(inst, valuations=valuations), f"valuations[{k}].bids"


def test_the_bulk_check_never_passes_what_the_loops_refuse():
    """``_all_valid`` (no step per bid) says True only when the loops find nothing: every one
    bid broken, in a valuation or a bound, is named by the loops."""
    rng = random.Random(7)
    for seed in range(12):
        knowledge = ("noisy-lower:0.5", "exact", "wrong:0.3")[seed % 3]
        inst = generate_instance("uniform", 5, 10, 4, seed, knowledge=knowledge)
        assert _Checker(inst)._all_valid()
        for broken, where in _mutations(inst, rng):
            assert not _Checker(broken)._all_valid()
            with pytest.raises(InputError) as caught:
                check_instance(broken)
            assert caught.value.path.startswith(where), (caught.value.path, where)


def test_the_api_refuses_a_broken_instance_with_a_clear_error():
    """Each call of the API checks an instance it did not read (a coalition naming player
    index 7 of 3 ended in an IndexError inside a program's construction)."""
    broken = _replaced(SEED004, coalitions=((0, 7),))
    for call in (lambda: cabench.benchmarks(broken), lambda: cabench.evaluate(broken, "vcg"),
                 lambda: cabench.outcome(broken, "vcg", "p1"), lambda: cabench.deviate(broken, "vcg", "p1")):
        with pytest.raises(cabench.CabenchError, match=r"coalitions\[0\]\[1\]: player 7 out of range"):
            call()


def test_knowledge_changed_after_a_call_is_checked_at_the_next():
    """Each call checks the instance again: its knowledge is dicts, which may change after a
    call (a mark of the first check let a bound on player 7 of 3 through to an IndexError)."""
    inst = load_instance(SEED004)
    cabench.benchmarks(inst)
    inst.knowledge[0].bounds[7] = Valuation(Form.XOR, ((1, 2),))
    with pytest.raises(cabench.CabenchError, match=r"knowledge\[0\]\.bounds\[7\]: player 7 out of range"):
        cabench.benchmarks(inst)


def test_no_file_rule_is_skipped_in_memory():
    """What no file can hold is refused in memory too: a table over more than 20 goods (its 2^m
    entries), a name with a lone surrogate (writing it ended in a UnicodeEncodeError)."""
    inst = load_instance(SEED004)
    wide = dataclasses.replace(inst, goods=tuple(f"g{k}" for k in range(21)),
                               valuations=(Valuation(Form.TABLE, ((1, 3),)),) * 3, knowledge=(None,) * 3)
    with pytest.raises(InputError, match=r"valuations\[0\]: a table over 21 goods; tables hold at most 20"):
        check_instance(wide)
    with pytest.raises(InputError, match=r"players\[1\]: .* holds a lone surrogate"):
        check_instance(dataclasses.replace(inst, players=("p1", "p\ud800", "p3")))
    with pytest.raises(InputError, match=r"description: holds a lone surrogate"):
        check_instance(dataclasses.replace(inst, description="\udfff"))


def test_instances_and_reports_hash_and_print_on_one_line():
    a, b = load_instance(SEED004), load_instance(SEED004)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert hash(a) != hash(dataclasses.replace(a, coalitions=((0, 1),)))
    assert repr(a) == "<Instance 'seed-004-example': auction, 2 goods, 3 players, 3 bids, 3 with knowledge, 0 coalitions>"
    report = cabench.benchmarks(a)
    assert hash(report) == hash(cabench.benchmarks(b))
    assert repr(report) == "<Report of 'seed-004-example': MSW 200, 3 players, 3 agents, all proven>"
    big = generate_instance("uniform", 8, 500, None, 0, knowledge="noisy-lower:0.5")
    assert len(repr(big)) < 200
    repr(dataclasses.replace(a, valuations=("xor",) * 3))  # (a broken instance prints too, as a debugger shows it)


def test_the_apis_results_pickle():
    """Results hold their mechanism, which pickles by name (its rules are functions)."""
    evaluations = cabench.evaluate(SEED004)
    again = pickle.loads(pickle.dumps(evaluations))
    assert again.to_dict() == evaluations.to_dict()
    assert again.rows[0][0] is evaluations.rows[0][0]
    assert repr(evaluations).startswith("<Evaluations of 'seed-004-example', rational: surviving-strategies, ")
    announcement = cabench.outcome(SEED004, "best-belief", "p1")
    deviations = cabench.deviate(SEED004, "best-belief", "p1")
    for result in (announcement, deviations):
        assert pickle.loads(pickle.dumps(result)).to_dict() == result.to_dict()
    # one line each, as a notebook shows them (a CATS file's Deviations printed 10,689 characters)
    assert repr(announcement) == "<Announcement of 'p1' in best-belief on 'seed-004-example': announce>"
    families = len(deviations.rows)
    assert repr(deviations) == f"<Deviations of {{p1}} in best-belief on 'seed-004-example': {families} families>"
