"""JSON and text forms of evaluations, announcements and deviation tables."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from fractions import Fraction
from typing import Any

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from benchmarks.results import Outcome
from cabench.render import lists_all, plain
from ilp import SolveOptions
from instances import Instance, Valuation
from instances.bundles import names
from instances.units import show, show_fraction, show_probability
from instances.writer import valuation_to_json
from mechanisms.base import Evaluation, Mechanism
from mechanisms.engine import Strategy, Terminal, sample_outcome

__all__ = ["NOT_RATIONAL", "PROGRESS_SECONDS", "TOP_AGENTS", "branch_table", "describe", "evaluation_json",
           "evaluation_table", "guarantee_lines", "in_registry_order", "monte_carlo", "monte_carlo_cells",
           "monte_carlo_ends", "monte_carlo_text", "number", "utility_tables"]


def number(x: Fraction) -> dict[str, Any]:
    return {"value": float(x), "exact": str(x)}


def describe(obj: Any, instance: Instance) -> Any:
    """A JSON form of an announced action (outcomes, bundles, valuations, coalitions, bids)."""
    if isinstance(obj, Outcome):
        data = {"allocation": {instance.players[j]: names(a, instance.goods) for j, a in enumerate(obj.allocation) if a}}
        if obj.prices is not None:
            data["prices"] = {instance.players[j]: p for j, p in enumerate(obj.prices) if p or obj.allocation[j]}
            data["revenue"] = obj.revenue
        return data
    if isinstance(obj, Valuation):
        return valuation_to_json(obj, instance.goods)
    if isinstance(obj, frozenset):
        return [instance.players[j] for j in sorted(obj)]
    if isinstance(obj, bool):
        return "YES" if obj else "NO"
    if is_dataclass(obj):
        out = {}
        for f in fields(obj):
            value = getattr(obj, f.name)
            if value is None:
                continue
            if f.name in ("bundle",) and isinstance(value, int):
                out[f.name] = names(value, instance.goods)
            elif f.name == "prices" and isinstance(value, tuple) and len(value) == len(instance.players):
                out[f.name] = {p: describe(x, instance) for p, x in zip(instance.players, value)}
            elif f.name in ("allocation", "state") and isinstance(value, tuple):  # (perfect-revenue's state
                # was printed as bit masks, [1, 2, 0, 0])
                out[f.name] = {instance.players[j]: names(a, instance.goods) for j, a in enumerate(value) if a}
            else:
                out[f.name] = describe(value, instance)
        return out
    if isinstance(obj, tuple):
        return [describe(x, instance) for x in obj]
    if isinstance(obj, Fraction):
        return float(obj)
    return obj


def evaluation_json(instance: Instance, mechanism: Mechanism, ev: Evaluation) -> dict[str, Any]:
    # Each price as a float and as an exact fraction, written once per price object: one
    # object often stands in many outcomes (collusion-leveraging's final rewards: n prices in
    # each of its n + 1 outcomes of Step 2, 2 million conversions at 1000 players). ``ev`` keeps
    # the objects alive, so their ids are theirs while this runs.
    written: dict[int, tuple[float, str]] = {}

    def prices(t: Terminal) -> list[tuple[str, tuple[float, str]]]:
        found = []
        for name, x in zip(instance.players, t.prices):
            if x:
                pair = written.get(id(x))
                if pair is None:
                    pair = written[id(x)] = (float(x), str(x))
                found.append((name, pair))
        return found

    def outcome(p: Fraction, t: Terminal) -> dict[str, Any]:
        paid = prices(t)
        return {"probability": str(p),
                "path": list(t.path),
                "allocation": {instance.players[j]: names(a, instance.goods) for j, a in enumerate(t.allocation) if a},
                "prices": {name: number for name, (number, _) in paid},
                "SW": t.welfare(instance), "REV": float(t.revenue),
                "exact": {"prices": {name: text for name, (_, text) in paid}, "REV": str(t.revenue)}}

    data: dict[str, Any] = {
        "mechanism": mechanism.name,
        "source": mechanism.source,
        "scale": instance.scale,
        "params": {k: str(v) for k, v in ev.params.items()},
        "expected": {"SW": float(ev.sw), "REV": float(ev.rev), "total": float(ev.total),
                     "exact": {"SW": str(ev.sw), "REV": str(ev.rev), "total": str(ev.total)}},
        "utilities": {instance.players[i]: float(u) for i, u in enumerate(ev.utilities)},
        "agent_utilities": [{"members": [instance.players[j] for j in a], "utility": float(u)}
                            for a, u in ev.agent_utilities],
        "branches": {path: float(p) for path, p in ev.branches},
        "outcomes": [outcome(p, t) for p, t in ev.outcomes],
    }
    g = ev.guarantee
    if g is not None:
        data["guarantee"] = {
            "statement": g.statement, "benchmark": g.benchmark, "benchmark_value": g.benchmark_value,
            "bound": float(g.bound), "achieved": float(g.achieved),
            "holds": g.holds if g.premise_unmet is None else None, "inequality_holds": g.holds,
            "verdict": g.verdict, "premise_unmet": g.premise_unmet,
            "ratio": float(g.achieved / g.benchmark_value) if g.benchmark_value and not g.on_probability else None,
            "exact": {"bound": str(g.bound), "achieved": str(g.achieved)},
        }
    return data


PROGRESS_SECONDS = 0.2
"""Least time between two calls of :func:`monte_carlo`'s ``progress``: a play takes from 0.03 ms
(seed 004's example) to 50 ms (VCG on the licences example), so a count of plays would leave the
bar still for a minute or call it thousands of times a second."""


def monte_carlo(instance: Instance, mechanism: Mechanism, params, profile: list[Strategy],
                samples: int, seed: int, options: SolveOptions | None = None,
                progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Sample ``samples`` plays; means with 95% normal confidence intervals. ``options``: how
    the rules solve programs (``mechanisms.engine.Play.options``); ``progress(k)``: called with
    the plays done at most every :data:`PROGRESS_SECONDS`."""
    rng = random.Random(seed)
    # running sums, not lists (a million samples of Fractions took about 100 MB): the sums
    # exactly (through floats, a mean near 10^12 lost its last digits), the spread in floats by
    # Welford's update (the interval's half-width is an estimate)
    # Welford's update on the values less the first sample (exactly, in Fractions): values near
    # 10^12 with a small spread lost the variance's digits in floats
    sums = {key: Fraction(0) for key in ("SW", "REV", "total")}
    spread = {key: (0.0, 0.0) for key in sums}  # (running mean, sum of squared deviations)
    shift: dict[str, Fraction] = {}
    next_call = time.monotonic() + PROGRESS_SECONDS
    for k in range(1, samples + 1):
        t = sample_outcome(mechanism.rules, instance, params, profile, rng, options)
        welfare, revenue = Fraction(t.welfare(instance)), Fraction(t.revenue)
        for key, x in (("SW", welfare), ("REV", revenue), ("total", welfare + revenue)):
            sums[key] += x
            y = float(x - shift.setdefault(key, x))
            mean, squares = spread[key]
            step = y - mean
            mean += step / k
            spread[key] = (mean, squares + step * (y - mean))
        if progress is not None and (now := time.monotonic()) >= next_call:
            progress(k)
            next_call = now + PROGRESS_SECONDS

    def summary(key: str) -> dict[str, Any]:
        mean = sums[key] / samples
        m = float(mean)
        var = spread[key][1] / (samples - 1) if samples > 1 else 0.0
        half = 1.96 * math.sqrt(var / samples)
        # (every play alike: the normal interval has no width, and a rare branch that no play
        # reached lies outside it; the line under the tables says so)
        return {"mean": m, "ci95": [m - half, m + half], "exact": {"mean": str(mean), "half": half},
                "all_equal": spread[key][1] == 0}

    return {"samples": samples, "seed": seed, "SW": summary("SW"), "REV": summary("REV"), "total": summary("total")}


def monte_carlo_ends(extra: dict[str, Any], scale: int = 1, places: int = 4) -> dict[str, str]:
    """The sampled means and the ends of the 95% intervals of :func:`monte_carlo` in the file's
    money (they are in integer units, as the JSON's expectations are), ``places`` decimals past
    the scale's digits, as the exact expectations beside them: ``MC SW``, ``MC SW CI95 low``,
    ``MC SW CI95 high``, the same for REV."""
    cells = {}
    for key in ("SW", "REV"):
        exact = extra[key].get("exact")
        if exact is not None:  # the exact mean, and the half-width added to it exactly
            mean, half = Fraction(exact["mean"]), Fraction(exact["half"])
            low, high = mean - half, mean + half
        else:
            mean, (low, high) = Fraction(extra[key]["mean"]), map(Fraction, extra[key]["ci95"])
        cells |= {f"MC {key}": show_fraction(mean, scale, places),
                  f"MC {key} CI95 low": show_fraction(low, scale, places),
                  f"MC {key} CI95 high": show_fraction(high, scale, places)}
    return cells


def monte_carlo_cells(extra: dict[str, Any], scale: int = 1, places: int = 4) -> dict[str, str]:
    """:func:`monte_carlo_ends` with each interval in one cell, ``[low, high]``."""
    ends = monte_carlo_ends(extra, scale, places)
    cells = {}
    for key in ("SW", "REV"):
        cells[f"MC {key}"] = ends[f"MC {key}"]
        cells[f"MC {key} CI95"] = f"[{ends[f'MC {key} CI95 low']}, {ends[f'MC {key} CI95 high']}]"
    return cells


def monte_carlo_text(extra: dict[str, Any], scale: int = 1) -> str:
    """One line under the tables: the sampled means and intervals in the file's money (they were
    printed in integer units beside exact expectations in the file's money)."""
    cells = monte_carlo_cells(extra, scale)
    # (said when the plays missed an outcome: every play alike, the exact expectation other; a
    # mechanism of one outcome gives alike plays and says nothing)
    missed = [key for key in ("SW", "REV") if extra[key].get("missed")]
    its = "its interval has" if len(missed) == 1 else "their intervals have"
    note = (f"; every play gave the same {' and '.join(missed)}, and the exact expectation differs: {its} no "
            "width and misses it (an outcome too rare to be drawn)" if missed else "")
    return (f"Monte Carlo ({extra['samples']} plays, seed {extra['seed']}): SW {cells['MC SW']} CI95 "
            f"{cells['MC SW CI95']}, REV {cells['MC REV']} CI95 {cells['MC REV CI95']}{note}")


NOT_RATIONAL = "not checked: not rational play"
"""The verdict of a deviation's evaluation (``evaluate --strategies FAMILY``): the theorems are
about rational play."""


def in_registry_order(entries: list[tuple[Mechanism, Any]]) -> list[tuple[Mechanism, Any]]:
    """``entries`` (pairs of a mechanism and anything) in ``mechanisms.MECHANISMS``'s order, so that
    a mechanism not proven is listed where it would have been evaluated (a stable sort)."""
    from mechanisms.registry import MECHANISMS

    rank = {name: k for k, name in enumerate(MECHANISMS)}
    return sorted(entries, key=lambda entry: rank.get(entry[0].name, len(rank)))


def evaluation_table(instance: Instance, rows: list[tuple[Mechanism, Evaluation]],
                     not_proven: list[tuple[Mechanism, str]] = ()) -> Table:
    """One row per mechanism: expectations, the benchmark of its theorem, the bound and PASS/FAIL
    (the inequalities themselves are listed under the table by :func:`guarantee_lines`), then
    a row "not proven" for each mechanism of ``not_proven`` (``api.Evaluations.not_proven``), all
    in the registry's order."""
    table = Table(title=f"{escape(instance.name)}: exact expectations", header_style="bold")
    table.add_column("mechanism", no_wrap=True)
    for column in ("E[SW]", "E[REV]", "total", "benchmark", "bound", "holds"):
        table.add_column(escape(column), justify="right", no_wrap=True)
    for mechanism, ev in in_registry_order([*rows, *not_proven]):
        if isinstance(ev, str):  # (the reason it was not evaluated: listed under the table)
            table.add_row(mechanism.name, *["-"] * 5, "NOT PROVEN")
            continue
        g = ev.guarantee
        scale = instance.scale
        # four places, as the guarantee lines under the table (with two, a budget-balanced E[SW] of
        # 9.998 read 10.00 beside MSW = 10)
        cells = [mechanism.name, *(show_fraction(x, scale) for x in (ev.sw, ev.rev, ev.total))]
        if g is None:
            cells += ["-", "-", "-"]
        else:
            bound = show_probability(g.bound) if g.on_probability else show_fraction(g.bound, scale)
            cells += [f"{g.benchmark}={show(g.benchmark_value, scale)}", bound, g.verdict]
        table.add_row(*cells)
    return table


TOP_AGENTS = 10
"""In a summary, the agents with the highest E[u] and the most probable branches listed."""


def branch_table(ev: Evaluation, players: str = "auto") -> Table:
    """The public chance results and their probabilities, in the order played; above
    ``render.SUMMARY_ABOVE`` branches (``--players summary|auto``) the :data:`TOP_AGENTS` most
    probable (ties: in that order) and one row for the rest with their total probability
    (collusion-leveraging has 2n + 2 branches: 402 rows on a 200-player file)."""
    shown = list(ev.branches)
    title = "Branches (public chance results)"
    if not lists_all(len(shown), players):
        shown = sorted(shown, key=lambda branch: -branch[1])[:TOP_AGENTS]  # (stable: ties in order)
        title = (f"{len(shown)} most probable of {len(ev.branches)} branches "
                 "(--players all lists every branch)")
    table = Table(title=title, header_style="bold")
    table.add_column("path")
    table.add_column("probability", justify="right")
    for path, p in shown:
        table.add_row(Text(plain(path)), str(p))
    if len(shown) < len(ev.branches):
        rest = sum((p for _, p in ev.branches), Fraction(0)) - sum((p for _, p in shown), Fraction(0))
        table.add_row(Text(f"({len(ev.branches) - len(shown)} more branches)"), str(rest))
    return table


def utility_tables(instance: Instance, ev: Evaluation, players: str = "auto") -> list[Table]:
    """Each agent's exact expected utility E[u] (seed 000 §1.2: value of its goods less its
    price; a coalition's summed over its members), in the file's units. Above
    ``render.SUMMARY_ABOVE`` agents (``--players summary|auto``): counts by sign, their sum, the
    lowest E[u] (worth a look when negative: seed 004 §6.1 notes that a player with wrong beliefs
    may win and lose), and the :data:`TOP_AGENTS` agents with the highest E[u] (ties: file order). Names are
    printed as written (``instance`` is the displayed one)."""
    scale = instance.scale
    agents = list(ev.agent_utilities)

    def who(agent: tuple[int, ...]) -> Text:
        return Text("{" + ", ".join(instance.players[j] for j in agent) + "}")

    full = lists_all(len(agents), players)
    shown = agents if full else sorted(agents, key=lambda entry: -entry[1])[:TOP_AGENTS]
    tables = []
    if not full:
        counts = Table(title="Agents (summary; --players all lists every agent)", header_style="bold")
        counts.add_column("count")
        counts.add_column("agents", justify="right")
        lowest = min(agents, key=lambda entry: entry[1])  # (the first in file order)
        for what, value in (("agents", str(len(agents))),
                            ("with E[u] > 0", str(sum(1 for _, u in agents if u > 0))),
                            ("with E[u] = 0", str(sum(1 for _, u in agents if u == 0))),
                            ("with E[u] < 0", str(sum(1 for _, u in agents if u < 0))),
                            ("sum of E[u]", show_fraction(sum((u for _, u in agents), Fraction(0)), scale, 6)),
                            ("lowest E[u]", f"{who(lowest[0]).plain}: {show_fraction(lowest[1], scale, 6)}")):
            counts.add_row(Text(what), Text(value))
        tables.append(counts)
    util = Table(title="Expected utilities" if full else
                 f"Top {len(shown)} agents by E\\[u] (ties: file order)", header_style="bold")
    util.add_column("agent")
    util.add_column("E\\[u]", justify="right")
    for agent, u in shown:
        util.add_row(who(agent), show_fraction(u, scale, 6))
    tables.append(util)
    return tables


def guarantee_lines(rows: list[tuple[Mechanism, Evaluation]], scale: int = 1) -> list[str]:
    """One line per mechanism: the theorem's inequality, both sides (in the file's units), and
    the ratio achieved."""
    lines = []
    for mechanism, ev in rows:
        g = ev.guarantee
        if g is None:
            lines.append(f"{mechanism.name}: no guarantee ({mechanism.source})")
            continue
        ratio = ""
        if g.benchmark_value and not g.on_probability:
            ratio = f", ratio to {g.benchmark} {float(g.achieved / g.benchmark_value):.3f}"
        # (probabilities as they are: divided by a scale of 100, 0.9999 read 0.0100)
        achieved, bound = (map(show_probability, (g.achieved, g.bound)) if g.on_probability else
                           (show_fraction(g.achieved, scale), show_fraction(g.bound, scale)))
        line = (f"{mechanism.name}: {g.statement}: {achieved} >= {bound} {'holds' if g.holds else 'FAILS'}{ratio} "
                f"({mechanism.source})")
        if g.premise_unmet is not None:
            line += f"; premise not met, so the theorem says nothing here: {g.premise_unmet}"
        lines.append(line)
    return lines
