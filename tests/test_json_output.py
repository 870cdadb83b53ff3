"""``cabench.formats.indented_json``: orjson writing exactly what ``json.dumps(data, indent=2,
ensure_ascii=False)`` writes (the ``--json`` report of ``cabench benchmarks``), falling back to
``json`` for what orjson would write differently or refuses."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import compute_report, report_json
from cabench.formats import indented_json
from ilp import SolveOptions
from instances import instance_text
from instances.generate import generate_instance
from tests.conftest import run_cli

LEAVES = (st.none() | st.booleans() | st.integers() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False)
          | st.text() | st.sampled_from(["\u2028", "\x7f", "\x00", "é", "\U0001F600", "1e5", "a\"b\\c", "v0.8", 'x\\"1.5', "2E3"]))


def json_like(leaves=LEAVES):
    return st.recursive(leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                        max_leaves=30)


@settings(max_examples=400, deadline=None)
@given(json_like())
def test_the_same_bytes_as_json(data):
    assert indented_json(data) == json.dumps(data, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("data", [{1: "a"}, {"a": 10**30}, ["\ud800"], {"x": 1e-05}, [1e16, 0.1, -0.0],
                                  {"t": (1, 2)}])
def test_what_orjson_writes_differently_goes_to_json(data):
    assert indented_json(data) == json.dumps(data, indent=2, ensure_ascii=False)


def test_nan_and_infinities_are_null():
    """JSON has no NaN: ``json`` writes ``NaN`` (refused by JSON readers), orjson ``null``."""
    assert json.loads(indented_json({"nan": float("nan"), "inf": [float("inf"), -float("inf")]})) == {
        "nan": None, "inf": [None, None]}


def test_what_json_refuses_is_refused():
    @dataclasses.dataclass
    class Point:
        x: int

    class Name(str):
        pass

    with pytest.raises(TypeError):
        indented_json({"p": Point(1)})
    assert indented_json({"n": Name("ab")}) == json.dumps({"n": Name("ab")}, indent=2)


def test_benchmarks_json_is_json_dumps_of_the_report(tmp_path):
    """The command's ``--json`` output is byte for byte ``json.dumps`` of the report (as it was
    written before orjson), with knowledge and coalitions."""
    inst = generate_instance("decay", 10, 20, None, 1, knowledge="noisy-lower:0.8", coalitions="pairs:1")
    path = tmp_path / "inst.json"
    path.write_text(instance_text(inst))
    result = run_cli("benchmarks", str(path), "--json", "--solver", "cpsat", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    expected = json.dumps(report_json(compute_report(inst, SolveOptions("cpsat", jobs=1))), indent=2,
                          ensure_ascii=False) + "\n"
    assert result.stdout == expected


def test_floats_orjson_writes_as_json_does_stay_with_orjson(monkeypatch):
    """A report with a float (an unproven program's gap) went whole to ``json``'s slow encoder;
    orjson's text is kept when each of its floats is written as ``json`` writes it, and every
    other float still sends the whole to ``json``: the bytes are ``json.dumps``'s either way."""
    import random

    import cabench.formats as formats

    rng = random.Random(3)
    for _ in range(300):
        floats = [rng.random() * 10.0 ** rng.randint(-12, 20) * rng.choice((1, -1)) for _ in range(rng.randint(1, 5))]
        data = {"gap": floats, "name": "v1.5e3", "n": [1, 2, 3]}
        assert indented_json(data) == json.dumps(data, indent=2, ensure_ascii=False)
    used = []
    monkeypatch.setattr(formats.json, "dumps", lambda *a, **k: used.append(1) or json.JSONEncoder(indent=2).encode(a[0]))
    indented_json({"gap": 0.16000847662522755, "bound": 5017142891})
    assert used == []  # (written by orjson)
    indented_json({"gap": 1e-05})
    assert used == [1]
