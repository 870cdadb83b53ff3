"""``ilp.native``: the searches in C take the same steps as in Python. On random graphs of every
density, with random weights, floors, node and work caps, collection of every clique above a
threshold, and the dual bound of random rows and duals (with the dual cover and with the
colouring), the C clique search and the Python one return the same clique, floor, node and work
counts and collected cliques; on random guaranteed values (1 to 3 words of goods), random
prices, floors, budgets and numbers kept, the C walk of ``ilp.colgen`` lists the same unions
in the same order, and runs out of budget where Python does, and ``minimal_of`` keeps the same unions with
the same weights; the dynamic program of ``ilp.fewgoods`` fills the same table; searches whose
sums could overflow 64 bits stay in Python; the portfolio's
stage runs only in C and names its answers after CP-SAT, probes with CP-SAT only where the
relaxation is close and hands the search its graph and the relaxation's point (cuts separated
there bound the program); a candidates report on paths, whose
programs the relaxation and column generation settle (not the portfolio's stage), is the same
bytes with and without the module."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ilp import clique, dualclique, fewgoods, native, pricing
from ilp.certify import SCALE
from ilp.clique import Graph, _Search, _Timeout
from ilp.dualclique import _DualSearch, _Rows
from ilp.unions import UnionSearch

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not native.available(), reason="ilp._native is not built here")


def random_graph(rng: random.Random, n: int, density: float, high: int) -> Graph:
    """A graph of ``n`` vertices, each pair compatible with probability ``density``."""
    compatible = [0] * n
    for a in range(n):
        for b in range(a + 1, n):
            if rng.random() < density:
                compatible[a] |= 1 << b
                compatible[b] |= 1 << a
    return Graph(tuple(range(n)), tuple(rng.randint(1, high) for _ in range(n)), tuple(compatible))


def random_rows(rng: random.Random, g: Graph) -> _Rows:
    """Rows: sets of pairwise incompatible vertices (greedy), with random integer duals >= 0."""
    n = len(g.weights)
    masks = []
    for _ in range(rng.randint(0, max(1, n // 2))):
        order = list(range(n))
        rng.shuffle(order)
        mask = 0
        for v in order:
            if not g.compatible[v] & mask:
                mask |= 1 << v
        if mask & (mask - 1):
            masks.append(mask)
    top = max(g.weights, default=1) * dualclique.SCALE
    duals = [rng.choice((0, rng.randint(0, top))) for _ in masks]
    return _Rows(g, masks, duals)


def floored(search: _Search, floor: int) -> _Search:
    """``search`` set to beat ``floor``."""
    search.floor = floor
    return search


def both(make):
    """Run the search ``make()`` builds in Python and in C; their outcomes (best, floor, nodes,
    work, found, stopped)."""
    outcomes = []
    for use_native in (False, True):
        search = make()
        stopped = False
        try:
            if use_native:
                ran = native.run(search)
                assert ran is not None
                stopped = ran
            else:
                search.expand([], 0, (1 << len(search.weights)) - 1)
        except _Timeout:
            stopped = True
        outcomes.append((tuple(search.best), search.floor, search.nodes, search.work,
                         [tuple(c) for c in search.found], stopped))
    return outcomes


@pytest.mark.parametrize("seed", range(120))
def test_plain_search_same_nodes(seed):
    rng = random.Random(seed)
    n = rng.choice((0, 1, 2, 5, 12, 30, 60, 90))
    g = random_graph(rng, n, rng.choice((0.1, 0.3, 0.6, 0.9)), rng.choice((1, 5, 1000, 10**12)))
    floor = rng.choice((0, rng.randint(0, max(1, sum(g.weights)))))
    max_nodes = rng.choice((None, None, rng.randint(1, 200)))
    max_work = rng.choice((None, None, rng.randint(1, 2000)))

    python, c = both(lambda: floored(_Search(g, None, max_nodes=max_nodes, max_work=max_work), floor))
    assert c == python


@pytest.mark.parametrize("seed", range(60))
def test_collecting_search_same_cliques(seed):
    rng = random.Random(1000 + seed)
    n = rng.choice((1, 4, 10, 25, 60))
    g = random_graph(rng, n, rng.choice((0.2, 0.5, 0.8)), rng.choice((1, 3, 20)))
    best = max(sum(g.weights[v] for v in range(n) if rng.random() < 0.3), 1)
    collect = rng.choice((0, 1, 5, 10_000))

    python, c = both(lambda: floored(_Search(g, None, collect=collect), best - 1))
    assert c == python


@pytest.mark.parametrize("seed", range(150))
def test_dual_search_same_nodes(seed):
    rng = random.Random(5000 + seed)
    n = rng.choice((1, 3, 8, 20, 50, 80, 120))
    g = random_graph(rng, n, rng.choice((0.2, 0.4, 0.6, 0.8)), rng.choice((1, 7, 1000, 10**6)))
    rows = random_rows(rng, g)
    cover = rng.random() < 0.7
    floor = rng.choice((0, rng.randint(0, max(1, sum(g.weights)))))
    max_nodes = rng.choice((None, None, rng.randint(1, 300)))

    python, c = both(lambda: floored(_DualSearch(g, rows, None, dual_cover=cover, max_nodes=max_nodes), floor))
    assert c == python


@pytest.mark.parametrize("seed", range(80))
def test_dual_rows_same_as_python(seed):
    """What ``_Rows`` derives from its rows and duals, computed in C (``native.dual_rows``): the
    same reduced costs, gains, rows per vertex, positive vertices, deficit levels and sets as
    in Python, packed as ``native.run`` hands them over."""
    from array import array

    rng = random.Random(7000 + seed)
    n = rng.choice((0, 1, 3, 8, 20, 64, 65, 130))
    g = random_graph(rng, n, rng.choice((0.2, 0.5, 0.8)), rng.choice((1, 7, 1000, 10**6)))
    rows = random_rows(rng, g)
    if rng.random() < 0.3:  # rows of one vertex and zero duals, as a colgen core's rows can be
        rows = _Rows(g, rows.masks + [1 << v for v in range(min(n, 3))], rows.duals + [0, 5, 0][:min(n, 3)])
    gain, reduced, rows_of, positive, levels, within, gains = rows.packed
    words, row_words = max(1, -(-n // 64)), max(1, -(-len(rows.masks) // 64))
    assert reduced == array("q", rows.reduced).tobytes()
    assert gain == array("q", rows.gain).tobytes()
    assert gains == min(sum(rows.gain), native.LIMIT)
    assert rows_of == native._sets(rows.rows_of, row_words)
    assert positive == rows.positive.to_bytes(8 * words, "little")
    assert levels == array("q", rows.levels).tobytes()
    assert within == native._sets(rows.within, words)


def test_dual_rows_leave_large_values_to_python():
    """Weights or duals whose sums could pass 64 bits are not packed in C: ``_Rows`` derives
    them in Python, and ``native.run`` declines the search as before."""
    g = Graph((0, 1), (2**45, 3), (0b10, 0b01))
    assert native.dual_rows(g.weights, [0b11], [1], SCALE) is None
    assert native.dual_rows((1, 3), [0b11], [-1], SCALE) is None
    assert native.dual_rows((1, 3), [0b11], [native.LIMIT], SCALE) is None
    assert native.dual_rows((1, 3), [0b11], [1], -SCALE) is None
    assert native.dual_rows((), [], [], native.LIMIT) is None
    rows = _Rows(g, [0b11], [1])
    assert rows.packed is None and rows.reduced == [SCALE * 2**45 - 1, SCALE * 3 - 1]


def _programs_of_reports():
    """Formulations of every program of small reports (exact, lower-bound and wrong knowledge)
    on several distributions: plain set-packing programs of every density."""
    from benchmarks.table import ReportPlan
    from ilp.compile import BlockCache
    from ilp.formulation import build
    from instances.generate import generate_instance

    for distribution in ("regions", "paths", "arbitrary", "scheduling", "decay"):
        for knowledge in ("exact", "noisy-lower:0.6", "wrong:0.3"):
            instance = generate_instance(distribution, 24, 90, 5, 1, knowledge=knowledge)
            cache = BlockCache()
            for program in dict.fromkeys(ReportPlan.of(instance).programs()):
                yield f"{distribution} {knowledge}", build(program, cache)


def test_graph_same_in_c_and_python(monkeypatch):
    """``ilp.clique.graph`` builds its bit sets in C (``native.compatibility``): the same graph
    (vertices, their order, weights, compatible sets) as in Python, and the same None where a
    density test stops it, for every program of a few reports and every way it is asked."""
    checked = 0
    for name, formulation in _programs_of_reports():
        for densest, built_anyway in ((None, False), (0.4, False), (0.4, True), (0.95, False), (0.05, True)):
            monkeypatch.setenv("CABENCH_NATIVE", "0")
            python = clique.graph(formulation.ilp, densest, built_anyway)
            monkeypatch.setenv("CABENCH_NATIVE", "1")
            c = clique.graph(formulation.ilp, densest, built_anyway)
            assert c == python, (name, densest, built_anyway)
            checked += python is not None
    assert checked > 100


def test_compatibility_renumbers_and_skips_non_vertices():
    """``native.compatibility`` on rows that name variables outside the graph (-1) and a new
    numbering: each vertex's compatible set, in that numbering, and the pairs of the rows that
    hold two vertices or more."""
    from array import array

    vertex_of = array("q", [0, -1, 1, 2, -1])  # variables 1 and 4 are no vertex
    rows = native.conflict_rows([{0: 1, 1: 1, 2: 1}, {1: 1, 4: 1}, {2: 1, 3: 1, 4: 1}])
    compatible, degrees, pairs = native.compatibility(3, vertex_of, rows)
    assert compatible == [0b100, 0b000, 0b001] and degrees == [1, 0, 1]  # 0 and 1 share a row
    assert pairs == 2 + 2  # the first row holds vertices 0 and 1; the third 1 and 2
    compatible, _, _ = native.compatibility(3, vertex_of, rows, [2, 0, 1])  # v -> position
    assert compatible == [0b000, 0b100, 0b010]
    with pytest.raises(ValueError, match="numbering"):
        native.compatibility(3, vertex_of, rows, [2, 0, 2])


def test_the_c_set_ups_refuse_what_python_would_not_take():
    """Arguments that cannot come from ``ilp`` are refused with a ValueError, never read past:
    a row of ``dual_rows`` holding a vertex beyond n, duals that are not 64-bit integers, a row
    naming a variable beyond ``vertex_of``."""
    from array import array

    from ilp import _native

    weights = array("q", [1, 2, 3])
    with pytest.raises(ValueError, match="vertex >= n"):
        _native.dual_rows(3, weights, (0b1001).to_bytes(8, "little"), array("q", [1]), SCALE)
    with pytest.raises(ValueError, match="int64"):
        _native.dual_rows(3, weights, (0b11).to_bytes(8, "little"), b"\x01" * 12, SCALE)
    with pytest.raises(ValueError, match="out of range"):
        _native.compatibility(2, array("q", [0, 1]), array("q", [0, 2]), array("q", [0, 5]), None)


def _walk_case(rng: random.Random) -> tuple[int, UnionSearch, int, list[int], int]:
    """A random walk's set-up: (goods, a guaranteed value's union search, its top bid value,
    prices of the goods, the player's own price)."""
    from tests.test_colgen import _priced

    m = rng.choice((2, 3, 7, 7, 40, 64, 65, 130))  # (one good takes no unions)
    _, search = _priced(rng, m)
    top = max(search.ranked[k][0][1] for k in range(len(search.functions)))
    scale = rng.choice((0, 1, top, top * SCALE))
    cost = [rng.randint(0, scale) if rng.random() < 0.8 else 0 for _ in range(m)]
    return m, search, top, cost, rng.randint(0, scale)


@pytest.mark.parametrize("seed", range(150))
def test_walk_same_unions_in_the_same_order(seed):
    rng = random.Random(9000 + seed)
    m, search, top, cost, own = _walk_case(rng)
    floor = rng.choice((0, -1, rng.randint(-SCALE * top, SCALE * top)))
    keep = rng.choice((None, 1, 2, 3, 10))  # 2 and more: the dict of the best, pruned as it fills
    budget = rng.choice((None, None, rng.randint(0, 40)))
    outcomes = []
    for flag in ("0", "1"):
        os.environ["CABENCH_NATIVE"] = flag
        try:
            pricer = pricing.Pricer(search)
            try:
                found, tie = pricer._walk(cost, own, floor, keep, budget)  # (tie: where ties were dropped)
                outcomes.append((list(found.items()), tie))
            except pricing.Overflow:
                outcomes.append("overflow")
        finally:
            del os.environ["CABENCH_NATIVE"]
    assert outcomes[0] == outcomes[1]
    # the C search ran: its plans were packed (all but options of exact valuations)
    assert pricer.packed or all(exact for exact, *_ in pricer.plans)


def test_a_walk_deeper_than_pythons_recursion_limit_is_the_same_in_c_and_python():
    """The pricing search goes one level per candidate: with 1,500 candidates (none at most
    another) its first tuple is 1,500 levels deep, beyond Python's recursion limit, where the
    Python search raised RecursionError; it keeps its own stack now, and overflows its budget
    at the same node as the C search."""
    from ilp import Weight
    from ilp.compile import union_options
    from instances.valuation import Form, Valuation

    count = 1_500
    assert count > sys.getrecursionlimit()
    candidates = tuple(Valuation(Form.XOR, ((0b01, 2_000 - k), (0b10, 1 + k))) for k in range(count))
    options = union_options(Weight((candidates,)))
    assert options is not None and len(options[0]) == count
    search = UnionSearch(options)
    outcomes = []
    for flag in ("0", "1"):
        os.environ["CABENCH_NATIVE"] = flag
        try:
            try:
                found, _ = pricing.Pricer(search)._walk([0, 0], 0, -1, None, 5_000)
                outcomes.append(sorted(found.items()))
            except pricing.Overflow:
                outcomes.append("overflow")
        finally:
            del os.environ["CABENCH_NATIVE"]
    assert outcomes[0] == outcomes[1]


def test_a_walk_past_its_deadline_stops_at_a_look_at_the_clock_in_c_and_python():
    """1,500 candidates of two bids each, none at most another: a walk with no floor meets more
    tuples than it could ever list. With a deadline already past it stops at its first look at
    the clock (``ilp.pricing.LOOK_EVERY`` nodes), in C as in Python, and says so (``Late``),
    long before the budget it is given (the walk had no clock: in Python it ran for minutes)."""
    from time import monotonic

    from ilp import Weight
    from ilp.compile import union_options
    from instances.valuation import Form, Valuation

    candidates = tuple(Valuation(Form.XOR, ((0b01, 2_000 - k), (0b10, 1 + k))) for k in range(1_500))
    search = UnionSearch(union_options(Weight((candidates,))))
    for flag in ("0", "1"):
        os.environ["CABENCH_NATIVE"] = flag
        try:
            for keep in (None, 1, 3):
                with pytest.raises(pricing.Late):
                    pricing.Pricer(search)._walk([0, 0], 0, -1, keep, 100_000, deadline=monotonic() - 1)
            # a deadline to come changes nothing (the budget runs out first, as without one)
            with pytest.raises(pricing.Overflow):
                pricing.Pricer(search)._walk([0, 0], 0, -1, None, 5_000, deadline=monotonic() + 600)
        finally:
            del os.environ["CABENCH_NATIVE"]


def test_the_walk_refuses_a_dict_python_could_not_hold():
    """The C walk's dict of the best unions (``keep`` of 2 or more) starts from the records it is
    given only when they could be Python's: distinct unions, each above the floor; ``keep`` 1 is
    the rising floor's mode, not a dict's, and a ``keep`` too large to double is refused."""
    from array import array

    from ilp import _native

    bids = (array("q", [0, 2]), (0b01).to_bytes(8, "little") + (0b10).to_bytes(8, "little"), array("q", [5, 3]),
            array("q", [-1]), bytes(64 * 8))

    def run(keep, held, floor=0, rising=0):
        return _native.walk(1, *bids, 5, 1, 0, floor, rising, -1, keep, held, None)

    def records(*pairs):
        return b"".join(u.to_bytes(8, "little") + v.to_bytes(8, "little") for u, v in pairs)

    record = records((0b01, 4))
    # the held union keeps its place with its better value; the new one comes after it
    assert run(2, record)[3] == records((0b01, 5), (0b10, 3))
    with pytest.raises(ValueError, match="twice"):
        run(2, record + record)
    with pytest.raises(ValueError, match="above the floor"):
        run(2, record, floor=4)
    with pytest.raises(ValueError, match="whole records"):
        run(2, record[:-1])
    with pytest.raises(ValueError, match="keep"):
        run(1, b"")
    with pytest.raises(ValueError, match="keep"):
        run(2, b"", rising=1)
    with pytest.raises(ValueError, match="keep"):  # (twice it would not fit in a Py_ssize_t)
        run(2 ** 62, b"")


@pytest.mark.parametrize("seed", range(200))
def test_the_cores_listing_keeps_what_minimal_of_keeps(seed):
    """The cores' listing (``walk`` without ``keep``, ``minimal=True``): in C, exactly the unions
    of the Python listing that ``minimal_of`` keeps (where C can test them, XOR valuations; else
    all of them), in the same order with the same values, out of budget where Python is; and
    what ``minimal_of`` keeps of it, with the same values, is what it keeps of the whole listing
    (``minimal=False``, no tuple cut)."""
    rng = random.Random(31000 + seed)
    m, search, top, cost, own = _walk_case(rng)
    floor = rng.choice((0, -1, -SCALE * top, rng.randint(-SCALE * top, SCALE * top)))
    budget = rng.choice((None, None, rng.randint(0, 40)))
    outcomes, ran = [], []
    walk = native.walk

    def watched(*args):  # did the C walk take the search (sums that fit 64 bits)?
        done = walk(*args)
        ran.append(done is not None)
        return done

    for flag, minimal, limit in (("0", True, budget), ("1", True, budget), ("0", False, None)):
        os.environ["CABENCH_NATIVE"] = flag
        native.walk = watched
        try:
            try:
                outcomes.append(pricing.Pricer(search).walk(cost, own, floor, budget=limit, minimal=minimal))
            except pricing.Overflow:
                outcomes.append("overflow")
        finally:
            del os.environ["CABENCH_NATIVE"]
            native.walk = walk
    python, c, whole = outcomes
    if python == "overflow" or c == "overflow":
        assert python == c
        return
    kept = search.minimal_of(list(whole))
    assert search.minimal_of(list(python)) == kept == search.minimal_of(list(c))
    assert all(python[u] == whole[u] for u, _ in kept)
    if search.native_plan(max(1, -(-m // 64))) is None or not any(ran):
        assert list(c.items()) == list(python.items())
    elif all(ran):  # (when only some options ran in C, only some unions were tested there)
        assert list(c.items()) == [(u, v) for u, v in python.items() if u in dict(kept)]


def test_a_listing_that_overflows_returns_no_records():
    """A walk that spends its budget returns no records but in rising mode (``ilp.colgen`` drops
    them and raises ``Overflow``): a listing's records are not filtered by ``minimal`` for
    nothing. Two levels of two bids: three nodes list four unions; a budget of two stops at
    the third, after the first node's records."""
    from array import array

    from ilp import _native

    bundles = b"".join(bit.to_bytes(8, "little") for bit in (0b0001, 0b0010, 0b0100, 0b1000))
    bids = (array("q", [0, 2, 4]), bundles, array("q", [5, 4, 5, 4]), array("q", [-1, -1]), bytes(64 * 8))

    def run(budget, keep=0):
        return _native.walk(1, *bids, 5, 1, 0, -1, 0, budget, keep, None, None, 0, None)

    overflow, left, _, found, _ = run(3)
    assert not overflow and left == 0 and len(found) == 4 * 16
    overflow, _, _, found, _ = run(2)
    assert overflow and len(found) == 0
    assert run(2, keep=2)[0] and len(run(2, keep=2)[3]) == 0


def test_the_listing_refuses_a_test_it_cannot_run():
    """The listing's cut and minimality test only go to a walk that lists (no ``keep``, not
    rising), the test as five buffers of the walk's width naming functions that are there."""
    from array import array

    from ilp import _native

    bids = (array("q", [0, 2]), (0b01).to_bytes(8, "little") + (0b10).to_bytes(8, "little"), array("q", [5, 3]),
            array("q", [-1]), bytes(64 * 8))
    tests = (array("q", [0, 2]), (0b01).to_bytes(8, "little") + (0b10).to_bytes(8, "little"), array("q", [5, 3]),
             array("q", [0, 1]), array("q", [0]))

    def run(keep, rising, canonical, minimal):
        return _native.walk(1, *bids, 5, 1, 0, -1, rising, -1, keep, None, None, canonical, minimal)

    overflow, _, _, found, _ = run(0, 0, 1, tests)
    assert not overflow and len(found) == 2 * 16  # both single bids, each its own minimal union
    for keep, rising, canonical, minimal in ((2, 0, 0, tests), (0, 1, 0, tests), (2, 0, 1, None), (0, 1, 1, None)):
        with pytest.raises(ValueError, match="only with keep 0, not rising"):
            run(keep, rising, canonical, minimal)
    with pytest.raises(TypeError, match="minimal"):
        run(0, 0, 1, tests[:4])
    with pytest.raises(ValueError, match="out of range"):
        run(0, 0, 1, tests[:4] + (array("q", [3]),))
    with pytest.raises(ValueError, match="not increasing"):  # option 0 would end before it starts
        run(0, 0, 1, tests[:3] + (array("q", [0, 2, 1]), array("q", [0, 0])))
    with pytest.raises(ValueError, match="not increasing"):  # a function's bids out of order
        run(0, 0, 1, (array("q", [0, 2, 1, 2]),) + tests[1:3] + (array("q", [0, 1]), array("q", [0])))


@pytest.mark.parametrize("seed", range(150))
def test_minimal_same_unions(seed):
    """``minimal_of`` in C and in Python (one union at a time, or numpy's passes): the same atoms."""
    from tests.test_colgen import _priced

    rng = random.Random(20000 + seed)
    m = rng.choice((2, 3, 7, 7, 40, 64, 65, 130))  # (one good takes no unions)
    _, search = _priced(rng, m)
    unions = [rng.getrandbits(m) for _ in range(rng.choice((1, 5, 40, 300)))]
    listed = pricing.Pricer(search).walk([0] * m, 0, -1)
    unions += list(listed) + [u | rng.getrandbits(m) for u in listed]
    outcomes = []
    for flag in ("0", "1"):
        os.environ["CABENCH_NATIVE"] = flag
        try:
            outcomes.append(search.minimal_of(list(unions)))
        finally:
            del os.environ["CABENCH_NATIVE"]
    assert outcomes[0] == outcomes[1]
    assert outcomes[1] == search.minimal([(u, search.weight(u)) for u in sorted(unions)])
    assert search.packed or not all(f.semantics.name == "XOR" for f in search.functions)


def _assert_fill_is_numpys(atoms: list[tuple[int, int]], m: int) -> None:
    """The table of ``atoms`` (bundle, value) over goods 0..m-1 in C is numpy's (``_Table._refresh(0)``),
    in int32 when the values' sum allows, else in int64."""
    table = fewgoods._Table(atoms, list(range(len(atoms))), list(range(m)))
    dtype = np.int32 if int(table.values.sum()) < 2**31 else np.int64
    expected = table.best = np.zeros(1 << m, dtype=dtype)
    table._refresh(0)
    found = np.zeros(1 << m, dtype=dtype)
    assert native.fill(found, m, table.bundles, table.values)
    assert found.dtype == dtype and np.array_equal(found, expected)


@pytest.mark.parametrize("seed", range(60))
def test_fewgoods_fill_same_table(seed):
    """``native.fill`` computes the table of ``ilp.fewgoods._Table`` that ``_refresh(0)`` does,
    in int32 and in int64 (values near 2^40), over 0 to 14 goods, bids of every size."""
    rng = random.Random(seed)
    m = rng.randint(0, 14)
    high = rng.choice((5, 1000, 2**40))
    atoms = [(rng.randint(1, 2**m - 1), rng.randint(0, high)) for _ in range(rng.randint(0, 80))] if m else []
    _assert_fill_is_numpys(atoms, m)


@pytest.mark.parametrize("seed", range(8))
def test_fewgoods_fill_same_large_table(seed):
    """On 15 to 18 goods with hundreds of bids, ``native.fill`` gives ``_Table._refresh(0)``'s
    table: each bid's states are taken in groups of 8 when it holds one of the three lowest bits
    (all seven such patterns occur) and in longer runs otherwise, in int32 and in int64."""
    rng = random.Random(900 + seed)
    m = rng.randint(15, 18)
    high = 1000 if seed % 2 else 2**40
    atoms = [(sum(1 << g for g in rng.sample(range(m), rng.randint(1, 6))), rng.randint(0, high))
             for _ in range(rng.randint(200, 400))]
    # the table's layout puts good g on bit m - 1 - g: good 0 with goods of the three lowest bits
    atoms += [(1 | sum(1 << (m - 1 - b) for b in range(3) if low >> b & 1), rng.randint(0, high))
              for low in range(1, 8)]
    _assert_fill_is_numpys(atoms, m)


@pytest.mark.parametrize("seed", range(60))
def test_fewgoods_refresh_same_table(seed):
    """``native.fill`` with ``changed`` refreshes a table where some bids changed as
    ``_Table._refresh(changed)`` does, bundle by bundle in increasing order, and both give the
    table computed afresh: int32 and int64, 1 to 14 goods, bids of every size, 1 to 4 changes."""
    rng = random.Random(500 + seed)
    m = rng.randint(1, 14)
    high = rng.choice((5, 1000, 2**40))
    atoms = [(rng.randint(1, 2**m - 1), rng.randint(0, high)) for _ in range(rng.randint(1, 80))]
    before = fewgoods._Table(atoms, list(range(len(atoms))), list(range(m)))
    redrawn = rng.sample(range(1, 2**m), min(rng.randint(1, 4), 2**m - 1))
    kept = [a for a in atoms if a[0] not in redrawn]
    kept += [(bundle, rng.randint(0, high)) for bundle in redrawn if rng.random() < 0.7]
    after = fewgoods._Table(kept, list(range(len(kept))), list(range(m)))
    bundles = np.union1d(before.bundles, after.bundles)  # in the tables' layout of states, increasing
    changed = bundles[fewgoods._values_at(before, bundles) != fewgoods._values_at(after, bundles)].tolist()
    dtype = np.int32 if max(int(before.values.sum()), int(after.values.sum())) < 2**31 else np.int64
    before.best = np.zeros(1 << m, dtype=dtype)
    assert native.fill(before.best, m, before.bundles, before.values)
    expected = np.zeros(1 << m, dtype=dtype)
    assert native.fill(expected, m, after.bundles, after.values)
    tables = []
    for in_c in (True, False):
        after.best = before.best.copy()
        for bundle in changed:
            if in_c:
                assert native.fill(after.best, m, after.bundles, after.values, bundle)
            else:
                after._refresh(bundle)
        tables.append(after.best)
    assert np.array_equal(tables[0], expected) and np.array_equal(tables[1], expected)


def test_fewgoods_fill_refuses_what_it_cannot_fill():
    """A table of the wrong size or type, bundles or values not int64, bundles out of order or
    beyond 2^m, a value missing: ValueError."""
    bundles, values = np.array([1, 3], dtype=np.int64), np.array([4, 5], dtype=np.int64)
    module = native._module()
    module.fill(np.zeros(4, dtype=np.int32), 2, bundles, values)
    for best, m, b, v in ((np.zeros(3, dtype=np.int32), 2, bundles, values),
                          (np.zeros(4, dtype=np.int16), 2, bundles, values),
                          (np.zeros(2, dtype=np.int64), 2, bundles, values),  # the bytes of 4 int32
                          (np.zeros(4, dtype=np.float64), 2, bundles, values),
                          (np.zeros(4, dtype=np.int32), 2, bundles.astype(np.int32), values),
                          (np.zeros(4, dtype=np.int32), 2, bundles, values.astype(np.float64)),
                          (np.zeros(4, dtype=np.int32), 2, bundles[::-1].copy(), values),
                          (np.zeros(4, dtype=np.int32), 2, np.array([1, 4], dtype=np.int64), values),
                          (np.zeros(4, dtype=np.int32), 2, np.array([0, 1], dtype=np.int64), values),
                          (np.zeros(4, dtype=np.int32), 2, bundles, values[:1].copy())):
        with pytest.raises(ValueError):
            module.fill(best, m, b, v)
    for changed in (-1, 4, 2**40):  # a refresh's bundle: a state below 2^m
        with pytest.raises(ValueError):
            module.fill(np.zeros(4, dtype=np.int32), 2, bundles, values, changed)


def test_the_searches_use_it():
    """``improve``, ``optima`` and ``dualclique.above`` run in C and find what Python finds."""
    rng = random.Random(7)
    g = random_graph(rng, 60, 0.5, 100)
    rows = random_rows(rng, g)
    results = []
    for flag in ("0", "1"):
        os.environ["CABENCH_NATIVE"] = flag
        try:
            results.append((clique.max_weight_clique(g), clique.optima(g, 150),
                            dualclique.above(g, rows.masks, rows.duals, 100)))
        finally:
            del os.environ["CABENCH_NATIVE"]
    assert results[0] == results[1]


def test_large_sums_stay_in_python():
    """Sums that could overflow 64 bits: ``native.run`` declines and the search runs in Python."""
    rng = random.Random(3)
    g = random_graph(rng, 10, 0.5, 10)
    big = Graph(g.variables, tuple(w * 2**61 for w in g.weights), g.compatible)
    search = _Search(big, None)
    assert native.run(search) is None
    found, weight, proven = clique.max_weight_clique(big)
    assert proven and weight == sum(big.weights[v] for v in found)
    rows = random_rows(rng, g)
    scaled = Graph(g.variables, tuple(w * 2**45 for w in g.weights), g.compatible)
    assert native.run(_DualSearch(scaled, _Rows(scaled, rows.masks, rows.duals), None)) is None


def test_deadline_stops_it():
    """A deadline already past stops the C search at its first look at the clock (node 16)."""
    rng = random.Random(11)
    g = random_graph(rng, 120, 0.9, 1000)
    search = _Search(g, deadline=0.0)
    assert native.run(search) is True
    assert search.nodes == 16


def test_the_search_lets_other_threads_run():
    """The C search runs without the GIL: while it searches on another thread, this thread
    runs Python and sees that thread inside the C call again and again (holding the GIL, the
    call would let no other thread run until it returned)."""
    import threading
    import time

    rng = random.Random(5)
    g = random_graph(rng, 160, 0.9, 1000)  # far more nodes than 0.4 s allows
    search = _Search(g, deadline=time.monotonic() + 0.4)
    thread = threading.Thread(target=native.run, args=(search,))
    thread.start()
    seen = 0
    while thread.is_alive() and seen < 20:
        frame = sys._current_frames().get(thread.ident)
        while frame is not None and frame.f_code is not native.run.__code__:
            frame = frame.f_back
        if frame is not None and "module.expand(" in _line_of(frame):
            seen += 1
        time.sleep(0.002)
    thread.join()
    assert seen >= 20
    assert search.nodes > 16 and sum(g.weights[v] for v in search.best) == search.floor


def test_a_stop_request_ends_the_search_on_its_thread():
    """A search on a thread whose solves are under an ``ilp.stopping.Stop`` ends at its next
    look at the clock once stopping is requested (a signal reaches the main thread only)."""
    import threading

    from ilp import stopping

    rng = random.Random(5)
    g = random_graph(rng, 160, 0.9, 1000)
    search = _Search(g, None)  # no deadline: far more nodes than this test waits for
    stop = stopping.Stop()
    outcome: list = []

    def searching() -> None:
        stopping.enter(stop)
        outcome.append(native.run(search))

    thread = threading.Thread(target=searching, daemon=True)
    thread.start()
    while search.nodes == 0 and thread.is_alive() and "module.expand(" not in _frame_line(thread):
        pass
    stop.request()
    thread.join(10)
    assert not thread.is_alive() and outcome == [True]
    assert sum(g.weights[v] for v in search.best) == search.floor


def _long_walk_plan() -> tuple:
    """A walk of about 61 million nodes that records nothing (its last level's bids are worth 0,
    the floor): 12 candidates of 5 single-good bids each."""
    bids = [[(1 << (5 * level + k), 1000 - k if level < 11 else 0, (5 * level + k,)) for k in range(5)]
            for level in range(12)]
    return native.walk_plan(bids, (None,) * 13, 1000, 1)


def test_a_long_walk_on_a_thread_lets_the_main_thread_run():
    """The walk keeps the GIL (its records are Python objects), but on a thread other than the
    main one it lets go of it for a moment every ``LOOK_SECONDS`` (0.05 s): the main thread, the
    one that handles Ctrl-C, runs meanwhile. Before, it waited for the whole walk."""
    import threading
    import time

    plan = _long_walk_plan()
    outcome: list = []
    thread = threading.Thread(target=lambda: outcome.append(native.walk(plan, [0] * 60, 0, 0, False, 40 * 10**6, 1)))
    start = time.perf_counter()
    thread.start()  # (returns once the walk first lets go: about LOOK_SECONDS)
    stamps = [start]
    while thread.is_alive():
        time.sleep(0.002)  # (lets go of the GIL; waking takes it back)
        stamps.append(time.perf_counter())
    thread.join()
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    assert outcome[0][0]  # the whole budget of 40 million nodes spent: a walk of tenths of a second
    assert len(gaps) > 3 and gaps[0] < 0.25 and max(gaps[1:]) < 0.15, gaps


def test_a_stop_request_ends_a_walk_on_its_thread():
    """A walk on a thread whose solves are under an ``ilp.stopping.Stop`` raises ``Stopped`` soon
    after stopping is requested (``ilp.colgen``'s listing on a thread beside a batch that ended
    early), instead of running to its end."""
    import threading
    import time

    from ilp import _native, stopping

    plan = _long_walk_plan()
    stop = stopping.Stop()
    raised: list = []

    def walking() -> None:
        stopping.enter(stop)
        try:
            native.walk(plan, [0] * 60, 0, 0, False, None, 1)
        except _native.Stopped:
            raised.append(time.perf_counter())

    thread = threading.Thread(target=walking, daemon=True)
    thread.start()
    time.sleep(0.05)
    requested = time.perf_counter()
    stop.request()
    thread.join(10)
    assert not thread.is_alive() and raised and raised[0] - requested < 0.3


def _frame_line(thread) -> str:
    frame = sys._current_frames().get(thread.ident)
    while frame is not None and frame.f_code is not native.run.__code__:
        frame = frame.f_back
    return "" if frame is None else _line_of(frame)


def _line_of(frame) -> str:
    import linecache

    return linecache.getline(frame.f_code.co_filename, frame.f_lineno)


def test_report_same_bytes_without_the_module(tmp_path):
    """A candidates report in C and in Python: the same JSON (numbers and witnesses)."""
    instance = tmp_path / "paths.json"
    subprocess.run([sys.executable, "-m", "cabench", "generate", "-d", "paths", "-m", "24", "-b", "120", "-n", "5",
                    "--knowledge", "candidates:3", "--seed", "1", "-o", str(instance)], check=True, cwd=ROOT)
    outputs = []
    for flag in ("1", "0"):
        env = dict(os.environ, CABENCH_NATIVE=flag)
        done = subprocess.run([sys.executable, "-m", "cabench", "benchmarks", str(instance), "--json", "--jobs", "1"],
                              capture_output=True, text=True, env=env, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])


def _generated_msw(tmp_path: Path, distribution: str, players: str):
    """MSW's formulation of a generated instance at 64 goods / 500 bids (seed 1)."""
    from benchmarks.table import ReportPlan
    from ilp.formulation import build
    from instances import load_instance

    path = tmp_path / f"{distribution}.json"
    subprocess.run([sys.executable, "-m", "cabench", "generate", "-d", distribution, "-m", "64", "-b", "500", "-n",
                    players, "--seed", "1", "-o", str(path)], check=True, cwd=ROOT)
    return build(ReportPlan.of(load_instance(path)).msw)


def _spy_on_the_search(monkeypatch, keyword: str) -> list:
    """Record the keyword argument ``keyword`` of every call of ``ilp.dualclique.run``."""
    calls, original = [], dualclique.run

    def spy(*args, **kwargs):
        calls.append(kwargs.get(keyword))
        return original(*args, **kwargs)

    monkeypatch.setattr(dualclique, "run", spy)
    return calls


def test_portfolio_stage_probes_cpsat_before_the_search(tmp_path, monkeypatch):
    """Before the dual-bounded search, the portfolio gives CP-SAT a short probe
    (``QUICK_WORK``): it proves at once a program of one-bid players that the relaxation leaves
    open (decay), without the search; with no probe the search runs, to the same value."""
    from ilp import claims, cpsat, portfolio, relaxation
    from ilp.contract import SolveOptions
    from ilp.program import Status

    formulation = _generated_msw(tmp_path, "decay", "bidders")
    assert relaxation.settle(formulation, cpsat, SolveOptions(), None)[0] is None  # it reaches the stage
    calls = _spy_on_the_search(monkeypatch, "max_nodes")
    answer = portfolio.run(formulation, SolveOptions())
    assert answer.status is Status.OPTIMAL and answer.solver == "cpsat" and calls == []
    monkeypatch.setattr(portfolio, "QUICK_WORK", 0)
    searched = portfolio.run(formulation, SolveOptions())
    assert searched.status is Status.OPTIMAL and calls == [portfolio.DUAL_NODES]
    assert claims.objective(formulation.ilp, answer.values) == claims.objective(formulation.ilp, searched.values)


def test_portfolio_stage_probes_only_where_the_relaxation_is_close(tmp_path, monkeypatch):
    """The short probe runs only when the relaxation's bound is within ``QUICK_GAP`` of the
    rounding: on regions (bound 15 % or more above it) the search goes first, and gets the
    graph and the relaxation's point already built; probing anyway finds the same value."""
    from ilp import claims, cpsat, portfolio
    from ilp.contract import SolveOptions
    from ilp.program import Status

    formulation = _generated_msw(tmp_path, "regions", "10")
    probes, run = [], cpsat.run
    monkeypatch.setattr(cpsat, "run", lambda *args, work=None, **kw: probes.append(work) or run(*args, work=work, **kw))
    handed = _spy_on_the_search(monkeypatch, "graph")
    answer = portfolio.run(formulation, SolveOptions())
    assert answer.status is Status.OPTIMAL and probes == [] and len(handed) == 1
    assert handed[0] == clique.graph(formulation.ilp)
    monkeypatch.setattr(portfolio, "QUICK_GAP", 1.0)
    probed = portfolio.run(formulation, SolveOptions())
    assert probes == [portfolio.QUICK_WORK] and probed.status is Status.OPTIMAL
    assert claims.objective(formulation.ilp, answer.values) == claims.objective(formulation.ilp, probed.values)


@pytest.mark.parametrize("seed", range(6))
def test_cuts_from_a_given_point_bound_the_program(seed):
    """``strengthened_duals`` separating at a point handed in (as ``ilp.portfolio`` hands on
    ``ilp.relaxation``'s) gives rows and duals whose bound is at least the optimum, and the
    search with the given graph and point finds the optimum of the search without them."""
    from ilp import relaxation
    from ilp.contract import SolveOptions
    from ilp.formulation import build
    from ilp.program import Program, Status, Weight
    from instances.generate import generate_instance

    instance = generate_instance(("regions", "scheduling", "uniform")[seed % 3], 32, 400, None, seed)
    program = Program(instance.m, tuple(Weight.of(v) for v in instance.valuations))
    formulation = build(program)
    g = clique.graph(formulation.ilp)
    assert len(g.weights) >= dualclique.CUT_VERTICES
    solved = relaxation.relaxed(formulation.ilp)
    point = [solved.primal[k] for k in g.variables]
    import numpy as np

    rows, duals = dualclique.strengthened_duals(g, dualclique.row_masks(formulation.ilp, g), 1, 50, np.array(point))
    every = (1 << len(g.weights)) - 1
    plain = dualclique.run(formulation, SolveOptions())
    given = dualclique.run(formulation, SolveOptions(), graph=g, primal=solved.primal)
    assert plain.status is given.status is Status.OPTIMAL
    optimum = sum(formulation.ilp.objective.get(k, 0) for k, x in enumerate(plain.values) if x)
    assert sum(formulation.ilp.objective.get(k, 0) for k, x in enumerate(given.values) if x) == optimum
    assert _Rows(g, rows, duals).bound(every) >= SCALE * optimum


def test_portfolio_stage_only_in_c_and_named_as_cpsat(tmp_path, monkeypatch):
    """The portfolio's ``DUAL_NODES`` stage proves a dense regions program that the relaxation
    leaves open; its answer is named after CP-SAT (a batch gives the programs it solves next the
    latest answer's backend, which must not be the bare clique search); a search that C cannot
    run (values too large for 64 bits) or a relaxation GLOP does not solve gives up at once
    instead of searching in Python."""
    from ilp import portfolio
    from ilp.contract import SolveOptions
    from ilp.program import Status

    formulation = _generated_msw(tmp_path, "regions", "10")
    original = dualclique.run
    calls = _spy_on_the_search(monkeypatch, "native_only")
    answer = portfolio.run(formulation, SolveOptions())
    assert answer.status is Status.OPTIMAL and answer.solver == "cpsat" and calls == [True]
    monkeypatch.setattr(dualclique, "run", original)

    # beyond 64 bits: no node searched, UNKNOWN at once (the Python search would take seconds)
    rng = random.Random(5)
    g = random_graph(rng, 40, 0.5, 10)
    big = Graph(g.variables, tuple(w * 2**50 for w in g.weights), g.compatible)
    search = _DualSearch(big, random_rows(rng, big), None)
    search.native_only = True
    with pytest.raises(_Timeout):
        search.from_root()
    assert search.nodes == 0
    # a relaxation GLOP does not solve: UNKNOWN with the hint, no uncapped search
    monkeypatch.setattr(dualclique, "strengthened_duals", lambda *args: None)
    monkeypatch.setattr(dualclique, "relaxation_duals", lambda *args: None)
    hint = [0] * len(formulation.ilp.names)
    gave_up = dualclique.run(formulation, SolveOptions(), hint, max_nodes=10, native_only=True)
    assert gave_up.status is Status.UNKNOWN and gave_up.values == hint
