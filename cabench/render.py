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
    from benchmarks.report import AgentRow, PlayerRow, Report
    from instances.model import Instance

__all__ = ["COALITIONS_SUMMARY_TITLE", "ORDER_UNPROVEN", "PIPE_WIDTH", "PLAYERS_MODES", "PLAYERS_SUMMARY_TITLE",
           "PipeConsole", "SUMMARY_ABOVE", "TOP_COALITIONS", "TOP_COALITIONS_RULE", "TOP_PLAYERS", "TOP_PLAYERS_RULE",
           "coalition_counts", "coalitions", "displayed", "lists_all", "lists_everyone", "market_meaning", "plain",
           "player_counts", "print_report", "render", "shown_rows", "top_coalitions", "top_coalitions_title",
           "top_players", "top_players_title", "unproven_best_text", "value_text", "witness"]

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


ORDER_UNPROVEN = "witness not proven the first optimum"
"""What a value known but withheld lacks: its tie-break ran out of time (``Benchmark.order_unproven``)."""


def value_text(b: Benchmark, scale: int = 1) -> str:
    """The proven value in the file's units (exact decimals when the instance has a scale), else
    what is known of it: the interval, or the value whose witness is not proven the first."""
    if b.value is not None:
        return show(b.value, scale)
    if b.order_unproven:
        return f"NOT PROVEN (worth {_money(b.incumbent, scale)}; {ORDER_UNPROVEN})"
    bound = f", bound {_money(b.bound, scale)}" if finite_bound(b.bound) is not None else ""
    return f"NOT PROVEN ({b.status.value}; incumbent {_money(b.incumbent, scale)}{bound})"


def unproven_best_text(best: Best, scale: int = 1) -> str:
    """A maximum not proven: its interval (its members' intervals, or their values whose
    witnesses are withheld)."""
    bound = f", bound {_money(best.bound, scale)}" if best.bound is not None else ""
    return f"NOT PROVEN (incumbent {_money(best.incumbent, scale)}{bound})"


def _best(instance: Instance, best: Best) -> str:
    if best.value is None:
        return unproven_best_text(best, instance.scale)
    value = show(best.value, instance.scale)
    if best.winner is None:  # an empty family, or an unproven member that may tie (benchmarks.results.best_of)
        return f"{value} (no player)" if best.value == 0 else f"{value} (who attains it: not proven)"
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
    held = dict(b.outcome.bundles)
    # the players who receive something, in order, and those who only pay or are paid (a
    # market's seller, P*_1 < 0: its price was left out)
    for j in sorted(held.keys() | (offers or {}).keys()):
        piece = f"{instance.players[j]} <- {_bundle(instance, held[j]) if j in held else 'nothing'}"
        if offers is not None:
            piece += f" at {show(offers.get(j, 0), instance.scale)}"
        parts.append(piece)
    body = "; ".join(parts) if parts else "nothing allocated"
    return f"{b.name} = {value_text(b, instance.scale)}: {body}"


SUMMARY_ABOVE = 20
"""Reports with more players show a per-player summary unless all players are asked for."""
TOP_PLAYERS = 10
TOP_COALITIONS = 10
"""In a summary, at most this many coalitions are listed (with their witnesses), the rest counted."""
PLAYERS_MODES = ("auto", "summary", "all")


def market_meaning(report: Report) -> str:
    """What a market's truthful outcome row says: its welfare, and its gain over the endowment
    (player 1's utility, seed 003 Appendix A, Definition 7) once proven."""
    from benchmarks.market import endowment_welfare

    inst = report.instance
    text = "SW of the truthful outcome (A*, P*)"
    if report.market.value is not None:
        text += f"; gain over the endowment {show(report.market.value - endowment_welfare(inst), inst.scale)}"
    return text


def lists_everyone(report: Report, players: str = "auto") -> bool:
    """Whether ``players`` ("auto", "summary" or "all", the ``--players`` flag) lists every player
    and coalition (:func:`lists_all` of the players). The same rule for the rich table and for
    ``--format markdown|latex|csv``."""
    return lists_all(report.instance.n, players)


def lists_all(count: int, players: str = "auto") -> bool:
    """Whether ``players`` lists all ``count`` rows: "all", or "auto" with at most
    :data:`SUMMARY_ABOVE` of them (``benchmarks``' players, ``evaluate``'s agents and branches)."""
    if players not in PLAYERS_MODES:
        raise ValueError(f"players {players!r}: expected one of {', '.join(PLAYERS_MODES)}")
    return players == "all" or (players == "auto" and count <= SUMMARY_ABOVE)


def _player_table(report: Report, rows: list[PlayerRow], title: str) -> Table:
    inst = displayed(report.instance)
    players = Table(title=title, header_style="bold")
    for column in ("player", "MIEW_i = BB_i", "MIKW_i", "MSW_-i", "knowledge correct"):
        players.add_column(column, justify="left" if column in ("player", "knowledge correct") else "right")
    for row in rows:
        verdict = {True: "yes", False: "no", None: "undecided"}[row.correctness.correct]
        players.add_row(Text(inst.players[row.player]), value_text(row.miew, inst.scale),
                        value_text(row.mikw, inst.scale), value_text(row.msw_without, inst.scale), verdict)
    return players


TOP_PLAYERS_RULE = "ties: higher MIKW_i, then file order"
TOP_COALITIONS_RULE = "ties: higher SW(BA^A), then file order"


UNPROVEN_RULE = "not proven: after, by the value reached"
"""Added to a top list's rule when it shows a value not proven (:func:`top_players_title`)."""


def _reached(b: Benchmark) -> int:
    """The value a benchmark is known to reach: its proven value, else its incumbent (an outcome
    found worth that much), else 0."""
    return b.value if b.value is not None else (b.incumbent or 0)


def top_players(report: Report, k: int = TOP_PLAYERS) -> list[PlayerRow]:
    """The k players of highest proven MIEW_i, ties broken by higher MIKW_i, then file order;
    players whose MIEW_i is not proven come after, by the value reached (the incumbent: with a
    time limit too short for any proof, they were listed in file order)."""

    def rank(row: PlayerRow) -> tuple:
        return (row.miew.value is not None, _reached(row.miew), _reached(row.mikw), -row.player)

    ranked = sorted(report.players, key=rank, reverse=True)
    return ranked[:k]


def coalitions(report: Report) -> list[AgentRow]:
    """The agents of two or more players, in file order (an independent player's MKW_{i} is
    its MIKW_i, in the per-player tables)."""
    return [row for row in report.agents if len(row.members) > 1]


def top_coalitions(report: Report, k: int = TOP_COALITIONS) -> list[AgentRow]:
    """The k coalitions (agents of two or more players) of highest proven MKW_A (seed 000 Def. 1),
    ties broken by higher SW(BA^A), then file order; coalitions whose MKW_A is not proven come
    after, by the value reached."""
    listed = coalitions(report)

    def rank(position: int) -> tuple:
        row = listed[position]
        return (row.mkw.value is not None, _reached(row.mkw), _reached(row.best_allocation), -position)

    return [listed[p] for p in sorted(range(len(listed)), key=rank, reverse=True)[:k]]


def player_counts(report: Report) -> list[tuple[str, str]]:
    """(what, how many) over all players: who wins in MSW, whose knowledge is correct, what is proven."""
    from benchmarks.table import knows_nothing

    rows = report.players
    wins = len(report.msw.outcome.bundles) if report.msw.outcome is not None else 0
    verdicts = [row.correctness.correct for row in rows]
    # MIEW_i > 0 is proven by its value, or by an outcome of positive revenue found (the
    # incumbent); MIEW_i = 0 by its value, or a bound of 0: with a short time limit every player
    # counted as 0
    positive = sum(1 for row in rows if _reached(row.miew) > 0)
    undecided = sum(1 for row in rows if row.miew.value is None and _reached(row.miew) <= 0
                    and (row.miew.bound is None or row.miew.bound > 0))
    unproven = sum(1 for row in rows if not all(b.proven for b in (row.miew, row.mikw, row.msw_without)))
    where = "MSW allocation" if report.msw.proven else "best allocation found (MSW not proven)"
    return [("players", str(len(rows))),
            (f"win something in the {where}", str(wins)),
            ("with MIEW_i > 0", str(positive)),
            *((("MIEW_i > 0 or not: not proven", str(undecided)),) if undecided else ()),
            ("who know nothing about the others", str(sum(knows_nothing(report.instance, row.player)
                                                          for row in rows))),
            # (a count per row: "30 / 0 / 0" in one cell was text in CSV's count column)
            ("knowledge correct: yes", str(verdicts.count(True))),
            ("knowledge correct: no", str(verdicts.count(False))),
            ("knowledge correct: undecided", str(verdicts.count(None))),
            # (it counted values, three per player: 399 of 198 players)
            ("with a value not proven (MIEW_i, MIKW_i or MSW_-i)", str(unproven))]


def coalition_counts(report: Report) -> list[tuple[str, str]]:
    """(what, how many) over the coalitions (agents of two or more players)."""
    listed = coalitions(report)
    sizes: dict[int, int] = {}
    for row in listed:
        sizes[len(row.members)] = sizes.get(len(row.members), 0) + 1
    unproven = sum(1 for row in listed if not (row.mkw.proven and row.best_allocation.proven))
    return [("coalitions", str(len(listed))),
            ("players in coalitions", str(sum(len(row.members) for row in listed))),
            *((f"coalitions of {size} players", str(count)) for size, count in sorted(sizes.items())),
            ("with MKW_A > 0", str(sum(1 for row in listed if _reached(row.mkw) > 0))),
            ("with a value not proven (MKW_A or BA^A)", str(unproven))]


PLAYERS_SUMMARY_TITLE = "Players (summary; --players all lists every player)"
COALITIONS_SUMMARY_TITLE = "Coalitions (summary; --players all lists every coalition)"


def top_players_title(shown: list[PlayerRow]) -> str:
    unproven = f"; {UNPROVEN_RULE}" if any(row.miew.value is None for row in shown) else ""
    return f"Top {len(shown)} players by MIEW_i ({TOP_PLAYERS_RULE}{unproven})"


def top_coalitions_title(shown: list[AgentRow], of: int) -> str:
    unproven = f"; {UNPROVEN_RULE}" if any(row.mkw.value is None for row in shown) else ""
    return f"Top {len(shown)} of {of} coalitions by MKW_A ({TOP_COALITIONS_RULE}{unproven})"


def _counts(title: str, counts: list[tuple[str, str]], column: str) -> Table:
    table = Table(title=title, header_style="bold")
    table.add_column("count")
    table.add_column(column, justify="right")
    for what, how_many in counts:
        table.add_row(what, how_many)
    return table


def shown_rows(report: Report, players: str = "auto") -> tuple[bool, list[PlayerRow], list[AgentRow]]:
    """(every row listed?, the player rows, the agent rows) that a readable report lists for
    ``players`` (:func:`lists_everyone`): everything, or the top players by MIEW_i and the
    coalitions (all up to :data:`TOP_COALITIONS`, else the top ones by MKW_A)."""
    if lists_everyone(report, players):
        return True, list(report.players), list(report.agents)
    return False, top_players(report), top_coalitions(report)


def _structure(inst: Instance, listed: int = 20) -> str:
    """The title's coalition structure: every coalition up to ``listed``, else their count."""
    if not inst.coalitions:
        return "all independent"
    if len(inst.coalitions) > listed:
        return f"{len(inst.coalitions)} coalitions of {sum(len(c) for c in inst.coalitions)} players"
    return "coalitions " + ", ".join("{" + ", ".join(inst.players[j] for j in c) + "}" for c in inst.coalitions)


def render(report: Report, players: str = "auto") -> Group:
    """The report as rich renderables. ``players``: "all" (a row and witnesses for every
    player and agent), "summary" (counts, the top players by MIEW_i and the top coalitions by
    MKW_A, :func:`shown_rows`) or "auto" (all up to SUMMARY_ABOVE players, else the summary).
    Nothing is left out of the JSON either way."""
    inst = displayed(report.instance)
    structure = _structure(inst)
    kind = "market" if inst.is_market else "auction"
    units = f"; scale {inst.scale}, values in the file's units" if inst.scale != 1 else ""
    title = Text.assemble(
        (inst.name, "bold"),
        f": {kind}, {inst.m} good{'s' * (inst.m != 1)}, {inst.n} player{'s' * (inst.n != 1)}, {structure}; "
        f"solver {report.solver}{units}",
    )

    headline = Table(title="Benchmarks", show_header=True, header_style="bold")
    headline.add_column("benchmark")
    headline.add_column("value", justify="right")
    headline.add_column("meaning")
    headline.add_row("MSW", value_text(report.msw, inst.scale), "maximum social welfare")
    headline.add_row("MIEW(K_I)", Text(_best(inst, report.miew)), "best MIEW_i over independent players")
    headline.add_row("BB", Text(_best(inst, report.bb)), "best BB_i = MIEW_i over all players")
    headline.add_row("BB'", Text(_best(inst, report.bb_prime)), "best BB_i over independent players")
    headline.add_row("MKW", Text(_best(inst, report.mkw)), "best MKW_A over agents")
    if report.market is not None:
        headline.add_row("truthful outcome", value_text(report.market, inst.scale), market_meaning(report))

    full, shown, shown_agents = shown_rows(report, players)
    tables = [] if full else [_counts(PLAYERS_SUMMARY_TITLE, player_counts(report), "players")]
    tables.append(_player_table(report, shown, "Per player" if full else top_players_title(shown)))

    listed = coalitions(report)
    trimmed = len(shown_agents) < len(listed)
    if trimmed:
        tables.append(_counts(COALITIONS_SUMMARY_TITLE, coalition_counts(report), "coalitions"))
    caption = "Per agent" if full else top_coalitions_title(shown_agents, len(listed)) if trimmed \
        else "Per coalition"
    agents = Table(title=caption, header_style="bold")
    for column in ("agent", "MKW_A = REV(RK_A)", "SW(BA^A)"):
        agents.add_column(column, justify="left" if column == "agent" else "right")
    for row in shown_agents:  # in a summary, coalitions only: MKW_{i} is MIKW_i, in the player tables
        who = "{" + ", ".join(inst.players[j] for j in row.members) + "}"
        agents.add_row(Text(who), value_text(row.mkw, inst.scale), value_text(row.best_allocation, inst.scale))
    if full or agents.row_count:
        tables.append(agents)

    lines = [witness(inst, report.msw), witness(inst, report.lex_first)]
    for row in shown:
        lines += [witness(inst, row.miew), witness(inst, row.mikw)]
    for row in shown_agents:
        if len(row.members) > 1:
            lines += [witness(inst, row.mkw), witness(inst, row.best_allocation)]
    if report.market is not None:
        lines.append(witness(inst, report.market))
    body = [title, headline, *tables, Text("Witnesses (offers at their prices)", style="bold")]
    body += [Text("  " + plain(line)) for line in lines]  # benchmark names carry player names
    doubtful = [row for row in report.players if row.correctness.correct is not True]
    if doubtful:
        body.append(Text("Knowledge not known to be correct", style="bold"))
        named = doubtful if full else doubtful[:TOP_PLAYERS]
        body += [Text(f"  {inst.players[row.player]}: {plain(row.correctness.reason)}") for row in named]
        if len(named) < len(doubtful):
            body.append(Text(f"  ... and {len(doubtful) - len(named)} more (--players all, or --players-csv)"))
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
