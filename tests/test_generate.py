"""Instance generators (``cabench generate``) and the CATS format (``import`` / ``export``)."""

from __future__ import annotations

import dataclasses
import json
import math
import random

import networkx as nx
import pytest

from benchmarks import knowledge_correct, msw
from instances import Form, InputError, instance_text, load_instance, parse_instance
from instances.bundles import members
from instances.cats import read_cats, write_cats
from instances.distributions import DISTRIBUTIONS, SCALE, _path_bidders, grid_graph, road_network
from instances.generate import generate_instance
from tests.conftest import EXAMPLES, run_cli

SIZES = {"table": (4, 1), "uniform": (12, 30), "weighted-random": (12, 30)}


@pytest.mark.parametrize("distribution", [*DISTRIBUTIONS, "table"])
def test_every_distribution_loads_validates_and_is_deterministic(distribution):
    m, b = SIZES.get(distribution, (24, 40))
    inst = generate_instance(distribution, m, b, 4, seed=7)
    text = instance_text(inst)
    assert parse_instance(json.loads(text)) == inst
    assert text == instance_text(generate_instance(distribution, m, b, 4, seed=7))
    assert text != instance_text(generate_instance(distribution, m, b, 4, seed=8))
    if distribution != "table":
        assert sum(len(v.bids) for v in inst.valuations) == b
        assert all(v.form is Form.XOR for v in inst.valuations)
    assert all(x > 0 for v in inst.valuations for _, x in v.bids)
    assert msw(inst).proven


def _world_rng(distribution: str, m: int, b: int, n: int, seed: int) -> random.Random:
    return random.Random(f"{distribution}:{m}:{b}:{n}:{seed}")


def test_regions_bids_are_connected_on_the_grid():
    m, b, n = 36, 60, 4
    inst = generate_instance("regions", m, b, n, seed=3)
    graph = grid_graph(m, _world_rng("regions", m, b, n, 3))  # the world is built first
    for v in inst.valuations:
        for bundle, _ in v.bids:
            assert nx.is_connected(graph.subgraph(list(members(bundle))))


def test_paths_bids_are_cheap_paths_in_the_road_network():
    m = 30
    rng = random.Random(5)
    graph, position = road_network(m, random.Random(5))  # the world is built first
    assert graph.number_of_edges() == int(1.2 * m / 3) * 3 and nx.is_connected(graph)
    bidders = _path_bidders(rng, m, 5, 1.5)
    for _ in range(40):
        bids, good = next(bidders)
        road_of = {g: road for road, g in good.items()}
        assert len(bids) <= 5 and len({price for _, price in bids}) == 1  # one price per bidder
        ends = set()
        for bundle, price in bids:
            route = nx.Graph([road_of[g] for g in members(bundle)])
            degrees = sorted(d for _, d in route.degree())
            assert nx.is_connected(route) and degrees.count(1) == 2 and max(degrees) <= 2  # a simple path
            cost = sum(math.dist(position[u], position[v]) for u, v in route.edges())
            assert cost * 10 * SCALE <= price + 1  # cheaper than the price (up to its rounding)
            ends.add(frozenset(v for v, d in route.degree() if d == 1))
        assert len(ends) == 1  # every bid joins the bidder's same two cities
    assert sorted(good.values()) == list(range(m))  # every good named, in order of first use


def test_paths_has_cats_proportions_of_bidders():
    # CATS 2.1 itself, seeds 1-5: 66-97 bidders at 40 / 200 (2.53 bids each) and 182-212 at
    # 64 / 500; about 40 % of bidders have one path and a quarter the full five
    for m, b, low, high in ((40, 200, 55, 110), (64, 500, 160, 225)):
        for seed in (1, 2):
            inst = generate_instance("paths", m, b, None, seed)
            sizes = [len(v.bids) for v in inst.valuations]
            assert low <= inst.n <= high, (m, seed, inst.n)
            assert 0.2 <= sizes.count(1) / inst.n <= 0.6 and 0.1 <= sizes.count(5) / inst.n <= 0.4, sizes


def test_scheduling_bids_are_blocks_of_consecutive_slots():
    inst = generate_instance("scheduling", 20, 50, 3, seed=2)
    for v in inst.valuations:
        for bundle, _ in v.bids:
            goods = list(members(bundle))
            assert goods == list(range(goods[0], goods[0] + len(goods)))


def test_matching_bids_pair_a_take_off_with_a_later_landing_elsewhere():
    m = 24  # CATS's 4 airports x 6 slots, numbered as CATS does: good 4 x slot + airport
    inst = generate_instance("matching", m, 40, 3, seed=2)
    for v in inst.valuations:
        for bundle, _ in v.bids:
            (a, b) = members(bundle)  # every flight takes at least one slot at 6 slots, so a takes off
            (ta, ap), (tb, bp) = divmod(a, 4), divmod(b, 4)
            assert ta < tb and ap != bp and {ap, bp} != {2, 3}  # no route between JFK and LaGuardia


def test_uniform_bids_have_exactly_k_goods():
    inst = generate_instance("uniform", 20, 30, 3, seed=1)
    assert all(bin(bundle).count("1") == 3 for v in inst.valuations for bundle, _ in v.bids)


@pytest.mark.parametrize(
    "spec, correct",
    [("exact", True), ("noisy-lower:0.7", True), ("candidates:3", True), ("wrong:1", False), ("none", True)],
)
def test_knowledge_specs(spec, correct):
    inst = generate_instance("arbitrary", 10, 20, 3, seed=4, knowledge=spec)
    verdicts = [knowledge_correct(inst, i).correct for i in range(inst.n)]
    assert all(v is correct for v in verdicts), verdicts
    if spec.startswith("candidates"):
        assert all(len(k.profiles) == 3 for k in inst.knowledge)


def test_coalition_specs():
    inst = generate_instance("decay", 10, 20, 7, seed=1, coalitions="random:2:3")
    assert len(inst.coalitions) == 2 and all(len(c) == 3 for c in inst.coalitions)
    assert len({p for c in inst.coalitions for p in c}) == 6
    assert len(generate_instance("decay", 10, 20, 7, seed=1, coalitions="pairs:3").coalitions) == 3


def test_cats_round_trip(tmp_path):
    inst = generate_instance("regions", 16, 40, 4, seed=1)
    path = tmp_path / "x.cats"
    path.write_text(write_cats(inst))
    back = read_cats(path)
    # bidders are re-read in file order; every player had several bids, so each got a dummy good
    assert sorted(v.bids for v in back.valuations) == sorted(v.bids for v in inst.valuations)
    assert msw(back).value == msw(inst).value
    # a name with line breaks stays one comment line (its second line was read as the header)
    from dataclasses import replace

    named = replace(inst, name="two\nlines\r\ngoods 1\u2028bids 1")
    path.write_text(write_cats(named))
    assert write_cats(named).splitlines()[0] == "% two lines goods 1 bids 1: written by cabench"
    assert sorted(v.bids for v in read_cats(path).valuations) == sorted(v.bids for v in inst.valuations)


CATS_SAMPLE = """% a file as CATS writes it
goods 3
bids 4
dummy 1

0\t10.5\t0\t1\t3\t#
1\t7\t2\t3\t#
2\t4\t0\t#
3\t2.25\t1\t2\t#
"""


def test_cats_prices_as_c_writes_them(tmp_path):
    """``.5`` and ``5.`` are prices as C's printf and strtod write and read them (``.5`` was
    refused while ``1e3`` and ``+5`` were taken)."""
    path = tmp_path / "dots.txt"
    path.write_text("goods 3\nbids 4\n0 .5 0 #\n1 5. 1 #\n2 1.5e1 2 #\n3 +2 0 1 #\n")
    inst = read_cats(path)
    assert inst.scale == 10
    assert [v.bids for v in inst.valuations] == [((0b001, 5),), ((0b010, 50),), ((0b100, 150),), ((0b011, 20),)]


def test_cats_import_with_scale(tmp_path):
    path = tmp_path / "sample.txt"
    path.write_text(CATS_SAMPLE)
    inst = read_cats(path, scale=100)
    assert inst.n == 3  # the two bids with dummy good 3 form one XOR bidder
    assert inst.valuations[0].bids == ((0b011, 1050), (0b100, 700))


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param("goods 2\nbids 1\n0 0.0000000001 0 #\n",
                     "line 3: price 0.0000000001 needs scale 10^10 to be an integer, above the limit 10^9; "
                     "use --round DIGITS", id="too-many-digits"),
        # the good named, and the dummy header's part (it said "goods must be numbers 0..1")
        pytest.param("goods 2\nbids 1\n0 5 0 7 #\n", 'line 3: good 7 is past the goods of the header: "goods 2" '
                     'numbers them 0..1, and there is no "dummy N" header line', id="unknown-good"),
        pytest.param("goods 2\ndummy 1\nbids 1\n0 5 0 7 #\n", 'line 4: good 7 is past the goods of the header: '
                     '"goods 2" numbers them 0..1, and the "dummy 1" line adds dummy goods up to 2', id="dummy-few"),
        pytest.param("goods 2\nbids 1\n0 5 #\n", "line 3: a bid with no good", id="no-good"),
        # with --round given (below: --round 2 --scale 10), the advice is not to round again
        pytest.param("goods 2\nbids 1\n0 5.555 0 #\n", "line 3: price 5.555 (rounded to 5.56) x scale 10 is not an "
                     "integer; leave out --scale to use the smallest power of ten that fits every price, or round "
                     "to fewer digits than --round 2", id="rounded"),
        pytest.param("goods 2\nbids 2\n0 5 0 #\n", "line 2: the header announces 2 bids but the file has 1 (is the "
                     "file cut short?)", id="count"),
        # a cut or mistyped header word (it was "a bid before the header lines")
        pytest.param("goods 2\ngoo", "line 2: unrecognised line 'goo'; expected a header line", id="cut-header"),
        # a form feed in a comment is no line break (the lines after it were numbered one too far)
        pytest.param("% a\x0cb\ngoods 2\nbids 1\n0 x 0 #\n", 'line 4: expected "id price good ... #"',
                     id="form-feed"),
        pytest.param("goods 2\nbids 1\n0 5 0\n", 'must end with "#"', id="no-hash"),
        pytest.param("bids 1\n0 5 0 #\n", 'a bid before the "goods" header line; expected goods N', id="no-header"),
        pytest.param("goods 1\n0 5 0 #\n", 'a bid before the "bids" header line; expected bids N', id="no-bids"),
        pytest.param("goods 1\nbids 1\nfoo bar\n0 5 0 #\n", "line 3: unrecognised line 'foo bar'", id="stray-line"),
        pytest.param("goods 1\nbids 2\n0 5 0 #\n1 5 0\n", 'line 4: a bid line must end with "#" (is the file cut '
                     'short?)', id="cut"),
        pytest.param("goods 1\nbids 1\n0 1e5000 0 #\n", "price 1e5000: more digits than a price holds",
                     id="exponent"),
        pytest.param("goods 1\nbids 1\n12345678901234567890 5 0 #\n", "has 20 digits; expected at most 12",
                     id="long-id"),
        # the hint only where the file may be cut: its last line, with no "#" at all
        pytest.param("goods 1\nbids 2\n0 5 0 #\n1 5 0\n% end\n", 'line 4: a bid line must end with "#"\n',
                     id="not-cut"),
        pytest.param("goods 1\nbids 1\n% caf\udce9\n0 5 0 #\n", "line 3: not UTF-8 text", id="latin-1"),
        pytest.param("goods 1\nbids 1\n0 5 0 #\n1 5 0 #\n", "announces 1 bid but the file has 2", id="one-bid"),
        pytest.param(' {"goods": ["a"]}\n', "line 1: this is JSON, not a CATS file; a JSON instance needs no import",
                     id="json-instance"),
        pytest.param("goods 2\nbids 1\n0 . 0 #\n", 'expected "id price good ... #" with a decimal price',
                     id="dot-alone"),
    ],
)
def test_cats_import_errors_through_the_cli(tmp_path, text, message):
    path = tmp_path / "bad.cats"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))  # (\udce9: the byte 0xE9, Latin-1's é)
    rounding = ["--round", "2", "--scale", "10"] if "--round 2" in message else []
    result = run_cli("import", str(path), "--format", "cats", *rounding)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr and str(path) in result.stderr


def test_cats_import_reads_minus_zero_as_zero(tmp_path):
    """A price written -0 is 0, not a negative price (it was refused as one); -5 still is."""
    path = tmp_path / "zero.txt"
    path.write_text("goods 2\nbids 2\n0 -0 0 #\n1 -0.00 1 #\n")
    assert [v.bids for v in read_cats(path).valuations] == [((0b01, 0),), ((0b10, 0),)]
    path.write_text("goods 2\nbids 1\n0 -5 0 #\n")
    with pytest.raises(InputError, match="line 3: negative price -5"):
        read_cats(path)


def test_cats_import_says_when_it_reads_more_goods_than_the_header(tmp_path):
    """A bid with no good below the header's count (or two past it) makes the goods past the
    header real goods (CATS 2.1's paths files): ``import`` says so, naming the line, where it
    changed goods and players without a word (a hand-edited bid did too)."""
    path = tmp_path / "edited.txt"
    path.write_text("goods 2\ndummy 2\nbids 3\n0 5 0 2 #\n1 4 1 2 #\n2 3 2 3 #\n")
    result = run_cli("import", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(f"cabench import: note: {path}: line 6: this bid holds no good below the "
                                    "header's 2, or two past it") and "read with 3 real goods (0..2" in result.stderr
    assert "and 3 players (2 with the header's count of goods)" in result.stderr
    # a bidder's bid edited to hold its dummy good alone: its bids become players of their own,
    # which the note says (it named the goods alone)
    path.write_text("goods 2\ndummy 1\nbids 3\n0 5 0 2 #\n1 4 1 2 #\n2 3 2 #\n")
    result = run_cli("import", str(path))
    assert result.returncode == 0 and "and 3 players (1 with the header's count of goods)" in result.stderr
    assert json.loads(result.stdout)["goods"] == ["0", "1", "2"]
    plain = tmp_path / "plain.txt"
    plain.write_text("goods 2\ndummy 1\nbids 2\n0 5 0 2 #\n1 4 1 2 #\n")
    assert run_cli("import", str(plain)).stderr == ""


def test_generate_cli_writes_files_and_is_byte_identical(tmp_path):
    args = ["generate", "-d", "paths", "-m", "20", "-b", "30", "-n", "3", "--seed", "4", "--knowledge", "exact"]
    first = run_cli(*args, "-o", str(tmp_path / "a"), "--count", "2")
    second = run_cli(*args, "-o", str(tmp_path / "b"), "--count", "2")
    assert first.returncode == 0 and second.returncode == 0
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert len(names) == 2
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        load_instance(tmp_path / "a" / name)
    single = run_cli(*args)
    assert json.loads(single.stdout)["name"] == "paths-m20-b30-n3-s4-kexact"


def test_export_cli_refuses_non_xor_valuations(tmp_path):
    from tests.conftest import EXAMPLES

    result = run_cli("export", str(EXAMPLES / "seed004-example.json"), "--format", "cats")
    assert result.returncode == 2 and "needs xor or single_minded valuations, got explicit" in result.stderr
    out = tmp_path / "new" / "deeper" / "a.txt"  # the folders made for the output go again
    result = run_cli("export", str(EXAMPLES / "seed004-example.json"), "-o", str(out))
    assert result.returncode == 2 and not (tmp_path / "new").exists()


def test_export_refuses_a_negative_price_and_leaves_out_a_zero(tmp_path):
    """A market's negative bid was left out silently (exit 0), which changed the valuation; a bid
    of 0 adds nothing to an XOR valuation and is still left out."""
    market = {"goods": ["1", "2"], "players": ["p1", "p2"],
              "valuations": {"p1": {"xor": [[["1"], -3]]}, "p2": {"xor": [[["2"], 4], [["1"], 0]]}},
              "endowment": {"p1": ["1"]}}
    path = tmp_path / "market.json"
    path.write_text(json.dumps(market))
    out = tmp_path / "new" / "m.txt"
    result = run_cli("export", str(path), "-o", str(out))
    assert result.returncode == 2 and not out.parent.exists()
    assert result.stderr.strip() == (f"{path}: valuations.p1: the bid of -3 on {{1}}: CATS prices are positive, so a "
                                     "negative one cannot be exported")
    market["valuations"]["p1"] = {"xor": [[["1"], 3]]}
    path.write_text(json.dumps(market))
    result = run_cli("export", str(path))
    assert result.returncode == 0 and "bids 2" in result.stdout, result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["-d", "nope"], 'unknown distribution "nope"'),
        (["-d", "uniform", "--knowledge", "noisy-lower:2"], 'cannot read "noisy-lower:2"'),
        (["-d", "uniform", "--coalitions", "pairs:9"], "do not fit among 3 players"),
        (["-d", "table", "-m", "13"], "at most 12 goods"),
        (["-d", "paths", "-m", "5000"], "at most 4096"),  # (a file every reader refused was written)
        (["-d", "uniform", "--count", "1000000000"], "1<=x<=10000"),  # (it drew for ever, writing nothing)
        # digits Python reads and a user does not mean: noisy-lower:0_1 was noisy-lower:1
        (["-d", "uniform", "--knowledge", "noisy-lower:0_1"], 'cannot read "noisy-lower:0_1"'),
        (["-d", "uniform", "--knowledge", "wrong:nan"], 'cannot read "wrong:nan"'),
        (["-d", "uniform", "--knowledge", "candidates:1_0"], 'cannot read "candidates:1_0"'),
        (["-d", "uniform", "-n", "12", "--coalitions", "pairs:1_0"], 'cannot read "pairs:1_0"'),
        # "exact:" was exact; another spelling of one model named other files and rows
        (["-d", "uniform", "--knowledge", "exact:"], 'cannot read "exact:"'),
        (["-d", "uniform", "--knowledge", "none:"], 'cannot read "none:"'),
        (["-d", "uniform", "--knowledge", "noisy-lower:1."], 'write it "noisy-lower:1"'),
        (["-d", "uniform", "--knowledge", "noisy-lower:0.50"], 'write it "noisy-lower:0.5"'),
        (["-d", "uniform", "--knowledge", "wrong:.5e0"], 'write it "wrong:0.5"'),
        (["-d", "uniform", "--knowledge", "wrong:0.0"], 'write it "wrong:0"'),
        # "pairs:01" drew other coalitions than "pairs:1", under another name
        (["-d", "uniform", "-n", "4", "--coalitions", "pairs:01"], 'write it "pairs:1"'),
        (["-d", "uniform", "-n", "4", "--coalitions", "random:01:2"], 'write it "random:1:2"'),
        (["-d", "uniform", "-n", "4", "--coalitions", "random:1:02"], 'write it "random:1:2"'),
        # no coalition, written "pairs:0" in the file: a second spelling of none
        (["-d", "uniform", "-n", "4", "--coalitions", "pairs:0"], 'no coalition; write it "none"'),
        (["-d", "uniform", "-n", "4", "--coalitions", "random:0:2"], 'no coalition; write it "none"'),
        (["-d", "uniform", "-n", "4", "--coalitions", "pairs:00"], 'no coalition; write it "none"'),  # (not "pairs:0")
        # a coalition of one player "did not fit among 4 players"
        (["-d", "uniform", "-n", "4", "--coalitions", "random:1:1"], "a coalition has at least 2 players"),
    ],
)
def test_generate_cli_errors(args, message):
    base = {"-m": "6", "-b": "5", "-n": "3"}
    flat = [x for k, v in base.items() if k not in args for x in (k, v)]
    result = run_cli("generate", *flat, *args)
    assert result.returncode == 2 and message in result.stderr and result.stderr.count("\n") == 1


def test_export_keeps_players_of_no_positive_bid(tmp_path):
    """Every bid 0 or no bid at all was exported as "bids 0", which import refuses; a player of no
    positive bid among others was left out, and the mechanisms, which count the players, changed.
    Each such player gets one bid of price 0 and stays a player."""
    path = tmp_path / "zero.json"
    path.write_text(json.dumps({"goods": ["a", "b"], "players": ["p", "q", "r"],
                                "valuations": {"p": {"xor": [[["a"], 0]]}, "q": {"xor": []},
                                               "r": {"xor": [[["b"], 3]]}}}))
    out = tmp_path / "zero.txt"
    result = run_cli("export", str(path), "-o", str(out))
    assert result.returncode == 0, result.stderr
    back = run_cli("import", str(out), "-o", str(tmp_path / "back.json"))
    assert back.returncode == 0, back.stderr
    data = json.loads((tmp_path / "back.json").read_text())
    assert len(data["players"]) == 3 and data["valuations"]["bidder3"] == {"xor": [[["1"], 3]]}


def test_export_keeps_the_scale(tmp_path):
    """Prices 1.23 of an instance at scale 1000 were read back at scale 100, and the mechanisms'
    parameters (in 1/scale units) with it: export writes the scale on a comment line, and import
    reads it back unless --scale is given."""
    path = tmp_path / "scaled.json"
    path.write_text(json.dumps({"goods": ["a", "b"], "players": ["p", "q"], "scale": 1000,
                                "valuations": {"p": {"xor": [[["a"], 1230]]}, "q": {"xor": [[["b"], 2500]]}}}))
    out = tmp_path / "scaled.txt"
    assert run_cli("export", str(path), "-o", str(out)).returncode == 0
    assert "% cabench scale 1000\n" in out.read_text()
    for args, scale in (([], 1000), (["--scale", "100"], 100)):
        target = tmp_path / f"back{scale}.json"
        result = run_cli("import", str(out), *args, "-o", str(target))
        assert result.returncode == 0, result.stderr
        assert json.loads(target.read_text())["scale"] == scale


def test_export_names_the_distribution_a_generated_file_was_drawn_from(tmp_path):
    """A generated file exported lost its distribution: a sweep of the CATS files put them all in
    the family "other files" (a user's audit). The header names it as CATS does."""
    from instances.cats import header_distribution

    made, out = tmp_path / "made.json", tmp_path / "made.txt"
    made_ok = run_cli("generate", "-d", "matching", "-m", "8", "-b", "20", "-n", "bidders", "-o", str(made))
    assert made_ok.returncode == 0, made_ok.stderr
    assert run_cli("export", str(made), "-o", str(out)).returncode == 0
    assert "% Distribution: matching\n" in out.read_text() and header_distribution(out) == "matching"
    import dataclasses

    from instances import load_instance
    from instances.cats import write_cats

    inst = load_instance(made)
    for name in ("copy; Distribution: paths", "x" * 5000):  # (the name line hid or replaced it)
        (tmp_path / "named.txt").write_text(write_cats(dataclasses.replace(inst, name=name), "matching"))
        assert header_distribution(tmp_path / "named.txt") == "matching"
        (tmp_path / "named.txt").write_text(write_cats(dataclasses.replace(inst, name=name)))
        assert header_distribution(tmp_path / "named.txt") is None
    plain = tmp_path / "plain.txt"  # (a file with no record names none)
    assert run_cli("export", str(EXAMPLES.parent.parent / "tests" / "hostile" / "valid.json"),
                   "-o", str(plain)).returncode == 0
    assert header_distribution(plain) is None


def test_an_output_ending_in_a_slash_is_a_folder(tmp_path):
    """``-o new/`` wrote a file named ``new`` (generate, annotate, export, table): generate now
    writes into the folder, and the commands that write one file refuse it, writing nothing."""
    result = run_cli("generate", "-d", "regions", "-m", "4", "-b", "8", "-n", "2", "-o", f"{tmp_path}/new/")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new").is_dir() and len(list((tmp_path / "new").glob("*.json"))) == 1
    example = str(EXAMPLES / "vcg-collusion.json")
    for args in (["annotate", example, "--knowledge", "exact", "--replace"], ["export", example]):
        result = run_cli(*args, "-o", f"{tmp_path}/other/")
        assert result.returncode == 2 and "ends with /, which names a folder" in result.stderr, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new"]


def test_no_knowledge_for_a_million_players_is_no_work():
    """``none`` draws nothing: a million players take no list of the others each (which made
    ``generate -n 1000000`` and ``annotate --knowledge none`` on 50,000 players take hours)."""
    from instances import Valuation
    from instances.knowledge_models import draw_knowledge

    truth = (Valuation(Form.XOR, ((1, 5),)),) * 1_000_000
    assert draw_knowledge(random.Random(0), truth, "none", goods=1) == (None,) * 1_000_000


@pytest.mark.parametrize("sizes, flag", [(["-d", "regions", "-m", "4096", "-b", "100000000", "-n", "2"], "--bids"),
                                         (["-d", "regions", "-m", "3", "-b", "3", "-n", "100000000"], "--players"),
                                         (["-d", "table", "-m", "12", "-b", "1", "-n", "100000"], "--players"),
                                         # what is wrong comes first: a table's 12 goods, not its size
                                         (["-d", "table", "-m", "40", "-b", "1", "-n", "1"], "--distribution"),
                                         (["-d", "nonsense", "-m", "4", "-b", "100000000", "-n", "2"],
                                          "--distribution")])
def test_generate_refuses_at_once_sizes_no_file_could_hold(sizes, flag, tmp_path):
    """Sizes whose file would be above what cabench reads (64 MiB) are refused before anything
    is drawn (they ran for minutes), naming the flag, exit 2, nothing written; the message
    mentions knowledge only when some was asked for."""
    import time

    out = tmp_path / "new" / "g.json"
    start = time.monotonic()
    result = run_cli("generate", *sizes, "-o", str(out))
    assert result.returncode == 2 and time.monotonic() - start < 30, result.stderr
    assert f"'{flag}'" in result.stderr and "knowledge" not in result.stderr
    assert ("64 MiB" in result.stderr or "no file of more could be read back" in result.stderr) == (
        flag != "--distribution"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not out.parent.exists()


def test_generate_to_standard_output_is_refused_at_the_limit_of_standard_input():
    """Standard output goes through a pipe to ``-``, read up to 256 MiB: 5.2 million bids (at
    least 68 MB) were refused there at the 64 MiB of a file."""
    result = run_cli("generate", "-d", "regions", "-m", "64", "-b", "30000000", "-n", "2")
    assert result.returncode == 2 and "above the 256 MiB that cabench reads from standard input" in result.stderr
    result = run_cli("generate", "-d", "regions", "-m", "64", "-b", "5200000", "-n", "2", "-o", "/dev/null")
    assert result.returncode == 2 and "above the 64 MiB that cabench reads from a file" in result.stderr


def test_too_many_players_are_refused_before_anything_is_drawn():
    """More players than any readable file could hold are refused at once by the API too (10^7
    ran out of memory drawing coalitions; the command refused them only through the file's
    size)."""
    import time

    from instances.generate import MAX_PLAYERS
    from instances.knowledge_models import SpecError

    start = time.monotonic()
    with pytest.raises(SpecError, match=f"--players: {10**7} players; at most {MAX_PLAYERS:,}"):
        generate_instance("uniform", 4, 3, 10**7, coalitions="pairs:2")
    assert time.monotonic() - start < 1
    assert generate_instance("uniform", 4, 3, 10).n == 10  # (more players than bids: some bid nothing)


def test_the_pairwise_affinities_are_the_streams_next_values():
    """``arbitrary``'s affinity table, drawn at once as the stream's words, holds the values that
    ``rng.random()`` would give one pair at a time, and leaves the stream where they leave it."""
    from instances.distributions import _pairwise

    for m in (0, 1, 2, 7, 40):
        at_once, one_by_one = random.Random(f"pairs{m}"), random.Random(f"pairs{m}")
        table = _pairwise(at_once, m)
        for a in range(m):
            assert table[a, a] == 0
            for b in range(a + 1, m):
                assert table[a, b] == table[b, a] == one_by_one.random()
        assert at_once.random() == one_by_one.random()


def _grow_with_dicts(rng, m, first, size, interests, affinity, add_prob):
    """The bundle growth of CATS as first written, with dicts (``instances.distributions._grow``
    holds the same numbers in arrays, 6x faster at 1024 goods)."""
    from instances.distributions import _pick

    def near(g):
        goods, affinities = affinity(g)
        return dict(zip(goods.tolist(), affinities.tolist()))

    bundle = [first]
    score = {}
    for g, a in near(first).items():
        score[g] = score.get(g, 0.0) + a
    while len(bundle) < m:
        if size is not None and len(bundle) >= size:
            break
        if add_prob is not None and rng.random() >= add_prob:
            break
        candidates = sorted(g for g in score if g not in bundle)
        weights = [interests[g] * score[g] for g in candidates]
        if not candidates or sum(weights) <= 0:
            break
        g = candidates[_pick(rng, weights)]
        bundle.append(g)
        for h, a in near(g).items():
            score[h] = score.get(h, 0.0) + a
    return bundle


@pytest.mark.parametrize("distribution", ["arbitrary", "regions"])
def test_bundles_grow_as_with_dicts(distribution, monkeypatch):
    """The arrays of ``_grow`` give the bids that its dicts gave, draw for draw."""
    import instances.distributions

    sizes = [(8, 40, 5, 0), (40, 200, None, 1), (128, 300, 10, 2), (64, 400, None, 3)]
    now = [instance_text(generate_instance(distribution, *size)) for size in sizes]
    monkeypatch.setattr(instances.distributions, "_grow", _grow_with_dicts)
    assert now == [instance_text(generate_instance(distribution, *size)) for size in sizes]


def test_the_coalitions_of_a_seed_do_not_change_with_the_knowledge():
    """The coalitions are drawn from a stream of their own: drawn after the knowledge, from its
    stream, the colluders changed with the knowledge spec (an experiment along a knowledge axis
    compared other coalitions at each point)."""
    drawn = {spec: generate_instance("regions", 8, 24, 6, 3, knowledge=spec, coalitions="pairs:1").coalitions
             for spec in ("none", "exact", "noisy-lower:0.5", "wrong:0.3", "candidates:2", "candidates:3")}
    assert len(set(drawn.values())) == 1, drawn


def test_knowledge_no_file_could_hold_is_refused_before_it_is_drawn(tmp_path):
    """100,000 candidates on 4 players of few bids passed the count of values, and were refused
    once drawn and written (35 s, 2.6 GB): the bytes of the file are counted first, at their
    fewest, against what cabench reads back from a file (64 MiB) or a pipe (256 MiB)."""
    import time

    out = tmp_path / "new" / "c.json"
    start = time.monotonic()
    result = run_cli("generate", "-d", "regions", "-m", "6", "-b", "12", "-n", "4", "--knowledge",
                     "candidates:100000", "-o", str(out))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and time.monotonic() - start < 20
    assert ("Invalid value for '--knowledge': \"candidates:100000\": every player would hold 100000 copies of the "
            "other 3 players' xor valuations, a file of ") in result.stderr
    assert "MiB at least, above the 64 MiB that cabench reads back" in result.stderr
    assert not out.parent.exists()
    made = run_cli("generate", "-d", "regions", "-m", "6", "-b", "12", "-n", "4", "--knowledge", "candidates:20000",
                   "-o", str(out))  # (a file of 39 MB: fits)
    assert made.returncode == 0 and out.stat().st_size < 64 * 2**20, made.stderr


def test_a_trailing_slash_names_a_folder_with_count_too(tmp_path):
    """``-o y.json/`` was a folder for one instance and refused with ``--count 2`` as naming a
    JSON file."""
    result = run_cli("generate", "-d", "regions", "-m", "5", "-b", "6", "-n", "2", "--count", "2", "-o",
                     f"{tmp_path}/y.json/")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "y.json").iterdir()) == ["regions-m5-b6-n2-s0.json",
                                                                        "regions-m5-b6-n2-s1.json"]


def test_the_knowledge_file_is_never_smaller_than_its_count():
    """``check_knowledge_size`` counts the file's bytes at their fewest: on random instances of
    every valuation form (values from 1, which a scaled bid may drop, markets with negative
    values), every model's file is at least that large, so a file that fits is never refused.
    Counting n - 1 whole copies of every valuation refused files that fit: noisy-lower:1 (the
    bounds are the truth, written {"exact": true}), bids dropped at 0, additive entries."""
    from instances.knowledge_models import SpecError, annotate
    from instances.synthetic import random_instance

    specs = ("noisy-lower:1", "noisy-lower:0.9", "noisy-lower:0.3", "wrong:0", "wrong:1", "candidates:1",
             "candidates:3")
    from instances import Instance, Valuation

    blank = Instance("zero-tables", tuple("abcdefghij"), ("p", "q", "r"), (Valuation(Form.TABLE, ()),) * 3,
                     (None,) * 3)
    for seed in range(41):  # (and tables worth 0: their bounds are the truth, written {"exact": true})
        inst = dataclasses.replace(random_instance(seed), knowledge=(None,) * random_instance(seed).n) if seed < 40 \
            else blank
        for spec in specs:
            drawn = annotate(inst, spec, seed=seed, replace=True, most_bytes=2**62)
            size = len(instance_text(drawn).encode())
            try:
                annotate(inst, spec, seed=seed, replace=True, most_bytes=size)
            except SpecError as error:
                pytest.fail(f"seed {seed}, {spec}: a file of {size} bytes refused: {error}")


def test_a_cats_bid_id_may_have_leading_zeros(tmp_path):
    """A bid id is a number, read as the header's counts are: leading zeros do not count toward
    its 12 digits (``0000000000001`` was refused as 13 digits)."""
    path = tmp_path / "zeros.txt"
    path.write_text("goods 1\nbids 1\n0000000000001 5 0 #\n")
    assert read_cats(path).valuations[0].bids == ((1, 5),)


def test_an_auction_drawn_once_gives_the_same_instances_at_every_knowledge():
    """``cabench experiment`` draws each seed's auction once for all its axis points
    (``draw_auction``): every instance is the one drawn from scratch, and an auction drawn for
    other arguments is refused."""
    from instances.generate import draw_auction
    from instances.writer import instance_text

    for distribution, players in (("arbitrary", 4), ("regions", None), ("table", 3)):
        goods, bids = (4, 1) if distribution == "table" else (10, 25)
        auction = draw_auction(distribution, goods, bids, players, 7)
        for knowledge in ("none", "noisy-lower:0.5", "candidates:2", "wrong:0.4"):
            alone = generate_instance(distribution, goods, bids, players, 7, knowledge, "pairs:1")
            shared = generate_instance(distribution, goods, bids, players, 7, knowledge, "pairs:1", auction=auction)
            assert instance_text(shared) == instance_text(alone)
    with pytest.raises(ValueError, match="an auction drawn for"):
        generate_instance("regions", 10, 25, None, 8, auction=draw_auction("regions", 10, 25, None, 7))
