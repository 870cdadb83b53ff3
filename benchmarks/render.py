"""Human-readable rendering of a :class:`Report` (rich tables and offer lists).

Names come from the user's file and are shown, never interpreted: control characters (a
terminal's escape sequences) are printed as escapes (:func:`plain`), and table cells are rich
``Text`` objects, so markup such as ``[/]`` or ``[bold]`` in a name is shown as written.
"""

from __future__ import annotations

import dataclasses
import re

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from benchmarks.report import Report
from benchmarks.results import Benchmark, Best, finite_bound
from instances import Instance
from instances.bundles import names
from instances.units import show


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def plain(text: str) -> str:
    """``text`` safe for a terminal line: control characters (escape sequences, newlines) and
    invalid Unicode (lone surrogates) shown as backslash escapes."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def displayed(instance: Instance) -> Instance:
    """A copy of ``instance`` whose names are safe to print (see :func:`plain`); same numbers."""
    return dataclasses.replace(instance, name=plain(instance.name), goods=tuple(plain(g) for g in instance.goods),
                               players=tuple(plain(p) for p in instance.players))


def _bundle(instance: Instance, mask: int) -> str:
    return "{" + ", ".join(names(mask, instance.goods)) + "}"


def _money(value: int | None, scale: int) -> str:
    return "none" if value is None else show(value, scale)


def _value(b: Benchmark, scale: int = 1) -> str:
    """The proven value in the file's units (exact decimals when the instance has a scale)."""
    if b.value is not None:
        return show(b.value, scale)
    bound = f", bound {_money(b.bound, scale)}" if finite_bound(b.bound) is not None else ""
    return f"NOT PROVEN ({b.status.value}; incumbent {_money(b.incumbent, scale)}{bound})"


def _best(instance: Instance, best: Best) -> str:
    if best.value is None:
        return f"NOT PROVEN (incumbent {_money(best.incumbent, instance.scale)})"
    value = show(best.value, instance.scale)
    if best.winner is None:
        return f"{value} (no player)"
    if isinstance(best.winner, tuple):
        who = "{" + ", ".join(instance.players[j] for j in best.winner) + "}"
    else:
        who = instance.players[best.winner]
    return f"{value} ({who})"


def witness(instance: Instance, b: Benchmark) -> str:
    """One line: the allocation, or the take-it-or-leave-it offers with their prices."""
    if b.outcome is None:
        return f"{b.name}: no solution found"
    parts = []
    for j, bundle in enumerate(b.outcome.allocation):
        if not bundle:
            continue
        piece = f"{instance.players[j]} <- {_bundle(instance, bundle)}"
        if b.outcome.prices is not None:
            piece += f" at {show(b.outcome.prices[j], instance.scale)}"
        parts.append(piece)
    body = "; ".join(parts) if parts else "nothing allocated"
    return f"{b.name} = {_value(b, instance.scale)}: {body}"


def render(report: Report) -> Group:
    inst = displayed(report.instance)
    coalitions = ", ".join("{" + ", ".join(inst.players[j] for j in c) + "}" for c in inst.coalitions)
    structure = f"coalitions {coalitions}" if coalitions else "all independent"
    kind = "market" if inst.is_market else "auction"
    units = f"; scale {inst.scale}, values in the file's units" if inst.scale != 1 else ""
    title = Text.assemble(
        (inst.name, "bold"),
        f": {kind}, {inst.m} goods, {inst.n} players, {structure}; solver {report.solver}{units}",
    )

    headline = Table(title="Benchmarks", show_header=True, header_style="bold")
    headline.add_column("benchmark")
    headline.add_column("value", justify="right")
    headline.add_column("meaning")
    headline.add_row("MSW", _value(report.msw, inst.scale), "maximum social welfare")
    headline.add_row("MIEW(K_I)", Text(_best(inst, report.miew)), "best MIEW_i over independent players")
    headline.add_row("BB", Text(_best(inst, report.bb)), "best BB_i = MIEW_i over all players")
    headline.add_row("BB'", Text(_best(inst, report.bb_prime)), "best BB_i over independent players")
    headline.add_row("MKW", Text(_best(inst, report.mkw)), "best MKW_A over agents")

    players = Table(title="Per player", header_style="bold")
    for column in ("player", "MIEW_i = BB_i", "MIKW_i", "MSW_-i", "knowledge correct"):
        players.add_column(column, justify="left" if column in ("player", "knowledge correct") else "right")
    for row in report.players:
        verdict = {True: "yes", False: "no", None: "undecided"}[row.correctness.correct]
        players.add_row(Text(inst.players[row.player]), _value(row.miew, inst.scale), _value(row.mikw, inst.scale),
                        _value(row.msw_without, inst.scale), verdict)

    agents = Table(title="Per agent", header_style="bold")
    for column in ("agent", "MKW_A = REV(RK_A)", "SW(BA^A)"):
        agents.add_column(column, justify="left" if column == "agent" else "right")
    for row in report.agents:
        who = "{" + ", ".join(inst.players[j] for j in row.members) + "}"
        agents.add_row(Text(who), _value(row.mkw, inst.scale), _value(row.best_allocation, inst.scale))

    lines = [witness(inst, report.msw), witness(inst, report.lex_first)]
    for row in report.players:
        lines += [witness(inst, row.miew), witness(inst, row.mikw)]
    for row in report.agents:
        if len(row.members) > 1:
            lines += [witness(inst, row.mkw), witness(inst, row.best_allocation)]
    if report.market is not None:
        lines.append(witness(inst, report.market))
    body = [title, headline, players, agents, Text("Witnesses (offers at their prices)", style="bold")]
    body += [Text("  " + plain(line)) for line in lines]  # benchmark names carry player names
    doubtful = [row for row in report.players if row.correctness.correct is not True]
    if doubtful:
        body.append(Text("Knowledge not known to be correct", style="bold"))
        body += [Text(f"  {inst.players[row.player]}: {plain(row.correctness.reason)}") for row in doubtful]
    if not report.all_proven:
        body.append(Text("Some programs were not proven optimal within the time limit; their "
                         "values are not reported as benchmarks.", style="bold red"))
    return Group(*body)


class PipeConsole(Console):
    """A rich console for the command line: a closed pipe (``| head``) raises
    ``BrokenPipeError``, which the CLI turns into a quiet exit 0 (rich would exit with 1)."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


def print_report(report: Report, console: Console | None = None) -> None:
    (console or Console()).print(render(report))
