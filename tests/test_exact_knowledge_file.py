"""Exact knowledge in instance files: ``{"exact": true}`` stands for lower bounds equal to the
other players' true valuations (README "Instance files"), so that exact knowledge on a file of
hundreds of players is not n - 1 copies of every valuation."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest

from benchmarks.report import compute_report, report_json
from instances import InputError, LowerBounds, draw_knowledge, load_instance, parse_instance
from instances.generate import generate_instance
from instances.writer import instance_text
from tests.conftest import EXAMPLES, run_cli


def written(inst) -> dict:
    return json.loads(instance_text(inst))


def expanded(data: dict) -> dict:
    """The same file with every ``{"exact": true}`` written out as lower bounds."""
    data = json.loads(json.dumps(data))
    for owner, known in data["knowledge"].items():
        if known == {"exact": True}:
            data["knowledge"][owner] = {"lower_bounds": {p: v for p, v in data["valuations"].items() if p != owner}}
    return data


@pytest.mark.parametrize("seed", range(6))
def test_exact_knowledge_is_written_in_one_line_and_reads_back_as_the_truth(seed):
    inst = generate_instance(("regions", "paths", "decay")[seed % 3], 12, 20, 4, seed, knowledge="exact")
    data = written(inst)
    assert data["knowledge"] == {p: {"exact": True} for p in inst.players}
    back = parse_instance(data)
    assert back == inst
    for i, known in enumerate(back.knowledge):
        assert isinstance(known, LowerBounds)
        assert known.bounds == {j: v for j, v in enumerate(back.valuations) if j != i}
        assert all(v is back.valuations[j] for j, v in known.bounds.items())  # shared, not copied
    long_form = parse_instance(expanded(data))
    assert long_form == back and written(long_form) == data
    report, long_report = compute_report(back, "cpsat"), compute_report(long_form, "cpsat")
    assert report_json(report) == report_json(long_report)


def test_only_bounds_equal_to_the_truth_for_every_other_player_are_written_as_exact():
    inst = generate_instance("regions", 12, 20, 4, 1, knowledge="exact")
    truth = inst.valuations
    partial = LowerBounds({j: truth[j] for j in (1, 2)})  # player 3 left out: its bound is 0
    lower = draw_knowledge(random.Random(0), truth, "noisy-lower:0.5", inst.m)[0]
    alone = parse_instance({"goods": ["a"], "players": ["p"], "valuations": {"p": {"xor": [[["a"], 1]]}},
                            "knowledge": {"p": {"lower_bounds": {}}}})
    data = written(replace(inst, knowledge=(partial, inst.knowledge[1], lower, None)))
    assert "lower_bounds" in data["knowledge"]["p1"] and data["knowledge"]["p2"] == {"exact": True}
    assert "lower_bounds" in data["knowledge"]["p3"] and "p4" not in data["knowledge"]
    assert written(alone)["knowledge"] == {"p": {"lower_bounds": {}}}


@pytest.mark.parametrize("body, message", [
    ({"exact": False}, "knowledge.p1.exact: expected true, got false"),
    ({"exact": 1}, "knowledge.p1.exact: expected true, got 1"),
    ({"exact": True, "lower_bounds": {}}, "knowledge.p1: expected exactly one of: candidates, exact, lower_bounds; got 2 keys"),
    ({"exactly": True}, 'knowledge.p1: unknown knowledge form "exactly"; expected one of: candidates, exact, lower_bounds'),
])
def test_a_bad_exact_entry_is_named_by_its_json_path(tmp_path, body, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"goods": ["a"], "players": ["p1", "p2"],
                                "valuations": {"p1": {"xor": [[["a"], 1]]}, "p2": {"xor": [[["a"], 2]]}},
                                "knowledge": {"p1": body}}))
    with pytest.raises(InputError) as error:
        load_instance(path)
    assert str(error.value) == f"{path}: {message}"
    done = run_cli("benchmarks", str(path))
    assert done.returncode == 2 and done.stderr == f"{path}: {message}\n"


def test_exact_knowledge_on_many_players_costs_about_the_valuations_size(tmp_path):
    """200 one-bid players: written out, exact knowledge repeats 200 * 199 valuations."""
    bare = tmp_path / "bare.json"
    assert run_cli("generate", "-d", "decay", "-m", "16", "-b", "200", "-n", "bidders", "--seed", "2",
                   "-o", str(bare)).returncode == 0
    known = tmp_path / "exact.json"
    done = run_cli("annotate", str(bare), "--knowledge", "exact", "-o", str(known))
    assert done.returncode == 0, done.stderr
    assert known.stat().st_size < 1.5 * bare.stat().st_size
    inst = load_instance(known)
    assert all(len(k.bounds) == 199 for k in inst.knowledge)


def test_an_instance_above_the_input_limit_is_refused_before_it_is_written(tmp_path):
    """Knowledge other than exact drawn on hundreds of players can exceed what cabench reads
    (a 411-player CATS file of 2000 bids with noisy-lower:0.8 was 96 MB): generate, annotate and
    import refuse to write it (exit 2, nothing written) rather than leave a file nothing reads."""
    from instances.files import MAX_INPUT_BYTES, MAX_STDIN_BYTES, OutputError, readable_text

    small = "x" * 1000
    assert readable_text(small, None) is small
    assert readable_text("é" * (MAX_INPUT_BYTES // 2), tmp_path / "ok.json")  # 64 MiB exactly: read back
    big = "é" * (MAX_INPUT_BYTES // 2 + 1)  # two bytes a character in UTF-8
    with pytest.raises(OutputError) as error:
        readable_text(big, tmp_path / "big.json")
    assert str(error.value) == (f"{tmp_path / 'big.json'}: cannot write: the instance would be 67.1 MB, above the "
                                f"64 MiB that cabench reads from a file (and up to 256 MiB from standard input, "
                                f"through a pipe); draw the knowledge on fewer players or bids")
    # standard output goes through a pipe to `cabench benchmarks -`, which reads 256 MiB (the
    # same 64 MiB was refused there: a CATS file of 402 bidders could get no knowledge at all)
    assert readable_text(big, None) is big
    with pytest.raises(OutputError, match="^standard output: cannot write: the instance would be 268.4 MB, above "
                                          "the 256 MiB that cabench reads from standard input"):
        readable_text("é" * (MAX_STDIN_BYTES // 2 + 1), None)
    assert not (tmp_path / "big.json").exists()


def test_an_import_too_large_to_read_back_says_why(tmp_path, monkeypatch):
    """An imported CATS file without knowledge whose instance is above the read limit was told to
    "draw the knowledge on fewer players or bids" (it drew none)."""
    from click.testing import CliRunner

    import instances.files
    from cabench.cli import cli

    source = EXAMPLES.parent.parent / "tests" / "hostile" / "valid.cats"
    monkeypatch.setattr(instances.files, "MAX_INPUT_BYTES", 20)  # (the sample's instance is larger)
    plain = CliRunner().invoke(cli, ["import", str(source), "-o", str(tmp_path / "a.json")])
    assert plain.exit_code != 0 and "import fewer of them" in str(plain.exception), plain.output
    drawn = CliRunner().invoke(cli, ["import", str(source), "--knowledge", "exact", "-o", str(tmp_path / "b.json")])
    assert "draw the knowledge on fewer players or bids" in str(drawn.exception)
    assert list(tmp_path.iterdir()) == []
