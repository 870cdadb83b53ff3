"""Batch solving (ilp.batch) and warm starts give exactly what solving one program at a time gives:
duplicates, the player-removal shortcut, warm starts and parallel worker processes change times,
never values."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import compute_report
from benchmarks.report import report_json
from benchmarks.table import report_programs, table_programs
from ilp import Program, SolveOptions, Status, Weight, solve, solve_batch
from ilp.formulation import build
from ilp.index import parent_of
from instances import Form, Valuation
from instances.generate import generate_instance
from instances.synthetic import random_instance, random_valuation
from tests.test_ilp import random_program

BACKENDS = ["cpsat", "cbc", "scip", "highs"]


def xor_program(rng: random.Random, m: int, n: int) -> Program:
    return Program(m, tuple(Weight.of(random_valuation(rng, m, Form.XOR)) for _ in range(n)))


def removals(program: Program) -> list[Program]:
    return [Program(program.n_goods, tuple(None if j == i else w for j, w in enumerate(program.weights)))
            for i in range(len(program.weights))]


@settings(max_examples=60)
@given(st.integers(0, 2**32))
def test_batch_equals_one_at_a_time(seed):
    rng = random.Random(seed)
    base = random_program(seed)
    programs = [base, *removals(base), base, random_program(seed + 1)]
    rng.shuffle(programs)
    batch = solve_batch(programs, SolveOptions("cpsat", jobs=1))
    for program, solution in zip(programs, batch):
        alone = solve(program, "cpsat")
        assert solution.status is Status.OPTIMAL
        assert solution.value == alone.value == program.total(solution.allocation)


def test_removal_shortcut_reuses_the_parent_optimum():
    rng = random.Random(7)
    for _ in range(20):
        base = xor_program(rng, 5, 4)
        optimum = solve(base, "cpsat")
        for i, removed in enumerate(removals(base)):
            assert parent_of(removed, [base]) == (base, i)
            (solution,) = solve_batch([base, removed], SolveOptions("cpsat", jobs=1))[1:]
            assert solution.value == solve(removed, "cpsat").value
            if optimum.allocation[i] == 0:  # no solve: the parent's allocation is kept
                assert solution.allocation == optimum.allocation
    assert parent_of(removals(base)[0], [removals(base)[1]]) is None  # two players differ


@pytest.mark.parametrize("backend", BACKENDS)
def test_warm_starts_never_change_values(backend):
    rng = random.Random(11)
    for _ in range(15):
        base = xor_program(rng, 6, 4)
        optimum = solve(base, "brute")
        for i, removed in enumerate(removals(base)):
            hint = tuple(0 if j == i else bundle for j, bundle in enumerate(optimum.allocation))
            assert solve(removed, backend, hint=hint).value == solve(removed, "brute").value
            # a poor hint (everything to nobody) is harmless too
            assert solve(removed, backend, hint=(0,) * 4).value == solve(removed, "brute").value


def test_encoded_hint_is_a_feasible_assignment_worth_the_allocation():
    rng = random.Random(3)
    for _ in range(30):
        program = xor_program(rng, 6, 3)
        formulation = build(program)
        allocation = solve(program, "brute").allocation
        values = formulation.encode(allocation)
        assert values is not None
        for terms, lo, hi in formulation.ilp.rows:
            total = sum(c * values[k] for k, c in terms.items())
            assert (lo is None or total >= lo) and (hi is None or total <= hi)
        objective = sum(c * values[k] for k, c in formulation.ilp.objective.items())
        assert objective == program.total(allocation)


def test_parallel_workers_give_the_same_table():
    """jobs=2 forces worker processes; values equal the one-process batch and the report."""
    inst = generate_instance("regions", 16, 60, 4, 3, knowledge="noisy-lower:0.5", coalitions="pairs:1")
    programs = report_programs(inst)
    parallel = solve_batch(programs, SolveOptions("cpsat", jobs=2))
    serial = solve_batch(programs, SolveOptions("cpsat", jobs=1))
    assert [s.value for s in parallel] == [s.value for s in serial]
    assert all(s.optimal for s in parallel)
    raced = solve_batch(programs, SolveOptions("portfolio", jobs=2))  # side by side with the last race's winner
    assert [s.value for s in raced] == [s.value for s in serial]
    report = compute_report(inst, SolveOptions(jobs=2))
    assert report.msw.value == parallel[0].value


@pytest.mark.exhaustive  # (as in the worker processes, which tests/conftest.py does not reach)
@pytest.mark.parametrize("seed", range(3))
def test_candidate_programs_in_workers_keep_the_portfolio_s_witnesses(seed):
    """Candidate programs (``ilp.colgen``) sent to worker processes get the portfolio, as here,
    not the solver of the latest answer: the same solutions, witnesses included, with jobs=1 and
    jobs=2 (with the latest answer's CP-SAT, the cores returned other optima on these seeds)."""
    inst = generate_instance("paths", 32, 200, 6, seed, knowledge="candidates:3")
    programs = report_programs(inst)
    serial = solve_batch(programs, SolveOptions("portfolio", jobs=1))
    parallel = solve_batch(programs, SolveOptions("portfolio", jobs=2))
    assert [(s.value, s.allocation) for s in parallel] == [(s.value, s.allocation) for s in serial]
    assert all(s.optimal for s in serial)


def test_candidate_programs_are_never_raced_in_the_parent(monkeypatch):
    """A program priced by ``ilp.colgen`` is not raced (the portfolio gives it to the same
    single-threaded search wherever it runs): with worker processes it goes to one at once, never
    solved in this process as the first of its kind, and no other program of its kind waits for
    it. The solutions are those of one process."""
    import ilp.batch

    inst = generate_instance("paths", 32, 200, 6, 0, knowledge="candidates:3")
    programs = report_programs(inst)
    robust = ilp.batch._Robust()
    here: list[bool] = []
    solve_here = ilp.batch.solve

    def recorded(program, *args, **kwargs):
        here.append(robust(program))
        return solve_here(program, *args, **kwargs)

    monkeypatch.setattr(ilp.batch, "solve", recorded)
    parallel = compute_report(inst, SolveOptions("portfolio", jobs=2))
    assert here and not any(here)  # the races of MSW and MSW_-i here, every candidate program in a worker
    assert any(robust(p) for p in programs)
    monkeypatch.setattr(ilp.batch, "solve", solve_here)
    serial = compute_report(inst, SolveOptions("portfolio", jobs=1))
    assert [(b.value, b.outcome) for p in parallel.players for b in (p.miew, p.mikw)] == [
        (b.value, b.outcome) for p in serial.players for b in (p.miew, p.mikw)]


def test_candidate_programs_arriving_during_a_race_do_not_wait_for_it(monkeypatch):
    """While programs still arrive (``Arrivals``: the file is being read), the portfolio races
    MSW in a worker and the programs of its kind wait for the winner. A candidate MIKW_i is of
    that kind but takes no winner: it is sent to a worker before MSW's race has ended."""
    import ilp.batch
    import ilp.remote
    from ilp.batch import Arrivals, shared_workers

    inst = generate_instance("paths", 32, 200, 6, 0, knowledge="candidates:3")
    named = table_programs(inst)
    msw = named[0][1]
    mikw = [p for name, p in named if name.startswith("MIKW")]
    robust = ilp.batch._Robust()
    assert named[0][0] == "MSW" and not robust(msw) and mikw and all(map(robust, mikw))
    events: list[str] = []  # in the order the batch's thread meets them
    make_request, finish = ilp.remote.Remote._request, ilp.batch._Scheduler.finish

    def request(self, w, tasks, blocks):
        events.extend(["candidate sent"] * sum(map(robust, (task.program for task in tasks))))
        return make_request(self, w, tasks, blocks)

    def finished(self, position, solution):
        if position == self.order[0]:
            events.append("MSW's race ended")
        return finish(self, position, solution)

    monkeypatch.setattr(ilp.remote.Remote, "_request", request)
    monkeypatch.setattr(ilp.batch._Scheduler, "finish", finished)
    arrivals = Arrivals()
    arrivals.add(mikw)  # (they join at the batch's first look at its arrivals, once MSW races)
    arrivals.close([msw, *mikw])
    with shared_workers(SolveOptions("portfolio", jobs=2)) as options:
        parallel = solve_batch([msw], options, more=arrivals)
    assert events.index("candidate sent") < events.index("MSW's race ended")
    assert events.count("candidate sent") == len(set(mikw))
    serial = solve_batch([msw, *mikw], SolveOptions("portfolio", jobs=1))
    assert [(s.value, s.allocation) for s in parallel] == [(s.value, s.allocation) for s in serial]


@pytest.mark.parametrize("seed", range(6))
def test_reports_agree_with_and_without_batch_savings(seed):
    """The batch's duplicates and shortcuts against the table solved program by program with
    another backend (HiGHS, with no shared code path beyond the formulation)."""
    inst = random_instance(seed, goods=6, players=4)
    named = table_programs(inst)
    batch = solve_batch([p for _, p in named], "cpsat")
    for (name, program), solution in zip(named, batch):
        assert solution.value == solve(program, "highs").value, name


def test_highs_worker_is_restarted_when_it_dies():
    import ilp.highs

    program = xor_program(random.Random(5), 4, 3)
    expected = solve(program, "brute").value
    assert solve(program, "highs").value == expected
    ilp.highs._worker.process.kill()
    ilp.highs._worker.process.wait()
    assert solve(program, "highs").value == expected


def test_each_round_races_its_first_program_here(monkeypatch):
    """With the portfolio, programs become ready in rounds (MSW_{-i} once MSW is solved); the
    first program of each round is raced in this process and only the rest of the round goes
    side by side, with the solver that won on a program like theirs (``ilp.batch``)."""

    import ilp.batch

    here, pooled = [], []
    real = ilp.batch.solve

    def solve_here(program, options, hint=None):
        here.append(program)
        return real(program, options, hint)

    class InlineWorker:  # records what would go to a worker process, solves it here
        def __init__(self):
            self.store = {}

        def call_with_store(self, fn, shapes, keys, starts, weights, blocks):
            held = {0: None, **self.store.get("weights", {}), **ilp.remote.received(weights)}
            pooled.extend(Program(shape.n_goods, tuple(held[k] for k in ids)) for shape, ids in zip(shapes, keys))
            return fn(self.store, shapes, keys, starts, weights, blocks)

        def stop(self):
            pass

    monkeypatch.setattr(ilp.batch, "PARALLEL_AFTER_SECONDS", 0.0)  # every solve counts as slow
    monkeypatch.setattr(ilp.batch, "solve", solve_here)
    monkeypatch.setattr(ilp.batch, "start_worker", InlineWorker)
    weights = tuple(Weight.of(Valuation(Form.XOR, ((1 << g, 5 + g),))) for g in range(3))
    base = Program(3, weights)  # every player wins its own good
    removed = [Program(3, weights[:i] + (None,) + weights[i + 1:]) for i in range(3)]
    solutions = solve_batch([base, *removed], SolveOptions("portfolio", jobs=2))
    assert [s.value for s in solutions] == [18, 13, 12, 11]
    # (the solver sees each MSW_{-i} without the removed player: ``ilp.index.Compactor``)
    assert [p.weights for p in here] == [weights, weights[1:]]
    assert [p.weights for p in pooled] == [(weights[0], weights[2]), weights[:2]]


def test_frozen_heap_freezes_what_survives_a_full_collection_and_frees_it_after():
    """Inside ``ilp.batch.frozen_heap`` what survives a full collection is frozen (the collector
    walks only newer objects from then on); a cycle frozen so and dropped later is freed once the
    block ends, and the hook leaves with the block."""
    import gc
    import weakref

    from ilp.batch import _freeze_survivors, frozen_heap

    class Node:
        pass

    gc.unfreeze()  # (what another test may have left frozen would keep the cycle below alive)
    with frozen_heap():
        node = Node()
        node.itself = node  # a cycle: only the cyclic collector can free it
        alive = weakref.ref(node)
        frozen = gc.get_freeze_count()
        gc.collect()
        assert gc.get_freeze_count() > frozen  # the survivors, the cycle among them
        del node
        gc.collect()
        assert alive() is not None  # frozen: not walked
    assert _freeze_survivors not in gc.callbacks and gc.get_freeze_count() == 0
    gc.collect()
    assert alive() is None


def test_programs_side_by_side_keep_the_portfolio_s_stages_without_a_race(monkeypatch):
    """``ilp.batch._parallel_options``: with the portfolio, a program sent to a worker keeps the
    portfolio (its clique search, relaxation and dual-bounded stages) and then, instead of a race,
    the latest answer's solver alone (``SolveOptions.alone``); other backends are kept as given.
    In ``ilp.portfolio.run`` that solver then runs with no race and no probe, CP-SAT taking over
    where it could not prove the program, and the stages still settle what they settle."""
    from dataclasses import replace

    import ilp.batch
    from ilp import cpsat, portfolio, relaxation
    from ilp.program import Solution

    def answered(backend: str) -> Solution:
        return Solution(Status.OPTIMAL, (), 0, 0, backend, 0.0)

    options = SolveOptions("portfolio", jobs=2)
    assert ilp.batch._parallel_options(options, None).alone == "cpsat"
    for winner in ("highs", "cpsat", "clique"):
        side = ilp.batch._parallel_options(options, answered(winner))
        assert side.backend == "portfolio" and side.alone == winner
    assert ilp.batch._parallel_options(SolveOptions("highs"), answered("cpsat")) == SolveOptions("highs")

    def no_race(*args, **kwargs):
        raise AssertionError("a race beside other programs")

    monkeypatch.setattr(portfolio, "race", no_race)
    small = random_program(3)  # (too small for the stages and the relaxation)
    expected = solve(small, "brute").value
    for winner, solver in (("highs", "highs"), ("cpsat", "cpsat"), ("clique", "cpsat")):
        solution = solve(small, replace(options, alone=winner))
        assert solution.optimal and solution.value == expected and solution.backend == solver, winner
    # a dense plain program that the relaxation settles: settled there, no solver run
    dense = generate_instance("paths", 64, 500, 10, 0)
    program = table_programs(dense)[0][1]
    monkeypatch.setattr(cpsat, "run", no_race)
    settled = solve(program, replace(options, alone="highs"))
    assert settled.optimal and settled.value == solve(program, SolveOptions("portfolio", jobs=1)).value
    assert relaxation.applies(build(program))


def test_a_worker_s_floating_point_winner_is_checked_and_proven_again(monkeypatch):
    """With ``alone`` a floating-point winner's answer is checked as a racer's is: a solution that
    breaks a row is dropped and CP-SAT proves the program (the portfolio's answers count as
    exact, so an unchecked one would end the batch with an error)."""
    from dataclasses import replace

    from ilp import highs
    from ilp.contract import Answer

    def rounded(formulation, options, hint=None):  # every bid chosen: a row broken
        return Answer(Status.OPTIMAL, [1] * len(formulation.ilp.names), 99, solver="highs")

    monkeypatch.setattr(highs, "run", rounded)
    program = Program(2, (Weight.of(Valuation(Form.XOR, ((0b01, 5), (0b11, 7)))),
                          Weight.of(Valuation(Form.XOR, ((0b10, 4), (0b11, 6))))))
    solution = solve(program, replace(SolveOptions("portfolio"), alone="highs"))
    assert solution.optimal and solution.value == solve(program, "brute").value == 9
    assert solution.backend == "cpsat"


def _solve_threads() -> list:
    import threading

    return [t for t in threading.enumerate() if t.name == "cabench-solve"]


def test_programs_solved_in_this_process_run_on_threads_beside_it(monkeypatch):
    """With automatic jobs on several cores, the programs solved before any worker process
    starts run on threads (``ilp.batch._Beside``) with a worker's options (the portfolio's stages,
    then one solver alone: no race), while the first program of each kind is raced on the
    batch's own thread; the values are those of one process, and the threads end with the batch."""
    import threading

    import ilp.batch

    inst = generate_instance("regions", 32, 200, 6, 0, knowledge="noisy-lower:0.6")
    real = ilp.batch.solve
    calls: list[tuple[str, str | None]] = []

    def recorded(program, options, hint=None):
        calls.append((threading.current_thread().name, options.alone))
        return real(program, options, hint)

    before = _solve_threads()
    monkeypatch.setattr(ilp.batch, "default_jobs", lambda: 2)
    monkeypatch.setattr(ilp.batch, "solve", recorded)
    threaded = compute_report(inst, SolveOptions("portfolio"))
    beside = [alone for name, alone in calls if name == "cabench-solve"]
    assert len(beside) >= 10 and all(alone is not None for alone in beside)
    assert all(alone is None for name, alone in calls if name != "cabench-solve")  # the races
    for thread in _solve_threads():
        if thread not in before:
            thread.join(10)
            assert not thread.is_alive()
    monkeypatch.setattr(ilp.batch, "solve", real)
    serial = compute_report(inst, SolveOptions("portfolio", jobs=1))
    assert threaded.msw.value == serial.msw.value
    assert [(p.miew.value, p.mikw.value, p.msw_without.value) for p in threaded.players] == [
        (p.miew.value, p.mikw.value, p.msw_without.value) for p in serial.players]


def test_an_error_on_a_thread_beside_reaches_the_caller(monkeypatch):
    """A solve that raises on a thread beside the batch raises in the caller, as in one thread."""
    import threading

    import ilp.batch
    from ilp import SolverError

    real = ilp.batch.solve

    def failing(program, options, hint=None):
        if threading.current_thread().name == "cabench-solve":
            raise SolverError("a wrong answer")
        return real(program, options, hint)

    monkeypatch.setattr(ilp.batch, "default_jobs", lambda: 2)
    monkeypatch.setattr(ilp.batch, "solve", failing)
    programs = [random_program(seed) for seed in range(6)]  # one kind: the first raced here, the rest beside
    with pytest.raises(SolverError, match="a wrong answer"):
        solve_batch(programs, SolveOptions("portfolio"))


def _on_two_cores(monkeypatch, solve, here: list, stretch: float = 0.0) -> None:
    """Patch the batch: two cores, ``solve`` for its solves, and each tie-break's span recorded in
    ``here``, stretched by ``stretch`` seconds (``monkeypatch.undo()`` restores them)."""
    import time

    import ilp.batch

    real_lex = ilp.batch.lex_first

    def tie_break(program, first, options):
        start = time.perf_counter()
        time.sleep(stretch)  # (a long tie-break; the sleep lets go of the interpreter)
        solution = real_lex(program, first, options)
        here.append((start, time.perf_counter()))
        return solution

    monkeypatch.setattr(ilp.batch, "default_jobs", lambda: 2)
    monkeypatch.setattr(ilp.batch, "solve", solve)
    monkeypatch.setattr(ilp.batch, "lex_first", tie_break)


def test_a_candidate_program_goes_beside_only_while_another_runs_here(monkeypatch):
    """A program priced by ``ilp.colgen`` runs on the batch's own thread, except that one of
    them at a time goes to a free thread beside it while another (or a tie-break) runs here
    (``_Beside.long``): where their searches in C and GLOP let go of the interpreter, two run
    at once (paths 256 / 2000 / 10 with 3 candidates: reports 9-16 % shorter). One goes beside
    only when another stays to run here, so this thread is never left idle meanwhile. The values
    and witnesses are those of one process."""
    import threading
    import time

    import ilp.batch

    inst = generate_instance("paths", 32, 200, 6, 0, knowledge="candidates:3")
    robust = ilp.batch._Robust()
    real_solve = ilp.batch.solve
    here: list[tuple[float, float]] = []  # candidate programs and tie-breaks on the batch's thread
    beside: list[tuple[float, float]] = []  # candidate programs on a thread beside

    def recorded(program, options, hint=None):
        start = time.perf_counter()
        if robust(program):
            time.sleep(0.1)  # (long candidate programs; the sleep lets go of the interpreter)
        solution = real_solve(program, options, hint)
        if robust(program):
            on_thread = threading.current_thread().name == "cabench-solve"
            (beside if on_thread else here).append((start, time.perf_counter()))
        return solution

    _on_two_cores(monkeypatch, recorded, here)
    threaded = compute_report(inst, SolveOptions("portfolio"))
    assert beside and here  # (before, none beside)
    for low, high in beside:
        assert any(start < high and low < end for start, end in here)  # another ran here meanwhile
        assert sum(start < high and low < end for start, end in beside) == 1  # one at a time (itself)
    monkeypatch.undo()
    serial = compute_report(inst, SolveOptions("portfolio", jobs=1))
    assert report_json(threaded) == report_json(serial)


def test_the_threads_beside_work_while_a_candidate_program_runs_here(monkeypatch):
    """While a program for ``ilp.colgen`` (or MSW's tie-break) runs on the batch's own thread,
    the threads beside it go on with the programs queued for them
    (``_Scheduler.ahead_of_here``), where before each took one and then waited for the candidate
    program to end. The values and witnesses are those of one process."""
    import threading
    import time

    import ilp.batch

    inst = generate_instance("paths", 32, 200, 6, 0, knowledge="candidates:3")
    robust = ilp.batch._Robust()
    real_solve = ilp.batch.solve
    here: list[tuple[float, float]] = []  # what runs on the batch's own thread for long
    beside: list[float] = []  # when each program on a thread beside started (not one for colgen)

    def recorded(program, options, hint=None):
        start = time.perf_counter()
        # (long candidate programs, and programs beside each longer than a tie-break; the
        # sleeps let go of the interpreter)
        time.sleep(0.1 if robust(program) else 0.05)
        solution = real_solve(program, options, hint)
        if threading.current_thread().name != "cabench-solve":
            if robust(program):
                here.append((start, time.perf_counter()))
        elif not robust(program):  # (one for colgen may go beside too, while another runs here)
            beside.append(start)
        return solution

    _on_two_cores(monkeypatch, recorded, here)
    threaded = compute_report(inst, SolveOptions("portfolio"))
    assert here and beside
    spells: list[list[float]] = []  # the spans run back to back (the batch's steps between)
    for low, high in sorted(here):
        if spells and low - spells[-1][1] < 0.005:
            spells[-1][1] = max(spells[-1][1], high)
        else:
            spells.append([low, high])

    # before, at most one program per thread (started just before) began in such a spell
    assert max(sum(low < start < high for start in beside) for low, high in spells) > 2
    monkeypatch.undo()
    serial = compute_report(inst, SolveOptions("portfolio", jobs=1))
    assert report_json(threaded) == report_json(serial)


def test_the_threads_beside_work_while_a_tie_break_runs_here(monkeypatch):
    """MSW's tie-break is queued as soon as MSW is solved, before the MSW_{-i} it releases: the
    first MSW_{-i} (a race) goes first, and the threads beside take the others while the
    tie-break runs on the batch's own thread (``_Scheduler.ahead_of_here``), where before they
    waited for it. The values and witnesses are those of one process."""
    import threading
    import time

    import ilp.batch

    inst = generate_instance("paths", 32, 200, 6, 0, knowledge="exact")
    real_solve = ilp.batch.solve
    solves: list[tuple[str, float]] = []
    tie_breaks: list[tuple[float, float]] = []

    def recorded(program, options, hint=None):
        solves.append((threading.current_thread().name, time.perf_counter()))
        return real_solve(program, options, hint)

    _on_two_cores(monkeypatch, recorded, tie_breaks, stretch=0.1)
    threaded = compute_report(inst, SolveOptions("portfolio"))
    assert len(tie_breaks) == 1
    _, high = tie_breaks[0]
    # before, nothing started beside until it ended: the MSW_{-i} waited behind it
    assert sum(start < high for name, start in solves if name == "cabench-solve") >= 2
    monkeypatch.undo()
    serial = compute_report(inst, SolveOptions("portfolio", jobs=1))
    assert report_json(threaded) == report_json(serial)


def test_a_queue_of_tie_breaks_is_looked_through_once():
    """``_Scheduler.ahead_of_here`` on a queue of tasks that all stay (a canonical report's
    tie-breaks, one per program): each task run here looks at no other once one look found
    nothing to put ahead (it had been quadratic in the queue), and a task added at the end is
    found again."""
    import ilp.batch
    from ilp.remote import Task

    scheduler = ilp.batch._Scheduler([], SolveOptions("cpsat", jobs=2), None, None, None)
    program = Program(1, (Weight.of(Valuation(Form.XOR, ((1, 4),))),))
    first = solve(program, "cpsat")
    scheduler.tasks.extend(Task(k, program, scheduler.options, None, first, None, None) for k in range(1000))
    looks = []

    def stays(task):
        looks.append(task.position)
        return task.first is not None

    class Busy:
        @staticmethod
        def full():
            return True

    while len(scheduler.tasks) > 500:
        assert not scheduler.ahead_of_here(Busy(), lambda task: True, stays, scheduler.options)
        scheduler.tasks.popleft()  # (run here)
    assert len(looks) == 1000  # one look through the whole queue, none after
    scheduler.tasks.append(Task(1000, program, scheduler.options, None, None, None, None))
    assert scheduler.ahead_of_here(Busy(), lambda task: False, stays, scheduler.options)  # (a race: it goes first)
    assert scheduler.tasks[0].position == 1000 and len(looks) == 1000 + 501


def test_the_solves_ended_beside_are_taken_without_waiting(monkeypatch):
    """``_Beside.finished`` returns the solves that have ended, without waiting for one, and
    frees their threads (``full``); the batch takes them before each program for
    ``ilp.colgen``, so that what they unlock (their children, their tie-breaks) joins the queue."""
    import threading
    import time

    import ilp.batch
    from ilp.remote import Task

    release = threading.Event()

    def held(program, options, hint=None):
        if program.n_goods == 3:
            release.wait(10)
        return program.n_goods

    monkeypatch.setattr(ilp.batch, "solve", held)
    beside = ilp.batch._Beside(2)
    try:
        for position, goods in enumerate((2, 3, 2)):  # the third waits for a thread
            beside.start(Task(position, Program(goods, ()), SolveOptions()), SolveOptions())
        assert beside.full()
        ended: list = []
        deadline = time.monotonic() + 10
        while len(ended) < 2 and time.monotonic() < deadline:
            ended += beside.finished()
        assert sorted(task.position for task, _ in ended) == [0, 2] and beside.running == 1
        assert not beside.full() and beside.finished() == []
        release.set()
        assert beside.next()[1] == 3
    finally:
        release.set()
        beside.close()


def test_a_batch_that_ends_early_stops_the_solves_on_its_threads(monkeypatch):
    """``_Beside.close`` with a solve under way asks it to stop (``ilp.stopping``): the thread
    ends instead of solving on after the batch is gone."""
    import threading

    import ilp.batch
    from ilp import stopping
    from ilp.remote import Task

    started = threading.Event()

    def until_stopped(program, options, hint=None):  # a solve that runs until it is asked to stop
        started.set()
        while not stopping.current().requested:
            threading.Event().wait(0.001)
        return None

    monkeypatch.setattr(ilp.batch, "solve", until_stopped)
    before = _solve_threads()
    beside = ilp.batch._Beside(2)
    beside.start(Task(0, random_program(1), SolveOptions()), SolveOptions())
    assert started.wait(10)
    beside.close()
    for thread in _solve_threads():
        if thread not in before:
            thread.join(10)
            assert not thread.is_alive()


def test_cpsat_under_a_stop_already_requested_does_not_solve():
    """CP-SAT on a thread whose batch has ended early answers at once, unproven (its result is
    dropped); otherwise it registers its search to be stopped, and unregisters after."""
    import threading

    from ilp import cpsat, stopping
    from ilp.contract import SolveOptions as Options

    formulation = build(random_program(2))
    answers = {}

    def under(stop: stopping.Stop, key: str) -> None:
        stopping.enter(stop)
        answers[key] = cpsat.run(formulation, Options("cpsat"))

    requested, open_ = stopping.Stop(), stopping.Stop()
    requested.request()
    for stop, key in ((requested, "requested"), (open_, "open")):
        thread = threading.Thread(target=under, args=(stop, key))
        thread.start()
        thread.join()
    assert answers["requested"].status is Status.UNKNOWN and answers["requested"].values is None
    assert answers["open"].status is Status.OPTIMAL
    assert open_._stoppers == []
