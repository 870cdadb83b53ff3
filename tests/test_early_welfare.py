"""MSW started before the knowledge is read (``benchmarks.report.EarlyWelfare``): the loader's
``on_valuations`` hook, the same report as solving everything in one batch, and bad input that
still ends in one clean error."""

from __future__ import annotations

import json

import pytest

from benchmarks import compute_report, report_json
from benchmarks.report import EarlyWelfare
from ilp import SolveOptions
from ilp.batch import shared_workers
from instances import InputError, instance_text, load_instance
from instances.generate import generate_instance
from tests.conftest import run_cli


def knowledge_file(tmp_path, knowledge="noisy-lower:0.8", players=30):
    inst = generate_instance("decay", 16, players, None, 0, knowledge=knowledge)
    path = tmp_path / "knowledge.json"
    path.write_text(instance_text(inst))
    return path


def test_on_valuations_is_called_with_the_instances_valuations_before_the_knowledge(tmp_path):
    path = knowledge_file(tmp_path)
    calls = []
    inst = load_instance(path, lambda m, valuations: calls.append((m, valuations)))
    assert len(calls) == 1 and calls[0][0] == inst.m and calls[0][1] is inst.valuations
    data = json.loads(path.read_text())
    first = next(iter(data["knowledge"]))
    data["knowledge"][first]["lower_bounds"]["nobody"] = {"xor": [[["0"], 1]]}
    path.write_text(json.dumps(data))
    calls.clear()
    with pytest.raises(InputError, match="nobody"):
        load_instance(path, lambda m, valuations: calls.append(m))
    assert calls == [16]  # called, then the error in the knowledge is still raised
    data["valuations"][first] = {"xor": [[["no-such-good"], 1]]}
    path.write_text(json.dumps(data))
    calls.clear()
    with pytest.raises(InputError, match="no-such-good"):
        load_instance(path, lambda m, valuations: calls.append(m))
    assert calls == []  # bad valuations: nothing starts


@pytest.mark.parametrize("knowledge", ["noisy-lower:0.8", "exact"])
def test_the_same_report_as_one_batch_and_msw_is_not_solved_again(tmp_path, monkeypatch, knowledge):
    """With two workers, MSW and its winners' MSW_{-i} solved while the file is read give the
    report of one batch in one process, byte for byte; the report's batch solves neither again
    (with exact knowledge, MIEW_i is MSW_{-i} itself)."""
    import ilp.batch

    path = knowledge_file(tmp_path, knowledge)
    alone = report_json(compute_report(load_instance(path), SolveOptions("cpsat", jobs=1)))
    with shared_workers(SolveOptions("cpsat", jobs=2)) as options:
        assert EarlyWelfare.wanted(options)
        early = EarlyWelfare(options)
        inst = load_instance(path, early.start)
        welfare, *removed, lex = early.solutions()
        assert welfare.optimal and removed and lex.optimal
        batches = []
        original = ilp.batch._Scheduler.__init__

        def spy(self, programs, options, known, progress, after):
            batches.append((len(programs), dict(known or {})))
            original(self, programs, options, known, progress, after)

        monkeypatch.setattr(ilp.batch._Scheduler, "__init__", spy)
        report = compute_report(inst, options, early=early)
    assert json.dumps(report_json(report)) == json.dumps(alone)
    (_, known), = batches
    assert early.msw in known and len(known) == 1 + len(removed)
    assert report.msw.value == welfare.value


def test_not_started_without_workers_started_ahead():
    with shared_workers(SolveOptions("cpsat", jobs=1)) as options:
        assert not EarlyWelfare.wanted(options)
    with shared_workers(SolveOptions("cpsat")) as options:  # automatic: MSW is solved here first
        assert not EarlyWelfare.wanted(options)


def test_early_solutions_of_other_valuations_are_not_used(tmp_path):
    path = knowledge_file(tmp_path)
    other = generate_instance("decay", 16, 30, None, 1, knowledge="noisy-lower:0.8")
    with shared_workers(SolveOptions("cpsat", jobs=2)) as options:
        early = EarlyWelfare(options)
        load_instance(path, early.start)
        assert not early.serves(other, options)
        report = compute_report(other, options, early=early)
    assert json.dumps(report_json(report)) == json.dumps(
        report_json(compute_report(other, SolveOptions("cpsat", jobs=1))))


@pytest.mark.parametrize("jobs", ["2", "3"])
def test_cli_bad_knowledge_after_msw_started_is_one_clean_error(tmp_path, jobs):
    """The CLI (a subprocess): an error in the knowledge, found after MSW started in the
    workers, ends with its JSON path, exit 2, nothing on standard output, no worker left."""
    path = knowledge_file(tmp_path, players=60)
    data = json.loads(path.read_text())
    last = list(data["knowledge"])[-1]
    bounds = data["knowledge"][last]["lower_bounds"]
    bounds[next(iter(bounds))] = {"xor": [[["g1"], -5]]}
    path.write_text(json.dumps(data))
    done = run_cli("benchmarks", str(path), "--json", "--solver", "cpsat", "--jobs", jobs)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert f"knowledge.{last}.lower_bounds" in done.stderr and "-5" in done.stderr


def test_cli_same_bytes_with_one_two_and_three_jobs(tmp_path):
    path = knowledge_file(tmp_path, "exact")
    outputs = set()
    for jobs in ("1", "2", "3"):
        done = run_cli("benchmarks", str(path), "--json", "--solver", "cpsat", "--jobs", jobs)
        assert done.returncode == 0, done.stderr
        outputs.add(done.stdout)
    assert len(outputs) == 1
