"""Every malformed instance is reported through the CLI as one line naming the file and the JSON
path, with exit code 2, no traceback and nothing on standard output."""

from __future__ import annotations

import copy
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import run_cli

BASE = {
    "name": "base",
    "goods": ["1", "2"],
    "players": ["p1", "p2", "p3"],
    "valuations": {
        "p1": {"explicit": [[["1"], 100]]},
        "p2": {"xor": [[["2"], 100]]},
        "p3": {"explicit": [[["1", "2"], 50]]},
    },
    "knowledge": {"p1": {"lower_bounds": {"p2": {"explicit": [[["2"], 25]]}}}},
}


def edit(change) -> dict:
    data = copy.deepcopy(BASE)
    change(data)
    return data


def _set(path, value):
    def change(data):
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


def _del(*path):
    def change(data):
        node = data
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return change


CASES = [
    # integer literals beyond 20 digits are refused before conversion, and named by their path
    pytest.param(_set(["valuations", "p2", "xor"], [[["2"], -10**21]]),
                 "valuations.p2.xor[0][1]: an integer with 22 digits; values are at most 10^12", id="long-integer"),
    pytest.param(_set(["scale"], 10**23), "scale: expected a power of ten from 1 to 10^9 (values are integers in "
                 "units of 1/scale), got an integer with 24 digits", id="long-scale"),
    pytest.param(_set(["scale"], -10), "scale: expected a power of ten from 1 to 10^9 (values are integers in "
                 "units of 1/scale), got -10", id="negative-scale"),  # (it said "less than the minimum of 1")
    pytest.param(_set(["name"], 10**25), "name: an integer with 26 digits; cabench reads integers of at most 20 "
                 "digits", id="long-integer-name"),
    pytest.param(_set(["valuations", "p3", "explicit"], [[["1", "2"], 50], [["7"], 3]]),
                 'valuations.p3.explicit[1][0][0]: unknown good "7"', id="unknown-good"),
    pytest.param(_set(["valuations", "p9"], {"explicit": []}),
                 'valuations.p9: unknown player "p9"', id="unknown-player"),
    pytest.param(_set(["valuations", "p1", "explicit"], [[["1", "1"], 3]]),
                 'valuations.p1.explicit[0][0][1]: good "1" appears twice in the bundle', id="duplicate-good-in-bundle"),
    pytest.param(_set(["valuations", "p1", "explicit"], [[["1", "2"], 3], [["2", "1"], 4]]),
                 "valuations.p1.explicit[1][0]: bundle", id="bundle-listed-twice"),
    pytest.param(_set(["valuations", "p1", "explicit"], [[[], 3]]),
                 "valuations.p1.explicit[0][0]: empty bundle", id="empty-bundle"),
    pytest.param(_set(["valuations", "p1"], {"table": [0, 1, 2]}),
                 "valuations.p1.table: expected 2^2 = 4 entries", id="wrong-table-length"),
    pytest.param(_set(["valuations", "p1"], {"table": [5, 1, 2, 3]}),
                 "valuations.p1.table[0]: the empty bundle is worth 0", id="table-empty-bundle-nonzero"),
    pytest.param(_set(["valuations", "p1", "explicit"], [[["1"], 2.5]]),
                 "valuations.p1.explicit[0][1]: expected an integer, got 2.5", id="non-integer-value"),
    pytest.param(_set(["valuations", "p1", "explicit"], [[["1"], 3.0]]),
                 "valuations.p1.explicit[0][1]: expected an integer value, got 3.0", id="float-integer-value"),
    pytest.param(_set(["valuations", "p1", "explicit"], [[["1"], "100"]]),
                 'valuations.p1.explicit[0][1]: expected an integer, got "100"', id="string-value"),
    pytest.param(_set(["valuations", "p1", "explicit"], [[["1"], -5]]),
                 "valuations.p1.explicit[0][1]: expected a non-negative integer, got -5", id="negative-value-in-auction"),
    pytest.param(_set(["valuations", "p1", "explicit"], [[["1"], 10**13]]),
                 "valuations.p1.explicit[0][1]: value 10000000000000 out of range", id="value-out-of-range"),
    pytest.param(_set(["valuations", "p1", "additive"], {"9": 1}),
                 "expected exactly one of", id="two-valuation-forms"),
    pytest.param(_set(["valuations", "p1"], {"xorr": []}),
                 'valuations.p1: unknown valuation form "xorr"; expected one of: additive, explicit, or, single_minded, table, xor',
                 id="unknown-valuation-form"),
    pytest.param(_set(["valuations", "p1"], {"additive": {"9": 1}}),
                 'valuations.p1.additive.9: unknown good "9"', id="additive-unknown-good"),
    pytest.param(_set(["valuations", "p1"], {"single_minded": [["1"]]}),
                 "valuations.p1.single_minded: expected at least 2 items", id="single-minded-short"),
    pytest.param(_del("valuations", "p2"),
                 'valuations: missing valuation for player "p2"', id="missing-valuation"),
    pytest.param(_del("goods"), 'missing required field "goods"', id="missing-goods"),
    pytest.param(_set(["goods"], ["1", "1"]), 'goods[1]: duplicate good "1"', id="duplicate-good"),
    pytest.param(_set(["players"], ["p1", "p2", "p3", "p1"]), 'players[3]: duplicate player "p1"', id="duplicate-player"),
    pytest.param(_set(["coalitions"], [["p1", "p2"], ["p2", "p3"]]),
                 'coalitions[1][0]: player "p2" is already in coalitions[0]', id="overlapping-coalitions"),
    pytest.param(_set(["coalitions"], [["p1"]]), "coalitions[0]: expected at least 2 items", id="singleton-coalition"),
    pytest.param(_set(["coalitions"], [["p1", "zz"]]), 'coalitions[0][1]: unknown player "zz"', id="coalition-unknown-player"),
    pytest.param(_set(["endowment"], {"p1": ["1"], "p2": ["1"]}),
                 'endowment.p2[0]: good "1" is already endowed to "p1"', id="overlapping-endowments"),
    pytest.param(_set(["knowledge", "p1"], {"lower_bounds": {"p1": {"explicit": []}}}),
                 "knowledge.p1.lower_bounds.p1: knowledge about oneself", id="knowledge-about-oneself"),
    pytest.param(_set(["knowledge", "p2"], {"candidates": [{"p2": {"explicit": []}}]}),
                 "knowledge.p2.candidates[0].p2: knowledge about oneself", id="candidate-about-oneself"),
    pytest.param(_set(["knowledge", "p2"], {"candidates": []}),
                 "knowledge.p2.candidates: expected at least 1 item, got 0", id="no-candidates"),
    pytest.param(_set(["knowledge", "p2"], {"beliefs": {}}),
                 'knowledge.p2: unknown knowledge form "beliefs"', id="unknown-knowledge-form"),
    pytest.param(_set(["knowledge", "p1", "lower_bounds", "p2"], {"explicit": [[["2"], -1]]}),
                 "knowledge.p1.lower_bounds.p2.explicit[0][1]: expected a non-negative integer", id="negative-bound"),
    # a profile of lower bounds is read without JSON paths while every entry is valid: a problem
    # after valid entries still gets its own path
    pytest.param(_set(["knowledge", "p1", "lower_bounds"], {"p2": {"xor": [[["2"], 5]]}, "zz": {"xor": [[["1"], 5]]}}),
                 'knowledge.p1.lower_bounds.zz: unknown player "zz"', id="bound-on-unknown-player"),
    pytest.param(_set(["knowledge", "p1", "lower_bounds"], {"p3": {"xor": [[["1"], 5]]}, "p2": {"xor": [[["2"], 5], [["9"], 1]]}}),
                 'knowledge.p1.lower_bounds.p2.xor[1][0][0]: unknown good "9"', id="bound-unknown-good"),
    pytest.param(_set(["knowledge", "p1", "lower_bounds"], {"p2": {"xor": [[["2"], 5]]}, "p3": {"explicit": [[["1"], 5], [["1"], 6]]}}),
                 "knowledge.p1.lower_bounds.p3.explicit[1][0]: bundle", id="bound-repeated-bundle"),
    pytest.param(_set(["knowledge", "p1", "lower_bounds"], {"p2": {"xor": [[["2"], 5]]}, "p3": {"xor": [[["1", "1"], 5]]}}),
                 'knowledge.p1.lower_bounds.p3.xor[0][0][1]: good "1" appears twice', id="bound-good-twice"),
    pytest.param(_set(["knowledge", "p1", "lower_bounds"], {"p3": {"xor": [[["2"], 5]]}, "p1": {"xor": [[["1"], 5]]}}),
                 "knowledge.p1.lower_bounds.p1: knowledge about oneself", id="bound-about-oneself-after-valid"),
    pytest.param(_set(["extra"], 1), 'unknown field "extra"', id="unknown-top-level-field"),
    pytest.param(_set(["goods"], "1,2"), 'goods: expected a list, got "1,2"', id="goods-not-a-list"),
]


@pytest.mark.parametrize("change, expected", CASES)
def test_malformed_instance(tmp_path, change, expected):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(edit(change)))
    result = run_cli("benchmarks", str(path), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith(f"{path}: "), lines[0]
    assert expected in lines[0], lines[0]


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param('{"goods": ["1"],', "invalid JSON at line 1 column 17", id="truncated-json"),
        pytest.param("", "empty: expected an instance (a JSON object)", id="empty-file"),
        pytest.param(" \n\t\n", "empty: expected an instance (a JSON object)", id="blank-file"),
        pytest.param('{"goods": ["1"], "goods": ["2"]}', 'duplicate key "goods"', id="duplicate-key"),
        pytest.param('{"goods": ["1"], "players": ["p"], "valuations": {"p": {"xor": []}, "p": {"xor": []}}}',
                     'valuations: duplicate key "p"', id="duplicate-nested-key"),
        pytest.param("[1, 2]", "expected an object, got [1, 2]", id="not-an-object"),
        pytest.param("%% File generated by CATS\ngoods 2\nbids 1\n0 5 1 #\n",
                     "invalid JSON at line 1 column 1: Expecting value; it looks like a CATS file: convert it with "
                     "`cabench import`", id="a-cats-file"),
        pytest.param("\n goods 2\nbids 1\n", "it looks like a CATS file", id="a-cats-header"),
    ],
)
def test_unreadable_json(tmp_path, text, expected):
    path = tmp_path / "bad.json"
    path.write_text(text)
    result = run_cli("benchmarks", str(path))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
    assert ("CATS" in result.stderr) == ("CATS" in expected)


def test_missing_file(tmp_path):
    result = run_cli("benchmarks", str(tmp_path / "nope.json"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"{tmp_path / 'nope.json'}: cannot read the file: No such file or directory"


def test_not_utf8(tmp_path):
    path = tmp_path / "bin.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    result = run_cli("benchmarks", str(path))
    assert result.returncode == 2 and "not UTF-8" in result.stderr


@pytest.mark.parametrize("command, data, where", [
    ("import", b"goods 1\nbids 1\n% caf\xe9\n0 5 0 #\n", "line 3: not UTF-8 text (byte 20)"),
    ("import", b"\xef\xbb\xbfgoods 1\nbids 1\n\xe9\n0 5 0 #\n", "line 3: not UTF-8 text (byte 18)"),  # after a BOM
    ("import", b"goods 1\rbids 1\r% caf\xe9\r0 5 0 #\r", "line 3: not UTF-8 text (byte 20)"),  # lines ended by CR
    ("import", b"goods 1\r\nbids 1\r\n% caf\xe9\r\n0 5 0 #\r\n", "line 3: not UTF-8 text (byte 22)"),
    ("benchmarks", b'\xef\xbb\xbf{"goods": ["a"],\n\xe9}\n', "line 2: not UTF-8 text (byte 20)"),
])
def test_a_byte_that_is_not_utf8_is_named_by_its_line(tmp_path, command, data, where):
    """A byte of Latin-1 (a comment's é) in a long file was named by its offset alone, counted
    after a byte-order mark."""
    path = tmp_path / "latin.txt"
    path.write_bytes(data)
    result = run_cli(command, str(path))
    assert result.returncode == 2 and result.stderr.startswith(f"{path}: {where}; expected "), result.stderr


@pytest.mark.parametrize(
    "args, expected",
    [
        pytest.param(["--solver", "gurobi"], "Invalid value for '--solver'", id="unknown-solver"),
        pytest.param(["--time-limit", "0"], "Invalid value for '--time-limit'", id="zero-time-limit"),
        pytest.param(["--time-limit", "abc"], "Invalid value for '--time-limit'", id="non-numeric-time-limit"),
        pytest.param(["--time-limit", "nan"], "'nan' is not a number of seconds", id="nan-time-limit"),
        pytest.param(["--frobnicate"], "No such option '--frobnicate'", id="unknown-flag"),
    ],
)
def test_bad_flags(args, expected):
    from tests.conftest import EXAMPLES

    result = run_cli("benchmarks", str(EXAMPLES / "seed004-example.json"), *args)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr


@pytest.mark.parametrize("text, args, expected", [
    pytest.param("goods 2\nbids 1\n0 5.5 0 #\n", ["--scale", "3"],
                 "Invalid value for '--scale': expected a power of ten from 1 to 10^9 (1, 10, 100, ...), got 3",
                 id="scale-not-a-power-of-ten"),
    pytest.param("goods 2\nbids 1\n0 5.5 0 #\n", ["--scale", str(10**10)], "Invalid value for '--scale'",
                 id="scale-above-the-limit"),
    pytest.param("goods 99999999999999999999\nbids 1\n0 5.0 0 #\n", [],
                 '"goods 99999999999999999999": the count is too large; expected 1 to 4096', id="huge-goods"),
    pytest.param("goods 2\nbids " + "9" * 40 + "\n0 5.0 0 #\n", [],
                 '"bids 999999999999...(40 digits)": the count is too large; expected at most 12 digits',
                 id="huge-bids"),
])
def test_bad_cats_counts_and_scales(tmp_path, text, args, expected):
    """A flag's bad value is the flag's error, not the file's; a header count of only digits,
    too many of them, is called too large (it was "expected a count in digits 0-9")."""
    source = tmp_path / "in.txt"
    source.write_text(text)
    result = run_cli("import", str(source), *args, "-o", str(tmp_path / "out.json"))
    assert result.returncode == 2 and result.stdout == "" and not (tmp_path / "out.json").exists()
    assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
    assert ("in.txt" in result.stderr) == (not args), result.stderr


@pytest.mark.parametrize("command", [["evaluate", "-m", "vcg"], ["game", "-m", "vcg", "-o", "g.efg"],
                                     ["sweep", "-o", "r.csv"], ["perf"], ["experiment", "--axis", "noisy-lower:0.5",
                                                                          "-o", "r.csv"]])
def test_nan_is_no_time_limit(tmp_path, command):
    """``--time-limit nan`` is a bad flag for every command that takes one (click's range lets
    nan through: it surfaced as a solver's error, or a game was exported with it)."""
    from tests.conftest import EXAMPLES

    result = run_cli(command[0], str(EXAMPLES / "seed004-example.json"), *command[1:], "--time-limit", "nan",
                     cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert f"cabench {command[0]}: Invalid value for '--time-limit': 'nan' is not a number of seconds" in result.stderr
    assert result.stderr.count("\n") == 1 and not list(tmp_path.iterdir())


@pytest.mark.parametrize("command", [
    ["benchmarks", ""], ["benchmarks", "{example}", "--players-csv", ""], ["generate", "-d", "paths", "-o", ""],
    ["perf", "--suite", "quick", "-o", ""], ["sweep", "", "-o", "r.csv"], ["game", "{example}", "-m", "vcg", "-o", ""], ["export", "{example}", "-o", ""],
    ["plot", "r.csv", "-o", ""], ["table", "r.csv", "-o", ""],
], ids=lambda command: "-".join(part for part in command if part and "{" not in part) + "-empty")
def test_an_empty_path_is_refused(tmp_path, command):
    """click reads ``''`` as the current folder: ``-o "$OUT"`` with OUT unset wrote there, and
    ``sweep ""`` read the folder's files as instances."""
    from tests.conftest import EXAMPLES

    args = [part.format(example=EXAMPLES / "seed004-example.json") for part in command]
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "an empty path (an unset shell variable?)" in result.stderr, result.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("command", [[], ["perf", "--suite"]])
def test_no_command_prints_the_help(command):
    """``cabench`` alone prints its help on standard error, line by line, and exits 2."""
    result = run_cli(*command)
    assert result.returncode == 2 and result.stdout == ""
    if command:
        assert result.stderr.count("\n") == 1 and "requires an argument" in result.stderr
    else:
        assert result.stderr.startswith("Usage: cabench [OPTIONS] COMMAND") and "\\x0a" not in result.stderr
        assert "Commands:" in result.stderr and result.stderr.count("\n") > 10


def test_brute_force_on_too_many_goods(tmp_path):
    goods = [f"g{k}" for k in range(13)]
    data = {"goods": goods, "players": ["p"], "valuations": {"p": {"xor": [[goods, 5]]}}}
    path = tmp_path / "wide.json"
    path.write_text(json.dumps(data))
    for command in (["benchmarks"], ["evaluate", "-m", "vcg"]):  # (vcg's programs all take shortcuts: it ran)
        result = run_cli(*command, str(path), "--solver", "brute")
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert f"Invalid value for '--solver': brute handles at most 12 goods; {path} has 13" in result.stderr


_json_text = st.text(alphabet='ab[]{}"\\\\:,\u00e9\U0001f600', max_size=6)


def _json_containers(inner):  # (a function: hypothesis misread the lambda's source, and warned)
    return st.lists(inner, max_size=3) | st.dictionaries(_json_text, inner, max_size=3)


_json_values = st.recursive(st.integers(-5, 5) | _json_text, _json_containers, max_leaves=40)


def _nested(value, depth: int):
    for _ in range(depth):
        value = [value]
    return {"a": value}


@settings(max_examples=300, deadline=None)
@given(st.one_of(_json_values, st.builds(_nested, _json_values, st.integers(25, 40))), st.booleans())
def test_text_check_never_hides_a_problem_of_the_walk(value, ascii_only):
    """The loader skips the walk over decoded JSON when the text alone shows it has nothing to
    find (``instances.loader._plain``): whenever it says so, the walk finds nothing indeed,
    whatever the strings hold (brackets, quotes, escapes, non-ASCII text) and however deep."""
    from instances.loader import _find_problem, _plain

    text = json.dumps(value, ensure_ascii=ascii_only)
    if _plain(text):
        assert _find_problem(json.loads(text)) is None
    if _find_problem(json.loads(text)) is None and not ascii_only and '"table"' not in text:
        # without escapes of surrogates, the check decides by depth alone: brackets inside
        # strings never count
        depth = max((len(p) for p in _paths(json.loads(text))), default=0)
        if depth <= 30:
            assert _plain(text)


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _paths(child, path + (key,))
    elif isinstance(node, list):
        for k, child in enumerate(node):
            yield from _paths(child, path + (k,))


def test_json_paths_quote_names_that_would_make_them_ambiguous():
    """``valuations.p.1.additive`` reads as four steps; a name with a dot, bracket, quote or
    space (or an empty one) is written as a JSON string in brackets."""
    from instances.errors import json_path

    assert json_path(["valuations", "p3", "explicit", 1, 0]) == "valuations.p3.explicit[1][0]"
    assert json_path(["valuations", "p.1", "additive", "zz"]) == 'valuations["p.1"].additive.zz'
    assert json_path(["knowledge", 'a "b"', "", "x y"]) == 'knowledge["a \\"b\\""][""]["x y"]'
    assert json_path(["players", "é"]) == "players.é"
    # (a control character, a non-breaking or zero-width space: quoted, escaped, told apart)
    assert json_path(["valuations", "a\x1bb"]) == 'valuations["a\\u001bb"]'
    assert json_path(["valuations", "a\\x1bb"]) == 'valuations["a\\\\x1bb"]'
    assert json_path(["valuations", "p\u00a01"]) == 'valuations["p\\u00a01"]'
    assert json_path(["valuations", "p\u200b1"]) == 'valuations["p\\u200b1"]'


def test_an_unwritable_output_folder_is_named_as_given(tmp_path):
    """The error named cabench's own probe file (``afile/sub/.cabench-check``), not the folder."""
    from tests.conftest import run_cli

    (tmp_path / "afile").write_text("")
    result = run_cli("generate", "-d", "regions", "-m", "3", "-b", "4", "-n", "2", "--count", "2",
                     "-o", str(tmp_path / "afile" / "sub"))
    assert result.returncode == 2 and ".cabench-check" not in result.stderr
    assert result.stderr.startswith(f"{tmp_path / 'afile' / 'sub'}: cannot write:"), result.stderr


@pytest.mark.parametrize("field, names, says", [
    ("players", ["\u00e9", "e\u0301"], 'players[1]: player "e\u0301" reads the same as "\u00e9"'),
    ("players", ["a", "  "], "players[1]: a player named only by spaces"),
    ("goods", ["x", "\t"], "goods[1]: a good named only by spaces"),
    ("players", ["p1", "p1 "], 'players[1]: player "p1 " reads the same as "p1"'),
    # (an invisible character is shown escaped: the message read "p1" reads the same as "p1")
    ("players", ["p1", "p1\u200b"], 'players[1]: player "p1\\u200b" reads the same as "p1"'),
    # invisible operators, Hangul fillers; a variation selector or a joiner alone (they were kept)
    ("players", ["p1", "p1\u2063"], 'players[1]: player "p1\\u2063" reads the same as "p1"'),
    ("players", ["p1", "\u3164p1"], 'players[1]: player "\\u3164p1" reads the same as "p1"'),
    ("players", ["a", "\ufe0f"], "players[1]: a player named only by spaces or invisible characters"),
    ("goods", ["x", "\u200d"], "goods[1]: a good named only by spaces or invisible characters"),
])
def test_names_that_print_alike_are_refused(field, names, says):
    """Two players printed alike (one composed "é", one "e" and an accent) made two identical
    rows and an ambiguous MKW ({é}); a name of spaces printed as nothing."""
    from instances import CabenchError
    from instances.loader import parse_instance

    data = {"goods": ["g1"], "players": ["p1"], "valuations": {"p1": {"xor": []}}}
    data[field] = names
    if field == "players":
        data["valuations"] = {p: {"xor": []} for p in names}
    with pytest.raises(CabenchError, match=re.escape(says)):
        parse_instance(data)


def test_names_that_print_differently_are_kept():
    """Only composition, invisible characters and surrounding spaces make names alike: the first
    check (NFKC, every format character) refused "m²" beside "m2", "Ⅳ" beside "IV", emoji joined
    by ZWJ and Persian words written with ZWNJ."""
    from instances.loader import parse_instance

    for pair in (["m\u00b2", "m2"], ["\u2163", "IV"], ["\U0001f469\u200d\U0001f4bb", "\U0001f469\U0001f4bb"],
                 ["\u0628\u06cc\u200c\u0646\u0627\u0645", "\u0628\u06cc\u0646\u0627\u0645"]):
        inst = parse_instance({"goods": ["g1"], "players": pair, "valuations": {p: {"xor": []} for p in pair}})
        assert inst.players == tuple(pair)


def test_a_long_name_is_cut_and_a_long_list_counted(tmp_path):
    """An unknown player named by a million characters made a message of a million (twice, under
    ``knowledge``: in the path and in the message); a file of 2,000 players listed them all as
    those expected. Names are cut to 60 characters with their length, lists to ten names with
    their count (a user's audit)."""
    long = "x" * 1_000_000
    for where, data in (("coalitions[0][1]", {**BASE, "coalitions": [["p1", long]]}),
                        (f'knowledge.p1.lower_bounds["{"x" * 57}..." (1,000,000 characters)]',
                         {**BASE, "knowledge": {"p1": {"lower_bounds": {long: {"explicit": [[["2"], 25]]}}}}})):
        path = tmp_path / "long.json"
        path.write_text(json.dumps(data))
        result = run_cli("benchmarks", str(path))
        assert result.returncode == 2 and len(result.stderr) < 400, result.stderr[:400]
        assert result.stderr == (f'{path}: {where}: unknown player "{"x" * 57}..." (1,000,000 characters); '
                                 "expected one of: p1, p2, p3\n")
    players = [f"p{k}" for k in range(1, 2001)]
    many = {"name": "many", "goods": ["1"], "players": players,
            "valuations": {p: {"xor": [[["1"], 1]]} for p in players}, "coalitions": [["p1", "q"]]}
    path = tmp_path / "many.json"
    path.write_text(json.dumps(many))
    result = run_cli("benchmarks", str(path))
    assert result.returncode == 2 and result.stderr == (f'{path}: coalitions[0][1]: unknown player "q"; expected '
                                                        "one of: p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, ... "
                                                        "(2,000 in all)\n")


def test_of_two_wrong_items_the_first_is_named(tmp_path):
    """jsonschema ranks a later path higher: ``[[1, 2]]`` as coalitions was reported at
    ``coalitions[0][1]``, the second wrong member (a user's audit)."""
    for coalitions, where in (([[1, 2]], "coalitions[0][0]: expected a string, got 1"),
                              ([[["p1"], ["p2"]]], 'coalitions[0][0]: expected a string, got ["p1"]'),
                              ([["p1", "p2"], [3, "p3"], [4, 5]], "coalitions[1][0]: expected a string, got 3")):
        path = tmp_path / "two.json"
        path.write_text(json.dumps({**BASE, "coalitions": coalitions}))
        result = run_cli("benchmarks", str(path))
        assert result.returncode == 2 and result.stderr == f"{path}: {where}\n", result.stderr
    # the first in the file of the shallowest, whatever their kinds (a type error came before an
    # earlier empty name, a review found)
    for change, where in (({"players": ["", 5]}, "players[0]: expected a non-empty string"),
                          ({"goods": [], "players": 5}, "goods: expected at least 1 item, got 0")):
        path = tmp_path / "kinds.json"
        path.write_text(json.dumps({**BASE, **change}))
        result = run_cli("benchmarks", str(path))
        assert result.returncode == 2 and result.stderr == f"{path}: {where}\n", result.stderr
    # keys in the file's order, not alphabetical: p2 before p10 (and zed before amy)
    for players in (["p1", "p2", "p10"], ["zed", "amy"]):
        first, second = players[-2:]
        data = {"name": "order", "goods": ["1"], "players": players,
                "valuations": {p: {"xor": 5 if p in (first, second) else [[["1"], 1]]} for p in players}}
        path = tmp_path / "order.json"
        path.write_text(json.dumps(data))
        result = run_cli("benchmarks", str(path))
        assert result.returncode == 2 and f": valuations.{first}.xor: " in result.stderr, result.stderr


def test_names_in_messages():
    """Names and values in messages: escaped where they would not print, letters as they are,
    cut by their own length (a name of 40 backslashes was cut at 60 escaped characters, a
    dangling backslash before the dots), and a long name in a list of names cut too."""
    from instances.errors import json_path, one_of, quoted

    assert quoted("p1") == '"p1"' and quoted('a "b"\n') == '"a \\"b\\"\\n"' and quoted("é") == '"é"'
    assert quoted("p\u200b1") == '"p\\u200b1"' and quoted("p\u00a01") == '"p\\u00a01"'
    assert quoted("\U000e0001") == '"\\udb40\\udc01"'  # (a tag character: a surrogate pair, as JSON has it)
    assert quoted("y" * 61) == f'"{"y" * 57}..." (61 characters)' and quoted("y" * 60) == f'"{"y" * 60}"'
    assert quoted("\\" * 40) == '"' + "\\\\" * 40 + '"'  # (40 characters: not cut)
    assert quoted("\\" * 61) == '"' + "\\\\" * 57 + '..." (61 characters)'
    assert one_of(["a", "b"]) == "a, b" and one_of(map(str, range(12)), 2) == "0, 1, ... (12 in all)"
    assert one_of(["p1", "z" * 100]) == f'p1, "{"z" * 57}..." (100 characters)'
    assert json_path(["knowledge", "y" * 61]) == f'knowledge["{"y" * 57}..." (61 characters)]'
    assert json_path(["knowledge", "p.1", 2]) == 'knowledge["p.1"][2]'
    assert json_path(["knowledge", "café x"]) == 'knowledge["café x"]'  # (it read caf\u00e9 beside "café x")
    # characters that print as nothing though Python calls them printable (a Hangul filler)
    assert json_path(["valuations", "\u3164p1"]) == 'valuations["\\u3164p1"]' and quoted("\u3164") == '"\\u3164"'
    assert one_of(["p1", "p\u200b1", "a,b"]) == 'p1, "p\\u200b1", "a,b"'


def test_values_in_messages_are_cut_at_an_escapes_end():
    from instances.errors import shown_value

    assert shown_value(5) == "5" and shown_value({"a": [1, 2]}) == '{"a": [1, 2]}' and shown_value("é") == '"é"'
    assert shown_value(["é", "\u200b"]) == '["é", "\\u200b"]'
    for k in range(50, 70):  # never half an escape before the dots
        shown = shown_value(["x" * k + "\n" * 5 + "\u00a0" * 5])
        assert len(shown) <= 60 and shown.endswith("...") and not shown[:-3].endswith("\\"), shown
