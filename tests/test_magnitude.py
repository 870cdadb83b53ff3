"""The magnitude of plain set-packing programs (``ilp.formulation._per_good``, ``ILP.magnitude``):
a bound on every feasible objective value, fractional or integer, and on every number of the
program, tight enough that many players on few goods keep the floating-point solvers
(``ilp.claims``)."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import numpy as np
import pytest
from scipy.optimize import linprog

from ilp import UNALLOCATED, Program, Status, Weight, claims, solve
from ilp.compile import AtomsBlock
from ilp.formulation import _per_good, _upper, build
from instances import Form, Valuation
from instances.synthetic import random_valuation
from tests.conftest import run_cli


def relaxation_optimum(ilp_) -> float:
    """The optimum of the linear relaxation of ``ilp_`` (a maximisation), by HiGHS's LP in scipy."""
    n = len(ilp_.names)
    if n == 0:
        return 0.0
    rows, rhs = [], []
    for terms, lo, hi in ilp_.rows:
        line = np.zeros(n)
        for k, c in terms.items():
            line[k] = c
        if hi is not None:
            rows.append(line)
            rhs.append(hi)
        if lo is not None:
            rows.append(-line)
            rhs.append(-lo)
    cost = np.zeros(n)
    for k, c in ilp_.objective.items():
        cost[k] = -c
    result = linprog(cost, A_ub=np.array(rows) if rows else None, b_ub=np.array(rhs) if rhs else None,
                     bounds=list(zip(ilp_.lower, ilp_.upper)), method="highs")
    if result.status == 2:
        return -np.inf  # infeasible: no point to bound
    assert result.status == 0, result.message
    return -result.fun


def numbers(ilp_) -> list[int]:
    """Every coefficient and right-hand side of ``ilp_``, the objective's included."""
    out = [abs(c) for c in ilp_.objective.values()]
    for terms, lo, hi in ilp_.rows:
        out += [abs(c) for c in terms.values()] + [abs(b) for b in (lo, hi) if b is not None]
    return out


def random_plain(rng: random.Random, scale: int = 1) -> Program:
    """Up to 7 players (XOR, OR, explicit and single-minded, some excluded) on up to 6 goods,
    values up to 20 times ``scale``: small enough for the brute-force reference."""
    m = rng.randint(1, 6)
    weights = []
    for _ in range(rng.randint(1, 7)):
        if rng.random() < 0.1:
            weights.append(None)
            continue
        v = random_valuation(rng, m, rng.choice([Form.XOR, Form.OR, Form.EXPLICIT, Form.SINGLE_MINDED]), high=20)
        weights.append(Weight.of(Valuation(v.form, tuple((b, x * scale) for b, x in v.bids))))
    return Program(m, tuple(weights))


@pytest.mark.parametrize("seed", range(4))
def test_per_good_bound_holds_for_relaxation_optimum_and_every_number(seed):
    """On random plain programs, and on the same programs with fixed owners and an allocation to
    avoid (ilp.lex's rival programs, whose magnitude takes the same bound): the per-good bound is
    at least the relaxation's optimum, the exact optimum (brute force) and every number of the
    program, and the magnitude is at least all three too."""
    rng = random.Random(seed)
    for _ in range(60):
        program = random_plain(rng)
        formulation = build(program)
        ilp_ = formulation.ilp
        bound = _per_good(formulation.blocks, program.n_goods)
        lp = relaxation_optimum(ilp_)
        exact = solve(program, "brute")
        assert exact.status is Status.OPTIMAL
        assert lp <= bound + 1e-6 and exact.value <= bound
        assert all(x <= bound for x in numbers(ilp_)) or not any(ilp_.objective.values())
        assert ilp_.magnitude >= max([exact.value, *numbers(ilp_)]) and ilp_.magnitude >= lp - 1e-6
        # fixed owners (some goods unallocated, some to the optimum's owner) and the optimum to avoid
        owner = {g: j for j, bundle in enumerate(exact.allocation) for g in range(program.n_goods) if bundle >> g & 1}
        fixed = tuple(rng.choice([None, None, owner.get(g, UNALLOCATED), UNALLOCATED]) for g in range(program.n_goods))
        rival = replace(program, fixed=fixed, avoid=exact.allocation)
        rilp = build(rival).ilp
        assert rilp.magnitude >= max([relaxation_optimum(rilp), *numbers(rilp)]) - 1e-6


def test_per_good_bound_with_atoms_compile_never_makes():
    """Blocks handed in directly (as ``ilp.colgen`` hands in a core): atoms of value 0 or below
    and atoms of no good, in single-choice and OR blocks. The bound still holds for the
    relaxation, and an empty atom's value counts whole (without it the bound would fail)."""
    rng = random.Random(5)
    for _ in range(300):
        m = rng.randint(1, 5)
        blocks = []
        for _ in range(rng.randint(1, 5)):
            if rng.random() < 0.1:
                blocks.append(None)
                continue
            atoms = tuple((rng.choice([0, *range(1, 1 << m)]) if rng.random() < 0.2 else rng.randint(1, (1 << m) - 1),
                           rng.randint(-5, 30)) for _ in range(rng.randint(1, 4)))
            blocks.append(AtomsBlock(rng.random() < 0.5, atoms))
        program = Program(m, (None,) * len(blocks))
        formulation = build(program, given=blocks)
        assert relaxation_optimum(formulation.ilp) <= _per_good(blocks, m) + 1e-6
    # one player, an empty atom worth 7 and a one-good atom worth 5 (OR: both at once)
    assert _per_good([AtomsBlock(False, ((0, 7), (1, 5)))], 1) == 12


def test_the_share_is_rounded_up():
    """A two-good bid worth 3 counts 2 per good: rounded down, the bound (2) would be below the
    bid's own value (3), which the relaxation and the integer program both reach."""
    block = AtomsBlock(True, ((0b11, 3),))
    assert _per_good([block], 2) == 4
    assert _per_good([AtomsBlock(True, ((0b111, 3001),)), AtomsBlock(True, ((0b001, 10),))], 3) == 1001 * 3


def crowded(players: int, goods: int, value: int) -> Program:
    """``players`` single-minded players on ``goods`` goods, player j bidding ``value`` - j on
    the goods j and j + 1 (mod ``goods``): the players' best values sum far above what the goods
    can hold."""
    weights = []
    for j in range(players):
        bundle = (1 << (j % goods)) | (1 << ((j + 1) % goods))
        weights.append(Weight.of(Valuation(Form.SINGLE_MINDED, ((bundle, value - j),))))
    return Program(goods, tuple(weights))


def test_many_players_on_few_goods_count_as_separable():
    """A program whose players' best values sum above 10^6 but whose goods hold far less is
    separable now: HiGHS answers it itself (before, ``ilp.backends`` handed it to CP-SAT), with
    the brute-force optimum; the portfolio's race may include it."""
    program = crowded(12, 6, 100_000)
    formulation = build(program)
    top = sum(map(_upper, formulation.blocks))
    assert top > claims.FLOAT_SEPARABLE
    # player j holds goods j and j + 1 (mod 6), so good g's best share is that of the lowest j
    # holding it (the largest value), rounded up
    shares = [max(-(-(100_000 - j) // 2) for j in range(12) if g in (j % 6, (j + 1) % 6)) for g in range(6)]
    assert formulation.ilp.magnitude == _per_good(formulation.blocks, 6) == sum(shares) < 310_000
    assert claims.separable(formulation.ilp)
    expected = solve(program, "brute")
    got = solve(program, "highs")
    assert got.status is Status.OPTIMAL and got.value == expected.value and got.backend == "highs"
    assert solve(program, "portfolio").value == expected.value
    # where the goods' bound is above 10^6 too, the magnitude stays above it: no floating point
    big = crowded(12, 6, 1_000_000)
    assert not claims.separable(build(big).ilp)
    assert solve(big, "highs").backend == "cpsat"


def test_cli_report_of_many_players_on_few_goods_equals_brute_force(tmp_path):
    """The report of such a program's instance (players' values summing above 10^6, the goods'
    bound below) has every value of the brute-force report, with the portfolio and with HiGHS."""
    program = crowded(14, 7, 80_000)
    goods = [f"g{k}" for k in range(7)]
    data = {"goods": goods, "players": [f"p{j}" for j in range(14)],
            "valuations": {f"p{j}": {"single_minded": [[goods[g] for g in range(7) if b >> g & 1], v]}
                           for j, weight in enumerate(program.weights) for ((b, v),) in [weight.options[0][0].bids]}}
    path = tmp_path / "crowd.json"
    path.write_text(json.dumps(data))

    def values(data):
        """The report without the solver's name and its own witnesses (the canonical owners stay)."""
        if isinstance(data, dict):
            return {k: values(v) for k, v in data.items() if k not in ("solver", "allocation", "outcome")}
        if isinstance(data, list):
            return [values(v) for v in data]
        return data

    def report(solver: str) -> dict:
        done = run_cli("benchmarks", str(path), "--json", "--solver", solver)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    brute = report("brute")
    assert brute["proven"] and brute["MSW"]["value"] > 0
    assert values(report("portfolio")) == values(brute) == values(report("highs"))


def test_per_good_in_numpy_is_the_bound_of_its_definition():
    """``_per_good`` gathers each good's largest share in numpy when the shares fit 62 bits, else
    in Python: both give, on random blocks (single-choice and OR, several atoms, atoms of no good
    and of value 0 or below handed in directly, goods beyond 64, blocks compiled through a
    BlockCache's shapes, values near 2^62 and beyond, either sign), the sum over goods of the largest
    ceil(v / |a|) of an atom a holding the good (0 if none is positive), plus the positive values
    of atoms of no good."""
    from ilp.compile import BlockCache

    def expected(blocks, goods):
        best = [0] * goods
        loose = 0
        for block in blocks:
            for bundle, value in block.atoms if block is not None else ():
                if not bundle:
                    loose += max(value, 0)
                for g in range(goods):
                    if bundle >> g & 1:
                        best[g] = max(best[g], -(-value // bundle.bit_count()))
        return sum(best) + loose

    rng = random.Random(11)
    cache = BlockCache()
    for trial in range(300):
        m = rng.choice([3, 8, 70])
        top = rng.choice([30, 2**40, 2**62 - 1, 2**63, 2**70])
        blocks = []
        for _ in range(rng.randint(1, 8)):
            if rng.random() < 0.1:
                blocks.append(None)
                continue
            atoms = tuple((0 if rng.random() < 0.1 else sum({1 << rng.randrange(m) for _ in range(rng.randint(1, 3))}),
                           rng.randint(-top if trial % 4 == 0 else -5, top)) for _ in range(rng.randint(1, 4)))
            if trial % 2:  # compiled: positive atoms, pruned, some through a shape's rows
                bids = tuple((b, v) for b, v in atoms if b)
                blocks.append(cache.block(Weight.of(Valuation(Form.XOR, bids))) if bids else None)
            else:
                blocks.append(AtomsBlock(rng.random() < 0.5, atoms))
        assert _per_good(blocks, m) == expected(blocks, m)
