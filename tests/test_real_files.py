"""Real instance files: repeated bundles in bid lists, knowledge drawn for any instance
(``annotate``), CATS files with decimal prices (exact scale, round trip, the generator's own
optimum), standard input and names given on the command line."""

from __future__ import annotations

import dataclasses
import io
import json
import random
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from benchmarks import compute_report
from benchmarks.correctness import all_values, bound_holds
from benchmarks.welfare import msw
from ilp import SolveOptions
from instances import (
    Candidates,
    Form,
    InputError,
    Instance,
    LowerBounds,
    Valuation,
    annotate,
    instance_text,
    load_instance,
    parse_instance,
)
from instances.cats import read_cats, write_cats
from instances.knowledge_models import SpecError
from instances.synthetic import random_instance, random_valuation
from instances.units import decimal, show
from tests import reference
from tests.conftest import EXAMPLES, run_cli
from tests.test_agreement import check_report, matches_reference

CATS = Path(__file__).parent / "data" / "cats"
EXPECTED = json.loads((CATS / "expected.json").read_text())
BID_FORMS = (Form.XOR, Form.OR)


# --- repeated bundles ------------------------------------------------------------------------


def with_repeats(rng: random.Random, v: Valuation) -> Valuation:
    """``v`` with some of its bids repeated at other values and positions (xor and or only)."""
    if v.form not in BID_FORMS or not v.bids:
        return v
    bids = list(v.bids)
    for _ in range(rng.randint(1, 3)):
        bundle, value = rng.choice(bids)
        low = min(0, value)
        bids.insert(rng.randint(0, len(bids)), (bundle, rng.randint(low, max(value + 10, low))))
    return Valuation(v.form, tuple(bids))


def repeated_instance(seed: int) -> Instance:
    """A small random instance (every valuation form, both knowledge forms, coalitions, markets)
    whose xor and or lists repeat bundles, in true valuations, lower bounds and candidates."""
    rng = random.Random(seed)
    while True:
        inst = random_instance(seed)
        if (inst.n + 1) ** inst.m <= reference.MAX_ALLOCATIONS:
            break
        seed += 10**6
    truth = tuple(with_repeats(rng, v) for v in inst.valuations)
    knowledge = []
    for k in inst.knowledge:
        if isinstance(k, LowerBounds):
            k = LowerBounds({j: with_repeats(rng, v) for j, v in k.bounds.items()})
        elif isinstance(k, Candidates):
            k = Candidates(tuple({j: with_repeats(rng, v) for j, v in p.items()} for p in k.profiles))
        knowledge.append(k)
    return dataclasses.replace(inst, valuations=truth, knowledge=tuple(knowledge))


def deduplicated(v: Valuation) -> dict[int, int]:
    best: dict[int, int] = {}
    for bundle, value in v.bids:
        best[bundle] = max(value, best.get(bundle, value))
    return best


@pytest.mark.parametrize("form", BID_FORMS)
@pytest.mark.parametrize("seed", range(40))
def test_a_repeated_bundle_counts_with_its_best_bid(form, seed):
    """XOR: the maximum of the bids inside S; OR: equal bundles are not disjoint, so one of them.
    Both equal the list with each bundle once at its best value, on every bundle, and agree with
    the vectorised evaluation used for knowledge correctness."""
    rng = random.Random(seed)
    m = rng.randint(1, 5)
    v = with_repeats(rng, random_valuation(rng, m, form, max_bids=5))
    once = Valuation(form, tuple(deduplicated(v).items()))
    table = all_values(v, m)
    for s in range(1 << m):
        assert v.value(s) == once.value(s) == table[s]


def _repeated_bundles_match_the_reference(solver: str, examples: int):
    """A hypothesis test: ``solver``'s report on random instances with repeated bundles equals
    the naive reference."""
    return matches_reference(repeated_instance, solver, examples, deadline=None)


# By default 40 instances each (13 s of CPU each for 120, 2026-12-02; every form meets repeats
# within far fewer, see test_every_form_meets_repeated_bundles); ``pytest -m slow`` runs 120.
test_repeated_bundles_match_the_reference_cpsat = _repeated_bundles_match_the_reference("cpsat", 40)
test_repeated_bundles_match_the_reference_brute = _repeated_bundles_match_the_reference("brute", 40)
test_repeated_bundles_match_the_reference_cpsat_many = pytest.mark.slow(
    _repeated_bundles_match_the_reference("cpsat", 120))
test_repeated_bundles_match_the_reference_brute_many = pytest.mark.slow(
    _repeated_bundles_match_the_reference("brute", 120))


@pytest.mark.parametrize("solver", ["cbc", "scip", "highs"])
@pytest.mark.parametrize("seed", range(12))
def test_repeated_bundles_match_the_reference_other_backends(solver, seed):
    inst = repeated_instance(seed)
    check_report(inst, compute_report(inst, solver))


def test_every_form_meets_repeated_bundles():
    """The random instances above cover every valuation form, and repeats in truth and knowledge."""
    forms, repeats = set(), Counter()
    for seed in range(300):
        inst = repeated_instance(seed)
        forms |= {v.form for v in inst.valuations}
        for v in inst.valuations:
            repeats["truth"] += len(v.bids) > len(deduplicated(v))
        for k in inst.knowledge:
            values = k.bounds.values() if isinstance(k, LowerBounds) else (
                [v for p in k.profiles for v in p.values()] if isinstance(k, Candidates) else [])
            repeats[type(k).__name__] += any(len(v.bids) > len(deduplicated(v)) for v in values)
    assert forms == set(Form)
    assert all(repeats[key] > 0 for key in ("truth", "LowerBounds", "Candidates"))


def test_files_keep_repeated_bundles_as_written():
    data = {
        "goods": ["a", "b"], "players": ["p", "q"],
        "valuations": {"p": {"xor": [[["a"], 5], [["a", "b"], 9], [["a"], 7]]},
                       "q": {"or": [[["b"], 4], [["b"], 6], [["a"], 1]]}},
        "knowledge": {"p": {"lower_bounds": {"q": {"or": [[["b"], 3], [["b"], 2]]}}}},
    }
    inst = parse_instance(data)
    assert inst.valuations[0].bids == ((0b01, 5), (0b11, 9), (0b01, 7))
    assert inst.valuations[0].value(0b01) == 7 and inst.valuations[1].value(0b11) == 7
    assert json.loads(instance_text(inst))["valuations"] == data["valuations"]
    assert json.loads(instance_text(inst))["knowledge"] == data["knowledge"]
    report = compute_report(inst, SolveOptions("cpsat", jobs=1))
    assert report.msw.value == 13  # p <- {a} at its larger bid 7, q <- {b} at its larger bid 6
    assert report.players[0].miew.value == 3  # p can sell {b} to q for 3 (the larger repeat)


def test_explicit_valuations_still_list_each_bundle_once():
    data = {"goods": ["a"], "players": ["p"], "valuations": {"p": {"explicit": [[["a"], 5], [["a"], 7]]}}}
    with pytest.raises(InputError, match=r"valuations\.p\.explicit\[1\]\[0\]: .*an explicit valuation lists each bundle once"):
        parse_instance(data, source="x.json")


# --- knowledge models (annotate) ---------------------------------------------------------------


def plain(seed: int, form: Form, market: bool = False) -> Instance:
    """A random instance of one valuation form, without knowledge or coalitions."""
    return random_instance(seed, forms=(form,), knowledge=("none",), coalitions=False, market=market,
                           goods=random.Random(seed).randint(2, 5), players=3)


@pytest.mark.parametrize("market", [False, True], ids=["auction", "market"])
@pytest.mark.parametrize("form", list(Form), ids=lambda f: f.value)
def test_annotate_draws_valid_knowledge_for_every_form(form, market):
    for seed in range(6):
        inst = plain(seed, form, market)
        assert all(v.form is form for v in inst.valuations)
        for spec in ("exact", "noisy-lower:0.5", "candidates:3", "wrong:1"):
            out = annotate(inst, spec, seed=seed)
            parse_instance(json.loads(instance_text(out)))  # a valid file
            assert out.valuations == inst.valuations and out.endowment == inst.endowment
            for i, k in enumerate(out.knowledge):
                others = [j for j in range(inst.n) if j != i]
                if spec == "candidates:3":
                    assert isinstance(k, Candidates) and len(k.profiles) == 3
                    assert {j: inst.valuations[j] for j in others} in [dict(p) for p in k.profiles]
                    assert reference.is_correct(out, i)
                    continue
                assert isinstance(k, LowerBounds) and sorted(k.bounds) == others
                for j in others:
                    assert k.bounds[j].form is form
                    if spec == "exact":
                        assert k.bounds[j] == inst.valuations[j]
                    if spec != "wrong:1":  # never above the truth, on every bundle
                        truth = all_values(inst.valuations[j], inst.m)
                        assert (all_values(k.bounds[j], inst.m) <= truth).all()
                        assert bound_holds(inst, inst.valuations[j], k.bounds[j]) == (True, None)


def test_noisy_lower_bounds_are_between_f_and_1_of_each_bid():
    inst = plain(3, Form.XOR)
    out = annotate(inst, "noisy-lower:0.9", seed=2)
    for i, k in enumerate(out.knowledge):
        for j, bound in k.bounds.items():
            truth = dict(inst.valuations[j].bids)
            for bundle, value in bound.bids:
                assert int(truth[bundle] * 0.9) <= value <= truth[bundle]


def test_wrong_knowledge_is_incorrect_somewhere():
    seen_wrong = False
    for seed in range(10):
        out = annotate(plain(seed, Form.XOR), "wrong:1", seed=seed)
        seen_wrong |= not all(reference.is_correct(out, i) for i in range(out.n))
    assert seen_wrong


def test_annotate_is_deterministic_and_seeded():
    inst = load_instance(EXAMPLES / "random-coalitions.json")
    inst = dataclasses.replace(inst, knowledge=(None,) * inst.n, coalitions=())
    a = instance_text(annotate(inst, "noisy-lower:0.7", "pairs:1", seed=5))
    assert a == instance_text(annotate(inst, "noisy-lower:0.7", "pairs:1", seed=5))
    assert a != instance_text(annotate(inst, "noisy-lower:0.7", "pairs:1", seed=6))
    # knowledge and coalitions draw from separate streams
    assert annotate(inst, "noisy-lower:0.7", seed=5).knowledge == annotate(inst, "noisy-lower:0.7", "pairs:1", seed=5).knowledge


def test_annotate_replaces_only_when_asked():
    inst = load_instance(EXAMPLES / "seed004-example.json")
    with pytest.raises(SpecError, match="already has knowledge; pass --replace"):
        annotate(inst, "exact")
    assert annotate(inst, "none", replace=True).knowledge == (None,) * inst.n
    coalitions = load_instance(EXAMPLES / "random-coalitions.json")
    with pytest.raises(SpecError, match="already has coalitions"):
        annotate(coalitions, coalitions="none")
    assert annotate(inst, coalitions="pairs:1").knowledge == inst.knowledge  # knowledge kept


def test_knowledge_too_large_to_hold_is_refused_with_the_reason():
    inst = Instance("big", ("a",), tuple(f"p{k}" for k in range(3000)),
                    (Valuation(Form.XOR, ((1, 1),)),) * 3000, (None,) * 3000)
    with pytest.raises(SpecError, match=r"--knowledge noisy-lower:0.5: every player would hold 1 copy of the other "
                                         r"2999 players' xor valuations, 8997000 values in all, above the limit"):
        annotate(inst, "noisy-lower:0.5")
    with pytest.raises(SpecError, match=r"--knowledge exact: every player would hold the other 2999 players' true "
                                         r"valuations \(shared, not copied\), 8997000 entries in all, above the limit"):
        annotate(inst, "exact")


def test_exact_knowledge_is_counted_by_pairs_of_players_not_by_values():
    """Exact knowledge shares the true valuations (a file says ``{"exact": true}``): 300 players
    of 100 bids each were refused as 8,970,000 values to copy."""
    bids = tuple((1 << g, 1 + g) for g in range(100))
    inst = Instance("wide", tuple(f"g{g}" for g in range(100)), tuple(f"p{k}" for k in range(300)),
                    (Valuation(Form.XOR, bids),) * 300, (None,) * 300)
    known = annotate(inst, "exact").knowledge
    assert all(known[i].bounds[j] is inst.valuations[j] for i in (0, 299) for j in range(300) if j != i)
    with pytest.raises(SpecError, match="8970000 values in all"):
        annotate(inst, "noisy-lower:0.5")


def test_annotate_cli_is_byte_identical_and_guards_existing_knowledge(tmp_path):
    source = str(EXAMPLES / "vcg-collusion.json")
    args = ["annotate", source, "--knowledge", "candidates:2", "--seed", "3"]
    first, second = run_cli(*args), run_cli(*args)
    assert first.returncode == 0 and first.stdout == second.stdout
    assert len(json.loads(first.stdout)["knowledge"]["p1"]["candidates"]) == 2
    out = tmp_path / "k.json"
    assert run_cli(*args, "-o", str(out)).returncode == 0 and out.read_text() == first.stdout
    again = run_cli("annotate", str(out), "--knowledge", "exact")
    assert again.returncode == 2 and again.stdout == "" and again.stderr.count("\n") == 1
    assert "already has knowledge; pass --replace" in again.stderr
    replaced = run_cli("annotate", str(out), "--knowledge", "exact", "--replace")
    assert replaced.returncode == 0 and '"exact": true' in replaced.stdout
    for bad, message in ((["--knowledge", "noisy-lower:0"], 'cannot read "noisy-lower:0"'),
                         (["--coalitions", "pairs:5"], "do not fit among"),
                         ([], "nothing to draw")):
        result = run_cli("annotate", source, *bad)
        assert result.returncode == 2 and message in result.stderr and result.stderr.count("\n") == 1


# --- CATS files with decimal prices ------------------------------------------------------------


# files whose header undercounts the real goods (see test_cats_paths_real_good_beyond_the_header)
REAL_GOODS = {"paths-40-200-0000.txt": 41}


def cats_bids(text: str, goods: int | None = None) -> list[tuple[Decimal, tuple[int, ...]]]:
    """(price, real goods) of every bid line of a CATS text (goods below ``goods``, by default
    the header's count)."""
    goods = goods or int(next(line.split()[1] for line in text.splitlines() if line.startswith("goods")))
    bids = []
    for line in text.splitlines():
        words = line.split()
        if words and words[-1] == "#":
            bids.append((Decimal(words[1]), tuple(sorted(int(g) for g in words[2:-1] if int(g) < goods))))
    return bids


@pytest.mark.filterwarnings("ignore::instances.cats.GoodsBeyondHeader")
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cats_import_gives_the_generators_own_optimum_exactly(name):
    """MSW of every real CATS sample equals the optimum of CATS's own LP model, to the last digit."""
    inst = read_cats(CATS / name)
    value = msw(inst, options="cpsat").require()
    assert decimal(value, inst.scale) == Decimal(EXPECTED[name])
    assert Decimal(show(value, inst.scale)) == Decimal(EXPECTED[name])


@pytest.mark.filterwarnings("ignore::instances.cats.GoodsBeyondHeader")
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cats_import_picks_the_smallest_power_of_ten(name):
    text = (CATS / name).read_text()
    prices = [price for price, _ in cats_bids(text)]
    inst = read_cats(CATS / name)
    digits = max(-p.as_tuple().exponent for p in prices)
    assert inst.scale == 10 ** max(digits, 0)
    assert all((p * inst.scale) == int(p * inst.scale) for p in prices)


@pytest.mark.filterwarnings("ignore::instances.cats.GoodsBeyondHeader")  # (the paths file: tested below)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cats_export_of_an_import_has_exactly_the_files_prices(name):
    text = (CATS / name).read_text()
    back = write_cats(read_cats(CATS / name))
    # every bid, with its real goods and exact price (bidders may be renumbered)
    assert Counter(cats_bids(back)) == Counter(cats_bids(text, REAL_GOODS.get(name)))


def test_cats_paths_real_good_beyond_the_header():
    """The header says 40 goods, but good 40 is a road (CATS 2.1's paths generator took one more
    than asked): bids 80 (goods 1, 40 and dummy 58), 88 and 172 (good 40 alone) and 194 (goods
    40 and 1) are four bidders' bids, not one bidder's XOR; reading it says so."""
    from instances.cats import GoodsBeyondHeader

    with pytest.warns(GoodsBeyondHeader, match=r"line 100: .* read with 41 real goods \(0\.\.40"):
        inst = read_cats(CATS / "paths-40-200-0000.txt")
    assert inst.goods == tuple(str(g) for g in range(41))
    assert inst.n == 97  # as CATS's bidders: bids sharing a dummy good, single bids on their own
    good40 = 1 << 40
    holders = sorted((i, b) for i, v in enumerate(inst.valuations) for b, _ in v.bids if b & good40)
    assert [b for _, b in holders].count(good40) == 2 and len(holders) == 4
    assert len({i for i, _ in holders}) == 4
    with_good1 = [len(inst.valuations[i].bids) for i, b in holders if b == good40 | 2]
    assert sorted(with_good1)[0] == 1 and sorted(with_good1)[1] > 1  # bid 194 alone, bid 80 with dummy 58's


def test_a_positive_price_rounded_to_zero_is_said(tmp_path):
    """``--round 6`` made the price 1.234e-11 a bid of 0, without a word (``export`` then drops it)."""
    source = tmp_path / "tiny.txt"
    source.write_text("% prices\ngoods 2\nbids 2\ndummy 0\n\n0 0.00000000001234 0 #\n1 5.5 1 #\n")
    result = run_cli("import", str(source), "--round", "6", "-o", str(tmp_path / "t.json"))
    assert result.returncode == 0 and result.stderr == (
        f"cabench import: note: {source}: 1 positive price became 0 under --round 6 (first at line 6): such bids "
        "count for nothing; round to more digits to keep them\n"), result.stderr
    source.write_text("% prices\ngoods 2\nbids 2\ndummy 0\n\n0 0.0000012 0 #\n1 5.5 1 #\n")
    kept = run_cli("import", str(source), "--round", "6", "-o", str(tmp_path / "u.json"))
    assert kept.returncode == 0 and kept.stderr == ""  # (0.000001: positive still)


REPEATING = """% a bidder that repeats a bundle, and decimal prices
goods 3
bids 5
dummy 1

0\t10.5\t0\t1\t3\t#
1\t7\t2\t3\t#
2\t12.25\t0\t1\t3\t#
3\t4\t0\t#
4\t2.25\t1\t2\t#
"""


def test_cats_bidder_repeating_a_bundle_is_kept_as_written(tmp_path):
    path = tmp_path / "repeat.txt"
    path.write_text(REPEATING)
    inst = read_cats(path)
    assert inst.scale == 100 and inst.n == 3
    assert inst.valuations[0].bids == ((0b011, 1050), (0b100, 700), (0b011, 1225))
    # bidder1 wins {0, 1} at its larger bid 12.25 (its XOR excludes adding {2} at 7)
    assert msw(inst, options="brute").value == reference.msw(inst)[0] == 1225
    back = write_cats(inst)
    assert Counter(cats_bids(back)) == Counter(cats_bids(REPEATING))


def test_cats_scale_and_round_options(tmp_path):
    path = tmp_path / "repeat.txt"
    path.write_text(REPEATING)
    assert read_cats(path, scale=1000).valuations[0].bids[0] == (0b011, 10500)
    rounded = read_cats(path, round_digits=1)
    assert rounded.scale == 10 and rounded.valuations[0].bids[2] == (0b011, 122)  # 12.25 -> 12.2 (half to even)
    assert read_cats(path, round_digits=0).scale == 1
    with pytest.raises(InputError, match=r"line 6: price 10.5 x scale 1 is not an integer; leave out --scale"):
        read_cats(path, scale=1)
    with pytest.raises(InputError, match="--scale must be a power of ten from 1 to 10\\^9, got 3"):
        read_cats(path, scale=3)


def test_cats_prices_beyond_the_value_limit_ask_for_rounding(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("goods 1\nbids 2\n0 123456.123456789 0 #\n1 1 0 #\n")
    with pytest.raises(InputError, match="above 10\\^12, the largest value cabench accepts; use --round"):
        read_cats(path)
    assert read_cats(path, round_digits=3).valuations[0].bids == ((1, 123456123),)
    path.write_text("goods 2\nbids 0\n")
    with pytest.raises(InputError, match="big.txt: no bids; an instance needs at least one bid$"):
        read_cats(path)
    for price in ("2.5e13", "1e300"):  # no rounding helps a price above the cap itself
        path.write_text(f"goods 1\nbids 1\n0 {price} 0 #\n")
        with pytest.raises(InputError, match=f"line 3: price {price} is above 10\\^12, the largest value cabench "
                                             "accepts$"):
            read_cats(path)


NEAR_CAP = {"goods": ["a", "b"], "players": ["p1", "p2", "p3"],
            "valuations": {"p1": {"xor": [[["a"], 999999999990]]},
                           "p2": {"xor": [[["b"], 999999999000], [["a", "b"], 10**12]]},
                           "p3": {"single_minded": [["a", "b"], 900000000000]}}}


@pytest.mark.parametrize("knowledge", ["wrong:1", "wrong:0.5", "candidates:3", "candidates:5"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_knowledge_drawn_near_the_value_cap_stays_within_it(knowledge, seed):
    """A raised or scaled bid of a valuation near 10^12 is the cap: ``annotate`` wrote 1.41e12,
    which every command then refused (exit 2), while the same instance in memory was computed."""
    inst = annotate(parse_instance(NEAR_CAP), knowledge, None, seed)
    again = parse_instance(json.loads(instance_text(inst)))  # what a command reads back
    assert again.knowledge == inst.knowledge
    values = [x for k in inst.knowledge for profile in (k.profiles if isinstance(k, Candidates) else (k.bounds,))
              for v in profile.values() for _, x in v.bids]
    assert values and max(values) <= 10**12
    check_report(inst, compute_report(inst, "cpsat"))


def test_annotate_near_the_value_cap_writes_what_benchmarks_reads(tmp_path):
    path = tmp_path / "near.json"
    path.write_text(json.dumps(NEAR_CAP))
    out = tmp_path / "near-c.json"
    assert run_cli("annotate", str(path), "--knowledge", "candidates:3", "--seed", "1", "-o", str(out)).returncode == 0
    result = run_cli("benchmarks", str(out), "--json")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("price, digits, value, scale", [
    ("999999999999999999999999999999e-31", 9, 1, 10),  # about 0.1: it was read as 10^-30, 0 once rounded
    ("0.000000000000000000000000000001e31", None, 10, 1),  # 10: it was refused as above 10^12
    ("123456789012345678901234567890e-26", 2, 123457, 100),  # 1234.5678...
    ("1e-999", 9, 0, 1),  # below any rounding
])
def test_cats_prices_with_large_exponents_are_read_exactly(tmp_path, price, digits, value, scale):
    import warnings

    from instances.cats import RoundedToZero

    path = tmp_path / "e.txt"
    path.write_text(f"goods 2\nbids 2\n0 1 0 #\n1 {price} 1 #\n")
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always", RoundedToZero)
        inst = read_cats(path, round_digits=digits)
    assert [type(w.message) for w in said] == ([RoundedToZero] if value == 0 else [])
    assert inst.valuations[1].bids == ((0b10, value),) and inst.valuations[0].bids == ((0b01, scale),)
    assert inst.scale == scale


def test_scale_field_in_instance_files():
    base = {"goods": ["a"], "players": ["p"], "valuations": {"p": {"xor": [[["a"], 12345]]}}}
    inst = parse_instance({**base, "scale": 100})
    assert inst.scale == 100 and json.loads(instance_text(inst))["scale"] == 100
    assert "scale" not in json.loads(instance_text(parse_instance(base)))  # scale 1 files look as before
    with pytest.raises(InputError, match="scale: expected a power of ten from 1 to 10\\^9"):
        parse_instance({**base, "scale": 30}, source="x.json")
    with pytest.raises(InputError, match="scale: expected an integer"):
        parse_instance({**base, "scale": 1.5}, source="x.json")


def test_cli_import_annotate_benchmarks_in_the_files_units(tmp_path):
    """The README path: import (no flags), annotate with noisy lower bounds, benchmarks."""
    source = EXAMPLES / "cats-scheduling-40-200.txt"
    imported = tmp_path / "sched.json"
    assert run_cli("import", str(source), "-o", str(imported)).returncode == 0
    assert json.loads(imported.read_text())["scale"] == 100000
    annotated = tmp_path / "sched-k.json"
    result = run_cli("annotate", str(imported), "--knowledge", "noisy-lower:0.8", "--seed", "1", "-o", str(annotated))
    assert result.returncode == 0
    report = run_cli("benchmarks", str(annotated), "--json", "--solver", "cpsat")
    assert report.returncode == 0
    data = json.loads(report.stdout)
    assert data["scale"] == 100000 and data["MSW"]["value"] == 5788929
    assert Decimal(data["MSW"]["value"]) / data["scale"] == Decimal(EXPECTED["scheduling-40-200-0000.txt"])
    assert all(p["MIEW"]["value"] > 0 and p["knowledge_correct"] is True for p in data["players"].values())
    table = run_cli("benchmarks", str(annotated), "--solver", "cpsat")
    assert table.returncode == 0 and "57.88929" in table.stdout and "5788929" not in table.stdout
    # import can draw the knowledge itself: the same bytes as import then annotate
    direct = run_cli("import", str(source), "--knowledge", "noisy-lower:0.8", "--seed", "1")
    assert direct.returncode == 0 and direct.stdout == annotated.read_text()


def test_cli_round_trip_of_decimal_prices_through_stdin(tmp_path):
    source = CATS / "regions-40-200-0000.txt"
    imported = run_cli("import", str(source))
    assert imported.returncode == 0
    path = tmp_path / "r.json"
    path.write_text(imported.stdout)
    exported = run_cli("export", str(path))
    assert exported.returncode == 0
    assert Counter(cats_bids(exported.stdout)) == Counter(cats_bids(source.read_text()))


def test_cli_import_errors():
    source = str(CATS / "matching-40-200-0000.txt")
    forced = run_cli("import", source, "--scale", "100")
    assert forced.returncode == 2 and forced.stdout == "" and forced.stderr.count("\n") == 1
    assert "x scale 100 is not an integer" in forced.stderr and source in forced.stderr
    rounded = run_cli("import", source, "--round", "2")
    assert rounded.returncode == 0 and json.loads(rounded.stdout)["scale"] == 100


# --- standard input and names on the command line ------------------------------------------------


def stdin_run(*args: str, data: str):
    import subprocess

    from tests.conftest import cabench_command

    return subprocess.run([*cabench_command(), *args], input=data, capture_output=True, text=True, timeout=300)


def test_every_file_command_reads_standard_input():
    example = (EXAMPLES / "seed004-example.json").read_text()
    result = stdin_run("benchmarks", "-", "--json", "--solver", "cpsat", data=example)
    assert result.returncode == 0 and json.loads(result.stdout)["MSW"]["value"] == 200
    assert json.loads(result.stdout)["scale"] == 1
    evaluated = stdin_run("evaluate", "-", "-m", "surviving-strategies", "--json", "--solver", "cpsat", data=example)
    assert evaluated.returncode == 0 and json.loads(evaluated.stdout)["mechanism"] == "surviving-strategies"
    cats = (CATS / "scheduling-40-200-0000.txt").read_text()
    imported = stdin_run("import", "-", data=cats)
    assert imported.returncode == 0 and json.loads(imported.stdout)["name"] == "stdin"
    exported = stdin_run("export", "-", data=imported.stdout)
    assert exported.returncode == 0 and Counter(cats_bids(exported.stdout)) == Counter(cats_bids(cats))
    annotated = stdin_run("annotate", "-", "--knowledge", "exact", data=imported.stdout)
    assert annotated.returncode == 0 and '"exact": true' in annotated.stdout
    bad = stdin_run("benchmarks", "-", data="{nope")
    assert bad.returncode == 2 and bad.stderr.startswith("<stdin>: invalid JSON") and bad.stderr.count("\n") == 1


def test_standard_input_is_capped(monkeypatch):
    from instances import loader

    class Stdin:
        buffer = io.BytesIO(b" " * 101)

    monkeypatch.setattr(loader, "MAX_STDIN_BYTES", 100)
    monkeypatch.setattr(sys, "stdin", Stdin)
    with pytest.raises(InputError, match="<stdin>: standard input holds more than"):
        load_instance("-")


@pytest.mark.parametrize("command", [
    ["evaluate", "-m", "vcg", "--player", "p9"],
    ["evaluate", "-m", "vcg", "--strategies", "overstate", "--player", "p9"],
    ["outcome", "-m", "vcg", "--player", "p9"],
    ["deviate", "-m", "vcg", "--player", "p9"],
])
def test_a_player_not_in_the_file_is_an_error(command):
    result = run_cli(command[0], str(EXAMPLES / "vcg-collusion.json"), *command[1:], "--solver", "cpsat")
    assert result.returncode == 2 and result.stdout == "" and result.stderr.count("\n") == 1
    assert 'unknown player "p9"; expected one of: p1, p2, p3' in result.stderr


def test_sweep_results_are_in_the_files_units(tmp_path):
    import pandas as pd

    folder = tmp_path / "in"
    folder.mkdir()
    imported = run_cli("import", str(EXAMPLES / "cats-scheduling-40-200.txt"), "--knowledge", "exact",
                       "-o", str(folder / "sched.json"))
    assert imported.returncode == 0
    result = run_cli("sweep", str(folder), "--solver", "cpsat", "-o", str(tmp_path / "r.csv"))
    assert result.returncode == 0
    text = (tmp_path / "r.csv").read_text()
    assert ",100000,57.88929," in text  # scale, then MSW as the file's exact decimal
    row = pd.read_csv(tmp_path / "r.csv").iloc[0]
    assert row["scale"] == 100000 and Decimal(str(row["MSW"])) == Decimal(EXPECTED["scheduling-40-200-0000.txt"])


@pytest.mark.parametrize("line, message", [
    ("0 5.0 1 1 #", "good 1 appears twice"),  # (read as the bundle {1} before)
    ("x 5.0 1 #", "is not a number"),
    ("1 5.0 2 #", "bid id 1 again"),
])
def test_cats_bids_with_a_repeated_good_or_id_are_refused(line, message):
    # the instance loader refuses a good listed twice in a bid; the CATS reader took it as once
    from instances.errors import InputError

    text = f"goods 3\nbids 2\ndummy 0\n\n1 4.0 0 #\n{line}\n"
    with pytest.raises(InputError, match=message):
        read_cats_text(text)


def read_cats_text(text: str):
    import tempfile

    from instances.cats import read_cats

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write(text)
    try:
        return read_cats(handle.name)
    finally:
        Path(handle.name).unlink()
