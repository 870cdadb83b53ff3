"""The tables of ``benchmarks --format`` and ``evaluate --format`` as :class:`TableData`, every
number in full (exact decimals in the file's units; expectations to 6 places plus the scale's
own digits), every name as written (shown safely, ``render.plain``)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from benchmarks.report import Report
from benchmarks.results import Benchmark, Best
from cabench.formats import TableData
from cabench.present import NOT_RATIONAL, in_registry_order, monte_carlo_cells, monte_carlo_ends
from cabench.render import displayed, plain, unproven_best_text, value_text
from instances import Instance
from instances.units import decimal, show, show_fraction, show_probability
from mechanisms.base import Evaluation, Mechanism

__all__ = ["PLACES", "evaluation_tables", "report_tables"]

PLACES = 6


def _who(inst: Instance, winner) -> str:
    if winner is None:
        return ""
    if isinstance(winner, tuple):
        return "{" + ", ".join(inst.players[j] for j in winner) + "}"
    return inst.players[winner]


def _amount(value: int | None, scale: int) -> Decimal | None:
    """A proven value in the file's money for JSON and CSV (exact: ``formats`` writes it), or None."""
    return None if value is None else decimal(value, scale)


def _records(table: TableData, values: list[list[Benchmark | Best | None]], scale: int) -> TableData:
    """``table`` with records for JSON and CSV: each cell that shows a benchmark (``values``, a
    list per row, None for the other cells) holds its proven value as a number, or nothing,
    and a column "not proven" says what is known of those that are not (the table's text)."""
    records = []
    for row, cells in zip(table.rows, values):
        record: dict[str, object] = {}
        why = []
        for column, text, b in zip(table.columns, row, cells):
            if b is None:
                record[column] = text
                continue
            record[column] = _amount(b.value, scale)
            if b.value is None:
                why.append(f"{column}: {text}")
        record["not proven"] = "; ".join(why)
        records.append(record)
    return replace(table, records=tuple(records))


def report_tables(report: Report, players: str = "auto") -> list[TableData]:
    """The benchmarks (seed 000 §2: MSW, MIEW(K_I), BB, BB', MKW), per player and per agent.

    ``players`` is ``--players``, with the rich table's rule (``render.shown_rows``): "all" (or
    "auto" up to ``render.SUMMARY_ABOVE`` players) lists every player and agent; "summary" gives
    counts over the players, the top players by MIEW_i and, beyond ``render.TOP_COALITIONS``
    coalitions, counts over the coalitions and the top ones by MKW_A. The JSON is always complete."""
    from cabench.render import (
        COALITIONS_SUMMARY_TITLE,
        PLAYERS_SUMMARY_TITLE,
        coalition_counts,
        coalitions,
        market_meaning,
        player_counts,
        shown_rows,
        top_coalitions_title,
        top_players_title,
    )

    inst = displayed(report.instance)
    scale = inst.scale
    head = [("MSW", value_text(report.msw, scale), "", "maximum social welfare")]
    shown_values: list[list[Benchmark | Best | None]] = [[None, report.msw, None, None]]
    for best, meaning in ((report.miew, "best MIEW_i over independent players"),
                          (report.bb, "best BB_i = MIEW_i over all players"),
                          (report.bb_prime, "best BB_i over independent players"),
                          (report.mkw, "best MKW_A over agents")):
        value = show(best.value, scale) if best.value is not None else unproven_best_text(best, scale)
        # (the name the terminal table gives it: "MIEW" alone reads as one player's MIEW_i)
        name = "MIEW(K_I)" if best is report.miew else best.name
        head.append((name, value, _who(inst, best.winner), meaning))
        shown_values.append([None, best, None, None])
    if report.market is not None:
        head.append(("truthful outcome", value_text(report.market, scale), "", market_meaning(report)))
        shown_values.append([None, report.market, None, None])
    tables = [_records(TableData(f"{inst.name}: benchmarks", ("benchmark", "value", "attained by", "meaning"),
                                 tuple(head), ("l", "r", "l", "l")), shown_values, scale)]
    full, shown, shown_agents = shown_rows(report, players)
    if not full:
        tables.append(TableData(f"{inst.name}: {PLAYERS_SUMMARY_TITLE[0].lower()}{PLAYERS_SUMMARY_TITLE[1:]}",
                                ("count", "players"), tuple(player_counts(report)), ("l", "r")))
    verdict = {True: "yes", False: "no", None: "undecided"}
    rows = tuple((inst.players[r.player], value_text(r.miew, scale), value_text(r.mikw, scale),
                  value_text(r.msw_without, scale), verdict[r.correctness.correct]) for r in shown)
    tables.append(_records(
        TableData(f"{inst.name}: per player" if full else f"{inst.name}: {top_players_title(shown)}",
                  ("player", "MIEW_i = BB_i", "MIKW_i", "MSW_-i", "knowledge correct"), rows, ("l", "r", "r", "r", "l")),
        [[None, r.miew, r.mikw, r.msw_without, None] for r in shown], scale))
    listed = len(coalitions(report))
    trimmed = len(shown_agents) < listed
    if trimmed:
        tables.append(TableData(f"{inst.name}: {COALITIONS_SUMMARY_TITLE[0].lower()}{COALITIONS_SUMMARY_TITLE[1:]}",
                                ("count", "coalitions"), tuple(coalition_counts(report)), ("l", "r")))
    agents = tuple(("{" + ", ".join(inst.players[j] for j in a.members) + "}", value_text(a.mkw, scale),
                    value_text(a.best_allocation, scale)) for a in shown_agents)
    if full or agents:
        title = "per agent" if full else top_coalitions_title(shown_agents, listed) if trimmed else "per coalition"
        tables.append(_records(TableData(f"{inst.name}: {title}", ("agent", "MKW_A = REV(RK_A)", "SW(BA^A)"), agents,
                                         ("l", "r", "r")),
                               [[None, a.mkw, a.best_allocation] for a in shown_agents], scale))
    return tables


def evaluation_tables(instance: Instance, rows: list[tuple[Mechanism, Evaluation]],
                      not_proven: list[tuple[Mechanism, str]] = (),
                      sampled: dict[str, dict] | None = None, played: str | None = None,
                      strategies: str | None = None) -> list[TableData]:
    """One row per mechanism: exact expectations under rational play, the benchmark of its
    theorem, the bound, what it is compared with (``achieved``: the probability for a market
    mechanism) and the verdict (docs/definitions.md, "Mechanisms and their guarantees");
    a mechanism of ``not_proven`` has empty cells and the verdict "not proven: " and why.
    ``sampled``: the Monte Carlo summaries by mechanism name (``--samples``), as four more
    columns (they were left out of every format but the table). ``played``: what was played
    instead of rational play (``api.Evaluations.played``): the verdict says so, and a note;
    CSV, which has no notes, gets a column ``strategies`` (``Evaluations.strategies_played``)."""
    inst = displayed(instance)
    scale = inst.scale
    out, ends = [], []  # ends: each row's Monte Carlo means and interval ends, for CSV
    for m, ev in in_registry_order([*rows, *not_proven]):
        extra = sampled.get(m.name) if sampled else None
        ends.append(monte_carlo_ends(extra, scale, PLACES) if extra else {})
        if isinstance(ev, str):  # (why it was not evaluated)
            out.append((m.name, "", "", "", "", "", "", "", "", f"not proven: {plain(ev)}", ""))
            continue
        g = ev.guarantee
        cells = [m.name, *(show_fraction(x, scale, PLACES) for x in (ev.sw, ev.rev, ev.total))]
        if g is None:
            cells += ["", "", "", "", "", NOT_RATIONAL if played else "no theorem", ""]
        else:
            # achieved: what the bound is compared with, a probability for a market mechanism
            # (whose ratio to MSW means nothing), E[REV] or E[SW] + E[REV] otherwise
            probability = g.on_probability
            bound, achieved = ((show_probability(g.bound), show_probability(g.achieved)) if probability else
                               (show_fraction(g.bound, scale, PLACES), show_fraction(g.achieved, scale, PLACES)))
            ratio = "" if probability or not g.benchmark_value else f"{float(g.achieved / g.benchmark_value):.6f}"
            cells += [plain(g.statement), g.benchmark, show(g.benchmark_value, scale), bound, achieved, g.verdict,
                      ratio]
        if sampled:
            cells += list(monte_carlo_cells(extra, scale, PLACES).values()) if extra else ["", "", "", ""]
        out.append(tuple(cells))
    columns = ("mechanism", "E[SW]", "E[REV]", "E[SW] + E[REV]", "guarantee", "benchmark", "benchmark value",
               "bound", "achieved", "verdict", "achieved / benchmark")
    align = ("l", "r", "r", "r", "l", "l", "r", "r", "r", "l", "r")
    exact_columns = columns
    if sampled:
        columns += ("MC SW", "MC SW CI95", "MC REV", "MC REV CI95")
        align += ("r", "r", "r", "r")
    out = [row + ("",) * (len(columns) - len(row)) for row in out]  # (a not-proven row's empty sample cells)
    records = ()
    if sampled or played:  # CSV: each interval as its two ends, numbers (the cell is "[low, high]")
        sample_columns = ("MC SW", "MC SW CI95 low", "MC SW CI95 high", "MC REV", "MC REV CI95 low",
                          "MC REV CI95 high") if sampled else ()
        records = []
        for row, row_ends in zip(out, ends):
            record: dict[str, object] = dict(zip(exact_columns, row))
            record |= {column: row_ends.get(column, "") for column in sample_columns}
            if played:  # (CSV has no notes: what was played, in a column)
                record["strategies"] = strategies
            records.append(record)
    # (Markdown and LaTeX: the line under the rich table, when the plays missed an outcome)
    missed = [f"{name}: Monte Carlo of no width missing the exact expectation (an outcome too rare to be drawn)"
              for name, extra in (sampled or {}).items() if extra and any(extra[k].get("missed") for k in ("SW", "REV"))]
    return [TableData(f"{inst.name}: exact expectations", columns, tuple(out), align,
                      ((plain(played),) if played else ()) + tuple(missed), tuple(records))]
