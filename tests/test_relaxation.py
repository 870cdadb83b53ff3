"""Plain set-packing programs settled by their linear relaxation (``ilp.relaxation``).

The certificate is checked against every feasible solution of small random packing programs,
for GLOP's duals and for arbitrary multipliers; the whole path (bound, rounding, core) is
compared with the brute-force solver on random programs of XOR players with every core size,
with the rounding switched off (the core alone must find the optimum) and on odd cycles, where
the relaxation is fractional; and reports of generated instances with lower-bound knowledge
give the same values with and without it, equal to the brute-force reference on tiny ones."""

from __future__ import annotations

import itertools
import random

import pytest

import ilp.relaxation as relaxation
from benchmarks import compute_report
from ilp import Program, SolveOptions, Status, Weight, solve
from ilp.certify import SCALE
from ilp.formulation import ILP, build
from instances.generate import generate_instance
from instances.synthetic import random_valuation
from instances.valuation import Form, Valuation
from tests import reference
from tests.extreme_instances import CAP


def _packing(rng: random.Random) -> ILP:
    """A random program max c.x, x binary, rows "at most 1" (goods) and "at most 0" (banned
    columns), as winner determination has them."""
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
    if rng.random() < 0.3:
        ilp.add({rng.randrange(n): 1}, hi=0)
    ilp.rows = [row for row in ilp.rows if row[0]]
    return ilp


def _feasible(ilp: ILP):
    for values in itertools.product((0, 1), repeat=len(ilp.names)):
        if all(sum(a * values[k] for k, a in terms.items()) <= hi for terms, _, hi in ilp.rows):
            yield values


@pytest.mark.parametrize("seed", range(150))
def test_the_bound_and_the_cores_hold_for_any_multipliers(seed):
    """U bounds every packing, and a packing worth T or more uses only columns whose reach is at
    least T, for GLOP's duals and for arbitrary (even negative or infinite) multipliers alike."""
    rng = random.Random(seed)
    ilp = _packing(rng)
    relaxed = relaxation.relax(ilp)
    assert relaxed is not None
    duals, primal = relaxed
    arbitrary = [rng.choice((0.0, -1.0, float("inf"), float("nan"), rng.random() * 10, rng.random() * CAP))
                 for _ in ilp.rows]
    greedy = relaxation.greedy(ilp, primal)
    assert greedy in [list(v) for v in _feasible(ilp)]
    for y in (duals, arbitrary):
        total, reduced = relaxation.certificate(ilp, y)
        reach = [(total + min(d, 0)) // SCALE for d in reduced]
        for values in _feasible(ilp):
            worth = sum(c * values[k] for k, c in ilp.objective.items())
            assert worth <= total // SCALE
            assert all(reach[k] >= worth for k in range(len(values)) if values[k]), (values, worth)
    # the relaxation's own duals prove the relaxation's value (up to the rounding of SCALE)
    best = max(sum(c * v[k] for k, c in ilp.objective.items()) for v in _feasible(ilp))
    assert relaxation.certificate(ilp, duals)[0] // SCALE >= best


def _xor_program(rng: random.Random) -> Program:
    m = rng.randint(2, 7)
    high = rng.choice((4, 40, CAP))
    players = rng.randint(1, 5)
    return Program(m, tuple(Weight.of(random_valuation(rng, m, Form.XOR, low=1, high=high, max_bids=6))
                            if rng.random() < 0.9 else None for _ in range(players)))


@pytest.mark.parametrize("seed", range(80))
def test_settled_programs_match_brute_force(seed, monkeypatch):
    """Through ``settle`` directly (every core size, the rounding on or off) and through the
    ``cpsat`` and ``portfolio`` backends, the optimum is the brute-force one and proven."""
    rng = random.Random(5000 + seed)
    program = _xor_program(rng)
    expected = solve(program, "brute").value
    monkeypatch.setattr("ilp.relaxation.MIN_COLUMNS", 0)
    monkeypatch.setattr("ilp.relaxation.CORE_SHARE", rng.choice((0.0, 0.3, 1.0)))
    monkeypatch.setattr("ilp.relaxation.FIRST_CORE", rng.choice((1, 2, 3, 48)))  # first cores of every size
    if seed % 3 == 0:  # no rounding: the core alone must find every better solution
        monkeypatch.setattr("ilp.relaxation.greedy", lambda ilp, primal: [0] * len(ilp.names))
    if seed % 4 == 1:  # clique searches out of work (SEARCH_NODES): the cores go to CP-SAT
        monkeypatch.setattr("ilp.relaxation.search_core", lambda *args: (None, False))
    if seed % 4 == 3:  # the work cap itself, a node or two: the best clique found, then CP-SAT
        monkeypatch.setattr("ilp.relaxation.SEARCH_NODES", seed % 8 // 4 + 1)
    formulation = build(program)
    from ilp import cpsat

    if relaxation.applies(formulation):
        answer, start = relaxation.settle(formulation, cpsat, SolveOptions("cpsat"))
        if answer is not None:
            assert answer.status is Status.OPTIMAL
            assert sum(c * answer.values[k] for k, c in formulation.ilp.objective.items()) == expected
        elif start is not None:  # (None: no relaxation, e.g. nothing of positive value)
            assert formulation.program.total(formulation.decode(start)) <= expected
    for backend in ("cpsat", "portfolio"):
        solution = solve(program, backend)
        assert solution.optimal and solution.value == expected, backend


def test_a_fractional_relaxation_is_never_taken_for_the_optimum(monkeypatch):
    """Three goods, three bids of two goods each worth 2: the relaxation is 3 (each bid at 1/2),
    the optimum 2. A small core is solved and proves 2; with no core allowed, the program goes
    its ordinary way with the rounding as its warm start."""
    from ilp import cpsat

    monkeypatch.setattr("ilp.relaxation.MIN_COLUMNS", 0)
    bids = [Valuation(Form.XOR, ((bundle, 2),)) for bundle in (0b011, 0b110, 0b101)]
    program = Program(3, tuple(Weight.of(v) for v in bids))
    formulation = build(program)
    assert relaxation.applies(formulation)
    duals, primal = relaxation.relax(formulation.ilp)
    assert relaxation.certificate(formulation.ilp, duals)[0] // SCALE == 3
    monkeypatch.setattr("ilp.relaxation.CORE_SHARE", 1.0)
    answer, _ = relaxation.settle(formulation, cpsat, SolveOptions("cpsat"))
    assert answer.status is Status.OPTIMAL and sum(answer.values) == 1
    monkeypatch.setattr("ilp.relaxation.CORE_SHARE", 0.0)
    answer, start = relaxation.settle(formulation, cpsat, SolveOptions("cpsat"))
    assert answer is None and sum(start) == 1
    assert solve(program, "portfolio").value == 2 and solve(program, "cpsat").value == 2


def test_applies_to_plain_packing_only(monkeypatch):
    a, b = 0b01, 0b10
    first = Valuation(Form.XOR, ((a, 5), (b, 1)))
    second = Valuation(Form.XOR, ((a, 1), (b, 6)))
    plain = Program(2, (Weight.of(first), Weight.of(second)))
    assert not relaxation.applies(build(plain))  # below MIN_COLUMNS
    monkeypatch.setattr("ilp.relaxation.MIN_COLUMNS", 0)
    assert relaxation.applies(build(plain))
    # a lower bound on the total, owner objectives and fixed owners are left to the backends
    assert not relaxation.applies(build(Program(2, plain.weights, min_total=3)))
    assert not relaxation.applies(build(Program(2, plain.weights, minimize_owners=(0,))))
    assert not relaxation.applies(build(Program(2, plain.weights, fixed=(0, None))))


def test_paths_programs_are_settled_without_an_integer_search(monkeypatch):
    """On paths bids the relaxation settles most programs: CP-SAT sees the whole program for
    none of the MIKW_i of a generated instance (the logic is used, not only correct)."""
    from benchmarks.table import ReportPlan
    from ilp import cpsat

    instance = generate_instance("paths", 32, 200, 6, 0, knowledge="noisy-lower:0.6")
    plan = ReportPlan.of(instance)
    whole = []
    run = cpsat.run
    monkeypatch.setattr(cpsat, "run", lambda f, o, h=None: whole.append(len(f.ilp.names)) or run(f, o, h))
    for program in plan.mikw:
        direct = len(build(program).ilp.names)
        assert solve(program, "portfolio").optimal
    assert all(size < direct // 2 for size in whole)  # cores only, if anything


def test_large_cores_of_half_integral_relaxations_are_settled_by_a_first_core(monkeypatch):
    """Wrong knowledge on paths 64 / 500 / 10 (seed 2): the rounding of some MIKW_i and MIEW_i
    is far below the bound (the core of "better than the rounding" has up to about half of their
    ~450 columns, beyond CORE_SHARE), yet every one of them is settled by the relaxation and
    cores of at most FIRST_CORE columns searched here: CP-SAT sees none of them, and the values
    are CP-SAT's on the whole programs."""
    from benchmarks.table import ReportPlan
    from ilp import claims, cpsat

    instance = generate_instance("paths", 64, 500, 10, 2, knowledge="wrong:0.3")
    plan = ReportPlan.of(instance)
    programs = [p for p in (*plan.mikw, *plan.miew) if p is not None]
    calls = []
    run = cpsat.run
    monkeypatch.setattr(cpsat, "run", lambda f, o, h=None: calls.append(len(f.ilp.names)) or run(f, o, h))
    shares = []  # per program: the share of columns that could beat the rounding
    settle = relaxation.settle

    def watched(formulation, module, options, hint=None, solved=None):
        ilp = formulation.ilp
        duals, primal = relaxation.relax(ilp)
        total, reduced = relaxation.certificate(ilp, duals)
        best = claims.objective(ilp, relaxation.greedy(ilp, primal))
        shares.append(sum((total + min(d, 0)) // SCALE > best for d in reduced) / len(reduced))
        return settle(formulation, module, options, hint, solved)

    monkeypatch.setattr(relaxation, "settle", watched)
    solutions = [solve(p, "portfolio") for p in programs]
    assert all(s.optimal for s in solutions) and calls == []
    # named after CP-SAT, whose route this is: a batch gives the programs it solves side by side
    # the backend of the latest answer, which must not become the clique search of a dense program
    assert {s.backend for s in solutions} == {"cpsat"}
    assert max(shares) > relaxation.CORE_SHARE  # the rounding alone left cores too large
    monkeypatch.setattr(cpsat, "run", run)
    monkeypatch.setattr(relaxation, "applies", lambda formulation, plain=None: False)
    assert [s.value for s in solutions] == [solve(p, "cpsat").value for p in programs]


@pytest.mark.parametrize(("seed", "knowledge"), [(0, "noisy-lower:0.6"), (1, "wrong:0.3")])
def test_cores_beyond_the_first_are_searched_before_cpsat(seed, knowledge, monkeypatch):
    """Paths 64 / 500 / 10: 3-4 of the MIKW_i and MIEW_i leave a core of more than FIRST_CORE
    columns (within CORE_SHARE) that CP-SAT solved (about 5-10 ms each, most of it building its
    model); the clique search in C now settles each within SEARCH_NODES, and the values are
    CP-SAT's on the whole programs."""
    from benchmarks.table import ReportPlan
    from ilp import cpsat, native

    if not native.available():
        pytest.skip("the search of larger cores runs only in C")
    instance = generate_instance("paths", 64, 500, 10, seed, knowledge=knowledge)
    plan = ReportPlan.of(instance)
    programs = [p for p in (*plan.mikw, *plan.miew) if p is not None]
    calls, run = [], cpsat.run
    monkeypatch.setattr(cpsat, "run", lambda f, o, h=None, **k: calls.append(len(f.ilp.names)) or run(f, o, h, **k))
    searched, search = [], relaxation.search_core
    monkeypatch.setattr(relaxation, "search_core",
                        lambda ilp, ys, core, *a, **k: searched.append(len(core)) or search(ilp, ys, core, *a, **k))
    solutions = [solve(p, "portfolio") for p in programs]
    assert all(s.optimal for s in solutions) and calls == []
    assert max(searched) > relaxation.FIRST_CORE  # a core beyond the first ones was searched
    monkeypatch.setattr(cpsat, "run", run)
    monkeypatch.setattr(relaxation, "applies", lambda formulation, plain=None: False)
    assert [s.value for s in solutions] == [solve(p, "cpsat").value for p in programs]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("knowledge", ["noisy-lower:0.6", "wrong:0.3"])
def test_reports_are_the_same_with_and_without_the_relaxation(seed, knowledge, monkeypatch):
    instance = generate_instance("paths", 16, 80, 4, seed, knowledge=knowledge, coalitions="pairs:1")
    monkeypatch.setattr("ilp.relaxation.MIN_COLUMNS", 0)
    monkeypatch.setattr("ilp.relaxation.CORE_SHARE", 1.0)
    settled = compute_report(instance, SolveOptions("portfolio", jobs=1))
    monkeypatch.setattr("ilp.relaxation.applies", lambda formulation, plain=None: False)
    direct = compute_report(instance, SolveOptions("portfolio", jobs=1))
    assert settled.all_proven and direct.all_proven

    def values(report):
        return ([report.msw.value, report.mkw.value, report.bb.value, report.miew.value]
                + [(p.miew.value, p.mikw.value, p.msw_without.value) for p in report.players])

    assert values(settled) == values(direct)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("knowledge", ["noisy-lower:0.6", "wrong:0.3"])
@pytest.mark.parametrize("first_core", [1, 2, 48])
def test_tiny_reports_equal_the_reference(seed, knowledge, first_core, monkeypatch):
    monkeypatch.setattr("ilp.relaxation.MIN_COLUMNS", 0)
    monkeypatch.setattr("ilp.relaxation.CORE_SHARE", 0.5)
    monkeypatch.setattr("ilp.relaxation.FIRST_CORE", first_core)
    instance = generate_instance("paths", 5, 12, 3, seed, knowledge=knowledge)
    report = compute_report(instance, SolveOptions("portfolio", jobs=1))
    assert report.msw.value == reference.msw(instance)[0]
    for i, row in enumerate(report.players):
        assert row.mikw.value == reference.rk(instance, (i,))
        assert row.miew.value == reference.miew(instance, i)
        assert row.msw_without.value == reference.msw(instance, set(range(instance.n)) - {i})[0]


@pytest.mark.parametrize("seed", range(40))
def test_the_density_cut_gives_the_same_routing(seed):
    """``clique.graph(ilp, densest=d)`` is None exactly when the whole graph is denser than d,
    and the whole graph otherwise: the portfolio routes every program as before."""
    from ilp import clique

    rng = random.Random(7000 + seed)
    ilp = _packing(rng)
    whole = clique.graph(ilp)
    for densest in (0.0, 0.2, 0.4, 0.6, 1.0, whole.density):
        cut = clique.graph(ilp, densest=densest)
        assert (cut is None) == (whole.density > densest)
        assert cut is None or cut == whole


def test_a_spent_time_limit_solves_no_core(monkeypatch):
    """When the relaxation has used up the program's limit, no core is solved: the rounding
    goes back as a warm start and the program's ordinary solve reports what it can."""
    from ilp import cpsat

    monkeypatch.setattr("ilp.relaxation.MIN_COLUMNS", 0)
    monkeypatch.setattr("ilp.relaxation.CORE_SHARE", 1.0)
    bids = [Valuation(Form.XOR, ((bundle, 2),)) for bundle in (0b011, 0b110, 0b101)]
    formulation = build(Program(3, tuple(Weight.of(v) for v in bids)))
    monkeypatch.setattr("ilp.relaxation.monotonic", iter(itertools.count(0, 1000)).__next__)
    answer, start = relaxation.settle(formulation, cpsat, SolveOptions("cpsat", time_limit=1))
    assert answer is None and sum(start) == 1


@pytest.mark.parametrize("seed", range(60))
def test_decoding_whole_bids_is_the_union_of_the_bids_won(seed):
    """``Formulation.decode`` of whole-bid players (the union of the atoms won) equals reading
    the rows "good g goes to j" good by good, on any 0/1 assignment, feasible or not."""
    from ilp.compile import AtomsBlock

    rng = random.Random(9000 + seed)
    m = rng.randint(2, 7)
    program = Program(m, tuple(Weight.of(random_valuation(rng, m, rng.choice((Form.XOR, Form.OR)), low=1, high=40))
                               if rng.random() < 0.9 else None for _ in range(rng.randint(1, 5))))
    formulation = build(program)

    def by_goods(values):
        out = []
        for j, block in enumerate(formulation.blocks):
            bundle = 0
            if block is not None and sum(c * values[v] for v, c in formulation.weight[j].items()) > 0:
                for g, expr in formulation.own[j].items():
                    if sum(c * values[v] for v, c in expr.items()) > 0:
                        bundle |= 1 << g
            out.append(bundle)
        return tuple(out)

    assert any(isinstance(b, AtomsBlock) for b in formulation.blocks) or not any(program.weights)
    for _ in range(20):
        values = [rng.randint(0, 1) for _ in formulation.ilp.names]
        assert formulation.decode(values) == by_goods(values)


def test_covering_union_programs_keep_their_own_relaxation(monkeypatch):
    """Programs (and cores) of covering unions were cut down by ilp.colgen / ilp.certify's own
    relaxation: not this one's."""
    from ilp.compile import AtomsBlock

    monkeypatch.setattr("ilp.relaxation.MIN_COLUMNS", 0)
    first = Valuation(Form.XOR, ((0b01, 5), (0b10, 1)))
    second = Valuation(Form.XOR, ((0b01, 1), (0b10, 6)))
    unions = Program(2, (Weight.minimum((first, second)), Weight.of(first)))
    formulation = build(unions)
    assert any(isinstance(b, AtomsBlock) and b.unions for b in formulation.blocks)
    assert not relaxation.applies(formulation)
    assert solve(unions, "portfolio").value == solve(unions, "brute").value
