"""A core's floor (``ilp.formulation.ILP.floor``): the exact backends answer "the optimum, or
nothing reaches the floor", and the cores of the exact bounds ask for one above their incumbent.

Small random programs (whole bids, and covering unions of candidates) are solved with floors
around their brute-force optimum, with and without a starting solution below the floor; and the
programs of ``ilp.colgen``, ``ilp.certify`` and ``ilp.relaxation`` are checked to hand every
core a floor (one above the incumbent for the last two, whose incumbent the core receives) while
their values stay those of the brute force."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

import ilp.certify
import ilp.colgen
import ilp.relaxation
from ilp import SolveOptions, Status, claims, clique, cpsat, dualclique, solve
from ilp.formulation import Formulation, build
from tests.test_exact_audit import _check_proven, _priced_program, brute, packing_program
from tests.test_relaxation import _xor_program

EXACT = {"cpsat": cpsat.run, "clique": clique.run, "dualclique": dualclique.run}


def _floored(formulation: Formulation, floor: int) -> Formulation:
    return replace(formulation, ilp=replace(formulation.ilp, floor=floor))


@pytest.mark.parametrize("seed", range(60))
@pytest.mark.parametrize("run", sorted(EXACT))
def test_exact_backends_answer_the_optimum_or_nothing_above_the_floor(seed, run):
    program = _priced_program(seed) if seed % 2 else packing_program(seed)
    expected, first = brute(program)
    formulation = build(program)
    if run != "cpsat" and not clique.applies(formulation.ilp):
        pytest.skip("not set packing")
    below = formulation.encode(first)  # a start worth the optimum, below any floor above it
    for floor in sorted({1, expected - 1, expected, expected + 1, expected + 7}):
        for hint in (None, below):
            answer = EXACT[run](_floored(formulation, floor), SolveOptions("cpsat"), hint)
            if floor > expected:
                assert answer.status is Status.INFEASIBLE and answer.values is None, (floor, answer)
                continue
            assert answer.status is Status.OPTIMAL, (floor, answer)
            assert program.total(formulation.decode(answer.values)) == expected, floor


@pytest.mark.parametrize("seed", range(40))
def test_a_clique_search_below_its_floor_returns_its_start_and_the_starts_weight(seed):
    """Nothing reaches the floor: the clique returned is the start, with the start's weight (not
    the floor the search pruned with)."""
    program = packing_program(seed)
    expected, first = brute(program)
    formulation = build(program)
    if not clique.applies(formulation.ilp):
        pytest.skip("not set packing")
    g = clique.graph(formulation.ilp)
    start = clique.warm_start(g, formulation.encode(first))
    found, weight, proven = clique.max_weight_clique(g, start, floor=expected + 3)
    assert proven and found == start and weight == sum(g.weights[v] for v in start)


def test_a_search_stopped_before_the_floor_is_reached_proves_nothing():
    """A clique search (plain, or dual-bounded) stopped by its work cap, node cap or deadline
    before it reaches a reachable floor: never INFEASIBLE (the optimum, or an interval)."""
    stopped = 0
    for seed in range(80):
        program = _priced_program(seed) if seed % 2 else packing_program(seed)
        expected, _ = brute(program)
        formulation = build(program)
        if not clique.applies(formulation.ilp) or expected == 0:
            continue
        floored = _floored(formulation, expected)
        g = clique.graph(floored.ilp)
        for answer in (clique.solve_graph(floored, g, SolveOptions("clique"), None, work=1),
                       clique.solve_graph(floored, g, SolveOptions("clique", time_limit=1e-9), None),
                       dualclique.run(floored, SolveOptions("clique"), None, max_nodes=1),
                       dualclique.run(floored, SolveOptions("clique", time_limit=1e-9), None)):
            assert answer.status is not Status.INFEASIBLE, seed
            if answer.status is Status.OPTIMAL:
                assert program.total(formulation.decode(answer.values)) == expected
            else:
                stopped += 1
                assert answer.bound is None or answer.bound >= expected
    assert stopped  # some search was stopped before its proof


def _one_above_the_incumbent(monkeypatch) -> list[int]:
    """Record the floor of every core ``ilp.certify._solve_core`` solves (for ``ilp.certify``
    and ``ilp.relaxation``), checking that it is one above the incumbent the core receives."""
    floors: list[int] = []
    real = ilp.certify._solve_core

    def checked(formulation, module, options, core, incumbent, floor=None):
        assert floor == claims.objective(formulation.ilp, incumbent) + 1, floor
        floors.append(floor)
        return real(formulation, module, options, core, incumbent, floor)

    monkeypatch.setattr(ilp.certify, "_solve_core", checked)
    return floors


@pytest.mark.parametrize("seed", range(30))
def test_every_core_of_a_priced_program_has_a_floor(seed, monkeypatch):
    """``ilp.colgen`` (smallest first cores, so several per program) and ``ilp.certify``: each
    core reaches its backend with a floor (in ``ilp.certify``, one above its incumbent), and
    every value is the brute force's."""
    program = _priced_program(seed)
    expected, _ = brute(program)
    floors: list[int | None] = []
    real_cpsat = cpsat.run

    def recorded(formulation, options, hint=None, work=None):
        floors.append(formulation.ilp.floor)
        return real_cpsat(formulation, options, hint, work)

    monkeypatch.setattr(ilp.colgen, "CORE_SIZE", random.Random(seed).choice((1, 2)))
    monkeypatch.setattr(ilp.colgen, "_greedy", lambda program, master: (0,) * len(program.weights))
    monkeypatch.setattr(cpsat, "run", recorded)
    _check_proven(program, solve(program, "cpsat"), expected, "cpsat")
    if expected > 0:  # an empty start and a positive optimum: some core was solved
        assert floors and all(floor is not None and floor >= 1 for floor in floors), floors
    monkeypatch.setattr(ilp.colgen, "applies", lambda program, blocks: False)  # listed unions: ilp.certify
    monkeypatch.setattr(ilp.certify, "MIN_COLUMNS", 0)
    monkeypatch.setattr(ilp.certify, "CORE_SIZE", 1)
    monkeypatch.setattr(ilp.certify, "_greedy", lambda ilp, matrix, primal: [0] * len(ilp.names))
    certified = _one_above_the_incumbent(monkeypatch)
    _check_proven(program, solve(program, "cpsat"), expected, "cpsat")
    if expected > 0:
        assert certified


@pytest.mark.parametrize("seed", range(40))
def test_the_relaxations_core_asks_for_one_above_its_incumbent(seed, monkeypatch):
    """``ilp.relaxation.settle`` with its clique search out of work, so that its core goes to
    CP-SAT through ``ilp.certify._solve_core``: the floor is one above the incumbent (with a
    higher one, INFEASIBLE would hide a solution one above it), and the optimum the brute
    force's."""
    rng = random.Random(7000 + seed)
    program = _xor_program(rng)
    expected = solve(program, "brute").value
    monkeypatch.setattr(ilp.relaxation, "MIN_COLUMNS", 0)
    monkeypatch.setattr(ilp.relaxation, "CORE_SHARE", 1.0)
    monkeypatch.setattr(ilp.relaxation, "search_core", lambda *args: (None, False))
    if seed % 2:  # no rounding: the core finds every better solution
        monkeypatch.setattr(ilp.relaxation, "greedy", lambda ilp, primal: [0] * len(ilp.names))
    floors = _one_above_the_incumbent(monkeypatch)
    formulation = build(program)
    if not ilp.relaxation.applies(formulation):
        pytest.skip("not plain packing")
    answer, _ = ilp.relaxation.settle(formulation, cpsat, SolveOptions("cpsat"))
    if answer is not None:
        assert answer.status is Status.OPTIMAL
        assert claims.objective(formulation.ilp, answer.values) == expected
    assert all(floor >= 1 for floor in floors)
