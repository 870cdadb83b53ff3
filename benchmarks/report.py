"""The full benchmark table of an instance, and its JSON form (the output of ``cabench benchmarks``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from benchmarks.correctness import Correctness, knowledge_correct
from benchmarks.external import bb, bb_prime, miew, miew_of
from benchmarks.known import mikw, mkw, relevant_knowledge
from benchmarks.market import endowment_welfare, truthful_outcome
from benchmarks.results import Benchmark, Best, Outcome
from benchmarks.table import report_programs
from benchmarks.welfare import best_allocation, lex_first_optimal, msw, msw_without
from ilp import DEFAULT_BACKEND, owner_code, prefetch
from instances import Instance
from instances.bundles import names


@dataclass(frozen=True)
class PlayerRow:
    player: int
    miew: Benchmark
    mikw: Benchmark
    msw_without: Benchmark
    correctness: Correctness


@dataclass(frozen=True)
class AgentRow:
    members: tuple[int, ...]
    mkw: Benchmark
    best_allocation: Benchmark


@dataclass(frozen=True)
class Report:
    """Every benchmark of SPEC §2 for one instance, computed with one backend."""

    instance: Instance
    solver: str
    msw: Benchmark
    lex_first: Benchmark
    players: tuple[PlayerRow, ...]
    agents: tuple[AgentRow, ...]
    miew: Best
    bb: Best
    bb_prime: Best
    mkw: Best
    market: Benchmark | None
    wall_time: float

    @property
    def benchmarks(self) -> list[Benchmark]:
        out = [self.msw, self.lex_first]
        for p in self.players:
            out += [p.miew, p.mikw, p.msw_without]
        for a in self.agents:
            out += [a.mkw, a.best_allocation]
        if self.market is not None:
            out.append(self.market)
        return out

    @property
    def all_proven(self) -> bool:
        return all(b.proven for b in self.benchmarks)


def compute_report(instance: Instance, *, solver: str = DEFAULT_BACKEND,
                   time_limit: float | None = None, jobs: int | None = None) -> Report:
    """Compute the whole table; ``time_limit`` applies to each integer program separately.

    The programs are first solved as one batch (``ilp.solve_batch``, ``jobs`` worker processes,
    None = automatic), which gives the same values as solving them one by one.
    """
    start = time.perf_counter()
    with prefetch(report_programs(instance), solver, time_limit, jobs):
        return _compute(instance, solver, time_limit, start)


def _compute(instance: Instance, solver: str, time_limit: float | None, start: float) -> Report:
    options = {"solver": solver, "time_limit": time_limit}
    welfare = msw(instance, **options)
    players = tuple(
        PlayerRow(
            player=i,
            miew=miew(instance, i, **options),
            mikw=mikw(instance, i, **options),
            msw_without=msw_without(instance, i, optimum=welfare, **options),
            correctness=knowledge_correct(instance, i),
        )
        for i in range(instance.n)
    )
    agents = tuple(
        AgentRow(a, relevant_knowledge(instance, a, **options), best_allocation(instance, a, **options))
        for a in instance.agents
    )
    per_player = [row.miew for row in players]
    return Report(
        instance=instance,
        solver=solver,
        msw=welfare,
        lex_first=lex_first_optimal(instance, optimum=welfare, **options),
        players=players,
        agents=agents,
        miew=miew_of(instance, per_player),
        bb=bb(instance, per_player),
        bb_prime=bb_prime(instance, per_player),
        mkw=mkw(instance, [(row.members, row.mkw) for row in agents]),
        market=truthful_outcome(instance, optimum=welfare, **options) if instance.is_market else None,
        wall_time=time.perf_counter() - start,
    )


# ---------------------------------------------------------------- JSON


def outcome_json(instance: Instance, outcome: Outcome) -> dict[str, Any]:
    """{"allocation": {player: [goods]}, "prices": {player: price}} listing non-empty entries."""
    players, goods = instance.players, instance.goods
    data: dict[str, Any] = {
        "allocation": {players[j]: names(a, goods) for j, a in enumerate(outcome.allocation) if a}
    }
    if outcome.prices is not None:
        data["prices"] = {
            players[j]: p for j, p in enumerate(outcome.prices) if p or outcome.allocation[j]
        }
    return data


def benchmark_json(instance: Instance, b: Benchmark) -> dict[str, Any]:
    data: dict[str, Any] = {"value": b.value, "status": b.status.value}
    if not b.proven:
        data["incumbent"] = b.incumbent
        data["bound"] = b.bound  # the optimum lies in [incumbent, bound]
        if b.incumbent is not None and b.bound is not None:
            data["gap"] = (b.bound - b.incumbent) / max(1, abs(b.bound))
    if b.outcome is not None:
        witness = outcome_json(instance, b.outcome)
        if b.outcome.prices is None:
            data.update(witness)
        else:
            data["outcome"] = witness
    return data


def _best_json(instance: Instance, best: Best, key: str) -> dict[str, Any]:
    if isinstance(best.winner, tuple):
        winner: Any = [instance.players[j] for j in best.winner]
    else:
        winner = instance.players[best.winner] if best.winner is not None else None
    data: dict[str, Any] = {"value": best.value, key: winner}
    if best.value is None:
        data["incumbent"] = best.incumbent
    return data


def report_json(report: Report) -> dict[str, Any]:
    """The ``--json`` output of ``cabench benchmarks`` (documented in the README)."""
    inst = report.instance
    lex = benchmark_json(inst, report.lex_first)
    if report.lex_first.outcome is not None:
        allocation = report.lex_first.outcome.allocation
        lex["owners"] = [
            inst.players[c - 1] if (c := owner_code(allocation, g)) else None for g in range(inst.m)
        ]
    data: dict[str, Any] = {
        "instance": inst.name,
        "solver": report.solver,
        "scale": inst.scale,
        "goods": list(inst.goods),
        "players_order": list(inst.players),
        "coalitions": [[inst.players[j] for j in c] for c in inst.coalitions],
        "proven": report.all_proven,
        "MSW": benchmark_json(inst, report.msw),
        "lex_first_MSW_allocation": lex,
        "players": {
            inst.players[row.player]: {
                "MIEW": benchmark_json(inst, row.miew),
                "MIKW": benchmark_json(inst, row.mikw),
                "MSW_without": benchmark_json(inst, row.msw_without),
                "knowledge_correct": row.correctness.correct,
                "knowledge_reason": row.correctness.reason,
            }
            for row in report.players
        },
        "agents": [
            {
                "members": [inst.players[j] for j in row.members],
                "MKW": benchmark_json(inst, row.mkw),
                "BA": benchmark_json(inst, row.best_allocation),
            }
            for row in report.agents
        ],
        "MIEW": _best_json(inst, report.miew, "player"),
        "BB": _best_json(inst, report.bb, "player"),
        "BB'": _best_json(inst, report.bb_prime, "player"),
        "MKW": _best_json(inst, report.mkw, "agent"),
    }
    if report.market is not None:
        market = benchmark_json(inst, report.market)
        market["endowment_welfare"] = endowment_welfare(inst)
        if report.market.value is not None:
            market["welfare_gain"] = report.market.value - market["endowment_welfare"]
        data["market"] = market
    return data
