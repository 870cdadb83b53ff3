"""The report's batch started while the file is read (``benchmarks.report.EarlyWelfare``): MSW
once the valuations are read, each player's MIKW_i once its lower bounds are; the loader's
``on_valuations`` hook and its knowledge reader, programs that join a running batch
(``ilp.batch.Arrivals``), the same report as solving everything in one batch, and bad input
that still ends in one clean error."""

from __future__ import annotations

import json
import subprocess
import threading
import time

import psutil
import pytest

from benchmarks import compute_report, report_json
from benchmarks.report import EarlyWelfare
from benchmarks.table import ReportPlan
from ilp import SolveOptions, solve_batch
from ilp.batch import Arrivals, BatchAbandoned, shared_workers
from instances import InputError, instance_text, load_instance
from instances.generate import generate_instance
from tests.conftest import cabench_command, run_cli


def knowledge_file(tmp_path, knowledge="noisy-lower:0.8", players=30):
    inst = generate_instance("decay", 16, players, None, 0, knowledge=knowledge)
    path = tmp_path / "knowledge.json"
    path.write_text(instance_text(inst))
    return path


def bad_last_player_file(tmp_path):
    """A 60-player knowledge file whose last player's first lower bound has a negative price
    (found only once every other player's knowledge was read); returns (path, that player)."""
    path = knowledge_file(tmp_path, players=60)
    data = json.loads(path.read_text())
    last = list(data["knowledge"])[-1]
    bounds = data["knowledge"][last]["lower_bounds"]
    bounds[next(iter(bounds))] = {"xor": [[["g1"], -5]]}
    path.write_text(json.dumps(data))
    return path, last


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


class Recording:
    """A knowledge reader that records what the loader gives it."""

    def __init__(self) -> None:
        self.seen: list = []
        self.failures = 0

    def knowledge(self, i, knowledge):
        self.seen.append((i, knowledge))

    def failed(self):
        self.failures += 1


def test_the_reader_gets_each_players_knowledge_in_order_and_hears_of_a_late_error(tmp_path):
    path = knowledge_file(tmp_path)
    reader = Recording()
    inst = load_instance(path, lambda m, valuations: reader)
    assert [i for i, _ in reader.seen] == list(range(inst.n)) and reader.failures == 0
    assert all(known is inst.knowledge[i] for i, known in reader.seen)
    data = json.loads(path.read_text())
    last = list(data["knowledge"])[-1]
    data["knowledge"][last]["lower_bounds"]["nobody"] = {"xor": [[["0"], 1]]}
    path.write_text(json.dumps(data))
    reader = Recording()
    with pytest.raises(InputError, match="nobody"):
        load_instance(path, lambda m, valuations: reader)
    assert reader.failures == 1 and len(reader.seen) == inst.players.index(last)  # the players before it
    data["knowledge"][last]["lower_bounds"].pop("nobody")
    data["coalitions"] = [[data["players"][0], "nobody"]]
    path.write_text(json.dumps(data))
    reader = Recording()
    with pytest.raises(InputError, match="nobody"):  # after every player's knowledge
        load_instance(path, lambda m, valuations: reader)
    assert reader.failures == 1 and len(reader.seen) == inst.n


def spy_batches(monkeypatch) -> list:
    """The batches started from now on: (their programs, what they knew), as they start."""
    import ilp.batch

    batches = []
    original = ilp.batch._Scheduler.__init__

    def spy(self, programs, options, known, progress, after, more=None, bounds=None):
        batches.append((list(programs), dict(known or {}), more))
        original(self, programs, options, known, progress, after, more, bounds)

    monkeypatch.setattr(ilp.batch._Scheduler, "__init__", spy)
    return batches


@pytest.mark.parametrize("knowledge", ["noisy-lower:0.8", "exact", "candidates:2"])
def test_the_same_report_as_one_batch_in_one_process(tmp_path, monkeypatch, knowledge):
    """With two workers, MSW started once the valuations are read and each MIKW_i once player i's
    bounds are, the rest joining at the close, give the report of one batch in one process, byte
    for byte, in one batch (no program solved twice)."""
    path = knowledge_file(tmp_path, knowledge)
    alone = report_json(compute_report(load_instance(path), SolveOptions("cpsat", jobs=1)))
    batches = spy_batches(monkeypatch)
    with shared_workers(SolveOptions("cpsat", jobs=2)) as options:
        assert EarlyWelfare.wanted(options)
        early = EarlyWelfare(options)
        inst = load_instance(path, early.start)
        report = compute_report(inst, options, early=early)
    assert json.dumps(report_json(report)) == json.dumps(alone)
    (programs, known, more), = batches  # the report's own batch is the one started early
    assert programs == [early.msw] and not known and more is not None
    with_bounds = [i for i, k in enumerate(inst.knowledge) if k is not None and hasattr(k, "bounds") and k.bounds]
    assert sorted(early.mikw) == with_bounds  # every MIKW_i of a player with bounds, made while reading
    plan = ReportPlan.of(inst)
    assert all(early.mikw[i] == plan.mikw[i] for i in with_bounds)


def test_knowledge_programs_are_solved_while_the_file_is_still_read(tmp_path):
    """The workers receive MIKW_i's weights before the last player's knowledge is read."""
    path = knowledge_file(tmp_path, players=40)
    with shared_workers(SolveOptions("cpsat", jobs=2)) as options:
        early = EarlyWelfare(options)
        sent_before_last = []

        def start(m, valuations):
            reader = early.start(m, valuations)

            class Slow:
                @staticmethod
                def knowledge(i, known):
                    reader.knowledge(i, known)
                    if i == len(valuations) - 2:  # wait (at most 60 s) for the workers to get MIKW_i's bounds
                        deadline = time.monotonic() + 60
                        while time.monotonic() < deadline and not sent_before_last:
                            sent = sum(len(s) for s in options.workers.traffic.sent)
                            if sent > len(set(map(id, valuations))) + 1:  # more than MSW's weights
                                sent_before_last.append(sent)
                            time.sleep(0.01)

                failed = staticmethod(reader.failed)

            return Slow

        inst = load_instance(path, start)
        report = compute_report(inst, options, early=early)
    assert sent_before_last, "no knowledge program reached the workers while the file was read"
    assert json.dumps(report_json(report)) == json.dumps(
        report_json(compute_report(load_instance(path), SolveOptions("cpsat", jobs=1))))


def test_a_late_error_abandons_the_batch_and_frees_the_workers(tmp_path):
    """An error in the last player's knowledge, found while knowledge programs run: the load
    raises it, the batch ends (abandoned, nothing more sent), and the same workers then serve
    another report, which comes out as in one process."""
    path, _ = bad_last_player_file(tmp_path)
    other = generate_instance("decay", 16, 30, None, 1, knowledge="noisy-lower:0.8")
    with shared_workers(SolveOptions("cpsat", jobs=2)) as options:
        early = EarlyWelfare(options)
        with pytest.raises(InputError, match="-5"):
            load_instance(path, early.start)
        assert len(early.mikw) == 59  # every other player's MIKW_i had joined the batch
        with pytest.raises(BatchAbandoned):
            early.solutions([early.msw])
        report = compute_report(other, options)
    assert json.dumps(report_json(report)) == json.dumps(
        report_json(compute_report(other, SolveOptions("cpsat", jobs=1))))


def test_an_error_while_the_report_plans_ends_the_early_batch(tmp_path, monkeypatch):
    """An exception between the start and the close of the early batch (here in planning, as
    a KeyboardInterrupt or a MemoryError could be) reaches the caller, and the batch's thread,
    which was waiting for more programs, ends instead of waiting for ever."""
    path = knowledge_file(tmp_path)

    def fails(*args, **kwargs):
        raise MemoryError("planning")

    with shared_workers(SolveOptions("cpsat", jobs=2)) as options:
        early = EarlyWelfare(options)
        inst = load_instance(path, early.start)
        monkeypatch.setattr(ReportPlan, "of", fails)
        with pytest.raises(MemoryError, match="planning"):
            compute_report(inst, options, early=early)
        early._run._thread.join(timeout=60)
        assert not early._run._thread.is_alive()
        with pytest.raises(BatchAbandoned):
            early._run.result()


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


def run_watching(*args: str) -> tuple[subprocess.CompletedProcess, list[psutil.Process]]:
    """The CLI in a subprocess, watching its descendants while it runs: (result, descendants seen)."""
    process = subprocess.Popen([*cabench_command(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: dict[int, psutil.Process] = {}

    def watch() -> None:
        try:
            me = psutil.Process(process.pid)
        except psutil.Error:
            return
        while process.poll() is None:
            try:
                for child in me.children(recursive=True):
                    seen.setdefault(child.pid, child)
            except psutil.Error:  # (a child ending while listed: look again, rather than stop watching)
                pass
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, err = process.communicate(timeout=300)
    watcher.join()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err), list(seen.values())


def left_running(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those still running 5 s on (a dying worker needs the CPU to finish dying)."""
    deadline = time.monotonic() + 5

    def alive(p: psutil.Process) -> bool:
        try:
            return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    while (running := [p for p in processes if alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return running


@pytest.mark.parametrize("jobs", ["2", "3"])
def test_cli_bad_knowledge_after_programs_started_is_one_clean_error(tmp_path, jobs):
    """The CLI (a subprocess): an error in the last player's knowledge, found after MSW and the
    other players' MIKW_i started in the workers, ends with its JSON path, exit 2, nothing on
    standard output, no traceback, no worker left."""
    path, last = bad_last_player_file(tmp_path)
    done, descendants = run_watching("benchmarks", str(path), "--json", "--solver", "cpsat", "--jobs", jobs)
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert f"knowledge.{last}.lower_bounds" in done.stderr and "-5" in done.stderr
    assert descendants  # the workers had started
    assert left_running(descendants) == []


@pytest.mark.parametrize("knowledge", ["exact", "noisy-lower:0.8"])
def test_cli_same_bytes_with_one_two_and_three_jobs(tmp_path, knowledge):
    path = knowledge_file(tmp_path, knowledge)
    outputs = set()
    for jobs in ("1", "2", "3"):
        done = run_cli("benchmarks", str(path), "--json", "--solver", "cpsat", "--jobs", jobs)
        assert done.returncode == 0, done.stderr
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_cli_progress_bar_with_programs_streamed():
    """The bar "solving programs done/total" still follows the report's batch on a terminal."""
    import re
    import tempfile
    from pathlib import Path

    from tests.test_progress import on_terminal

    with tempfile.TemporaryDirectory() as folder:
        path = knowledge_file(Path(folder))
        out, terminal = on_terminal("benchmarks", str(path), "--solver", "cpsat", "--jobs", "2")
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal)
    assert re.search(r"solving programs .* (\d+)/\1 ", plain), plain[-2000:]
    assert "MSW" in out


def test_programs_that_arrive_give_the_batch_of_all_at_once(tmp_path):
    """``solve_batch(..., more=Arrivals())``: programs added from another thread while the batch
    runs, then the close with the whole list, give the solutions of one batch of that list."""
    inst = generate_instance("decay", 16, 30, None, 3, knowledge="noisy-lower:0.8")
    plan = ReportPlan.of(inst)
    programs = plan.programs()
    alone = solve_batch(programs, SolveOptions("cpsat", jobs=1))
    with shared_workers(SolveOptions("cpsat", jobs=2)) as options:
        arrivals = Arrivals()
        results = []
        thread = threading.Thread(target=lambda: results.append(
            solve_batch(programs[:1], options, freeze=False, more=arrivals)))
        thread.start()
        for program in plan.mikw:
            arrivals.add([program])
            time.sleep(0.001)
        arrivals.close(programs)
        thread.join(timeout=120)
        assert results and [(s.value, s.allocation) for s in results[0]] == [(s.value, s.allocation) for s in alone]

        arrivals = Arrivals()
        failure = []

        def run() -> None:
            try:
                solve_batch(programs[:1], options, freeze=False, more=arrivals, after={0: lambda s: []})
            except BaseException as exc:
                failure.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        arrivals.close(programs[1:])  # another program where after[0] waits
        thread.join(timeout=120)
        assert failure and isinstance(failure[0], ValueError)

        arrivals = Arrivals()
        thread = threading.Thread(target=run)
        failure.clear()
        thread.start()
        arrivals.add(plan.mikw)
        arrivals.abandon()
        thread.join(timeout=120)
        assert failure and isinstance(failure[0], BatchAbandoned)
    with pytest.raises(ValueError, match="shared worker"):
        solve_batch(programs[:1], SolveOptions("cpsat", jobs=2), more=Arrivals())


@pytest.mark.exhaustive  # (as in the worker processes, which tests/conftest.py does not reach)
def test_with_the_portfolio_nothing_is_solved_or_raced_in_the_reading_process(tmp_path, monkeypatch):
    """While programs arrive, the portfolio's first program of each kind is raced in a worker,
    not here (this process reads the file), the rest of its kind waiting for the winner: the
    report is the one-process report, byte for byte."""
    import ilp.batch

    path = knowledge_file(tmp_path, players=20)
    alone = report_json(compute_report(load_instance(path), SolveOptions("portfolio", jobs=1)))

    def nowhere(*args, **kwargs):
        raise AssertionError("solved in the reading process")

    monkeypatch.setattr(ilp.batch, "solve", nowhere)
    monkeypatch.setattr(ilp.batch, "lex_first", nowhere)
    with shared_workers(SolveOptions("portfolio", jobs=2)) as options:
        early = EarlyWelfare(options)
        report = compute_report(load_instance(path, early.start), options, early=early)
    assert json.dumps(report_json(report)) == json.dumps(alone)
