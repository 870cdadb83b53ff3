"""Many players: the sparse witness outcomes are the dense ones, and the report's bookkeeping is
linear in the players (checked by counting what it builds, never by timing)."""

from __future__ import annotations

import dataclasses
import json
import pickle
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import Outcome, compute_report, msw, report_json
from benchmarks.report import benchmark_rows, player_rows, players_csv
from benchmarks.results import from_solution
from benchmarks.table import ReportPlan
from cabench.perf import needed_programs
from cabench.render import render
from ilp import Solution, SolveOptions, Status
from ilp.backends import solver_clock
from instances import Form, Instance, Valuation
from tests.conftest import run_cli

dense_outcomes = st.integers(1, 12).flatmap(lambda n: st.tuples(
    st.lists(st.sampled_from([0, 0, 0, 1, 2, 5, 12]), min_size=n, max_size=n),
    st.none() | st.lists(st.sampled_from([0, 0, 3, 7]), min_size=n, max_size=n)))


@settings(max_examples=200)
@given(dense_outcomes)
def test_sparse_outcome_is_the_dense_one(dense):
    """Built from dense tuples, an outcome keeps exactly the non-empty bundles and non-zero
    prices, gives the same dense views back, equals the outcome built from its pairs, and
    survives pickling and ``dataclasses.replace``."""
    allocation, prices = tuple(dense[0]), None if dense[1] is None else tuple(dense[1])
    outcome = Outcome(allocation, prices)
    assert outcome.allocation == allocation and outcome.prices == prices
    assert outcome.bundles == tuple((j, a) for j, a in enumerate(allocation) if a)
    assert outcome.holders == tuple(j for j, a in enumerate(allocation) if a)
    assert [outcome.bundle(j) for j in range(len(allocation))] == list(allocation)
    assert outcome.revenue == sum(prices or ())
    sparse = Outcome.sparse(len(allocation), outcome.bundles, outcome.offers)
    assert sparse == outcome and hash(sparse) == hash(outcome)
    assert pickle.loads(pickle.dumps(outcome)) == outcome
    assert dataclasses.replace(outcome) == outcome
    other = list(allocation)
    other[0] = 7 if other[0] != 7 else 1
    assert Outcome(tuple(other), prices) != outcome


def test_restricted_solution_maps_to_the_instance_players():
    """A solution of a program over some players only (``ReportPlan``) becomes an outcome of
    every player: the k-th bundle goes to ``players[k]``, a zero price drops its bundle."""
    solution = Solution(Status.OPTIMAL, (3, 0, 4), 9, 9, "cpsat", 0.0)
    plain = from_solution("BA", solution, players=(5, 2, 8), n=10)
    assert plain.outcome == Outcome((0, 0, 0, 0, 0, 3, 0, 0, 4, 0))
    priced = from_solution("MKW", solution, lambda k, bundle: 0 if k == 0 else 2 * bundle,
                           players=(2, 5, 8), n=10)
    assert priced.outcome == Outcome((0,) * 8 + (4, 0), (0,) * 8 + (8, 0))


def _single_minded(n: int, m: int = 6, seed: int = 0) -> Instance:
    rng = random.Random(seed)
    goods = tuple(f"g{k}" for k in range(m))
    valuations = []
    for _ in range(n):
        bundle = 0
        for k in rng.sample(range(m), rng.randint(1, 2)):
            bundle |= 1 << k
        valuations.append(Valuation(Form.SINGLE_MINDED, ((bundle, rng.randint(1, 50)),)))
    return Instance(f"crowd-{n}", goods, tuple(f"p{i}" for i in range(n)), tuple(valuations), (None,) * n)


def _witness_entries(report) -> tuple[int, int]:
    """(distinct outcome objects, their stored entries) over every benchmark of the report."""
    seen = {}
    for b in (*report.benchmarks, report.msw, report.lex_first):
        if b.outcome is not None:
            seen[id(b.outcome)] = b.outcome
    return len(seen), sum(len(o.bundles) + len(o.offers or ()) for o in seen.values())


def test_report_of_n_players_builds_linear_witnesses_and_programs():
    """No knowledge, n players on m goods: the report's programs hold O(n m) weight slots (MSW and
    MSW_-i of its at most m winners over all players, every other program over one player) and
    its witnesses O(n) entries; no benchmark's dense allocation is ever built, not by the JSON,
    the CSV rows, the benchmark rows or the table. Dense witnesses would hold 3 n^2 entries."""
    n, m = 300, 6
    inst = _single_minded(n, m)
    plan = ReportPlan.of(inst)
    programs = {id(p): p for p in plan.programs()}  # MKW_{i} is MIKW_i's program object
    slots = sum(len(p.weights) for p in programs.values())
    assert slots == 3 * n  # MSW (n) + MIKW_i (1 each) + BA^{i} (1 each); MIEW_i skipped
    report = compute_report(inst, SolveOptions("cpsat", jobs=1))
    winners = len(report.msw.outcome.bundles)
    assert 0 < winners <= m
    assert all(len(plan.msw_without(i).weights) == n for i in report.msw.outcome.holders)
    outcomes, entries = _witness_entries(report)
    # a player's own witnesses (MIKW_i, MKW_{i}, BA^{i}) hold at most a bundle and a price each;
    # MSW, the tie-break and MSW_-i of the winners at most m bundles; every other MSW_-i shares
    # MSW's witness object (a copy per player would add about n * winners entries)
    assert entries <= 5 * n + (winners + 2) * m
    assert outcomes <= 3 * n + winners + 3  # MIKW_i, MKW_{i}, BA^{i}; MSW, lex, MSW_-i of winners, no MIEW_i
    json.dumps(report_json(report))
    benchmark_rows(report), player_rows(report), players_csv(report)
    render(report, "all")
    dense = {id(b.outcome) for b in report.benchmarks if b.outcome is not None and "_allocation" in b.outcome.__dict__}
    assert not dense  # the tie-break starts from MSW's solution itself, not from its witness


def test_report_entries_grow_linearly_with_players():
    """Doubling the players doubles the witness entries (plus the winners' part, fixed by the
    goods)."""
    sizes = {}
    for n in (100, 200, 400):
        report = compute_report(_single_minded(n), SolveOptions("cpsat", jobs=1))
        sizes[n] = _witness_entries(report)[1]
        winners = set(report.msw.outcome.holders)
        assert all(row.msw_without.outcome is report.msw.outcome for row in report.players if row.player not in winners)
    assert sizes[400] - sizes[200] <= 2.2 * (sizes[200] - sizes[100])


def test_json_of_sparse_witnesses_is_complete(tmp_path):
    """The JSON still lists every player, and each MSW_-i of a player who wins nothing repeats
    MSW's whole allocation (the format is unchanged; shared witnesses are written out in full)."""
    inst = _single_minded(60)
    data = report_json(compute_report(inst, SolveOptions("cpsat", jobs=1)))
    assert list(data["players"]) == list(inst.players)
    allocation = data["MSW"]["allocation"]
    for name, row in data["players"].items():
        if name not in allocation:
            assert row["MSW_without"]["allocation"] == allocation
            assert row["MIEW"]["outcome"] == {"allocation": {}, "prices": {}}
        mikw = row["MIKW"]["outcome"]
        assert list(mikw["allocation"]) == [name] == list(mikw["prices"])
    data["MSW"]["allocation"].clear()  # the report's own copies are independent
    assert all(row["MSW_without"]["allocation"] for name, row in data["players"].items() if name not in allocation)
    owners = data["lex_first_MSW_allocation"]["owners"]
    lex = data["lex_first_MSW_allocation"]["allocation"]
    assert owners == [next((p for p, goods in lex.items() if g in goods), None) for g in inst.goods]


def test_solver_clock_and_needed_programs():
    """``solver_clock`` counts the report's solves; the programs a report needs are MSW and
    MSW_-i of the winners here (each player's best bid is a maximum, not a program)."""
    inst = _single_minded(40)
    with solver_clock() as clock:
        report = compute_report(inst, SolveOptions("cpsat", jobs=1))
    assert clock[0] > 0
    assert msw(inst, options="cpsat").value == report.msw.value
    assert len(needed_programs(inst, report)) == 1 + len(report.msw.outcome.bundles)


def test_cli_json_with_many_players_is_the_api_json(tmp_path):
    """The command's JSON of a 200-player file is the API's."""
    inst = _single_minded(200)
    data = {"name": inst.name, "goods": list(inst.goods), "players": list(inst.players),
            "valuations": {p: {"single_minded": [[inst.goods[k] for k in range(inst.m) if v.bids[0][0] >> k & 1],
                                                 v.bids[0][1]]} for p, v in zip(inst.players, inst.valuations)}}
    path = tmp_path / "crowd.json"
    path.write_text(json.dumps(data))
    done = run_cli("benchmarks", str(path), "--json", "--solver", "cpsat", "--jobs", "1")
    assert done.returncode == 0, done.stderr
    expected = report_json(compute_report(inst, SolveOptions("cpsat", jobs=1)))
    assert json.loads(done.stdout)["players"] == expected["players"]


def test_exact_knowledge_report_is_the_one_without_shortcuts():
    """Exact knowledge at n players (every bound the true valuation object itself): MIKW_i is
    MSW's program with MSW's witness, built once for all n players, and the report, its JSON
    and its verdicts are those of the same knowledge given as equal but distinct valuation
    objects, where none of the identity shortcuts applies."""
    from instances import LowerBounds

    n = 120
    base = _single_minded(n, m=8, seed=3)
    same = tuple(LowerBounds({j: v for j, v in enumerate(base.valuations) if j != i}) for i in range(n))
    copies = tuple(LowerBounds({j: Valuation(v.form, tuple(v.bids)) for j, v in enumerate(base.valuations) if j != i})
                   for i in range(n))
    exact = dataclasses.replace(base, knowledge=same)
    equal = dataclasses.replace(base, knowledge=copies)
    plan = ReportPlan.of(exact)
    assert all(p.weights is plan.msw.weights for p in plan.mikw)  # one weights tuple, n^2 slots not built
    fast = compute_report(exact, SolveOptions("cpsat", jobs=1))
    slow = compute_report(equal, SolveOptions("cpsat", jobs=1))
    assert json.dumps(report_json(fast)) == json.dumps(report_json(slow))
    assert len({id(row.mikw.outcome) for row in fast.players}) == 1
    assert all(row.mikw.value == fast.msw.value and row.miew.value == row.msw_without.value for row in fast.players)
    assert all(row.correctness.correct for row in fast.players)


def _counted_report(monkeypatch, n: int) -> dict[str, int]:
    """Calls made while ``n`` players with lower bounds on every other player are read back
    from their file text and reported (``--jobs 1``): value hashes computed and looked up,
    equality tests of valuations, weights and programs, and valuations evaluated."""
    from ilp import Program, Weight
    from instances import instance_text
    from instances.generate import generate_instance
    from instances.loader import _decode, _parse

    text = instance_text(generate_instance("decay", 16, n, None, 0, knowledge="noisy-lower:0.8"))
    counts = {"hashed": 0, "hash calls": 0, "equal": 0, "value": 0, "programs hashed": 0}

    def counting_hash(original):
        def __hash__(self):
            counts["hash calls"] += 1
            counts["hashed"] += "_hash" not in self.__dict__
            return original(self)
        return __hash__

    def counting(original, key):
        def wrapper(*args, **kwargs):
            counts[key] += 1
            return original(*args, **kwargs)
        return wrapper

    with monkeypatch.context() as patch:
        for cls in (Valuation, Weight):
            patch.setattr(cls, "__hash__", counting_hash(cls.__hash__))
            patch.setattr(cls, "__eq__", counting(cls.__eq__, "equal"))
        patch.setattr(Program, "__eq__", counting(Program.__eq__, "equal"))
        patch.setattr(Program, "__hash__", counting(Program.__hash__, "programs hashed"))
        patch.setattr(Valuation, "value", counting(Valuation.value, "value"))
        data, plain = _decode(text, "<test>")
        assert plain  # nothing for the walk over the decoded JSON to find
        inst = _parse(data, "<test>", "counted", plain)
        # the loader hashes each true valuation once, and each distinct bound once (a bound
        # read again is found by its plain (form, bids) tuple, without a Valuation)
        bounds = {(v.form, v.bids) for known in inst.knowledge for v in known.bounds.values()}
        assert counts["hashed"] == n + len(bounds) <= n * n
        report = compute_report(inst, SolveOptions("cpsat", jobs=1))
    assert report.all_proven and all(row.correctness.correct for row in report.players)
    counts["valuations"] = n * n
    return counts


def test_report_with_knowledge_does_work_linear_in_its_input(monkeypatch):
    """With lower bounds on every other player the input holds n^2 valuations, and the report
    n^2 weight slots (MIKW_i and MIEW_i weigh all n players): doubling the players quadruples
    the input, and the hashing, equality tests and evaluations of reading and reporting
    grow by about that much, not by 8 (work per pair of programs, or per program and slot,
    would). Each distinct valuation and weight is hashed by value at most once."""
    small, large = _counted_report(monkeypatch, 12), _counted_report(monkeypatch, 24)
    for n, counts in ((12, small), (24, large)):
        read = counts["valuations"]  # n^2: n true valuations and n(n-1) lower bounds
        assert counts["hashed"] <= 2 * read + 64  # each valuation read, and each weight built from one, once
        assert counts["equal"] <= 2 * read  # equal valuations read become one object: one test each
        assert counts["hash calls"] <= 12 * read and counts["value"] <= 4 * read
        assert counts["programs hashed"] <= 2 * n + 30  # programs are keyed by their weights' ids, not hashed
    for key in ("hashed", "hash calls", "value"):
        assert large[key] <= 4.6 * small[key], (key, small[key], large[key])


def test_equal_bounds_drawn_are_one_object():
    """The knowledge models make equal valuations one object, as a file's reader does: a bound
    equal to the true valuation is that valuation, and equal bounds of different players are
    one object (uniform one-bid players: most bounds repeat one drawn before)."""
    from instances import LowerBounds, instance_text, parse_instance
    from instances.generate import generate_instance

    inst = generate_instance("uniform", 8, 60, None, 0, knowledge="noisy-lower:0.8")
    bounds = [v for known in inst.knowledge for v in known.bounds.values()]
    distinct = {(v.form, v.bids): v for v in (*inst.valuations, *bounds)}
    assert len({id(v) for v in bounds}) == len({(v.form, v.bids) for v in bounds}) < len(bounds)
    truth = {(v.form, v.bids): v for v in reversed(inst.valuations)}
    assert all(v is truth[v.form, v.bids] for v in bounds if (v.form, v.bids) in truth)
    assert all(distinct[v.form, v.bids] is v for v in bounds if (v.form, v.bids) not in truth)
    read = parse_instance(json.loads(instance_text(inst)))
    assert read.knowledge == inst.knowledge and all(isinstance(k, LowerBounds) for k in read.knowledge)


def test_bounds_drawn_in_memory_share_their_weights_without_equality_tests(monkeypatch):
    """Lower bounds built in memory may each be their own object (a file's reader and the
    knowledge models make equal ones one object, a caller need not): the plan still builds one
    weight per distinct bound, found by the bound's form and bids, with no equality test of
    valuations or weights (a Python call per bound: 1000 players, a million bounds, 2 s), and
    the same programs as the plan of the file read back."""
    from ilp import Weight
    from instances import LowerBounds, instance_text, parse_instance
    from instances.generate import generate_instance

    drawn = generate_instance("decay", 16, 30, None, 0, knowledge="noisy-lower:0.8")
    inst = dataclasses.replace(drawn, knowledge=tuple(
        LowerBounds({j: Valuation(v.form, v.bids) for j, v in known.bounds.items()}) for known in drawn.knowledge))
    bounds = [v for known in inst.knowledge for v in known.bounds.values()]
    distinct = {(v.form, v.bids) for v in bounds}
    assert len({id(v) for v in bounds}) == len(bounds) > len(distinct)  # equal bounds, distinct objects
    calls = {"equal": 0}

    def counted(original):
        def __eq__(self, other):
            calls["equal"] += 1
            return original(self, other)
        return __eq__

    with monkeypatch.context() as patch:
        for cls in (Valuation, Weight):
            patch.setattr(cls, "__eq__", counted(cls.__eq__))
        plan = ReportPlan.of(inst)
    assert calls["equal"] == 0
    shared = {id(w) for i in range(inst.n) for j, w in enumerate(plan.weights.row(i)) if j != i}
    assert len(shared) <= len(distinct)
    read = ReportPlan.of(parse_instance(json.loads(instance_text(inst))))
    assert plan.programs() == read.programs()


def test_a_bound_whose_form_is_its_name_is_read_as_its_form():
    """A valuation built with its form's name (``Valuation("xor", ...)``, which the rest of the
    code reads as ``Form.XOR``) as a lower bound: the plan keys it as the form (it raised
    AttributeError), and the report is the one of the same bounds built with ``Form.XOR``."""
    from instances import LowerBounds

    truth = (Valuation(Form.XOR, ((1, 5), (3, 8))), Valuation(Form.XOR, ((2, 4),)), Valuation(Form.XOR, ((3, 6),)))

    def instance(form) -> Instance:
        knowledge = tuple(LowerBounds({j: Valuation(form, truth[j].bids[:1]) for j in range(3) if j != i})
                          for i in range(3))
        return Instance("named", ("a", "b"), ("p1", "p2", "p3"), truth, knowledge)

    by_name, by_form = compute_report(instance("xor"), "brute"), compute_report(instance(Form.XOR), "brute")
    assert [b.value for b in by_name.benchmarks] == [b.value for b in by_form.benchmarks]
    assert [p.mikw.value for p in by_name.players] == [9, 9, 9]


def test_a_program_without_a_player_takes_its_ids_from_the_program_it_came_from(monkeypatch):
    """MIEW_i is MIKW_i without player i and MSW_{-i} is MSW without player i
    (``Program.without``): the batch's index derives their weight ids from the row's, looked up
    once, instead of a lookup per weight; the ids, keys and positions are those of the same
    programs built directly, and a pickled program does not carry the one it came from."""
    from ilp import Program
    from ilp.index import ProgramIndex
    from ilp.program import WeightIds
    from instances.generate import generate_instance

    inst = generate_instance("uniform", 12, 40, None, 0, knowledge="noisy-lower:0.8")
    plan = ReportPlan.of(inst)
    direct = [Program(p.n_goods, tuple(p.weights)) for p in plan.programs()]  # (built anew: no origin)
    derived = [*plan.programs(), *(plan.msw_without(i) for i in range(inst.n))]
    direct += [Program(plan.msw.n_goods, (*plan.msw.weights[:i], None, *plan.msw.weights[i + 1:]))
               for i in range(inst.n)]
    assert derived == direct and all("derived_from" in p.__dict__ for p in plan.miew if p is not None)
    looked = {"weights": 0}
    call = WeightIds.__call__

    def counted(self, weights):  # the slots looked up one by one (a row met before is not)
        found = self._rows.get(id(weights))
        looked["weights"] += 0 if found is not None and found[0] is weights else len(weights)
        return call(self, weights)

    monkeypatch.setattr(WeightIds, "__call__", counted)
    fast, slow = ProgramIndex(), ProgramIndex()
    positions = [fast.add(p) for p in derived]
    fast_looked, looked["weights"] = looked["weights"], 0
    assert positions == [slow.add(p) for p in direct]
    assert [fast.ids(k) for k in range(len(fast.programs))] == [slow.ids(k) for k in range(len(slow.programs))]
    assert 2 * fast_looked < looked["weights"], (fast_looked, looked["weights"])
    copy = pickle.loads(pickle.dumps(plan.miew[0]))
    assert copy == plan.miew[0] and "derived_from" not in copy.__dict__
    assert len(pickle.dumps(plan.miew[0])) < 1.5 * len(pickle.dumps(direct[1]))


def test_a_request_sends_each_new_weight_by_its_id():
    """``Remote._request`` sends a worker the weights it does not hold yet, each under its id,
    taken from the table of ids (``WeightIds.weight``: the first weight met with that id)
    rather than from a dict of the program's ids and weights: with bounds drawn in memory and
    equal bounds as distinct objects, what it sends is, id by id, equal to the programs' own
    weights, and nothing twice to the same worker."""
    from ilp.compile import BlockCache
    from ilp.index import ProgramIndex
    from ilp.remote import Remote, Task, received
    from instances.generate import generate_instance

    inst = generate_instance("uniform", 10, 30, None, 0, knowledge="noisy-lower:0.8")
    plan = ReportPlan.of(inst)
    index = ProgramIndex()
    programs = [*plan.programs(), *(plan.msw_without(i) for i in range(inst.n))]
    # the same programs again, each weight a copy of its own (equal values, other objects)
    copies = [dataclasses.replace(p, weights=tuple(None if w is None else pickle.loads(pickle.dumps(w))
                                                   for w in p.weights)) for p in programs]
    positions = [index.add(p) for p in programs + copies]
    remote = Remote(2, start=lambda: None, weight_ids=index.weight_ids)
    tasks = [Task(k, p, SolveOptions(), ids=index.ids(position))
             for k, (p, position) in enumerate(zip(programs + copies, positions))]
    sent: list[dict] = [{}, {}]
    for w in (0, 1):
        for chunk in (tasks[:7], tasks[7:40], tasks[40:]):
            shapes, keys, _, weights, _ = remote._request(w, chunk[w::2], BlockCache())
            new = received(weights)
            assert not set(new) & set(sent[w])  # a worker is sent each weight once
            sent[w].update(new)
            for shape, ids, task in zip(shapes, keys, chunk[w::2]):
                assert shape.weights == () and ids == index.ids(positions[task.position])
                assert all(k == 0 or sent[w][k] == weight for k, weight in zip(ids, task.program.weights))
    for k, weight in sent[0].items():
        assert index.weight_ids.weight(k) == weight and index.weight_ids((weight,)) == (k,)
