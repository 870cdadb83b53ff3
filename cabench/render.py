"""Human-readable rendering of a :class:`Report` (rich tables and offer lists).

Names come from the user's file and are shown, never interpreted: control characters (a
terminal's escape sequences) are printed as escapes (:func:`plain`), and table cells are rich
``Text`` objects, so markup such as ``[/]`` or ``[bold]`` in a name is shown as written.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from benchmarks.results import Benchmark, Best, finite_bound
from instances.bundles import names
from instances.units import show

if TYPE_CHECKING:  # not imported at run time: main() prints its one-line errors with plain()
    from benchmarks.report import PlayerRow, Report
    from instances.model import Instance

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
    offers = dict(b.outcome.offers) if b.outcome.offers is not None else None
    for j, bundle in b.outcome.bundles:  # the players who receive something, in order
        piece = f"{instance.players[j]} <- {_bundle(instance, bundle)}"
        if offers is not None:
            piece += f" at {show(offers.get(j, 0), instance.scale)}"
        parts.append(piece)
    body = "; ".join(parts) if parts else "nothing allocated"
    return f"{b.name} = {_value(b, instance.scale)}: {body}"


SUMMARY_ABOVE = 20
"""Reports with more players show a per-player summary unless all players are asked for."""
TOP_PLAYERS = 10


def _player_table(report: Report, rows: list[PlayerRow], title: str) -> Table:
    inst = displayed(report.instance)
    players = Table(title=title, header_style="bold")
    for column in ("player", "MIEW_i = BB_i", "MIKW_i", "MSW_-i", "knowledge correct"):
        players.add_column(column, justify="left" if column in ("player", "knowledge correct") else "right")
    for row in rows:
        verdict = {True: "yes", False: "no", None: "undecided"}[row.correctness.correct]
        players.add_row(Text(inst.players[row.player]), _value(row.miew, inst.scale), _value(row.mikw, inst.scale),
                        _value(row.msw_without, inst.scale), verdict)
    return players


def top_players(report: Report, k: int = TOP_PLAYERS) -> list[PlayerRow]:
    """The k players of highest proven MIEW_i, ties broken by higher MIKW_i, then file order;
    players with unproven values come last."""

    def rank(row: PlayerRow) -> tuple:
        return (row.miew.value is not None, row.miew.value or 0, row.mikw.value or 0, -row.player)

    ranked = sorted(report.players, key=rank, reverse=True)
    return ranked[:k]


def _summary(report: Report) -> Table:
    """Counts over all players: who wins in MSW, whose knowledge is correct, what is proven."""
    from benchmarks.table import knows_nothing

    rows = report.players
    wins = len(report.msw.outcome.bundles) if report.msw.outcome is not None else 0
    verdicts = [row.correctness.correct for row in rows]
    unproven = sum(1 for row in rows for b in (row.miew, row.mikw, row.msw_without) if not b.proven)
    table = Table(title="Players (summary; --players all lists every player)", header_style="bold")
    table.add_column("count")
    table.add_column("players", justify="right")
    table.add_row("players", str(len(rows)))
    table.add_row("win something in the MSW allocation", str(wins))
    table.add_row("with MIEW_i > 0", str(sum(1 for row in rows if (row.miew.value or 0) > 0)))
    table.add_row("who know nothing about the others", str(sum(knows_nothing(report.instance, row.player)
                                                               for row in rows)))
    table.add_row("knowledge correct: yes / no / undecided",
                  f"{verdicts.count(True)} / {verdicts.count(False)} / {verdicts.count(None)}")
    table.add_row("per-player values not proven", str(unproven))
    return table


def render(report: Report, players: str = "auto") -> Group:
    """The report as rich renderables. ``players``: "all" (a row and witnesses for every
    player), "summary" (counts and the top players by MIEW_i) or "auto" (all up to
    SUMMARY_ABOVE players, else the summary). Nothing is left out of the JSON either way."""
    inst = displayed(report.instance)
    full = players == "all" or (players == "auto" and inst.n <= SUMMARY_ABOVE)
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

    shown = list(report.players) if full else top_players(report)
    tables = [] if full else [_summary(report)]
    tables.append(_player_table(report, shown, "Per player" if full else
                                f"Top {len(shown)} players by MIEW_i"))

    agents = Table(title="Per agent" if full else "Per coalition", header_style="bold")
    for column in ("agent", "MKW_A = REV(RK_A)", "SW(BA^A)"):
        agents.add_column(column, justify="left" if column == "agent" else "right")
    for row in report.agents:
        if not full and len(row.members) == 1:
            continue  # MKW_{i} is MIKW_i, in the player tables
        who = "{" + ", ".join(inst.players[j] for j in row.members) + "}"
        agents.add_row(Text(who), _value(row.mkw, inst.scale), _value(row.best_allocation, inst.scale))
    if full or agents.row_count:
        tables.append(agents)

    lines = [witness(inst, report.msw), witness(inst, report.lex_first)]
    for row in shown:
        lines += [witness(inst, row.miew), witness(inst, row.mikw)]
    for row in report.agents:
        if len(row.members) > 1:
            lines += [witness(inst, row.mkw), witness(inst, row.best_allocation)]
    if report.market is not None:
        lines.append(witness(inst, report.market))
    body = [title, headline, *tables, Text("Witnesses (offers at their prices)", style="bold")]
    body += [Text("  " + plain(line)) for line in lines]  # benchmark names carry player names
    doubtful = [row for row in report.players if row.correctness.correct is not True]
    if doubtful:
        body.append(Text("Knowledge not known to be correct", style="bold"))
        listed = doubtful if full else doubtful[:TOP_PLAYERS]
        body += [Text(f"  {inst.players[row.player]}: {plain(row.correctness.reason)}") for row in listed]
        if len(listed) < len(doubtful):
            body.append(Text(f"  ... and {len(doubtful) - len(listed)} more (--players all, or --players-csv)"))
    if not report.all_proven:
        body.append(Text("Some programs were not proven optimal within the time limit; their "
                         "values are not reported as benchmarks.", style="bold red"))
    return Group(*body)


PIPE_WIDTH = 10_000
"""The width of output that is not a terminal (a pipe, a file): wide enough that no number or
name is ever cut or wrapped; tables take their natural width."""


class PipeConsole(Console):
    """A rich console for the command line: a closed pipe (``| head``) raises
    ``BrokenPipeError``, which the CLI turns into a quiet exit 0 (rich would exit with 1).
    Output that is not a terminal is :data:`PIPE_WIDTH` wide (rich would use 80 columns)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if kwargs.get("width") is None and not self.is_terminal:
            self.width = PIPE_WIDTH

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


def print_report(report: Report, console: Console | None = None, players: str = "auto") -> None:
    (console or Console()).print(render(report, players))
