"""Valid but large inputs stay practical (issue #15, part 5), and the exact shortcuts that make them
so agree with the brute-force reference.

The large files are written at test time (``tests/large_inputs.py``) and run through the console
script as a user runs it, inside a small Python parent that reports the peak resident memory of
its children (``ru_maxrss`` of ``RUSAGE_CHILDREN``: the largest single process among cabench and
its solver workers). Timings are not asserted; docs/performance.md ("Many players and large inputs") has them.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import compute_report
from ilp import SolveOptions, dense, owner_code, solve
from ilp.compile import additive_table, compile_weight
from ilp.program import UNALLOCATED, Program, Status, Weight
from ilp.unions import Function
from instances import Candidates, Form, Instance, LowerBounds, Valuation
from instances.synthetic import random_instance, random_valuation
from tests import large_inputs, reference
from tests.conftest import cabench_command
from tests.test_agreement import check_report, matches_reference

MEMORY = 3 * 2**30
PEAK = ("import resource, subprocess, sys\n"
        "result = subprocess.run(sys.argv[1:], capture_output=True)\n"
        "sys.stderr.buffer.write(result.stderr)\n"
        "print(result.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)\n")


def _run_measured(args: list[str], timeout: float = 600) -> tuple[int, str, int]:
    """(exit status, standard error, peak bytes of the largest process) of cabench ``args``."""
    done = subprocess.run([sys.executable, "-c", PEAK, *cabench_command(), *args], capture_output=True,
                          text=True, timeout=timeout)
    status, peak = done.stdout.split()
    return int(status), done.stderr, int(peak)


def _check_practical(status: int, stderr: str, peak: int, expected: tuple[int, ...]) -> None:
    assert status in expected, stderr
    assert "Traceback" not in stderr and len(stderr.splitlines()) <= 1, stderr
    assert peak < MEMORY, f"peak memory {peak / 2**30:.2f} GB"


# ---------------------------------------------------------------- the additive-table shortcut


def additive(m: int, singles: list[int]) -> Valuation:
    """The complete table of the additive valuation with these singleton values."""
    table = {}
    for bundle in range(1, 1 << m):
        value = sum(v for g, v in enumerate(singles) if bundle >> g & 1)
        if value:
            table[bundle] = value
    return Valuation(Form.TABLE, tuple(sorted(table.items())))


def _positive(v: Valuation) -> Function:
    return Function(v.semantics, tuple((b, x) for b, x in v.bids if x > 0))


def test_additive_tables_become_their_singletons():
    v = additive(4, [3, 0, 5, 1])
    assert additive_table(_positive(v)) == ((0b0001, 3), (0b0100, 5), (0b1000, 1))
    block = compile_weight(Weight.of(v))
    assert not block.single and block.atoms == ((0b0001, 3), (0b0100, 5), (0b1000, 1))


def test_an_additive_table_over_some_goods_keeps_their_numbering():
    spread = {}  # additive over goods 1 and 3 only (bits 0b0010 and 0b1000)
    for sub, value in ((0b0010, 4), (0b1000, 6), (0b1010, 10)):
        spread[sub] = value
    v = Valuation(Form.TABLE, tuple(sorted(spread.items())))
    assert additive_table(_positive(v)) is None  # 3 atoms: too few to be worth checking
    v = additive(5, [0, 4, 0, 6, 2])
    assert additive_table(_positive(v)) == ((0b00010, 4), (0b01000, 6), (0b10000, 2))


@pytest.mark.parametrize("change", [(0b0011, +1), (0b0110, -1), (0b1111, +1)])
def test_a_table_one_unit_off_additive_is_kept_whole(change):
    v = additive(4, [3, 2, 5, 1])
    bundle, delta = change
    bids = tuple((b, x + delta if b == bundle else x) for b, x in v.bids)
    f = _positive(Valuation(Form.TABLE, bids))
    assert additive_table(f) is None
    assert compile_weight(Weight.of(Valuation(Form.TABLE, bids))).single


def test_explicit_bids_that_miss_bundles_are_not_additive():
    v = additive(4, [3, 2, 5, 1])
    partial = Valuation(Form.EXPLICIT, v.bids[:-1])  # the full bundle is missing: it is worth 0
    assert additive_table(_positive(partial)) is None


def _with_additive_tables(seed: int) -> Instance:
    """A random small instance where about half of the true valuations, lower bounds and candidate
    valuations are replaced by complete tables, additive or one entry off additive."""
    inst = random_instance(seed, forms=(Form.TABLE, Form.XOR, Form.OR, Form.EXPLICIT))
    while (inst.n + 1) ** inst.m > reference.MAX_ALLOCATIONS or inst.m < 3:
        seed += 10**6
        inst = random_instance(seed, forms=(Form.TABLE, Form.XOR, Form.OR, Form.EXPLICIT))
    rng = random.Random(seed)
    low = -5 if inst.is_market else 0

    def table() -> Valuation:
        v = additive(inst.m, [rng.randint(low, 9) for _ in range(inst.m)])
        if rng.random() < 0.3 and v.bids:  # one entry off: must not be taken for additive
            k = rng.randrange(len(v.bids))
            bids = list(v.bids)
            bids[k] = (bids[k][0], bids[k][1] + rng.choice((-1, 1)))
            v = Valuation(Form.TABLE, tuple((b, x) for b, x in bids if x))
        return v

    def maybe(v: Valuation) -> Valuation:
        return table() if rng.random() < 0.5 else v

    valuations = tuple(maybe(v) for v in inst.valuations)
    knowledge = []
    for k in inst.knowledge:
        if isinstance(k, LowerBounds):
            k = LowerBounds({j: maybe(v) for j, v in k.bounds.items()})
        elif isinstance(k, Candidates):
            k = Candidates(tuple({j: maybe(v) for j, v in p.items()} for p in k.profiles))
        knowledge.append(k)
    return Instance(name=inst.name, goods=inst.goods, players=inst.players, valuations=valuations,
                    knowledge=tuple(knowledge), coalitions=inst.coalitions, endowment=inst.endowment)


def _agrees(solver: str, examples: int):
    return matches_reference(_with_additive_tables, solver, examples)


test_additive_tables_cpsat = _agrees("cpsat", 60)
test_additive_tables_brute = _agrees("brute", 30)
test_additive_tables_highs = _agrees("highs", 25)
test_additive_tables_scip = _agrees("scip", 25)
test_additive_tables_cbc = _agrees("cbc", 20)
test_additive_tables_portfolio = _agrees("portfolio", 20)


# ---------------------------------------------------------------- the large files, as a user runs them


def test_a_complete_additive_20_good_table(tmp_path):
    path = tmp_path / "additive-table-20x1.json"
    path.write_text(large_inputs.additive_tables(1))
    status, stderr, peak = _run_measured(["benchmarks", str(path), "--json"])
    _check_practical(status, stderr, peak, (0,))


@pytest.mark.slow
def test_two_complete_additive_20_good_tables(tmp_path):
    path = tmp_path / "additive-table-20x2.json"
    path.write_text(large_inputs.additive_tables(2))
    status, stderr, peak = _run_measured(["benchmarks", str(path), "--json"])
    _check_practical(status, stderr, peak, (0,))


def test_2000_goods_and_200_xor_players_end_with_their_interval(tmp_path):
    """MSW of this file is not proven within a second by any backend (nor within 40 s, docs/performance.md):
    the report must still end at once with exit 3 and the intervals, not solve each MSW_-i to
    the limit."""
    path = tmp_path / "xor-2000x200.json"
    path.write_text(large_inputs.xor_players())
    status, stderr, peak = _run_measured(["benchmarks", str(path), "--time-limit", "1", "--json"])
    _check_practical(status, stderr, peak, (0, 3))


# ---------------------------------------------------------------- ilp.dense: two single-choice players


def _dense_program(seed: int) -> Program:
    """1-3 positions, at most two of them with a single-choice weight (table, explicit or XOR,
    values 1..4 so that optima tie), random fixed owners, and sometimes the owner objective of
    ``ilp.lex`` over a prefix of the goods (with the optimum as lower bound, as ``ilp.lex`` asks)."""
    rng = random.Random(seed)
    m = rng.randint(1, 5)
    n = rng.randint(1, 3)
    weights: list[Weight | None] = [None] * n
    for j in rng.sample(range(n), min(n, rng.randint(1, 2))):
        weights[j] = Weight.of(random_valuation(rng, m, rng.choice((Form.TABLE, Form.EXPLICIT, Form.XOR)),
                                                low=0, high=4, max_bids=6))
    fixed: tuple[int | None, ...] = ()
    if rng.random() < 0.5:
        fixed = tuple(rng.choice((None, None, None, UNALLOCATED, *range(n))) for _ in range(m))
    return Program(m, tuple(weights), fixed)


@pytest.mark.parametrize("seed", range(300))
def test_dense_matches_the_integer_program(seed):
    program = _dense_program(seed)
    answer = dense.solve_program(program, min_bids=0)
    assert answer is not None
    status, allocation = answer
    expected = solve(program, "cpsat")  # the integer program (ilp.dense answers only from MIN_BIDS)
    assert status is expected.status
    if status is not Status.OPTIMAL:
        return
    assert program.total(allocation) == expected.value
    union = 0
    for j, bundle in enumerate(allocation):
        assert bundle & union == 0
        union |= bundle
        if program.fixed:
            for g, owner in enumerate(program.fixed):
                if owner == j:
                    assert bundle >> g & 1
                elif owner is not None:
                    assert not bundle >> g & 1
    # the owner objective of ilp.lex, among the optima: same owner codes as the integer program
    for length in range(1, program.n_goods + 1):
        goods = tuple(range(length))
        ordered = replace(program, min_total=expected.value, minimize_owners=goods)
        status, first = dense.solve_program(ordered, min_bids=0)
        reference_first = solve(ordered, "cpsat")
        assert status is Status.OPTIMAL and reference_first.optimal
        assert program.total(first) == expected.value
        assert [owner_code(first, g) for g in goods] == [owner_code(reference_first.allocation, g) for g in goods]


def test_dense_leaves_other_programs_to_the_integer_programs():
    xor = Weight.of(Valuation(Form.XOR, ((0b01, 5), (0b11, 7))))
    orv = Weight.of(Valuation(Form.OR, ((0b01, 5), (0b10, 7))))
    assert dense.solve_program(Program(2, (xor, xor, xor)), min_bids=0) is None  # three players
    assert dense.solve_program(Program(2, (xor, orv)), min_bids=0) is None  # an OR player takes several bids
    assert dense.solve_program(Program(2, (xor, xor))) is None  # few bids: the integer programs are fast
    below = Program(2, (xor, xor), min_total=1, minimize_owners=(0,))  # lower bound under the optimum
    assert dense.solve_program(below, min_bids=0) is None


def _report_agrees_with_dense(solver: str, examples: int):
    @settings(max_examples=examples)
    @given(st.integers(min_value=0, max_value=2**32 - 1))
    def test(seed):
        inst = random_instance(seed, players=2, forms=(Form.TABLE, Form.EXPLICIT, Form.XOR, Form.SINGLE_MINDED))
        while (inst.n + 1) ** inst.m > reference.MAX_ALLOCATIONS:
            seed += 10**6
            inst = random_instance(seed, players=2, forms=(Form.TABLE, Form.EXPLICIT, Form.XOR, Form.SINGLE_MINDED))
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(dense, "MIN_BIDS", 0)
            check_report(inst, compute_report(inst, SolveOptions(backend=solver, jobs=1)))

    return test


test_dense_reports_cpsat = _report_agrees_with_dense("cpsat", 60)
test_dense_reports_highs = _report_agrees_with_dense("highs", 15)
test_dense_reports_scip = _report_agrees_with_dense("scip", 15)
test_dense_reports_cbc = _report_agrees_with_dense("cbc", 10)
test_dense_reports_portfolio = _report_agrees_with_dense("portfolio", 10)


@pytest.mark.slow
def test_two_complete_20_good_tables_with_synergies(tmp_path):
    """No bid can be dropped (every larger bundle is worth more) and the tables are not additive:
    ilp.dense answers the two-player programs."""
    path = tmp_path / "synergy-table-20x2.json"
    path.write_text(large_inputs.synergy_tables(2))
    status, stderr, peak = _run_measured(["benchmarks", str(path), "--json"])
    _check_practical(status, stderr, peak, (0,))


def test_two_complete_14_good_tables_with_synergies(tmp_path):
    path = tmp_path / "synergy-table-14x2.json"
    path.write_text(large_inputs.synergy_tables(2, goods=14))
    status, stderr, peak = _run_measured(["benchmarks", str(path), "--json"])
    _check_practical(status, stderr, peak, (0,))


@pytest.mark.parametrize("seed", range(20))
def test_dense_with_goods_beyond_64_bits(seed):
    """Bids over goods spread across a 300-good instance (bundles wider than one machine word)."""
    rng = random.Random(seed)
    spread = sorted(rng.sample(range(300), 6))
    weights = []
    for _ in range(2):
        bids = {}
        for _ in range(rng.randint(1, 8)):
            bundle = sum(1 << g for g in rng.sample(spread, rng.randint(1, 3)))
            bids[bundle] = rng.randint(1, 4)
        weights.append(Weight.of(Valuation(Form.XOR, tuple(bids.items()))))
    fixed = tuple(rng.choice((None, None, 0, 1, UNALLOCATED)) if g in spread else None for g in range(300))
    for program in (Program(300, tuple(weights)), Program(300, tuple(weights), fixed)):
        status, allocation = dense.solve_program(program, min_bids=0)
        expected = solve(program, "cpsat")
        assert status is expected.status
        if status is Status.OPTIMAL:
            assert program.total(allocation) == expected.value
            ordered = replace(program, min_total=expected.value, minimize_owners=tuple(spread))
            first = dense.solve_program(ordered, min_bids=0)[1]
            reference_first = solve(ordered, "cpsat").allocation
            assert [owner_code(first, g) for g in spread] == [owner_code(reference_first, g) for g in spread]


@pytest.mark.parametrize(("goods", "graphed"), [(12, True), (15, False)])
def test_no_clique_graph_of_a_huge_sparse_program(goods, graphed):
    """Three complete tables make a sparse set-packing program (about 1 % of pairs of bids
    compatible), which the portfolio gives the clique search; its graph's bit sets take n^2 / 8
    bytes, built before any time limit applies. 12,285 bids (12 goods) still get one; 98,301 (15
    goods, 1.2 GB of bit sets) are beyond ``ilp.clique.MAX_VERTICES`` and go the dense way (18
    goods: 77 GB, minutes of big-integer loop at --time-limit 20, before the cap)."""
    import json

    from benchmarks.table import Weights
    from ilp import clique
    from ilp.formulation import build
    from ilp.portfolio import sparse_graph
    from instances.loader import parse_instance

    instance = parse_instance(json.loads(large_inputs.synergy_tables(3, goods=goods)))
    ilp = build(Program(goods, Weights(instance).true)).ilp
    assert len(ilp.names) == 3 * (2**goods - 1) and clique.applies(ilp)
    assert (len(ilp.names) <= clique.MAX_VERTICES) == graphed
    graph = sparse_graph(ilp)  # (clique.graph with densest=SPARSE)
    assert (graph is not None) == graphed
    if graphed:
        assert graph.density < 0.03


def test_programs_beyond_memory_end_in_one_line(tmp_path):
    """Three complete 20-good tables with synergies (neither additive nor two players, so no exact
    shortcut applies) make integer programs of about three million bids: more than fits under a
    2 GB address-space limit. cabench says so in one line with status 1, not a traceback."""
    import resource

    path = tmp_path / "synergy-tables-20x3.json"
    path.write_text(large_inputs.synergy_tables(3))

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 * 10**9, 2 * 10**9))

    done = _run_or_show_stacks([*cabench_command(), "benchmarks", str(path), "--time-limit", "20"], 300, cap)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr
    assert "out of memory" in done.stderr


def _run_or_show_stacks(args: list[str], timeout: float, preexec_fn) -> subprocess.CompletedProcess:
    """``args`` run to the end; one still running after ``timeout`` seconds fails the test with
    the Python stack of every thread of every process of the run (cabench and its workers, one
    process group: SIGABRT makes each one's faulthandler print them, ``PYTHONFAULTHANDLER``), so
    that a run that does not end says where it is. (Once, in a fresh-clone CI run, the run of
    :func:`test_programs_beyond_memory_end_in_one_line` went on for 5 minutes; it never did again.)"""
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=preexec_fn,
                               start_new_session=True, env=dict(os.environ, PYTHONFAULTHANDLER="1"))
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGABRT)
        try:
            out, err = process.communicate(timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        pytest.fail(f"still running after {timeout} s; the stacks of its threads:\n{err[-30000:]}")
    return subprocess.CompletedProcess(args, process.returncode, out, err)
