"""``cabench benchmarks --witnesses canonical``: every witness is the optimal allocation with the
lexicographically smallest owner vector (seed 002 Lemma 3's rule of omega*), so the whole JSON
report, apart from the solver's name and times, is the same whatever the backend, the number of
worker processes or the run (``ilp.canonical``, ``ilp.lex``).

The instances have values 1..3 only (``tests.extreme_instances.tied_instance``), so most
benchmarks have several optimal witnesses, and each canonical witness is checked against the
definition by enumeration (``tests.reference``).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from dataclasses import replace

import pytest

from benchmarks import compute_report
from benchmarks.report import report_json
from cabench import api
from ilp import Program, SolveOptions, Weight, lex_first, native, owner_code, solve, solve_batch
from ilp import backend_names as ilp_backend_names
from ilp import lex as lex_module
from ilp.canonical import canonical_solutions, one_bid_first
from ilp.program import first_held
from instances.valuation import Form, Valuation
from tests import reference
from tests.conftest import EXAMPLES as EXAMPLES_FOLDER
from tests.conftest import cabench_command, run_cli
from tests.extreme_instances import tied_instance

BACKENDS = ("cpsat", "highs", "scip", "cbc", "portfolio", "brute")
EXAMPLES = sorted(EXAMPLES_FOLDER.glob("*.json"))


def strip(data):
    """A report's JSON without what may legitimately differ: the solver's name and times."""
    if isinstance(data, dict):
        return {k: strip(v) for k, v in data.items() if not any(t in k for t in ("time", "seconds", "solver"))}
    if isinstance(data, list):
        return [strip(v) for v in data]
    return data


def canonical_json(instance, backend: str, jobs: int = 1) -> dict:
    report = compute_report(instance, SolveOptions(backend, jobs=jobs), witnesses="canonical")
    assert report.all_proven
    return strip(report_json(report))


def first_optimum(program: Program) -> tuple[int, ...]:
    """The canonical optimum by definition: every allocation of whole bids enumerated
    (``tests.reference``'s way), the smallest owner vector among those of maximum weight."""
    best, first = None, None
    for allocation in _allocations(program):
        value = program.total(allocation)
        codes = tuple(lex_module.owner_code(allocation, g) for g in range(program.n_goods))
        if best is None or value > best or (value == best and codes < first[1]):
            best, first = value, (allocation, codes)
    return first[0]


def _allocations(program: Program):
    n = len(program.weights)

    def place(g: int, bundles: list[int]):
        if g == program.n_goods:
            yield tuple(bundles)
            return
        yield from place(g + 1, bundles)
        for j in range(n):
            if program.weights[j] is not None:
                bundles[j] |= 1 << g
                yield from place(g + 1, bundles)
                bundles[j] &= ~(1 << g)

    yield from place(0, [0] * n)


@pytest.mark.parametrize("seed", range(6))
def test_every_backend_gives_the_same_canonical_report(seed):
    inst = tied_instance(seed)
    reference_json = canonical_json(inst, BACKENDS[0])
    for backend in BACKENDS[1:]:
        assert canonical_json(inst, backend) == reference_json, (inst.name, backend)
    # and the witnesses are the definition's: MSW's is the lexicographically first optimum
    first = reference.msw(inst)[1]
    assert reference_json["MSW"]["allocation"] == reference_json["lex_first_MSW_allocation"]["allocation"]
    assert [inst.players.index(p) for p in reference_json["MSW"]["allocation"]] == [
        j for j, bundle in enumerate(first) if bundle]


@pytest.mark.parametrize("seed", range(2))
def test_jobs_do_not_change_the_canonical_report(seed):
    inst = tied_instance(10 + seed)
    assert canonical_json(inst, "portfolio", jobs=2) == canonical_json(inst, "cpsat", jobs=1)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(20, 60))
def test_every_backend_and_jobs_give_the_same_canonical_report_on_more_instances(seed):
    inst = tied_instance(seed)
    reference_json = canonical_json(inst, "brute")
    for backend in BACKENDS[:-1]:
        assert canonical_json(inst, backend) == reference_json, (inst.name, backend)
    assert canonical_json(inst, "portfolio", jobs=2) == reference_json


@pytest.mark.parametrize("path", [p for p in EXAMPLES if p.stem != "licences-8x8"], ids=lambda p: p.stem)
def test_the_examples_give_one_canonical_report(path):
    inst = api.load(path)
    reference_json = canonical_json(inst, "brute")
    for backend in BACKENDS[:-1]:
        assert canonical_json(inst, backend) == reference_json, backend


@pytest.mark.slow
def test_the_largest_example_gives_one_canonical_report():
    inst = api.load(EXAMPLES_FOLDER / "licences-8x8.json")
    reference_json = canonical_json(inst, "brute")
    for backend in BACKENDS[:-1]:
        assert canonical_json(inst, backend) == reference_json, backend
    assert canonical_json(inst, "portfolio", jobs=2) == reference_json


def test_canonical_witnesses_keep_the_values():
    for seed in range(3):
        inst = tied_instance(seed)
        solver = compute_report(inst, SolveOptions("cpsat", jobs=1))
        canonical = compute_report(inst, SolveOptions("cpsat", jobs=1), witnesses="canonical")
        assert [b.value for b in solver.benchmarks] == [b.value for b in canonical.benchmarks]


def test_the_cli_option_gives_the_same_json_on_every_backend(tmp_path):
    path = str(EXAMPLES_FOLDER / "random-candidates.json")
    outputs = []
    for solver in ("brute", "highs", "portfolio"):
        done = run_cli("benchmarks", path, "--json", "--solver", solver, "--witnesses", "canonical")
        assert done.returncode == 0, done.stderr
        outputs.append(strip(json.loads(done.stdout)))
    assert outputs[1] == outputs[0] and outputs[2] == outputs[0]


def test_the_core_count_does_not_change_the_canonical_report():
    """``CABENCH_CORES`` is the portfolio's core count: 1 (no race), 2 (HiGHS and CP-SAT), 3 (and SCIP)."""
    path = str(EXAMPLES_FOLDER / "random-coalitions.json")
    outputs = []
    for cores, jobs in (("1", "1"), ("3", "2")):
        done = subprocess.run([*cabench_command(), "benchmarks", path, "--json", "--witnesses", "canonical",
                               "--jobs", jobs], capture_output=True, text=True, timeout=300,
                              env={**os.environ, "CABENCH_CORES": cores})
        assert done.returncode == 0, done.stderr
        outputs.append(strip(json.loads(done.stdout)))
    assert outputs[1] == outputs[0]


@pytest.mark.slow
@pytest.mark.parametrize("cores", ["2", "3"])
def test_raced_programs_give_the_canonical_report(cores, monkeypatch):
    """No probe: every program the portfolio solves here is raced (HiGHS, CP-SAT and, with three
    cores, SCIP), so whichever racer wins, the report must be the brute-force one."""
    import ilp.portfolio

    monkeypatch.setattr(ilp.portfolio, "PROBE_WORK", 0)
    monkeypatch.setenv("CABENCH_CORES", cores)
    for seed in range(3):
        inst = tied_instance(seed)
        assert canonical_json(inst, "portfolio") == canonical_json(inst, "brute"), inst.name


def test_a_bad_witnesses_value_is_a_clear_error():
    done = run_cli("benchmarks", str(EXAMPLES_FOLDER / "seed004-example.json"), "--witnesses", "smallest")
    assert done.returncode == 2
    assert "--witnesses" in done.stderr and "canonical" in done.stderr and "Traceback" not in done.stderr
    with pytest.raises(api.ArgumentError, match="canonical") as caught:
        api.benchmarks(EXAMPLES_FOLDER / "seed004-example.json", witnesses="smallest")
    assert caught.value.param == "witnesses"


def test_the_api_takes_the_option():
    report = api.benchmarks(EXAMPLES_FOLDER / "random-candidates.json", solver="brute", witnesses="canonical")
    other = api.benchmarks(EXAMPLES_FOLDER / "random-candidates.json", solver="highs", witnesses="canonical")
    assert strip(report.to_dict()) == strip(other.to_dict())


# ---------------------------------------------------------------- the savings, one by one


def _xor(*bids: tuple[int, int]) -> Weight:
    return Weight.of(Valuation(Form.XOR, tuple(bids)))


def test_one_player_taking_one_bid_gets_the_first_best_bid_without_a_solve():
    # three bids worth 5: goods {1}, {0, 2}, {2}; owner vectors (0,1,0), (1,0,1), (0,0,1)
    program = Program(3, (None, _xor((0b010, 5), (0b101, 5), (0b100, 5), (0b001, 4))))
    solution = solve(program, "cpsat")
    first = one_bid_first(program, solution, SolveOptions("cpsat"))
    assert first.allocation == (0, 0b100) == first_optimum(program)
    assert lex_first(program, solution, "cpsat").allocation == first.allocation


def test_a_batch_answers_one_player_with_tied_best_bids_by_its_first_bid_without_a_solve(monkeypatch):
    # the batch hands the canonical bid out itself (ilp.onebid.best_bid_solution): no backend is asked
    import ilp.batch

    def no_solve(*args, **kwargs):
        raise AssertionError("a one-player program of whole bids was solved")

    monkeypatch.setattr(ilp.batch, "solve", no_solve)
    tied = Program(3, (_xor((0b010, 5), (0b101, 5), (0b100, 5), (0b001, 4)),))
    unique = Program(3, (_xor((0b010, 5), (0b101, 6)),))
    answers = solve_batch([tied, unique], SolveOptions("cpsat", jobs=1))
    assert [a.allocation for a in answers] == [(0b100,), (0b101,)]
    assert [a.value for a in answers] == [5, 6] and all(a.optimal for a in answers)
    monkeypatch.undo()
    assert answers[0].allocation == first_optimum(tied)
    assert answers[0].allocation == one_bid_first(tied, solve(tied, "cpsat"), SolveOptions("cpsat")).allocation


def test_every_backend_but_the_brute_force_answers_one_player_taking_one_bid_by_its_first_best_bid():
    tied = Program(3, (None, _xor((0b010, 5), (0b101, 5), (0b100, 5), (0b001, 4)), None))
    backends = [b for b in ilp_backend_names() if b != "brute"]
    assert {"cpsat", "highs", "portfolio"} <= set(backends)
    for backend in backends:
        answer = solve(tied, backend)
        assert answer.optimal and answer.value == 5 and answer.allocation == (0, 0b100, 0), backend
    assert solve(tied, "brute").value == 5


def test_first_held_is_the_first_allocation_of_one_player():
    for seed in range(40):
        rng = random.Random(seed)
        goods = rng.randint(1, 6)
        bundles = rng.sample(range(1, 1 << goods), rng.randint(1, min(6, (1 << goods) - 1)))
        codes = {b: tuple(owner_code((b,), g) for g in range(goods)) for b in bundles}
        assert first_held(bundles, goods) == min(bundles, key=codes.__getitem__), seed


def test_a_solve_alone_and_a_batch_give_one_player_the_same_witness():
    """Tied best bids and guaranteed values of candidates (left to ``ilp.colgen`` by both: the
    batch once answered the latter by their best covering union, a solve by column generation)."""
    tied_union = Weight.minimum((Valuation(Form.XOR, ((20, 2), (24, 2), (19, 1), (9, 3))),
                                 Valuation(Form.SINGLE_MINDED, ((2, 2),))))
    programs = [Program(5, (tied_union,)), Program(3, (_xor((0b010, 5), (0b101, 5), (0b100, 5)),))]
    for seed in range(30):
        rng = random.Random(seed)
        candidates = tuple(Valuation(Form.XOR, tuple({rng.randrange(1, 16): rng.randint(1, 3)
                                                      for _ in range(rng.randint(1, 4))}.items()))
                           for _ in range(rng.randint(1, 3)))
        programs.append(Program(4, (Weight.minimum(candidates),)))
    for backend in ("cpsat", "highs", "portfolio"):
        batch = solve_batch(programs, SolveOptions(backend, jobs=1))
        for k, program in enumerate(programs):
            alone = solve(program, backend)
            assert (alone.value, alone.allocation) == (batch[k].value, batch[k].allocation), (backend, k)
            assert alone.value == solve(program, "brute").value, (backend, k)


def test_a_removed_player_who_wins_nothing_keeps_the_parents_canonical_optimum():
    a, b, c = _xor((0b01, 2)), _xor((0b01, 2), (0b10, 1)), _xor((0b10, 1))
    whole, without_c = Program(2, (a, b, c)), Program(2, (a, b, None))
    # the canonical optimum of ``whole``: a takes good 0, b good 1 (codes (1, 2)) -- c wins nothing
    solutions = [solve(whole, "cpsat"), solve(without_c, "cpsat")]
    ordered = canonical_solutions([whole, without_c], solutions, "cpsat")
    assert [s.allocation for s in ordered] == [first_optimum(whole), first_optimum(without_c)]
    assert ordered[0].allocation == ordered[1].allocation == (0b01, 0b10, 0)


def test_an_optimum_of_0_is_the_empty_allocation():
    program = Program(2, (_xor((0b01, 0)), None))
    solution = replace(solve(program, "cpsat"), allocation=(0b01, 0))
    assert canonical_solutions([program], [solution], "cpsat")[0].allocation == (0, 0)


def _adjacent_bids(rng: random.Random, goods: int, fewest: int, most: int, top: int) -> tuple[tuple[int, int], ...]:
    """fewest to most bids on one or two adjacent goods of ``goods``, values 1..top (a bundle
    drawn twice keeps its last value), in bundle order."""
    bids = {}
    for _ in range(rng.randint(fewest, most)):
        g = rng.randrange(goods)
        bids[(1 << g) | ((1 << (g + 1)) if g < goods - 1 and rng.random() < 0.5 else 0)] = rng.randint(1, top)
    return tuple(sorted(bids.items()))


def _dense_packing(seed: int, players: int = 8, goods: int = 20, fewest: int = 10, most: int = 14,
                   top: int = 6) -> Program:
    """By default eight players with 10-14 XOR bids each of one or two adjacent goods of 20,
    values 1..6: about 90 bids, a dense compatibility graph (as CATS paths), many ties."""
    rng = random.Random(seed)
    return Program(goods, tuple(_xor(*_adjacent_bids(rng, goods, fewest, most, top)) for _ in range(players)))


@pytest.mark.parametrize("seed", range(6))
def test_the_relaxation_core_listing_gives_the_first_optimum(seed, monkeypatch):
    program = _dense_packing(seed)
    solution = solve(program, "cpsat")
    listed = lex_module._first_relaxed(program, solution, SolveOptions("cpsat"))
    assert listed is not None  # the relaxation leaves at most CORE_COLUMNS columns here
    assert listed.value == solution.value == program.total(listed.allocation)
    monkeypatch.setattr(lex_module, "_first_relaxed", lambda *args: None)
    for backend in ("cpsat", "highs"):  # the goods ordered by solves, from each backend's own optimum
        assert lex_first(program, solve(program, backend), backend).allocation == listed.allocation, backend


def test_the_owner_vectors_of_listed_optima_are_read_from_their_bids():
    """``ilp.lex._smallest`` reads each listed optimum's owner vector from its bids' goods
    (``Formulation.atom_of``): the brute force's first optimum, as when every optimum is decoded
    as an allocation (its fallback). A player who bids OR may win two of its atoms at once."""
    from ilp import clique

    tied = 0
    for seed in range(24):
        program = _dense_packing(seed, players=6, goods=8, fewest=4, most=8, top=3)
        if seed % 3 == 0:  # player 0 bids OR on goods 0 and 1
            program = replace(program, weights=(Weight.of(Valuation(Form.OR, ((0b1, 1), (0b10, 1)))),
                                                *program.weights[1:]))
        optimum = solve(program, "cpsat")
        expected = lex_first(program, solve(program, "brute"), "brute").allocation
        formulation = lex_module.build(program)
        graph = clique.graph(formulation.ilp)
        cliques = clique.optima(graph, optimum.value)
        tied += len(cliques) > 1
        assert formulation.atom_of is not None
        assert lex_module._smallest(program, optimum, formulation, graph, cliques, 0.0).allocation == expected, seed
        formulation.__dict__["atom_of"] = None  # decoded, optimum by optimum
        assert lex_module._smallest(program, optimum, formulation, graph, cliques, 0.0).allocation == expected, seed
    assert tied >= 12


@pytest.mark.skipif(not native.available(), reason="the listing runs in C only")
def test_the_dual_bounded_listing_gives_the_first_optimum(monkeypatch):
    """A dense program's optima listed by the dual-bounded search (``ilp.lex._first_dual``, the
    portfolio's tie-break of a program the other listings leave), over the whole program and
    over the relaxation's core: the brute force's first optimum, on small programs with many
    optima; capped (one node), it gives up and the goods are ordered by solves."""
    from ilp import relaxation

    monkeypatch.setattr(relaxation, "MIN_COLUMNS", 8)
    listed = 0
    for seed in range(40):
        program = _dense_packing(seed, players=6, goods=8, fewest=4, most=8, top=3)
        expected = lex_first(program, solve(program, "brute"), "brute").allocation
        optimum = solve(program, "cpsat")
        formulation = lex_module.build(program)
        outside = lex_module._outside(formulation, optimum.value)
        for cut in (None, outside):
            first = lex_module._first_dual(program, optimum, SolveOptions("portfolio"), formulation, cut)
            if first is not None:
                listed += 1
                assert first.allocation == expected and first.value == optimum.value, seed
    assert listed >= 60
    # the portfolio's tie-break takes it where the other listings give up
    monkeypatch.setattr(lex_module, "_first_relaxed", lambda *args: None)
    monkeypatch.setattr(lex_module, "_first_clique", lambda *args: None)
    program = _dense_packing(3, players=6, goods=8, fewest=4, most=8, top=3)
    expected = lex_first(program, solve(program, "brute"), "brute").allocation
    calls = []
    real = lex_module._first_dual
    monkeypatch.setattr(lex_module, "_first_dual", lambda *args: calls.append(real(*args)) or calls[-1])
    assert lex_first(program, solve(program, "cpsat"), "portfolio").allocation == expected
    assert calls and calls[0] is not None
    monkeypatch.setattr(lex_module, "DUAL_LISTING_NODES", 1)
    calls.clear()
    assert lex_first(program, solve(program, "cpsat"), "portfolio").allocation == expected
    assert calls == [None]
    # stopped after some of the optima (here 1 of 4): given up, never the first of those found
    monkeypatch.setattr(lex_module, "DUAL_LISTING_NODES", 12)
    optimum = solve(program, "cpsat")
    formulation = lex_module.build(program)
    _, found, complete = lex_module.dualclique.optima(formulation, optimum.value, None, None, 10_000, 12)
    assert found and not complete
    assert real(program, optimum, SolveOptions("portfolio"), formulation, None) is None


def _bids(program: Program) -> int:
    return sum(len(v.bids) for w in program.weights if w is not None for option in w.options for v in option)


def _record_cuts(monkeypatch) -> list:
    """Order the goods by solves (no listing of the optima), recording each program the
    tie-break cuts down to the relaxation's core (``ilp.lex._restricted``)."""
    cuts, real = [], lex_module._restricted
    monkeypatch.setattr(lex_module, "_first_relaxed", lambda *args: None)
    monkeypatch.setattr(lex_module, "_restricted", lambda *args: cuts.append(real(*args)) or cuts[-1])
    return cuts


@pytest.mark.parametrize("seed", range(6))
def test_the_tie_break_orders_the_relaxation_core_as_it_orders_the_whole_program(seed, monkeypatch):
    """Many optima: the goods ordered over the bids that can be in an optimum (a quarter of them
    here) give the first optimum that ordering every bid gives, from each backend's optimum."""
    program = _dense_packing(seed)
    cuts = _record_cuts(monkeypatch)
    for backend in ("cpsat", "highs"):
        optimum = solve(program, backend)
        over_core = lex_first(program, optimum, backend)
        assert cuts[-1] is not None and _bids(cuts[-1]) < _bids(program) / 2
        with monkeypatch.context() as whole:
            whole.setattr(lex_module, "_restricted", lambda *args: None)
            ordered = lex_first(program, optimum, backend)
        assert over_core.allocation == ordered.allocation, backend
        assert over_core.value == ordered.value == optimum.value == program.total(over_core.allocation)


def test_the_tie_break_over_the_relaxation_core_matches_the_brute_force(monkeypatch):
    """Small programs with many optima (values 1-3), the relaxation's core taken from 8 columns
    on: the tie-break over the core gives the brute force's first optimum."""
    from ilp import relaxation

    monkeypatch.setattr(relaxation, "MIN_COLUMNS", 8)
    cuts = _record_cuts(monkeypatch)
    for seed in range(20):
        program = _dense_packing(seed, players=6, goods=8, fewest=4, most=8, top=3)
        cuts.clear()
        first = lex_first(program, solve(program, "cpsat"), "cpsat")
        assert cuts and cuts[-1] is not None, seed  # (the core is smaller than the program)
        assert first.allocation == lex_first(program, solve(program, "brute"), "brute").allocation, seed


def test_a_program_the_relaxation_does_not_cut_is_ordered_whole():
    """``ilp.lex._restricted`` cuts nothing when no column is outside the core."""
    program = _dense_packing(0)
    assert lex_module._restricted(program, lex_module.build(program), {}) is None


@pytest.mark.parametrize("backend", ["cpsat", "portfolio"])
def test_the_tie_break_over_the_core_of_covering_unions_matches_the_brute_force(backend, monkeypatch):
    """Players who know only candidate valuations (a weight that is a minimum, compiled to
    covering unions): the relaxation's core is cut from the unions as from bids, and the goods
    ordered over it by solves (CP-SAT) or its optima listed (the portfolio) give the brute
    force's first optimum. (The way of a program whose column generation's core cannot be
    listed: the others are ordered in that core, as a test below checks.)"""
    from ilp import clique, colgen, portfolio, relaxation

    monkeypatch.setattr(colgen, "core_program", lambda program, optimum, options: None)
    monkeypatch.setattr(relaxation, "MIN_COLUMNS", 8)
    monkeypatch.setattr(portfolio, "CLIQUE_MIN_BIDS", 8)  # (the portfolio lists the optima of the core)
    listed, optima = [], clique.optima
    monkeypatch.setattr(clique, "optima", lambda g, *args, **kwargs: listed.append(len(g.weights)) or optima(
        g, *args, **kwargs))
    cuts = _record_cuts(monkeypatch)
    for seed in range(12):
        rng = random.Random(seed)
        weights = []
        for _ in range(5):
            candidates = tuple(Valuation(Form.XOR, _adjacent_bids(rng, 8, 3, 5, 3)) for _ in range(rng.randint(2, 3)))
            weights.append(Weight.minimum(candidates))
        program = Program(8, tuple(weights))
        cuts.clear()
        listed.clear()
        first = lex_first(program, solve(program, backend), backend)
        if backend == "portfolio":  # listed over the core: fewer vertices than the program's columns
            assert listed and listed[0] < len(lex_module.build(program).ilp.objective), seed
        else:
            assert cuts and cuts[-1] is not None and not listed, seed
        assert first.allocation == lex_first(program, solve(program, "brute"), "brute").allocation, seed


def test_a_tie_break_not_proven_withholds_its_benchmark(monkeypatch):
    """With a time limit, a tie-break may stop unproven: the value is right but the witness is not
    known to be canonical, so the benchmark is withheld (exit 3), its value kept as the interval."""
    from ilp import batch

    inst = tied_instance(1)
    expected = compute_report(inst, SolveOptions("cpsat", jobs=1))

    def unproven(program, first, options=None):
        return replace(first, status=lex_module.Status.UNKNOWN, allocation=None, value=None)

    monkeypatch.setattr(batch, "lex_first", unproven)
    report = compute_report(inst, SolveOptions("cpsat", jobs=1), witnesses="canonical")
    assert not report.all_proven and not report.msw.proven and not report.lex_first.proven
    assert (report.msw.incumbent, report.msw.bound) == (expected.msw.value, expected.msw.value)
    # said as what it is: the value known, its witness not proven the first optimum
    from benchmarks.results import NotProvenError
    from cabench.render import witness

    assert report.msw.order_unproven and report_json(report)["MSW"]["withheld"] is True
    with pytest.raises(NotProvenError, match=f"MSW is worth {expected.msw.value}, but its witness was not proven"):
        report.msw.require()
    assert witness(inst, report.msw).startswith(
        f"MSW = NOT PROVEN (worth {expected.msw.value}; witness not proven the first optimum): ")
    for got, want in zip(report.benchmarks, expected.benchmarks):
        if got.name == "lex-first MSW allocation":
            continue  # (the fake tie-break's own answer: nothing)
        assert got.value in (None, want.value), got.name
        if got.value is None:  # the interval holds the value
            assert got.incumbent <= want.value <= got.bound, got.name


def test_a_withheld_benchmark_counts_its_solve_once(monkeypatch):
    """A tie-break's answer counts the time of the optimum it started from (proven or not), so a
    withheld benchmark's time is the tie-break's: the optimum's time was added twice."""
    import ilp.backends
    from benchmarks.table import ReportPlan
    from ilp import Solution, Status
    from ilp.canonical import withheld
    from tests.conftest import TimedOutBackend

    monkeypatch.setitem(ilp.backends.BACKENDS, "timed-out", TimedOutBackend)
    program = ReportPlan.of(tied_instance(1)).msw
    optimum = replace(solve(program, "cpsat"), wall_time=100.0)  # (a time no step here comes near)
    ordered = lex_module.lex_first(program, optimum, "timed-out")
    assert not ordered.optimal and 100.0 <= ordered.wall_time < 150.0
    assert 100.0 <= withheld(optimum, ordered).wall_time < 150.0
    stopped = Solution(Status.FEASIBLE, None, None, None, "cpsat", 130.0)
    assert withheld(optimum, stopped).wall_time == 130.0


@pytest.mark.parametrize("seed", [1, 2, 3, 11])
def test_a_tie_break_not_proven_keeps_the_winners_msw_without_proven(seed, monkeypatch):
    """MSW's tie-break not proven (simulated), MSW proven: MSW is withheld (its value known),
    and the MSW_-i of the winners of its witness, solved and proven, are still shown proven with
    their canonical witnesses (they were shown as MSW's interval); every other player's MSW_-i
    is MSW's value, withheld as MSW is."""
    from benchmarks.table import ReportPlan
    from ilp import batch

    inst = tied_instance(seed)
    expected = compute_report(inst, SolveOptions("cpsat", jobs=1), witnesses="canonical")
    msw_program, ordered = ReportPlan.of(inst).msw, batch.lex_first

    def unproven(program, first, options=None):  # MSW's tie-break only
        if program != msw_program:
            return ordered(program, first, options)
        return replace(first, status=lex_module.Status.UNKNOWN, allocation=None, value=None)

    monkeypatch.setattr(batch, "lex_first", unproven)
    report = compute_report(inst, SolveOptions("cpsat", jobs=1), witnesses="canonical")
    assert report.msw.order_unproven and report.msw.incumbent == expected.msw.value
    holders = report.msw.outcome.holders
    assert holders
    for i, (got, want) in enumerate(zip(report.players, expected.players)):
        if i in holders:
            assert got.msw_without.proven, got.msw_without.name
            assert (got.msw_without.value, got.msw_without.outcome) == (want.msw_without.value,
                                                                        want.msw_without.outcome)
        else:
            assert got.msw_without.order_unproven and got.msw_without.incumbent == expected.msw.value
            assert want.msw_without.value == expected.msw.value


@pytest.mark.parametrize("seed", [11, 12, 20])
def test_with_msw_unproven_the_proven_witnesses_are_still_canonical(seed, monkeypatch):
    """MSW not proven in the time limit (simulated: its answer downgraded to an interval) left
    every other proven witness as the solver gave it (``--witnesses canonical`` printed a best
    allocation BA^A that was not the first of its optima). On these seeds CP-SAT's own witness
    of some MIEW_i or MIKW_i is not the canonical one."""
    from benchmarks.table import ReportPlan
    from ilp import Status, batch

    inst = tied_instance(seed)
    expected = compute_report(inst, SolveOptions("cpsat", jobs=1), witnesses="canonical")
    msw_program, solved = ReportPlan.of(inst).msw, batch.solve

    def msw_unproven(program, options=None, hint=None):
        solution = solved(program, options, hint)
        if program != msw_program:
            return solution
        return replace(solution, status=Status.UNKNOWN, allocation=None, value=None)

    monkeypatch.setattr(batch, "solve", msw_unproven)
    report = compute_report(inst, SolveOptions("cpsat", jobs=1), witnesses="canonical")
    assert not report.msw.proven
    proven = [(got, want) for got, want in zip(report.benchmarks, expected.benchmarks) if got.proven]
    assert len(proven) >= 2 and any(b.outcome != w.outcome for b, w in zip(
        compute_report(inst, SolveOptions("cpsat", jobs=1)).benchmarks, expected.benchmarks) if "MI" in b.name)
    for got, want in proven:
        assert (got.name, got.value, got.outcome) == (want.name, want.value, want.outcome)


def priced_program(seed: int) -> Program:
    """4-5 goods, 3-4 players: two or three with a guaranteed value (the minimum of 2-3
    candidate valuations, XOR or single-minded, values 1..3: many tied optima), the others
    with a valuation of their own (XOR or OR), one of them left out on odd seeds (as MIEW_i)."""
    rng = random.Random(seed)
    goods = rng.randint(4, 5)

    def valuation(form: Form) -> Valuation:
        count = 1 if form is Form.SINGLE_MINDED else rng.randint(1, 4)
        return Valuation(form, tuple((rng.randrange(1, 1 << goods), rng.randint(1, 3)) for _ in range(count)))

    weights = []
    for j in range(rng.randint(3, 4)):
        if j < rng.randint(2, 3):
            forms = [rng.choice((Form.XOR, Form.XOR, Form.SINGLE_MINDED)) for _ in range(rng.randint(2, 3))]
            weights.append(Weight.minimum(tuple(valuation(f) for f in forms)))
        else:
            weights.append(Weight.of(valuation(rng.choice((Form.XOR, Form.OR)))))
    if seed % 2:
        weights[-1] = None
    return Program(goods, tuple(weights))


def test_a_priced_programs_first_optimum_is_ordered_in_its_core(monkeypatch):
    """The first optimum of a program whose guaranteed values ``ilp.colgen`` prices is ordered in
    its core program (``ilp.colgen.core_program``), never formulated whole: it is the first
    optimum by definition (every allocation enumerated), on programs with many tied optima,
    whether the core's optima are listed or its goods ordered by solves (CP-SAT's, the
    portfolio's)."""
    from ilp import colgen, formulation
    from ilp.compile import BlockCache

    cores = []
    core_program = colgen.core_program

    def spy(program, optimum, options):
        cores.append(core_program(program, optimum, options))
        return cores[-1]

    monkeypatch.setattr(colgen, "core_program", spy)
    whole = formulation.build

    def build(program, cache=None, given=None):
        assert given is not None or not colgen.applies(program, cache or BlockCache()), "formulated whole"
        return whole(program, cache, given)

    monkeypatch.setattr(lex_module, "build", build)
    ordered = 0
    for seed in range(120):
        program = priced_program(seed)
        if not colgen.applies(program, BlockCache()):
            continue
        expected = first_optimum(program)
        # listed by the dual-bounded search, and ordered by solves when it stops at once
        for backend, nodes in (("cpsat", lex_module.PRICED_LISTING_NODES), ("portfolio", 0)):
            monkeypatch.setattr(lex_module, "PRICED_LISTING_NODES", nodes)
            first = lex_first(program, solve(program, backend), backend)
            assert first.optimal and first.allocation == expected, (seed, backend)
            ordered += 1
    assert ordered >= 100 and cores and all(core is not None for core in cores), (ordered, len(cores))


def test_a_priced_tie_break_not_proven_counts_the_optimum_once(monkeypatch):
    """On a program whose guaranteed values ``ilp.colgen`` prices, a tie-break whose solves stop
    unproven (simulated) counts the optimum's time once, also when the core had to be solved
    again (simulated: a core that values the optimum's allocation less), where the answer
    counted only the core's solve."""
    from ilp import colgen
    from ilp.compile import BlockCache

    solved, core_program = lex_module.solve, colgen.core_program

    def unproven(program, options=None, hint=None):
        return replace(solved(program, options, hint), status=lex_module.Status.FEASIBLE, wall_time=1.0)

    def smaller_core(program, value, options):  # (the first winner left out of the core)
        core, duals = core_program(program, value, options)
        winner = next(j for j, bundle in enumerate(optimum.allocation) if bundle)
        return replace(core, weights=core.weights[:winner] + (None,) + core.weights[winner + 1:]), duals

    monkeypatch.setattr(lex_module, "PRICED_LISTING_NODES", 0)  # (ordered by solves, not listed)
    checked = {False: 0, True: 0}
    for seed in range(60):
        program = priced_program(seed)
        if not colgen.applies(program, BlockCache()):
            continue
        optimum = replace(solve(program, "cpsat"), wall_time=100.0)
        if not any(optimum.allocation):
            continue
        for again in (False, True):
            monkeypatch.setattr(colgen, "core_program", smaller_core if again else core_program)
            monkeypatch.setattr(lex_module, "solve", unproven)
            first = lex_first(program, optimum, "cpsat")
            monkeypatch.setattr(lex_module, "solve", solved)
            assert not first.optimal and 100.0 <= first.wall_time < 150.0, (seed, again, first.wall_time)
            checked[again] += 1
    assert min(checked.values()) >= 10, checked


@pytest.mark.parametrize("seed, answer", [(11, "incumbent"), (12, "incumbent"), (20, "incumbent"), (21, "empty"),
                                          (22, "none")])
def test_with_msw_unproven_each_msw_without_is_its_own_interval(seed, answer, monkeypatch):
    """MSW not proven: each MSW_{-i} is the incumbent without player i's bundle, under MSW's
    bound (``_without_unproven``). It is made once for all the players who win nothing in the
    incumbent (made per player, n allocations of n players: 24 s at 10,000 players), and must
    be, for each of them, what it is made of one by one: an incumbent, an empty one, or none."""
    import benchmarks.report as report_module
    from benchmarks.report import _without_unproven
    from benchmarks.results import from_solution
    from benchmarks.table import ReportPlan
    from ilp import Status, batch

    inst = tied_instance(seed)
    plan = ReportPlan.of(inst)
    solved, seen = batch.solve, {}

    def msw_unproven(program, options=None, hint=None):
        solution = solved(program, options, hint)
        if program != plan.msw:
            return solution
        if answer == "incumbent":
            seen["msw"] = replace(solution, status=Status.FEASIBLE, bound=solution.value + 7)
        elif answer == "empty":
            seen["msw"] = replace(solution, status=Status.FEASIBLE, allocation=(0,) * inst.n, value=0,
                                  bound=solution.value + 7)
        else:
            seen["msw"] = replace(solution, status=Status.UNKNOWN, allocation=None, value=None)
        return seen["msw"]

    monkeypatch.setattr(batch, "solve", msw_unproven)
    monkeypatch.setattr(report_module, "_narrowed", lambda instance, welfare, players, agents: (welfare, players,
                                                                                                   agents))
    report = compute_report(inst, SolveOptions("cpsat", jobs=1))
    assert not report.msw.proven
    for i, row in enumerate(report.players):
        want = from_solution(f"MSW_-{inst.players[i]}", _without_unproven(plan, seen["msw"], i))
        got = row.msw_without
        assert (got.name, got.status, got.value, got.incumbent, got.bound, got.withheld, got.outcome) == (
            want.name, want.status, want.value, want.incumbent, want.bound, want.withheld, want.outcome), i
