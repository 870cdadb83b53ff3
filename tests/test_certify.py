"""Covering-union programs solved through an exact dual bound and cores (``ilp.certify``).

The bound and the column fixing are checked against every feasible solution of small random
packing programs, whatever multipliers they start from; whole programs are solved on every
backend with the smallest cores (so that both cores and the bound all take part) and compared
with the brute-force solver, with tied values and with values near the cap (where the
certificate falls back to Python integers); and a generated instance with candidate knowledge
gives the same report through this path as without it."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from benchmarks import compute_report
from ilp import Program, SolveOptions, Status, Weight, solve
from ilp.certify import SCALE, _certificate, _relaxation, applies
from ilp.compile import AtomsBlock, compile_weight
from ilp.formulation import ILP, build
from instances.generate import generate_instance
from instances.synthetic import random_valuation
from instances.valuation import Form, Valuation
from tests.extreme_instances import CAP

BACKENDS = ("cpsat", "highs", "cbc", "scip", "portfolio")


def _packing(rng: random.Random) -> ILP:
    """A random program max c.x, A x <= b, x binary: rows of goods (at most once) and of players
    (at most one column), as the covering-union programs have."""
    ilp = ILP()
    n, goods, players = rng.randint(1, 12), rng.randint(1, 5), rng.randint(1, 3)
    owner = [rng.randrange(players) for _ in range(n)]
    bundles = [rng.getrandbits(goods) | 1 << rng.randrange(goods) for _ in range(n)]
    for k in range(n):
        ilp.var(f"x{k}")
    ilp.objective = {k: rng.choice((rng.randint(1, 9), CAP - rng.randint(0, 9))) if rng.random() < 0.2
                     else rng.randint(1, 9) for k in range(n)}
    for g in range(goods):
        ilp.add({k: 1 for k in range(n) if bundles[k] >> g & 1}, hi=1)
    for j in range(players):
        ilp.add({k: 1 for k in range(n) if owner[k] == j}, hi=1)
    ilp.rows = [row for row in ilp.rows if row[0]]
    return ilp


def _feasible(ilp: ILP):
    for values in itertools.product((0, 1), repeat=len(ilp.names)):
        if all(sum(a * values[k] for k, a in terms.items()) <= hi for terms, _, hi in ilp.rows):
            yield values


@pytest.mark.parametrize("seed", range(150))
def test_the_bound_and_the_cores_hold_for_any_multipliers(seed):
    """U bounds every solution, and a solution worth T or more uses only columns of the core of
    T, for the relaxation's duals and for arbitrary non-negative multipliers alike."""
    rng = random.Random(seed)
    ilp = _packing(rng)
    relaxation = _relaxation(ilp)
    assert relaxation is not None
    duals, _, matrix = relaxation
    multipliers = [duals, np.array([rng.choice((0.0, rng.random() * 10, rng.random() * CAP)) for _ in ilp.rows])]
    for y in multipliers:
        total, reduced = _certificate(ilp, y, matrix)
        reach = [(total + min(d, 0)) // SCALE for d in reduced]
        for values in _feasible(ilp):
            worth = sum(c * values[k] for k, c in ilp.objective.items())
            assert worth <= total // SCALE
            assert all(reach[k] >= worth for k in range(len(values)) if values[k]), (values, worth)


def _weight(rng: random.Random, m: int, high: int) -> Weight:
    """A guaranteed value over two to four candidates of one valuation (the same bundles, values
    rescaled, as ``candidates:K`` draws them), sometimes pooled with a second one (a coalition)."""
    options = []
    for _ in range(rng.choice((1, 1, 2))):
        truth = random_valuation(rng, m, Form.XOR, low=1, high=high, max_bids=6)
        candidates = [truth] + [Valuation(Form.XOR, tuple((b, max(1, min(CAP, int(v * rng.uniform(0.5, 1.5)))))
                                                          for b, v in truth.bids))
                                for _ in range(rng.randint(1, 3))]
        options.append(tuple(candidates))
    return Weight(tuple(options))


@pytest.mark.parametrize("seed", range(60))
def test_programs_match_brute_force_on_every_backend(seed, monkeypatch):
    rng = random.Random(2000 + seed)
    monkeypatch.setattr("ilp.colgen.applies", lambda program, blocks: False)  # listed unions, as lex solves them
    monkeypatch.setattr("ilp.certify.MIN_COLUMNS", 0)
    monkeypatch.setattr("ilp.certify.CORE_SIZE", rng.randint(1, 6))
    if seed % 2:  # no greedy solution to start from: the cores find every solution themselves
        monkeypatch.setattr("ilp.certify._greedy", lambda ilp, matrix, primal: [0] * len(ilp.names))
    m = rng.randint(2, 7)
    high = rng.choice((4, 40, CAP))
    weights = tuple(_weight(rng, m, high) if rng.random() < 0.75 else
                    Weight.of(random_valuation(rng, m, Form.XOR, low=1, high=min(high, 40)))
                    for _ in range(rng.randint(1, 4)))
    program = Program(m, weights)
    expected = solve(program, "brute").value
    formulation = build(program)
    if any(isinstance(b, AtomsBlock) and b.unions for b in formulation.blocks):
        assert applies(formulation)
    for backend in BACKENDS:
        solution = solve(program, backend)
        assert solution.optimal and solution.value == expected, backend


def test_applies_only_to_large_covering_union_programs(monkeypatch):
    a, b = 0b01, 0b10
    first = Valuation(Form.XOR, ((a, 5), (b, 1)))
    second = Valuation(Form.XOR, ((a, 1), (b, 6)))
    unions = Program(2, (Weight.minimum((first, second)), Weight.of(first)))
    plain = Program(2, (Weight.of(first), Weight.of(second)))
    assert not applies(build(unions))  # below MIN_COLUMNS
    monkeypatch.setattr("ilp.certify.MIN_COLUMNS", 0)
    assert applies(build(unions)) and not applies(build(plain))
    assert compile_weight(Weight.minimum((first, second))).unions
    # owner objectives and lower bounds on the total are left to the backends
    assert not applies(build(Program(2, unions.weights, min_total=3)))
    assert not applies(build(Program(2, unions.weights, minimize_owners=(0,))))


def test_a_time_limit_ends_in_an_interval(monkeypatch):
    """A core that the backend cannot finish leaves the best solution and the proven bound."""
    monkeypatch.setattr("ilp.colgen.applies", lambda program, blocks: False)
    monkeypatch.setattr("ilp.certify.MIN_COLUMNS", 0)
    monkeypatch.setattr("ilp.certify.CORE_SIZE", 1)
    rng = random.Random(3)
    weights = tuple(_weight(rng, 7, 40) for _ in range(4))
    program = Program(7, weights)
    expected = solve(program, "brute").value
    # a limit already spent: no core is solved, the greedy solution and the relaxation's bound remain
    monkeypatch.setattr("ilp.certify.monotonic", iter(itertools.count(0, 1000)).__next__)
    solution = solve(program, SolveOptions("cpsat", time_limit=1))
    assert solution.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert solution.value <= expected <= solution.bound


@pytest.mark.parametrize("seed", range(3))
def test_a_candidate_report_is_the_same_through_the_cores(seed, monkeypatch):
    instance = generate_instance("paths", 10, 40, 4, seed, knowledge="candidates:3")
    monkeypatch.setattr("ilp.colgen.applies", lambda program, blocks: False)
    direct = compute_report(instance, SolveOptions("cpsat", jobs=1))
    monkeypatch.setattr("ilp.certify.MIN_COLUMNS", 0)
    monkeypatch.setattr("ilp.certify.CORE_SIZE", 5)
    for backend in ("cpsat", "highs"):
        report = compute_report(instance, SolveOptions(backend, jobs=1))
        assert report.all_proven
        assert [(p.miew.value, p.mikw.value) for p in report.players] == \
               [(p.miew.value, p.mikw.value) for p in direct.players]
        assert report.mkw.value == direct.mkw.value and report.bb.value == direct.bb.value
